#!/bin/bash
# protocol.sh - DNS protocol mechanics of the real dnsd (diff_knot.sh covers the
# answers themselves): EDNS (RFC 6891), NSID (RFC 5001), cookies (RFC 7873,
# RFC 9018), header and opcode handling (RFC 1035), TCP framing, pipelining,
# idle timeout, keepalive and the connection limit (RFC 7766, RFC 7828),
# IPv6 transport, and dnsd's command line and config errors.
#
# Starts dnsd on a free 127.0.0.1 port (and a second one on ::1 when the host
# has it) with a config holding
#     nsid test-ns1 / tcp-idle-timeout 2 / tcp-max-clients 5
# and one small zone; protocol.py sends hand-built (also malformed) messages
# and prints TAP lines, a failing line prints what it got and what it expected.
#
# Usage: tests/integration/protocol.sh [--keep]      (about 10 s)
# Environment: top_builddir, DNSD, DNSCTL, DT_KEEP_TMP=1 (keep the temp dir),
#              DT_SKIP_STATUS (see diff_knot.sh).
# Exit: 77 with "1..0 # SKIP ..." when python3 or the binaries are missing;
# otherwise 0, and the TAP lines tell the result.
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
[ -x "$PY" ] || dt_skip "$PY not found"
dt_need kdig
{ [ -x "$DNSD" ] && [ -x "$DNSCTL" ]; } || dt_skip "dnsd/dnsctl not built"
dt_tmpdir
T=$DT_TMP

expect_eq() { # DESC GOT WANT
	if [ "$2" = "$3" ]; then
		dt_ok "$1"
	else
		dt_not_ok "$1"
		printf '%s\n' "got:" "$2" "expected:" "$3" | dt_diag -
	fi
}

# ---------------------------------------------------------------- zone and config
{
	cat <<'Z'
$ORIGIN example.test.
$TTL 300
@	SOA	ns1 hostmaster 2026010100 3600 900 1209600 60
@	NS	ns1
ns1	A	192.0.2.1
www	A	192.0.2.2
Z
	# mid: 4 TXT of 80 octets (an answer of ~400 octets: fits in 512)
	# big: 20 TXT of 60 octets (~1.5 KB: more than 512 and than 1232)
	# (the same strings as MID_TXT / BIG_TXT in protocol.py)
	for i in 0 1 2 3; do
		s="mid-$i-$(printf 'm%.0s' $(seq 80))"
		echo "mid	TXT	\"${s:0:80}\""
	done
	for i in $(seq -w 0 19); do
		s="big-$i-$(printf 'b%.0s' $(seq 60))"
		echo "big	TXT	\"${s:0:60}\""
	done
	# fill-00..fill-11: one TXT of 380, 388, ... 468 octets of RDATA (two strings):
	# with NSID and a cookie the answers cross 512 octets
	for i in $(seq 0 11); do
		n=$((380 + 8 * i - 255 - 1))
		echo "fill-$(printf %02d "$i")	TXT	\"$(printf 'f%.0s' $(seq 254))\" \"$(printf 'g%.0s' $(seq "$n"))\""
	done
} >"$T/example.zone"
cat >"$T/dnsd.conf" <<'C'
# protocol.sh
nsid test-ns1
tcp-idle-timeout 2
tcp-max-clients 5
C

add_zone() { # STATEDIR
	if out=$("$DNSCTL" -D "$1" zone add example.test --file "$T/example.zone" --dnssec off 2>&1); then
		return 0
	fi
	printf '%s\n' "$out" | dt_diag -
	return 1
}

add_zone "$T/state" || dt_bail "dnsctl zone add example.test failed"
dt_free_port P || dt_bail "no free port"
dt_start dnsd "$T/dnsd.log" "$DNSD" -c "$T/dnsd.conf" -D "$T/state" -l "127.0.0.1@$P" -f
DPID=$DT_PID
if dt_wait_dns 127.0.0.1 "$P" example.test 10 "$DPID"; then
	dt_ok "dnsd answers on 127.0.0.1@$P (config: nsid, tcp-idle-timeout 2, tcp-max-clients 5)"
else
	dt_not_ok "dnsd answers on 127.0.0.1@$P"
	dt_log_tail "$T/dnsd.log"
	dt_bail "dnsd did not start"
fi

