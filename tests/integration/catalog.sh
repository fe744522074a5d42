#!/bin/bash
# catalog.sh - knotd as an RFC 9432 catalog-zone consumer of dnsd.
#
# dnsd serves two unsigned zones, a.test. and b.test., and (config line
# "catalog-zone catalog.invalid") the catalog zone catalog.invalid. listing
# them; "secondary 127.0.0.1@KNOT key k-knot" makes dnsd NOTIFY knotd and lets
# it transfer every zone, the catalog too, with the TSIG key k-knot.
# knotd is configured with the catalog zone only (catalog-role: interpret, its
# members get the template "member": primary dnsd, NOTIFY from dnsd with the
# key). The test checks, as an operator would see it:
#   1. knotd transfers the catalog (its catalog database, read with
#      kcatalogprint, then holds dnsd's members with dnsd's IDs) and serves
#      a.test. and b.test. at dnsd's serials, though its configuration names
#      neither;
#   2. "dnsctl zone add c.test": dnsd's catalog gets a third member (serial
#      up, signed NOTIFY to knotd), and knotd serves c.test. at dnsd's serial,
#      its configuration untouched and the process neither reloaded nor
#      restarted;
#   3. "dnsctl zone remove b.test": the member goes from the catalog and knotd
#      stops serving b.test. (REFUSED or NOTAUTH), a.test. and c.test. stay;
#   4. the logs: dnsd's "catalog zone catalog.invalid.: serial N, M member
#      zones" and NOTIFY of the catalog; knotd 3.2's lines
#        "[catalog.invalid.] catalog reloaded, 1 updates"
#        "catalog, updating, 1 changes"
#        "[c.test.] zone added from catalog"      (a member added)
#        "[b.test.] zone purged"                  (notice: a member removed)
#   5. at each step an AXFR of catalog.invalid. from dnsd (with the key) holds
#      the SOA, the NS, version TXT "2" and exactly one PTR per hosted zone
#      (ID.zones.catalog.invalid., IDs unique, kept while the zone stays);
#      without a key: REFUSED.
# knotd answers no queries for a catalog zone it interprets (REFUSED): the
# serial it holds comes from its log ("[catalog.invalid.] refresh, ... zone
# updated, ... serial 1 -> 2").
#
# Usage:   tests/integration/catalog.sh [--keep]
# Environment: top_builddir, DNSD, DNSCTL, KNOTD, DT_KEEP_TMP=1, DT_SKIP_STATUS.
# Exit: 77 (skip) when knotd, kdig or the dnsd binaries are missing; otherwise
# 0, and the TAP lines tell the result.
# Needs: apt-get install -y knot knot-dnsutils (knotd 3.1 or later: catalog
# zones; kcatalogprint comes with knot; this test runs knotd in the
# foreground with its own configuration, storage and pid file in its temp dir).

set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

top_builddir=${top_builddir:-$here/../..}
DNSD=${DNSD:-$top_builddir/dnsd/dnsd}
DNSCTL=${DNSCTL:-$top_builddir/tools/dnsctl}
KNOTD=${KNOTD:-$(command -v knotd || echo /usr/sbin/knotd)}
KCATPRINT=${KCATPRINT:-$(command -v kcatalogprint || echo /usr/sbin/kcatalogprint)}
DEADLINE=30 # seconds for knotd to catch up
CAT=catalog.invalid.

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

# ---------------------------------------------------------------- prerequisites
[ -x "$KNOTD" ] || dt_skip "knotd not found (apt-get install knot)"
[ -x "$KCATPRINT" ] || dt_skip "kcatalogprint not found (apt-get install knot)"
dt_need kdig
[ -x "$DNSD" ] || dt_skip "dnsd not built yet ($DNSD missing)"
[ -x "$DNSCTL" ] || dt_skip "dnsctl not built yet ($DNSCTL missing)"
kv=$("$KNOTD" -V 2>&1 | grep -Eo '[0-9]+\.[0-9]+' | head -1)
case $kv in
2.* | 3.0) dt_skip "knotd $kv has no catalog zones (3.1 or later needed)" ;;
esac

dt_tmpdir
T=$DT_TMP
S=$T/dnsd-state
mkdir -p "$T/zones" "$T/knot" || dt_bail "cannot write $T"

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
echo "# dnsd 127.0.0.1@$P_DNSD, knotd 127.0.0.1@$P_KNOT (knotd $kv)"

