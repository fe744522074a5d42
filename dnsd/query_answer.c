/* SPDX-License-Identifier: MIT */
/*
 * Answering a QUERY from compiled zones: RFC 1034 4.3.2 as refined by
 * RFC 2308 (negative answers), RFC 4592 (wildcards), RFC 6672 (DNAME),
 * RFC 6604 (rcode of chains), RFC 8482 (ANY) and RFC 9471 (glue).
 * Every function here is named after the case it answers.
 */
#include <string.h>
#include "dnsd/query_int.h"

#define MAX_CHAIN 16 /* CNAME/DNAME steps followed before giving up (loops) */

/* Offset in the packet of the suffix of the current sname that has \p labels
 * labels.  We wrote the packet ourselves, so every pointer is valid and points
 * backwards. */
static uint16_t sname_suffix(const resp_t *r, unsigned labels)
{
	size_t p = r->sname_off;
	unsigned skip = r->sname_labels - labels;
	for (;;) {
		while ((r->buf[p] & 0xc0) == 0xc0)
			p = (size_t)(r->buf[p] & 0x3f) << 8 | r->buf[p + 1];
		if (skip == 0)
			break;
		p += 1u + r->buf[p];
		skip--;
	}
	return (uint16_t)p;
}

/* Write an RRset whose owner is at \p owner in the packet.  RDATA names in the
 * zone point to ancestors of the owner, which is a suffix of the sname
 * whenever the RRset has such names.  \retval false when it does not fit. */
bool query_rrset_put(resp_t *r, const zones_czone_t *z, const zones_rrset_t *s, uint16_t owner,
                     uint16_t apex, int sec)
{
	(void)apex;
	if (r->len + s->len > r->cap || (s->maxtarget && r->len + s->maxtarget >= 0x4000))
		return false;
	uint8_t *dst = r->buf + r->len;
	memcpy(dst, z->wire + s->wire, s->len);
	uint16_t optr = 0xc000 | owner;
	size_t o = 0;
	for (unsigned i = 0; i < s->count; i++) {
		dns_put16(dst + o, optr);
		if (i < MAX_RDPOS)
			r->rdpos[i] = (uint16_t)(r->len + o + 12 < 0x4000 ? r->len + o + 12 : 0);
		o += 12u + dns_get16(dst + o + 10);
	}
	const zones_fix_t *fix = z->fix + s->fix;
	unsigned last = 0xff;
	uint16_t ptr = 0;
	for (unsigned i = 0; i < s->nfix; i++) {
		if (fix[i].kind == ZONES_FIX_BLOCK) {
			dns_put16(dst + fix[i].off, (uint16_t)(0xc000 | (r->len + fix[i].target)));
			continue;
		}
		if (fix[i].labels != last) {
			last = fix[i].labels;
			ptr = 0xc000 | sname_suffix(r, last);
		}
		dns_put16(dst + fix[i].off, ptr);
	}
	r->len += s->len;
	r->counts[sec] += s->count;
	return true;
}

/* An RRset and, when the client asked for DNSSEC (RFC 3225, RFC 4035 3.1.1),
 * the RRSIGs covering it.  \retval false when they do not fit. */
static bool signed_put(resp_t *r, const zones_czone_t *z, const zones_rrset_t *s, uint16_t owner,
                       uint16_t apex, int sec)
{
	if (!query_rrset_put(r, z, s, owner, apex, sec))
		return false;
	if (!r->do_bit || s->sig == ZONES_NONE)
		return true;
	uint16_t rdpos[MAX_RDPOS];
	memcpy(rdpos, r->rdpos, sizeof rdpos); /* keep the covered RRset's, for what follows */
	bool ok = query_rrset_put(r, z, &z->rrsets[s->sig], owner, apex, sec);
	memcpy(r->rdpos, rdpos, sizeof rdpos);
	return ok;
}

/* A and AAAA for the targets of an RRset just written (RFC 1035 3.3.9, 3.3.11,
 * RFC 2782), one target after the other in the RRset's order.  A record that
 * does not fit is left out and filling goes on; when it was in-domain glue of
 * a referral, the answer says so with TC (RFC 9471 3), keeping what fit. */
