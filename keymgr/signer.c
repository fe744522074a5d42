/* SPDX-License-Identifier: MIT */
/*
 * Signing a zone (RFC 4035 2): the DNSKEY RRset, the NSEC (RFC 4034 4) or
 * NSEC3 (RFC 5155 7.1) chain and RRSIGs over every authoritative RRset, with
 * earlier signatures reused while they still cover the same data.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "keymgr/keymgr_int.h"

int keymgr_nsec3_hash(const uint8_t *name, const uint8_t *salt, uint8_t saltlen,
                      uint16_t iterations, uint8_t out[20])
{
	uint8_t low[ZONES_NAME_MAX];
	size_t nl = zones_name_len(name, ZONES_NAME_MAX);
	memcpy(low, name, nl);
	zones_name_lower(low);
	zones_nsec3_hash(low, nl, salt, saltlen, iterations, out);
	return 20;
}

/* RFC 4648 7 "base32hex", lowercase (names compare case-insensitively). */
static void base32hex(const uint8_t *in, size_t len, char *out)
{
	static const char a[] = "0123456789abcdefghijklmnopqrstuv";
	size_t o = 0;
	uint32_t buf = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		buf = buf << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = a[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = a[(buf << (5 - bits)) & 31];
	out[o] = 0;
}

/* Type bitmap (RFC 4034 4.1.2): \p types sorted ascending, without duplicates. */
static size_t bitmap_encode(const uint16_t *types, size_t n, uint8_t *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		uint8_t win = types[i] >> 8, bm[32] = { 0 };
		unsigned len = 0;
		for (; i < n && (types[i] >> 8) == win; i++) {
			uint8_t lo = types[i] & 0xff;
			bm[lo / 8] |= (uint8_t)(0x80 >> (lo % 8));
			if (lo / 8 + 1u > len)
				len = lo / 8 + 1u;
		}
		out[o++] = win;
		out[o++] = (uint8_t)len;
		memcpy(out + o, bm, len);
		o += len;
	}
	return o;
}

/* One owner name of the zone, with what signing needs to know about it. */
typedef struct {
	size_t first, count;   /* its RRs in the content */
	bool deleg, occluded;
	bool ent;              /* empty non-terminal (NSEC3 only) */
	const uint8_t *name;
	uint8_t hash[20];
} owner_t;

static bool is_dnssec_generated(const zones_rr_t *rr, const uint8_t *apex)
{
	switch (rr->type) {
	case ZONES_T_RRSIG: case ZONES_T_NSEC: case ZONES_T_NSEC3: case ZONES_T_NSEC3PARAM:
		return true;
	case ZONES_T_DNSKEY:
		return zones_name_cmp(rr->owner, apex) == 0;
	}
	return false;
}

size_t keymgr_content_strip(zones_content_t *c)
{
	size_t w = 0, n = c->n;
	for (size_t i = 0; i < c->n; i++) {
		if (is_dnssec_generated(&c->rr[i], c->apex))
			free(c->rr[i].owner);
		else
			c->rr[w++] = c->rr[i];
	}
	c->n = w;
	return n - w;
}

static bool key_active(const keymgr_key_t *k, uint32_t now)
{
	return k->t[KEYMGR_T_ACTIVE] && k->t[KEYMGR_T_ACTIVE] <= now &&
	       !(k->t[KEYMGR_T_RETIRED] && k->t[KEYMGR_T_RETIRED] <= now);
}

static bool key_published(const keymgr_key_t *k, uint32_t now)
{
	return k->t[KEYMGR_T_PUBLISHED] && k->t[KEYMGR_T_PUBLISHED] <= now &&
	       !(k->t[KEYMGR_T_REMOVED] && k->t[KEYMGR_T_REMOVED] <= now);
}

