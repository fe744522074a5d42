/* SPDX-License-Identifier: MIT */
/*
 * Generated records: what the mail core derives from the mail configuration
 * (DESIGN.md section 6), kept apart from the operator's static records so
 * that neither can silently overwrite the other.
 *
 * generated: key = as in "records" (apex | relative owner | 0 | type),
 *            value = version 1 | class u8 | source length u8 | source |
 *                    TTL BE32 | (RDLENGTH BE16, RDATA)*
 * The source names the mail object that made the RRset, for messages.
 * The class says which static records may share the owner and type:
 * none (ZONES_GEN_EXCLUSIVE), or TXT records that are not SPF (ZONES_GEN_SPF:
 * RFC 7208 3.2 makes two SPF records at one name a permanent error).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "zones/zones.h"

#define GEN_V1 1

typedef struct {
	uint8_t cls;
	char src[256];
	uint32_t ttl;
	const uint8_t *rdata; /* the (rdlen, rdata)* run */
	size_t rdlen;
} gen_val_t;

static int gen_val_parse(const uint8_t *v, size_t vl, gen_val_t *out)
{
	if (vl < 3 || v[0] != GEN_V1 || vl < 3u + v[2] + 4)
		return DNS_ESCHEMA;
	out->cls = v[1];
	memcpy(out->src, v + 3, v[2]);
	out->src[v[2]] = 0;
	out->ttl = dns_get32(v + 3 + v[2]);
	out->rdata = v + 7 + v[2];
	out->rdlen = vl - 7 - v[2];
	return 0;
}

/* Is this TXT RDATA an SPF record (RFC 7208 4.5: "v=spf1" then space or end)? */
static bool txt_is_spf(const uint8_t *rd, size_t len)
{
	if (len < 1 || rd[0] < 6 || (size_t)rd[0] + 1 > len)
		return false;
	return strncasecmp((const char *)rd + 1, "v=spf1", 6) == 0 && (rd[0] == 6 || rd[7] == ' ');
}


static void conflict_msg(char *err, size_t errlen, const uint8_t *owner, uint16_t type,
                         const char *what, const char *src)
{
	char o[1024], t[16];
	zones_name_print(owner, o, sizeof o);
	snprintf(err, errlen, "%s %s %s conflicts with the %s", o, zones_type_name(type, t), what,
	         src);
}

/* Static RDATA set (run of rdlen, rdata) against a generated RRset. */
static bool static_clashes(uint8_t cls, uint16_t type, const uint8_t *run, size_t len)
{
	if (cls == ZONES_GEN_EXCLUSIVE || type != ZONES_T_TXT)
		return true;
	for (size_t o = 0; o + 2 <= len;) {
		uint16_t rl = dns_get16(run + o);
		if (o + 2 + rl > len)
			break;
		if (txt_is_spf(run + o + 2, rl))
			return true;
		o += 2u + rl;
	}
	return false;
}

struct any_ctx {
	char src[256];
};

static int any_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	(void)k;
	(void)kl;
	struct any_ctx *ac = arg;
	gen_val_t g;
	int ret = gen_val_parse(v, vl, &g);
	if (ret)
		return ret;
	snprintf(ac->src, sizeof ac->src, "%s", g.src);
	return 1;
}

