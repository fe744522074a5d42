/* SPDX-License-Identifier: MIT */
/**
 * \file
 * \brief DNSSEC keys: generation (OpenSSL 3 EVP), DNSKEY/DS/key tag,
 *        RRSIG creation, and the key records in the LMDB state.
 *
 * Algorithms: RSASHA256 (8, RFC 5702, 2048 bits), ECDSAP256SHA256 (13,
 * RFC 6605), ED25519 (15, RFC 8080).  Every key carries the RFC 7583 timing
 * events from the start, so the rollover logic (a later layer) only adds
 * decisions, not data.
 *
 * Ownership: a keymgr_key_t owns its private key (keymgr_key_deinit frees it
 * and wipes the DER copy).  Private key material never leaves this module
 * except as the DER blob stored in the state (mode 0600 file in a 0700 dir).
 * Thread rules: none; keys are used by the builder thread only.
 */
#pragma once

#include "zones/zones.h"

enum {
	KEYMGR_ALG_RSASHA256 = 8,
	KEYMGR_ALG_ECDSAP256SHA256 = 13,
	KEYMGR_ALG_ED25519 = 15,
};

typedef enum { KEYMGR_ROLE_KSK = 1, KEYMGR_ROLE_ZSK = 2, KEYMGR_ROLE_CSK = 3 } keymgr_role_t;

/** RFC 7583 3.1 timing events (unix seconds, 0 = not yet), plus the parent side. */
typedef enum {
	KEYMGR_T_GENERATED = 0,
	KEYMGR_T_PUBLISHED,   /*!< DNSKEY in the zone */
	KEYMGR_T_READY,       /*!< published and propagated: may be used */
	KEYMGR_T_ACTIVE,      /*!< signing */
	KEYMGR_T_RETIRED,     /*!< no longer signing */
	KEYMGR_T_DEAD,        /*!< retired and its signatures expired from caches */
	KEYMGR_T_REMOVED,     /*!< DNSKEY gone from the zone */
	KEYMGR_T_REVOKED,     /*!< published with the REVOKE bit (RFC 5011) */
	KEYMGR_T_DS_SUBMITTED,/*!< KSK/CSK: DS handed to the parent (hook or operator) */
	KEYMGR_T_DS_SEEN,     /*!< KSK/CSK: the parent serves the DS */
	KEYMGR_T_COUNT
} keymgr_time_t;

typedef struct {
	uint32_t id;        /*!< unique within the zone, never reused */
	uint8_t algorithm;
	uint8_t role;       /*!< keymgr_role_t */
	uint16_t tag;       /*!< key tag of the DNSKEY (RFC 4034 appendix B) */
	int64_t t[KEYMGR_T_COUNT];
	uint8_t pub[600];   /*!< the DNSKEY public key field */
	uint16_t publen;
	uint8_t *priv;      /*!< DER private key (owned) */
	size_t privlen;
	void *pkey;         /*!< EVP_PKEY, loaded on demand (owned) */
} keymgr_key_t;

const char *keymgr_alg_name(uint8_t alg);
/** \brief "ecdsap256sha256", "13", ... \retval algorithm number or 0 */
uint8_t keymgr_alg_parse(const char *s);

/**
 * \brief Generate a key (CSPRNG of OpenSSL).
 * \retval 0, DNS_EINVAL (algorithm not supported), DNS_ECRYPTO, DNS_ENOMEM
 */
_mustcheck_ int keymgr_key_generate(uint8_t alg, keymgr_role_t role, uint32_t id, int64_t now,
                                    keymgr_key_t *out);
void keymgr_key_deinit(keymgr_key_t *k);
/** \brief DNSKEY flags: 256 (zone key), 257 for KSK/CSK (SEP, RFC 4034 2.1.1), +128 if revoked. */
uint16_t keymgr_key_flags(const keymgr_key_t *k);
/** \brief The DNSKEY RDATA of the key. \retval its length, or DNS_ESPACE */
int keymgr_key_dnskey(const keymgr_key_t *k, uint8_t *out, size_t outlen);

/** \brief Key tag of DNSKEY RDATA (RFC 4034 appendix B). */
uint16_t keymgr_keytag(const uint8_t *dnskey, size_t len);
/**
 * \brief DS RDATA for a DNSKEY (RFC 4034 5.1.4): digest 2 = SHA-256 (RFC 4509),
 * 4 = SHA-384 (RFC 6605).  \retval length written, DNS_EINVAL, DNS_ESPACE, DNS_ECRYPTO
 */
int keymgr_ds(const uint8_t *owner, const uint8_t *dnskey, size_t len, uint8_t digest_type,
              uint8_t *out, size_t outlen);

/** One RRset to sign: RRs in canonical order (as zones_content_sort leaves them). */
typedef struct {
	const uint8_t *owner;   /*!< lowercase; a wildcard owner starts with the "*" label */
	uint16_t type;
	uint32_t ttl;           /*!< original TTL */
	const zones_rr_t *rr;   /*!< rdata of each RR (canonical form) */
	size_t count;
} keymgr_rrset_t;

/**
 * \brief Make the RRSIG RDATA for \p set with \p key (RFC 4034 3.1, 3.1.8.1).
 * \param apex     the signer's name
 * \retval length of the RDATA written to \p out, or DNS_ECRYPTO, DNS_ESPACE
 */
int keymgr_sign(keymgr_key_t *key, const uint8_t *apex, const keymgr_rrset_t *set,
                uint32_t inception, uint32_t expiration, uint8_t *out, size_t outlen);

/* ---- keys in the state: db "keys", key = apex | id (BE32) --------------------- */

/** \retval 0 with \p *keys (malloc'd array, keymgr_keys_free) and \p *n; ESCHEMA; MDB_* */
_mustcheck_ int keymgr_store_load(dns_state_txn_t *txn, const uint8_t *apex, keymgr_key_t **keys,
                                  size_t *n);
_mustcheck_ int keymgr_store_put(dns_state_txn_t *txn, const uint8_t *apex, const keymgr_key_t *k);
_mustcheck_ int keymgr_store_remove_all(dns_state_txn_t *txn, const uint8_t *apex);
void keymgr_keys_free(keymgr_key_t *keys, size_t n);
