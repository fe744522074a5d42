/* SPDX-License-Identifier: MIT */
/*
 * The IXFR journal (RFC 1995): what changed between served serials.
 *
 * xfr:     key = apex | owner labels below the apex | 0 | type (as "records"),
 *          value = (TTL BE32, RDLENGTH BE16, RDATA)*: the RRs dnsd served last,
 *          signatures and NSEC/NSEC3 included. A new version is compared with it.
 * journal: key = apex | sequence BE64, value = version 1 | from BE32 | to BE32 |
 *          removed length BE32 | removed RRs | added RRs, each RR as
 *          (length BE16, owner | type | class | TTL | RDLENGTH | RDATA); the
 *          removed part starts with the old SOA, the added part with the new,
 *          as an IXFR answer lists them (RFC 1995 4).
 * Bounded per zone: past JOURNAL_MAX_ENTRIES the two oldest changes are
 * merged into one (condensed); past the byte limit the oldest go. An IXFR
 * whose serial the journal no longer reaches gets the whole zone (RFC 1995 4).
 */
#include <stdlib.h>
#include <string.h>
#include "dnsd/server_int.h"

#define JOURNAL_V1 1
#define JOURNAL_MAX_ENTRIES 64

/* One RR of a run: length, then owner | type | class | ttl | rdlen | rdata. */
static void rr_append(dns_buf_t *b, const zones_rr_t *rr)
{
	size_t ol = zones_name_len(rr->owner, ZONES_NAME_MAX);
	dns_buf_u16(b, (uint16_t)(ol + 10 + rr->rdlen));
	dns_buf_append(b, rr->owner, ol);
	dns_buf_u16(b, rr->type);
	dns_buf_u16(b, 1);
	dns_buf_u32(b, rr->ttl);
	dns_buf_u16(b, rr->rdlen);
	dns_buf_append(b, rr->rdata, rr->rdlen);
}

/* RFC 4034 6.3 order of RRs; the TTL is part of what is compared, since a
 * TTL change is a change a secondary must see. */
static int rr_cmp(const zones_rr_t *a, const zones_rr_t *b)
{
	int c = zones_name_cmp(a->owner, b->owner);
	if (c)
		return c;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	size_t n = a->rdlen < b->rdlen ? a->rdlen : b->rdlen;
	c = memcmp(a->rdata, b->rdata, n);
	if (c)
		return c;
	if (a->rdlen != b->rdlen)
		return a->rdlen < b->rdlen ? -1 : 1;
	return (a->ttl > b->ttl) - (a->ttl < b->ttl);
}

static int rr_qcmp(const void *a, const void *b)
{
	return rr_cmp(a, b);
}

struct mirror_ctx {
	zones_content_t *c;
	size_t apexlen;
};

static int mirror_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	struct mirror_ctx *mc = arg;
	uint8_t owner[ZONES_NAME_MAX];
	if (kl < mc->apexlen + 3)
		return DNS_ESCHEMA;
	size_t rel = kl - 3 - mc->apexlen;
	if (rel + mc->apexlen > ZONES_NAME_MAX)
		return DNS_ESCHEMA;
	memcpy(owner, k + mc->apexlen, rel);
	memcpy(owner + rel, mc->c->apex, mc->apexlen);
	if (zones_name_len(owner, ZONES_NAME_MAX) != rel + mc->apexlen)
		return DNS_ESCHEMA;
	uint16_t type = dns_get16(k + kl - 2);
	for (size_t o = 0; o < vl;) {
		if (o + 6 > vl)
			return DNS_ESCHEMA;
		uint32_t ttl = dns_get32(v + o);
		uint16_t rl = dns_get16(v + o + 4);
		if (o + 6 + rl > vl)
			return DNS_ESCHEMA;
		int ret = zones_content_add(mc->c, owner, type, ttl, v + o + 6, rl, 0);
		if (ret)
			return ret;
		o += 6u + rl;
	}
	return 0;
}


