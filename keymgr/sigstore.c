/* SPDX-License-Identifier: MIT */
/*
 * Signatures in the state (db "sigs", written by dnsd only), so a restart
 * re-signs nothing that is still valid:
 * key = apex | owner labels below the apex | 0x00 | covered type | algorithm | key tag,
 * value (version 1) = u8 version, digest[16], u32 expiration, RRSIG RDATA.
 */
#include <stdlib.h>
#include <string.h>
#include "keymgr/keymgr_int.h"

#define SIG_V1 1

typedef struct {
	keymgr_sigcache_t *cache;
	const uint8_t *apex;
	size_t al;
} load_t;

static int load_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	load_t *ld = arg;
	const uint8_t *p = k + ld->al, *end = k + kl;
	while (p < end && *p) {
		if (*p > 63 || p + 1 + *p > end)
			return DNS_ESCHEMA;
		p += 1 + *p;
	}
	if (p + 6 != end || vl < 21 || v[0] != SIG_V1 || vl - 21 > 0xffff)
		return DNS_ESCHEMA;
	size_t rel = (size_t)(p - (k + ld->al));
	if (rel + ld->al > ZONES_NAME_MAX)
		return DNS_ESCHEMA;
	uint8_t owner[ZONES_NAME_MAX];
	memcpy(owner, k + ld->al, rel);
	memcpy(owner + rel, ld->apex, ld->al);
	keymgr_sig_t sig = { .algorithm = p[3], .tag = dns_get16(p + 4),
		             .expiration = dns_get32(v + 17), .rdata = (uint8_t *)v + 21,
		             .rdlen = (uint16_t)(vl - 21) };
	memcpy(sig.digest, v + 1, 16);
	return keymgr_sigcache_add(ld->cache, owner, dns_get16(p + 1), &sig);
}

int keymgr_sigstore_load(dns_state_txn_t *txn, const uint8_t *apex, keymgr_sigcache_t *cache)
{
	load_t ld = { cache, apex, zones_name_len(apex, ZONES_NAME_MAX) };
	return dns_state_scan(txn, DNS_DB_SIGS, apex, ld.al, load_one, &ld);
}

typedef struct {
	dns_state_txn_t *txn;
	const uint8_t *apex;
	size_t al;
} save_t;

static int save_one(const uint8_t *owner, uint16_t type, const keymgr_sig_t *sig, void *arg)
{
	save_t *sv = arg;
	uint8_t key[2 * ZONES_NAME_MAX + 8];
	size_t ol = zones_name_len(owner, ZONES_NAME_MAX);
	memcpy(key, sv->apex, sv->al);
	memcpy(key + sv->al, owner, ol - sv->al);
	size_t o = ol;
	key[o++] = 0;
	dns_put16(key + o, type);
	key[o + 2] = sig->algorithm;
	dns_put16(key + o + 3, sig->tag);
	o += 5;
	uint8_t *v = malloc(21u + sig->rdlen);
	if (!v)
		return DNS_ENOMEM;
	v[0] = SIG_V1;
	memcpy(v + 1, sig->digest, 16);
	dns_put32(v + 17, sig->expiration);
	memcpy(v + 21, sig->rdata, sig->rdlen);
	int ret = dns_state_put(sv->txn, DNS_DB_SIGS, key, o, v, 21u + sig->rdlen);
	free(v);
	return ret;
}

int keymgr_sigstore_save(dns_state_txn_t *txn, const uint8_t *apex, const keymgr_sigcache_t *cache)
{
	size_t al = zones_name_len(apex, ZONES_NAME_MAX);
	int ret = dns_state_del_prefix(txn, DNS_DB_SIGS, apex, al);
	if (ret)
		return ret;
	save_t sv = { txn, apex, al };
	return keymgr_sigcache_foreach(cache, save_one, &sv);
}
