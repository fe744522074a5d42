#!/bin/bash
# flood.sh - DESIGN.md 4: "Bad input (any packet) gives a correct error
# response or a silent drop, never a crash, a hang or unbounded memory."
# Serves the differential zones, then sends 1,000,000+ random and malformed
# datagrams (random bytes, truncated and bit-flipped queries, huge label
# counts, compression loops, bad OPT records, responses) and hundreds of TCP
# connections carrying garbage and partial frames (tests/integration/flood.c).
# Afterwards dnsd must still run, hold no more memory than before (VmRSS
# within 10%, measured after a warm-up that touches every buffer once), and
# give the exact known answers over UDP and TCP.
# Then TCP clients that never read their answers: what dnsd queues for each
# must stay bounded.
#   FLOOD_PACKETS (default 1000000), FLOOD_TCP_CONNS (default 200) and
#   FLOOD_SLOW_CONNS (default 100) scale it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
top_builddir=${top_builddir:-$here/../..}
DNSD=${DNSD:-$top_builddir/dnsd/dnsd}
DNSCTL=${DNSCTL:-$top_builddir/tools/dnsctl}
CC=${CC:-cc}
PACKETS=${FLOOD_PACKETS:-1000000}
CONNS=${FLOOD_TCP_CONNS:-200}
SLOW=${FLOOD_SLOW_CONNS:-100}
dt_need kdig "$CC"
[ -x "$DNSD" ] && [ -x "$DNSCTL" ] || dt_skip "dnsd/dnsctl not built"
dt_tmpdir
S=$DT_TMP/state
t_start=$(date +%s)