/* Write the mirror's RRset (owner, type) from the run rr[i..j) of \p c (empty: delete). */
static int mirror_put(dns_state_txn_t *txn, const zones_content_t *c, const zones_rr_t *rr,
                      size_t n, dns_buf_t *b)
{
	uint8_t key[2 * ZONES_NAME_MAX + 3];
	size_t kl = zones_rrset_key(c->apex, rr->owner, rr->type, key);
	if (n == 0) {
		int ret = dns_state_del(txn, DNS_DB_XFR, key, kl);
		return ret == DNS_ENOENT ? 0 : ret;
	}
	b->len = 0;
	for (size_t i = 0; i < n; i++) {
		dns_buf_u32(b, rr[i].ttl);
		dns_buf_u16(b, rr[i].rdlen);
		dns_buf_append(b, rr[i].rdata, rr[i].rdlen);
	}
	return b->err ? b->err : dns_state_put(txn, DNS_DB_XFR, key, kl, b->data, b->len);
}

typedef struct {
	const zones_content_t *c;
	uint32_t serial;
	size_t maxbytes;
	size_t removed, added;
	bool first;
} update_t;

struct entry {
	uint64_t seq;
	uint32_t from, to;
	size_t size;
};

struct list_ctx {
	struct entry *e;
	size_t n, cap, total;
	size_t apexlen;
};

static int list_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	struct list_ctx *lc = arg;
	if (kl != lc->apexlen + 8 || vl < 13 || v[0] != JOURNAL_V1)
		return DNS_ESCHEMA;
	if (lc->n == lc->cap) {
		size_t nc = lc->cap ? 2 * lc->cap : 16;
		void *p = realloc(lc->e, nc * sizeof *lc->e);
		if (!p)
			return DNS_ENOMEM;
		lc->e = p;
		lc->cap = nc;
	}
	lc->e[lc->n++] = (struct entry){ dns_get64(k + lc->apexlen), dns_get32(v + 1),
	                                 dns_get32(v + 5), vl };
	lc->total += vl;
	return 0;
}

static int journal_list(dns_state_txn_t *txn, const uint8_t *apex, struct list_ctx *lc)
{
	memset(lc, 0, sizeof *lc);
	lc->apexlen = zones_name_len(apex, ZONES_NAME_MAX);
	return dns_state_scan(txn, DNS_DB_JOURNAL, apex, lc->apexlen, list_one, lc);
}

static size_t jkey(const uint8_t *apex, uint64_t seq, uint8_t *key)
{
	size_t al = zones_name_len(apex, ZONES_NAME_MAX);
	memcpy(key, apex, al);
	dns_put64(key + al, seq);
	return al + 8;
}

/* Parse a run into zones RRs (owner copied). */
static int run_parse(const uint8_t *p, size_t len, zones_content_t *out)
{
	for (size_t o = 0; o + 2 <= len;) {
		size_t rl = dns_get16(p + o);
		const uint8_t *r = p + o + 2;
		size_t ol = zones_name_len(r, rl);
		if (o + 2 + rl > len || !ol || ol + 10 > rl || ol + 10 + dns_get16(r + ol + 8) != rl)
			return DNS_ESCHEMA;
		int ret = zones_content_add(out, r, dns_get16(r + ol), dns_get32(r + ol + 4),
		                            r + ol + 10, dns_get16(r + ol + 8), 0);
		if (ret)
			return ret;
		o += 2 + rl;
	}
	return 0;
}

/* Merge the two oldest entries (A->B, B->C) into one (A->C): out = out1 +
 * (out2 - in1), in = (in1 - out2) + in2, the SOAs of A and C leading. */
