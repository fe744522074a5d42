#!/bin/bash
# mail_dkim_spf.sh - the mail records of the real dnsd, checked by the real
# verifiers: Debian's python3-dkim (dkimpy) verifies mail signed with the keys
# "dnsctl mail dkim export" writes, looking them up from dnsd, through a key
# rotation, retirement, revocation and removal; python3-spf (pyspf) evaluates
# the SPF records dnsd serves (--spf mx, --spf ip, HELO names, --no-mail);
# TLSA 3 1 1 at _25._tcp.HOST matches the certificates' keys (openssl).
# A key is never active (exported) before it is served: added while dnsd is
# stopped it stays "created".
#
# Zones: example.com (--dnssec off) with the mail hosts mx1 (certificate) and
# mx2, the mail domains example.com, ipmail.example.com (--spf ip),
# nomail.example.com (--no-mail), late.example.com (added later, TTL 3600);
# example.net (--dnssec default, signed) with the mail domain example.net.
# mail_dkim_spf.py does the DKIM and SPF work and prints the check lines.
# Polls have deadlines (30 s); nothing asserts how fast anything happens.
#
# Usage: tests/integration/mail_dkim_spf.sh [--keep]       (about 20-30 s)
# Needs: kdig (knot-dnsutils), openssl, /usr/bin/python3 with python3-dkim,
#        python3-spf and python3-dnspython (Debian packages).
# Environment: top_builddir, DNSD, DNSCTL, DT_KEEP_TMP=1 (keep the temp dir).
# Exit: 77 with "1..0 # SKIP ..." when something needed is missing; otherwise
# 0, and the TAP lines tell the result.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PY=/usr/bin/python3
top_builddir=${top_builddir:-$here/../..}
DNSD=${DNSD:-$top_builddir/dnsd/dnsd}
DNSCTL=${DNSCTL:-$top_builddir/tools/dnsctl}
for arg in "$@"; do
	case $arg in
	--keep) export DT_KEEP_TMP=1 ;;
	-h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--keep]" >&2; exit 2 ;;
	esac
done
dt_need kdig openssl "$PY"
"$PY" -c 'import dkim, spf, dns.resolver, nacl.signing' 2>/dev/null ||
	dt_skip "$PY cannot import dkim, spf, dns.resolver, nacl (python3-dkim python3-spf python3-dnspython python3-nacl)"
{ [ -x "$DNSD" ] && [ -x "$DNSCTL" ]; } || dt_skip "dnsd/dnsctl not built"
dt_tmpdir
T=$DT_TMP
S=$T/state
EXP=$T/export
DEADLINE=30

ctl() { "$DNSCTL" -D "$S" "$@"; }
expect_eq() { # DESC GOT WANT
	if [ "$2" = "$3" ]; then
		dt_ok "$1"
	else
		dt_not_ok "$1"
		printf '%s\n' "got:" "$2" "expected:" "$3" | dt_diag -
	fi
}
check() { # DESC CMD... : ok when CMD succeeds
	local d=$1
	shift
	if "$@" >"$T/out" 2>&1; then dt_ok "$d"; else dt_not_ok "$d"; dt_diag "$T/out"; fi
}
# py ARGS... : run mail_dkim_spf.py, turn its "ok"/"not ok" lines into TAP
py() {
	local line rc
	"$PY" "$here/mail_dkim_spf.py" "$@" >"$T/py.out" 2>"$T/py.err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) dt_ok "${line#ok }" ;;
		"not ok "*) dt_not_ok "${line#not ok }" ;;
		"#"*) printf '%s\n' "$line" ;;
		*) printf '# %s\n' "$line" ;;
		esac
	done <"$T/py.out"
	if [ "$rc" != 0 ]; then
		dt_not_ok "mail_dkim_spf.py $1 ran to its end (exit $rc)"
		dt_diag "$T/py.err"
	fi
}
# states DOMAIN : "SELECTOR STATE" lines from dkim list --json, sorted
states() {
	ctl mail dkim list "$1" --json 2>/dev/null | "$PY" -c '
import json, sys
try:
    keys = json.load(sys.stdin)
except ValueError:
    keys = [{"selector": "(dkim-list-failed)", "state": "-"}]
for k in keys:
    print(k["selector"], k["state"])' | sort
}
# wait_until DESC CMD... : poll CMD until it succeeds, up to DEADLINE seconds
wait_until() {
	local d=$1 start
	shift
	start=$(date +%s)
	until "$@"; do
		if [ $(($(date +%s) - start)) -ge "$DEADLINE" ]; then
			dt_not_ok "$d (still not after ${DEADLINE} s)"
			{ echo "dnsctl mail dkim list:"; ctl mail dkim list; } | dt_diag -
			[ -n "${DPID:-}" ] && dt_log_tail "$T/dnsd.log" 15
			return 1
		fi
		sleep 0.3
	done
	dt_ok "$d"
}
# all_in DOMAIN N STATE : DOMAIN has N keys, all in STATE
all_in() {
	local out
	out=$(states "$1")
	[ "$(printf '%s\n' "$out" | grep -c " $3\$")" = "$2" ] &&
		[ "$(printf '%s\n' "$out" | grep -c .)" = "$2" ]
}
# wait_eq DESC WANT CMD... : poll until CMD prints WANT, up to DEADLINE seconds
# (a state dnsctl shows is committed with its records; dnsd serves them a moment later)
wait_eq() {
	local d=$1 want=$2 start got
	shift 2
	start=$(date +%s)
	while got=$("$@" 2>&1); [ "$got" != "$want" ]; do
		if [ $(($(date +%s) - start)) -ge "$DEADLINE" ]; then
			dt_not_ok "$d (not within ${DEADLINE} s)"
			printf '%s\n' "got:" "$got" "expected:" "$want" | dt_diag -
			return 1
		fi
		sleep 0.2
	done
	dt_ok "$d"
}
state_of() { states "$1" | awk -v s="$2" '$1 == s { print $2 }'; }
# selectors DIR DOMAIN : the selectors of DOMAIN in DIR/KeyTable
selectors() { awk -v d="$2" '{ split($2, f, ":"); if (f[1] == d) print f[2] }' "$1/KeyTable" | sort; }

