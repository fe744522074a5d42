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

/* ---- DNSSEC policies (named, in the config file: [policy NAME] sections) ------- */

typedef struct {
	char name[64];
	uint8_t algorithm;          /*!< default ECDSAP256SHA256 */
	bool csk;                   /*!< one combined key instead of KSK + ZSK */
	uint32_t dnskey_ttl;        /*!< seconds */
	uint32_t sig_validity;      /*!< RRSIG lifetime */
	uint32_t sig_refresh;       /*!< re-sign when less than this is left */
	uint32_t sig_jitter;        /*!< expirations spread over this much */
	uint32_t sig_inception_offset; /*!< inception this far in the past (clock skew) */
	bool nsec3;                 /*!< NSEC3 (RFC 5155) instead of NSEC */
	uint16_t nsec3_iterations;  /*!< RFC 9276: 0 */
	uint8_t nsec3_salt_len;     /*!< RFC 9276: no salt */
	bool nsec3_opt_out;         /*!< RFC 9276: no */
	uint32_t zsk_lifetime;      /*!< 0: no automatic rollover */
	uint32_t ksk_lifetime;
	uint32_t propagation_delay;
	uint32_t parent_ds_ttl;
	uint32_t parent_propagation_delay;
} keymgr_policy_t;

typedef struct {
	keymgr_policy_t *p;
	size_t n;
} keymgr_policies_t;

/** \brief Start with the built-in "default" policy (ECDSAP256SHA256, KSK+ZSK, NSEC3). */
_mustcheck_ int keymgr_policies_init(keymgr_policies_t *ps);
void keymgr_policies_deinit(keymgr_policies_t *ps);
/**
 * \brief Apply one "key value" of [policy NAME] (creating NAME from the
 * defaults on first use; \p key NULL only creates it).  \retval 0, or -1 with \p why
 */
int keymgr_policy_setting(keymgr_policies_t *ps, const char *name, const char *key,
                          const char *val, char *why, size_t wl);
/** \brief Check the policies are coherent (e.g. refresh < validity). \retval 0 or -1 with why */
int keymgr_policies_check(const keymgr_policies_t *ps, char *why, size_t wl);
const keymgr_policy_t *keymgr_policy_find(const keymgr_policies_t *ps, const char *name);
/** \brief "90d", "12h", "30m", "45s" or plain seconds. \retval 0 or -1 */
int keymgr_duration_parse(const char *s, uint32_t *out);

/* ---- zone signing ---------------------------------------------------------- */

/** A signature kept from an earlier signing run, for reuse (one per RRset and key). */
typedef struct {
	uint8_t digest[16];   /*!< of the RRset as signed (owner, type, TTL, RDATA) */
	uint16_t tag;         /*!< key tag of the signer */
	uint8_t algorithm;
	uint32_t expiration;
	uint8_t *rdata;       /*!< RRSIG RDATA (owned by the cache) */
	uint16_t rdlen;
} keymgr_sig_t;

/**
 * Earlier signatures by (owner, covered type).  The signer looks them up and
 * records what it used, so a caller can persist exactly the live set.
 */
typedef struct keymgr_sigcache keymgr_sigcache_t;
_mustcheck_ int keymgr_sigcache_new(keymgr_sigcache_t **out);
void keymgr_sigcache_free(keymgr_sigcache_t *c);
/** \brief Add an earlier signature (copies). */
_mustcheck_ int keymgr_sigcache_add(keymgr_sigcache_t *c, const uint8_t *owner, uint16_t type,
                                    const keymgr_sig_t *sig);

typedef struct {
	size_t rrsets, signed_new, reused, nsec;
} keymgr_sign_stats_t;

/**
 * \brief Sign zone content in place (RFC 4035 2): drops DNSSEC records it
 * generates (DNSKEY at the apex, RRSIG, NSEC, NSEC3, NSEC3PARAM), then adds the
 * DNSKEY RRset of \p keys, the NSEC or NSEC3 chain (+ NSEC3PARAM) and RRSIGs
 * over every authoritative RRset (not delegation NS or glue; DS yes).
 * Signatures in \p cache that still cover the same data with an active key
 * and are not due for refresh are reused; the cache ends holding exactly the
 * signatures now in the zone.
 * \param now  unix time (injected, for tests)
 * \retval 0, DNS_ENOMEM, DNS_ECRYPTO, DNS_EINVAL (no usable key)
 */
_mustcheck_ int keymgr_zone_sign(zones_content_t *c, keymgr_key_t *keys, size_t nkeys,
                                 const keymgr_policy_t *p, uint32_t now,
                                 keymgr_sigcache_t *cache, keymgr_sign_stats_t *stats);
/**
 * \brief Rebuild the signed zone dnsd serves from its stored signatures only
 * (for `dnsctl zone export`: dnsd is the only signer).
 * \retval 0; DNS_ENOENT when a needed signature is not there (dnsd has not
 *         signed this version yet); as keymgr_zone_sign otherwise
 */
_mustcheck_ int keymgr_zone_assemble(zones_content_t *c, keymgr_key_t *keys, size_t nkeys,
                                     const keymgr_policy_t *p, uint32_t now,
                                     keymgr_sigcache_t *cache);
/** \brief Visit the signatures the last signing left in the cache (to persist them). */
_mustcheck_ int keymgr_sigcache_foreach(const keymgr_sigcache_t *c,
                                        int (*fn)(const uint8_t *owner, uint16_t type,
                                                  const keymgr_sig_t *sig, void *arg),
                                        void *arg);
/** \brief Drop the records signing makes (apex DNSKEY, RRSIG, NSEC, NSEC3,
 * NSEC3PARAM) from \p c. \retval how many were dropped */
size_t keymgr_content_strip(zones_content_t *c);
/** \brief NSEC3 hash of a name (RFC 5155 5). \retval 20 (SHA-1 length) or DNS_ECRYPTO */
int keymgr_nsec3_hash(const uint8_t *name, const uint8_t *salt, uint8_t saltlen,
                      uint16_t iterations, uint8_t out[20]);

/* ---- signatures in the state (db "sigs", dnsd only) ------------------------------ */

/** \brief Add the zone's stored signatures to \p cache. \retval 0, DNS_ESCHEMA, MDB_* */
_mustcheck_ int keymgr_sigstore_load(dns_state_txn_t *txn, const uint8_t *apex,
                                     keymgr_sigcache_t *cache);
/** \brief Replace the zone's stored signatures by those in \p cache. */
_mustcheck_ int keymgr_sigstore_save(dns_state_txn_t *txn, const uint8_t *apex,
                                     const keymgr_sigcache_t *cache);
/** \brief The earliest time a signature in \p cache falls due for refresh
 * (expiration - refresh), or 0 when the cache is empty. */
uint32_t keymgr_sigcache_next_refresh(const keymgr_sigcache_t *c, uint32_t refresh);

/**
 * \brief Load zone \p apex as dnsd serves it: its records, the serial dnsd
 * serves and, for a signed zone, the DNSSEC records and stored signatures.
 * \param served  false when dnsd has not built (or not signed) the stored version:
 *                then \p c holds the stored records, unsigned, with their own serial
 * \retval 0, DNS_ENOZONE, DNS_ECONFIG (the zone's policy is not in \p ps), MDB_*
 */
_mustcheck_ int keymgr_zone_load_served(dns_state_t *st, const uint8_t *apex,
                                        const keymgr_policies_t *ps, uint32_t now,
                                        zones_content_t *c, zones_settings_t *settings,
                                        bool *served);