static int condense(dns_state_txn_t *txn, const uint8_t *apex, const struct entry *e1,
                    const struct entry *e2)
{
	uint8_t k1[ZONES_NAME_MAX + 8], k2[ZONES_NAME_MAX + 8];
	size_t kl1 = jkey(apex, e1->seq, k1), kl2 = jkey(apex, e2->seq, k2);
	const uint8_t *v1, *v2;
	size_t vl1, vl2;
	int ret = dns_state_get(txn, DNS_DB_JOURNAL, k1, kl1, (const void **)&v1, &vl1);
	if (ret == 0)
		ret = dns_state_get(txn, DNS_DB_JOURNAL, k2, kl2, (const void **)&v2, &vl2);
	if (ret)
		return ret;
	zones_content_t o1, i1, o2, i2;
	zones_content_init(&o1, apex);
	zones_content_init(&i1, apex);
	zones_content_init(&o2, apex);
	zones_content_init(&i2, apex);
	size_t r1 = dns_get32(v1 + 9), r2 = dns_get32(v2 + 9);
	if (13 + r1 > vl1 || 13 + r2 > vl2)
		ret = DNS_ESCHEMA;
	if (ret == 0 && (ret = run_parse(v1 + 13, r1, &o1)) == 0 &&
	    (ret = run_parse(v1 + 13 + r1, vl1 - 13 - r1, &i1)) == 0 &&
	    (ret = run_parse(v2 + 13, r2, &o2)) == 0)
		ret = run_parse(v2 + 13 + r2, vl2 - 13 - r2, &i2);
	dns_buf_t out, in, val;
	dns_buf_init(&out);
	dns_buf_init(&in);
	dns_buf_init(&val);
	if (ret == 0) {
		uint32_t from = dns_get32(v1 + 1), to = dns_get32(v2 + 5);
		/* leading SOAs: the oldest's old one, the newest's new one */
		bool *drop_o2 = calloc(o2.n + 1, 1), *drop_i1 = calloc(i1.n + 1, 1);
		if (!drop_o2 || !drop_i1) {
			free(drop_o2);
			free(drop_i1);
			ret = DNS_ENOMEM;
			goto merged;
		}
		for (size_t a = 0; a < i1.n; a++)
			for (size_t b = 0; b < o2.n; b++)
				if (!drop_o2[b] && rr_cmp(&i1.rr[a], &o2.rr[b]) == 0) {
					drop_i1[a] = drop_o2[b] = true;
					break;
				}
		for (size_t a = 0; a < o1.n; a++)
			rr_append(&out, &o1.rr[a]);
		for (size_t b = 0; b < o2.n; b++)
			if (!drop_o2[b] && o2.rr[b].type != ZONES_T_SOA)
				rr_append(&out, &o2.rr[b]);
		for (size_t b = 0; b < i2.n; b++)
			if (i2.rr[b].type == ZONES_T_SOA)
				rr_append(&in, &i2.rr[b]);
		for (size_t a = 0; a < i1.n; a++)
			if (!drop_i1[a] && i1.rr[a].type != ZONES_T_SOA)
				rr_append(&in, &i1.rr[a]);
		for (size_t b = 0; b < i2.n; b++)
			if (i2.rr[b].type != ZONES_T_SOA)
				rr_append(&in, &i2.rr[b]);
		dns_buf_u8(&val, JOURNAL_V1);
		dns_buf_u32(&val, from);
		dns_buf_u32(&val, to);
		dns_buf_u32(&val, (uint32_t)out.len);
		dns_buf_append(&val, out.data, out.len);
		dns_buf_append(&val, in.data, in.len);
		ret = val.err ? val.err : out.err ? out.err : in.err;
		free(drop_o2);
		free(drop_i1);
	}
merged:
	/* the merged entry takes the newer sequence number */
	if (ret == 0 && (ret = dns_state_del(txn, DNS_DB_JOURNAL, k1, kl1)) == 0)
		ret = dns_state_put(txn, DNS_DB_JOURNAL, k2, kl2, val.data, val.len);
	dns_buf_deinit(&out);
	dns_buf_deinit(&in);
	dns_buf_deinit(&val);
	zones_content_deinit(&o1);
	zones_content_deinit(&i1);
	zones_content_deinit(&o2);
	zones_content_deinit(&i2);
	return ret;
}

