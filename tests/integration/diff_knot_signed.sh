#!/bin/bash
# diff_knot_signed.sh - differential test of signed zones: dnsd against Knot DNS.
#
# Serves every diffzones/NAME.zone signed, by knotd (the reference, its own
# keys) and by dnsd (its own keys), sends every query of diffqueries.txt with
# the DO bit to both (dnsdiff.py --signed) and compares them as RFC 4035 and
# RFC 5155 allow (see "Signed mode" in dnsdiff.py). Twice:
#   nsec3  knotd: nsec3: on, 0 iterations, no salt, no opt-out, ECDSAP256SHA256,
#                 KSK + ZSK;  dnsd: --dnssec default (the same parameters)
#   nsec   knotd: nsec3: off;  dnsd: [policy nsec] / nsec nsec, --dnssec nsec
# Prints TAP: per pass a few setup lines, one line per query, liveness checks.
#
# Usage:
#   tests/integration/diff_knot_signed.sh                 # both passes
#   tests/integration/diff_knot_signed.sh --only=nsec3    # one pass (or --only=nsec)
#   tests/integration/diff_knot_signed.sh --ref-only      # knotd vs a second knotd
#                                                         # (harness check)
#   tests/integration/diff_knot_signed.sh --keep          # keep the temp dir
#
# Environment: as diff_knot.sh (top_builddir, DNSD, DNSCTL, DNSD_ARGS, KNOTD,
# DT_KEEP_TMP, DIFF_QUERIES, DT_SKIP_STATUS).
#
# Exit: 77 (skip, with "1..0 # SKIP ...") when knotd, kdig, python3-dnspython or
# the dnsd binaries are missing; otherwise 0, and the TAP lines tell the result.
# Needs: apt-get install -y knot knot-dnsutils python3-dnspython

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

PY=/usr/bin/python3
top_builddir=${top_builddir:-$here/../..}
DNSD=${DNSD:-$top_builddir/dnsd/dnsd}
DNSCTL=${DNSCTL:-$top_builddir/tools/dnsctl}
KNOTD=${KNOTD:-$(command -v knotd || echo /usr/sbin/knotd)}
QUERIES=${DIFF_QUERIES:-$here/diffqueries.txt}
ZONESRC=$here/diffzones

mode=dnsd
passes="nsec3 nsec"
for arg in "$@"; do
	case $arg in
	--ref-only | --ref-only=knot) mode=knot ;;
	--only=nsec3) passes=nsec3 ;;
	--only=nsec) passes=nsec ;;
	--keep) DT_KEEP_TMP=1 ;;
	-h | --help)
		sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*)
		echo "usage: $0 [--only=nsec3|nsec] [--ref-only] [--keep]" >&2
		exit 2
		;;
	esac
done

# ---------------------------------------------------------------- prerequisites
[ -x "$PY" ] || dt_skip "$PY not found"
[ -x "$KNOTD" ] || dt_skip "knotd not found (apt-get install knot)"
dt_need kdig
"$PY" -c 'import dns.message, dns.zone, dns.rdtypes.ANY.RRSIG' 2>/dev/null ||
	dt_skip "python3-dnspython not installed (apt-get install python3-dnspython)"
if [ $mode = dnsd ]; then
	[ -x "$DNSD" ] || dt_skip "dnsd not built yet ($DNSD missing)"
	[ -x "$DNSCTL" ] || dt_skip "dnsctl not built yet ($DNSCTL missing)"
	test_name=dnsd
else
	test_name=knotd2
fi

nqueries=$("$PY" "$here/dnsdiff.py" --signed --count --queries "$QUERIES") ||
	dt_bail "cannot read $QUERIES"