static void additionals_put(resp_t *r, const zones_czone_t *z, const zones_rrset_t *s,
                            uint16_t apex, bool referral)
{
	/* queued: the additional section comes after the authority section,
	 * which may still grow (add_flush writes them) */
	for (unsigned i = 0; i < s->nadd; i++) {
		const zones_add_t *a = &z->add[s->add + i];
		if (a->rr >= MAX_RDPOS || r->rdpos[a->rr] == 0)
			continue;
		uint16_t owner = (uint16_t)(r->rdpos[a->rr] + a->name_off);
		if (owner >= 0x4000)
			continue;
		const zones_node_t *n = &z->nodes[a->node];
		for (uint16_t t = ZONES_T_A; t; t = t == ZONES_T_A ? ZONES_T_AAAA : 0) {
			const zones_rrset_t *ad = zones_node_rrset(z, n, t);
			if (!ad || r->naddq >= sizeof r->addq / sizeof *r->addq)
				continue;
			r->addq[r->naddq++] = (add_entry_t){ .rrset = (uint32_t)(ad - z->rrsets),
			                                     .owner = owner, .apex = apex,
			                                     .mandatory = a->mandatory && referral };
		}
	}
}

static void add_flush(resp_t *r, const zones_czone_t *z)
{
	for (unsigned i = 0; i < r->naddq; i++) {
		r->addq[i].written = query_rrset_put(r, z, &z->rrsets[r->addq[i].rrset], r->addq[i].owner,
		                               r->addq[i].apex, SEC_AR);
		if (!r->addq[i].written && r->addq[i].mandatory)
			r->tc_keep = true; /* RFC 9471 3: in-domain glue left out */
	}
	if (!r->do_bit)
		return;
	/* RFC 4035 3.1.1: signed additional data with its RRSIGs, where they fit,
	 * after all the addresses (glue is not signed: it has none) */
	for (unsigned i = 0; i < r->naddq; i++) {
		const zones_rrset_t *s = &z->rrsets[r->addq[i].rrset];
		if (s->sig != ZONES_NONE && r->addq[i].written)
			(void)query_rrset_put(r, z, &z->rrsets[s->sig], r->addq[i].owner, r->addq[i].apex,
			                SEC_AR);
	}
}

static void negative_put(resp_t *r, const zones_czone_t *z, uint16_t apex)
{
	/* RFC 2308 3: the SOA of the zone, TTL min(SOA TTL, MINIMUM) */
	if (!signed_put(r, z, &z->rrsets[z->neg_soa], apex, apex, SEC_NS))
		r->tc = true;
}

/* Queue the NSEC or NSEC3 of node \p idx for the authority section (written
 * by denial_flush once the answer section is complete: a CNAME chain may
 * still add to it).  Each record goes in once per answer. */
static void denial_put(resp_t *r, uint32_t idx, uint16_t apex)
{
	if (idx == ZONES_NONE)
		return;
	for (unsigned i = 0; i < r->ndenied; i++)
		if (r->denied[i] == idx)
			return;
	if (r->ndenied < sizeof r->denied / sizeof *r->denied) {
		r->denied_apex[r->ndenied] = apex;
		r->denied[r->ndenied++] = idx;
	}
}

/* Write the queued NSEC/NSEC3 records with their RRSIGs.  Their owners are
 * not suffixes of the sname: written as the labels below the apex and a
 * pointer to the apex.  NSEC and NSEC3 are single RRs without compression
 * slots (RFC 4034 4, RFC 5155 3). */
static void denial_flush(resp_t *r, const zones_czone_t *z)
{
	for (unsigned i = 0; i < r->ndenied; i++) {
		const zones_node_t *n = &z->nodes[r->denied[i]];
		const zones_rrset_t *s = zones_node_rrset(
			z, n, z->denial_kind == ZONES_DENIAL_NSEC3 ? ZONES_T_NSEC3 : ZONES_T_NSEC);
		if (!s)
			continue;
		/* an owner that is the sname or one of its ancestors (NSEC at a
		 * delegation, at the closest encloser) is a pointer into the packet */
		unsigned k = r->sname_labels - n->labels;
		bool suffix = n->labels <= r->sname_labels &&
		              r->sname_len - r->soff[k] == n->namelen &&
		              memcmp(r->sname + r->soff[k], z->wire + n->name, n->namelen) == 0;
		size_t rel = suffix ? 0 : (size_t)n->namelen - z->apexlen;
		if (r->len + rel + s->len > r->cap) {
			r->tc = true;
			return;
		}
		if (!suffix && r->len >= 0x4000)
			continue; /* no compression pointer could reach it (RFC 1035 4.1.4) */
		uint16_t owner = suffix ? sname_suffix(r, n->labels) : (uint16_t)r->len;
		uint8_t *p = r->buf + r->len;
		memcpy(p, z->wire + n->name, rel);
		dns_put16(p + rel, 0xc000 | (suffix ? owner : r->denied_apex[i]));
		memcpy(p + rel + 2, z->wire + s->wire + 2, s->len - 2);
		/* more than one RR (only in zones signed elsewhere): their owner
		 * slots point to the owner just written */
		for (size_t at = rel + 2 + 10 + dns_get16(p + rel + 2 + 8), k2 = 1; k2 < s->count; k2++) {
			dns_put16(p + at, 0xc000 | owner);
			at += 12u + dns_get16(p + at + 10);
		}
		r->len += rel + s->len;
		r->counts[SEC_NS] += s->count;
		if (s->sig != ZONES_NONE &&
		    !query_rrset_put(r, z, &z->rrsets[s->sig], owner, r->denied_apex[i], SEC_NS)) {
			r->tc = true;
			return;
		}
	}
}