int zones_gen_check_static(dns_state_txn_t *txn, const uint8_t *apex, const zones_rr_t *rr,
                           char *err, size_t errlen)
{
	uint8_t key[2 * ZONES_NAME_MAX + 3];
	size_t kl = zones_rrset_key(apex, rr->owner, rr->type, key);
	const uint8_t *v;
	size_t vl;
	gen_val_t g;
	int ret = dns_state_get(txn, DNS_DB_GENERATED, key, kl, (const void **)&v, &vl);
	if (ret == 0 && (ret = gen_val_parse(v, vl, &g)) == 0) {
		uint8_t run[2 + 65535];
		dns_put16(run, rr->rdlen);
		memcpy(run + 2, rr->rdata, rr->rdlen);
		if (static_clashes(g.cls, rr->type, run, 2u + rr->rdlen)) {
			conflict_msg(err, errlen, rr->owner, rr->type, "record", g.src);
			return DNS_ECONFLICT;
		}
		return 0;
	}
	if (ret != DNS_ENOENT)
		return ret;
	/* RFC 2181 10.1: nothing joins a generated CNAME */
	if (rr->type != ZONES_T_CNAME) {
		uint8_t ck[2 * ZONES_NAME_MAX + 3];
		size_t ckl = zones_rrset_key(apex, rr->owner, ZONES_T_CNAME, ck);
		ret = dns_state_get(txn, DNS_DB_GENERATED, ck, ckl, (const void **)&v, &vl);
		if (ret == 0 && (ret = gen_val_parse(v, vl, &g)) == 0) {
			conflict_msg(err, errlen, rr->owner, rr->type, "record (RFC 2181 10.1: a CNAME "
			             "stands alone)", g.src);
			return DNS_ECONFLICT;
		}
		if (ret != DNS_ENOENT)
			return ret;
	}
	/* RFC 2181 10.1: a CNAME cannot join a name that has generated data */
	if (rr->type == ZONES_T_CNAME || rr->type == ZONES_T_DNAME) {
		struct any_ctx ac = { "" };
		if ((ret = dns_state_scan(txn, DNS_DB_GENERATED, key, kl - 2, any_one, &ac)) != 0)
			return ret;
		if (ac.src[0]) {
			conflict_msg(err, errlen, rr->owner, rr->type, "record", ac.src);
			return DNS_ECONFLICT;
		}
	}
	return 0;
}