# ---------------------------------------------------------------- certificates
for c in c1 c2; do
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/$c.key" -out "$T/$c.pem" \
		-days 30 -subj /CN=mx1.example.com >"$T/out" 2>&1 || { dt_diag "$T/out"; dt_bail "openssl req failed"; }
done
spki() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1; }
H1=$(spki "$T/c1.pem")
H2=$(spki "$T/c2.pem")

# ---------------------------------------------------------------- set up, dnsd stopped
check "zone add example.com --dnssec off" ctl zone add example.com --dnssec off
check "zone add example.net --dnssec default" ctl zone add example.net --dnssec default
check "mail host add mx1 (v4, v6, certificate)" \
	ctl mail host add mx1.example.com --addr 192.0.2.10 --addr 2001:db8::10 --pref 10 --cert "$T/c1.pem"
check "mail host add mx2 (v4, v6)" \
	ctl mail host add mx2.example.com --addr 192.0.2.20 --addr 2001:db8::20 --pref 20
check "mail domain add example.com --ttl 2 (dnsd stopped)" ctl mail domain add example.com --ttl 2
check "mail domain add example.net (signed zone) --mx mx1,mx2 --ttl 2" \
	ctl mail domain add example.net --mx mx1.example.com,mx2.example.com --ttl 2
# (should that fail, the rest still needs the domain: every host is its MX by default)
ctl mail domain show example.net >/dev/null 2>&1 || ctl mail domain add example.net --ttl 2 >/dev/null
check "mail domain add ipmail.example.com --spf ip" \
	ctl mail domain add ipmail.example.com --spf ip --dkim off --ttl 2
check "mail domain add nomail.example.com --no-mail" \
	ctl mail domain add nomail.example.com --no-mail --dkim off --ttl 2

# nothing serves the keys: they are created, not active, and not exported
expect_eq "example.com: 2 keys, created" "$(states example.com | awk '{print $2}' | tr '\n' ' ')" "created created "
expect_eq "example.net: 2 keys, created" "$(states example.net | awk '{print $2}' | tr '\n' ' ')" "created created "
out=$(ctl mail dkim export "$EXP" 2>&1)
expect_eq "export with dnsd never started: 0 keys" "$?:$out" "0:0 active DKIM keys written to $EXP"
expect_eq "... KeyTable and SigningTable empty, keys/ empty" \
	"$(cat "$EXP/KeyTable" "$EXP/SigningTable" | grep -c .):$(find "$EXP/keys" -type f 2>/dev/null | grep -c .)" "0:0"
sleep 2
expect_eq "two seconds later, with no dnsd: still created" \
	"$(states example.com | awk '{print $2}' | tr '\n' ' ')$(states example.net | awk '{print $2}' | tr '\n' ' ')" \
	"created created created created "