/* The NSEC3 covering the next closer name below \p ce (RFC 5155 7.2.1), or the
 * NSEC covering the sname (RFC 4035 3.1.3.2): the name does not exist. */
static uint32_t denial_cover(const resp_t *r, const zones_czone_t *z, const zones_node_t *ce)
{
	if (z->denial_kind == ZONES_DENIAL_NSEC)
		return z->chain[zones_chain_name_le(z->wire, z->nodes, z->chain, z->nchain, r->sname)];
	unsigned i = r->sname_labels - ce->labels - 1u; /* the label just below ce */
	unsigned o = r->soff[i];
	uint8_t h[20];
	zones_nsec3_hash(r->sname + o, r->sname_len - o, z->wire + z->nsec3_salt, z->nsec3_saltlen,
	                 z->nsec3_iterations, h);
	return z->chain[zones_chain_hash_le((const uint8_t(*)[20])z->chain_hash, z->nchain, h)];
}

/* RFC 1034 4.3.2 step 3b: a referral to the zone cut at \p cut. */
static void referral_put(resp_t *r, const zones_czone_t *z, const zones_node_t *cut, uint16_t apex)
{
	const zones_rrset_t *ns = zones_node_rrset(z, cut, ZONES_T_NS);
	uint16_t owner = sname_suffix(r, cut->labels);
	if (!query_rrset_put(r, z, ns, owner, apex, SEC_NS)) {
		r->tc = true;
		return;
	}
	uint16_t nspos[MAX_RDPOS];
	memcpy(nspos, r->rdpos, sizeof nspos);
	/* RFC 4035 3.1.4: a signed delegation's DS with its RRSIGs */
	const zones_rrset_t *ds = r->do_bit ? zones_node_rrset(z, cut, ZONES_T_DS) : NULL;
	if (ds && !signed_put(r, z, ds, owner, apex, SEC_NS)) {
		r->tc = true;
		return;
	}
	/* RFC 4035 3.1.4.1, RFC 5155 7.2.7: no DS, and the proof of it */
	if (!ds && r->do_bit && z->denial_kind)
		denial_put(r, cut->denial, apex);
	memcpy(r->rdpos, nspos, sizeof nspos);
	additionals_put(r, z, ns, apex, true);
}

/* RFC 8482 4.2: answer ANY with one RRset of the name. */
static const zones_rrset_t *any_pick(const zones_czone_t *z, const zones_node_t *n)
{
	for (uint32_t i = 0; i < n->nrrset; i++) {
		const zones_rrset_t *s = &z->rrsets[n->rrset + i];
		if (s->type != ZONES_T_RRSIG && s->type != ZONES_T_NSEC && s->type != ZONES_T_NSEC3)
			return s;
	}
	return NULL;
}

/* Label offsets and the hashes of all suffixes of the (new) sname, in one
 * pass from the root: every lookup below is then a table probe. */
static void sname_index(resp_t *r)
{
	unsigned n = 0;
	for (unsigned o = 0; r->sname[o]; o += 1u + r->sname[o])
		r->soff[n++] = (uint8_t)o;
	r->soff[n] = (uint8_t)(r->sname_len - 1);
	r->sname_labels = (uint8_t)n;
	uint64_t h = ZONES_HASH_ROOT;
	r->shash[n] = zones_hash_final(h);
	for (unsigned i = n; i-- > 0;) {
		h = zones_name_hash_label(h, r->sname + r->soff[i]);
		r->shash[i] = zones_hash_final(h);
	}
}

