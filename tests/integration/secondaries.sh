#!/bin/bash
# secondaries.sh - dnsd as the primary of Knot DNS, NSD and BIND secondaries.
#
# dnsd serves the diffzones/ (example.test. signed with --dnssec default, the
# others unsigned) and lists three secondaries, one TSIG key each:
#   knotd  hmac-sha256 (key k-knot)     nsd  hmac-sha384 (k-nsd)
#   named  hmac-sha512 (k-named)
# Each secondary transfers every zone from dnsd with its key and accepts
# NOTIFY from 127.0.0.1 signed with it. The test then checks, as an operator
# would see it:
#   1. initial transfer: every secondary serves every zone at dnsd's serial,
#      holds exactly dnsd's records (an AXFR from it compared with one from
#      dnsd), and answers every query of diffqueries.txt as dnsd does
#      (dnsdiff.py, dnsd as the reference);
#   2. a change (dnsctl record add in the signed zone, then a record del in an
#      unsigned one): dnsd sends NOTIFY signed with each secondary's key, each
#      secondary serves the new serial and data within 30 s (their refresh
#      timers are 1 to 2 hours: only NOTIFY gets them there), with the same
#      records as dnsd, and its log says the change came as an incremental
#      transfer (IXFR), not a full one (for nsd: the signed zone only, below);
#   3. refusals: AXFR without a key REFUSED, with an unknown key NOTAUTH/BADKEY,
#      with a wrong secret NOTAUTH/BADSIG, of a zone dnsd does not serve
#      NOTAUTH (signed); each logged by dnsd; IXFR over UDP gets the SOA alone.
#
# How each secondary tells an incremental transfer from a full one (their own
# log lines; an IXFR request answered with the whole zone shows as the second form):
#   knotd  "[ZONE] IXFR, incoming, remote 127.0.0.1@P, finished, 0.00 seconds, 1 messages, 1346 bytes"
#          vs "[ZONE] IXFR, incoming, remote 127.0.0.1@P, receiving AXFR-style IXFR" then
#          "[ZONE] AXFR, incoming, remote 127.0.0.1@P, finished, ..."
#   named  (only with -d 3, so it runs with it)
#          "transfer of 'ZONE/IN' from 127.0.0.1#P: got incremental response"
#          vs "transfer of 'ZONE/IN' from 127.0.0.1#P: got nonincremental response"
#   nsd    prints no transfer type at any verbosity; its line
#          "zone ZONE. received update to serial S at ... TSIG verified with key k-nsd of N bytes in T seconds"
#          gives the size: for the signed example.test. (38 kB) an IXFR of one
#          change is a few kB, a full transfer at least the zone; the test wants
#          N below half of the initial transfer's N. (other.test. is too small
#          to tell: the size is printed, not judged.)
#
# Known differences between dnsd and a secondary in the query comparison (the
# secondary's own behaviour: knotd 1, nsd 1, named 8) are listed in KNOWN_DIFFS
# below; a "not ok" line of the comparison whose every difference matches an
# entry gets "# TODO <why>" (automake's XFAIL).
#
# Usage:   tests/integration/secondaries.sh [--keep]
# Environment: top_builddir, DNSD, DNSCTL, KNOTD, NSD, NAMED, DT_KEEP_TMP=1,
#   DIFF_QUERIES, DT_SKIP_STATUS (as diff_knot.sh).
# Exit: 77 (skip, "1..0 # SKIP ...") when a server, kdig, python3-dnspython or
# the dnsd binaries are missing; otherwise 0, and the TAP lines tell the result.
# Needs: apt-get install -y knot knot-dnsutils nsd bind9 python3-dnspython
# (the Debian services knot, nsd and named may run on port 53: this test uses
# other ports and its own configuration, state and pid files in its temp dir,
# running each server in the foreground as root).

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

PY=/usr/bin/python3
top_builddir=${top_builddir:-$here/../..}
DNSD=${DNSD:-$top_builddir/dnsd/dnsd}
DNSCTL=${DNSCTL:-$top_builddir/tools/dnsctl}
KNOTD=${KNOTD:-$(command -v knotd || echo /usr/sbin/knotd)}
NSD=${NSD:-$(command -v nsd || echo /usr/sbin/nsd)}
NAMED=${NAMED:-$(command -v named || echo /usr/sbin/named)}
QUERIES=${DIFF_QUERIES:-$here/diffqueries.txt}
ZONESRC=$here/diffzones
DEADLINE=30 # seconds for a secondary to catch up

for arg in "$@"; do
	case $arg in
	--keep) DT_KEEP_TMP=1 ;;
	-h | --help)
		sed -n '2,/^$/s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*)
		echo "usage: $0 [--keep]" >&2
		exit 2
		;;
	esac
done

