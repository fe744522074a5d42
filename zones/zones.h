/* SPDX-License-Identifier: MIT */
/**
 * \file
 * \brief The zone model: names, zone content, its LMDB storage, master-file
 *        import/export, and compiled (immutable) zones and snapshots.
 *
 * Content (zones_content_t) is the editable form, built off the query path by
 * dnsctl and by the dnsd builder.  A compiled zone (zones_czone_t) is the
 * read-only form the query engine reads without locks: RRsets pre-rendered as
 * wire blocks, names in a hash table, wildcard/cut/additional links resolved.
 * A snapshot (zones_snapshot_t) is a set of compiled zones, published through
 * one atomic pointer and freed only after every reader has let go (see dnsd).
 *
 * Thread rules: everything here is single-threaded except reading a compiled
 * zone or snapshot, which any number of threads may do concurrently.
 */
#pragma once

#include <stdio.h>
#include "common/common.h"

#define ZONES_NAME_MAX 255 /*!< RFC 1035 2.3.4, wire octets including the root label */
#define ZONES_NONE UINT32_MAX

/* RR types this module treats specially (RFC 1035, 3596, 4034, 6672). */
enum {
	ZONES_T_A = 1, ZONES_T_NS = 2, ZONES_T_CNAME = 5, ZONES_T_SOA = 6, ZONES_T_PTR = 12,
	ZONES_T_MX = 15, ZONES_T_TXT = 16, ZONES_T_AAAA = 28, ZONES_T_SRV = 33,
	ZONES_T_DNAME = 39, ZONES_T_OPT = 41, ZONES_T_DS = 43, ZONES_T_RRSIG = 46,
	ZONES_T_NSEC = 47, ZONES_T_DNSKEY = 48, ZONES_T_NSEC3 = 50, ZONES_T_NSEC3PARAM = 51,
	ZONES_T_IXFR = 251, ZONES_T_AXFR = 252, ZONES_T_ANY = 255,
};

/* ---- names (uncompressed wire format) ------------------------------------ */

/**
 * \brief Parse a presentation-format name (RFC 1035 5.1 escapes allowed).
 * \param origin  appended when \p s is relative (no final dot); NULL: treat as absolute.
 *                "@" means the origin itself.
 * \retval length of the wire name written to \p out (>= 1)
 * \retval DNS_ENAMELEN, DNS_EPARSE
 */
_mustcheck_ int zones_name_parse(const char *s, const uint8_t *origin, uint8_t out[ZONES_NAME_MAX]);
/** \brief Print absolute with final dot, escaping as RFC 1035 5.1. \p out >= 1010 bytes. */
void zones_name_print(const uint8_t *name, char *out, size_t outlen);
/** \brief Length of a valid wire name, or 0 if invalid within \p max bytes. */
size_t zones_name_len(const uint8_t *name, size_t max);
unsigned zones_name_labels(const uint8_t *name);
void zones_name_lower(uint8_t *name);
/** \brief Is \p name equal to or below \p apex? (both lowercase) */
bool zones_name_is_sub(const uint8_t *name, const uint8_t *apex);
/** \brief Canonical order (RFC 4034 6.1) of two lowercase names: <0, 0, >0. */
int zones_name_cmp(const uint8_t *a, const uint8_t *b);
/**
 * \brief The hash used by compiled zones and snapshots (of a lowercase wire name).
 * It is built label by label from the root: h(root) = ZONES_HASH_ROOT,
 * h(label.suffix) = zones_name_hash_label(h(suffix), label), and the table
 * key is zones_hash_final(h).  So all suffixes of a name cost one pass.
 */
uint32_t zones_name_hash(const uint8_t *name, size_t len);
#define ZONES_HASH_ROOT 0x243f6a8885a308d3ull
uint64_t zones_name_hash_label(uint64_t h, const uint8_t *label);
static inline uint32_t zones_hash_final(uint64_t h)
{
	return (uint32_t)(h ^ (h >> 29));
}

/* ---- RR types ------------------------------------------------------------- */