int zones_gen_check_content(dns_state_txn_t *txn, const zones_content_t *c, char *err,
                            size_t errlen)
{
	for (size_t i = 0; i < c->n; i++) {
		int ret = zones_gen_check_static(txn, c->apex, &c->rr[i], err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

struct load_ctx {
	zones_content_t *c;
	size_t apexlen;
};

static int load_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	struct load_ctx *lc = arg;
	gen_val_t g;
	int ret = gen_val_parse(v, vl, &g);
	if (ret)
		return ret;
	uint8_t owner[ZONES_NAME_MAX];
	if (kl < lc->apexlen + 3 || kl - 3 > ZONES_NAME_MAX)
		return DNS_ESCHEMA;
	size_t rel = kl - 3 - lc->apexlen;
	memcpy(owner, k + lc->apexlen, rel);
	memcpy(owner + rel, lc->c->apex, lc->apexlen);
	if (zones_name_len(owner, ZONES_NAME_MAX) != rel + lc->apexlen)
		return DNS_ESCHEMA;
	uint16_t type = dns_get16(k + kl - 2);
	for (size_t o = 0; o < g.rdlen;) {
		if (o + 2 > g.rdlen)
			return DNS_ESCHEMA;
		uint16_t rl = dns_get16(g.rdata + o);
		if (o + 2 + rl > g.rdlen)
			return DNS_ESCHEMA;
		if ((ret = zones_content_add(lc->c, owner, type, g.ttl, g.rdata + o + 2, rl, 0)))
			return ret;
		o += 2u + rl;
	}
	return 0;
}

int zones_gen_load(dns_state_txn_t *txn, const uint8_t *apex, zones_content_t *c)
{
	struct load_ctx lc = { c, zones_name_len(apex, ZONES_NAME_MAX) };
	return dns_state_scan(txn, DNS_DB_GENERATED, apex, lc.apexlen, load_one, &lc);
}

/* The stored form of one generated RRset: rr[i..j) of sorted content. */
static int val_build(dns_buf_t *b, const zones_content_t *g, size_t i, size_t j,
                     const zones_gen_tag_t *tag)
{
	size_t sl = strnlen(tag->src, 255);
	b->len = 0;
	dns_buf_u8(b, GEN_V1);
	dns_buf_u8(b, tag->cls);
	dns_buf_u8(b, (uint8_t)sl);
	dns_buf_append(b, tag->src, sl);
	dns_buf_u32(b, g->rr[i].ttl);
	for (size_t x = i; x < j; x++) {
		dns_buf_u16(b, g->rr[x].rdlen);
		dns_buf_append(b, g->rr[x].rdata, g->rr[x].rdlen);
	}
	return b->err;
}

struct cmp_ctx {
	const uint8_t *want; /* packed "key\0len value" blobs, in key order */
	size_t wantlen, off;
	bool differ;
	size_t nkeys;
};

static int cmp_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	struct cmp_ctx *cc = arg;
	cc->nkeys++;
	if (cc->off + 4 > cc->wantlen) {
		cc->differ = true;
		return 1;
	}
	uint16_t wk = dns_get16(cc->want + cc->off), wv = dns_get16(cc->want + cc->off + 2);
	const uint8_t *p = cc->want + cc->off + 4;
	if (wk != kl || wv != vl || memcmp(p, k, kl) != 0 || memcmp(p + kl, v, vl) != 0) {
		cc->differ = true;
		return 1;
	}
	cc->off += 4u + wk + wv;
	return 0;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const uint8_t *a = *(const uint8_t *const *)pa, *b = *(const uint8_t *const *)pb;
	size_t al = dns_get16(a), bl = dns_get16(b);
	int c = memcmp(a + 4, b + 4, al < bl ? al : bl);
	return c ? c : (al > bl) - (al < bl);
}

/* Content is in canonical order (RFC 4034 6.1), LMDB keys in bytewise order:
 * put the packed (key, value) run in LMDB's order so the two compare in one pass. */
static int run_sort(dns_buf_t *run)
{
	size_t n = 0;
	for (size_t o = 0; o + 4 <= run->len; n++)
		o += 4u + dns_get16(run->data + o) + dns_get16(run->data + o + 2);
	if (n < 2)
		return 0;
	const uint8_t **idx = malloc(n * sizeof *idx);
	uint8_t *copy = malloc(run->len);
	if (!idx || !copy) {
		free(idx);
		free(copy);
		return DNS_ENOMEM;
	}
	n = 0;
	for (size_t o = 0; o + 4 <= run->len;) {
		idx[n++] = run->data + o;
		o += 4u + dns_get16(run->data + o) + dns_get16(run->data + o + 2);
	}
	qsort(idx, n, sizeof *idx, entry_cmp);
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = idx[i];
		size_t el = 4u + dns_get16(e) + dns_get16(e + 2);
		memcpy(copy + w, e, el);
		w += el;
	}
	memcpy(run->data, copy, w);
	free(idx);
	free(copy);
	return 0;
}

struct cname_ctx {
	bool gen_is_cname, clash;
};

static int cname_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	(void)v;
	(void)vl;
	struct cname_ctx *cc = arg;
	uint16_t type = dns_get16(k + kl - 2);
	/* NSEC/RRSIG beside a CNAME are fine (RFC 4035 2.5), but static zones
	 * here carry neither: dnsd signs */
	if (cc->gen_is_cname || type == ZONES_T_CNAME || type == ZONES_T_DNAME) {
		cc->clash = true;
		return 1;
	}
	return 0;
}