/* The zone holding the suffix of sname that starts at label \p from, or a
 * shorter suffix (longest match). */
static const zones_czone_t *zone_find(const zones_snapshot_t *snap, const resp_t *r, unsigned from)
{
	for (unsigned i = from; i <= r->sname_labels; i++) {
		unsigned o = r->soff[i];
		zones_czone_t *z = zones_snapshot_get(snap, r->sname + o, r->sname_len - o, r->shash[i]);
		if (z)
			return z;
	}
	return NULL;
}

typedef enum { STEP_DONE, STEP_FOLLOW } step_t;

/* RFC 6672 3.3: at a DNAME, answer it and a CNAME synthesised from it. */
static step_t dname_put(resp_t *r, const zones_czone_t *z, const zones_node_t *dn, uint16_t apex)
{
	const zones_rrset_t *d = zones_node_rrset(z, dn, ZONES_T_DNAME);
	uint16_t owner = sname_suffix(r, dn->labels);
	if (!signed_put(r, z, d, owner, apex, SEC_AN)) {
		r->tc = true;
		return STEP_DONE;
	}
	const uint8_t *target = z->wire + dn->cname;
	size_t tl = zones_name_len(target, ZONES_NAME_MAX);
	size_t prefix = r->sname_len - dn->namelen; /* sname labels above the DNAME owner */
	if (prefix + tl > ZONES_NAME_MAX) {
		r->rcode = RCODE_YXDOMAIN; /* RFC 6672 2.2: the result would be too long */
		return STEP_DONE;
	}
	/* owner = sname, TTL of the DNAME (RFC 6672 3.3), RDATA: the sname's
	 * labels above the owner, then a pointer to the target in the DNAME RDATA */
	uint16_t dtarget = (uint16_t)(r->rdpos[0]);
	size_t need = 2 + 10 + prefix + 2;
	if (r->len + need > r->cap || dtarget == 0) {
		r->tc = r->len + need > r->cap;
		return STEP_DONE;
	}
	uint8_t *p = r->buf + r->len;
	dns_put16(p, 0xc000 | r->sname_off);
	dns_put16(p + 2, ZONES_T_CNAME);
	dns_put16(p + 4, 1);
	dns_put32(p + 6, d->ttl);
	dns_put16(p + 10, (uint16_t)(prefix + 2));
	/* the prefix labels in the case the query used */
	size_t src = r->sname_off, w = 0;
	for (unsigned left = (unsigned)(r->sname_labels - dn->labels); left > 0; left--) {
		while ((r->buf[src] & 0xc0) == 0xc0)
			src = (size_t)(r->buf[src] & 0x3f) << 8 | r->buf[src + 1];
		uint8_t l = r->buf[src];
		memmove(p + 12 + w, r->buf + src, 1u + l);
		w += 1u + l;
		src += 1u + l;
	}
	dns_put16(p + 12 + w, 0xc000 | dtarget);
	uint16_t newoff = (uint16_t)(r->len + 12);
	r->len += need;
	r->counts[SEC_AN]++;
	/* the new sname, lowercase */
	uint8_t ns[ZONES_NAME_MAX];
	memcpy(ns, r->sname, prefix);
	memcpy(ns + prefix, target, tl);
	memcpy(r->sname, ns, prefix + tl);
	r->sname_len = (uint8_t)(prefix + tl);
	r->sname_labels = (uint8_t)zones_name_labels(r->sname);
	/* a CNAME query is answered by the synthesised CNAME itself */
	if (newoff >= 0x4000 || r->qtype == ZONES_T_CNAME)
		return STEP_DONE;
	r->sname_off = newoff;
	return STEP_FOLLOW;
}

/* Follow a CNAME: the target becomes the sname (RFC 1034 4.3.2 step 3a). */
static step_t cname_follow(resp_t *r, const zones_czone_t *z, const zones_node_t *n)
{
	uint16_t pos = r->rdpos[0];
	if (pos == 0)
		return STEP_DONE;
	const uint8_t *t = z->wire + n->cname;
	size_t tl = zones_name_len(t, ZONES_NAME_MAX);
	memcpy(r->sname, t, tl);
	r->sname_len = (uint8_t)tl;
	r->sname_labels = (uint8_t)zones_name_labels(t);
	r->sname_off = pos;
	return STEP_FOLLOW;
}