/** \brief Mnemonic of a type ("TYPE65534" style for unknown ones), into \p buf. */
const char *zones_type_name(uint16_t type, char buf[16]);
/** \brief Parse "A", "txt", "TYPE99". \retval type or 0 when unknown. */
uint16_t zones_type_parse(const char *s);

/* ---- zone content: the editable form ------------------------------------------ */

typedef struct {
	uint8_t *owner;   /*!< lowercase wire name (owned by the content) */
	uint8_t *rdata;   /*!< uncompressed wire RDATA (owned) */
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;
	uint32_t line;    /*!< source line, 0 if not from a file */
} zones_rr_t;

typedef struct {
	uint8_t apex[ZONES_NAME_MAX]; /*!< lowercase */
	zones_rr_t *rr;
	size_t n, cap;
	const char *source; /*!< file name for messages, or NULL */
	char err[512];      /*!< after a failed parse/validate: one line naming file/line/record */
} zones_content_t;

void zones_content_init(zones_content_t *c, const uint8_t *apex);
void zones_content_deinit(zones_content_t *c);
/** \brief Append one RR (copies owner and rdata; lowercases owner). \retval 0, DNS_ENOMEM */
_mustcheck_ int zones_content_add(zones_content_t *c, const uint8_t *owner, uint16_t type,
                                  uint32_t ttl, const uint8_t *rdata, uint16_t rdlen, uint32_t line);
/** \brief Sort canonically (owner, type, rdata) and drop duplicate RRs. */
void zones_content_sort(zones_content_t *c);
/**
 * \brief Check the content is a servable zone: owners in zone, one SOA at the
 * apex, NS at the apex, no CNAME beside other data (RFC 2181 10.1; RRSIG, NSEC
 * and NSEC3 allowed, RFC 4035 2.5), singletons, DNAME rules, TTLs.  Sorts.
 * \retval 0, or DNS_E* with c->err describing the first problem.
 */
_mustcheck_ int zones_content_validate(zones_content_t *c);
/** \brief Lowercase the names inside RDATA where RFC 4034 6.2 says they are
 * case-insensitive (done to every RR stored, so equal RRs compare equal). */
void zones_rdata_canonical(uint16_t type, uint8_t *rdata, size_t len);
/** \brief Format one RR in master-file form into \p out (no newline). */
int zones_rr_print(const zones_rr_t *rr, char *out, size_t outlen);

/**
 * \brief Parse one RR in presentation form: OWNER relative to apex unless it
 * ends in a dot, TTL, TYPE and RDATA as separate strings (dnsctl record add).
 * \retval 0 with \p *owner / \p *type / \p *rdata filled (rdata malloc'd, caller frees)
 * \retval DNS_EPARSE, DNS_ETYPE, DNS_ENAMELEN with \p err describing it
 */
_mustcheck_ int zones_rr_parse(const uint8_t *apex, const char *owner, const char *ttl,
                               const char *type, const char *rdata, zones_rr_t *out,
                               char *err, size_t errlen);
/** \brief Parse only RDATA of \p type (for record del with RDATA). */
_mustcheck_ int zones_rdata_parse(const uint8_t *apex, uint16_t type, const char *rdata,
                                  uint8_t **out, uint16_t *outlen, char *err, size_t errlen);

/**
 * \brief Read a master file (RFC 1035 5) into \p c, which must be empty.
 * $ORIGIN defaults to the apex, $TTL and $INCLUDE-less files.
 * \retval 0, or DNS_EPARSE/DNS_ENAMELEN/... with c->err = "FILE:LINE: reason".
 */
_mustcheck_ int zones_content_read(zones_content_t *c, const char *path);
/** \brief zones_content_read then zones_content_validate: a file as a servable zone. */
_mustcheck_ int zones_content_load(zones_content_t *c, const char *path);
/** \brief Write \p c as a master file (apex SOA first, then canonical order). */
_mustcheck_ int zones_content_write(const zones_content_t *c, FILE *out);

/* ---- state in LMDB ------------------------------------------------------------- */