/* Owners in canonical order, each marked delegation / occluded (RFC 4035 2.2). */
static int owners_list(const zones_content_t *c, owner_t **out, size_t *nout)
{
	owner_t *o = NULL;
	size_t n = 0, cap = 0;
	const uint8_t *cut = NULL; /* a delegation or DNAME whose subtree we are in */
	for (size_t i = 0; i < c->n;) {
		size_t j = i;
		bool ns = false, dname = false;
		while (j < c->n && zones_name_cmp(c->rr[j].owner, c->rr[i].owner) == 0) {
			ns |= c->rr[j].type == ZONES_T_NS;
			dname |= c->rr[j].type == ZONES_T_DNAME;
			j++;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			owner_t *x = realloc(o, cap * sizeof *x);
			if (!x) {
				free(o);
				return DNS_ENOMEM;
			}
			o = x;
		}
		const uint8_t *name = c->rr[i].owner;
		if (cut && !zones_name_is_sub(name, cut))
			cut = NULL; /* canonical order: a subtree is contiguous */
		bool apex = zones_name_cmp(name, c->apex) == 0;
		o[n] = (owner_t){ .first = i, .count = j - i, .name = name, .occluded = cut != NULL,
		                  .deleg = !cut && ns && !apex };
		if (!cut && ((ns && !apex) || dname))
			cut = name;
		n++;
		i = j;
	}
	*out = o;
	*nout = n;
	return 0;
}

/* Types an NSEC/NSEC3 bitmap lists for an owner (RFC 4035 2.3, RFC 5155 7.1). */
static size_t owner_types(const zones_content_t *c, const owner_t *o, bool nsec, uint16_t *t)
{
	size_t n = 0;
	bool signed_data = false;
	for (size_t k = o->first; k < o->first + o->count; k++) {
		uint16_t ty = c->rr[k].type;
		if (o->deleg && ty != ZONES_T_NS && ty != ZONES_T_DS)
			continue; /* other data at a cut is not authoritative */
		if (n == 0 || t[n - 1] != ty)
			t[n++] = ty;
		if (!o->deleg || ty == ZONES_T_DS)
			signed_data = true;
	}
	if (nsec) {
		/* the NSEC itself is signed, so RRSIG is always there too */
		t[n++] = ZONES_T_NSEC;
		t[n++] = ZONES_T_RRSIG;
	} else if (signed_data) {
		t[n++] = ZONES_T_RRSIG;
	}
	/* sort (few entries) */
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && t[b - 1] > t[b]; b--) {
			uint16_t x = t[b];
			t[b] = t[b - 1];
			t[b - 1] = x;
		}
	return n;
}

static uint32_t neg_ttl(const zones_content_t *c)
{
	/* RFC 9077: NSEC/NSEC3 TTL = min(SOA TTL, SOA MINIMUM) */
	for (size_t i = 0; i < c->n; i++)
		if (c->rr[i].type == ZONES_T_SOA && c->rr[i].rdlen >= 22) {
			uint32_t min = dns_get32(c->rr[i].rdata + c->rr[i].rdlen - 4);
			return min < c->rr[i].ttl ? min : c->rr[i].ttl;
		}
	return 3600;
}

static int nsec_chain(zones_content_t *c, const owner_t *o, size_t n, uint32_t ttl)
{
	size_t auth = 0;
	for (size_t i = 0; i < n; i++)
		auth += !o[i].occluded;
	if (!auth)
		return 0;
	size_t first = 0;
	while (o[first].occluded)
		first++;
	for (size_t i = first; i < n; i++) {
		if (o[i].occluded)
			continue;
		size_t nx = i + 1;
		while (nx < n && o[nx].occluded)
			nx++;
		const uint8_t *next = nx < n ? o[nx].name : o[first].name; /* wraps to the apex */
		uint16_t types[300];
		size_t nt = owner_types(c, &o[i], true, types);
		uint8_t rd[ZONES_NAME_MAX + 8192];
		size_t nl = zones_name_len(next, ZONES_NAME_MAX);
		memcpy(rd, next, nl);
		size_t bl = bitmap_encode(types, nt, rd + nl);
		uint8_t owner[ZONES_NAME_MAX];
		memcpy(owner, o[i].name, zones_name_len(o[i].name, ZONES_NAME_MAX));
		int ret = zones_content_add(c, owner, ZONES_T_NSEC, ttl, rd, (uint16_t)(nl + bl), 0);
		if (ret)
			return ret;
	}
	return 0;
}