# ---------------------------------------------------------------- the zones
# ZONE SERIAL ADDRESS: a skeleton zone, SOA + NS + one A (www)
mkzone() {
	cat >"$T/zones/$1.zone" <<EOF
\$ORIGIN $1.
\$TTL 300
@	SOA	ns1 hostmaster $2 3600 900 1209600 60
@	NS	ns1
ns1	A	192.0.2.1
www	A	$3
EOF
}
mkzone a.test 2026010101 192.0.2.11
mkzone b.test 2026010201 192.0.2.12
mkzone c.test 2026010301 192.0.2.13

for z in a.test b.test; do
	check "dnsctl zone add $z --dnssec off" ctl zone add "$z" --file "$T/zones/$z.zone" --dnssec off
done
check "dnsctl tsig add k-knot" ctl tsig add k-knot --alg hmac-sha256
SECRET=$(ctl tsig show k-knot --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
k = json.load(sys.stdin)
print(k["secret"] if k["algorithm"] == "hmac-sha256" and k["key"].rstrip(".") == "k-knot" else "")
' 2>/dev/null)
if [ -n "$SECRET" ]; then
	dt_ok "dnsctl tsig show k-knot --json gives the key's secret"
else
	dt_not_ok "dnsctl tsig show k-knot --json gives the key's secret"
	ctl tsig show k-knot --json 2>&1 | dt_diag -
	dt_bail "no TSIG secret: knotd cannot be configured"
fi
KEYARG=hmac-sha256:k-knot:$SECRET

cat >"$T/dnsd.conf" <<EOF
# the catalog of every hosted zone (RFC 9432)
catalog-zone catalog.invalid
# NOTIFY target, may transfer (every zone, the catalog too) with the key
secondary 127.0.0.1@$P_KNOT key k-knot
EOF
dt_start dnsd "$T/dnsd.log" "$DNSD" -D "$S" -l "127.0.0.1@$P_DNSD" -f -c "$T/dnsd.conf"
DNSD_PID=$DT_PID
dnsd_up=1
for z in a.test. b.test. $CAT; do
	if ! dt_wait_dns 127.0.0.1 "$P_DNSD" "$z" 10 "$DNSD_PID"; then
		dnsd_up=0
		break
	fi
done
if [ $dnsd_up = 1 ]; then
	dt_ok "dnsd serves a.test., b.test. and the catalog $CAT"
else
	dt_not_ok "dnsd serves a.test., b.test. and the catalog $CAT"
	dt_log_tail "$T/dnsd.log"
	dt_bail "dnsd did not start"
fi

# serial PORT ZONE: the SOA serial served (empty if none)
serial() {
	kdig @127.0.0.1 -p "$1" +norec +time=1 +retry=0 +short "$2" SOA 2>/dev/null | awk 'NR==1 {print $3}'
}
# rcode PORT ZONE: the rcode of a SOA query (empty if no answer)
rcode() {
	kdig @127.0.0.1 -p "$1" +norec +time=1 +retry=0 "$2" SOA 2>/dev/null |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p' | head -1
}

# catalog_check DESC MEMBER... : an AXFR of the catalog from dnsd (with the
# key) holds SOA, NS invalid., version TXT "2" and one PTR per MEMBER, at
# distinct IDs ID.zones.catalog.invalid., nothing else; CAT_IDS gets "ID ZONE" lines
CAT_IDS=
catalog_check() {
	local desc=$1 m want got bad=""
	shift
	kdig @127.0.0.1 -p "$P_DNSD" +time=3 +retry=0 -y "$KEYARG" $CAT AXFR >"$T/cat.axfr" 2>&1
	grep -v '^;' "$T/cat.axfr" | awk 'NF && $4 != "TSIG" { $1 = tolower($1); $2 = ""; print }' |
		awk '{ $1 = $1; print }' | sort -u >"$T/cat.rrs"
	# the SOA's serial, whatever it is; the PTR owners' IDs masked
	got=$(sed -E -e 's/^(catalog\.invalid\. IN SOA .*) [0-9]+ ([0-9]+ [0-9]+ [0-9]+ [0-9]+)$/\1 SERIAL \2/' \
		-e 's/^[0-9a-z-]+\.zones\.catalog\.invalid\. IN PTR /ID.zones.catalog.invalid. IN PTR /' \
		"$T/cat.rrs" | sort)
	want=$({
		echo "catalog.invalid. IN SOA invalid. invalid. SERIAL 3600 600 2147483646 0"
		echo "catalog.invalid. IN NS invalid."
		echo 'version.catalog.invalid. IN TXT "2"'
		for m in "$@"; do echo "ID.zones.catalog.invalid. IN PTR $m"; done
	} | sort)
	CAT_IDS=$(sed -n -E 's/^([0-9a-z-]+)\.zones\.catalog\.invalid\. IN PTR (.*)$/\1 \2/p' "$T/cat.rrs")
	# each ID once (RFC 9432 4.2.2: unique labels)
	[ "$(printf '%s\n' "$CAT_IDS" | awk 'NF {print $1}' | sort | uniq -d)" = "" ] || bad=" (an ID used twice)"
	if [ "$got" = "$want" ] && [ -z "$bad" ] && grep -q '^;; Received [0-9]* B ([0-9]* messages\?, [0-9]* records)' "$T/cat.axfr" &&
		! grep -Eq '^;; (ERROR|WARNING)' "$T/cat.axfr"; then
		dt_ok "$desc"
	else
		dt_not_ok "$desc$bad"
		printf '%s\n' "got:" "$got" "expected:" "$want" | dt_diag -
		tail -n 5 "$T/cat.axfr" | dt_diag -
	fi
}

s_cat1=$(serial "$P_DNSD" $CAT)
if grep -Eq "info: catalog zone catalog\.invalid\.: serial $s_cat1, 2 member zones" "$T/dnsd.log"; then
	dt_ok "dnsd logs 'catalog zone catalog.invalid.: serial $s_cat1, 2 member zones'"
else
	dt_not_ok "dnsd logs 'catalog zone catalog.invalid.: serial $s_cat1, 2 member zones'"
	grep -i catalog "$T/dnsd.log" | dt_diag -
fi
catalog_check "AXFR of $CAT from dnsd (TSIG k-knot): version \"2\", PTR a.test. and b.test." a.test. b.test.
IDS1=$CAT_IDS
expect_eq "AXFR of $CAT without a key: REFUSED (same ACL as the other zones)" \
	"$(kdig @127.0.0.1 -p "$P_DNSD" +time=3 +retry=0 $CAT AXFR 2>&1 | grep -o "server replied with error '[A-Z]*'")" \
	"server replied with error 'REFUSED'"

# ---------------------------------------------------------------- knotd: the catalog only
knot_primary=master # Knot 3.3 renamed it
case $kv in 3.[012]) ;; *) knot_primary=primary ;; esac
cat >"$T/knot/knot.conf" <<EOF
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
    secret: $SECRET
