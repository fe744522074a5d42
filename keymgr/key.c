/* SPDX-License-Identifier: MIT */
/* Key generation and the DNSKEY, key tag and DS forms of a key. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "keymgr/keymgr.h"

const char *keymgr_alg_name(uint8_t alg)
{
	switch (alg) {
	case KEYMGR_ALG_RSASHA256: return "RSASHA256";
	case KEYMGR_ALG_ECDSAP256SHA256: return "ECDSAP256SHA256";
	case KEYMGR_ALG_ED25519: return "ED25519";
	}
	return "unknown";
}

uint8_t keymgr_alg_parse(const char *s)
{
	static const uint8_t algs[] = { KEYMGR_ALG_RSASHA256, KEYMGR_ALG_ECDSAP256SHA256,
		                        KEYMGR_ALG_ED25519 };
	for (size_t i = 0; i < sizeof algs; i++) {
		char num[8];
		snprintf(num, sizeof num, "%u", algs[i]);
		if (!strcasecmp(s, keymgr_alg_name(algs[i])) || !strcmp(s, num))
			return algs[i];
	}
	return 0;
}

/* The DNSKEY public key field of an EVP key. */
static int pub_encode(uint8_t alg, EVP_PKEY *pk, uint8_t *out, size_t outlen, size_t *len)
{
	switch (alg) {
	case KEYMGR_ALG_ECDSAP256SHA256: {
		/* RFC 6605 4: X | Y, the uncompressed point without its 0x04 prefix */
		uint8_t pt[65];
		size_t n = 0;
		if (!EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
		                                     sizeof pt, &n) || n != 65 || pt[0] != 4 || outlen < 64)
			return DNS_ECRYPTO;
		memcpy(out, pt + 1, 64);
		*len = 64;
		return 0;
	}
	case KEYMGR_ALG_ED25519: {
		size_t n = outlen;
		if (!EVP_PKEY_get_raw_public_key(pk, out, &n) || n != 32) /* RFC 8080 3 */
			return DNS_ECRYPTO;
		*len = 32;
		return 0;
	}
	case KEYMGR_ALG_RSASHA256: {
		/* RFC 3110 2: exponent length, exponent, modulus */
		BIGNUM *n = NULL, *e = NULL;
		int ret = DNS_ECRYPTO;
		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) &&
		    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e)) {
			size_t el = (size_t)BN_num_bytes(e), nl = (size_t)BN_num_bytes(n);
			size_t hl = el < 256 ? 1 : 3;
			if (hl + el + nl <= outlen && el <= 0xffff) {
				if (hl == 1) {
					out[0] = (uint8_t)el;
				} else {
					out[0] = 0;
					dns_put16(out + 1, (uint16_t)el);
				}
				BN_bn2bin(e, out + hl);
				BN_bn2bin(n, out + hl + el);
				*len = hl + el + nl;
				ret = 0;
			}
		}
		BN_free(n);
		BN_free(e);
		return ret;
	}
	}
	return DNS_EINVAL;
}

int keymgr_key_generate(uint8_t alg, keymgr_role_t role, uint32_t id, int64_t now,
                        keymgr_key_t *out)
{
	memset(out, 0, sizeof *out);
	EVP_PKEY *pk = NULL;
	switch (alg) {
	case KEYMGR_ALG_ECDSAP256SHA256: pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); break;
	case KEYMGR_ALG_ED25519: pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
	case KEYMGR_ALG_RSASHA256: pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048); break;
	default: return DNS_EINVAL;
	}
	if (!pk)
		return DNS_ECRYPTO;
	size_t publen = 0;
	int ret = pub_encode(alg, pk, out->pub, sizeof out->pub, &publen);
	unsigned char *der = NULL;
	int derlen = ret ? -1 : i2d_PrivateKey(pk, &der);
	if (derlen <= 0) {
		EVP_PKEY_free(pk);
		return ret ? ret : DNS_ECRYPTO;
	}
	out->priv = malloc((size_t)derlen);
	if (!out->priv) {
		OPENSSL_clear_free(der, (size_t)derlen);
		EVP_PKEY_free(pk);
		return DNS_ENOMEM;
	}
	memcpy(out->priv, der, (size_t)derlen);
	OPENSSL_clear_free(der, (size_t)derlen);
	out->privlen = (size_t)derlen;
	out->pkey = pk;
	out->id = id;
	out->algorithm = alg;
	out->role = (uint8_t)role;
	out->publen = (uint16_t)publen;
	out->t[KEYMGR_T_GENERATED] = now;
	uint8_t rd[700];
	int rl = keymgr_key_dnskey(out, rd, sizeof rd);
	out->tag = rl > 0 ? keymgr_keytag(rd, (size_t)rl) : 0;
	return 0;
}

void keymgr_key_deinit(keymgr_key_t *k)
{
	if (k->priv)
		OPENSSL_cleanse(k->priv, k->privlen);
	free(k->priv);
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof *k);
}

uint16_t keymgr_key_flags(const keymgr_key_t *k)
{
	uint16_t f = 256; /* ZONE */
	if (k->role == KEYMGR_ROLE_KSK || k->role == KEYMGR_ROLE_CSK)
		f |= 1; /* SEP */
	if (k->t[KEYMGR_T_REVOKED])
		f |= 128; /* REVOKE, RFC 5011 */
	return f;
}

int keymgr_key_dnskey(const keymgr_key_t *k, uint8_t *out, size_t outlen)
{
	if (outlen < 4u + k->publen)
		return DNS_ESPACE;
	dns_put16(out, keymgr_key_flags(k));
	out[2] = 3; /* protocol, RFC 4034 2.1.2 */
	out[3] = k->algorithm;
	memcpy(out + 4, k->pub, k->publen);
	return 4 + k->publen;
}

uint16_t keymgr_keytag(const uint8_t *key, size_t len)
{
	uint32_t ac = 0; /* RFC 4034 appendix B */
	for (size_t i = 0; i < len; i++)
		ac += (i & 1) ? key[i] : (uint32_t)key[i] << 8;
	ac += (ac >> 16) & 0xffff;
	return (uint16_t)(ac & 0xffff);
}

int keymgr_ds(const uint8_t *owner, const uint8_t *dnskey, size_t len, uint8_t digest_type,
              uint8_t *out, size_t outlen)
{
	const EVP_MD *md = digest_type == 2 ? EVP_sha256() : digest_type == 4 ? EVP_sha384() : NULL;
	if (!md || len < 4)
		return DNS_EINVAL;
	size_t dl = (size_t)EVP_MD_get_size(md);
	if (outlen < 4 + dl)
		return DNS_ESPACE;
	uint8_t low[ZONES_NAME_MAX];
	size_t ol = zones_name_len(owner, ZONES_NAME_MAX);
	memcpy(low, owner, ol);
	zones_name_lower(low); /* RFC 4034 5.1.4: canonical owner name */
	unsigned n = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, md, NULL) && EVP_DigestUpdate(c, low, ol) &&
	         EVP_DigestUpdate(c, dnskey, len) && EVP_DigestFinal_ex(c, out + 4, &n);
	EVP_MD_CTX_free(c);
	if (!ok)
		return DNS_ECRYPTO;
	dns_put16(out, keymgr_keytag(dnskey, len));
	out[2] = dnskey[3];
	out[3] = digest_type;
	return (int)(4 + n);
}