/** Per-zone settings, written by dnsctl. */
typedef struct {
	uint64_t gen;      /*!< bumped by every change to the zone's settings or records */
	int64_t created;   /*!< unix time */
	char policy[64];   /*!< DNSSEC policy name, "" = unsigned */
	char transfer[512];/*!< who may transfer ("PREFIX [key NAME]; ..."), "" = the config's */
	char notify[512];  /*!< where NOTIFY goes ("ADDR[@PORT] [key NAME]; ..."), "" = config's */
} zones_settings_t;

/** What dnsd last served for a zone, written by dnsd only. */
typedef struct {
	uint32_t serial;
	uint64_t gen;          /*!< settings.gen this was built from */
	uint8_t digest[32];    /*!< SHA-256 of the content, SOA serial excluded */
	int64_t updated;       /*!< unix time of the last serial change */
} zones_served_t;

/** \retval 0, DNS_ENOZONE, DNS_ESCHEMA (unreadable value), MDB_* */
_mustcheck_ int zones_store_settings_get(dns_state_txn_t *txn, const uint8_t *apex,
                                         zones_settings_t *out);
_mustcheck_ int zones_store_settings_put(dns_state_txn_t *txn, const uint8_t *apex,
                                         const zones_settings_t *s);
/** \brief Bump the generation of \p apex (call in every write that changes the zone). */
_mustcheck_ int zones_store_touch(dns_state_txn_t *txn, const uint8_t *apex);
/** \brief Visit every zone apex in the store. \retval 0, callback error, MDB_* */
_mustcheck_ int zones_store_list(dns_state_txn_t *txn,
                                 int (*fn)(const uint8_t *apex, const zones_settings_t *s, void *arg),
                                 void *arg);
/** \brief The key of RRset (owner, type) of zone \p apex in "records" and the databases
 * laid out like it: apex | owner labels below the apex | 0 | type BE16. \retval length */
size_t zones_rrset_key(const uint8_t *apex, const uint8_t *owner, uint16_t type,
                       uint8_t key[2 * ZONES_NAME_MAX + 3]);
/** \brief Load the static records of \p apex (as the operator gave them) into \p c. */
_mustcheck_ int zones_store_load_static(dns_state_txn_t *txn, const uint8_t *apex,
                                        zones_content_t *c);
/** \brief Load all records of \p apex, static and generated, into the empty content \p c. */
_mustcheck_ int zones_store_load(dns_state_txn_t *txn, const uint8_t *apex, zones_content_t *c);
/** \brief Replace all records of the zone by \p c (sorted, validated). */
_mustcheck_ int zones_store_replace(dns_state_txn_t *txn, const zones_content_t *c);
/** \brief Delete the zone's settings and records (its last served serial stays). */
_mustcheck_ int zones_store_remove(dns_state_txn_t *txn, const uint8_t *apex);
_mustcheck_ int zones_store_served_get(dns_state_txn_t *txn, const uint8_t *apex,
                                       zones_served_t *out);
_mustcheck_ int zones_store_served_put(dns_state_txn_t *txn, const uint8_t *apex,
                                       const zones_served_t *s);

/** \brief SHA-256 over the sorted content, SOA serial excluded, and \p extra
 * (e.g. the DNSSEC policy: what is served changes with it), which may be NULL. */
_mustcheck_ int zones_content_digest(const zones_content_t *c, const char *extra, uint8_t out[32]);
/** \brief Set the serial of the apex SOA in \p c. \retval 0, DNS_ENOSOA */
_mustcheck_ int zones_content_serial_set(zones_content_t *c, uint32_t serial);
/** \brief Serial of the apex SOA. \retval 0, DNS_ENOSOA */
int zones_content_serial_get(const zones_content_t *c, uint32_t *serial);

/* ---- generated records (zones/generated.c) --------------------------------------
 * The mail core's output, stored apart from the static records and merged
 * with them by zones_store_load. */

/** Which static records may share owner and type with a generated RRset. */
enum {
	ZONES_GEN_EXCLUSIVE = 0, /*!< none */
	ZONES_GEN_SPF = 1,       /*!< TXT records that are not SPF (RFC 7208 3.2) */
};