# ---------------------------------------------------------------- IPv6: a second dnsd on ::1
P6=0
skip6=
P6=$("$PY" - <<'EOF' 2>/dev/null
import socket
for _ in range(50):
    try:
        t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        t.bind(("::1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        u.bind(("::1", port))
    except OSError:
        continue
    u.close()
    t.close()
    print(port)
    break
EOF
) || P6=0
if [ -z "$P6" ] || [ "$P6" = 0 ]; then
	P6=0
	skip6="::1 is not usable on this host"
else
	mkdir -p "$T/state6"
	if add_zone "$T/state6"; then
		dt_start dnsd6 "$T/dnsd6.log" "$DNSD" -c "$T/dnsd.conf" -D "$T/state6" -l "::1@$P6" -f
		D6PID=$DT_PID
		if dt_wait_dns ::1 "$P6" example.test 10 "$D6PID"; then
			dt_ok "dnsd -l ::1@$P6 starts and answers"
		else
			dt_not_ok "dnsd -l ::1@$P6 starts and answers"
			dt_log_tail "$T/dnsd6.log"
			P6=0
			skip6="dnsd on ::1 did not start"
		fi
	else
		dt_not_ok "dnsctl zone add for the ::1 instance"
		P6=0
		skip6="no state for the ::1 instance"
	fi
fi

# ---------------------------------------------------------------- the protocol checks
"$PY" "$here/protocol.py" --addr 127.0.0.1 --port "$P" --port6 "$P6" --skip6 "$skip6" \
	--start $((DT_TAPNUM + 1)) --count-file "$T/count" >"$T/protocol.tap" 2>&1
rc=$?
cat "$T/protocol.tap"
n=$(cat "$T/count" 2>/dev/null || echo 0)
DT_TAPNUM=$((DT_TAPNUM + n))
if [ $rc -ne 0 ] || [ "$n" -eq 0 ]; then
	dt_not_ok "protocol.py exited $rc after $n checks"
fi
if grep -q '^not ok' "$T/protocol.tap"; then
	dt_log_tail "$T/dnsd.log" 20
fi

if dt_alive "$DPID"; then dt_ok "dnsd still running after all the checks"; else
	dt_not_ok "dnsd still running after all the checks"
	dt_log_tail "$T/dnsd.log"
fi

# ---------------------------------------------------------------- command line and config errors
printf '%s\n' '# a config with an unknown key on line 3' 'nsid x' 'no-such-key 1' >"$T/bad.conf"
"$DNSD" -c "$T/bad.conf" -D "$T/state" -l 127.0.0.1@1 -f >"$T/out" 2>"$T/err" </dev/null
rc=$?
expect_eq "config with an unknown key: exit 1, one stderr line naming FILE:LINE and the key" \
	"$rc|$(wc -l <"$T/err")|$(grep -c "^dnsd: $T/bad.conf:3: .*no-such-key" "$T/err")|$(wc -c <"$T/out")" \
	"1|1|1|0"
printf '%s\n' 'tcp-idle-timeout 0' >"$T/bad2.conf"
"$DNSD" -c "$T/bad2.conf" -D "$T/state" -l 127.0.0.1@1 -f >/dev/null 2>"$T/err" </dev/null
rc=$?
expect_eq "config value out of range: exit 1, one line naming FILE:1" \
	"$rc|$(wc -l <"$T/err")|$(grep -c "^dnsd: $T/bad2.conf:1: " "$T/err")" "1|1|1"
"$DNSD" -c "$T/nonexistent.conf" -D "$T/state" -l 127.0.0.1@1 -f >/dev/null 2>"$T/err" </dev/null
rc=$?
expect_eq "-c with a missing file: exit 1, one line naming it" \
	"$rc|$(wc -l <"$T/err")|$(grep -c "$T/nonexistent.conf" "$T/err")" "1|1|1"
for bad in 999.1.1.1@53 127.0.0.1@0 127.0.0.1@65536 127.0.0.1@ not-an-address; do
	"$DNSD" -c "$T/dnsd.conf" -D "$T/state" -l "$bad" -f >/dev/null 2>"$T/err" </dev/null
	rc=$?
	expect_eq "-l $bad: exit 2, one line quoting it" \
		"$rc|$(wc -l <"$T/err")|$(grep -cF "'$bad'" "$T/err")" "2|1|1"
done
"$DNSD" --help >"$T/out" 2>"$T/err" </dev/null
rc=$?
expect_eq "dnsd --help: exit 0, usage on stdout, nothing on stderr" \
	"$rc|$(head -n1 "$T/out" | cut -c1-11)|$(wc -c <"$T/err")" "0|usage: dnsd|0"
"$DNSD" --no-such-option >"$T/out" 2>"$T/err" </dev/null
expect_eq "dnsd with an unknown option: exit 2, one line naming it on stderr" \
	"$?|$(cat "$T/err")" "2|dnsd: unknown option '--no-such-option' (see dnsd --help)"

echo "1..$DT_TAPNUM"
exit 0
