#!/bin/bash
# export_validate.sh - zones signed by the real dnsd and exported with
# `dnsctl zone export` pass ldns-verify-zone, BIND's dnssec-verify and Knot's
# kzonecheck -d on, for NSEC and NSEC3 and each algorithm (13, 15, 8); the DS
# that `dnsctl key ds` prints is the one ldns computes from the exported KSK.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
top_builddir=${top_builddir:-$here/../..}
DNSD=${DNSD:-$top_builddir/dnsd/dnsd}
DNSCTL=${DNSCTL:-$top_builddir/tools/dnsctl}
dt_need kdig ldns-verify-zone dnssec-verify kzonecheck ldns-key2ds
[ -x "$DNSD" ] && [ -x "$DNSCTL" ] || dt_skip "dnsd/dnsctl not built"
dt_tmpdir
for alg in ecdsap256sha256 ed25519 rsasha256; do
	for chain in nsec3 nsec; do
		S=$DT_TMP/$alg-$chain
		mkdir -m 700 "$S"
		printf '[policy p]\nalgorithm %s\nnsec %s\n' $alg $chain > "$S.conf"
		ctl() { "$DNSCTL" -c "$S.conf" -D "$S/state" "$@"; }
		for z in "$here"/diffzones/*.zone; do
			ctl zone add "$(basename "$z" .zone)" --file "$z" --dnssec p >/dev/null
		done
		dt_free_port P
		dt_start dnsd "$S/dnsd.log" "$DNSD" -c "$S.conf" -D "$S/state" -l 127.0.0.1@$P -f
		pid=$DT_PID
		dt_wait_dns 127.0.0.1 "$P" example.test 20 "$pid" || dt_log_tail "$S/dnsd.log"
		for z in "$here"/diffzones/*.zone; do
			apex=$(basename "$z" .zone).
			what="$apex $alg $chain"
			if ! ctl zone export "$apex" -o "$S/$apex.zone" 2>"$S/err"; then
				dt_not_ok "$what: exported"; dt_diag "$S/err"; continue
			fi
			if ldns-verify-zone "$S/$apex.zone" >"$S/v" 2>&1; then dt_ok "$what: ldns-verify-zone"
			else dt_not_ok "$what: ldns-verify-zone"; dt_log_tail "$S/v" 10; fi
			if dnssec-verify -o "$apex" "$S/$apex.zone" >"$S/v" 2>&1; then dt_ok "$what: dnssec-verify"
			else dt_not_ok "$what: dnssec-verify"; dt_log_tail "$S/v" 10; fi
			if kzonecheck -o "$apex" -d on "$S/$apex.zone" >"$S/v" 2>&1; then dt_ok "$what: kzonecheck -d on"
			else dt_not_ok "$what: kzonecheck -d on"; dt_log_tail "$S/v" 10; fi
		done
		# key ds: the DS of the exported KSK, as ldns computes it
		grep -P '\tDNSKEY\t257 ' "$S/example.test..zone" | head -1 > "$S/ksk.key"
		want=$(cd "$S" && ldns-key2ds -n -2 ksk.key 2>/dev/null | awk '{print $NF}' | tr a-f A-F)
		got=$(ctl key ds example.test | awk '$3 == "DS" {print $NF}')
		if [ -n "$want" ] && [ "$got" = "$want" ]; then dt_ok "$alg $chain: key ds matches the served KSK"
		else dt_not_ok "$alg $chain: key ds matches the served KSK"; echo "#   got '$got', expected '$want'"; fi
		dt_stop "$pid"
	done
done
echo "1..$DT_TAPNUM"