# Known differences: behaviours of the secondaries themselves (each server
# answers this way as a primary too), not of the data dnsd gave them. A "not
# ok" line of the query comparison gets "# TODO <why>" when the secondary, the
# query (regex on the TAP description) and every difference it printed (regex
# each difference line matches) fit one entry; anything else stays "not ok".
KNOWN_DIFFS=''
known() { # SECONDARY DESC-REGEX EACH-DIFF-REGEX WHY
	KNOWN_DIFFS+="$1"$'\t'"$2"$'\t'"$3"$'\t'"$4"$'\n'
}
known knotd ' RRSIG edns=[0-9]+ do ' '^answer: only dnsd has: \S+ [0-9]+ IN RRSIG ' \
	'knotd answers QTYPE=RRSIG with the RRSIGs of one RRset, as for ANY; dnsd gives all (RFC 1034)'
known named ' RRSIG edns=[0-9]+ do ' '^answer: only dnsd has: \S+ [0-9]+ IN RRSIG ' \
	'named (minimal-any yes) answers QTYPE=RRSIG over UDP with the RRSIGs of one RRset; dnsd gives all (RFC 1034)'

for s in nsd named; do
	known $s ' (www\.big|big|ns01\.big|www\.sibbig|www\.poolrefs)\.example\.test\. (A|NS) (noedns|edns=512) ' \
		"^(flag TC: dnsd 1, $s 0|additional \(referral glue\): only (dnsd|$s) has: )" \
		"$s fills the glue of a referral that does not fit with the A records of every name first (dnsd: A and AAAA name by name) and sets no TC when in-domain glue is left out (RFC 9471 section 3 wants TC)"
done
known named ' (www\.)?(inzone|poolrefs)\.example\.test\. (A|NS) ' '^additional \(referral glue\): only dnsd has: ' \
	'named (minimal-responses no-auth) gives no addresses for name servers that are not below the cut (RFC 9471: optional)'
known named ' nothere\.example\.test\. SOA ' '^authority: only (dnsd has: example\.test\. 300|named has: example\.test\. 0) IN SOA ' \
	'named gives the SOA of a negative answer to a SOA query TTL 0'
known named ' loop[12]\.example\.test\. ' '^rcode: dnsd NOERROR, named SERVFAIL$' \
	'named answers a CNAME loop SERVFAIL (EDE 0: max. restarts reached)'
known named ' ((big|huge)-txt\.example\.test\. TXT|(www\.)?huge-ns\.example\.test\. (A|NS)) noedns ' \
	'^(answer|authority): only named has: ' \
	'named keeps the records that fit in a truncated (TC) answer, dnsd sends none (RFC 2181 section 9 allows both)'
known named ' cd \(line [0-9]+\)$' '^flag CD: dnsd 0, named 1$' \
	'named copies CD into an authoritative answer (RFC 4035 section 3.1.6: SHOULD clear it)'
known named '^named: tcp \S+ ANY ' '^(answer: only named has: |\(no accepted alternative matched either: RFC 8482 ANY forms\))' \
	'named answers ANY over TCP with every RRset and RRSIG (minimal-any is for UDP); dnsdiff.py knows the unsigned zone files only'

# ---------------------------------------------------------------- prerequisites
[ -x "$PY" ] || dt_skip "$PY not found"
[ -x "$KNOTD" ] || dt_skip "knotd not found (apt-get install knot)"
[ -x "$NSD" ] || dt_skip "nsd not found (apt-get install nsd)"
[ -x "$NAMED" ] || dt_skip "named not found (apt-get install bind9)"
dt_need kdig
"$PY" -c 'import dns.message, dns.zone, dns.query, dns.tsig, dns.tsigkeyring' 2>/dev/null ||
	dt_skip "python3-dnspython not installed (apt-get install python3-dnspython)"
[ -x "$DNSD" ] || dt_skip "dnsd not built yet ($DNSD missing)"
[ -x "$DNSCTL" ] || dt_skip "dnsctl not built yet ($DNSCTL missing)"
nqueries=$("$PY" "$here/dnsdiff.py" --count --queries "$QUERIES") ||
	dt_bail "cannot read $QUERIES"

