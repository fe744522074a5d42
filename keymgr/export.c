/* SPDX-License-Identifier: MIT */
/* The zone as dnsd serves it, signed, read from the state in one transaction. */
#include <stdlib.h>
#include <string.h>
#include "keymgr/keymgr.h"

int keymgr_zone_load_served(dns_state_t *st, const uint8_t *apex, const keymgr_policies_t *ps,
                            uint32_t now, zones_content_t *c, zones_settings_t *settings,
                            bool *served)
{
	dns_state_txn_t *txn;
	int ret = dns_state_read_begin(st, &txn);
	if (ret)
		return ret;
	*served = false;
	zones_served_t sv;
	keymgr_key_t *keys = NULL;
	size_t nkeys = 0;
	keymgr_sigcache_t *cache = NULL;
	ret = zones_store_settings_get(txn, apex, settings);
	if (ret == 0)
		ret = zones_store_load(txn, apex, c);
	if (ret == 0) {
		int r2 = zones_store_served_get(txn, apex, &sv);
		if (r2 == 0 && sv.gen == settings->gen) {
			*served = true;
			ret = zones_content_serial_set(c, sv.serial);
		} else if (r2 != DNS_ENOENT && r2 != 0) {
			ret = r2;
		}
	}
	if (ret == 0 && settings->policy[0] && *served) {
		const keymgr_policy_t *p = keymgr_policy_find(ps, settings->policy);
		if (!p)
			ret = DNS_ECONFIG;
		else if ((ret = keymgr_store_load(txn, apex, &keys, &nkeys)) == 0 &&
		         (ret = keymgr_sigcache_new(&cache)) == 0 &&
		         (ret = keymgr_sigstore_load(txn, apex, cache)) == 0)
			ret = keymgr_zone_assemble(c, keys, nkeys, p, now, cache);
		if (ret == DNS_ENOENT || ret == DNS_EINVAL)
			*served = false; /* not (yet) signed as stored */
		if (ret == DNS_ENOENT || ret == DNS_EINVAL)
			ret = 0;
	} else if (ret == 0 && settings->policy[0]) {
		*served = false;
	}
	keymgr_keys_free(keys, nkeys);
	keymgr_sigcache_free(cache);
	dns_state_read_end(txn);
	return ret;
}
