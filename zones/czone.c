/* SPDX-License-Identifier: MIT */
/*
 * Compiling zone content into the read-only form the query engine uses.
 * All per-query work that can be done once is done here: names go into a
 * hash table, every name gets its zone-cut/DNAME stop and wildcard child,
 * RRsets become wire blocks with compression slots, and the targets of NS,
 * MX and SRV records are linked to their address records.
 */
#include <stdlib.h>
#include <string.h>
#include "zones/zones.h"

typedef struct {
	zones_node_t *nodes;
	uint32_t nnodes, capnodes;
	uint32_t *table; /* temporary, sized for the worst case */
	uint32_t tmask;
	zones_rrset_t *rrsets;
	uint32_t nrrsets, caprrsets;
	dns_buf_t wire, fix, add;
	/* denial of existence (denial_link) */
	uint32_t *chain;
	uint8_t (*chain_hash)[20];
	uint32_t nchain;
	uint8_t denial_kind, saltlen;
	uint16_t iterations;
	uint32_t salt_off;
	const zones_content_t *c;
	size_t apexlen;
} build_t;

static uint32_t pow2_at_least(uint64_t n)
{
	uint64_t p = 8;
	while (p < n)
		p <<= 1;
	return p > (1u << 31) ? 0 : (uint32_t)p;
}

static uint32_t find(const build_t *b, const uint8_t *name, size_t len, uint32_t h)
{
	for (uint32_t i = h & b->tmask;; i = (i + 1) & b->tmask) {
		uint32_t n = b->table[i];
		if (n == ZONES_NONE)
			return ZONES_NONE;
		const zones_node_t *nd = &b->nodes[n];
		if (nd->hash == h && nd->namelen == len && memcmp(b->wire.data + nd->name, name, len) == 0)
			return n;
	}
}

/* Find or create the node of \p name and, first, of all its ancestors up to
 * the apex: parents always get smaller indexes than their children. */
static uint32_t node_ensure(build_t *b, const uint8_t *name)
{
	size_t len = zones_name_len(name, ZONES_NAME_MAX);
	uint32_t h = zones_name_hash(name, len);
	uint32_t n = find(b, name, len, h);
	if (n != ZONES_NONE)
		return n;
	if (len > b->apexlen && node_ensure(b, name + 1 + name[0]) == ZONES_NONE)
		return ZONES_NONE;
	if (b->nnodes == b->capnodes) {
		uint32_t cap = b->capnodes ? b->capnodes * 2 : 64;
		zones_node_t *nn = realloc(b->nodes, cap * sizeof *nn);
		if (!nn)
			return ZONES_NONE;
		b->nodes = nn;
		b->capnodes = cap;
	}
	if (b->nnodes > b->tmask / 2)
		return ZONES_NONE; /* cannot happen: the table is sized for every ancestor */
	n = b->nnodes++;
	b->nodes[n] = (zones_node_t){ .name = (uint32_t)b->wire.len, .hash = h, .namelen = (uint8_t)len,
	                              .labels = (uint8_t)zones_name_labels(name), .flags = ZONES_N_ENT,
	                              .rrset = 0, .nrrset = 0, .stop = ZONES_NONE,
	                              .denial = ZONES_NONE, .wc_denial = ZONES_NONE,
	                              .wild = ZONES_NONE, .cname = ZONES_NONE };
	dns_buf_append(&b->wire, name, len);
	for (uint32_t i = h & b->tmask;; i = (i + 1) & b->tmask)
		if (b->table[i] == ZONES_NONE) {
			b->table[i] = n;
			break;
		}
	return n;
}

/* RFC 3597 4: only the RFC 1035 types may have compressed names in RDATA.
 * Returns the offsets of the names in \p rd, count in *n. */
static int compressible_names(uint16_t type, const uint8_t *rd, uint16_t rdlen, uint16_t off[2])
{
	switch (type) {
	case ZONES_T_NS: case ZONES_T_CNAME: case ZONES_T_PTR:
	case 3: case 4: case 7: case 8: case 9: /* MD MF MB MG MR */
		off[0] = 0;
		return 1;
	case ZONES_T_MX:
		off[0] = 2;
		return rdlen > 2 ? 1 : 0;
	case ZONES_T_SOA: case 14: { /* SOA, MINFO: two names first */
		size_t l = zones_name_len(rd, rdlen);
		if (l == 0)
			return 0;
		off[0] = 0;
		off[1] = (uint16_t)l;
		return 2;
	}
	}
	return 0;
}