/* Generated RRsets must not collide with each other either. */
static int gen_self_check(const zones_content_t *g, const zones_gen_tag_t *tags, char *err,
                          size_t errlen)
{
	/* RFC 2181 10.1: a generated CNAME stands alone at its name */
	for (size_t i = 0; i < g->n;) {
		size_t j = i;
		const zones_rr_t *cname = NULL, *other = NULL;
		while (j < g->n && zones_name_cmp(g->rr[j].owner, g->rr[i].owner) == 0) {
			if (g->rr[j].type == ZONES_T_CNAME)
				cname = &g->rr[j];
			else
				other = &g->rr[j];
			j++;
		}
		if (cname && other) {
			char what[300];
			snprintf(what, sizeof what, "generated for the %s (RFC 2181 10.1: a CNAME stands "
			         "alone)", tags[other->line].src);
			conflict_msg(err, errlen, cname->owner, ZONES_T_CNAME, what, tags[cname->line].src);
			return DNS_ECONFLICT;
		}
		i = j;
	}
	for (size_t i = 1; i < g->n; i++) {
		const zones_rr_t *a = &g->rr[i - 1], *b = &g->rr[i];
		if (a->line == b->line || a->type != b->type || zones_name_cmp(a->owner, b->owner))
			continue;
		const zones_gen_tag_t *ta = &tags[a->line], *tb = &tags[b->line];
		if (strcmp(ta->src, tb->src) == 0)
			continue;
		bool clash = ta->cls == ZONES_GEN_EXCLUSIVE || tb->cls == ZONES_GEN_EXCLUSIVE ||
		             (txt_is_spf(a->rdata, a->rdlen) && txt_is_spf(b->rdata, b->rdlen));
		if (clash) {
			char what[300];
			snprintf(what, sizeof what, "generated for the %s", ta->src);
			conflict_msg(err, errlen, b->owner, b->type, what, tb->src);
			return DNS_ECONFLICT;
		}
	}
	return 0;
}

int zones_gen_replace(dns_state_txn_t *txn, const uint8_t *apex, zones_content_t *g,
                      const zones_gen_tag_t *tags, bool *changed, char *err, size_t errlen)
{
	size_t al = zones_name_len(apex, ZONES_NAME_MAX);
	zones_content_sort(g);
	*changed = false;
	int ret = gen_self_check(g, tags, err, errlen);
	if (ret)
		return ret;
	/* What the generated DB should hold for this zone, as one packed run. */
	dns_buf_t want, val;
	dns_buf_init(&want);
	dns_buf_init(&val);
	for (size_t i = 0; i < g->n && ret == 0;) {
		size_t j = i;
		while (j < g->n && g->rr[j].type == g->rr[i].type &&
		       zones_name_cmp(g->rr[j].owner, g->rr[i].owner) == 0)
			j++;
		const zones_rr_t *rr = &g->rr[i];
		if (!zones_name_is_sub(rr->owner, apex)) {
			ret = DNS_EOUTOFZONE;
			break;
		}
		/* a static RRset of the same owner and type */
		uint8_t key[2 * ZONES_NAME_MAX + 3];
		size_t kl = zones_rrset_key(apex, rr->owner, rr->type, key);
		const uint8_t *sv;
		size_t svl;
		int r = dns_state_get(txn, DNS_DB_RECORDS, key, kl, (const void **)&sv, &svl);
		if (r == 0 && svl >= 4 && static_clashes(tags[rr->line].cls, rr->type, sv + 4, svl - 4)) {
			conflict_msg(err, errlen, rr->owner, rr->type, "of the static records",
			             tags[rr->line].src);
			ret = DNS_ECONFLICT;
			break;
		}
		if (r && r != DNS_ENOENT) {
			ret = r;
			break;
		}
		/* RFC 2181 10.1: CNAME stands alone, static or generated */
		struct cname_ctx cc = { rr->type == ZONES_T_CNAME, false };
		if ((ret = dns_state_scan(txn, DNS_DB_RECORDS, key, kl - 2, cname_one, &cc)) != 0)
			break;
		if (cc.clash) {
			char o[1024];
			zones_name_print(rr->owner, o, sizeof o);
			snprintf(err, errlen, "%s: %s (RFC 2181 10.1: a CNAME stands alone); it conflicts "
			         "with the %s", o, rr->type == ZONES_T_CNAME ? "static records are there"
			         : "a static CNAME is there", tags[rr->line].src);
			ret = DNS_ECONFLICT;
			break;
		}
		if ((ret = val_build(&val, g, i, j, &tags[rr->line])) != 0)
			break;
		dns_buf_u16(&want, (uint16_t)kl);
		dns_buf_u16(&want, (uint16_t)val.len);
		dns_buf_append(&want, key, kl);
		dns_buf_append(&want, val.data, val.len);
		ret = want.err;
		i = j;
	}
	if (ret == 0)
		ret = run_sort(&want);
	if (ret == 0) {
		struct cmp_ctx cc = { want.data, want.len, 0, false, 0 };
		ret = dns_state_scan(txn, DNS_DB_GENERATED, apex, al, cmp_one, &cc);
		if (ret == 0 && (cc.differ || cc.off != want.len))
			*changed = true;
	}
	if (ret == 0 && *changed) {
		ret = dns_state_del_prefix(txn, DNS_DB_GENERATED, apex, al);
		for (size_t o = 0; ret == 0 && o + 4 <= want.len;) {
			uint16_t kl = dns_get16(want.data + o), vl = dns_get16(want.data + o + 2);
			ret = dns_state_put(txn, DNS_DB_GENERATED, want.data + o + 4, kl,
			                    want.data + o + 4 + kl, vl);
			o += 4u + kl + vl;
		}
	}
	dns_buf_deinit(&want);
	dns_buf_deinit(&val);
	return ret;
}