/** Where a generated RR comes from: generated content's rr[i].line indexes an array of these. */
typedef struct {
	const char *src;  /*!< e.g. "SPF of mail domain example.com", for conflict messages */
	uint8_t cls;      /*!< ZONES_GEN_* */
} zones_gen_tag_t;

/**
 * \brief Make \p g (owners inside \p apex; rr[].line indexes \p tags) the
 * generated records of the zone, inside a write transaction.
 * Refuses collisions with static records or between two sources with
 * DNS_ECONFLICT and one line in \p err naming both. \p *changed says whether
 * the stored set differs (the caller then bumps the zone's generation).
 * Sorts \p g. \retval 0, DNS_ECONFLICT, DNS_EOUTOFZONE, DNS_ENOMEM, MDB_*
 */
_mustcheck_ int zones_gen_replace(dns_state_txn_t *txn, const uint8_t *apex, zones_content_t *g,
                                  const zones_gen_tag_t *tags, bool *changed, char *err,
                                  size_t errlen);
/** \brief Append the generated records of \p apex to \p c (unsorted). */
_mustcheck_ int zones_gen_load(dns_state_txn_t *txn, const uint8_t *apex, zones_content_t *c);
/** \brief May the static RR \p rr join zone \p apex? \retval 0, DNS_ECONFLICT (+ err), MDB_* */
_mustcheck_ int zones_gen_check_static(dns_state_txn_t *txn, const uint8_t *apex,
                                       const zones_rr_t *rr, char *err, size_t errlen);
/** \brief Append the RRs (static and generated) of \p owner / \p type in zone \p apex to \p out. */
_mustcheck_ int zones_lookup(dns_state_txn_t *txn, const uint8_t *apex, const uint8_t *owner,
                             uint16_t type, zones_content_t *out);
/** \brief Only the generated RRs of \p owner / \p type. */
_mustcheck_ int zones_gen_lookup(dns_state_txn_t *txn, const uint8_t *apex, const uint8_t *owner,
                                 uint16_t type, zones_content_t *out);
/** \brief Drop from \p c the RRs that equal generated ones (an exported zone read back). */
_mustcheck_ int zones_gen_strip(dns_state_txn_t *txn, zones_content_t *c, size_t *stripped);
/** \brief zones_gen_check_static for every RR of \p c. */
_mustcheck_ int zones_gen_check_content(dns_state_txn_t *txn, const zones_content_t *c, char *err,
                                        size_t errlen);

/**
 * Called inside the write transaction of every zone add and remove, after the
 * change, so that the mail core can move its records into (or out of) the
 * zone. A non-zero return aborts the change; \p err then says why.
 * dnsctl installs the mail core's; without one, zones know nothing of mail.
 */
typedef int (*zones_hook_fn)(dns_state_txn_t *txn, const uint8_t *apex, bool removed, char *err,
                             size_t errlen);
void zones_hook_set(zones_hook_fn fn);
/** \brief One line explaining the last failed zones_op_* call, or "". */
const char *zones_op_error(void);

/* ---- compiled zones: what the query engine reads ------------------------------- */

/**
 * One RRset, pre-rendered: \p count RRs, each laid out as
 * [owner slot: 2 octets][TYPE CLASS TTL RDLENGTH][RDATA].  The owner slot
 * receives a compression pointer to the owner; the \p nfix fixups are 2-octet
 * slots inside RDATA that receive a compression pointer to an ancestor of the
 * owner (names in the zone, in the RFC 1035 types whose RDATA may be
 * compressed, RFC 3597 4).  The engine only writes RRsets with fixups when
 * their owner is a suffix of the name being answered, so each ancestor is
 * found in the packet by counting labels.
 */
typedef struct {
	uint16_t type;
	uint16_t count;
	uint32_t ttl;
	uint32_t wire;    /*!< offset in zone->wire */
	uint32_t len;
	uint32_t fix;     /*!< first index in zone->fix */
	uint16_t nfix;
	uint16_t nadd;    /*!< additional-section entries */
	uint16_t maxtarget; /*!< highest ZONES_FIX_BLOCK target (pointers reach 16383) */
	uint32_t sig;     /*!< index of the RRSIGs covering this RRset (RFC 4035 3.1.1), or
	                   *   ZONES_NONE; they are not among the node's own RRsets */
	uint32_t add;     /*!< first index in zone->add */
} zones_rrset_t;