remote:
  - id: dnsd
    address: 127.0.0.1@$P_DNSD
    key: k-knot
acl:
  - id: notify-from-dnsd
    address: 127.0.0.1
    key: k-knot
    action: notify
template:
  - id: default
    storage: "$T/knot"
    $knot_primary: dnsd
    acl: notify-from-dnsd
    zonefile-sync: -1
    zonefile-load: none
    journal-content: all
  - id: member
    storage: "$T/knot"
    $knot_primary: dnsd
    acl: notify-from-dnsd
    zonefile-sync: -1
    zonefile-load: none
    journal-content: all
zone:
  - domain: $CAT
    catalog-role: interpret
    catalog-template: member
EOF
conf_sum=$(md5sum <"$T/knot/knot.conf")
KLOG=$T/knot/knotd.log
dt_start knotd "$KLOG" "$KNOTD" -c "$T/knot/knot.conf"
KNOT_PID=$DT_PID

# knot_catalog: knotd's catalog database (kcatalogprint), "ID ZONE" lines sorted
knot_catalog() {
	"$KCATPRINT" -c "$T/knot/knot.conf" -a $CAT 2>&1 |
		sed -n -E 's/^([^;[:space:]]+)[[:space:]]+([0-9a-z-]+)\.zones\.catalog\.invalid\.[[:space:]]+catalog\.invalid\..*/\2 \1/p' |
		sort
}
# knot_cat_serial: the last serial of the catalog knotd logged taking from dnsd
knot_cat_serial() {
	grep -E "info: \[catalog\.invalid\.\] refresh, remote 127\.0\.0\.1@$P_DNSD, zone updated, .* serial [0-9a-z]+ -> [0-9]+" "$KLOG" |
		tail -n 1 | sed -E 's/.* -> ([0-9]+).*/\1/'
}

