# shellcheck shell=bash
# tests/integration/lib.sh - shared helpers for the integration test scripts.
#
# Source it from a bash script:   . "$(dirname "$0")/lib.sh"
#
# What it gives:
#   dt_tmpdir                 -> make (once) a private temp dir in DT_TMP, removed on exit
#                                unless DT_KEEP_TMP=1 (then its path is printed as a TAP comment).
#                                Call it directly, not in $(...): the cleanup is registered
#                                in the calling shell.
#   dt_on_exit CMD...         -> run CMD at exit (LIFO), also on INT/TERM/HUP and on failure
#   dt_free_port VAR          -> set VAR to a port free for both UDP and TCP on 127.0.0.1
#                                (never the same port twice in one script)
#   dt_start NAME LOG CMD...  -> start CMD in the background (stdout+stderr to LOG),
#                                sets DT_PID, and registers a stop at exit
#   dt_stop PID [SECS]        -> SIGTERM, wait up to SECS (default 5), then SIGKILL
#   dt_alive PID              -> true while the process runs
#   dt_wait_dns ADDR PORT QNAME [SECS] [PID] [KDIG_OPTS...]
#                             -> wait until a server answers QNAME SOA authoritatively
#                                (NOERROR + aa) on ADDR@PORT; fails early if PID dies
#   dt_need CMD...            -> skip the whole test (exit 77) if a command is missing
#   dt_skip REASON            -> print "1..0 # SKIP REASON" and exit $DT_SKIP_STATUS (77)
#   dt_bail REASON            -> print "Bail out! REASON" and exit 1
#   dt_ok / dt_not_ok DESC    -> print one numbered TAP line (counter DT_TAPNUM)
#   dt_diag FILE|-            -> print a file (or stdin) as TAP "# " comment lines
#   dt_log_tail FILE [N]      -> the last N (default 30) lines of FILE as TAP comments
#
# Sourcing installs EXIT/INT/TERM/HUP traps that run the dt_on_exit commands (stopping
# the servers started with dt_start, removing DT_TMP): do not replace them; register
# more cleanup with dt_on_exit instead.
# Everything binds to 127.0.0.1 only. Nothing here is specific to one server.

DT_SKIP_STATUS=${DT_SKIP_STATUS:-77}
DT_TAPNUM=${DT_TAPNUM:-0}
DT_TMP=
_dt_exit_cmds=()

_dt_run_exit() {
	local rc=$? i
	trap - EXIT INT TERM HUP
	for ((i = ${#_dt_exit_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_dt_exit_cmds[$i]}" || true
	done
	_dt_exit_cmds=()
	return $rc
}
trap '_dt_run_exit' EXIT
trap '_dt_run_exit; exit 130' INT
trap '_dt_run_exit; exit 143' TERM
trap '_dt_run_exit; exit 129' HUP

# dt_on_exit CMD... : CMD (one string, evaluated) runs at exit, last registered first.
dt_on_exit() {
	_dt_exit_cmds+=("$*")
}

dt_tmpdir() {
	if [ -z "$DT_TMP" ]; then
		DT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/dnsd-it.XXXXXX") || dt_bail "mktemp failed"
		if [ "${DT_KEEP_TMP:-0}" = 1 ]; then
			dt_on_exit "echo '# kept temp dir $DT_TMP'"
		else
			dt_on_exit "rm -rf '$DT_TMP'"
		fi
	fi
}

# A port that is free for both UDP and TCP on 127.0.0.1 right now (from the
# ephemeral range the kernel hands out; the tiny race with other processes is
# accepted). Ports already handed out by this script are not reused.
_dt_ports_given=" "
dt_free_port() {
	local _p _i
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		_p=$(/usr/bin/python3 - <<'EOF'
import socket
for _ in range(50):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        continue
    u.close()
    t.close()
    print(port)
    break
EOF
)
		if [ -n "$_p" ] && [[ "$_dt_ports_given" != *" $_p "* ]]; then
			_dt_ports_given="$_dt_ports_given$_p "
			printf -v "$1" '%s' "$_p"
			return 0
		fi
	done
	return 1
}

dt_alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null
}

# dt_stop PID [SECS]
dt_stop() {
	local pid=$1 secs=${2:-5} n=0
	dt_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	while dt_alive "$pid" && [ $n -lt $((secs * 10)) ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if dt_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# dt_start NAME LOG CMD... : runs CMD in the background, output to LOG.
# Sets DT_PID. The process is stopped at exit.
dt_start() {
	local name=$1 log=$2
	shift 2
	"$@" >"$log" 2>&1 </dev/null &
	DT_PID=$!
	dt_on_exit "dt_stop $DT_PID"
	eval "DT_PID_${name//[^A-Za-z0-9_]/_}=$DT_PID"
}

# dt_wait_dns ADDR PORT QNAME [SECS] [PID] [KDIG_OPTS...]
# Succeeds once "kdig @ADDR -p PORT QNAME SOA" gets NOERROR with the aa flag.
dt_wait_dns() {
	local addr=$1 port=$2 qname=$3 secs=${4:-10} pid=${5:-} out start
	shift 5 2>/dev/null || shift $#
	start=$(date +%s)
	while :; do
		if [ -n "$pid" ] && ! dt_alive "$pid"; then
			return 2
		fi
		out=$(kdig @"$addr" -p "$port" "$qname" SOA +time=1 +retry=0 "$@" 2>&1)
		if printf '%s\n' "$out" | grep -q 'status: NOERROR' &&
			printf '%s\n' "$out" | grep -Eiq ';; flags: [^;]*\baa\b'; then
			return 0
		fi
		if [ $(($(date +%s) - start)) -ge "$secs" ]; then
			return 1
		fi
		sleep 0.1
	done
}

dt_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || dt_skip "$c not found"
	done
}

dt_skip() {
	echo "1..0 # SKIP $*"
	exit "$DT_SKIP_STATUS"
}

dt_bail() {
	echo "Bail out! $*"
	exit 1
}

dt_ok() {
	DT_TAPNUM=$((DT_TAPNUM + 1))
	echo "ok $DT_TAPNUM - $*"
}

dt_not_ok() {
	DT_TAPNUM=$((DT_TAPNUM + 1))
	echo "not ok $DT_TAPNUM - $*"
}

dt_diag() {
	if [ "${1:--}" = - ]; then
		sed 's/^/# /'
	else
		sed 's/^/# /' "$1"
	fi
}

dt_log_tail() {
	[ -f "$1" ] || return 0
	echo "# --- last lines of $1:"
	tail -n "${2:-30}" "$1" | sed 's/^/# /'
}
