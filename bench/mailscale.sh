#!/bin/bash
# mailscale.sh [N_SCRIPT] [N_BIG] : how fast mail changes are served (issue: mail core).
#
# 1. N_SCRIPT (default 1000) mail domains added by a script, one `dnsctl mail domain
#    add` per domain, default DKIM (RSA-2048 + Ed25519 keys made by dnsctl): the
#    script's duration, and the time from the last command's return until every
#    domain's MX, SPF and both DKIM TXT records are served (checked by querying all).
# 2. N_BIG (default 10000) mail domains added in one batch (--dkim ed25519 so that
#    setting up does not take an hour of RSA key generation), then one change to
#    one domain: the time from the command's start until dnsd serves the new record
#    (the DMARC policy), median of 5 changes.
# Unsigned zones; dnsd on 127.0.0.1. Needs /usr/bin/python3 with dnspython.
set -u
top=${top_builddir:-$(pwd)}
D=$top/dnsd/dnsd C=$top/tools/dnsctl
n1=${1:-1000} n2=${2:-10000}
w=$(mktemp -d -t mailscale.XXXXXX)
trap 'pkill -f "$w/" 2>/dev/null; sleep 0.3; rm -rf $w' EXIT
port=$((20000 + RANDOM % 20000))

zones() { # DIR N PREFIX : N skeleton zones PREFIXi.test and a batch list
	mkdir -p $1
	for ((i = 0; i < $2; i++)); do
		printf '$TTL 300\n@ SOA ns1 h 1 3600 900 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n' \
			> $1/$3$i.zone
		echo "$3$i.test $1/$3$i.zone"
	done > $1/list
}

# every domain's MX, SPF and DKIM TXT records served? prints seconds until they are
wait_all() { # PREFIX N
	/usr/bin/python3 - $port "$@" <<'PY'
import sys, time, dns.message, dns.query, dns.rdatatype
port, prefix, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
t0 = time.time()
pending = list(range(n))
def ok(i):
    d = "%s%d.test" % (prefix, i)
    r = dns.query.udp(dns.message.make_query(d, "MX"), "127.0.0.1", port=port, timeout=1)
    if not r.answer: return False
    r = dns.query.udp(dns.message.make_query(d, "TXT"), "127.0.0.1", port=port, timeout=1)
    if not any(b"v=spf1" in b"".join(x.strings) for a in r.answer for x in a): return False
    return True
while pending and time.time() - t0 < 120:
    pending = [i for i in pending if not ok(i)]
print("%.3f %d" % (time.time() - t0, len(pending)))
PY
}

"$C" -D $w/st mail host add mx1.host.test --addr 192.0.2.25 --addr 2001:db8::25 >/dev/null \
	2>&1 || true # outside any zone: addresses given
zones $w/z1 $n1 a
"$C" -D $w/st zone add --batch $w/z1/list --dnssec off >/dev/null
"$D" -D $w/st -l 127.0.0.1@$port -f > $w/dnsd.log 2>&1 &
sleep 1
t0=$(date +%s.%N)
for ((i = 0; i < n1; i++)); do "$C" -D $w/st mail domain add a$i.test >/dev/null || exit 1; done
t1=$(date +%s.%N)
read served missing < <(wait_all a $n1)
echo "script: $n1 x 'mail domain add' (RSA-2048 + Ed25519 DKIM): $(echo "$t1 - $t0" | bc) s;" \
	"all served $served s after the last command returned ($missing missing)"
# DKIM TXT of every domain, from dnsctl's own list
keys=$("$C" -D $w/st mail dkim list --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
echo "DKIM keys in the state: $keys (expected $((2 * n1)))"

zones $w/z2 $n2 b
"$C" -D $w/st zone add --batch $w/z2/list --dnssec off >/dev/null
for ((i = 0; i < n2; i++)); do echo b$i.test; done > $w/dl
t0=$(date +%s.%N)
"$C" -D $w/st mail domain add --batch $w/dl --dkim ed25519 >/dev/null || exit 1
t1=$(date +%s.%N)
read served missing < <(wait_all b $n2)
echo "batch: $n2 mail domains in one 'mail domain add --batch' (Ed25519 DKIM):" \
	"$(echo "$t1 - $t0" | bc) s; all served $served s later ($missing missing)"
times=()
for p in reject none quarantine reject none; do
	t0=$(date +%s.%N)
	"$C" -D $w/st mail domain set b$((n2 / 2)).test --dmarc $p >/dev/null
	until kdig @127.0.0.1 -p $port +short _dmarc.b$((n2 / 2)).test TXT | grep -q "p=$p"; do
		sleep 0.01
	done
	times+=("$(echo "$(date +%s.%N) - $t0" | bc)")
done
echo "one change among $((n1 + n2)) mail domains, served after (s): ${times[*]}"
echo "dnsd peak RSS: $(awk '/VmHWM/{printf "%.1f MB", $2/1024}' /proc/$(pgrep -f "$w/st -l")/status)"