/* by hash; for equal hashes (the same name) the real owner before the ENT copy */
static int hash_cmp(const void *a, const void *b)
{
	const owner_t *x = a, *y = b;
	int c = memcmp(x->hash, y->hash, 20);
	return c ? c : (int)x->ent - (int)y->ent;
}

static int nsec3_chain(zones_content_t *c, owner_t *o, size_t n, const keymgr_policy_t *p,
                       uint32_t ttl)
{
	/* RFC 5155 7.1: every authoritative name and every empty non-terminal
	 * between the apex and one; delegations without DS only without opt-out */
	size_t cap = n * 2 + 16, m = 0;
	owner_t *h = malloc(cap * sizeof *h);
	if (!h)
		return DNS_ENOMEM;
	int ret = 0;
	size_t al = zones_name_len(c->apex, ZONES_NAME_MAX);
	for (size_t i = 0; i < n && ret == 0; i++) {
		if (o[i].occluded)
			continue;
		bool has_ds = false;
		for (size_t k = o[i].first; k < o[i].first + o[i].count; k++)
			has_ds |= c->rr[k].type == ZONES_T_DS;
		if (o[i].deleg && !has_ds && p->nsec3_opt_out)
			continue;
		/* the name, and its ancestors up to the apex as empty non-terminals;
		 * an ancestor that is an owner itself is deduplicated below */
		for (const uint8_t *nm = o[i].name;; nm += 1 + nm[0]) {
			if (m == cap) {
				cap *= 2;
				owner_t *x = realloc(h, cap * sizeof *x);
				if (!x) {
					ret = DNS_ENOMEM;
					break;
				}
				h = x;
			}
			h[m] = nm == o[i].name ? o[i] : (owner_t){ .name = nm, .ent = true };
			if (keymgr_nsec3_hash(nm, NULL, 0, p->nsec3_iterations, h[m].hash) < 0) {
				ret = DNS_ECRYPTO;
				break;
			}
			m++;
			if (zones_name_len(nm, ZONES_NAME_MAX) <= al)
				break;
		}
	}
	if (ret) {
		free(h);
		return ret;
	}
	qsort(h, m, sizeof *h, hash_cmp);
	/* a name reached from several descendants appears more than once: keep
	 * the first, which is the real owner when there is one */
	size_t w = 0;
	for (size_t i = 0; i < m; i++)
		if (w == 0 || memcmp(h[w - 1].hash, h[i].hash, 20) != 0)
			h[w++] = h[i];
	m = w;
	for (size_t i = 0; i < m && ret == 0; i++) {
		uint8_t rd[32 + 8192];
		rd[0] = 1; /* SHA-1 */
		rd[1] = p->nsec3_opt_out ? 1 : 0;
		dns_put16(rd + 2, p->nsec3_iterations);
		rd[4] = 0; /* salt length */
		rd[5] = 20;
		memcpy(rd + 6, h[(i + 1) % m].hash, 20);
		uint16_t types[300];
		size_t nt = h[i].ent ? 0 : owner_types(c, &h[i], false, types);
		size_t bl = bitmap_encode(types, nt, rd + 26);
		char b32[40];
		base32hex(h[i].hash, 20, b32);
		uint8_t owner[ZONES_NAME_MAX];
		owner[0] = 32;
		memcpy(owner + 1, b32, 32);
		if (33 + al > ZONES_NAME_MAX) {
			ret = DNS_ENAMELEN;
			break;
		}
		memcpy(owner + 33, c->apex, al);
		ret = zones_content_add(c, owner, ZONES_T_NSEC3, ttl, rd, (uint16_t)(26 + bl), 0);
	}
	free(h);
	return ret;
}