/* Labels of the longest common suffix of two names (RFC 1035 4.1.4 compression). */
static unsigned common_labels(const uint8_t *a, const uint8_t *b)
{
	const uint8_t *la[128], *lb[128];
	unsigned na = 0, nb = 0, n = 0;
	for (const uint8_t *p = a; *p; p += 1 + *p)
		la[na++] = p;
	for (const uint8_t *p = b; *p; p += 1 + *p)
		lb[nb++] = p;
	while (na > 0 && nb > 0 && la[na - 1][0] == lb[nb - 1][0] &&
	       memcmp(la[na - 1] + 1, lb[nb - 1] + 1, la[na - 1][0]) == 0) {
		na--;
		nb--;
		n++;
	}
	return n;
}

/* Names already written literally in the RRset being rendered, by suffix:
 * later names of the same RRset point at them (RFC 1035 4.1.4). */
#define SFX_MAX 64
typedef struct {
	uint16_t off[SFX_MAX];          /* offset in the RRset's wire block */
	uint8_t name[SFX_MAX][ZONES_NAME_MAX]; /* the suffix, lowercase */
	unsigned n;
} sfx_t;

static int sfx_find(const sfx_t *t, const uint8_t *name)
{
	size_t l = zones_name_len(name, ZONES_NAME_MAX);
	for (unsigned i = 0; i < t->n; i++)
		if (memcmp(t->name[i], name, l) == 0)
			return (int)i;
	return -1;
}

/* Write an RDATA name of a compressible type (RFC 3597 4): the labels no
 * earlier name shares, then a pointer.  The pointer goes to the longest
 * suffix already written in this RRset, or else, for a name in the zone, to
 * the owner's ancestor shared with it (patched per answer). */
static void name_render(build_t *b, zones_rrset_t *s, sfx_t *t, const uint8_t *owner,
                        const uint8_t *nm, size_t nl)
{
	uint8_t low[ZONES_NAME_MAX];
	memcpy(low, nm, nl);
	zones_name_lower(low);
	unsigned tl = zones_name_labels(low), keep = 0;
	if (zones_name_is_sub(low, b->c->apex)) {
		/* a wildcard's own "*" label is never in the packet */
		unsigned ol = zones_name_labels(owner);
		keep = common_labels(owner, low);
		if (owner[0] == 1 && owner[1] == '*' && keep >= ol)
			keep = ol - 1;
	}
	const uint8_t *p = low;
	for (unsigned l = 0; l < tl; l++, p += 1 + *p) {
		if (tl - l <= keep) {
			zones_fix_t fx = { .off = (uint16_t)(b->wire.len - s->wire),
			                   .labels = (uint8_t)(tl - l), .kind = ZONES_FIX_OWNER };
			dns_buf_append(&b->fix, &fx, sizeof fx);
			dns_buf_u16(&b->wire, 0xc000);
			s->nfix++;
			return;
		}
		int i = sfx_find(t, p);
		if (i >= 0) {
			zones_fix_t fx = { .off = (uint16_t)(b->wire.len - s->wire),
			                   .kind = ZONES_FIX_BLOCK, .target = t->off[i] };
			dns_buf_append(&b->fix, &fx, sizeof fx);
			dns_buf_u16(&b->wire, 0xc000);
			s->nfix++;
			if (t->off[i] > s->maxtarget)
				s->maxtarget = t->off[i];
			return;
		}
		if (t->n < SFX_MAX) {
			t->off[t->n] = (uint16_t)(b->wire.len - s->wire);
			memcpy(t->name[t->n++], p, zones_name_len(p, ZONES_NAME_MAX));
		}
		/* the label as written in the zone: RDATA keeps its case */
		dns_buf_append(&b->wire, nm + (p - low), 1u + *p);
	}
	dns_buf_u8(&b->wire, 0);
}