/* NODATA (RFC 2308 2.2) at \p n, with the proofs of RFC 4035 3.1.3.1/3.1.3.4
 * and RFC 5155 7.2.3/7.2.5 when the client asked for DNSSEC. */
static void nodata_put(resp_t *r, const zones_czone_t *z, const zones_node_t *n,
                       const zones_node_t *wild_ce, uint16_t apex)
{
	negative_put(r, z, apex);
	if (!r->do_bit || !z->denial_kind)
		return;
	if (wild_ce) {
		if (z->denial_kind == ZONES_DENIAL_NSEC3)
			denial_put(r, wild_ce->denial, apex); /* the closest encloser */
		denial_put(r, denial_cover(r, z, wild_ce), apex);
	}
	denial_put(r, n->denial, apex);
}

/* Answer from node \p n: found exactly, or the wildcard below \p wild_ce. */
static step_t node_answer(resp_t *r, const zones_czone_t *z, const zones_node_t *n, uint16_t apex,
                          const zones_node_t *wild_ce)
{
	uint16_t owner = r->sname_off;
	if (r->qtype == ZONES_T_ANY) {
		const zones_rrset_t *s = any_pick(z, n);
		if (!s) {
			nodata_put(r, z, n, wild_ce, apex);
			return STEP_DONE;
		}
		if (!signed_put(r, z, s, owner, apex, SEC_AN))
			r->tc = true;
		else if (wild_ce && r->do_bit && z->denial_kind)
			denial_put(r, denial_cover(r, z, wild_ce), apex);
		return STEP_DONE;
	}
	if (r->qtype == ZONES_T_RRSIG) {
		/* every RRSIG of the name (they are stored by covered type, see
		 * zones_czone_build); Knot answers one RRset's, RFC 8482 allows less */
		bool any = false;
		for (uint32_t i = 0; i < n->nrrset; i++) {
			const zones_rrset_t *c = &z->rrsets[n->rrset + i];
			if (c->sig == ZONES_NONE)
				continue;
			any = true;
			if (!query_rrset_put(r, z, &z->rrsets[c->sig], owner, apex, SEC_AN)) {
				r->tc = true;
				return STEP_DONE;
			}
		}
		if (any)
			return STEP_DONE;
	}
	const zones_rrset_t *s = zones_node_rrset(z, n, r->qtype);
	if (s) {
		if (!signed_put(r, z, s, owner, apex, SEC_AN)) {
			r->tc = true;
			return STEP_DONE;
		}
		/* RFC 4035 3.1.3.3, RFC 5155 7.2.6: a wildcard answer proves that the
		 * name itself does not exist */
		if (wild_ce && r->do_bit && z->denial_kind)
			denial_put(r, denial_cover(r, z, wild_ce), apex);
		if (s->nadd)
			additionals_put(r, z, s, apex, false);
		return STEP_DONE;
	}
	if (n->flags & ZONES_N_CNAME) {
		s = zones_node_rrset(z, n, ZONES_T_CNAME);
		if (!signed_put(r, z, s, owner, apex, SEC_AN)) {
			r->tc = true;
			return STEP_DONE;
		}
		if (wild_ce && r->do_bit && z->denial_kind)
			denial_put(r, denial_cover(r, z, wild_ce), apex);
		return cname_follow(r, z, n);
	}
	nodata_put(r, z, n, wild_ce, apex);
	return STEP_DONE;
}

