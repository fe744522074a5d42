/* SPDX-License-Identifier: MIT */
/* RRSIG creation (RFC 4034 3.1.8.1) with OpenSSL 3 EVP. */
#include <stdlib.h>
#include <string.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "keymgr/keymgr.h"

static int pkey_load(keymgr_key_t *k)
{
	if (k->pkey)
		return 0;
	const unsigned char *p = k->priv;
	EVP_PKEY *pk = d2i_AutoPrivateKey(NULL, &p, (long)k->privlen);
	if (!pk)
		return DNS_ECRYPTO;
	k->pkey = pk;
	return 0;
}

typedef struct {
	const uint8_t *rd;
	uint16_t len;
} rd_t;

static int rd_cmp(const void *a, const void *b)
{
	const rd_t *x = a, *y = b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->rd, y->rd, m);
	return c ? c : (int)x->len - (int)y->len;
}

/* ECDSA signatures come DER-encoded from OpenSSL; DNS wants r | s (RFC 6605 4). */
static int ecdsa_der_to_raw(const uint8_t *der, size_t len, uint8_t out[64])
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	if (!sig)
		return DNS_ECRYPTO;
	const BIGNUM *r, *s;
	ECDSA_SIG_get0(sig, &r, &s);
	int ok = BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32;
	ECDSA_SIG_free(sig);
	return ok ? 0 : DNS_ECRYPTO;
}

int keymgr_sign(keymgr_key_t *key, const uint8_t *apex, const keymgr_rrset_t *set,
                uint32_t inception, uint32_t expiration, uint8_t *out, size_t outlen)
{
	int ret = pkey_load(key);
	if (ret)
		return ret;
	size_t al = zones_name_len(apex, ZONES_NAME_MAX), ol = zones_name_len(set->owner, ZONES_NAME_MAX);
	if (outlen < 18 + al + 512)
		return DNS_ESPACE;
	/* RFC 4034 3.1.3: labels without the root and without a leading "*" */
	unsigned labels = zones_name_labels(set->owner);
	if (set->owner[0] == 1 && set->owner[1] == '*')
		labels--;
	uint8_t *p = out;
	dns_put16(p, set->type);
	p[2] = key->algorithm;
	p[3] = (uint8_t)labels;
	dns_put32(p + 4, set->ttl);
	dns_put32(p + 8, expiration);
	dns_put32(p + 12, inception);
	dns_put16(p + 16, key->tag);
	memcpy(p + 18, apex, al);
	zones_name_lower(p + 18);
	size_t hl = 18 + al;

	/* signed data: RRSIG RDATA without the signature, then every RR in
	 * canonical form and order (RFC 4034 6.2, 6.3) */
	rd_t *rds = malloc(set->count * sizeof *rds);
	if (!rds)
		return DNS_ENOMEM;
	for (size_t i = 0; i < set->count; i++)
		rds[i] = (rd_t){ set->rr[i].rdata, set->rr[i].rdlen };
	qsort(rds, set->count, sizeof *rds, rd_cmp);
	dns_buf_t data;
	dns_buf_init(&data);
	dns_buf_append(&data, out, hl);
	uint8_t owner[ZONES_NAME_MAX];
	memcpy(owner, set->owner, ol);
	zones_name_lower(owner);
	for (size_t i = 0; i < set->count; i++) {
		if (i > 0 && rd_cmp(&rds[i], &rds[i - 1]) == 0)
			continue; /* duplicates count once */
		dns_buf_append(&data, owner, ol);
		dns_buf_u16(&data, set->type);
		dns_buf_u16(&data, 1);
		dns_buf_u32(&data, set->ttl);
		dns_buf_u16(&data, rds[i].len);
		dns_buf_append(&data, rds[i].rd, rds[i].len);
	}
	free(rds);
	if (data.err) {
		dns_buf_deinit(&data);
		return data.err;
	}
	const EVP_MD *md = key->algorithm == KEYMGR_ALG_ED25519 ? NULL : EVP_sha256();
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t sig[600];
	size_t siglen = sizeof sig;
	int ok = c && EVP_DigestSignInit(c, NULL, md, NULL, key->pkey) &&
	         EVP_DigestSign(c, sig, &siglen, data.data, data.len);
	EVP_MD_CTX_free(c);
	dns_buf_deinit(&data);
	if (!ok)
		return DNS_ECRYPTO;
	if (key->algorithm == KEYMGR_ALG_ECDSAP256SHA256) {
		uint8_t raw[64];
		if ((ret = ecdsa_der_to_raw(sig, siglen, raw)) != 0)
			return ret;
		memcpy(sig, raw, 64);
		siglen = 64;
	}
	if (hl + siglen > outlen)
		return DNS_ESPACE;
	memcpy(out + hl, sig, siglen);
	return (int)(hl + siglen);
}