# ---------------------------------------------------------------- dnsd
dt_free_port P
dt_start dnsd "$T/dnsd.log" "$DNSD" -D "$S" -l 127.0.0.1@"$P" -f
DPID=$DT_PID
if dt_wait_dns 127.0.0.1 "$P" example.com 10 "$DPID" && dt_wait_dns 127.0.0.1 "$P" example.net 10 "$DPID"; then
	dt_ok "dnsd answers for example.com and example.net"
else
	dt_not_ok "dnsd answers for example.com and example.net"
	dt_log_tail "$T/dnsd.log"
	dt_bail "dnsd did not start"
fi
q() { kdig @127.0.0.1 -p "$P" +norec +time=2 +retry=1 "$@"; }
rcode() { q "$@" | grep -o 'status: [A-Z]*' | head -1; }

# a domain added while dnsd runs (TTL 3600): right after the add its keys are
# created or published, never active
check "mail domain add late.example.com (dnsd running, TTL 3600)" ctl mail domain add late.example.com
expect_eq "late.example.com right after the add: 2 keys, none active" \
	"$(states late.example.com | awk '$2 == "created" || $2 == "published" {n++} END {print n+0}'):$(states late.example.com | grep -c ' active$')" "2:0"

wait_until "example.com: both keys become active once dnsd serves them" all_in example.com 2 active
wait_until "example.net: both keys become active" all_in example.net 2 active
expect_eq "late.example.com (TTL 3600): no key active" "$(states late.example.com | grep -c ' active$')" 0

# ---------------------------------------------------------------- DKIM: export, verify
out=$(ctl mail dkim export "$EXP" 2>&1)
expect_eq "export: 4 active keys" "$?:$out" "0:4 active DKIM keys written to $EXP"
py export "$P" "$EXP" example.com:2 example.net:2
net_rsa=$(selectors "$EXP" example.net | grep -- '-rsa$')
py signed "$P" "$net_rsa._domainkey.example.net"
rm -rf "$T/export1"
cp -a "$EXP" "$T/export1"
OLD=$(selectors "$T/export1" example.com | tr '\n' ' ')
OLD_RSA=$(selectors "$T/export1" example.com | grep -- '-rsa$')
OLD_ED=$(selectors "$T/export1" example.com | grep -- '-ed25519$')
{ [ -n "$OLD_RSA" ] && [ -n "$OLD_ED" ]; } || dt_bail "no exported RSA and Ed25519 key for example.com"
printf '# old example.com selectors: %s\n' "$OLD"

# ---------------------------------------------------------------- rotation
out=$(ctl mail dkim rotate example.com 2>&1)
expect_eq "dkim rotate example.com" "$?" 0
printf '%s\n' "$out" | dt_diag -
rotated() {
	local out
	out=$(states example.com)
	[ "$(state_of example.com "$OLD_RSA"):$(state_of example.com "$OLD_ED")" = "retired:retired" ] &&
		[ "$(printf '%s\n' "$out" | grep -c ' active$')" = 2 ] &&
		! printf '%s\n' "$out" | grep -q -e "^$OLD_RSA active" -e "^$OLD_ED active"
}
wait_until "after the rotation: 2 new keys active, the old ones retired" rotated
expect_eq "the retired keys' records still served" \
	"$(q +short "$OLD_RSA._domainkey.example.com" TXT | cut -c1-22)" '"v=DKIM1; k=rsa; p=MII'
out=$(ctl mail dkim export "$EXP" 2>&1)
expect_eq "export after the rotation: 4 active keys" "$?:$out" "0:4 active DKIM keys written to $EXP"
mapfile -t NEW < <(selectors "$EXP" example.com)
expect_eq "the export holds the new example.com keys only" \
	"$(for s in "${NEW[@]}"; do case " $OLD " in *" $s "*) echo "old $s" ;; esac; done)${#NEW[@]}" 2
expect_eq "the old key files are deleted from keys/" \
	"$(for f in "$OLD_RSA" "$OLD_ED"; do [ -e "$EXP/keys/example.com.$f.key" ] && echo "$f"; done)" ""
py export "$P" "$EXP" example.com:2 example.net:2
py dkim "$P" pass example.com "$OLD_RSA" "$T/export1/keys/example.com.$OLD_RSA.key" \
	example.com "$OLD_ED" "$T/export1/keys/example.com.$OLD_ED.key"

# ---------------------------------------------------------------- revocation, removal
check "mail domain set example.com --dkim-retire 5s --dkim-revoke 5s" \
	ctl mail domain set example.com --dkim-retire 5s --dkim-revoke 5s
