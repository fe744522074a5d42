/* SPDX-License-Identifier: MIT */
/*
 * Test helper: sign a zone file with keymgr as dnsd will, write the result.
 * usage: signzone APEX IN OUT ALG nsec|nsec3 [ksk-zsk|csk] [--resign-stats]
 * With --resign-stats it signs twice with the same keys and cache, then once
 * more after changing one record, and prints "reused N new M" for each rerun.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "keymgr/keymgr.h"

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: signzone APEX IN OUT ALG nsec|nsec3 [ksk-zsk|csk] [--resign-stats]\n");
		return 2;
	}
	uint8_t apex[ZONES_NAME_MAX];
	if (zones_name_parse(argv[1], NULL, apex) < 0)
		return 2;
	zones_content_t c;
	zones_content_init(&c, apex);
	if (zones_content_load(&c, argv[2])) {
		fprintf(stderr, "%s\n", c.err);
		return 1;
	}
	keymgr_policies_t ps;
	char why[300];
	if (keymgr_policies_init(&ps) || keymgr_policy_setting(&ps, "t", "algorithm", argv[4], why, sizeof why) ||
	    keymgr_policy_setting(&ps, "t", "nsec", argv[5], why, sizeof why) ||
	    (argc > 6 && argv[6][0] != '-' && keymgr_policy_setting(&ps, "t", "keys", argv[6], why, sizeof why))) {
		fprintf(stderr, "policy: %s\n", why);
		return 2;
	}
	const keymgr_policy_t *p = keymgr_policy_find(&ps, "t");
	uint32_t now = (uint32_t)time(NULL);
	keymgr_key_t keys[2];
	size_t nk = 0;
	keymgr_role_t roles[2] = { p->csk ? KEYMGR_ROLE_CSK : KEYMGR_ROLE_KSK, KEYMGR_ROLE_ZSK };
	for (size_t i = 0; i < (p->csk ? 1u : 2u); i++) {
		if (keymgr_key_generate(p->algorithm, roles[i], (uint32_t)i + 1, now, &keys[i]))
			return 1;
		keys[i].t[KEYMGR_T_PUBLISHED] = keys[i].t[KEYMGR_T_READY] = keys[i].t[KEYMGR_T_ACTIVE] = now;
		nk++;
	}
	keymgr_sigcache_t *cache;
	keymgr_sign_stats_t st;
	if (keymgr_sigcache_new(&cache) || keymgr_zone_sign(&c, keys, nk, p, now, cache, &st)) {
		fprintf(stderr, "signing failed\n");
		return 1;
	}
	bool stats = argc > 6 && !strcmp(argv[argc - 1], "--resign-stats");
	if (stats) {
		if (keymgr_zone_sign(&c, keys, nk, p, now + 60, cache, &st))
			return 1;
		printf("unchanged: rrsets %zu reused %zu new %zu\n", st.rrsets, st.reused, st.signed_new);
		/* change one record: the first A RRset gets another address */
		for (size_t i = 0; i < c.n; i++)
			if (c.rr[i].type == ZONES_T_A) {
				uint8_t a[4] = { 198, 51, 100, 77 };
				uint8_t owner[ZONES_NAME_MAX];
				memcpy(owner, c.rr[i].owner, zones_name_len(c.rr[i].owner, ZONES_NAME_MAX));
				if (zones_content_add(&c, owner, ZONES_T_A, c.rr[i].ttl, a, 4, 0))
					return 1;
				break;
			}
		if (keymgr_zone_sign(&c, keys, nk, p, now + 120, cache, &st))
			return 1;
		printf("one A added: rrsets %zu reused %zu new %zu\n", st.rrsets, st.reused, st.signed_new);
		/* the clock moves on: 6 days in, nothing is due (refresh 7 of 14 days,
		 * jitter 1); 8 days in, every signature is refreshed */
		if (keymgr_zone_sign(&c, keys, nk, p, now + 6 * 86400, cache, &st))
			return 1;
		printf("6 days later: rrsets %zu reused %zu new %zu\n", st.rrsets, st.reused,
		       st.signed_new);
		if (keymgr_zone_sign(&c, keys, nk, p, now + 8 * 86400, cache, &st))
			return 1;
		printf("8 days later: rrsets %zu reused %zu new %zu\n", st.rrsets, st.reused,
		       st.signed_new);
		/* expirations spread over the jitter window (RRSIG expiration at RDATA 8) */
		uint32_t lo = UINT32_MAX, hi = 0;
		for (size_t i = 0; i < c.n; i++)
			if (c.rr[i].type == ZONES_T_RRSIG && c.rr[i].rdlen > 12) {
				uint32_t e = dns_get32(c.rr[i].rdata + 8);
				lo = e < lo ? e : lo;
				hi = e > hi ? e : hi;
			}
		printf("expirations spread over %u s\n", hi - lo);
	}
	FILE *f = fopen(argv[3], "w");
	if (!f || zones_content_write(&c, f) || fclose(f))
		return 1;
	/* the DS for the trust anchor of validators */
	for (size_t i = 0; i < nk; i++)
		if (keys[i].role != KEYMGR_ROLE_ZSK) {
			uint8_t dk[700], ds[100];
			int dl = keymgr_key_dnskey(&keys[i], dk, sizeof dk);
			int sl = keymgr_ds(apex, dk, (size_t)dl, 2, ds, sizeof ds);
			char an[1024];
			zones_name_print(apex, an, sizeof an);
			fprintf(stderr, "%s DS %u %u %u ", an, dns_get16(ds), ds[2], ds[3]);
			for (int k = 4; k < sl; k++)
				fprintf(stderr, "%02X", ds[k]);
			fprintf(stderr, "\n");
		}
	for (size_t i = 0; i < nk; i++)
		keymgr_key_deinit(&keys[i]);
	keymgr_sigcache_free(cache);
	keymgr_policies_deinit(&ps);
	zones_content_deinit(&c);
	return 0;
}
