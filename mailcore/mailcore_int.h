/* SPDX-License-Identifier: MIT */
/* Internal to mailcore/: shared between its files, not part of the interface. */
#pragma once
#include "mailcore/mailcore.h"

#define MC_MAX_KEYS 16 /* DKIM keys per domain kept at once (states created..revoked) */

int mc_domain_del(dns_state_txn_t *txn, const uint8_t *name);
int mc_host_del(dns_state_txn_t *txn, const uint8_t *name);
int mc_keys_create(dns_state_txn_t *txn, const mailcore_domain_t *d, const mailcore_key_t *have,
                   size_t nhave, uint8_t mask, int64_t now);


/** \brief Print a wire name absolute, with its final dot. */
static inline const char *mc_name(const uint8_t *name, char buf[1024])
{
	zones_name_print(name, buf, 1024);
	return buf;
}


/** \brief Base64 of \p len bytes (no line breaks) into \p out. */
size_t mc_base64(const uint8_t *in, size_t len, char *out, size_t outlen);

/** \brief TXT RDATA from one long text, split in 255-octet strings (RFC 7208 3.3, RFC 6376 3.6.2.2). */
int mc_txt_rdata(const char *text, uint8_t *out, size_t outlen, uint16_t *rdlen);



/** SPF lookups in our own zones, from the state (static + generated records). */
mailcore_spf_found_t mc_spf_lookup(const char *name, int type, const char **txt, size_t *count,
                                   void *arg);
typedef struct {
	dns_state_txn_t *txn;
	char txt[4200];
} mc_spf_ctx_t;

