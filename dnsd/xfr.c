/* SPDX-License-Identifier: MIT */
/*
 * Zone transfer messages (RFC 5936 AXFR, RFC 1995 IXFR): bytes out, no
 * sockets. AXFR walks a compiled zone and copies its pre-rendered RRsets,
 * the way answers do; IXFR writes the journal's differences.
 *
 * Messages are kept under 16 KiB (pointers reach 16383, and the RRsets'
 * compression slots point to the owner written in the same message);
 * the transport sends them one after the other on the TCP connection.
 */
#include <string.h>
#include "dnsd/query_int.h"
#include "dnsd/xfr.h"

#define MSG_MAX 16000

/* Header and question of every message: the query's ID, QR and AA (RFC 5936 2.2.1:
 * the question in the first message; we repeat it, as 2.2.1 allows, so that
 * every message stands alone for TSIG and for tools). */
static size_t msg_start(const dnsd_xfr_t *x, uint8_t *out)
{
	memcpy(out, x->id, 2);
	dns_put16(out + 2, 0x8000 | 0x0400); /* QR, AA, opcode QUERY, NOERROR */
	dns_put16(out + 4, 1);
	memset(out + 6, 0, 6);
	memcpy(out + 12, x->question, x->qlen);
	return 12u + x->qlen;
}

static void msg_counts(uint8_t *out, unsigned an)
{
	dns_put16(out + 6, (uint16_t)an);
}

#define OPT_ROOM 19 /* OPT RR with one EXPIRE option */

/* The first message answers the request's OPT (RFC 6891 7) and, when asked,
 * says how long a secondary may serve the zone without us (RFC 7314 2). */
static size_t opt_put(const dnsd_xfr_t *x, uint8_t *out, size_t o)
{
	if (!x->edns || x->msgs != 0)
		return o;
	uint8_t *p = out + o;
	p[0] = 0;
	dns_put16(p + 1, ZONES_T_OPT);
	dns_put16(p + 3, x->udp_max ? x->udp_max : 1232);
	dns_put32(p + 5, 0);
	dns_put16(p + 9, x->expire ? 8 : 0);
	if (x->expire) {
		dns_put16(p + 11, 9);
		dns_put16(p + 13, 4);
		dns_put32(p + 15, x->expire_val);
	}
	dns_put16(out + 10, 1);
	return o + (x->expire ? 19 : 11);
}

void dnsd_xfr_init(dnsd_xfr_t *x, const zones_czone_t *z, const uint8_t *query, size_t qlen)
{
	memset(x, 0, sizeof *x);
	x->z = z;
	memcpy(x->id, query, 2);
	/* the question as sent (name, type, class): its name is the apex */
	size_t n = zones_name_len(query + 12, qlen - 12);
	x->qlen = (uint16_t)(n + 4);
	memcpy(x->question, query + 12, x->qlen);
}

/* Owner of node \p n, written as its labels below the apex and a pointer to
 * the question's name (the apex). \retval offset, or 0 when it does not fit */
static uint16_t owner_put(resp_t *r, const zones_czone_t *z, const zones_node_t *n)
{
	size_t rel = (size_t)n->namelen - z->apexlen;
	if (r->len + rel + 2 > r->cap || r->len >= 0x3fff)
		return 0;
	uint16_t at = (uint16_t)r->len;
	memcpy(r->buf + r->len, z->wire + n->name, rel);
	dns_put16(r->buf + r->len + rel, 0xc000 | 12);
	r->len += rel + 2;
	/* the suffixes of the owner, for the RRsets' compression slots */
	r->sname_off = at;
	r->sname_labels = n->labels;
	return at;
}

/* One RRset at node \p n: the owner written out as the first RR's owner, the
 * others pointing to it. \retval false: no room */
static bool rrset_emit(resp_t *r, const zones_czone_t *z, const zones_node_t *n,
                       const zones_rrset_t *s)
{
	size_t mark = r->len;
	uint16_t c0 = r->counts[SEC_AN];
	uint16_t at = owner_put(r, z, n);
	size_t blk = r->len;
	if (!at || !query_rrset_put(r, z, s, at, 12, SEC_AN)) {
		r->len = mark;
		r->counts[SEC_AN] = c0;
		return false;
	}
	/* the first RR's owner slot (a pointer to the name just written) goes:
	 * the name becomes that RR's owner; slots pointing into the block move
	 * with it (the owner's suffixes stay where they are) */
	memmove(r->buf + blk, r->buf + blk + 2, r->len - blk - 2);
	r->len -= 2;
	const zones_fix_t *fix = z->fix + s->fix;
	for (unsigned i = 0; i < s->nfix; i++) {
		if (fix[i].kind != ZONES_FIX_BLOCK)
			continue;
		uint8_t *p = r->buf + blk + fix[i].off - 2;
		dns_put16(p, (uint16_t)(dns_get16(p) - 2));
	}
	return true;
}

