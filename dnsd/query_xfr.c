/* SPDX-License-Identifier: MIT */
/*
 * Signed requests (RFC 8945) and zone transfer requests (RFC 5936, RFC 1995)
 * in the engine: who may transfer, and what a transfer request gets.
 * Only requests that carry a TSIG or ask for a transfer come here; ordinary
 * queries never do (the query path stays free of HMAC and of allocation).
 */
#include <string.h>
#include "dnsd/query_int.h"

int query_tsig_check(resp_t *r, const zones_snapshot_t *snap, const uint8_t *m, size_t len)
{
	size_t off;
	uint16_t arcount;
	int ret = dnsd_tsig_verify(m, len, snap ? snap->tsig : NULL, snap ? snap->ntsig : 0,
	                           r->in->now, &r->tsig, &off, &arcount);
	if (ret == DNS_EMALF) {
		r->rcode = RCODE_FORMERR;
		return -1;
	}
	if (ret == DNSD_TSIG_EFAIL) {
		/* RFC 8945 5.2: NOTAUTH, and a TSIG that says why (5.3.2) */
		r->rcode = RCODE_NOTAUTH;
		r->sign = true;
		return -1;
	}
	if (ret) {
		r->rcode = RCODE_SERVFAIL;
		return -1;
	}
	r->sign = r->tsig.key != NULL;
	return 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	return !rest || ((a[bytes] ^ b[bytes]) & (0xff00u >> rest) & 0xff) == 0;
}

/* RFC 5936 4.3 leaves the policy to us: an entry matches the client's address
 * and, if it names a key, the request must be signed with that key. */
static bool acl_allows(const dnsd_acl_t *acl, unsigned nacl, const dnsd_query_in_t *in,
                       const dnsd_tsig_ctx_t *tsig, bool signed_req)
{
	unsigned fam = in->addrlen == 4 ? 4 : 6;
	for (unsigned i = 0; i < nacl; i++) {
		const dnsd_acl_t *a = &acl[i];
		if (a->family != fam || !prefix_match(a->addr, in->addr, a->prefix))
			continue;
		if (!a->key[0])
			return true;
		if (signed_req && tsig->key &&
		    zones_name_cmp(a->key, tsig->key->name) == 0)
			return true;
	}
	return false;
}

/* RFC 7314 2: a primary's EXPIRE is its SOA's expire field, the fourth of the
 * five numbers that end the SOA's RDATA (the last 20 octets of its RR) */
static uint32_t soa_expire(const zones_czone_t *z)
{
	const zones_rrset_t *s = &z->rrsets[z->soa];
	return dns_get32(z->wire + s->wire + s->len - 8);
}

void query_expire(resp_t *r, const zones_snapshot_t *snap)
{
	if (!r->expire || !snap || r->rcode != RCODE_NOERROR ||
	    (r->qtype != ZONES_T_SOA && r->qtype != ZONES_T_IXFR && r->qtype != ZONES_T_AXFR))
		return;
	const zones_czone_t *z = zones_snapshot_get(snap, r->qlow, r->qlen,
	                                            zones_name_hash(r->qlow, r->qlen));
	if (z) {
		r->expire_val = soa_expire(z);
		r->expire_set = true;
	}
}

int query_xfr(resp_t *r, const dnsd_engine_t *eng, const zones_snapshot_t *snap)
{
	const zones_czone_t *z = snap ? zones_snapshot_get(snap, r->qlow, r->qlen,
	                                                   zones_name_hash(r->qlow, r->qlen))
	                              : NULL;
	if (!z) {
		/* RFC 5936 2.2.1: not authoritative for that zone */
		r->rcode = RCODE_NOTAUTH;
		r->ede = EDE_NOT_AUTHORITATIVE;
		return DNSD_RESPOND;
	}
	/* the zone's own list (zone set --transfer), else the configuration's */
	const dnsd_zone_xfr_t *zx = z->ext;
	bool allowed = zx && zx->has_acl ? acl_allows(zx->acl, zx->nacl, r->in, &r->tsig, r->sign)
	                                 : acl_allows(eng->conf->acl, eng->conf->nacl, r->in,
	                                              &r->tsig, r->sign);
	if (!allowed) {
		r->rcode = RCODE_REFUSED;
		r->ede = EDE_PROHIBITED;
		return DNSD_RESPOND;
	}
	if (r->qtype == ZONES_T_IXFR && (!r->in->tcp || !r->in->xfr)) {
		/* RFC 1995 2: over UDP, the SOA alone when the answer would not fit:
		 * we always say so, and the client comes back over TCP */
		r->qtype = ZONES_T_SOA;
		return DNSD_RESPOND; /* answered below like a SOA query */
	}
	if (!r->in->xfr) {
		r->rcode = RCODE_REFUSED;
		return DNSD_RESPOND;
	}
	dnsd_xfr_req_t *x = r->in->xfr;
	x->zone = z;
	x->qtype = r->qtype;
	x->has_serial = r->has_serial;
	x->serial = r->ixfr_serial;
	x->sign = r->sign;
	x->tsig = r->tsig;
	x->edns = r->edns;
	x->expire = r->expire;
	x->expire_val = soa_expire(z);
	x->udp_max = eng->conf->udp_max;
	return DNSD_XFR;
}