/** Kinds of compression slots in pre-rendered RDATA. */
enum {
	ZONES_FIX_OWNER = 0, /*!< to the owner's ancestor with \p labels labels */
	ZONES_FIX_BLOCK = 1, /*!< to offset \p target of the RRset's own wire block */
};

/** A compression slot in pre-rendered RDATA. */
typedef struct {
	uint16_t off;    /*!< offset in the RRset's wire block */
	uint16_t target; /*!< ZONES_FIX_BLOCK: offset in the block */
	uint8_t labels;  /*!< ZONES_FIX_OWNER: labels of the ancestor */
	uint8_t kind;
} zones_fix_t;

/** Additional data for an RRset: the A/AAAA of the name in RR \p rr's RDATA. */
typedef struct {
	uint16_t rr;       /*!< which RR of the RRset names the target */
	uint16_t name_off; /*!< offset of the target name inside that RR's RDATA */
	uint32_t node;     /*!< the target's node */
	uint8_t mandatory; /*!< in-domain glue of a referral (RFC 9471: TC when it does not fit) */
} zones_add_t;

enum {
	ZONES_N_APEX = 1 << 0,
	ZONES_N_DELEG = 1 << 1,    /*!< NS at a non-apex name: a zone cut */
	ZONES_N_DNAME = 1 << 2,
	ZONES_N_CNAME = 1 << 3,
	ZONES_N_OCCLUDED = 1 << 4, /*!< at or below a cut / below a DNAME: not authoritative */
	ZONES_N_ENT = 1 << 5,      /*!< empty non-terminal */
	ZONES_N_NSEC3 = 1 << 6,    /*!< an NSEC3 owner: not a name of the zone (RFC 5155 7.2.8) */
};

/** How a compiled zone proves denial (RFC 4035 3.1.3, RFC 5155 7.2). */
enum { ZONES_DENIAL_NONE = 0, ZONES_DENIAL_NSEC = 1, ZONES_DENIAL_NSEC3 = 2 };

typedef struct {
	uint32_t name;     /*!< offset of the lowercase wire name in zone->wire */
	uint32_t hash;
	uint8_t namelen;
	uint8_t labels;
	uint16_t flags;
	uint32_t rrset;    /*!< first index in zone->rrsets; sorted by type */
	uint32_t nrrset;
	uint32_t stop;     /*!< highest delegation (ancestor-or-self) or DNAME (strict ancestor) on
	                    *   the way down from the apex, where lookup stops; ZONES_NONE if none */
	uint32_t wild;     /*!< the node "*.<this name>" or ZONES_NONE */
	uint32_t cname;    /*!< offset in wire of the lowercase CNAME/DNAME target, or ZONES_NONE */
	uint32_t denial;   /*!< node whose NSEC/NSEC3 matches this name (NSEC: covers it, for
	                    *   an empty non-terminal), or ZONES_NONE */
	uint32_t wc_denial;/*!< node whose NSEC/NSEC3 covers (or matches) "*.<this name>" */
} zones_node_t;

typedef struct zones_czone {
	uint32_t refs;     /*!< snapshots holding this zone (builder thread only) */
	uint32_t serial;
	const uint8_t *apex;
	uint8_t apexlen, apexlabels;
	uint32_t apex_node;
	uint32_t soa;      /*!< rrset index of the apex SOA */
	uint32_t neg_soa;  /*!< rrset index of the SOA with the RFC 2308 negative TTL */
	zones_node_t *nodes;
	uint32_t nnodes;
	uint32_t *table;   /*!< open-addressing hash table of node indexes */
	uint32_t tmask;
	zones_rrset_t *rrsets;
	zones_fix_t *fix;
	zones_add_t *add;
	uint8_t *wire;
	size_t memsize;    /*!< bytes held, for statistics */
	uint8_t denial_kind;     /*!< ZONES_DENIAL_* */
	uint8_t nsec3_saltlen;
	uint16_t nsec3_iterations;
	uint32_t nsec3_salt;     /*!< offset in wire */
	uint32_t *chain;         /*!< NSEC/NSEC3 owner nodes, in canonical or hash order */
	uint8_t (*chain_hash)[20]; /*!< NSEC3: their hashes, parallel to chain */
	uint32_t nchain;
	void *ext;               /*!< the server's per-zone settings (transfer ACL, NOTIFY), or NULL */
	void (*ext_free)(void *ext);
} zones_czone_t;

