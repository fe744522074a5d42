/* SPDX-License-Identifier: MIT */
/*
 * TSIG keys (RFC 8945) in the state: key = name (lowercase wire),
 * value = version 1 | algorithm u8 | secret. The state directory is 0700,
 * like for DNSSEC and DKIM keys; secrets are never logged.
 */
#include <string.h>
#include <strings.h>
#include "common/common.h"

static const struct {
	const char *name;
	size_t size;
} algs[] = {
	[DNS_TSIG_SHA256] = { "hmac-sha256", 32 }, [DNS_TSIG_SHA384] = { "hmac-sha384", 48 },
	[DNS_TSIG_SHA512] = { "hmac-sha512", 64 }, [DNS_TSIG_SHA224] = { "hmac-sha224", 28 },
	[DNS_TSIG_SHA1] = { "hmac-sha1", 20 },
};

int dns_tsig_alg_parse(const char *name)
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	for (int i = 0; i < (int)(sizeof algs / sizeof algs[0]); i++)
		if (strlen(algs[i].name) == n && strncasecmp(algs[i].name, name, n) == 0)
			return i;
	return -1;
}

const char *dns_tsig_alg_name(int alg)
{
	return alg >= 0 && alg < (int)(sizeof algs / sizeof algs[0]) ? algs[alg].name : NULL;
}

size_t dns_tsig_alg_size(int alg)
{
	return alg >= 0 && alg < (int)(sizeof algs / sizeof algs[0]) ? algs[alg].size : 0;
}

static size_t wire_len(const uint8_t *n, size_t max)
{
	size_t o = 0;
	while (o < max && n[o]) {
		if (n[o] > 63)
			return 0;
		o += 1u + n[o];
	}
	return o < max ? o + 1 : 0;
}

int dns_tsig_get(dns_state_txn_t *txn, const uint8_t *name, dns_tsig_key_t *out)
{
	const uint8_t *v;
	size_t vl, nl = wire_len(name, 255);
	if (!nl)
		return DNS_EINVAL;
	int ret = dns_state_get(txn, DNS_DB_TSIG, name, nl, (const void **)&v, &vl);
	if (ret)
		return ret;
	if (vl < 2 || v[0] != 1 || !dns_tsig_alg_name(v[1]) || vl - 2 > sizeof out->secret)
		return DNS_ESCHEMA;
	memset(out, 0, sizeof *out);
	memcpy(out->name, name, nl);
	out->alg = v[1];
	out->secretlen = (uint16_t)(vl - 2);
	memcpy(out->secret, v + 2, vl - 2);
	return 0;
}

int dns_tsig_put(dns_state_txn_t *txn, const dns_tsig_key_t *k)
{
	uint8_t v[2 + sizeof k->secret];
	size_t nl = wire_len(k->name, 255);
	if (!nl || k->secretlen > sizeof k->secret)
		return DNS_EINVAL;
	v[0] = 1;
	v[1] = k->alg;
	memcpy(v + 2, k->secret, k->secretlen);
	int ret = dns_state_put(txn, DNS_DB_TSIG, k->name, nl, v, 2u + k->secretlen);
	memset(v, 0, sizeof v);
	return ret;
}

int dns_tsig_del(dns_state_txn_t *txn, const uint8_t *name)
{
	size_t nl = wire_len(name, 255);
	return nl ? dns_state_del(txn, DNS_DB_TSIG, name, nl) : DNS_EINVAL;
}

struct each_ctx {
	int (*fn)(const dns_tsig_key_t *k, void *arg);
	void *arg;
	dns_state_txn_t *txn;
};

static int each_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	struct each_ctx *ec = arg;
	dns_tsig_key_t key;
	(void)v;
	(void)vl;
	if (wire_len(k, kl) != kl)
		return DNS_ESCHEMA;
	int ret = dns_tsig_get(ec->txn, k, &key);
	if (ret == 0)
		ret = ec->fn(&key, ec->arg);
	memset(&key, 0, sizeof key);
	return ret;
}

int dns_tsig_each(dns_state_txn_t *txn, int (*fn)(const dns_tsig_key_t *k, void *arg), void *arg)
{
	struct each_ctx ec = { fn, arg, txn };
	return dns_state_scan(txn, DNS_DB_TSIG, NULL, 0, each_one, &ec);
}
