/* SPDX-License-Identifier: MIT */
/* Internal to the zone builder (dnsd/builder.c, dnsd/signing.c). */
#pragma once

#include "dnsd/dnsd.h"
#include "keymgr/keymgr.h"

typedef struct {
	keymgr_key_t *keys;
	size_t nkeys;
	bool keys_new;             /*!< generated now: to be stored */
	keymgr_sigcache_t *cache;  /*!< earlier signatures in, live signatures out */
	uint32_t next_refresh;     /*!< when a signature falls due */
	keymgr_sign_stats_t stats;
} dnsd_signing_t;

int dnsd_signing_prepare(dns_state_txn_t *txn, const uint8_t *apex, const keymgr_policy_t *p,
                         uint32_t now, dnsd_signing_t *s);
int dnsd_signing_run(dnsd_signing_t *s, zones_content_t *c, const keymgr_policy_t *p, uint32_t now);
int dnsd_signing_persist(dns_state_txn_t *txn, const uint8_t *apex, const dnsd_signing_t *s);
void dnsd_signing_deinit(dnsd_signing_t *s);

/** catalog.c: the catalog zone's content (RFC 9432) from the zone list, serial 1. */
int dnsd_catalog_content(dns_state_txn_t *txn, const uint8_t *catalog, zones_content_t *c);
