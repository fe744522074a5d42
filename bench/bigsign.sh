#!/bin/bash
# bigsign.sh [RECORDS] : sign one zone of RECORDS records (default 1,000,000:
# half A, half TXT, at RECORDS/2 names) with dnsd and with Knot DNS, side by
# side: the time from the server's start until the zone answers signed, and
# the peak RSS.  For dnsd the `dnsctl zone add` (parse + store) is timed too.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${top_builddir:-$(pwd)}
n=${1:-1000000}
w=$(mktemp -d -t bigsign.XXXXXX)
trap 'pkill -f "$w/" 2>/dev/null; sleep 0.5; rm -rf $w' EXIT
since() { echo "$(date +%s.%N) - $1" | bc; }
wait_signed() { # port pid -> seconds since $t0 until the SOA answers with RRSIG
	for i in $(seq 1 36000); do
		kdig @127.0.0.1 -p $1 +dnssec +noall +answer +timeout=1 +retry=0 big.test SOA 2>/dev/null | grep -q RRSIG && { since $t0; return; }
		kill -0 $2 2>/dev/null || { echo died; return; }
		sleep 0.1; done; echo timeout; }
awk -v n=$n 'BEGIN { print "$ORIGIN big.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 900 1209600 300\n@ NS ns1\nns1 A 192.0.2.1";
	for (i = 0; i < n / 2; i++) printf "h%d A 10.%d.%d.%d\nh%d TXT \"record %d\"\n", i, int(i/65536)%256, int(i/256)%256, i%256, i, i }' > $w/big.zone
echo "zone: $(grep -c . $w/big.zone) lines"
mkdir -m 700 $w/s
t0=$(date +%s.%N); "$top/tools/dnsctl" -D $w/s zone add big.test --file $w/big.zone --dnssec default >/dev/null; add=$(since $t0)
t0=$(date +%s.%N); "$top/dnsd/dnsd" -D $w/s -l 127.0.0.1@5431 -f 2>$w/dnsd.log & dp=$!
l=$(wait_signed 5431 $dp); r=$(awk '/VmHWM/{printf "%.0f", $2/1024}' /proc/$dp/status); kill $dp; wait $dp 2>/dev/null
echo "dnsd: add ${add}s, signed and answering after ${l}s, peak RSS ${r} MB"
mkdir -p $w/k/db $w/k/keys
printf '%s\n' "server:" "  rundir: $w/k" "  listen: 127.0.0.1@5432" "database:" "  storage: $w/k/db" \
	"log:" "  - target: stderr" "    any: error" "policy:" "  - id: p" "    algorithm: ecdsap256sha256" \
	"    nsec3: on" "    nsec3-iterations: 0" "    nsec3-salt-length: 0" "template:" "  - id: default" \
	"    storage: $w" "    zonefile-sync: -1" "    journal-content: none" "    dnssec-signing: on" \
	"    dnssec-policy: p" "zone:" "  - domain: big.test" "    file: big.zone" > $w/k/knot.conf
t0=$(date +%s.%N); knotd -c $w/k/knot.conf 2>$w/knot.log & kp=$!
l=$(wait_signed 5432 $kp); r=$(awk '/VmHWM/{printf "%.0f", $2/1024}' /proc/$kp/status); kill $kp; wait $kp 2>/dev/null
echo "knot: signed and answering after ${l}s, peak RSS ${r} MB"