/* One step of the lookup for the current sname in zone \p z. */
static step_t zone_answer(resp_t *r, const zones_czone_t *z, bool first)
{
	uint16_t apex = sname_suffix(r, z->apexlabels);
	uint32_t idx = zones_czone_find(z, r->sname, r->sname_len, r->shash[0]);
	/* NSEC3 owners are no names of the zone (RFC 5155 7.2.8) */
	if (idx != ZONES_NONE && (z->nodes[idx].flags & ZONES_N_NSEC3))
		idx = ZONES_NONE;
	if (idx != ZONES_NONE) {
		const zones_node_t *n = &z->nodes[idx];
		if (n->stop != ZONES_NONE) {
			const zones_node_t *st = &z->nodes[n->stop];
			if (!(st->flags & ZONES_N_DELEG))
				return dname_put(r, z, st, apex);
			/* RFC 4035 3.1.4.1 / RFC 4034 5: DS at a cut is the parent's data */
			if (!(st == n && r->qtype == ZONES_T_DS)) {
				if (first)
					r->aa = false;
				referral_put(r, z, st, apex);
				return STEP_DONE;
			}
		}
		return node_answer(r, z, n, apex, NULL);
	}
	/* No such name: find the closest encloser (RFC 4592 3.3.1). */
	const zones_node_t *ce = NULL;
	for (unsigned i = 1; i <= r->sname_labels && r->sname_len - r->soff[i] >= z->apexlen; i++) {
		unsigned o = r->soff[i];
		idx = zones_czone_find(z, r->sname + o, r->sname_len - o, r->shash[i]);
		if (idx != ZONES_NONE && !(z->nodes[idx].flags & ZONES_N_NSEC3)) {
			ce = &z->nodes[idx];
			break;
		}
	}
	if (!ce)
		ce = &z->nodes[z->apex_node];
	if (ce->stop != ZONES_NONE) {
		const zones_node_t *st = &z->nodes[ce->stop];
		if (st->flags & ZONES_N_DELEG) {
			if (first)
				r->aa = false;
			referral_put(r, z, st, apex);
			return STEP_DONE;
		}
		return dname_put(r, z, st, apex);
	}
	if (ce->flags & ZONES_N_DNAME)
		return dname_put(r, z, ce, apex);
	if (ce->wild != ZONES_NONE) {
		/* RFC 4592 3.3.1: the source of synthesis answers, owner = sname */
		return node_answer(r, z, &z->nodes[ce->wild], apex, ce);
	}
	/* RFC 2308 2.1; with DNSSEC, RFC 4035 3.1.3.2 and RFC 5155 7.2.2: the
	 * closest encloser (NSEC3), the name and the wildcard do not exist */
	r->rcode = RCODE_NXDOMAIN;
	negative_put(r, z, apex);
	if (r->do_bit && z->denial_kind) {
		if (z->denial_kind == ZONES_DENIAL_NSEC3)
			denial_put(r, ce->denial, apex);
		denial_put(r, denial_cover(r, z, ce), apex);
		denial_put(r, ce->wc_denial, apex);
	}
	return STEP_DONE;
}

static void chain_answer(resp_t *r, const zones_czone_t *z);

void query_answer(resp_t *r, const zones_snapshot_t *snap)
{
	memcpy(r->sname, r->qlow, r->qlen);
	r->sname_len = r->qlen;
	r->sname_off = 12;
	sname_index(r);

	const zones_czone_t *z = zone_find(snap, r, 0);
	if (z && r->qtype == ZONES_T_DS && z->apexlen == r->sname_len && r->sname_labels > 0) {
		/* RFC 4035 3.1.4.1: DS is answered by the parent side of the cut,
		 * when we host the parent */
		const zones_czone_t *pz = zone_find(snap, r, 1);
		if (pz)
			z = pz;
	}
	if (!z) {
		r->rcode = RCODE_REFUSED; /* RFC 1035 4.3.1 / RFC 8906 3.1.2: not ours */
		r->ede = EDE_NOT_AUTHORITATIVE;
		return;
	}
	r->aa = true; /* RFC 1035 4.1.1: about the first name in the answer */
	chain_answer(r, z);
	if (r->ndenied && !r->tc)
		denial_flush(r, z);
	if (r->naddq && !r->tc)
		add_flush(r, z);
}

/* The answer for the sname, following CNAME and DNAME inside the zone. */
static void chain_answer(resp_t *r, const zones_czone_t *z)
{
	bool first = true;
	uint32_t seen[MAX_CHAIN];
	for (int step = 0; step < MAX_CHAIN; step++) {
		seen[step] = r->shash[0];
		if (zone_answer(r, z, first) != STEP_FOLLOW || r->tc)
			return;
		first = false;
		/* a loop: every name of it has been answered once, stop here */
		sname_index(r);
		uint32_t h = r->shash[0];
		for (int i = 0; i <= step; i++)
			if (seen[i] == h)
				return;
		/* The chain goes on only inside this zone, seen from this zone (a
		 * target below one of its cuts gets a referral).  Like Knot, we leave
		 * names in other zones, even ours, to the resolver (RFC 1034 4.3.2
		 * step 3a allows either). */
		if (!zones_name_is_sub(r->sname, z->apex))
			return;
		r->rcode = RCODE_NOERROR;
	}
}