dt_tmpdir
T=$DT_TMP
S=$T/dnsd-state
mkdir -p "$T/zones" "$T/knot" "$T/nsd" "$T/named" || dt_bail "cannot write $T"
zones=()
for f in "$ZONESRC"/*.zone; do
	cp "$f" "$T/zones/" || dt_bail "cannot copy $f"
	z=$(basename "$f" .zone)
	zones+=("${z%.}.")
done
[ ${#zones[@]} -gt 0 ] || dt_bail "no zones in $ZONESRC"

ctl() { "$DNSCTL" -D "$S" "$@"; }
expect_eq() { # DESC GOT WANT
	if [ "$2" = "$3" ]; then
		dt_ok "$1"
	else
		dt_not_ok "$1"
		printf '%s\n' "got:" "$2" "expected:" "$3" | dt_diag -
	fi
}
check() { # DESC CMD... : ok when CMD succeeds (its output shown if not)
	local d=$1
	shift
	if "$@" >"$T/check.out" 2>&1; then dt_ok "$d"; else
		dt_not_ok "$d"
		dt_diag "$T/check.out"
	fi
}

dt_free_port P_DNSD || dt_bail "no free port"
dt_free_port P_KNOT || dt_bail "no free port"
dt_free_port P_NSD || dt_bail "no free port"
dt_free_port P_NAMED || dt_bail "no free port"
echo "# dnsd 127.0.0.1@$P_DNSD; knotd @$P_KNOT, nsd @$P_NSD, named @$P_NAMED"
echo "# ${#zones[@]} zones, $nqueries queries from $(basename "$QUERIES") per secondary"

# ---------------------------------------------------------------- python helpers
# probe.py: one transfer request, what came back (rcode, TSIG error, answer)
cat >"$T/probe.py" <<'EOF'
"""probe.py ADDR PORT ZONE QTYPE[=SERIAL] tcp|udp [ALG:NAME:SECRET]
Prints 'rcode=R tsig=E' (E: none when the response is unsigned, ok when its
TSIG verifies, else the TSIG error the server sent: BADKEY, BADSIG...; or
what failed locally) and then the answer RRs of the first message, one a line."""
import socket, struct, sys
import dns.message, dns.name, dns.rcode, dns.rdatatype, dns.rrset, dns.tsig, dns.tsigkeyring
addr, port, zone, qt, tr = sys.argv[1:6]
serial = None
if "=" in qt:
    qt, serial = qt.split("=")
q = dns.message.make_query(zone, dns.rdatatype.from_text(qt), use_edns=False)
if serial is not None:
    soa = dns.rrset.from_text(zone, 0, "IN", "SOA", ". . %s 0 0 0 0" % serial)
    q.authority.append(soa)
key = None
if len(sys.argv) > 6:
    alg, name, secret = sys.argv[6].split(":", 2)
    key = dns.tsig.Key(name, secret, alg)
    q.use_tsig(key)
wire = q.to_wire()
if tr == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(wire, (addr, int(port)))
    data = s.recv(65535)
else:
    s = socket.create_connection((addr, int(port)), timeout=3)
    s.sendall(struct.pack("!H", len(wire)) + wire)
    def rd(n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c:
                raise SystemExit("rcode=? tsig=? (connection closed)")
            b += c
        return b
    (n,) = struct.unpack("!H", rd(2))
    data = rd(n)
rcode = dns.rcode.to_text(data[3] & 0xF)
tsig = "none"
try:
    m = dns.message.from_wire(data, keyring=key, request_mac=q.mac if key else b"",
                              multi=(tr == "tcp"), one_rr_per_rrset=True)
    if m.tsig is not None:
        tsig = "ok"
except dns.tsig.PeerBadKey:
    tsig, m = "BADKEY", None
except dns.tsig.PeerBadSignature:
    tsig, m = "BADSIG", None
except dns.tsig.PeerBadTime:
    tsig, m = "BADTIME", None
except dns.message.UnknownTSIGKey:
    tsig, m = "signed-without-our-key", None
except Exception as e:
    tsig, m = "invalid(%s)" % type(e).__name__, None
print("rcode=%s tsig=%s" % (rcode, tsig))
if m is not None:
    for rrset in m.answer:
        print(rrset.to_text())
EOF

# zonedump.py: the records of a zone by AXFR, one a line, sorted (the
# closing SOA left out); ALG:NAME:SECRET signs the request
cat >"$T/zonedump.py" <<'EOF'
import sys
import dns.name, dns.query, dns.rdatatype, dns.tsig
addr, port, zone = sys.argv[1:4]
kw = {}
if len(sys.argv) > 4:
    alg, name, secret = sys.argv[4].split(":", 2)
    kw = {"keyring": {dns.name.from_text(name): dns.tsig.Key(name, secret, alg)},
          "keyname": name, "keyalgorithm": alg}
out = set()
first = None
for m in dns.query.xfr(addr, zone, port=int(port), lifetime=10, relativize=False, **kw):
    for rrset in m.answer:
        for rd in rrset:
            line = "%s %d %s %s" % (rrset.name.to_text().lower(), rrset.ttl,
                                    dns.rdatatype.to_text(rd.rdtype), rd.to_text())
            out.add(line)
print("\n".join(sorted(out)))
EOF

# ---------------------------------------------------------------- dnsd: zones and keys
for z in "${zones[@]}"; do
	pol=off
	[ "$z" = example.test. ] && pol=default
	if out=$(ctl zone add "$z" --file "$T/zones/${z%.}.zone" --dnssec $pol 2>&1); then
		dt_ok "dnsctl zone add $z --dnssec $pol"
	else
		dt_not_ok "dnsctl zone add $z --dnssec $pol"
		printf '%s\n' "$out" | dt_diag -
	fi
done
declare -A ALG=([knot]=hmac-sha256 [nsd]=hmac-sha384 [named]=hmac-sha512)
declare -A SECRET KEYARG
for s in knot nsd named; do
	check "dnsctl tsig add k-$s --alg ${ALG[$s]}" ctl tsig add "k-$s" --alg "${ALG[$s]}"
	SECRET[$s]=$(ctl tsig show "k-$s" --json | "$PY" -c '
import json, sys
k = json.load(sys.stdin)
print(k["secret"] if k["algorithm"] == sys.argv[1] and k["key"].rstrip(".") == sys.argv[2] else "")
' "${ALG[$s]}" "k-$s" 2>/dev/null)
	KEYARG[$s]=${ALG[$s]}:k-$s:${SECRET[$s]}
done
if [ -n "${SECRET[knot]}" ] && [ -n "${SECRET[nsd]}" ] && [ -n "${SECRET[named]}" ]; then
	dt_ok "dnsctl tsig show --json gives key, algorithm and secret of the three keys"
else
	dt_not_ok "dnsctl tsig show --json gives key, algorithm and secret of the three keys"
	ctl tsig show k-knot --json 2>&1 | dt_diag -
	dt_bail "no TSIG secrets: the secondaries cannot be configured"
fi

cat >"$T/dnsd.conf" <<EOF
# NOTIFY targets; each may transfer from 127.0.0.1 with its own key
secondary 127.0.0.1@$P_KNOT key k-knot
secondary 127.0.0.1@$P_NSD key k-nsd
secondary 127.0.0.1@$P_NAMED key k-named
EOF
dt_start dnsd "$T/dnsd.log" "$DNSD" -D "$S" -l "127.0.0.1@$P_DNSD" -f -c "$T/dnsd.conf"
DNSD_PID=$DT_PID
dnsd_up=1
for z in "${zones[@]}"; do
	if ! dt_wait_dns 127.0.0.1 "$P_DNSD" "$z" 10 "$DNSD_PID"; then
		dnsd_up=0
		break
	fi
done
if [ $dnsd_up = 1 ]; then
	dt_ok "dnsd serves the ${#zones[@]} zones with the three secondary lines"
else
	dt_not_ok "dnsd serves the ${#zones[@]} zones with the three secondary lines"
	dt_log_tail "$T/dnsd.log"
	dt_bail "dnsd did not start"
fi

# serial PORT ZONE: the SOA serial served (empty if none)
serial() {
	kdig @127.0.0.1 -p "$1" +norec +time=1 +retry=0 +short "$2" SOA 2>/dev/null | awk 'NR==1 {print $3}'
}

# ---------------------------------------------------------------- the secondaries' configurations
kv=$("$KNOTD" -V 2>&1 | grep -Eo '[0-9]+\.[0-9]+' | head -1)
knot_primary=master # Knot 3.3 renamed it
case $kv in 3.[012] | 2.*) ;; *) knot_primary=primary ;; esac
{
	cat <<EOF
server:
    rundir: "$T/knot"
    pidfile: "$T/knot/knot.pid"
    listen: 127.0.0.1@$P_KNOT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: info
database:
    storage: "$T/knot"
key:
  - id: k-knot
    algorithm: hmac-sha256
    secret: ${SECRET[knot]}
remote:
  - id: dnsd
    address: 127.0.0.1@$P_DNSD
    key: k-knot
acl:
  - id: notify-from-dnsd
    address: 127.0.0.1
    key: k-knot
    action: notify
  - id: transfer-local
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$T/knot"
    $knot_primary: dnsd
    acl: [notify-from-dnsd, transfer-local]
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
zone:
EOF
	for z in "${zones[@]}"; do echo "  - domain: $z"; done
} >"$T/knot/knot.conf"

{
	cat <<EOF
server:
    ip-address: 127.0.0.1@$P_NSD
    port: $P_NSD
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$T/nsd"
    database: ""
    zonelistfile: "$T/nsd/zone.list"
    xfrdfile: "$T/nsd/xfrd.state"
    xfrdir: "$T/nsd"
    pidfile: "$T/nsd/nsd.pid"
    verbosity: 2
    hide-version: yes
    minimal-responses: yes
remote-control:
    control-enable: no
key:
    name: k-nsd
    algorithm: hmac-sha384
    secret: "${SECRET[nsd]}"
EOF
	for z in "${zones[@]}"; do
		cat <<EOF
zone:
    name: "$z"
    zonefile: "${z%.}.zone"
    request-xfr: 127.0.0.1@$P_DNSD k-nsd
    allow-notify: 127.0.0.1 k-nsd
    provide-xfr: 127.0.0.1 NOKEY
EOF
	done
} >"$T/nsd/nsd.conf"

{
	cat <<EOF
options {
    directory "$T/named";
    pid-file "$T/named/named.pid";
    session-keyfile "$T/named/session.key";
    managed-keys-directory "$T/named";
    listen-on port $P_NAMED { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    minimal-responses no-auth;
    minimal-any yes;
    notify no;
    dnssec-validation no;
    allow-query { any; };
    allow-transfer { 127.0.0.1; };
};
controls { };
key "k-named" { algorithm hmac-sha512; secret "${SECRET[named]}"; };
EOF
	for z in "${zones[@]}"; do
		cat <<EOF
zone "${z%.}" {
    type secondary;
    primaries port $P_DNSD { 127.0.0.1 key "k-named"; };
    file "${z%.}.db";
    allow-notify { key "k-named"; };
};
EOF
	done
} >"$T/named/named.conf"

# ---------------------------------------------------------------- start them
SECS=(knot nsd named)
declare -A PORT=([knot]=$P_KNOT [nsd]=$P_NSD [named]=$P_NAMED)
declare -A NAME=([knot]=knotd [nsd]=nsd [named]=named)
declare -A LOG=([knot]=$T/knot/knotd.log [nsd]=$T/nsd/nsd.log [named]=$T/named/named.log)
declare -A PID
dt_start knotd "${LOG[knot]}" "$KNOTD" -c "$T/knot/knot.conf"
PID[knot]=$DT_PID
dt_start nsd "${LOG[nsd]}" "$NSD" -d -c "$T/nsd/nsd.conf"
PID[nsd]=$DT_PID
# -g: foreground, log to stderr; -d 3 for "got (non)incremental response"
dt_start named "${LOG[named]}" "$NAMED" -g -d 3 -n 1 -c "$T/named/named.conf"
PID[named]=$DT_PID

# wait_synced DESC CHECK... : until, for every secondary, every "ZONE" (serial
# as dnsd's) or "ZONE=NAME/TYPE/VALUE" (that record too) holds; one TAP line
# per secondary; sets SYNCED[sec]=1|0
declare -A SYNCED
wait_synced() {
	local desc=$1 start s c z rest want got todo
	shift
	start=$(date +%s)
	for s in "${SECS[@]}"; do SYNCED[$s]=0; done
	while :; do
		todo=0
		for s in "${SECS[@]}"; do
			[ "${SYNCED[$s]}" = 1 ] && continue
			SYNCED[$s]=1
			for c in "$@"; do
				z=${c%%=*}
				want=$(serial "$P_DNSD" "$z")
				got=$(serial "${PORT[$s]}" "$z")
				if [ -z "$want" ] || [ "$got" != "$want" ]; then
					SYNCED[$s]=0
					break
				fi
				if [ "$c" != "$z" ]; then
					rest=${c#*=}
					got=$(kdig @127.0.0.1 -p "${PORT[$s]}" +norec +time=1 +retry=0 +short \
						"${rest%%/*}" "$(echo "$rest" | cut -d/ -f2)" 2>/dev/null | sort | tr '\n' ' ')
					if [ "${got% }" != "${rest##*/}" ]; then
						SYNCED[$s]=0
						break
					fi
				fi
			done
			[ "${SYNCED[$s]}" = 0 ] && todo=1
		done
		[ $todo = 0 ] && break
		[ $(($(date +%s) - start)) -ge $DEADLINE ] && break
		sleep 0.2
	done
	for s in "${SECS[@]}"; do
		if [ "${SYNCED[$s]}" = 1 ]; then
			dt_ok "${NAME[$s]}: $desc"
		else
			dt_not_ok "${NAME[$s]}: $desc (within ${DEADLINE} s)"
			for c in "$@"; do
				z=${c%%=*}
				echo "#   $z: dnsd serial $(serial "$P_DNSD" "$z"), ${NAME[$s]} serial $(serial "${PORT[$s]}" "$z")"
			done
			dt_alive "${PID[$s]}" || echo "#   ${NAME[$s]} is not running"
			dt_log_tail "${LOG[$s]}" 25
		fi
	done
}