revoked() { [ "$(state_of example.com "$OLD_RSA"):$(state_of example.com "$OLD_ED")" = "revoked:revoked" ]; }
wait_until "the old keys become revoked" revoked
wait_eq "revoked RSA key: TXT with an empty p=" \
	'"v=DKIM1; k=rsa; p="' q +short "$OLD_RSA._domainkey.example.com" TXT
wait_eq "revoked Ed25519 key: TXT with an empty p=" \
	'"v=DKIM1; k=ed25519; p="' q +short "$OLD_ED._domainkey.example.com" TXT
py dkim "$P" fail example.com "$OLD_RSA" "$T/export1/keys/example.com.$OLD_RSA.key" \
	example.com "$OLD_ED" "$T/export1/keys/example.com.$OLD_ED.key"
gone() { [ -z "$(state_of example.com "$OLD_RSA")$(state_of example.com "$OLD_ED")" ]; }
# the removal is committed by then: only dnsd's reload is awaited (and not at all
# when the keys were not removed)
if wait_until "after the revoke period the old keys are removed from dkim list" gone; then
	DEADLINE=5
else
	DEADLINE=0
fi
wait_eq "removed RSA key: NXDOMAIN" "status: NXDOMAIN" rcode "$OLD_RSA._domainkey.example.com" TXT
wait_eq "removed Ed25519 key: NXDOMAIN" "status: NXDOMAIN" rcode "$OLD_ED._domainkey.example.com" TXT
DEADLINE=30
expect_eq "the new keys stay active" \
	"$(state_of example.com "${NEW[0]:-}") $(state_of example.com "${NEW[1]:-}")" "active active"
py dkim "$P" pass example.com "${NEW[0]:-}" "$EXP/keys/example.com.${NEW[0]:-}.key" \
	example.com "${NEW[1]:-}" "$EXP/keys/example.com.${NEW[1]:-}.key"

# ---------------------------------------------------------------- SPF
expect_eq "example.com SPF record" "$(q +short example.com TXT)" '"v=spf1 mx -all"'
expect_eq "nomail.example.com SPF record" "$(q +short nomail.example.com TXT)" '"v=spf1 -all"'
expect_eq "mx1 HELO SPF record" "$(q +short mx1.example.com TXT)" '"v=spf1 a -all"'
q +short ipmail.example.com TXT | sed 's/^/# ipmail.example.com TXT /'
spf_args=()
for d in example.com ipmail.example.com example.net; do
	for ip in 192.0.2.10 2001:db8::10 192.0.2.20 2001:db8::20; do
		spf_args+=("$ip" "user@$d" mx1.example.com pass)
	done
	spf_args+=(198.51.100.77 "user@$d" mx1.example.com fail 2001:db8:ffff::77 "user@$d" mx1.example.com fail)
done
for h in mx1:10 mx2:20; do
	n=${h%%:*} a=${h##*:}
	spf_args+=("192.0.2.$a" - "$n.example.com" pass "2001:db8::$a" - "$n.example.com" pass
		"192.0.2.$a" "postmaster@$n.example.com" "$n.example.com" pass
		198.51.100.77 - "$n.example.com" fail 2001:db8:ffff::77 "postmaster@$n.example.com" "$n.example.com" fail)
done
spf_args+=(192.0.2.20 - mx1.example.com fail)
spf_args+=(192.0.2.10 user@nomail.example.com mx1.example.com fail
	2001:db8::10 user@nomail.example.com mx1.example.com fail
	198.51.100.77 user@nomail.example.com mx1.example.com fail)
py spf "$P" "${spf_args[@]}"

# ---------------------------------------------------------------- TLSA
tlsa() { q +short _25._tcp.mx1.example.com TLSA | tr 'A-F' 'a-f' | sort; }
expect_eq "TLSA at _25._tcp.mx1: 3 1 1 sha256 of the certificate's key" "$(tlsa)" "3 1 1 $H1"
check "mail host set mx1 --next-cert" ctl mail host set mx1.example.com --next-cert "$T/c2.pem"
expect_eq "with --next-cert: both keys' TLSA records" "$(tlsa)" "$(printf '3 1 1 %s\n' "$H1" "$H2" | sort)"

# ---------------------------------------------------------------- end
dt_stop "$DPID"
if grep -E ' (error|crit)' "$T/dnsd.log" >"$T/out"; then
	dt_not_ok "no errors in dnsd's log"
	dt_diag "$T/out"
else
	dt_ok "no errors in dnsd's log"
fi
echo "1..$DT_TAPNUM"