int dnsd_xfr_axfr_next(dnsd_xfr_t *x, uint8_t *out, size_t cap, size_t *len)
{
	const zones_czone_t *z = x->z;
	if (x->phase == DNSD_XFR_DONE)
		return 0;
	resp_t r;
	memset(&r, 0, sizeof r);
	r.buf = out;
	cap -= OPT_ROOM;
	r.cap = cap < MSG_MAX ? cap : MSG_MAX;
	r.len = msg_start(x, out);
	r.qend = r.len;
	const zones_node_t *apex = &z->nodes[z->apex_node];
	const zones_rrset_t *soa = &z->rrsets[z->soa];
	bool progress = false;
	for (;;) {
		const zones_node_t *n;
		const zones_rrset_t *s = NULL;
		if (x->phase == DNSD_XFR_FIRST_SOA || x->phase == DNSD_XFR_LAST_SOA) {
			n = apex;
			s = soa;
		} else {
			/* body: every node, every RRset and then its RRSIGs; the apex
			 * SOA only by its signatures (it opens and closes the transfer) */
			if (x->node >= z->nnodes) {
				x->phase = DNSD_XFR_LAST_SOA;
				continue;
			}
			n = &z->nodes[x->node];
			if (x->rr >= n->nrrset) {
				x->node++;
				x->rr = 0;
				x->sig = false;
				continue;
			}
			const zones_rrset_t *base = &z->rrsets[n->rrset + x->rr];
			if (x->sig) {
				if (base->sig == ZONES_NONE) {
					x->sig = false;
					x->rr++;
					continue;
				}
				s = &z->rrsets[base->sig];
			} else if (base == soa) {
				x->sig = true;
				continue;
			} else {
				s = base;
			}
		}
		if (!rrset_emit(&r, z, n, s)) {
			if (!progress && r.cap < cap && r.cap < 65535) {
				/* an RRset larger than our usual message: a message of its
				 * own, up to the 64 KiB TCP allows (RFC 1035 4.2.2) */
				r.cap = cap < 65535 ? cap : 65535;
				continue;
			}
			if (!progress)
				return DNS_ESPACE; /* larger than any message: cannot be sent */
			break;
		}
		progress = true;
		x->rrs += s->count;
		if (x->phase == DNSD_XFR_FIRST_SOA) {
			x->phase = DNSD_XFR_BODY;
		} else if (x->phase == DNSD_XFR_LAST_SOA) {
			x->phase = DNSD_XFR_DONE;
			break;
		} else if (x->sig) {
			x->sig = false;
			x->rr++;
		} else {
			x->sig = true;
		}
	}
	msg_counts(out, r.counts[SEC_AN]);
	*len = opt_put(x, out, r.len);
	x->msgs++;
	return x->phase == DNSD_XFR_DONE ? 0 : 1;
}

/* ---- IXFR (RFC 1995 4) ------------------------------------------------------ */

/* One uncompressed RR (owner wire, type, TTL, RDATA) as journals hold them:
 * owner | type BE16 | class BE16 | ttl BE32 | rdlen BE16 | rdata. The owner
 * is written relative to the apex in the question when it is below it. */
static size_t rr_put(uint8_t *out, size_t o, size_t cap, const uint8_t *rr, size_t rrlen,
                     const uint8_t *apex, size_t apexlen)
{
	size_t ol = zones_name_len(rr, rrlen);
	if (!ol || ol + 10 > rrlen)
		return 0;
	size_t body = rrlen - ol;
	size_t need = body;
	size_t rel = ol;
	bool ptr = false;
	if (ol >= apexlen && memcmp(rr + ol - apexlen, apex, apexlen) == 0) {
		/* a name below the apex: its labels, then the question's name */
		rel = ol - apexlen;
		ptr = true;
		need += rel + 2;
	} else {
		need += ol;
	}
	if (o + need > cap)
		return 0;
	memcpy(out + o, rr, rel);
	o += rel;
	if (ptr) {
		dns_put16(out + o, 0xc000 | 12);
		o += 2;
	}
	memcpy(out + o, rr + ol, body);
	return o + body;
}

int dnsd_xfr_ixfr_next(dnsd_xfr_t *x, const uint8_t *rrs, size_t len, size_t *consumed,
                       uint8_t *out, size_t cap, size_t *outlen)
{
	if (cap > MSG_MAX)
		cap = MSG_MAX;
	cap -= OPT_ROOM;
	size_t o = msg_start(x, out), p = 0;
	unsigned an = 0;
	const uint8_t *apex = x->question;
	size_t apexlen = (size_t)x->qlen - 4;
	while (p + 2 <= len) {
		size_t rl = dns_get16(rrs + p);
		if (p + 2 + rl > len)
			return DNS_EMALF;
		size_t no = rr_put(out, o, cap, rrs + p + 2, rl, apex, apexlen);
		if (!no) {
			if (an == 0)
				return DNS_ESPACE;
			break;
		}
		o = no;
		an++;
		p += 2 + rl;
	}
	msg_counts(out, an);
	*consumed = p;
	*outlen = opt_put(x, out, o);
	x->msgs++;
	x->rrs += an;
	return 0;
}
