/* SPDX-License-Identifier: MIT */
/*
 * Mail state in the LMDB database "mail" (DESIGN.md section 3).
 *
 * keys:   'D' | domain wire name             -> domain
 *         'H' | host wire name               -> host
 *         'K' | domain wire name | selector  -> DKIM key (private key included:
 *                                               the state directory is 0700)
 * values: version 1, then fields as (tag u8, length BE16, bytes). Unknown tags
 * are skipped, so a later version may add fields; a field of the wrong size
 * or a newer version byte is DNS_ESCHEMA, never a crash.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "mailcore/mailcore_int.h"

#define VAL_V1 1

enum { F_U8, F_BOOL, F_U16, F_U32, F_I64, F_STR, F_NAME, F_RAW, F_BLOB, F_NAMES };

typedef struct {
	uint8_t tag, kind;
	uint16_t off, size;   /* size of the member (F_NAMES: of one name) */
	uint16_t lenoff;      /* F_BLOB: offset of its uint16_t length; F_NAMES: of the u8 count */
	uint16_t max;         /* F_NAMES: capacity */
} field_t;

#define FLD(t, k, s, m) { t, k, offsetof(s, m), sizeof(((s *)0)->m), 0, 0 }

static const field_t domain_fields[] = {
	FLD(1, F_U32, mailcore_domain_t, ttl),
	FLD(2, F_BOOL, mailcore_domain_t, no_mail),
	{ 3, F_NAMES, offsetof(mailcore_domain_t, mx), ZONES_NAME_MAX,
	  offsetof(mailcore_domain_t, nmx), MAILCORE_MAX_MX },
	FLD(4, F_U8, mailcore_domain_t, spf_mode),
	FLD(5, F_BOOL, mailcore_domain_t, spf_soft),
	FLD(6, F_STR, mailcore_domain_t, spf_extra),
	FLD(7, F_U8, mailcore_domain_t, dmarc),
	FLD(8, F_BOOL, mailcore_domain_t, dmarc_strict),
	FLD(9, F_STR, mailcore_domain_t, rua),
	FLD(10, F_STR, mailcore_domain_t, ruf),
	FLD(11, F_U8, mailcore_domain_t, sts),
	FLD(12, F_U32, mailcore_domain_t, sts_max_age),
	FLD(13, F_STR, mailcore_domain_t, tlsrpt),
	FLD(14, F_NAME, mailcore_domain_t, clients),
	FLD(15, F_BOOL, mailcore_domain_t, pop3),
	FLD(16, F_NAME, mailcore_domain_t, autoconfig),
	FLD(17, F_STR, mailcore_domain_t, caa),
	FLD(18, F_STR, mailcore_domain_t, caa_iodef),
	FLD(19, F_U8, mailcore_domain_t, dkim_algs),
	FLD(20, F_U32, mailcore_domain_t, dkim_rotate),
	FLD(21, F_U32, mailcore_domain_t, dkim_retire),
	FLD(22, F_U32, mailcore_domain_t, dkim_revoke),
};

static const field_t host_fields[] = {
	FLD(1, F_U16, mailcore_host_t, pref),
	FLD(2, F_U8, mailcore_host_t, n4),
	FLD(3, F_U8, mailcore_host_t, n6),
	FLD(4, F_RAW, mailcore_host_t, a4),
	FLD(5, F_RAW, mailcore_host_t, a6),
	FLD(6, F_STR, mailcore_host_t, cert[0]),
	FLD(7, F_STR, mailcore_host_t, cert[1]),
	FLD(8, F_RAW, mailcore_host_t, spki),
	FLD(9, F_U32, mailcore_host_t, ttl),
};

static const field_t key_fields[] = {
	FLD(1, F_U8, mailcore_key_t, alg),
	FLD(2, F_U8, mailcore_key_t, state),
	FLD(3, F_I64, mailcore_key_t, created),
	FLD(4, F_I64, mailcore_key_t, published),
	FLD(5, F_I64, mailcore_key_t, active),
	FLD(6, F_I64, mailcore_key_t, retired),
	FLD(7, F_I64, mailcore_key_t, revoked),
	{ 8, F_BLOB, offsetof(mailcore_key_t, pub), sizeof(((mailcore_key_t *)0)->pub),
	  offsetof(mailcore_key_t, publen), 0 },
	{ 9, F_BLOB, offsetof(mailcore_key_t, priv), sizeof(((mailcore_key_t *)0)->priv),
	  offsetof(mailcore_key_t, privlen), 0 },
};

