#!/bin/bash
# unbound_validate.sh - dnsd signs (policy default: NSEC3, and an NSEC policy),
# and unbound, validating with the zone's KSK as trust anchor and dnsd as its
# only upstream, returns AD-validated answers for every kind of answer:
# positive, NXDOMAIN, NODATA, wildcard, wildcard NODATA, CNAME chains, empty
# non-terminals, the DS of a signed delegation and the proof that an unsigned
# one has none.  None of them may be SERVFAIL.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
top_builddir=${top_builddir:-$here/../..}
DNSD=${DNSD:-$top_builddir/dnsd/dnsd}
DNSCTL=${DNSCTL:-$top_builddir/tools/dnsctl}
dt_need kdig unbound
[ -x "$DNSD" ] && [ -x "$DNSCTL" ] || dt_skip "dnsd/dnsctl not built"
dt_tmpdir
S=$DT_TMP/state
printf '[policy nsec]\nnsec nsec\nalgorithm ed25519\n' > "$DT_TMP/dnsd.conf"
for z in sig3 sig1; do
	cat > "$DT_TMP/$z.zone" <<Z
\$ORIGIN $z.test.
\$TTL 300
@        SOA   ns1 hostmaster 2026010100 3600 900 1209600 120
@        NS    ns1
@        MX    10 mail
ns1      A     192.0.2.1
mail     A     192.0.2.25
www      A     192.0.2.80
www      AAAA  2001:db8::80
*.wild   A     192.0.2.100
*.wild   TXT   "wildcard"
*.wcname CNAME www
a.b.c    A     192.0.2.4
alias    CNAME alias2
alias2   CNAME www
unsigned NS    ns.unsigned
ns.unsigned A  192.0.2.53
secure   NS    ns.secure
secure   DS    12345 13 2 2bb183af5f22588179a53b0a98631fad1a292118a2520d46b2a8f4b0d0c2e7e5
ns.secure A    192.0.2.54
Z
done
"$DNSCTL" -c "$DT_TMP/dnsd.conf" -D "$S" zone add sig3.test --file "$DT_TMP/sig3.zone" --dnssec default >/dev/null
"$DNSCTL" -c "$DT_TMP/dnsd.conf" -D "$S" zone add sig1.test --file "$DT_TMP/sig1.zone" --dnssec nsec >/dev/null
dt_free_port P
dt_start dnsd "$DT_TMP/dnsd.log" "$DNSD" -c "$DT_TMP/dnsd.conf" -D "$S" -l 127.0.0.1@$P -f
if ! dt_wait_dns 127.0.0.1 "$P" sig3.test 10 "$DT_PID"; then dt_log_tail "$DT_TMP/dnsd.log"; dt_bail "dnsd did not start"; fi
dt_free_port U
{
	printf 'server:\n  interface: 127.0.0.1\n  port: %s\n  do-not-query-localhost: no\n' "$U"
	printf '  username: ""\n  chroot: ""\n  directory: "%s"\n  pidfile: "%s/unbound.pid"\n' "$DT_TMP" "$DT_TMP"
	printf '  use-syslog: no\n  logfile: "%s/unbound.log"\n  verbosity: 1\n  val-log-level: 2\n' "$DT_TMP"
	printf '  local-zone: "test." nodefault\n  module-config: "validator iterator"\n'
	printf '  harden-referral-path: no\n  qname-minimisation: no\n'
	for z in sig3 sig1; do
		k=$(kdig @127.0.0.1 -p "$P" +short $z.test DNSKEY | awk '$1 == 257')
		[ -n "$k" ] || dt_bail "no KSK served for $z.test"
		printf '  trust-anchor: "%s.test. DNSKEY %s"\n' $z "$k"
	done
	printf 'remote-control:\n  control-enable: no\n'
	for z in sig3 sig1; do printf 'stub-zone:\n  name: "%s.test."\n  stub-addr: 127.0.0.1@%s\n' $z "$P"; done
} > "$DT_TMP/unbound.conf"
dt_start unbound "$DT_TMP/unbound.out" unbound -d -c "$DT_TMP/unbound.conf"
for i in $(seq 1 50); do kdig @127.0.0.1 -p "$U" +timeout=1 +retry=0 sig3.test SOA >/dev/null 2>&1 && break; sleep 0.1; done

check() { # NAME TYPE RCODE [ANSWER-REGEX] : unbound's answer is AD-validated
	local out st fl
	out=$(kdig @127.0.0.1 -p "$U" +dnssec +timeout=3 +retry=1 "$1" "$2" 2>&1)
	st=$(echo "$out" | grep -o 'status: [A-Z]*' | cut -d' ' -f2)
	fl=$(echo "$out" | grep -o 'Flags: [a-z ]*' | head -1)
	if [ "$st" = "$3" ] && echo "$fl" | grep -qw ad && { [ -z "${4:-}" ] || echo "$out" | grep -qE "$4"; }; then
		dt_ok "$z: $1 $2 -> $3, AD"
	else
		dt_not_ok "$z: $1 $2 -> $3, AD (got ${st:-no answer}, ${fl:-no flags})"
		echo "$out" | sed 's/^/#   /' | head -30
		grep -i "validation failure" "$DT_TMP/unbound.log" | tail -3 | sed 's/^/#   /'
	fi
}
for z in sig3 sig1; do
	check www.$z.test A NOERROR '192\.0\.2\.80'
	check www.$z.test AAAA NOERROR '2001:db8::80'
	check $z.test MX NOERROR 'MX.*mail'
	check nope.$z.test A NXDOMAIN
	check deep.nope.$z.test A NXDOMAIN
	check www.$z.test TXT NOERROR
	check b.c.$z.test A NOERROR            # empty non-terminal
	check x.wild.$z.test A NOERROR '192\.0\.2\.100'
	check x.wild.$z.test TXT NOERROR 'wildcard'
	check x.wild.$z.test MX NOERROR        # wildcard NODATA
	check y.x.wild.$z.test A NOERROR '192\.0\.2\.100'
	check q.wcname.$z.test A NOERROR '192\.0\.2\.80'  # wildcard CNAME
	check alias.$z.test A NOERROR '192\.0\.2\.80'     # CNAME chain
	check secure.$z.test DS NOERROR 'DS.*12345'       # signed delegation
	check unsigned.$z.test DS NOERROR                 # the proof there is no DS
	check $z.test DNSKEY NOERROR 'DNSKEY'
done
# restarted, dnsd signs nothing again (all signatures from the state)
kill "$(pgrep -f "dnsd -c $DT_TMP/dnsd.conf")" 2>/dev/null
sleep 0.5
dt_start dnsd "$DT_TMP/dnsd2.log" "$DNSD" -c "$DT_TMP/dnsd.conf" -D "$S" -l 127.0.0.1@$P -f -v
dt_wait_dns 127.0.0.1 "$P" sig3.test 10 "$DT_PID" || dt_log_tail "$DT_TMP/dnsd2.log"
if grep -q "new signatures" "$DT_TMP/dnsd2.log" && ! grep "new signatures" "$DT_TMP/dnsd2.log" | grep -qv " 0 new signatures"; then
	dt_ok "restart: 0 new signatures ($(grep -o '[0-9]* RRsets signed, 0 new signatures, [0-9]* reused' "$DT_TMP/dnsd2.log" | head -1))"
else
	dt_not_ok "restart: 0 new signatures"; grep "signatures" "$DT_TMP/dnsd2.log" | sed 's/^/#   /'
fi
echo "1..$DT_TAPNUM"