/* Append the RDATA run \p run (after the TTL) as RRs of \p owner/type. */
static int run_add(zones_content_t *out, const uint8_t *owner, uint16_t type, uint32_t ttl,
                   const uint8_t *run, size_t len)
{
	for (size_t o = 0; o < len;) {
		if (o + 2 > len)
			return DNS_ESCHEMA;
		uint16_t rl = dns_get16(run + o);
		if (o + 2 + rl > len)
			return DNS_ESCHEMA;
		int ret = zones_content_add(out, owner, type, ttl, run + o + 2, rl, 0);
		if (ret)
			return ret;
		o += 2u + rl;
	}
	return 0;
}

int zones_lookup(dns_state_txn_t *txn, const uint8_t *apex, const uint8_t *owner, uint16_t type,
                 zones_content_t *out)
{
	uint8_t key[2 * ZONES_NAME_MAX + 3];
	size_t kl = zones_rrset_key(apex, owner, type, key);
	const uint8_t *v;
	size_t vl;
	int ret = dns_state_get(txn, DNS_DB_RECORDS, key, kl, (const void **)&v, &vl);
	if (ret == 0)
		ret = vl < 4 ? DNS_ESCHEMA : run_add(out, owner, type, dns_get32(v), v + 4, vl - 4);
	if (ret && ret != DNS_ENOENT)
		return ret;
	return zones_gen_lookup(txn, apex, owner, type, out);
}

int zones_gen_lookup(dns_state_txn_t *txn, const uint8_t *apex, const uint8_t *owner,
                     uint16_t type, zones_content_t *out)
{
	uint8_t key[2 * ZONES_NAME_MAX + 3];
	size_t kl = zones_rrset_key(apex, owner, type, key);
	const uint8_t *v;
	size_t vl;
	gen_val_t g;
	int ret = dns_state_get(txn, DNS_DB_GENERATED, key, kl, (const void **)&v, &vl);
	if (ret == 0 && (ret = gen_val_parse(v, vl, &g)) == 0)
		ret = run_add(out, owner, type, g.ttl, g.rdata, g.rdlen);
	return ret == DNS_ENOENT ? 0 : ret;
}

int zones_gen_strip(dns_state_txn_t *txn, zones_content_t *c, size_t *stripped)
{
	size_t w = 0;
	*stripped = 0;
	zones_content_t g;
	for (size_t i = 0; i < c->n; i++) {
		zones_rr_t *rr = &c->rr[i];
		bool same = false;
		zones_content_init(&g, c->apex);
		int ret = zones_gen_lookup(txn, c->apex, rr->owner, rr->type, &g);
		for (size_t k = 0; ret == 0 && k < g.n && !same; k++)
			same = g.rr[k].rdlen == rr->rdlen && memcmp(g.rr[k].rdata, rr->rdata, rr->rdlen) == 0;
		zones_content_deinit(&g);
		if (ret)
			return ret;
		if (same) {
			free(rr->owner);
			(*stripped)++;
		} else {
			c->rr[w++] = *rr;
		}
	}
	c->n = w;
	return 0;
}