# same_records DESC ZONE... : an AXFR from each secondary gives exactly dnsd's records
same_records() {
	local desc=$1 s z bad
	shift
	for z in "$@"; do
		"$PY" "$T/zonedump.py" 127.0.0.1 "$P_DNSD" "$z" "${KEYARG[knot]}" >"$T/dnsd.$z.txt" 2>&1
	done
	for s in "${SECS[@]}"; do
		bad=""
		for z in "$@"; do
			"$PY" "$T/zonedump.py" 127.0.0.1 "${PORT[$s]}" "$z" >"$T/$s.$z.txt" 2>&1
			if ! diff -u "$T/dnsd.$z.txt" "$T/$s.$z.txt" >"$T/$s.$z.diff"; then
				bad="$bad $z"
			fi
		done
		if [ -z "$bad" ]; then
			dt_ok "${NAME[$s]}: $desc"
		else
			dt_not_ok "${NAME[$s]}: $desc"
			for z in $bad; do
				echo "#   $z (--- dnsd, +++ ${NAME[$s]}):"
				head -n 20 "$T/$s.$z.diff" | dt_diag -
			done
		fi
	done
}

# ---------------------------------------------------------------- 1. initial transfer
wait_synced "serves all ${#zones[@]} zones at dnsd's serials (initial transfer)" "${zones[@]}"
same_records "holds exactly dnsd's records (AXFR of each zone compared)" "${zones[@]}"
# each log names the transfer from dnsd (nsd and named: the key that verified
# it; knotd signs with its key and rejects an answer that does not verify)
declare -A XFR_LINE=(
	[knot]="\[example\.test\.\] AXFR, incoming, remote 127\.0\.0\.1@$P_DNSD, finished"
	[nsd]="zone example\.test\. received update to serial [0-9]+ .* from 127\.0\.0\.1@$P_DNSD TSIG verified with key k-nsd of"
	[named]="zone example\.test/IN: transferred serial [0-9]+: TSIG 'k-named'"
)
for s in "${SECS[@]}"; do
	if grep -Eq "${XFR_LINE[$s]}" "${LOG[$s]}"; then
		dt_ok "${NAME[$s]}: its log shows the transfer of example.test. from dnsd (TSIG k-$s)"
	else
		dt_not_ok "${NAME[$s]}: its log shows the transfer of example.test. from dnsd (TSIG k-$s)"
		dt_log_tail "${LOG[$s]}" 20
	fi
