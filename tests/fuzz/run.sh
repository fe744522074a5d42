#!/bin/bash
# tests/fuzz/run.sh - run the libFuzzer targets for a bounded time, print TAP.
#
# Usage: run.sh [FUZZ_BINARY...]
#   default: every fuzz_* target built in $top_builddir/tests/fuzz/
#   The seed corpus of fuzz_NAME is tests/fuzz/corpus/NAME/; it is copied to a
#   temp dir (the source tree is never written), the target runs
#   -max_total_time=$FUZZ_SECONDS (default 20) over it, one TAP line per target
#   (fuzz_engine twice: the test zones as they are, and signed).
#   A crash is "not ok": the input is kept as $FUZZ_ARTIFACTS/crash-* (default
#   $top_builddir/tests/fuzz) and printed in base64 with the log's end.
#   Builds nothing: without the targets (no clang) it prints "1..0 # SKIP".
#   Always exits 0; read the TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
secs=${FUZZ_SECONDS:-20}
artifacts=${FUZZ_ARTIFACTS:-$top_builddir/tests/fuzz}

bins=()
if [ $# -gt 0 ]; then
	for b in "$@"; do [ -x "$b" ] && bins+=("$b"); done
else
	for b in "$top_builddir"/tests/fuzz/fuzz_*; do
		case $b in *.o | *.c | *.h) continue ;; esac
		[ -f "$b" ] && [ -x "$b" ] && bins+=("$b")
	done
fi
if [ ${#bins[@]} -eq 0 ]; then
	echo "1..0 # SKIP no clang (fuzz targets not built)"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnsd-fuzz.XXXXXX") || { echo "Bail out! mktemp failed"; exit 0; }
trap 'rm -rf "$tmp"' EXIT
trap 'rm -rf "$tmp"; exit 130' INT TERM HUP

# UB is a failure even when the target was built with recoverable UBSan
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
# Leaks inside the system's libldns, not ours: ldns_str2rdf_ipseckey() loses
# its strdup()ed tokens when an IPSECKEY gateway does not parse
# (e.g. "x IPSECKEY 10 1 2 a b c").
printf '%s\n' 'leak:ldns_str2rdf_ipseckey' >"$tmp/lsan.supp"
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$tmp/lsan.supp}
export FUZZ_ZONES_DIR=${FUZZ_ZONES_DIR:-$top_srcdir/tests/integration/diffzones}

# The engine also against the same zones signed (NSEC3, as dnsd signs them),
# when the test helper that signs is built.
signer=$top_builddir/tests/keymgr/signzone
runs_list=()
for b in "${bins[@]}"; do
	runs_list+=("$b|$FUZZ_ZONES_DIR")
	if [ "$(basename "$b")" = fuzz_engine ] && [ -x "$signer" ]; then
		mkdir -p "$tmp/signed"
		for z in "$FUZZ_ZONES_DIR"/*.zone; do
			"$signer" "$(basename "$z" .zone)." "$z" "$tmp/signed/$(basename "$z")" \
				ecdsap256sha256 nsec3 >/dev/null 2>&1
		done
		runs_list+=("$b|$tmp/signed")
	fi
done

echo "1..${#runs_list[@]}"
n=0
for entry in "${runs_list[@]}"; do
	b=${entry%%|*}
	zones=${entry#*|}
	n=$((n + 1))
	name=$(basename "$b")
	seeds=$top_srcdir/tests/fuzz/corpus/${name#fuzz_}
	work=$tmp/$name.$n
	label=$name
	[ "$zones" = "$tmp/signed" ] && label="$name (signed zones)"
	export FUZZ_ZONES_DIR=$zones
	mkdir -p "$work/corpus" "$work/art"
	[ -d "$seeds" ] && cp "$seeds"/* "$work/corpus/" 2>/dev/null
	nseeds=$(find "$work/corpus" -type f | wc -l)
	start=$(date +%s)
	"$b" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/art/" "$work/corpus" >"$work/log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	crash=$(find "$work/art" -type f | head -n 1)
	if [ $rc -eq 0 ] && [ -z "$crash" ]; then
		echo "ok $n - $label: ${runs:-?} inputs in ${took} s from $nseeds seeds, no failure"
	else
		echo "not ok $n - $label: failed (exit $rc) after ${took} s"
		if [ -n "$crash" ]; then
			mkdir -p "$artifacts" && cp "$crash" "$artifacts/" &&
				echo "# input kept as $artifacts/$(basename "$crash")"
			echo "# input (base64):"
			base64 "$crash" | head -n 100 | sed 's/^/#   /'
		fi
		echo "# --- end of the log:"
		grep -v '^#[0-9]' "$work/log" | tail -n 40 | sed 's/^/# /'
	fi
done
exit 0