expect_eq() { # DESC GOT WANT
	if [ "$2" = "$3" ]; then dt_ok "$1"; else
		dt_not_ok "$1"
		printf '%s\n' "$2" | sed 's/^/#   got:      /'
		printf '%s\n' "$3" | sed 's/^/#   expected: /'
	fi
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

if ! "$CC" -std=gnu11 -O2 -Wall -o "$DT_TMP/flood" "$here/flood.c" 2>"$DT_TMP/cc.log"; then
	dt_diag "$DT_TMP/cc.log"
	dt_bail "cannot compile flood.c"
fi
for f in "$here"/diffzones/*.zone; do
	z=$(basename "$f" .zone)
	"$DNSCTL" -D "$S" zone add "$z" --file "$f" --dnssec off >"$DT_TMP/add.log" 2>&1 ||
		{ dt_diag "$DT_TMP/add.log"; dt_bail "cannot add zone $z"; }
done

dt_free_port P
dt_start dnsd "$DT_TMP/dnsd.log" "$DNSD" -D "$S" -l 127.0.0.1@$P -f
DPID=$DT_PID
if ! dt_wait_dns 127.0.0.1 "$P" example.test 10 "$DPID"; then
	dt_log_tail "$DT_TMP/dnsd.log"
	dt_bail "dnsd does not answer"
fi
rss_start=$(rss_kb $DPID)

flood() { # MODE COUNT SEED: run flood.c, its figures as TAP comments
	local out
	out=$("$DT_TMP/flood" "$1" "$P" "$2" "$3" 2>&1)
	echo "# flood $1 $2 (seed $3): $out"
	printf '%s\n' "$out" >"$DT_TMP/last.out"
}
# warm-up: every worker buffer and the TCP path used once, so the figures
# below measure growth, not first use
flood udp 100000 1
flood tcp "$CONNS" 1
sleep 0.5
rss_before=$(rss_kb $DPID)

t0=$(date +%s.%N)
flood udp "$PACKETS" 2
udp_out=$(cat "$DT_TMP/last.out")
flood tcp "$CONNS" 2
flood tcp "$CONNS" 3
t1=$(date +%s.%N)
sleep 0.5
rss_after=$(rss_kb $DPID)

sent=$(printf '%s\n' "$udp_out" | sed -n 's/.*sent=\([0-9]*\).*/\1/p')
bad=$(printf '%s\n' "$udp_out" | sed -n 's/.*bad_answers=\([0-9]*\).*/\1/p')
took=$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")
echo "# flood: ${sent:-?} datagrams + $((2 * CONNS)) TCP connections in $took s"
echo "# VmRSS: ${rss_start:-?} kB after start, ${rss_before:-?} kB after the warm-up," \
	"${rss_after:-?} kB after the flood"

if dt_alive $DPID; then dt_ok "dnsd still runs after the flood"; else
	dt_not_ok "dnsd still runs after the flood"
	dt_log_tail "$DT_TMP/dnsd.log"
fi
if [ "${sent:-0}" -ge "$PACKETS" ]; then dt_ok "sent all $PACKETS datagrams"; else
	dt_not_ok "sent all $PACKETS datagrams (sent ${sent:-none})"; fi
expect_eq "every answer parses, within 512 octets (1232 with EDNS)" "${bad:-?}" 0
if [ -n "$rss_before" ] && [ -n "$rss_after" ] &&
	[ $((rss_after * 100)) -le $((rss_before * 110)) ] &&
	[ $((rss_after * 100)) -ge $((rss_before * 90)) ]; then
	dt_ok "VmRSS within 10% ($rss_before kB -> $rss_after kB)"
else
	dt_not_ok "VmRSS within 10% (${rss_before:-?} kB -> ${rss_after:-?} kB)"
fi

# TCP clients that pipeline queries with large answers and never read them:
# dnsd keeps per connection its read buffer (64 KiB), at most WQ_MAX (256 KiB)
# of unsent answers and the answer being written (64 KiB) -- 512 KiB is ample.
slow=$("$DT_TMP/flood" slow "$P" "$SLOW" "$DPID" 2>&1)
echo "# flood slow $SLOW: $slow"
per=$(printf '%s\n' "$slow" | sed -n 's/.*per_conn_kb=\([-0-9]*\).*/\1/p')
if [ -n "$per" ] && [ "$per" -le 512 ]; then
	dt_ok "a TCP client that never reads holds at most 512 KiB in dnsd ($per KiB)"
else
	dt_not_ok "a TCP client that never reads holds at most 512 KiB in dnsd (${per:-?} KiB)"
fi
if dt_alive $DPID; then dt_ok "dnsd still runs after the slow readers"; else
	dt_not_ok "dnsd still runs after the slow readers"
	dt_log_tail "$DT_TMP/dnsd.log"
fi

q() { kdig @127.0.0.1 -p "$P" +norec +time=2 +retry=1 "$@"; }
sorted() { q +short "$@" | sort; }
expect_eq "www.example.test A" "$(sorted www.example.test A)" "$(printf '192.0.2.80\n192.0.2.81')"
expect_eq "example.test SOA" "$(q +short example.test SOA)" \
	"ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300"
expect_eq "mail.example.test AAAA" "$(q +short mail.example.test AAAA)" "2001:db8::25"
expect_eq "wildcard TXT" "$(q +short x.wild.example.test TXT)" '"wildcard"'
expect_eq "CNAME chain" "$(q +short c1.example.test A | sort)" \
	"$(printf '%s\n' 192.0.2.80 192.0.2.81 c2.example.test. c3.example.test. www.example.test. |
		sort)"
expect_eq "NXDOMAIN" "$(q nope.example.test A | grep -o 'status: [A-Z]*')" "status: NXDOMAIN"
expect_eq "outside our zones: REFUSED" "$(q www.example.org A | grep -o 'status: [A-Z]*')" \
	"status: REFUSED"
expect_eq "PTR in the reverse zone" "$(q +short 80.2.0.192.in-addr.arpa PTR)" "www.example.test."
expect_eq "DNAME target zone" "$(q +short www.target.test AAAA)" "2001:db8:7::150"
expect_eq "TCP: other.test TXT" "$(q +tcp +short www.other.test TXT)" '"www in other"'
expect_eq "TCP: 12 TXT records of huge-txt" "$(q +tcp +short huge-txt.example.test TXT | wc -l)" 12
expect_eq "UDP: huge-txt truncated" \
	"$(q +ignore huge-txt.example.test TXT | grep -io 'flags: qr aa tc')" \
	"Flags: qr aa tc"

t_end=$(date +%s)
echo "# flood.sh took $((t_end - t_start)) s"
echo "1..$DT_TAPNUM"