static int rrset_render(build_t *b, const zones_rr_t *rr, size_t count, uint32_t ttl_override)
{
	static sfx_t sfx; /* big; the builder is single-threaded */
	if (b->nrrsets == b->caprrsets) {
		uint32_t cap = b->caprrsets ? b->caprrsets * 2 : 64;
		zones_rrset_t *r = realloc(b->rrsets, cap * sizeof *r);
		if (!r)
			return DNS_ENOMEM;
		b->rrsets = r;
		b->caprrsets = cap;
	}
	zones_rrset_t *s = &b->rrsets[b->nrrsets++];
	uint32_t ttl = ttl_override != ZONES_NONE ? ttl_override : rr[0].ttl;
	*s = (zones_rrset_t){ .type = rr[0].type, .count = (uint16_t)count, .ttl = ttl,
	                      .wire = (uint32_t)b->wire.len, .sig = ZONES_NONE,
	                      .fix = (uint32_t)(b->fix.len / sizeof(zones_fix_t)) };
	sfx.n = 0;
	for (size_t i = 0; i < count; i++) {
		size_t start = b->wire.len;
		uint8_t hdr[12] = { 0 };
		dns_put16(hdr + 2, rr[i].type);
		dns_put16(hdr + 4, 1); /* class IN */
		dns_put32(hdr + 6, ttl);
		dns_buf_append(&b->wire, hdr, sizeof hdr);
		uint16_t offs[2];
		int nn = compressible_names(rr[i].type, rr[i].rdata, rr[i].rdlen, offs);
		uint16_t at = 0;
		for (int k = 0; k < nn; k++) {
			const uint8_t *nm = rr[i].rdata + offs[k];
			size_t nl = zones_name_len(nm, rr[i].rdlen - offs[k]);
			if (nl == 0)
				break;
			dns_buf_append(&b->wire, rr[i].rdata + at, offs[k] - at);
			name_render(b, s, &sfx, rr[i].owner, nm, nl);
			at = (uint16_t)(offs[k] + nl);
		}
		dns_buf_append(&b->wire, rr[i].rdata + at, rr[i].rdlen - at);
		size_t rdlen = b->wire.len - start - sizeof hdr;
		if (b->wire.err)
			return b->wire.err;
		dns_put16(b->wire.data + start + 10, (uint16_t)rdlen);
		if (b->wire.len - s->wire > 65535)
			return DNS_ESPACE; /* cannot be sent in one message anyway */
	}
	s->len = (uint32_t)(b->wire.len - s->wire);
	return b->wire.err ? b->wire.err : b->fix.err;
}

/* The target name of RR \p i in a rendered RRset, lowercase, and its offset in RDATA. */
static bool add_target(const zones_rr_t *rr, uint8_t out[ZONES_NAME_MAX], uint16_t *off)
{
	uint16_t o;
	switch (rr->type) {
	case ZONES_T_NS: o = 0; break;
	case ZONES_T_MX: o = 2; break;
	case ZONES_T_SRV: o = 6; break;
	default: return false;
	}
	if (rr->rdlen <= o)
		return false;
	size_t nl = zones_name_len(rr->rdata + o, rr->rdlen - o);
	if (nl == 0)
		return false;
	memcpy(out, rr->rdata + o, nl);
	zones_name_lower(out);
	*off = o;
	return true;
}

