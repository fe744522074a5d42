/* SPDX-License-Identifier: MIT */
/*
 * Keys in the state, db "keys": key = apex | id (BE32), value (version 1):
 *   u8 version, u8 algorithm, u8 role, u16 tag, 10 x i64 timing events,
 *   u16 public key length, public key, u16 private key length, DER private key.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "keymgr/keymgr.h"

#define KEY_V1 1
#define FIXED (1 + 1 + 1 + 2 + 8 * KEYMGR_T_COUNT)

int keymgr_store_put(dns_state_txn_t *txn, const uint8_t *apex, const keymgr_key_t *k)
{
	size_t al = zones_name_len(apex, ZONES_NAME_MAX);
	uint8_t key[ZONES_NAME_MAX + 4];
	memcpy(key, apex, al);
	dns_put32(key + al, k->id);
	size_t vl = FIXED + 2 + k->publen + 2 + k->privlen;
	uint8_t *v = malloc(vl);
	if (!v)
		return DNS_ENOMEM;
	v[0] = KEY_V1;
	v[1] = k->algorithm;
	v[2] = k->role;
	dns_put16(v + 3, k->tag);
	for (int i = 0; i < KEYMGR_T_COUNT; i++)
		dns_put64(v + 5 + 8 * i, (uint64_t)k->t[i]);
	size_t o = FIXED;
	dns_put16(v + o, k->publen);
	memcpy(v + o + 2, k->pub, k->publen);
	o += 2u + k->publen;
	dns_put16(v + o, (uint16_t)k->privlen);
	memcpy(v + o + 2, k->priv, k->privlen);
	int ret = dns_state_put(txn, DNS_DB_KEYS, key, al + 4, v, vl);
	OPENSSL_cleanse(v, vl);
	free(v);
	return ret;
}

typedef struct {
	keymgr_key_t *keys;
	size_t n, cap;
	size_t al;
} load_t;

static int load_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	load_t *ld = arg;
	if (kl != ld->al + 4 || vl < FIXED + 4 || v[0] != KEY_V1)
		return DNS_ESCHEMA;
	if (ld->n == ld->cap) {
		size_t cap = ld->cap ? ld->cap * 2 : 8;
		keymgr_key_t *x = realloc(ld->keys, cap * sizeof *x);
		if (!x)
			return DNS_ENOMEM;
		ld->keys = x;
		ld->cap = cap;
	}
	keymgr_key_t *key = &ld->keys[ld->n];
	memset(key, 0, sizeof *key);
	key->id = dns_get32(k + ld->al);
	key->algorithm = v[1];
	key->role = v[2];
	key->tag = dns_get16(v + 3);
	for (int i = 0; i < KEYMGR_T_COUNT; i++)
		key->t[i] = (int64_t)dns_get64(v + 5 + 8 * i);
	size_t o = FIXED;
	uint16_t pl = dns_get16(v + o);
	if (pl > sizeof key->pub || o + 2 + pl + 2 > vl)
		return DNS_ESCHEMA;
	memcpy(key->pub, v + o + 2, pl);
	key->publen = pl;
	o += 2u + pl;
	uint16_t sl = dns_get16(v + o);
	if (o + 2 + sl != vl)
		return DNS_ESCHEMA;
	key->priv = malloc(sl ? sl : 1);
	if (!key->priv)
		return DNS_ENOMEM;
	memcpy(key->priv, v + o + 2, sl);
	key->privlen = sl;
	ld->n++;
	return 0;
}

int keymgr_store_load(dns_state_txn_t *txn, const uint8_t *apex, keymgr_key_t **keys, size_t *n)
{
	load_t ld = { .al = zones_name_len(apex, ZONES_NAME_MAX) };
	int ret = dns_state_scan(txn, DNS_DB_KEYS, apex, ld.al, load_one, &ld);
	if (ret) {
		keymgr_keys_free(ld.keys, ld.n);
		return ret;
	}
	*keys = ld.keys;
	*n = ld.n;
	return 0;
}

int keymgr_store_remove_all(dns_state_txn_t *txn, const uint8_t *apex)
{
	return dns_state_del_prefix(txn, DNS_DB_KEYS, apex, zones_name_len(apex, ZONES_NAME_MAX));
}

void keymgr_keys_free(keymgr_key_t *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		keymgr_key_deinit(&keys[i]);
	free(keys);
}