#define NF(a) (sizeof(a) / sizeof((a)[0]))

static void encode(dns_buf_t *b, const void *obj, const field_t *f, size_t nf)
{
	const uint8_t *o = obj;
	dns_buf_u8(b, VAL_V1);
	for (size_t i = 0; i < nf; i++) {
		const uint8_t *m = o + f[i].off;
		uint8_t tmp[8];
		const void *p = m;
		size_t len = f[i].size;
		switch (f[i].kind) {
		case F_U8:
		case F_BOOL:
			len = 1;
			break;
		case F_U16:
			dns_put16(tmp, *(const uint16_t *)(const void *)m);
			p = tmp;
			len = 2;
			break;
		case F_U32:
			dns_put32(tmp, *(const uint32_t *)(const void *)m);
			p = tmp;
			len = 4;
			break;
		case F_I64:
			dns_put64(tmp, (uint64_t)*(const int64_t *)(const void *)m);
			p = tmp;
			len = 8;
			break;
		case F_STR:
			len = strnlen((const char *)m, f[i].size - 1);
			break;
		case F_NAME:
			len = zones_name_len(m, ZONES_NAME_MAX);
			break;
		case F_BLOB:
			len = *(const uint16_t *)(const void *)(o + f[i].lenoff);
			break;
		case F_NAMES: {
			/* the names one after the other, each from its own slot */
			uint8_t cnt = o[f[i].lenoff];
			len = 0;
			for (uint8_t k = 0; k < cnt; k++)
				len += zones_name_len(m + (size_t)k * f[i].size, ZONES_NAME_MAX);
			dns_buf_u8(b, f[i].tag);
			dns_buf_u16(b, (uint16_t)len);
			for (uint8_t k = 0; k < cnt; k++)
				dns_buf_append(b, m + (size_t)k * f[i].size,
				               zones_name_len(m + (size_t)k * f[i].size, ZONES_NAME_MAX));
			continue;
		}
		}
		dns_buf_u8(b, f[i].tag);
		dns_buf_u16(b, (uint16_t)len);
		dns_buf_append(b, p, len);
	}
}

static int decode(const uint8_t *v, size_t vl, void *obj, const field_t *f, size_t nf)
{
	uint8_t *o = obj;
	if (vl < 1 || v[0] != VAL_V1)
		return DNS_ESCHEMA;
	for (size_t pos = 1; pos < vl;) {
		if (pos + 3 > vl)
			return DNS_ESCHEMA;
		uint8_t tag = v[pos];
		size_t len = dns_get16(v + pos + 1);
		const uint8_t *p = v + pos + 3;
		if (pos + 3 + len > vl)
			return DNS_ESCHEMA;
		pos += 3 + len;
		const field_t *fd = NULL;
		for (size_t i = 0; i < nf; i++)
			if (f[i].tag == tag)
				fd = &f[i];
		if (!fd)
			continue; /* a field of a later version */
		uint8_t *m = o + fd->off;
		switch (fd->kind) {
		case F_U8:
		case F_BOOL:
			if (len != 1)
				return DNS_ESCHEMA;
			if (fd->kind == F_BOOL)
				*(bool *)(void *)m = p[0] != 0;
			else
				*m = p[0];
			break;
		case F_U16:
			if (len != 2)
				return DNS_ESCHEMA;
			*(uint16_t *)(void *)m = dns_get16(p);
			break;
		case F_U32:
			if (len != 4)
				return DNS_ESCHEMA;
			*(uint32_t *)(void *)m = dns_get32(p);
			break;
		case F_I64:
			if (len != 8)
				return DNS_ESCHEMA;
			*(int64_t *)(void *)m = (int64_t)dns_get64(p);
			break;
		case F_STR:
			if (len >= fd->size || memchr(p, 0, len))
				return DNS_ESCHEMA;
			memcpy(m, p, len);
			m[len] = 0;
			break;
		case F_NAME:
			if (len < 1 || len > fd->size || zones_name_len(p, len) != len)
				return DNS_ESCHEMA;
			memcpy(m, p, len);
			zones_name_lower(m);
			break;
		case F_RAW:
			if (len != fd->size)
				return DNS_ESCHEMA;
			memcpy(m, p, len);
			break;
		case F_BLOB:
			if (len > fd->size)
				return DNS_ESCHEMA;
			memcpy(m, p, len);
			*(uint16_t *)(void *)(o + fd->lenoff) = (uint16_t)len;
			break;
		case F_NAMES: {
			uint8_t cnt = 0;
			for (size_t q = 0; q < len; cnt++) {
				size_t nl = zones_name_len(p + q, len - q);
				if (!nl || cnt >= fd->max)
					return DNS_ESCHEMA;
				memcpy(m + (size_t)cnt * fd->size, p + q, nl);
				zones_name_lower(m + (size_t)cnt * fd->size);
				q += nl;
			}
			o[fd->lenoff] = cnt;
			break;
		}
		}
	}
	return 0;
}