# wait_knot DESC CHECK... : until every CHECK holds at knotd, for DEADLINE s:
#   ZONE       served at dnsd's serial (dnsd serving it)
#   -ZONE      not served: knotd answers REFUSED or NOTAUTH
#   ZONE=ADDR  www.ZONE A ADDR served
#   catalog    knotd took the catalog at dnsd's serial (its log: knotd answers
#              no queries for a catalog it interprets, REFUSED) and its catalog
#              database holds exactly the members (IDs and zones) of dnsd's
#              catalog as the last catalog_check saw it (CAT_IDS)
wait_knot() {
	local desc=$1 start c ok z want got
	shift
	start=$(date +%s)
	while :; do
		ok=1
		for c in "$@"; do
			case $c in
			catalog)
				want=$(serial "$P_DNSD" $CAT)
				{ [ -n "$want" ] && [ "$(knot_cat_serial)" = "$want" ]; } || ok=0
				[ "$(knot_catalog)" = "$(printf '%s\n' "$CAT_IDS" | sort)" ] || ok=0
				;;
			-*)
				got=$(rcode "$P_KNOT" "${c#-}")
				case $got in REFUSED | NOTAUTH) ;; *) ok=0 ;; esac
				;;
			*=*)
				z=${c%%=*}
				got=$(kdig @127.0.0.1 -p "$P_KNOT" +norec +time=1 +retry=0 +short "www.$z" A 2>/dev/null)
				[ "$got" = "${c#*=}" ] || ok=0
				;;
			*)
				want=$(serial "$P_DNSD" "$c")
				got=$(serial "$P_KNOT" "$c")
				{ [ -n "$want" ] && [ "$got" = "$want" ]; } || ok=0
				;;
			esac
			[ $ok = 0 ] && break
		done
		[ $ok = 1 ] && break
		dt_alive "$KNOT_PID" || break
		[ $(($(date +%s) - start)) -ge $DEADLINE ] && break
		sleep 0.2
	done
	if [ $ok = 1 ]; then
		dt_ok "knotd: $desc"
	else
		dt_not_ok "knotd: $desc (within $DEADLINE s)"
		for c in "$@"; do
			if [ "$c" = catalog ]; then
				echo "#   $CAT: dnsd serial '$(serial "$P_DNSD" $CAT)', knotd took serial '$(knot_cat_serial)'"
				printf '%s\n' "knotd's catalog database:" "$(knot_catalog)" "dnsd's catalog:" "$CAT_IDS" | dt_diag -
				continue
			fi
			z=${c#-}
			z=${z%%=*}
			echo "#   $z: dnsd serial '$(serial "$P_DNSD" "$z")' $(rcode "$P_DNSD" "$z"), knotd serial '$(serial "$P_KNOT" "$z")' $(rcode "$P_KNOT" "$z")"
		done
		dt_alive "$KNOT_PID" || echo "#   knotd is not running"
		dt_log_tail "$KLOG" 25
	fi
}
# knot_since LINE: knotd's log after line LINE
knot_since() { tail -n +$(($1 + 1)) "$KLOG"; }
# knot_logs DESC LINE REGEX... : each REGEX matches a line of knotd's log after LINE
knot_logs() {
	local desc=$1 from=$2 re miss=""
	shift 2
	knot_since "$from" >"$T/knot.since"
	for re in "$@"; do grep -Eq "$re" "$T/knot.since" || miss="$miss '$re'"; done
	if [ -z "$miss" ]; then
		dt_ok "knotd: $desc"
	else
		dt_not_ok "knotd: $desc"
		echo "#   no line matches:$miss"
		grep -Ei 'catalog|a\.test|b\.test|c\.test' "$T/knot.since" | tail -n 20 | dt_diag -
	fi
}
# dnsd_notified SERIAL LINE: dnsd logged a signed NOTIFY of the catalog at SERIAL to knotd after LINE
dnsd_notified() {
	local re="NOTIFY of zone catalog\.invalid\. serial $1 to 127\.0\.0\.1@$P_KNOT \(TSIG\)"
	if tail -n +$(($2 + 1)) "$T/dnsd.log" | grep -Eq "$re"; then
		dt_ok "dnsd logs a signed NOTIFY of $CAT serial $1 to knotd"
	else
		dt_not_ok "dnsd logs a signed NOTIFY of $CAT serial $1 to knotd"
		tail -n +$(($2 + 1)) "$T/dnsd.log" | grep -i notify | tail -n 6 | dt_diag -
	fi
}

