#!/bin/bash
# basic.sh - dnsd and dnsctl as an operator uses them: add a zone, serve it,
# change it while dnsd runs (served within a second, serial up), refuse bad
# input without changing anything, remove it, restart, reload, stop.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
top_builddir=${top_builddir:-$here/../..}
DNSD=${DNSD:-$top_builddir/dnsd/dnsd}
DNSCTL=${DNSCTL:-$top_builddir/tools/dnsctl}
dt_need kdig
[ -x "$DNSD" ] && [ -x "$DNSCTL" ] || dt_skip "dnsd/dnsctl not built"
dt_tmpdir
S=$DT_TMP/state
ctl() { "$DNSCTL" -D "$S" "$@"; }
check() { # DESC CMD... : ok when CMD succeeds
	local d=$1; shift
	if "$@" >"$DT_TMP/out" 2>&1; then dt_ok "$d"; else dt_not_ok "$d"; dt_diag "$DT_TMP/out"; fi
}
expect_eq() { # DESC GOT WANT
	if [ "$2" = "$3" ]; then dt_ok "$1"; else dt_not_ok "$1"; echo "#   got:      '$2'"; echo "#   expected: '$3'"; fi
}

cat > "$DT_TMP/ex.zone" <<'Z'
$ORIGIN example.test.
$TTL 300
@	SOA	ns1 hostmaster 2026010100 3600 900 1209600 60
@	NS	ns1
ns1	A	192.0.2.1
www	A	192.0.2.2
mail	MX	10 ns1
Z
check "zone add from a file" ctl zone add example.test --file "$DT_TMP/ex.zone" --dnssec off
expect_eq "state dir created 0700" "$(stat -c %a "$S")" 700
ctl zone add example.test --file "$DT_TMP/ex.zone" --dnssec off >/dev/null 2>"$DT_TMP/err"
expect_eq "adding it twice is refused" "$?:$(cat "$DT_TMP/err")" \
	"1:dnsctl: zone example.test. already exists (use zone import to replace its records)"
printf '%s\n' '$ORIGIN bad.test.' '@ 300 SOA ns1 h 1 2 3 4 5' '@ 300 NS ns1' 'www 300 A 192.0.2.999' > "$DT_TMP/bad.zone"
ctl zone add bad.test --file "$DT_TMP/bad.zone" --dnssec off >/dev/null 2>"$DT_TMP/err"
rc=$?
expect_eq "unparsable zone file refused, names file and line" \
	"$rc:$(grep -c "bad.zone:4:" "$DT_TMP/err")" "1:1"
expect_eq "and nothing stored" "$(ctl zone list)" "example.test."

dt_free_port P
dt_start dnsd "$DT_TMP/dnsd.log" "$DNSD" -D "$S" -l 127.0.0.1@$P -f
DPID=$DT_PID
if dt_wait_dns 127.0.0.1 "$P" example.test 10 "$DPID"; then dt_ok "dnsd answers"; else dt_not_ok "dnsd answers"; dt_log_tail "$DT_TMP/dnsd.log"; fi
q() { kdig @127.0.0.1 -p "$P" +norec +timeout=2 +retry=0 "$@"; }
expect_eq "A record served" "$(q +short www.example.test A)" "192.0.2.2"
expect_eq "serial from the zone file" "$(q +short example.test SOA | awk '{print $3}')" 2026010100
expect_eq "the same answer over TCP" "$(q +tcp +short www.example.test A)" "192.0.2.2"

# second dnsd on the same port: refused, not silently sharing it
"$DNSD" -D "$DT_TMP/state2" -l 127.0.0.1@$P -f >"$DT_TMP/second.log" 2>&1 &
sp=$!
sleep 1
if dt_alive $sp; then dt_not_ok "a second dnsd on a taken port exits"; kill $sp; else
	wait $sp; rc=$?
	expect_eq "a second dnsd on a taken port exits non-zero, saying why" \
		"$rc:$(grep -c "cannot listen on 127.0.0.1@$P" "$DT_TMP/second.log")" "1:1"
fi

# a second dnsd on the same state (other port): refused, it would write serials too
dt_free_port P2
"$DNSD" -D "$S" -l 127.0.0.1@$P2 -f >"$DT_TMP/third.log" 2>&1 &
sp=$!
for i in $(seq 1 30); do dt_alive $sp || break; sleep 0.1; done
if dt_alive $sp; then dt_not_ok "a second dnsd on the same state exits"; kill $sp; else
	wait $sp; rc=$?
	expect_eq "a second dnsd on the same state exits non-zero, saying why" \
		"$rc:$(grep -c "another dnsd is already serving" "$DT_TMP/third.log")" "1:1"
fi
expect_eq "dnsctl status: 1 zone" \
	"$(ctl status --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["zones"])')" 1

