/* SPDX-License-Identifier: MIT */
/*
 * The builder's signing step (DESIGN.md section 5; dnsd is the only signer):
 * keys from the state (generated on first use, per the zone's policy), the
 * earlier signatures from the state, keymgr signs, and the keys and the live
 * signatures go back to the state in the same transaction as the serial.
 */
#include <stdlib.h>
#include <string.h>
#include "dnsd/builder_int.h"

int dnsd_signing_prepare(dns_state_txn_t *txn, const uint8_t *apex, const keymgr_policy_t *p,
                         uint32_t now, dnsd_signing_t *s)
{
	memset(s, 0, sizeof *s);
	int ret = keymgr_store_load(txn, apex, &s->keys, &s->nkeys);
	if (ret)
		return ret;
	if (s->nkeys == 0) {
		/* first signing: the keys are published and used at once (there is no
		 * DS at the parent yet, so nothing depends on their timing) */
		free(s->keys);
		size_t n = p->csk ? 1 : 2;
		s->keys = calloc(n, sizeof *s->keys);
		if (!s->keys)
			return DNS_ENOMEM;
		keymgr_role_t roles[2] = { p->csk ? KEYMGR_ROLE_CSK : KEYMGR_ROLE_KSK, KEYMGR_ROLE_ZSK };
		for (size_t i = 0; i < n; i++) {
			if ((ret = keymgr_key_generate(p->algorithm, roles[i], (uint32_t)i + 1, now,
			                               &s->keys[i])) != 0)
				return ret;
			s->nkeys++;
			keymgr_key_t *k = &s->keys[i];
			k->t[KEYMGR_T_PUBLISHED] = k->t[KEYMGR_T_READY] = k->t[KEYMGR_T_ACTIVE] = now;
		}
		s->keys_new = true;
	}
	if ((ret = keymgr_sigcache_new(&s->cache)) != 0)
		return ret;
	return keymgr_sigstore_load(txn, apex, s->cache);
}

int dnsd_signing_run(dnsd_signing_t *s, zones_content_t *c, const keymgr_policy_t *p, uint32_t now)
{
	int ret = keymgr_zone_sign(c, s->keys, s->nkeys, p, now, s->cache, &s->stats);
	if (ret == 0)
		s->next_refresh = keymgr_sigcache_next_refresh(s->cache, p->sig_refresh);
	return ret;
}

int dnsd_signing_persist(dns_state_txn_t *txn, const uint8_t *apex, const dnsd_signing_t *s)
{
	int ret = 0;
	for (size_t i = 0; s->keys_new && ret == 0 && i < s->nkeys; i++)
		ret = keymgr_store_put(txn, apex, &s->keys[i]);
	return ret ? ret : keymgr_sigstore_save(txn, apex, s->cache);
}

void dnsd_signing_deinit(dnsd_signing_t *s)
{
	keymgr_keys_free(s->keys, s->nkeys);
	keymgr_sigcache_free(s->cache);
	memset(s, 0, sizeof *s);
}