# ---------------------------------------------------------------- 1. initial catalog
CAT_IDS=$IDS1
wait_knot "took the catalog $CAT at dnsd's serial ($s_cat1), its catalog database lists a.test. and b.test. with dnsd's IDs" catalog
wait_knot "serves a.test. and b.test. (members of the catalog) at dnsd's serials" \
	a.test. b.test. a.test.=192.0.2.11 b.test.=192.0.2.12
knot_logs "its log shows the catalog read and both members added" 0 \
	"\[catalog\.invalid\.\] AXFR, incoming, remote 127\.0\.0\.1@$P_DNSD, finished" \
	"\[catalog\.invalid\.\] catalog reloaded, 2 updates" "info: catalog, updating, 2 changes" \
	"\[a\.test\.\] zone added from catalog" "\[b\.test\.\] zone added from catalog" \
	"\[a\.test\.\] AXFR, incoming, remote 127\.0\.0\.1@$P_DNSD, finished" \
	"\[b\.test\.\] AXFR, incoming, remote 127\.0\.0\.1@$P_DNSD, finished"
expect_eq "knotd does not serve c.test. yet (REFUSED or NOTAUTH)" \
	"$(rcode "$P_KNOT" c.test. | sed -E 's/^(REFUSED|NOTAUTH)$/refused/')" refused

# ---------------------------------------------------------------- 2. a zone added to dnsd
kmark=$(wc -l <"$KLOG")
dmark=$(wc -l <"$T/dnsd.log")
check "dnsctl zone add c.test --dnssec off" ctl zone add c.test --file "$T/zones/c.test.zone" --dnssec off
if dt_wait_dns 127.0.0.1 "$P_DNSD" c.test. 10 "$DNSD_PID"; then
	dt_ok "dnsd serves c.test."
else
	dt_not_ok "dnsd serves c.test."
	dt_log_tail "$T/dnsd.log"
fi
# the catalog's serial goes up (dnsd makes it again when it takes the zone)
s_cat2=$s_cat1
for _ in $(seq 50); do
	s_cat2=$(serial "$P_DNSD" $CAT)
	[ -n "$s_cat2" ] && [ "$s_cat2" != "$s_cat1" ] && break
	sleep 0.1
done
if [ -n "$s_cat2" ] && [ -n "$s_cat1" ] && [ "$s_cat2" -gt "$s_cat1" ] 2>/dev/null; then
	dt_ok "dnsd serves $CAT with a higher serial ($s_cat1 -> $s_cat2)"
else
	dt_not_ok "dnsd serves $CAT with a higher serial ($s_cat1 -> $s_cat2)"
fi
if tail -n +$((dmark + 1)) "$T/dnsd.log" | grep -Eq "info: catalog zone catalog\.invalid\.: serial $s_cat2, 3 member zones"; then
	dt_ok "dnsd logs 'catalog zone catalog.invalid.: serial $s_cat2, 3 member zones'"
else
	dt_not_ok "dnsd logs 'catalog zone catalog.invalid.: serial $s_cat2, 3 member zones'"
	tail -n +$((dmark + 1)) "$T/dnsd.log" | grep -i catalog | dt_diag -
fi
catalog_check "AXFR of $CAT from dnsd: PTR a.test., b.test. and c.test." a.test. b.test. c.test.
IDS2=$CAT_IDS
expect_eq "the IDs of a.test. and b.test. stay the same" \
	"$(printf '%s\n' "$IDS2" | grep -v ' c\.test\.$')" "$IDS1"
wait_knot "took the catalog at serial $s_cat2 (members a.test., b.test., c.test. with dnsd's IDs) and serves c.test. at dnsd's serial (knot.conf unchanged)" \
	catalog c.test. c.test.=192.0.2.13
