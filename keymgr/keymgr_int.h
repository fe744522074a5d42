/* SPDX-License-Identifier: MIT */
/* Internal to keymgr/. */
#pragma once

#include "keymgr/keymgr.h"

typedef struct sigentry {
	struct sigentry *next;
	uint8_t *owner;
	uint16_t type;
	uint32_t hash;
	bool used;
	keymgr_sig_t sig;
} sigentry_t;

struct keymgr_sigcache {
	sigentry_t **buckets;
	size_t nbuckets, n;
};

sigentry_t *keymgr_sigcache_find(keymgr_sigcache_t *c, const uint8_t *owner, uint16_t type,
                                 uint16_t tag, uint8_t alg);
/** Drop the entries the last signing run did not use; clear the marks. */
void keymgr_sigcache_sweep(keymgr_sigcache_t *c);
