#!/bin/bash
# diff_knot.sh - differential test: dnsd against Knot DNS (knotd) on the same zones.
#
# Serves every diffzones/NAME.zone unsigned from knotd (the reference) and from
# dnsd, sends every query of diffqueries.txt to both (dnsdiff.py) and prints
# TAP: a few setup lines, one line per query, a final liveness check.
#
# Usage:
#   tests/integration/diff_knot.sh                 # knotd vs dnsd
#   tests/integration/diff_knot.sh --ref-only      # knotd vs a second knotd (harness check)
#   tests/integration/diff_knot.sh --ref-only=nsd  # knotd vs nsd (NSD 4.6 differs on 7
#                                                  # truncated referrals: RFC 9471 glue)
#   tests/integration/diff_knot.sh --keep          # keep the temp dir (logs, configs)
#
# Environment:
#   top_builddir   build tree (default: this script's ../..)
#   DNSD, DNSCTL   binaries (default: $top_builddir/dnsd/dnsd, $top_builddir/tools/dnsctl)
#   DNSD_ARGS      extra arguments for dnsd (e.g. "-c /path/dnsd.conf")
#   KNOTD, NSD     reference binaries (default: knotd, nsd from PATH or /usr/sbin)
#   DT_KEEP_TMP=1  same as --keep
#   DIFF_QUERIES   another query file (default: diffqueries.txt beside this script)
#   DT_SKIP_STATUS exit status for a skip (default 77; automake's tap-driver.sh reports a
#                  non-zero exit as ERROR unless given --ignore-exit, so a Makefile using it
#                  sets DT_SKIP_STATUS=0: the "1..0 # SKIP" plan alone then makes it a SKIP)
#
# Exit: 77 (skip, with "1..0 # SKIP ...") when knotd, kdig, python3-dnspython or
# the dnsd binaries are missing; otherwise 0, and the TAP lines tell the result.
# Needs: apt-get install -y knot knot-dnsutils python3-dnspython  (nsd for --ref-only=nsd)

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

PY=/usr/bin/python3
top_builddir=${top_builddir:-$here/../..}
DNSD=${DNSD:-$top_builddir/dnsd/dnsd}
DNSCTL=${DNSCTL:-$top_builddir/tools/dnsctl}
KNOTD=${KNOTD:-$(command -v knotd || echo /usr/sbin/knotd)}
NSD=${NSD:-$(command -v nsd || echo /usr/sbin/nsd)}
QUERIES=${DIFF_QUERIES:-$here/diffqueries.txt}
ZONESRC=$here/diffzones

mode=dnsd
for arg in "$@"; do
	case $arg in
	--ref-only | --ref-only=knot) mode=knot ;;
	--ref-only=nsd) mode=nsd ;;
	--keep) DT_KEEP_TMP=1 ;;
	-h | --help)
		sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*)
		echo "usage: $0 [--ref-only[=knot|nsd]] [--keep]" >&2
		exit 2
		;;
	esac
done

# ---------------------------------------------------------------- prerequisites
[ -x "$PY" ] || dt_skip "$PY not found"
[ -x "$KNOTD" ] || dt_skip "knotd not found (apt-get install knot)"
dt_need kdig
"$PY" -c 'import dns.message, dns.zone' 2>/dev/null ||
	dt_skip "python3-dnspython not installed (apt-get install python3-dnspython)"
case $mode in
dnsd)
	[ -x "$DNSD" ] || dt_skip "dnsd not built yet ($DNSD missing)"
	[ -x "$DNSCTL" ] || dt_skip "dnsctl not built yet ($DNSCTL missing)"
	test_name=dnsd
	;;
knot) test_name=knotd2 ;;
nsd)
	[ -x "$NSD" ] || dt_skip "nsd not found (apt-get install nsd)"
	test_name=nsd
	;;
esac

nqueries=$("$PY" "$here/dnsdiff.py" --count --queries "$QUERIES") ||
	dt_bail "cannot read $QUERIES"