static size_t obj_key(uint8_t kind, const uint8_t *name, const char *sel, uint8_t *key)
{
	size_t nl = zones_name_len(name, ZONES_NAME_MAX), sl = sel ? strlen(sel) : 0;
	key[0] = kind;
	memcpy(key + 1, name, nl);
	if (sl)
		memcpy(key + 1 + nl, sel, sl);
	return 1 + nl + sl;
}

static int obj_get(dns_state_txn_t *txn, size_t kl, const uint8_t *key, void *obj,
                   const field_t *f, size_t nf)
{
	const uint8_t *v;
	size_t vl;
	int ret = dns_state_get(txn, DNS_DB_MAIL, key, kl, (const void **)&v, &vl);
	if (ret)
		return ret;
	return decode(v, vl, obj, f, nf);
}

static int obj_put(dns_state_txn_t *txn, size_t kl, const uint8_t *key, const void *obj,
                   const field_t *f, size_t nf)
{
	dns_buf_t b;
	dns_buf_init(&b);
	encode(&b, obj, f, nf);
	int ret = b.err ? b.err : dns_state_put(txn, DNS_DB_MAIL, key, kl, b.data, b.len);
	dns_buf_deinit(&b);
	return ret;
}

int mailcore_domain_get(dns_state_txn_t *txn, const uint8_t *name, mailcore_domain_t *out)
{
	uint8_t key[1 + ZONES_NAME_MAX];
	size_t kl = obj_key('D', name, NULL, key);
	mailcore_domain_defaults(out, name);
	int ret = obj_get(txn, kl, key, out, domain_fields, NF(domain_fields));
	return ret == DNS_ENOENT ? DNS_ENOMAIL : ret;
}

int mailcore_domain_put(dns_state_txn_t *txn, const mailcore_domain_t *d)
{
	uint8_t key[1 + ZONES_NAME_MAX];
	return obj_put(txn, obj_key('D', d->name, NULL, key), key, d, domain_fields,
	               NF(domain_fields));
}

int mc_domain_del(dns_state_txn_t *txn, const uint8_t *name)
{
	uint8_t key[1 + ZONES_NAME_MAX];
	int ret = dns_state_del(txn, DNS_DB_MAIL, key, obj_key('D', name, NULL, key));
	if (ret)
		return ret == DNS_ENOENT ? DNS_ENOMAIL : ret;
	/* and its keys */
	return dns_state_del_prefix(txn, DNS_DB_MAIL, key, obj_key('K', name, NULL, key));
}

int mailcore_host_get(dns_state_txn_t *txn, const uint8_t *name, mailcore_host_t *out)
{
	uint8_t key[1 + ZONES_NAME_MAX];
	size_t kl = obj_key('H', name, NULL, key);
	mailcore_host_defaults(out, name);
	int ret = obj_get(txn, kl, key, out, host_fields, NF(host_fields));
	if (ret == 0 && (out->n4 > MAILCORE_MAX_ADDR || out->n6 > MAILCORE_MAX_ADDR))
		return DNS_ESCHEMA;
	return ret == DNS_ENOENT ? DNS_ENOHOST : ret;
}

int mailcore_host_put(dns_state_txn_t *txn, const mailcore_host_t *h)
{
	uint8_t key[1 + ZONES_NAME_MAX];
	return obj_put(txn, obj_key('H', h->name, NULL, key), key, h, host_fields, NF(host_fields));
}