static int update_txn(dns_state_txn_t *txn, void *arg)
{
	update_t *u = arg;
	const zones_content_t *c = u->c;
	size_t al = zones_name_len(c->apex, ZONES_NAME_MAX);
	zones_content_t m;
	zones_content_init(&m, c->apex);
	struct mirror_ctx mc = { &m, al };
	int ret = dns_state_scan(txn, DNS_DB_XFR, c->apex, al, mirror_one, &mc);
	if (ret) {
		zones_content_deinit(&m);
		return ret;
	}
	u->first = m.n == 0;
	if (m.n > 1)
		qsort(m.rr, m.n, sizeof *m.rr, rr_qcmp);
	/* the new version in the same order (the TTL is compared too) */
	zones_rr_t *nv = malloc((c->n ? c->n : 1) * sizeof *nv);
	if (!nv) {
		zones_content_deinit(&m);
		return DNS_ENOMEM;
	}
	if (c->n) {
		memcpy(nv, c->rr, c->n * sizeof *nv);
		qsort(nv, c->n, sizeof *nv, rr_qcmp);
	}
	dns_buf_t out, in, val, soa_out, soa_in;
	dns_buf_init(&out);
	dns_buf_init(&in);
	dns_buf_init(&val);
	dns_buf_init(&soa_out);
	dns_buf_init(&soa_in);
	/* merge: RRs only in the mirror went out, only in the new version came in;
	 * RRsets that differ are written to the mirror again */
	size_t i = 0, j = 0;
	while (ret == 0 && (i < m.n || j < c->n)) {
		/* the RRset (owner, type) at the smaller position of both lists */
		const zones_rr_t *lead = i < m.n && (j >= c->n || rr_cmp(&m.rr[i], &nv[j]) <= 0)
		                             ? &m.rr[i] : &nv[j];
		size_t ie = i, je = j;
		while (ie < m.n && m.rr[ie].type == lead->type &&
		       zones_name_cmp(m.rr[ie].owner, lead->owner) == 0)
			ie++;
		while (je < c->n && nv[je].type == lead->type &&
		       zones_name_cmp(nv[je].owner, lead->owner) == 0)
			je++;
		bool differ = ie - i != je - j;
		size_t a = i, b = j;
		while (a < ie || b < je) {
			int cmp = a >= ie ? 1 : b >= je ? -1 : rr_cmp(&m.rr[a], &nv[b]);
			if (cmp == 0) {
				a++, b++;
				continue;
			}
			differ = true;
			dns_buf_t *to = cmp < 0 ? (lead->type == ZONES_T_SOA ? &soa_out : &out)
			                        : (lead->type == ZONES_T_SOA ? &soa_in : &in);
			rr_append(to, cmp < 0 ? &m.rr[a] : &nv[b]);
			if (cmp < 0) {
				a++;
				u->removed++;
			} else {
				b++;
				u->added++;
			}
		}
		if (differ)
			ret = mirror_put(txn, c, je > j ? &nv[j] : lead, je - j, &val);
		i = ie;
		j = je;
	}
	uint32_t from = 0;
	for (size_t k = 0; k < m.n; k++)
		if (m.rr[k].type == ZONES_T_SOA && m.rr[k].rdlen >= 20)
			from = dns_get32(m.rr[k].rdata + m.rr[k].rdlen - 20);
	free(nv);
	zones_content_deinit(&m);
	/* a journal entry, unless this is the first version we serve */
	if (ret == 0 && !u->first && (soa_out.len || out.len || in.len)) {
		struct list_ctx lc;
		ret = journal_list(txn, c->apex, &lc);
		uint64_t seq = lc.n ? lc.e[lc.n - 1].seq + 1 : 1;
		val.len = 0;
		dns_buf_u8(&val, JOURNAL_V1);
		dns_buf_u32(&val, from);
		dns_buf_u32(&val, u->serial);
		dns_buf_u32(&val, (uint32_t)(soa_out.len + out.len));
		dns_buf_append(&val, soa_out.data, soa_out.len);
		dns_buf_append(&val, out.data, out.len);
		dns_buf_append(&val, soa_in.data, soa_in.len);
		dns_buf_append(&val, in.data, in.len);
		uint8_t key[ZONES_NAME_MAX + 8];
		if (ret == 0 && val.err)
			ret = val.err;
		/* a change larger than the journal may hold is not kept: IXFR from
		 * before it gets the whole zone */
		if (ret == 0 && val.len <= u->maxbytes) {
			ret = dns_state_put(txn, DNS_DB_JOURNAL, key, jkey(c->apex, seq, key), val.data,
			                    val.len);
			lc.total += val.len;
		} else if (ret == 0) {
			ret = dns_state_del_prefix(txn, DNS_DB_JOURNAL, c->apex, al);
			lc.n = 0;
		}
		/* bounded: the oldest go past the size, the oldest merge past the count */
		size_t k = 0;
		while (ret == 0 && k < lc.n && lc.total + 0 > u->maxbytes) {
			ret = dns_state_del(txn, DNS_DB_JOURNAL, key, jkey(c->apex, lc.e[k].seq, key));
			lc.total -= lc.e[k].size;
			k++;
		}
		if (ret == 0 && lc.n - k + 1 > JOURNAL_MAX_ENTRIES && lc.n - k >= 2)
			ret = condense(txn, c->apex, &lc.e[k], &lc.e[k + 1]);
		free(lc.e);
	}
	dns_buf_deinit(&out);
	dns_buf_deinit(&in);
	dns_buf_deinit(&val);
	dns_buf_deinit(&soa_out);
	dns_buf_deinit(&soa_in);
	return ret;
}