done

# mark_transfer_lines: remember what the first full transfer of example.test
# cost nsd (bytes), for the IXFR check
nsd_axfr_bytes=$(grep -E 'zone example\.test\. received update to serial .* of [0-9]+ bytes' "${LOG[nsd]}" |
	head -1 | sed -E 's/.* of ([0-9]+) bytes.*/\1/')

# the query comparison: dnsd (reference) against each secondary; todo.py SEC
# marks the known differences of SEC (KNOWN_DIFFS) in the TAP on stdin
cat >"$T/todo.py" <<'EOF'
import re, sys
sec, known = sys.argv[1], [l.split("\t") for l in sys.argv[2].splitlines() if l.strip()]
lines = sys.stdin.read().splitlines()
out = []
i = 0
while i < len(lines):
    l = lines[i]
    j = i + 1
    while j < len(lines) and lines[j].startswith("#"):
        j += 1
    if l.startswith("not ok "):
        diffs = [d[1:].strip() for d in lines[i + 1:j]]
        # the difference lines come before "<name> answered:"
        cut = next((k for k, d in enumerate(diffs) if d.endswith("answered:")), len(diffs))
        diffs = [d for d in diffs[:cut] if d]
        for s, desc, each, why in known:
            if s == sec and re.search(desc, l.split(" - ", 1)[1]) and diffs and all(re.search(each, d) for d in diffs):
                l += " # TODO known difference: " + why
                break
    out.append(l)
    out.extend(lines[i + 1:j])
    i = j