dt_tmpdir
T=$DT_TMP
mkdir -p "$T/zones" "$T/knot" || dt_bail "cannot write $T"
zones=()
for f in "$ZONESRC"/*.zone; do
	cp "$f" "$T/zones/" || dt_bail "cannot copy $f"
	z=$(basename "$f" .zone)
	zones+=("${z%.}.")
done
[ ${#zones[@]} -gt 0 ] || dt_bail "no zones in $ZONESRC"

dt_free_port PORT_REF || dt_bail "no free port"
dt_free_port PORT_TEST || dt_bail "no free port"
echo "# reference knotd on 127.0.0.1@$PORT_REF, $test_name on 127.0.0.1@$PORT_TEST"
echo "# ${#zones[@]} zones, $nqueries queries from $(basename "$QUERIES")"

# knot_conf DIR PORT: a knotd config serving all zones unsigned, nothing written back
knot_conf() {
	local dir=$1 port=$2 z
	mkdir -p "$dir"
	{
		cat <<EOF
server:
    rundir: "$dir"
    pidfile: "$dir/knot.pid"
    listen: 127.0.0.1@$port
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
    udp-max-payload: 1232
log:
  - target: stderr
    any: info
database:
    storage: "$dir"
template:
  - id: default
    storage: "$T/zones"
    file: "%s.zone"
    dnssec-signing: off
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
EOF
		for z in "${zones[@]}"; do
			echo "  - domain: $z"
		done
	} >"$dir/knot.conf"
}

# wait_all NAME PID PORT: every zone answers SOA with NOERROR+AA
wait_all() {
	local name=$1 pid=$2 port=$3 z rc
	for z in "${zones[@]}"; do
		dt_wait_dns 127.0.0.1 "$port" "$z" 10 "$pid"
		rc=$?
		if [ $rc -ne 0 ]; then
			[ $rc -eq 2 ] && echo "# $name exited" || echo "# $name does not answer SOA $z on port $port"
			return 1
		fi
	done
	return 0
}

# ---------------------------------------------------------------- reference: knotd
knot_conf "$T/knot" "$PORT_REF"
dt_start knotd "$T/knot/knotd.log" "$KNOTD" -c "$T/knot/knot.conf"
KNOT_PID=$DT_PID
if ! wait_all knotd "$KNOT_PID" "$PORT_REF"; then
	dt_log_tail "$T/knot/knotd.log"
	dt_bail "reference knotd did not start"
fi

# ---------------------------------------------------------------- server under test
setup_ok=1
case $mode in
dnsd)
	STATE=$T/dnsd-state
	mkdir -p "$STATE"
	for z in "${zones[@]}"; do
		f="$T/zones/${z%.}.zone"
		if out=$("$DNSCTL" -D "$STATE" zone add "$z" --file "$f" --dnssec off 2>&1); then
			dt_ok "dnsctl zone add $z"
		else
			dt_not_ok "dnsctl zone add $z"
			printf '%s\n' "$out" | dt_diag -
		fi
	done
	# shellcheck disable=SC2086
	dt_start dnsd "$T/dnsd.log" "$DNSD" -D "$STATE" -l "127.0.0.1@$PORT_TEST" -f ${DNSD_ARGS:-}
	TEST_PID=$DT_PID
	TEST_LOG=$T/dnsd.log
	;;
knot)
	knot_conf "$T/knot2" "$PORT_TEST"
	dt_start knotd2 "$T/knot2/knotd.log" "$KNOTD" -c "$T/knot2/knot.conf"
	TEST_PID=$DT_PID
	TEST_LOG=$T/knot2/knotd.log
	;;
nsd)
	mkdir -p "$T/nsd"
	{
		cat <<EOF
server:
    ip-address: 127.0.0.1@$PORT_TEST
    port: $PORT_TEST
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$T/zones"
    database: ""
    zonelistfile: "$T/nsd/zone.list"
    xfrdfile: "$T/nsd/xfrd.state"
    xfrdir: "$T/nsd"
    pidfile: "$T/nsd/nsd.pid"
    verbosity: 1
    hide-version: yes
    minimal-responses: yes
remote-control:
    control-enable: no
EOF
		for z in "${zones[@]}"; do
			printf 'zone:\n    name: "%s"\n    zonefile: "%s.zone"\n' "$z" "${z%.}"
		done
	} >"$T/nsd/nsd.conf"
	dt_start nsd "$T/nsd/nsd.log" "$NSD" -d -c "$T/nsd/nsd.conf"
	TEST_PID=$DT_PID
	TEST_LOG=$T/nsd/nsd.log
	;;
esac

if wait_all "$test_name" "$TEST_PID" "$PORT_TEST"; then
	dt_ok "$test_name answers SOA for all ${#zones[@]} zones on 127.0.0.1@$PORT_TEST"
else
	dt_not_ok "$test_name answers SOA for all ${#zones[@]} zones on 127.0.0.1@$PORT_TEST"
	dt_log_tail "$TEST_LOG" 40
	setup_ok=0
fi

# ---------------------------------------------------------------- the differential queries
if [ $setup_ok = 1 ]; then
	"$PY" "$here/dnsdiff.py" --ref "127.0.0.1@$PORT_REF" --test "127.0.0.1@$PORT_TEST" \
		--ref-name knotd --test-name "$test_name" \
		--queries "$QUERIES" --zones "$T/zones" \
		--start $((DT_TAPNUM + 1)) --no-plan --timeout 1.5 --deadline 35 >"$T/dnsdiff.tap" 2>&1
	rc=$?
	cat "$T/dnsdiff.tap"
	got=$(grep -cE '^(not )?ok ' "$T/dnsdiff.tap")
	DT_TAPNUM=$((DT_TAPNUM + got))
	if [ $rc -ne 0 ] || [ "$got" -ne "$nqueries" ]; then
		# a crash of dnsdiff.py leaves fewer lines: make it visible
		while [ "$got" -lt "$nqueries" ]; do
			dt_not_ok "dnsdiff.py stopped early (exit $rc)"
			got=$((got + 1))
		done
	fi
	if grep -q '^not ok' "$T/dnsdiff.tap"; then
		dt_log_tail "$TEST_LOG" 30
	fi
else
	# the server is not there: the query lines all fail, without asking
	for ((i = 0; i < nqueries; i++)); do
		dt_not_ok "query $((i + 1)) not asked: $test_name did not start"
	done
fi

if dt_alive "$TEST_PID"; then
	dt_ok "$test_name still running after the queries"
else
	dt_not_ok "$test_name still running after the queries"
	dt_log_tail "$TEST_LOG" 40
fi
if dt_alive "$KNOT_PID"; then
	dt_ok "reference knotd still running after the queries"
else
	dt_not_ok "reference knotd still running after the queries"
	dt_log_tail "$T/knot/knotd.log"
fi
echo "1..$DT_TAPNUM"
exit 0