dt_tmpdir
T=$DT_TMP
mkdir -p "$T/zones" || dt_bail "cannot write $T"
zones=()
for f in "$ZONESRC"/*.zone; do
	cp "$f" "$T/zones/" || dt_bail "cannot copy $f"
	z=$(basename "$f" .zone)
	zones+=("${z%.}.")
done
[ ${#zones[@]} -gt 0 ] || dt_bail "no zones in $ZONESRC"
echo "# ${#zones[@]} zones, $nqueries queries from $(basename "$QUERIES") per pass, all with DO"

# knot_conf DIR PORT NSEC3(on|off): knotd signing all zones (keys in DIR, nothing
# written back to the zone files)
knot_conf() {
	local dir=$1 port=$2 nsec3=$3 z
	mkdir -p "$dir"
	{
		cat <<EOF
server:
    rundir: "$dir"
    pidfile: "$dir/knot.pid"
    listen: 127.0.0.1@$port
    udp-workers: 1
    tcp-workers: 1
    background-workers: 2
    udp-max-payload: 1232
log:
  - target: stderr
    any: info
database:
    storage: "$dir"
    kasp-db: "$dir/kasp"
keystore:
  - id: pem
    backend: pem
    config: "$dir/keys"
policy:
  - id: signed
    keystore: pem
    manual: off
    algorithm: ecdsap256sha256
    single-type-signing: off
    nsec3: $nsec3
    nsec3-iterations: 0
    nsec3-salt-length: 0
    nsec3-opt-out: off
    cds-cdnskey-publish: none
template:
  - id: default
    storage: "$T/zones"
    file: "%s.zone"
    dnssec-signing: on
    dnssec-policy: signed
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

# wait_signed NAME PID PORT NSEC3(on|off): every zone answers SOA with NOERROR+AA,
# its DNSKEY RRset with an RRSIG, and (NSEC3) an NSEC3PARAM RRset
wait_signed() {
	local name=$1 pid=$2 port=$3 nsec3=$4 z rc out n what
	for z in "${zones[@]}"; do
		dt_wait_dns 127.0.0.1 "$port" "$z" 15 "$pid"
		rc=$?
		if [ $rc -ne 0 ]; then
			[ $rc -eq 2 ] && echo "# $name exited" || echo "# $name does not answer SOA $z on port $port"
			return 1
		fi
		n=0
		while :; do
			out=$(kdig @127.0.0.1 -p "$port" +dnssec +time=1 +retry=0 "$z" DNSKEY 2>&1)
			if printf '%s\n' "$out" | grep -Eq '[[:space:]]RRSIG[[:space:]]+DNSKEY[[:space:]]'; then
				if [ "$nsec3" = off ] ||
					kdig @127.0.0.1 -p "$port" +time=1 +retry=0 +short "$z" NSEC3PARAM 2>&1 |
					grep -q '^1 0 0 -$'; then
					break
				fi
			fi
			n=$((n + 1))
			if [ $n -ge 100 ] || ! dt_alive "$pid"; then
				what="a signed DNSKEY RRset"
				[ "$nsec3" = on ] && what="$what and NSEC3PARAM 1 0 0 -"
				echo "# $name does not serve $z with $what after 10 s:"
				printf '%s\n' "$out" | dt_diag -
				return 1
			fi
			sleep 0.1
		done
	done
	return 0
}

# ---------------------------------------------------------------- one pass
# run_pass nsec3|nsec
run_pass() {
	local pass=$1 nsec3 policy conf knot_pid test_pid test_log setup_ok=1 out z f rc got
	local PORT_REF PORT_TEST
	if [ "$pass" = nsec3 ]; then
		nsec3=on
		policy=default
	else
		nsec3=off
		policy=nsec
	fi
	dt_free_port PORT_REF || dt_bail "no free port"
	dt_free_port PORT_TEST || dt_bail "no free port"
	echo "# ---- $pass: reference knotd on 127.0.0.1@$PORT_REF, $test_name on 127.0.0.1@$PORT_TEST"

	knot_conf "$T/$pass/knot" "$PORT_REF" "$nsec3"
	dt_start knotd "$T/$pass/knot/knotd.log" "$KNOTD" -c "$T/$pass/knot/knot.conf"
	knot_pid=$DT_PID
	if ! wait_signed knotd "$knot_pid" "$PORT_REF" "$nsec3"; then
		dt_log_tail "$T/$pass/knot/knotd.log"
		dt_bail "$pass: reference knotd did not serve the signed zones"
	fi

	case $mode in
	dnsd)
		local STATE=$T/$pass/dnsd-state
		conf=$T/$pass/dnsd.conf
		mkdir -p "$STATE"
		if [ "$pass" = nsec ]; then
			printf '[policy nsec]\nnsec nsec\n' >"$conf"
		else
			printf '# the built-in policy "default": ECDSAP256SHA256, KSK + ZSK, NSEC3 1 0 0 -\n' >"$conf"
		fi
		for z in "${zones[@]}"; do
			f="$T/zones/${z%.}.zone"
			if out=$("$DNSCTL" -c "$conf" -D "$STATE" zone add "$z" --file "$f" --dnssec "$policy" 2>&1); then
				dt_ok "$pass: dnsctl zone add $z --dnssec $policy"
			else
				dt_not_ok "$pass: dnsctl zone add $z --dnssec $policy"
				printf '%s\n' "$out" | dt_diag -
			fi
		done
		# shellcheck disable=SC2086
		dt_start dnsd "$T/$pass/dnsd.log" "$DNSD" -c "$conf" -D "$STATE" \
			-l "127.0.0.1@$PORT_TEST" -f ${DNSD_ARGS:-}
		test_pid=$DT_PID
		test_log=$T/$pass/dnsd.log
		;;
	knot)
		knot_conf "$T/$pass/knot2" "$PORT_TEST" "$nsec3"
		dt_start knotd2 "$T/$pass/knot2/knotd.log" "$KNOTD" -c "$T/$pass/knot2/knot.conf"
		test_pid=$DT_PID
		test_log=$T/$pass/knot2/knotd.log
		;;
	esac

	if wait_signed "$test_name" "$test_pid" "$PORT_TEST" "$nsec3"; then
		dt_ok "$pass: $test_name serves all ${#zones[@]} zones signed on 127.0.0.1@$PORT_TEST"
	else
		dt_not_ok "$pass: $test_name serves all ${#zones[@]} zones signed on 127.0.0.1@$PORT_TEST"
		dt_log_tail "$test_log" 40
		setup_ok=0
	fi

	if [ $setup_ok = 1 ]; then
		"$PY" "$here/dnsdiff.py" --signed --ref "127.0.0.1@$PORT_REF" --test "127.0.0.1@$PORT_TEST" \
			--ref-name knotd --test-name "$test_name" --label "$pass" \
			--queries "$QUERIES" --zones "$T/zones" \
			--start $((DT_TAPNUM + 1)) --no-plan --timeout 1.5 --deadline 30 \
			>"$T/$pass/dnsdiff.tap" 2>&1
		rc=$?
		cat "$T/$pass/dnsdiff.tap"
		got=$(grep -cE '^(not )?ok ' "$T/$pass/dnsdiff.tap")
		DT_TAPNUM=$((DT_TAPNUM + got))
		if [ $rc -ne 0 ] || [ "$got" -ne "$nqueries" ]; then
			while [ "$got" -lt "$nqueries" ]; do
				dt_not_ok "$pass: dnsdiff.py stopped early (exit $rc)"
				got=$((got + 1))
			done
		fi
		if grep -q '^not ok' "$T/$pass/dnsdiff.tap"; then
			dt_log_tail "$test_log" 20
		fi
	else
		for ((i = 0; i < nqueries; i++)); do
			dt_not_ok "$pass: query $((i + 1)) not asked: $test_name did not start"
		done
	fi

	if dt_alive "$test_pid"; then
		dt_ok "$pass: $test_name still running after the queries"
	else
		dt_not_ok "$pass: $test_name still running after the queries"
		dt_log_tail "$test_log" 40
	fi
	if dt_alive "$knot_pid"; then
		dt_ok "$pass: reference knotd still running after the queries"
	else
		dt_not_ok "$pass: reference knotd still running after the queries"
		dt_log_tail "$T/$pass/knot/knotd.log"
	fi
	# the next pass serves the same zones: stop these two now (dt_stop at exit
	# is then a no-op for them)
	dt_stop "$test_pid"
	dt_stop "$knot_pid"
}

for pass in $passes; do
	run_pass "$pass"
done
echo "1..$DT_TAPNUM"
exit 0