print("\n".join(out))
EOF
for s in "${SECS[@]}"; do
	if [ "${SYNCED[$s]}" != 1 ]; then
		for ((i = 0; i < nqueries; i++)); do
			dt_not_ok "${NAME[$s]}: query $((i + 1)) not asked: the zones did not arrive"
		done
		continue
	fi
	"$PY" "$here/dnsdiff.py" --ref "127.0.0.1@$P_DNSD" --test "127.0.0.1@${PORT[$s]}" \
		--ref-name dnsd --test-name "${NAME[$s]}" --label "${NAME[$s]}" \
		--queries "$QUERIES" --zones "$T/zones" \
		--start $((DT_TAPNUM + 1)) --no-plan --timeout 1.5 --deadline 40 >"$T/dnsdiff.$s.raw" 2>&1
	rc=$?
	"$PY" "$T/todo.py" "${NAME[$s]}" "$KNOWN_DIFFS" <"$T/dnsdiff.$s.raw" >"$T/dnsdiff.$s.tap"
	cat "$T/dnsdiff.$s.tap"
	got=$(grep -cE '^(not )?ok ' "$T/dnsdiff.$s.tap")
	DT_TAPNUM=$((DT_TAPNUM + got))
	while [ "$got" -lt "$nqueries" ]; do
		dt_not_ok "${NAME[$s]}: dnsdiff.py stopped early (exit $rc)"
		got=$((got + 1))
	done
done

# ---------------------------------------------------------------- 2. changes, NOTIFY, IXFR
# xfr_kind SEC ZONE FROMLINE: what the secondary's log says of the transfers
# of ZONE after line FROMLINE: "IXFR", "AXFR", "AXFR IXFR" (both kinds seen;
# several transfers of one kind count once), "" for none; nsd: the sizes
xfr_kind() {
	local s=$1 z=$2 from=$3 zq
	zq=$(printf '%s' "${z%.}" | sed 's/\./\\./g')
	tail -n +$((from + 1)) "${LOG[$s]}" >"$T/$s.since"
	case $s in
	knot)
		# a real IXFR: "IXFR, incoming, ... finished"; a full one: "IXFR, incoming,
		# ... receiving AXFR-style IXFR", then "AXFR, incoming, ... finished"
		grep -E "^\S+ info: \[$zq\.\] (IXFR|AXFR), incoming, remote 127\.0\.0\.1@$P_DNSD, finished" \
			"$T/$s.since" | sed -E 's/.*\] (IXFR|AXFR), incoming.*/\1/'
		;;
	named)
		grep -E "transfer of '$zq/IN' from 127\.0\.0\.1#$P_DNSD: got (incremental|nonincremental) response" \
			"$T/$s.since" | sed -E 's/.*got (incremental|nonincremental) response.*/\1/' |
			sed -e 's/^incremental$/IXFR/' -e 's/^nonincremental$/AXFR/'
		;;
	nsd)
		# no type in NSD's log: the size (see the header)
		grep -E "zone $zq\. received update to serial [0-9]+ .* of [0-9]+ bytes" "$T/$s.since" |
			sed -E 's/.* of ([0-9]+) bytes.*/\1/' | while read -r b; do
			if [ "$z" = example.test. ] && [ -n "$nsd_axfr_bytes" ]; then
				[ "$b" -lt $((nsd_axfr_bytes / 2)) ] && echo IXFR || echo AXFR
			else
				echo "$b"
			fi
		done
		;;
	esac | sort -u | tr '\n' ' ' | sed 's/ $//'
}

