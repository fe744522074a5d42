#!/bin/bash
# setup.sh - everything a fresh Debian machine needs, in one command.
#
#   ./setup.sh demo   install what is missing, build, and run dnsd in the foreground
#                     serving an example mail domain on 127.0.0.1@5300 (Ctrl-C stops it)
#   ./setup.sh test   install what is missing, build with -Werror, run the whole test suite
#   ./setup.sh deps   only install the build and test dependencies (needs root or sudo)
set -eu
cd "$(dirname "$0")"
mode=${1:-}
case $mode in demo|test|deps) ;; *) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 2;; esac

BUILD_DEPS="build-essential autoconf automake pkg-config libldns-dev libuv1-dev liblmdb-dev
	libssl-dev libjansson-dev"
TEST_DEPS="knot knot-dnsutils knot-dnssecutils ldnsutils dnsutils bind9-utils bind9 nsd unbound python3
	python3-dnspython python3-dkim python3-spf python3-nacl openssl dnsperf clang lmdb-utils"
deps() {
	local want="$BUILD_DEPS" missing=""
	[ "$1" = test ] && want="$want $TEST_DEPS"
	[ "$1" = demo ] && want="$want knot-dnsutils openssl"
	for p in $want; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
	[ -z "$missing" ] && return 0
	echo "setup: installing$missing"
	local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
	# knot's, nsd's, bind9's and unbound's packages start servers on port 53; the tests
	# start their own
	if [ "$1" = test ] && command -v systemctl >/dev/null; then
		$sudo systemctl disable --now knot unbound nsd named >/dev/null 2>&1 || true
	fi
}
build() {
	[ -x configure ] || autoreconf -fi
	[ -f Makefile ] || ./configure --enable-werror "$@"
	make -j"$(nproc)"
}

case $mode in
deps) deps test ;;
test)
	deps test
	build
	rc=0
	make -j"$(nproc)" check 2>&1 | tee check.out || true
	rc=${PIPESTATUS[0]}
	# one closing line for CI, from automake's summary
	awk '/^# (PASS|FAIL|ERROR|SKIP|XPASS):/ {n[$2]+=$3}
		END {printf "%d passed, %d failed, %d skipped\n", n["PASS:"], n["FAIL:"]+n["ERROR:"]+n["XPASS:"], n["SKIP:"]}' check.out
	exit $rc
	;;
demo)
	deps demo
	build
	st=$(mktemp -d -t dnsd-demo.XXXXXX)
	trap 'rm -rf "$st"' EXIT
	ctl() { ./tools/dnsctl -D "$st" "$@"; }
	ctl zone add example.com --file etc/example.com.zone --dnssec default
	# the mail setup, described once; the mail records follow from it
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 \
		-subj /CN=mail.example.com -keyout "$st/mail.key" -out "$st/mail.pem" 2>/dev/null
	ctl mail host add mail.example.com --addr 192.0.2.25 --addr 2001:db8::25 \
		--cert "$st/mail.pem"
	ctl mail domain add example.com --dmarc reject --dmarc-rua dmarc@example.com \
		--mta-sts enforce --tls-rpt tlsrpt@example.com --clients mail.example.com \
		--autoconfig mail.example.com --caa letsencrypt.org --ttl 300
	cat <<MSG

dnsd serves example.com on 127.0.0.1 port 5300. In another terminal, try:

  kdig @127.0.0.1 -p 5300 example.com MX
  kdig @127.0.0.1 -p 5300 example.com TXT                   (SPF)
  kdig @127.0.0.1 -p 5300 _dmarc.example.com TXT
  kdig @127.0.0.1 -p 5300 _25._tcp.mail.example.com TLSA    (DANE, from mail.pem)
  kdig @127.0.0.1 -p 5300 _mta-sts.example.com TXT
  kdig @127.0.0.1 -p 5300 _submissions._tcp.example.com SRV
  kdig @127.0.0.1 -p 5300 +tcp nope.example.com A           (NXDOMAIN)
  kdig @127.0.0.1 -p 5300 +dnssec example.com MX            (signed: RRSIG)
  kdig @127.0.0.1 -p 5300 +dnssec nope.example.com A        (NSEC3 proof)
  dig  @127.0.0.1 -p 5300 example.com SOA +nsid

the mail state and its health:

  ./tools/dnsctl -D $st mail domain show example.com
  ./tools/dnsctl -D $st mail dkim list                      (active 300 s after publication)
  ./tools/dnsctl -D $st check example.com --server 127.0.0.1@5300
  ./tools/dnsctl -D $st mail dkim export /tmp/dkim          (keys for OpenDKIM/rspamd)

and change it while it runs (served within a second, serial up):

  ./tools/dnsctl -D $st mail domain set example.com --spf ip
  ./tools/dnsctl -D $st record add example.com www2 300 A 192.0.2.80

Ctrl-C stops dnsd and removes the demo state.

MSG
	./dnsd/dnsd -D "$st" -l 127.0.0.1@5300 -f
	;;
esac
