#!/bin/bash
# resign_diff.sh - in a signed zone of 10,000 records, one change re-signs only
# what it touches: exports before and after differ only in the changed RRset
# and its RRSIG, the NSEC3 records (with RRSIGs) of the chain links it touches,
# and the SOA with its RRSIG; the zone still validates.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
top_builddir=${top_builddir:-$here/../..}
DNSD=${DNSD:-$top_builddir/dnsd/dnsd}
DNSCTL=${DNSCTL:-$top_builddir/tools/dnsctl}
dt_need kdig ldns-verify-zone
[ -x "$DNSD" ] && [ -x "$DNSCTL" ] || dt_skip "dnsd/dnsctl not built"
dt_tmpdir
S=$DT_TMP/state
ctl() { "$DNSCTL" -D "$S" "$@"; }
{
	printf '$ORIGIN big.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 900 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n'
	for i in $(seq 1 3333); do
		printf 'h%d A 198.51.%d.%d\nh%d TXT "host %d"\nh%d AAAA 2001:db8::%x\n' $i $((i / 250)) $((i % 250)) $i $i $i $i
	done
} > "$DT_TMP/big.zone"
ctl zone add big.test --file "$DT_TMP/big.zone" --dnssec default >/dev/null
dt_free_port P
dt_start dnsd "$DT_TMP/dnsd.log" "$DNSD" -D "$S" -l 127.0.0.1@$P -f
dt_wait_dns 127.0.0.1 "$P" big.test 30 "$DT_PID" || dt_log_tail "$DT_TMP/dnsd.log"
n=$(grep -c . "$DT_TMP/big.zone")
ctl zone export big.test -o "$DT_TMP/e0.zone"
expect() { # DESC BEFORE AFTER OWNER-LIST-ALLOWED... : python classifies the difference
	/usr/bin/python3 - "$@" <<'PY'
import sys
desc, a, b, allowed = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4:])
def rrs(path):
    out = set()
    for line in open(path):
        f = line.split()
        if len(f) < 5: continue
        out.add((f[0].lower(), f[3], f[4] if f[3] == "RRSIG" else "", " ".join(f[1:2] + f[4:])))
    return out
x, y = rrs(a), rrs(b)
diff = x ^ y
keys = set()
bad = []
for owner, t, cov, _ in diff:
    k = t if t != "RRSIG" else "RRSIG " + cov
    ok = (owner + " " + (cov or t)) in allowed or (t in ("NSEC3",) or cov == "NSEC3") and "NSEC3" in allowed
    keys.add(owner + " " + k)
    if not ok: bad.append(owner + " " + k)
nsec3_owners = {o for o, t, c, _ in diff if t == "NSEC3" or c == "NSEC3"}
maxn3 = int([s for s in allowed if s.startswith("max-nsec3=")][0].split("=")[1]) if any(s.startswith("max-nsec3=") for s in allowed) else 0
if bad or len(nsec3_owners) > maxn3:
    print("not ok - %s" % desc)
    for k in sorted(bad)[:20]: print("#   unexpected change:", k)
    print("#   NSEC3 owners changed: %d (at most %d)" % (len(nsec3_owners), maxn3))
else:
    print("ok - %s (%d RRs differ: %s)" % (desc, len(diff), ", ".join(sorted(keys))))
PY
}
# 1. one more address in an existing RRset: no chain link changes
ctl record add big.test h1234 300 A 203.0.113.7 >/dev/null
ctl zone export big.test -o "$DT_TMP/e1.zone"
expect "added A to h1234 of $n records: only h1234 A and the SOA differ, with their RRSIGs" \
	"$DT_TMP/e0.zone" "$DT_TMP/e1.zone" "big.test. SOA" "h1234.big.test. A" max-nsec3=0 | sed "s/^ok -/ok $((DT_TAPNUM + 1)) -/;s/^not ok -/not ok $((DT_TAPNUM + 1)) -/"
DT_TAPNUM=$((DT_TAPNUM + 1))
# 2. a new name: its NSEC3 and the one before it in the chain change
ctl record add big.test newhost 300 A 203.0.113.8 >/dev/null
ctl zone export big.test -o "$DT_TMP/e2.zone"
expect "added the name newhost: its A, the SOA and two NSEC3 (new, and its predecessor)" \
	"$DT_TMP/e1.zone" "$DT_TMP/e2.zone" "big.test. SOA" "newhost.big.test. A" NSEC3 max-nsec3=2 | sed "s/^ok -/ok $((DT_TAPNUM + 1)) -/;s/^not ok -/not ok $((DT_TAPNUM + 1)) -/"
DT_TAPNUM=$((DT_TAPNUM + 1))
if ldns-verify-zone "$DT_TMP/e2.zone" >"$DT_TMP/v" 2>&1; then dt_ok "the changed zone validates (ldns-verify-zone)"
else dt_not_ok "the changed zone validates"; dt_log_tail "$DT_TMP/v" 10; fi
echo "1..$DT_TAPNUM"