int dnsd_journal_update(dns_state_t *st, const zones_content_t *c, uint32_t serial,
                        size_t maxbytes, size_t *removed, size_t *added)
{
	update_t u = { .c = c, .serial = serial, .maxbytes = maxbytes };
	int ret = dns_state_write(st, update_txn, &u);
	*removed = u.removed;
	*added = u.added;
	return ret;
}

int dnsd_journal_ixfr(dns_state_t *st, const uint8_t *apex, uint32_t from, uint32_t to,
                      dns_buf_t *out)
{
	dns_state_txn_t *txn;
	int ret = dns_state_read_begin(st, &txn);
	if (ret)
		return ret;
	struct list_ctx lc;
	ret = journal_list(txn, apex, &lc);
	dns_buf_t body;
	dns_buf_init(&body);
	const uint8_t *cur_soa = NULL;
	size_t cur_soa_len = 0;
	uint32_t at = from;
	/* follow the chain from the client's serial to ours */
	for (size_t i = 0; ret == 0 && at != to; i++) {
		size_t k = 0;
		while (k < lc.n && lc.e[k].from != at)
			k++;
		if (k == lc.n || i > lc.n) {
			ret = DNS_ENOENT; /* not (or no longer) in the journal */
			break;
		}
		uint8_t key[ZONES_NAME_MAX + 8];
		const uint8_t *v;
		size_t vl;
		if ((ret = dns_state_get(txn, DNS_DB_JOURNAL, key, jkey(apex, lc.e[k].seq, key),
		                         (const void **)&v, &vl)) != 0)
			break;
		size_t rl = dns_get32(v + 9);
		if (13 + rl > vl) {
			ret = DNS_ESCHEMA;
			break;
		}
		dns_buf_append(&body, v + 13, vl - 13);
		/* the added part starts with the new SOA: the last one is ours */
		cur_soa = v + 13 + rl;
		cur_soa_len = vl - 13 - rl >= 2 ? 2u + dns_get16(cur_soa) : 0;
		at = lc.e[k].to;
	}
	if (ret == 0 && (!cur_soa || !cur_soa_len))
		ret = DNS_ENOENT;
	if (ret == 0) {
		/* RFC 1995 4: the current SOA, the differences, the current SOA */
		dns_buf_append(out, cur_soa, cur_soa_len);
		dns_buf_append(out, body.data, body.len);
		dns_buf_append(out, cur_soa, cur_soa_len);
		ret = out->err;
	}
	dns_state_read_end(txn);
	dns_buf_deinit(&body);
	free(lc.e);
	return ret;
}