declare -A MARK
mark_logs() { for s in "${SECS[@]}"; do MARK[$s]=$(wc -l <"${LOG[$s]}"); done; }

# --- change 1: a new name in the signed zone
mark_logs
s0=$(serial "$P_DNSD" example.test.)
check "dnsctl record add example.test newname 300 A 192.0.2.99" \
	ctl record add example.test newname 300 A 192.0.2.99
s1=$(serial "$P_DNSD" example.test.)
if [ -n "$s0" ] && [ -n "$s1" ] && [ "$s1" != "$s0" ]; then
	dt_ok "dnsd serves example.test. with a new serial ($s0 -> $s1)"
else
	dt_not_ok "dnsd serves example.test. with a new serial ($s0 -> $s1)"
fi
wait_synced "NOTIFY brings example.test. serial $s1 with newname A 192.0.2.99" \
	"example.test.=newname.example.test/A/192.0.2.99"
for s in "${SECS[@]}"; do
	# NOTIFY received and signed with the key of the secondary line
	case $s in
	knot) pat="\[example\.test\.\] notify, incoming, remote 127\.0\.0\.1@[0-9]+" ;;
	nsd) pat="notify for example\.test\. from 127\.0\.0\.1( serial [0-9]+)?$" ;;
	named) pat="received notify for zone 'example\.test': TSIG 'k-named'" ;;
	esac
	if tail -n +$((MARK[$s] + 1)) "${LOG[$s]}" | grep -Eq "$pat"; then
		dt_ok "${NAME[$s]}: received dnsd's NOTIFY for example.test."
	else
		dt_not_ok "${NAME[$s]}: received dnsd's NOTIFY for example.test."
		tail -n +$((MARK[$s] + 1)) "${LOG[$s]}" | grep -Ei 'notify' | head -5 | dt_diag -
	fi
done
if grep -Eq "NOTIFY of zone example\.test\. serial $s1 to 127\.0\.0\.1@$P_KNOT \(TSIG\)" "$T/dnsd.log" &&
	grep -Eq "NOTIFY of zone example\.test\. serial $s1 to 127\.0\.0\.1@$P_NSD \(TSIG\)" "$T/dnsd.log" &&
	grep -Eq "NOTIFY of zone example\.test\. serial $s1 to 127\.0\.0\.1@$P_NAMED \(TSIG\)" "$T/dnsd.log"; then
	dt_ok "dnsd logs a signed NOTIFY of serial $s1 to each of the three secondaries"
else
	dt_not_ok "dnsd logs a signed NOTIFY of serial $s1 to each of the three secondaries"
	grep -i notify "$T/dnsd.log" | tail -6 | dt_diag -
fi
for s in "${SECS[@]}"; do
	kind=$(xfr_kind "$s" example.test. "${MARK[$s]}")
	expect_eq "${NAME[$s]}: example.test. change came as an incremental transfer (IXFR)" "$kind" IXFR
done
same_records "holds exactly dnsd's example.test. after the change" example.test.

# --- change 2: a deletion in an unsigned zone
mark_logs
o0=$(serial "$P_DNSD" other.test.)
check "dnsctl record del other.test www TXT" ctl record del other.test www TXT
o1=$(serial "$P_DNSD" other.test.)
if [ -n "$o0" ] && [ -n "$o1" ] && [ "$o1" != "$o0" ]; then
	dt_ok "dnsd serves other.test. with a new serial ($o0 -> $o1)"
else
	dt_not_ok "dnsd serves other.test. with a new serial ($o0 -> $o1)"
fi
wait_synced "NOTIFY brings other.test. serial $o1 without the TXT at www" \
	"other.test.=www.other.test/TXT/" "other.test.=www.other.test/A/192.0.2.233"
for s in knot named; do
	kind=$(xfr_kind "$s" other.test. "${MARK[$s]}")
	expect_eq "${NAME[$s]}: other.test. deletion came as an incremental transfer (IXFR)" "$kind" IXFR
done
# nsd: no verdict here, its log has the size only and other.test. is so small
# that an IXFR of one deletion (4 SOAs) is as large as the whole zone
echo "# nsd: other.test. update of $(xfr_kind nsd other.test. "${MARK[nsd]}") octets (no transfer type in NSD's log)"
same_records "holds exactly dnsd's other.test. after the deletion" other.test.