/** \brief Compile sorted, validated content.  \retval 0, DNS_ENOMEM, DNS_ESPACE (zone too big) */
_mustcheck_ int zones_czone_build(const zones_content_t *c, uint32_t serial, zones_czone_t **out);
void zones_czone_free(zones_czone_t *z);

/** \brief Find the node of exactly \p name (lowercase wire). \retval node index or ZONES_NONE */
static inline uint32_t zones_czone_find(const zones_czone_t *z, const uint8_t *name, size_t len,
                                        uint32_t hash)
{
	for (uint32_t i = hash & z->tmask;; i = (i + 1) & z->tmask) {
		uint32_t n = z->table[i];
		if (n == ZONES_NONE)
			return ZONES_NONE;
		const zones_node_t *nd = &z->nodes[n];
		if (nd->hash == hash && nd->namelen == len &&
		    __builtin_memcmp(z->wire + nd->name, name, len) == 0)
			return n;
	}
}

/** \brief The RRset of \p type at node \p n, or NULL. */
static inline const zones_rrset_t *zones_node_rrset(const zones_czone_t *z, const zones_node_t *n,
                                                    uint16_t type)
{
	for (uint32_t i = 0; i < n->nrrset; i++)
		if (z->rrsets[n->rrset + i].type == type)
			return &z->rrsets[n->rrset + i];
	return NULL;
}

/** A set of compiled zones with a hash table of their apexes. Immutable once built. */
typedef struct {
	zones_czone_t **zones;
	uint32_t nzones;
	uint32_t *table;
	uint32_t tmask;
	uint64_t generation; /*!< increases with every snapshot built */
	dns_tsig_key_t *tsig; /*!< the TSIG keys of the state (owned, freed with the snapshot) */
	uint32_t ntsig;
	uint32_t pins;       /*!< outgoing transfers using it (main thread only): not reclaimed */
} zones_snapshot_t;

/**
 * \brief Build a snapshot of \p n zones (takes a reference on each).
 * \retval 0, DNS_ENOMEM
 */
_mustcheck_ int zones_snapshot_new(zones_czone_t **zones, uint32_t n, uint64_t generation,
                                   zones_snapshot_t **out);
/** \brief Drop the snapshot and its references; frees zones nobody else holds. */
void zones_snapshot_free(zones_snapshot_t *s);
/** \brief The zone whose apex is exactly \p name, or NULL. */
static inline zones_czone_t *zones_snapshot_get(const zones_snapshot_t *s, const uint8_t *name,
                                                size_t len, uint32_t hash)
{
	if (!s->nzones)
		return NULL;
	for (uint32_t i = hash & s->tmask;; i = (i + 1) & s->tmask) {
		uint32_t n = s->table[i];
		if (n == ZONES_NONE)
			return NULL;
		zones_czone_t *z = s->zones[n];
		if (z->apexlen == len && __builtin_memcmp(z->apex, name, len) == 0)
			return z;
	}
}

/* ---- operations: one LMDB write transaction each (dnsctl's verbs) ------------- */

/**
 * \brief Create zone \p c->apex with the (validated) content \p c.
 * \retval 0, DNS_EDUPZONE, MDB_*
 */
_mustcheck_ int zones_op_add(dns_state_t *st, const zones_content_t *c, const char *policy);
/**
 * \brief Create \p n zones in one transaction: all of them or none.
 * \retval 0; DNS_EDUPZONE with \p *failed the index of a zone that exists; MDB_*
 */
_mustcheck_ int zones_op_add_many(dns_state_t *st, zones_content_t *const *c, size_t n,
                                  const char *policy, size_t *failed);