static void rrset_digest(const keymgr_rrset_t *s, uint8_t out[16])
{
	uint8_t full[32];
	unsigned n = 0;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	uint8_t hdr[6];
	dns_put16(hdr, s->type);
	dns_put32(hdr + 2, s->ttl);
	if (m && EVP_DigestInit_ex(m, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(m, s->owner, zones_name_len(s->owner, ZONES_NAME_MAX)) &&
	    EVP_DigestUpdate(m, hdr, sizeof hdr)) {
		for (size_t i = 0; i < s->count; i++) {
			uint8_t l[2];
			dns_put16(l, s->rr[i].rdlen);
			EVP_DigestUpdate(m, l, 2);
			EVP_DigestUpdate(m, s->rr[i].rdata, s->rr[i].rdlen);
		}
		EVP_DigestFinal_ex(m, full, &n);
	}
	EVP_MD_CTX_free(m);
	memcpy(out, full, 16);
}

static int zone_sign(zones_content_t *c, keymgr_key_t *keys, size_t nkeys, const keymgr_policy_t *p,
                     uint32_t now, keymgr_sigcache_t *cache, keymgr_sign_stats_t *stats,
                     bool cache_only)
{
	memset(stats, 0, sizeof *stats);
	if (p->nsec3_salt_len)
		return DNS_EINVAL; /* RFC 9276: no salt; a persistent salt is not kept yet */
	keymgr_content_strip(c);
	int ret = 0;
	bool have_ksk = false, have_zsk = false;
	for (size_t i = 0; i < nkeys; i++) {
		keymgr_key_t *k = &keys[i];
		if (key_published(k, now)) {
			uint8_t rd[700];
			int l = keymgr_key_dnskey(k, rd, sizeof rd);
			if (l < 0 || (ret = zones_content_add(c, c->apex, ZONES_T_DNSKEY, p->dnskey_ttl, rd,
			                                      (uint16_t)l, 0)))
				return l < 0 ? l : ret;
		}
		if (key_active(k, now)) {
			have_ksk |= k->role != KEYMGR_ROLE_ZSK;
			have_zsk |= k->role != KEYMGR_ROLE_KSK;
		}
	}
	if (!have_ksk || !have_zsk)
		return DNS_EINVAL;
	if (p->nsec3) {
		/* RFC 5155 4: NSEC3PARAM at the apex, flags 0; before the chain, so the
		 * apex bitmap lists it */
		uint8_t param[5] = { 1, 0, 0, 0, 0 };
		dns_put16(param + 2, p->nsec3_iterations);
		if ((ret = zones_content_add(c, c->apex, ZONES_T_NSEC3PARAM, 0, param, sizeof param, 0)))
			return ret;
	}
	zones_content_sort(c);
	owner_t *o;
	size_t n;
	if ((ret = owners_list(c, &o, &n)) != 0)
		return ret;
	uint32_t nttl = neg_ttl(c);
	size_t before = c->n;
	ret = p->nsec3 ? nsec3_chain(c, o, n, p, nttl) : nsec_chain(c, o, n, nttl);
	stats->nsec = c->n - before;
	free(o);
	if (ret)
		return ret;
	zones_content_sort(c);
	if ((ret = owners_list(c, &o, &n)) != 0)
		return ret;

	/* RRSIGs go straight into the content: appended past the owners listed
	 * (their owner names are separate allocations, so they stay put while
	 * c->rr grows; RRset pointers into c->rr are taken afresh) */
	for (size_t i = 0; i < n && ret == 0; i++) {
		if (o[i].occluded)
			continue; /* glue and data below a DNAME are not signed */
		for (size_t k = o[i].first; k < o[i].first + o[i].count && ret == 0;) {
			size_t e = k;
			while (e < o[i].first + o[i].count && c->rr[e].type == c->rr[k].type)
				e++;
			uint16_t type = c->rr[k].type;
			/* RFC 4035 2.2: at a cut only DS and NSEC are the parent's to sign */
			if (o[i].deleg && type != ZONES_T_DS && type != ZONES_T_NSEC) {
				k = e;
				continue;
			}
			keymgr_rrset_t set = { o[i].name, type, c->rr[k].ttl, &c->rr[k], e - k };
			uint8_t dg[16];
			rrset_digest(&set, dg);
			stats->rrsets++;
			for (size_t ki = 0; ki < nkeys && ret == 0; ki++) {
				keymgr_key_t *key = &keys[ki];
				if (!key_active(key, now))
					continue;
				/* DNSKEY by the KSK, everything else by the ZSK; a CSK does both */
				bool ksk_job = type == ZONES_T_DNSKEY;
				if ((ksk_job && key->role == KEYMGR_ROLE_ZSK) ||
				    (!ksk_job && key->role == KEYMGR_ROLE_KSK))
					continue;
				sigentry_t *old = keymgr_sigcache_find(cache, o[i].name, type, key->tag,
				                                       key->algorithm);
				uint8_t rd[1200];
				int rl;
				keymgr_sig_t fresh;
				/* reused while not due for refresh; to assemble what dnsd
				 * serves, any that has not expired */
				int64_t left = old ? (int64_t)old->sig.expiration - now : 0;
				if (old && memcmp(old->sig.digest, dg, 16) == 0 &&
				    left > (cache_only ? 0 : (int64_t)p->sig_refresh)) {
					old->used = true;
					memcpy(rd, old->sig.rdata, old->sig.rdlen);
					rl = old->sig.rdlen;
					stats->reused++;
				} else if (cache_only) {
					ret = DNS_ENOENT;
					break;
				} else {
					/* spread expirations so they do not all fall due at once */
					uint32_t jitter = 0;
					if (p->sig_jitter && RAND_bytes((unsigned char *)&jitter, 4) == 1)
						jitter %= p->sig_jitter;
					uint32_t exp = now + p->sig_validity - jitter;
					set.rr = &c->rr[k]; /* c->rr may have moved */
					rl = keymgr_sign(key, c->apex, &set, now - p->sig_inception_offset, exp, rd,
					                 sizeof rd);
					if (rl < 0) {
						ret = rl;
						break;
					}
					fresh = (keymgr_sig_t){ .tag = key->tag, .algorithm = key->algorithm,
					                        .expiration = exp, .rdata = rd,
					                        .rdlen = (uint16_t)rl };
					memcpy(fresh.digest, dg, 16);
					if (old) {
						old->used = false; /* replaced below */
						memset(old->sig.digest, 0, 16);
						old->sig.expiration = 0;
					}
					if ((ret = keymgr_sigcache_add(cache, o[i].name, type, &fresh)) != 0)
						break;
					/* the entry just added comes first in its bucket */
					keymgr_sigcache_find(cache, o[i].name, type, key->tag, key->algorithm)
						->used = true;
					stats->signed_new++;
				}
				/* RFC 4034 3: the RRSIG TTL is that of the RRset it covers */
				if ((ret = zones_content_add(c, o[i].name, ZONES_T_RRSIG, set.ttl, rd,
				                             (uint16_t)rl, 0)) != 0)
					break;
			}
			k = e;
		}
	}
	free(o);
	if (ret)
		return ret;
	zones_content_sort(c);
	keymgr_sigcache_sweep(cache);
	return 0;
}

int keymgr_zone_sign(zones_content_t *c, keymgr_key_t *keys, size_t nkeys,
                     const keymgr_policy_t *p, uint32_t now, keymgr_sigcache_t *cache,
                     keymgr_sign_stats_t *stats)
{
	return zone_sign(c, keys, nkeys, p, now, cache, stats, false);
}

int keymgr_zone_assemble(zones_content_t *c, keymgr_key_t *keys, size_t nkeys,
                         const keymgr_policy_t *p, uint32_t now, keymgr_sigcache_t *cache)
{
	keymgr_sign_stats_t st;
	return zone_sign(c, keys, nkeys, p, now, cache, &st, true);
}