# a change is served as soon as dnsctl returns (it waits for dnsd over the control socket)
ctl record add example.test now 300 A 192.0.2.77 >/dev/null
expect_eq "served when dnsctl returns" "$(q +short now.example.test A)" "192.0.2.77"
ctl record del example.test now A >/dev/null
expect_eq "serial after add+del of the same record" "$(q +short example.test SOA | awk '{print $3}')" 2026010102

# a change while dnsd runs is served within a second, with a higher serial
check "record add" ctl record add example.test new 300 TXT '"v=spf1 mx -all"'
t0=$(date +%s%N); got=""
for i in $(seq 1 40); do got=$(q +short new.example.test TXT); [ -n "$got" ] && break; sleep 0.05; done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "new record served" "$got" '"v=spf1 mx -all"'
if [ "$ms" -le 1000 ]; then dt_ok "served within 1 s (${ms} ms)"; else dt_not_ok "served within 1 s (${ms} ms)"; fi
expect_eq "serial increased by one" "$(q +short example.test SOA | awk '{print $3}')" 2026010103
ctl record add example.test www 300 CNAME ns1 >/dev/null 2>"$DT_TMP/err"
expect_eq "CNAME beside an A is refused, naming the record" "$?:$(grep -c 'www.example.test. CNAME' "$DT_TMP/err")" "1:1"
ctl record add example.test www.other.test. 300 A 192.0.2.9 >/dev/null 2>"$DT_TMP/err"
expect_eq "out-of-zone record refused" "$?" 1
ctl record del example.test @ NS >/dev/null 2>"$DT_TMP/err"
expect_eq "deleting the apex NS refused" "$?:$(grep -c 'no NS records at its apex' "$DT_TMP/err")" "1:1"
expect_eq "serial unchanged by refused changes" "$(q +short example.test SOA | awk '{print $3}')" 2026010103
check "record del" ctl record del example.test new TXT
sleep 0.5
expect_eq "deleted record gone: NXDOMAIN" "$(q new.example.test TXT | grep -o 'status: [A-Z]*')" "status: NXDOMAIN"
expect_eq "serial up again" "$(q +short example.test SOA | awk '{print $3}')" 2026010104

# export -> import round trip keeps the content (and the serial does not move)
check "zone export" ctl zone export example.test -o "$DT_TMP/exported.zone"
check "zone import of the export" ctl zone import example.test "$DT_TMP/exported.zone"
sleep 0.5
expect_eq "re-import of identical content keeps the serial" "$(q +short example.test SOA | awk '{print $3}')" 2026010104
ctl zone export example.test > "$DT_TMP/exported2.zone"
check "export after import is identical" cmp "$DT_TMP/exported.zone" "$DT_TMP/exported2.zone"
expect_eq "zone show --json names the serial" \
	"$(ctl zone show example.test --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])')" 2026010104

# kill -9 (no clean shutdown, a stale control socket left behind), then a
# restart: the last committed state, with the same serial for the same content
kill -9 $DPID; wait $DPID 2>/dev/null
dt_start dnsd "$DT_TMP/dnsd2.log" "$DNSD" -D "$S" -l 127.0.0.1@$P -f
DPID=$DT_PID
dt_wait_dns 127.0.0.1 "$P" example.test 10 "$DPID" || dt_log_tail "$DT_TMP/dnsd2.log"
expect_eq "after a restart: same serial" "$(q +short example.test SOA | awk '{print $3}')" 2026010104
kill -HUP $DPID; sleep 0.3
if dt_alive $DPID && grep -q "configuration reloaded" "$DT_TMP/dnsd2.log"; then dt_ok "SIGHUP reloads"; else dt_not_ok "SIGHUP reloads"; fi

check "zone remove" ctl zone remove example.test
sleep 0.5
expect_eq "removed zone: REFUSED" "$(q www.example.test A | grep -o 'status: [A-Z]*')" "status: REFUSED"
# added again from the same file: the serial goes on from the last one served
ctl zone add example.test --file "$DT_TMP/ex.zone" --dnssec off >/dev/null
expect_eq "re-added zone: same content, the last served serial (not the file's older one)" "$(q +short example.test SOA | awk '{print $3}')" 2026010104
# an operator's higher serial is adopted, even for the same content
sed 's/2026010100/2030010100/' "$DT_TMP/ex.zone" > "$DT_TMP/ex2.zone"
ctl zone import example.test "$DT_TMP/ex2.zone" >/dev/null
expect_eq "import with a higher serial: adopted" "$(q +short example.test SOA | awk '{print $3}')" 2030010100
kill -TERM $DPID
for i in $(seq 1 50); do dt_alive $DPID || break; sleep 0.1; done
if dt_alive $DPID; then dt_not_ok "SIGTERM stops dnsd"; else wait $DPID 2>/dev/null; expect_eq "SIGTERM stops dnsd with status 0" "$?" 0; fi
echo "1..$DT_TAPNUM"