dnsd_notified "$s_cat2" "$dmark"
knot_logs "its log shows the catalog update and c.test. added from it" "$kmark" \
	"\[catalog\.invalid\.\] notify, incoming, remote 127\.0\.0\.1@[0-9]+" \
	"\[catalog\.invalid\.\] catalog reloaded, 1 updates" "info: catalog, updating, 1 changes" \
	"\[c\.test\.\] zone added from catalog" \
	"\[c\.test\.\] AXFR, incoming, remote 127\.0\.0\.1@$P_DNSD, finished"
wait_knot "still serves a.test. and b.test." a.test. b.test.

# ---------------------------------------------------------------- 3. a zone removed from dnsd
kmark=$(wc -l <"$KLOG")
dmark=$(wc -l <"$T/dnsd.log")
check "dnsctl zone remove b.test" ctl zone remove b.test
got=
for _ in $(seq 50); do
	got=$(rcode "$P_DNSD" b.test.)
	case $got in REFUSED | NOTAUTH) break ;; esac
	sleep 0.1
done
expect_eq "dnsd no longer serves b.test. (REFUSED or NOTAUTH)" \
	"$(printf '%s' "$got" | sed -E 's/^(REFUSED|NOTAUTH)$/refused/')" refused
s_cat3=$s_cat2
for _ in $(seq 50); do
	s_cat3=$(serial "$P_DNSD" $CAT)
	[ -n "$s_cat3" ] && [ "$s_cat3" != "$s_cat2" ] && break
	sleep 0.1
done
if [ -n "$s_cat3" ] && [ -n "$s_cat2" ] && [ "$s_cat3" -gt "$s_cat2" ] 2>/dev/null; then
	dt_ok "dnsd serves $CAT with a higher serial ($s_cat2 -> $s_cat3)"
else
	dt_not_ok "dnsd serves $CAT with a higher serial ($s_cat2 -> $s_cat3)"
fi
if tail -n +$((dmark + 1)) "$T/dnsd.log" | grep -Eq "info: catalog zone catalog\.invalid\.: serial $s_cat3, 2 member zones"; then
	dt_ok "dnsd logs 'catalog zone catalog.invalid.: serial $s_cat3, 2 member zones'"
else
	dt_not_ok "dnsd logs 'catalog zone catalog.invalid.: serial $s_cat3, 2 member zones'"
	tail -n +$((dmark + 1)) "$T/dnsd.log" | grep -i catalog | dt_diag -
fi
catalog_check "AXFR of $CAT from dnsd: PTR a.test. and c.test. only" a.test. c.test.
expect_eq "the IDs of a.test. and c.test. stay the same" \
	"$CAT_IDS" "$(printf '%s\n' "$IDS2" | grep -v ' b\.test\.$')"
wait_knot "took the catalog at serial $s_cat3 (members a.test., c.test.) and no longer serves b.test. (REFUSED or NOTAUTH)" \
	catalog -b.test.
dnsd_notified "$s_cat3" "$dmark"
knot_logs "its log shows the catalog update and b.test. removed" "$kmark" \
	"\[catalog\.invalid\.\] notify, incoming, remote 127\.0\.0\.1@[0-9]+" \
	"\[catalog\.invalid\.\] catalog reloaded, 1 updates" "info: catalog, updating, 1 changes" \
	"notice: \[b\.test\.\] zone purged"
wait_knot "still serves a.test. and c.test. at dnsd's serials" a.test. c.test. a.test.=192.0.2.11 c.test.=192.0.2.13

# ---------------------------------------------------------------- knotd untouched
expect_eq "knot.conf unchanged since knotd started" "$(md5sum <"$T/knot/knot.conf")" "$conf_sum"
n_start=$(grep -c "info: starting server" "$KLOG")
n_reload=$(grep -Ec "info: (reloading configuration|configuration reloaded)" "$KLOG")
expect_eq "knotd started once, never reloaded (log: 'starting server' x1, no 'reloading configuration')" \
	"$n_start $n_reload" "1 0"
if dt_alive "$KNOT_PID"; then dt_ok "knotd still running"; else
	dt_not_ok "knotd still running"
	dt_log_tail "$KLOG"
fi
if dt_alive "$DNSD_PID"; then dt_ok "dnsd still running"; else
	dt_not_ok "dnsd still running"
	dt_log_tail "$T/dnsd.log"
fi
echo "1..$DT_TAPNUM"
exit 0