# ---------------------------------------------------------------- 3. refusals
probe() { "$PY" "$T/probe.py" 127.0.0.1 "$P_DNSD" "$@" 2>&1; }
kd() { kdig @127.0.0.1 -p "$P_DNSD" +time=3 +retry=0 "$@" 2>&1; }
dlog_mark=$(wc -l <"$T/dnsd.log")
bad_secret=$(printf '%s' "${SECRET[knot]}" | "$PY" -c '
import base64, sys
b = bytearray(base64.b64decode(sys.stdin.read())); b[0] ^= 1
print(base64.b64encode(bytes(b)).decode())')

expect_eq "AXFR without a key: REFUSED, unsigned" \
	"$(probe example.test. AXFR tcp | head -1)" "rcode=REFUSED tsig=none"
expect_eq "kdig AXFR without a key: server replied with error 'REFUSED'" \
	"$(kd example.test. AXFR | grep -o "server replied with error '[A-Z]*'")" \
	"server replied with error 'REFUSED'"
expect_eq "AXFR signed with an unknown key name: NOTAUTH, TSIG error BADKEY" \
	"$(probe example.test. AXFR tcp "hmac-sha256:k-nobody:${SECRET[knot]}" | head -1)" "rcode=NOTAUTH tsig=BADKEY"
expect_eq "kdig AXFR with an unknown key: server replied with error 'BADKEY'" \
	"$(kd -y "hmac-sha256:k-nobody:${SECRET[knot]}" example.test. AXFR | grep -o "server replied with error '[A-Z]*'")" \
	"server replied with error 'BADKEY'"
expect_eq "AXFR with a known key name and a wrong secret: NOTAUTH, TSIG error BADSIG" \
	"$(probe example.test. AXFR tcp "hmac-sha256:k-knot:$bad_secret" | head -1)" "rcode=NOTAUTH tsig=BADSIG"
expect_eq "kdig AXFR with a wrong secret: server replied with error 'BADSIG'" \
	"$(kd -y "hmac-sha256:k-knot:$bad_secret" example.test. AXFR | grep -o "server replied with error '[A-Z]*'")" \
	"server replied with error 'BADSIG'"
expect_eq "AXFR (signed) of a zone dnsd does not serve: NOTAUTH, the answer signed" \
	"$(probe nozone.test. AXFR tcp "${KEYARG[knot]}" | head -1)" "rcode=NOTAUTH tsig=ok"
expect_eq "kdig AXFR of a zone dnsd does not serve: server replied with error 'NOTAUTH'" \
	"$(kd -y "${KEYARG[knot]}" nozone.test. AXFR | grep -o "server replied with error '[A-Z]*'")" \
	"server replied with error 'NOTAUTH'"
cur=$(serial "$P_DNSD" example.test.)
soa_now=$(kdig @127.0.0.1 -p "$P_DNSD" +norec +time=1 +retry=0 example.test. SOA +noall +answer 2>/dev/null |
	awk '{ $1 = $1; print }')
got=$(probe example.test. "IXFR=$s0" udp "${KEYARG[nsd]}" | awk '{ $1 = $1; print }')
expect_eq "IXFR over UDP (signed, from serial $s0): NOERROR, the SOA (serial $cur) alone, signed" \
	"$got" "rcode=NOERROR tsig=ok
$soa_now"
expect_eq "IXFR over UDP without a key: REFUSED" \
	"$(probe example.test. "IXFR=$s0" udp | head -1)" "rcode=REFUSED tsig=none"
# what dnsd logged of them (peer without port: all from 127.0.0.1)
tail -n +$((dlog_mark + 1)) "$T/dnsd.log" >"$T/dnsd.refusals.log"
n_ref=$(grep -c "warning: AXFR of zone example\.test\. from 127\.0\.0\.1: REFUSED (not allowed by the transfer ACL)" "$T/dnsd.refusals.log")
n_na=$(grep -c "warning: AXFR of zone example\.test\. from 127\.0\.0\.1: NOTAUTH (no such zone, or a TSIG error)" "$T/dnsd.refusals.log")
n_nz=$(grep -c "warning: AXFR of zone nozone\.test\. from 127\.0\.0\.1: NOTAUTH (no such zone, or a TSIG error)" "$T/dnsd.refusals.log")
expect_eq "dnsd logs each refused AXFR: REFUSED x2, NOTAUTH x4 (BADKEY, BADSIG), NOTAUTH x2 (no zone)" \
	"$n_ref $n_na $n_nz" "2 4 2"
[ "$n_ref $n_na $n_nz" = "2 4 2" ] || dt_diag "$T/dnsd.refusals.log"

# ---------------------------------------------------------------- still running
for s in "${SECS[@]}"; do
	if dt_alive "${PID[$s]}"; then dt_ok "${NAME[$s]} still running"; else
		dt_not_ok "${NAME[$s]} still running"
		dt_log_tail "${LOG[$s]}"
	fi
done
if dt_alive "$DNSD_PID"; then dt_ok "dnsd still running"; else
	dt_not_ok "dnsd still running"
	dt_log_tail "$T/dnsd.log"
fi
echo "1..$DT_TAPNUM"
exit 0
