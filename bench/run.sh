#!/bin/bash
# make bench: the side-by-side comparison of dnsd with Knot DNS, NSD and a bare
# UDP reflector (bench/compare.sh, the same harness as ../shared/bench), on this
# build.  Arguments pass through, e.g.: make bench BENCH_ARGS="--unsigned --runs 1"
# Needs: apt-get install knot knot-dnsutils nsd ldnsutils dnsperf python3 gcc bc
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=${top_builddir:-$(pwd)}
exec "$here/compare.sh" --dnsd "$top/dnsd/dnsd" --dnsctl "$top/tools/dnsctl" "$@"
