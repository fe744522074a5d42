#!/bin/bash
# sign_validate.sh - zones signed by keymgr (as dnsd signs them) pass three
# independent validators: ldns-verify-zone, BIND's dnssec-verify and Knot's
# kzonecheck, for NSEC and NSEC3 and for each algorithm (13, 15, 8); and a
# re-signing run reuses every signature that still covers the same data.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
top_builddir=${top_builddir:-$here/../..}
SIGN=$top_builddir/tests/keymgr/signzone
dt_need ldns-verify-zone dnssec-verify kzonecheck
[ -x "$SIGN" ] || dt_skip "tests/keymgr/signzone not built"
dt_tmpdir
for z in "$here"/diffzones/*.zone; do
	apex=$(basename "$z" .zone).
	for alg in ecdsap256sha256 ed25519 rsasha256; do
		for chain in nsec nsec3; do
			what="$apex $alg $chain"
			if ! "$SIGN" "$apex" "$z" "$DT_TMP/s.zone" $alg $chain >"$DT_TMP/out" 2>&1; then
				dt_not_ok "$what: signed"; dt_diag "$DT_TMP/out"; continue
			fi
			if ldns-verify-zone "$DT_TMP/s.zone" >"$DT_TMP/v" 2>&1; then dt_ok "$what: ldns-verify-zone"
			else dt_not_ok "$what: ldns-verify-zone"; dt_log_tail "$DT_TMP/v" 10; fi
			if dnssec-verify -o "$apex" "$DT_TMP/s.zone" >"$DT_TMP/v" 2>&1; then dt_ok "$what: dnssec-verify"
			else dt_not_ok "$what: dnssec-verify"; dt_log_tail "$DT_TMP/v" 10; fi
			if kzonecheck -o "$apex" -d on "$DT_TMP/s.zone" >"$DT_TMP/v" 2>&1; then dt_ok "$what: kzonecheck -d on"
			else dt_not_ok "$what: kzonecheck -d on"; dt_log_tail "$DT_TMP/v" 10; fi
		done
	done
done
# signature reuse: nothing changed -> nothing re-signed; one A RRset changed ->
# exactly that RRset re-signed (its NSEC3 bitmap does not change)
"$SIGN" example.test. "$here/diffzones/example.test.zone" "$DT_TMP/r.zone" ecdsap256sha256 nsec3 --resign-stats \
	>"$DT_TMP/stats" 2>/dev/null
n=$(awk '/^unchanged:/{print $3}' "$DT_TMP/stats")
if grep -q "^unchanged: rrsets $n reused $n new 0$" "$DT_TMP/stats"; then dt_ok "re-signing unchanged data reuses all $n signatures"
else dt_not_ok "re-signing unchanged data reuses all signatures"; dt_diag "$DT_TMP/stats"; fi
if grep -q "^one A added: rrsets $n reused $((n - 1)) new 1$" "$DT_TMP/stats"; then dt_ok "one changed RRset: one new signature"
else dt_not_ok "one changed RRset: one new signature"; dt_diag "$DT_TMP/stats"; fi
if grep -q "^6 days later: rrsets $n reused $n new 0$" "$DT_TMP/stats"; then dt_ok "6 days later (refresh at 7 of 14 days): nothing re-signed"
else dt_not_ok "6 days later: nothing re-signed"; dt_diag "$DT_TMP/stats"; fi
if grep -q "^8 days later: rrsets $n reused 0 new $n$" "$DT_TMP/stats"; then dt_ok "8 days later: every signature refreshed"
else dt_not_ok "8 days later: every signature refreshed"; dt_diag "$DT_TMP/stats"; fi
spread=$(awk '/^expirations spread over/{print $4}' "$DT_TMP/stats")
if [ "${spread:-0}" -gt 3600 ] && [ "${spread:-0}" -le 86400 ]; then dt_ok "expirations spread by the jitter (${spread} s of at most 86400)"
else dt_not_ok "expirations spread by the jitter"; dt_diag "$DT_TMP/stats"; fi
if ldns-verify-zone -t +$((8 * 86400 + 60)) "$DT_TMP/r.zone" >"$DT_TMP/v" 2>&1; then dt_ok "the zone re-signed 8 days on verifies at that time"
else dt_not_ok "the re-signed zone verifies"; dt_log_tail "$DT_TMP/v" 10; fi
echo "1..$DT_TAPNUM"