static int additionals_link(build_t *b, zones_rrset_t *s, const zones_node_t *owner,
                            const zones_rr_t *rr, size_t count)
{
	s->add = (uint32_t)(b->add.len / sizeof(zones_add_t));
	bool deleg = owner->flags & ZONES_N_DELEG;
	for (size_t i = 0; i < count; i++) {
		uint8_t t[ZONES_NAME_MAX];
		uint16_t off;
		if (!add_target(&rr[i], t, &off) || !zones_name_is_sub(t, b->c->apex))
			continue;
		size_t tl = zones_name_len(t, ZONES_NAME_MAX);
		uint32_t n = find(b, t, tl, zones_name_hash(t, tl));
		if (n == ZONES_NONE)
			continue;
		const zones_node_t *tn = &b->nodes[n];
		bool has_addr = false;
		for (uint32_t k = 0; k < tn->nrrset; k++) {
			uint16_t ty = b->rrsets[tn->rrset + k].type;
			has_addr |= ty == ZONES_T_A || ty == ZONES_T_AAAA;
		}
		if (!has_addr)
			continue;
		/* Glue below a cut is only for referrals (RFC 9471); authoritative
		 * answers get only authoritative addresses. */
		bool occluded = tn->flags & ZONES_N_OCCLUDED;
		if (!deleg && occluded)
			continue;
		zones_add_t a = { .rr = (uint16_t)i, .name_off = off, .node = n,
		                  .mandatory = deleg && zones_name_is_sub(t, b->wire.data + owner->name) };
		dns_buf_append(&b->add, &a, sizeof a);
		s->nadd++;
	}
	return b->add.err;
}

/* RRSIGs by the RRset they cover (RFC 4034 3.1.1: type covered), rendered as
 * RRsets of their own and linked from the covered RRset, so a DO answer adds
 * an RRset's signatures with one more copy.  The negative-answer SOA gets its
 * signatures at its own TTL (RFC 4034 3: an RRSIG's TTL is its RRset's). */
static int sigs_link(build_t *b, const zones_content_t *c, uint32_t apex, uint32_t soa,
                     uint32_t neg_soa, uint32_t neg_ttl)
{
	for (size_t i = 0; i < c->n;) {
		size_t e = i;
		while (e < c->n && c->rr[e].type == c->rr[i].type &&
		       zones_name_cmp(c->rr[e].owner, c->rr[i].owner) == 0)
			e++;
		if (c->rr[i].type != ZONES_T_RRSIG) {
			i = e;
			continue;
		}
		size_t ol = zones_name_len(c->rr[i].owner, ZONES_NAME_MAX);
		uint32_t n = find(b, c->rr[i].owner, ol, zones_name_hash(c->rr[i].owner, ol));
		/* the RRSIG run is in RDATA order, whose first field is the type covered */
		for (size_t g = i; g < e;) {
			size_t h = g;
			uint16_t covered = c->rr[g].rdlen >= 2 ? dns_get16(c->rr[g].rdata) : 0;
			while (h < e && c->rr[h].rdlen >= 2 && dns_get16(c->rr[h].rdata) == covered)
				h++;
			if (h == g)
				h = g + 1; /* malformed RRSIG: not linked */
			const zones_node_t *nd = &b->nodes[n];
			zones_rrset_t *target = NULL;
			for (uint32_t k = 0; k < nd->nrrset; k++)
				if (b->rrsets[nd->rrset + k].type == covered)
					target = &b->rrsets[nd->rrset + k];
			if (target) {
				uint32_t idx = b->nrrsets;
				int ret = rrset_render(b, &c->rr[g], h - g, target->ttl);
				if (ret)
					return ret;
				/* rrset_render may have moved the array */
				for (uint32_t k = 0; k < nd->nrrset; k++)
					if (b->rrsets[nd->rrset + k].type == covered)
						b->rrsets[nd->rrset + k].sig = idx;
				if (n == apex && covered == ZONES_T_SOA && neg_soa != ZONES_NONE) {
					b->rrsets[soa].sig = idx;
					uint32_t nidx = b->nrrsets;
					if ((ret = rrset_render(b, &c->rr[g], h - g, neg_ttl)) != 0)
						return ret;
					b->rrsets[neg_soa].sig = nidx;
				}
			}
			g = h;
		}
		i = e;
	}
	return 0;
}

/* "0123456789abcdefghijklmnopqrstuv" (RFC 4648 7), either case */
static int b32hex_decode(const uint8_t *label, uint8_t out[20])
{
	if (label[0] != 32)
		return -1;
	uint64_t buf = 0;
	int bits = 0, o = 0;
	for (int i = 1; i <= 32; i++) {
		int c = label[i], v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'v')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'V')
			v = c - 'A' + 10;
		else
			return -1;
		buf = buf << 5 | (uint64_t)v;
		bits += 5;
		if (bits >= 8) {
			out[o++] = (uint8_t)(buf >> (bits - 8));
			bits -= 8;
		}
	}
	return o == 20 ? 0 : -1;
}