int mc_host_del(dns_state_txn_t *txn, const uint8_t *name)
{
	uint8_t key[1 + ZONES_NAME_MAX];
	int ret = dns_state_del(txn, DNS_DB_MAIL, key, obj_key('H', name, NULL, key));
	return ret == DNS_ENOENT ? DNS_ENOHOST : ret;
}

struct each_ctx {
	int (*dfn)(const mailcore_domain_t *d, void *arg);
	int (*hfn)(const mailcore_host_t *h, void *arg);
	void *arg;
};

static int each_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	struct each_ctx *ec = arg;
	if (zones_name_len(k + 1, kl - 1) != kl - 1)
		return DNS_ESCHEMA;
	int ret;
	if (ec->dfn) {
		mailcore_domain_t d;
		mailcore_domain_defaults(&d, k + 1);
		if ((ret = decode(v, vl, &d, domain_fields, NF(domain_fields))) != 0)
			return ret;
		return ec->dfn(&d, ec->arg);
	}
	mailcore_host_t h;
	mailcore_host_defaults(&h, k + 1);
	if ((ret = decode(v, vl, &h, host_fields, NF(host_fields))) != 0)
		return ret;
	if (h.n4 > MAILCORE_MAX_ADDR || h.n6 > MAILCORE_MAX_ADDR)
		return DNS_ESCHEMA;
	return ec->hfn(&h, ec->arg);
}

int mailcore_domain_each(dns_state_txn_t *txn, int (*fn)(const mailcore_domain_t *d, void *arg),
                         void *arg)
{
	struct each_ctx ec = { fn, NULL, arg };
	return dns_state_scan(txn, DNS_DB_MAIL, "D", 1, each_one, &ec);
}

int mailcore_host_each(dns_state_txn_t *txn, int (*fn)(const mailcore_host_t *h, void *arg),
                       void *arg)
{
	struct each_ctx ec = { NULL, fn, arg };
	return dns_state_scan(txn, DNS_DB_MAIL, "H", 1, each_one, &ec);
}

struct keys_ctx {
	const uint8_t *domain;
	size_t dl;
	mailcore_key_t *keys;
	size_t n, max;
};

static int key_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	struct keys_ctx *kc = arg;
	size_t sl = kl - 1 - kc->dl;
	if (kc->n >= kc->max)
		return DNS_ESPACE;
	mailcore_key_t *key = &kc->keys[kc->n];
	memset(key, 0, sizeof *key);
	if (sl == 0 || sl >= sizeof key->selector)
		return DNS_ESCHEMA;
	memcpy(key->domain, k + 1, kc->dl);
	memcpy(key->selector, k + 1 + kc->dl, sl);
	int ret = decode(v, vl, key, key_fields, NF(key_fields));
	if (ret)
		return ret;
	if ((key->alg != MAILCORE_DKIM_RSA && key->alg != MAILCORE_DKIM_ED25519) ||
	    key->state > MAILCORE_KEY_REVOKED)
		return DNS_ESCHEMA;
	kc->n++;
	return 0;
}

int mailcore_keys_load(dns_state_txn_t *txn, const uint8_t *domain, mailcore_key_t *keys,
                       size_t max)
{
	uint8_t key[1 + ZONES_NAME_MAX];
	size_t kl = obj_key('K', domain, NULL, key);
	struct keys_ctx kc = { domain, kl - 1, keys, 0, max };
	int ret = dns_state_scan(txn, DNS_DB_MAIL, key, kl, key_one, &kc);
	return ret ? ret : (int)kc.n;
}

int mailcore_key_put(dns_state_txn_t *txn, const mailcore_key_t *k)
{
	uint8_t key[1 + ZONES_NAME_MAX + 64];
	return obj_put(txn, obj_key('K', k->domain, k->selector, key), key, k, key_fields,
	               NF(key_fields));
}

int mailcore_key_del(dns_state_txn_t *txn, const mailcore_key_t *k)
{
	uint8_t key[1 + ZONES_NAME_MAX + 64];
	int ret = dns_state_del(txn, DNS_DB_MAIL, key, obj_key('K', k->domain, k->selector, key));
	return ret == DNS_ENOENT ? 0 : ret;
}