/** \brief Replace the static records of an existing zone. Records of \p c that
 * equal generated ones (a zone export read back) are dropped from \p c; their
 * number goes to \p *generated. \retval 0, DNS_ENOZONE, DNS_ECONFLICT (zones_op_error), MDB_* */
_mustcheck_ int zones_op_import(dns_state_t *st, zones_content_t *c, size_t *generated);
/** \brief Set the zone's own transfer ACL and NOTIFY targets (NULL: unchanged; "" = the
 * config's defaults). \retval 0, DNS_ENOZONE, MDB_* */
_mustcheck_ int zones_op_xfr_set(dns_state_t *st, const uint8_t *apex, const char *transfer,
                                 const char *notify);
/** \brief Change the DNSSEC policy ("" = unsigned). \retval 0, DNS_ENOZONE, MDB_* */
_mustcheck_ int zones_op_policy_set(dns_state_t *st, const uint8_t *apex, const char *policy);
/** \retval 0, DNS_ENOZONE, MDB_* */
_mustcheck_ int zones_op_remove(dns_state_t *st, const uint8_t *apex);

/** Outcome of a record change, for the caller's message. */
typedef enum { ZONES_CHANGED, ZONES_UNCHANGED, ZONES_TTL_CHANGED } zones_change_t;

/**
 * \brief Add one RR; the zone must stay valid (same checks as an import).
 * An RRset's TTL follows the new RR (RFC 2181 5.2).
 * \retval 0 with \p *what set; DNS_ENOZONE; a validation error with \p err
 *         naming the record
 */
_mustcheck_ int zones_op_record_add(dns_state_t *st, const uint8_t *apex, const zones_rr_t *rr,
                                    zones_change_t *what, char *err, size_t errlen);
/**
 * \brief Delete the RR with \p rdata, or the whole RRset when \p rdata is NULL.
 * \retval 0, DNS_ENOZONE, DNS_ENORECORD, or a validation error (e.g. the last
 *         apex NS, the SOA) with \p err
 */
_mustcheck_ int zones_op_record_del(dns_state_t *st, const uint8_t *apex, const uint8_t *owner,
                                    uint16_t type, const uint8_t *rdata, uint16_t rdlen,
                                    char *err, size_t errlen);
/**
 * \brief Load a zone as served: its records with the serial dnsd serves.
 * \param served  set when dnsd has built the current content
 * \retval 0, DNS_ENOZONE, MDB_*
 */
_mustcheck_ int zones_op_load_served(dns_state_t *st, const uint8_t *apex, zones_content_t *c,
                                     zones_settings_t *settings, zones_served_t *sv,
                                     bool *served);

/* ---- NSEC3 hashing (zones/nsec3.c: no allocation, safe on the query path) ----- */

void zones_sha1(const uint8_t *data, size_t len, uint8_t out[20]);
/** \brief RFC 5155 5 hash of a lowercase wire name of \p len octets. */
void zones_nsec3_hash(const uint8_t *lowname, size_t len, const uint8_t *salt, uint8_t saltlen,
                      uint16_t iterations, uint8_t out[20]);

/* ---- denial chains (compiled zones; used by the builder and the engine) ---- */

/** \brief In hash order: the index of the last hash <= \p h, wrapping to the
 * last entry when \p h sorts before all (RFC 5155 7.2: the covering NSEC3). */
static inline uint32_t zones_chain_hash_le(const uint8_t (*hashes)[20], uint32_t n,
                                           const uint8_t h[20])
{
	uint32_t lo = 0, hi = n; /* first index with hash > h */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (__builtin_memcmp(hashes[mid], h, 20) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? n - 1 : lo - 1;
}

/** \brief In canonical order: the index of the last NSEC owner <= \p name, wrapping
 * (RFC 4034 4.1.1: the NSEC that covers a name). */
static inline uint32_t zones_chain_name_le(const uint8_t *wire, const zones_node_t *nodes,
                                           const uint32_t *chain, uint32_t n, const uint8_t *name)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (zones_name_cmp(wire + nodes[chain[mid]].name, name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? n - 1 : lo - 1;
}