static bool node_has(const build_t *b, const zones_node_t *n, uint16_t type)
{
	for (uint32_t k = 0; k < n->nrrset; k++)
		if (b->rrsets[n->rrset + k].type == type)
			return true;
	return false;
}

static uint8_t (*hash_sort_keys)[20];
static int chain_hash_cmp(const void *a, const void *b)
{
	return memcmp(hash_sort_keys[*(const uint32_t *)a], hash_sort_keys[*(const uint32_t *)b], 20);
}
static const build_t *name_sort_build;
static int chain_name_cmp(const void *a, const void *b)
{
	const build_t *bb = name_sort_build;
	return zones_name_cmp(bb->wire.data + bb->nodes[*(const uint32_t *)a].name,
	                      bb->wire.data + bb->nodes[*(const uint32_t *)b].name);
}

/* Which NSEC or NSEC3 record denies what (RFC 4035 3.1.3, RFC 5155 7.2): the
 * chain in order, and per name the record matching it and the one covering
 * its wildcard, so a negative answer costs lookups, not searches; only the
 * NSEC3 hash of a nonexistent name is computed per query. */
static int denial_link(build_t *b, const zones_content_t *c, uint32_t apex)
{
	for (size_t i = 0; i < c->n; i++) {
		const zones_rr_t *rr = &c->rr[i];
		if (rr->type == ZONES_T_NSEC3PARAM && rr->rdlen >= 5 && rr->rdata[0] == 1 &&
		    5u + rr->rdata[4] <= rr->rdlen && zones_name_cmp(rr->owner, c->apex) == 0) {
			b->denial_kind = ZONES_DENIAL_NSEC3;
			b->iterations = dns_get16(rr->rdata + 2);
			b->saltlen = rr->rdata[4];
			b->salt_off = (uint32_t)b->wire.len;
			dns_buf_append(&b->wire, rr->rdata + 5, b->saltlen);
		} else if (rr->type == ZONES_T_NSEC && !b->denial_kind) {
			b->denial_kind = ZONES_DENIAL_NSEC;
		}
	}
	if (!b->denial_kind)
		return 0;
	uint16_t want = b->denial_kind == ZONES_DENIAL_NSEC3 ? ZONES_T_NSEC3 : ZONES_T_NSEC;
	b->chain = malloc((b->nnodes ? b->nnodes : 1) * sizeof *b->chain);
	if (!b->chain)
		return DNS_ENOMEM;
	uint8_t (*hashes)[20] = NULL;
	if (want == ZONES_T_NSEC3 && !(hashes = malloc((b->nnodes ? b->nnodes : 1) * 20)))
		return DNS_ENOMEM;
	for (uint32_t n = 0; n < b->nnodes; n++) {
		zones_node_t *nd = &b->nodes[n];
		if (!node_has(b, nd, want))
			continue;
		if (want == ZONES_T_NSEC3) {
			if (b32hex_decode(b->wire.data + nd->name, hashes[n]))
				continue; /* not a hash label: not part of the chain */
			bool only = true;
			for (uint32_t k = 0; k < nd->nrrset; k++) {
				uint16_t t = b->rrsets[nd->rrset + k].type;
				only &= t == ZONES_T_NSEC3 || t == ZONES_T_RRSIG;
			}
			if (only)
				nd->flags |= ZONES_N_NSEC3;
		}
		b->chain[b->nchain++] = n;
	}
	if (b->nchain == 0) {
		free(hashes);
		b->denial_kind = ZONES_DENIAL_NONE;
		return 0;
	}
	if (want == ZONES_T_NSEC3) {
		hash_sort_keys = hashes;
		qsort(b->chain, b->nchain, sizeof *b->chain, chain_hash_cmp);
		b->chain_hash = malloc(b->nchain * 20);
		if (!b->chain_hash) {
			free(hashes);
			return DNS_ENOMEM;
		}
		for (uint32_t i = 0; i < b->nchain; i++)
			memcpy(b->chain_hash[i], hashes[b->chain[i]], 20);
		free(hashes);
	} else {
		name_sort_build = b;
		qsort(b->chain, b->nchain, sizeof *b->chain, chain_name_cmp);
	}
	const uint8_t *salt = b->wire.data + b->salt_off;
	for (uint32_t n = 0; n < b->nnodes; n++) {
		zones_node_t *nd = &b->nodes[n];
		if (nd->flags & ZONES_N_NSEC3)
			continue;
		const uint8_t *name = b->wire.data + nd->name;
		uint8_t wc[ZONES_NAME_MAX + 2];
		bool wc_ok = nd->namelen + 2u <= ZONES_NAME_MAX;
		if (wc_ok) {
			wc[0] = 1;
			wc[1] = '*';
			memcpy(wc + 2, name, nd->namelen);
		}
		if (want == ZONES_T_NSEC3) {
			uint8_t h[20];
			zones_nsec3_hash(name, nd->namelen, salt, b->saltlen, b->iterations, h);
			uint32_t i = zones_chain_hash_le((const uint8_t(*)[20])b->chain_hash, b->nchain, h);
			if (memcmp(b->chain_hash[i], h, 20) == 0)
				nd->denial = b->chain[i];
			if (wc_ok) {
				zones_nsec3_hash(wc, nd->namelen + 2u, salt, b->saltlen, b->iterations, h);
				nd->wc_denial = b->chain[zones_chain_hash_le(
					(const uint8_t(*)[20])b->chain_hash, b->nchain, h)];
			}
		} else {
			nd->denial = node_has(b, nd, ZONES_T_NSEC)
			                     ? n
			                     : b->chain[zones_chain_name_le(b->wire.data, b->nodes, b->chain,
			                                                    b->nchain, name)];
			if (wc_ok)
				nd->wc_denial = b->chain[zones_chain_name_le(b->wire.data, b->nodes, b->chain,
				                                             b->nchain, wc)];
		}
	}
	(void)apex;
	return 0;
}

static void build_free(build_t *b)
{
	free(b->chain);
	free(b->chain_hash);
	free(b->nodes);
	free(b->table);
	free(b->rrsets);
	dns_buf_deinit(&b->wire);
	dns_buf_deinit(&b->fix);
	dns_buf_deinit(&b->add);
}

int zones_czone_build(const zones_content_t *c, uint32_t serial, zones_czone_t **out)
{
	build_t b = { .c = c, .apexlen = zones_name_len(c->apex, ZONES_NAME_MAX) };
	dns_buf_init(&b.wire);
	dns_buf_init(&b.fix);
	dns_buf_init(&b.add);
	int ret = DNS_ENOMEM;
	unsigned apexlabels = zones_name_labels(c->apex);
	uint64_t bound = 2;
	for (size_t i = 0; i < c->n; i++)
		bound += zones_name_labels(c->rr[i].owner) - apexlabels + 1;
	uint32_t tsize = pow2_at_least(bound * 2);
	if (!tsize || !(b.table = malloc(tsize * sizeof *b.table)))
		goto out;
	memset(b.table, 0xff, tsize * sizeof *b.table);
	b.tmask = tsize - 1;

	uint32_t apex = node_ensure(&b, c->apex);
	if (apex == ZONES_NONE)
		goto out;
	/* Nodes and their RRsets; content is sorted, so a name's RRsets are one run. */
	for (size_t i = 0; i < c->n;) {
		uint32_t n = node_ensure(&b, c->rr[i].owner);
		if (n == ZONES_NONE)
			goto out;
		b.nodes[n].rrset = b.nrrsets;
		b.nodes[n].flags &= (uint16_t)~ZONES_N_ENT;
		size_t j = i;
		while (j < c->n && zones_name_cmp(c->rr[j].owner, c->rr[i].owner) == 0) {
			size_t k = j;
			while (k < c->n && c->rr[k].type == c->rr[j].type &&
			       zones_name_cmp(c->rr[k].owner, c->rr[j].owner) == 0)
				k++;
			uint16_t t = c->rr[j].type;
			if (t == ZONES_T_RRSIG) {
				/* kept only by covered type (sigs_link): stored once */
				j = k;
				continue;
			}
			if ((ret = rrset_render(&b, &c->rr[j], k - j, ZONES_NONE)) != 0)
				goto out;
			zones_node_t *nd = &b.nodes[n];
			nd->nrrset++;
			if (t == ZONES_T_NS && n != apex)
				nd->flags |= ZONES_N_DELEG;
			if (t == ZONES_T_CNAME || t == ZONES_T_DNAME) {
				nd->flags |= t == ZONES_T_CNAME ? ZONES_N_CNAME : ZONES_N_DNAME;
				uint8_t low[ZONES_NAME_MAX];
				size_t tl = zones_name_len(c->rr[j].rdata, c->rr[j].rdlen);
				if (tl == 0) {
					ret = DNS_EMALF;
					goto out;
				}
				memcpy(low, c->rr[j].rdata, tl);
				zones_name_lower(low);
				/* a name with both keeps the DNAME target: CNAME is refused beside it */
				nd->cname = (uint32_t)b.wire.len;
				dns_buf_append(&b.wire, low, tl);
			}
			j = k;
		}
		i = j;
	}
	ret = DNS_ENOMEM;
	b.nodes[apex].flags |= ZONES_N_APEX;
	/* Stops and wildcards, parents first (their indexes are smaller). */
	for (uint32_t n = 0; n < b.nnodes; n++) {
		zones_node_t *nd = &b.nodes[n];
		if (n != apex) {
			const uint8_t *name = b.wire.data + nd->name;
			const uint8_t *pn = name + 1 + name[0];
			size_t pl = nd->namelen - 1u - name[0];
			uint32_t p = find(&b, pn, pl, zones_name_hash(pn, pl));
			const zones_node_t *par = &b.nodes[p];
			if (par->stop != ZONES_NONE)
				nd->stop = par->stop;
			else if (par->flags & ZONES_N_DNAME)
				nd->stop = p;
			else if (nd->flags & ZONES_N_DELEG)
				nd->stop = n;
			if (nd->stop != ZONES_NONE && nd->stop != n)
				nd->flags |= ZONES_N_OCCLUDED;
			if (name[0] == 1 && name[1] == '*')
				b.nodes[p].wild = n;
		}
	}
	/* Additional-section links, now that every node exists. */
	for (size_t i = 0, r = 0; i < c->n;) {
		size_t k = i;
		while (k < c->n && c->rr[k].type == c->rr[i].type &&
		       zones_name_cmp(c->rr[k].owner, c->rr[i].owner) == 0)
			k++;
		uint16_t t = c->rr[i].type;
		if (t == ZONES_T_RRSIG) {
			i = k; /* not a node RRset (see above) */
			continue;
		}
		if (t == ZONES_T_NS || t == ZONES_T_MX || t == ZONES_T_SRV) {
			size_t ol = zones_name_len(c->rr[i].owner, ZONES_NAME_MAX);
			uint32_t n = find(&b, c->rr[i].owner, ol, zones_name_hash(c->rr[i].owner, ol));
			if ((ret = additionals_link(&b, &b.rrsets[r], &b.nodes[n], &c->rr[i], k - i)) != 0)
				goto out;
		}
		r++;
		i = k;
	}
	/* The SOA for negative answers: TTL = min(SOA TTL, MINIMUM), RFC 2308 3 and 5. */
	const zones_rrset_t *soa = zones_node_rrset(&(zones_czone_t){ .rrsets = b.rrsets },
	                                            &b.nodes[apex], ZONES_T_SOA);
	if (!soa) {
		ret = DNS_ENOSOA;
		goto out;
	}
	uint32_t soa_idx = (uint32_t)(soa - b.rrsets), neg_soa = ZONES_NONE, neg_ttl = 0;
	for (size_t i = 0; i < c->n; i++) {
		const zones_rr_t *rr = &c->rr[i];
		if (rr->type == ZONES_T_SOA) {
			uint32_t min = dns_get32(rr->rdata + rr->rdlen - 4);
			neg_ttl = min < rr->ttl ? min : rr->ttl;
			neg_soa = b.nrrsets;
			if ((ret = rrset_render(&b, rr, 1, neg_ttl)) != 0)
				goto out;
			break;
		}
	}
	if ((ret = sigs_link(&b, c, apex, soa_idx, neg_soa, neg_ttl)) != 0 ||
	    (ret = denial_link(&b, c, apex)) != 0)
		goto out;
	ret = DNS_ENOMEM;
	if (b.wire.err || b.fix.err || b.add.err || b.wire.len > UINT32_MAX)
		goto out;

	/* One exact-size block for everything the engine reads: one allocation
	 * per zone, no slack from the growing arrays, and good locality. */
	uint32_t fsize = pow2_at_least((uint64_t)b.nnodes * 2);
	size_t sz_nodes = (size_t)b.nnodes * sizeof *b.nodes, sz_table = (size_t)fsize * 4;
	size_t sz_rrsets = (size_t)b.nrrsets * sizeof *b.rrsets;
	size_t at_nodes = (sizeof(zones_czone_t) + 7) & ~(size_t)7;
	size_t at_rrsets = at_nodes + sz_nodes;
	size_t at_add = at_rrsets + sz_rrsets;
	size_t at_table = at_add + ((b.add.len + 3) & ~(size_t)3);
	size_t at_fix = at_table + sz_table;
	size_t at_chain = at_fix + ((b.fix.len + 3) & ~(size_t)3);
	size_t at_hash = at_chain + (size_t)b.nchain * 4;
	size_t at_wire = at_hash + (b.chain_hash ? (size_t)b.nchain * 20 : 0);
	size_t total = at_wire + b.wire.len;
	uint8_t *mem = malloc(total);
	if (!mem)
		goto out;
	zones_czone_t *z = (zones_czone_t *)mem;
	memset(z, 0, sizeof *z);
	z->nodes = (zones_node_t *)(mem + at_nodes);
	z->rrsets = (zones_rrset_t *)(mem + at_rrsets);
	z->add = (zones_add_t *)(mem + at_add);
	z->table = (uint32_t *)(mem + at_table);
	z->fix = (zones_fix_t *)(mem + at_fix);
	z->wire = mem + at_wire;
	z->chain = (uint32_t *)(mem + at_chain);
	z->chain_hash = b.chain_hash ? (uint8_t(*)[20])(mem + at_hash) : NULL;
	z->nchain = b.nchain;
	if (b.nchain)
		memcpy(z->chain, b.chain, (size_t)b.nchain * 4);
	if (b.chain_hash)
		memcpy(z->chain_hash, b.chain_hash, (size_t)b.nchain * 20);
	z->denial_kind = b.denial_kind;
	z->nsec3_iterations = b.iterations;
	z->nsec3_saltlen = b.saltlen;
	z->nsec3_salt = b.salt_off;
	memcpy(z->nodes, b.nodes, sz_nodes);
	memcpy(z->rrsets, b.rrsets, sz_rrsets);
	if (b.add.len)
		memcpy(z->add, b.add.data, b.add.len);
	if (b.fix.len)
		memcpy(z->fix, b.fix.data, b.fix.len);
	memcpy(z->wire, b.wire.data, b.wire.len);
	memset(z->table, 0xff, sz_table);
	z->tmask = fsize - 1;
	for (uint32_t n = 0; n < b.nnodes; n++)
		for (uint32_t i = b.nodes[n].hash & z->tmask;; i = (i + 1) & z->tmask)
			if (z->table[i] == ZONES_NONE) {
				z->table[i] = n;
				break;
			}
	z->serial = serial;
	z->nnodes = b.nnodes;
	z->apex = z->wire + z->nodes[apex].name;
	z->apexlen = (uint8_t)b.apexlen;
	z->apexlabels = (uint8_t)apexlabels;
	z->apex_node = apex;
	z->soa = soa_idx;
	z->neg_soa = neg_soa;
	z->memsize = total;
	*out = z;
	ret = 0;
out:
	build_free(&b);
	return ret;
}

void zones_czone_free(zones_czone_t *z)
{
	if (z && z->ext_free)
		z->ext_free(z->ext);
	free(z); /* one block, see zones_czone_build */
}
