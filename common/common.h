/* SPDX-License-Identifier: MIT */
/**
 * \file
 * \brief Shared foundation: error codes, logging, the LMDB state and wire buffers.
 *
 * This is the only header other folders include from common/.
 *
 * Errors: every fallible function returns int, 0 on success or a negative
 * code: a negated errno (libuv codes pass through unchanged), one of the
 * DNS_E* codes below (from -1000 down) or an LMDB code (MDB_*, which are
 * negative too).  dns_strerror() knows all three.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>

#define _mustcheck_ __attribute__((warn_unused_result))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

/* ---- errors -------------------------------------------------------------- */

enum {
	DNS_EOK = 0,
	DNS_ENOMEM = -ENOMEM,
	DNS_EINVAL = -EINVAL,
	DNS_EEXIST = -EEXIST,
	DNS_ENOENT = -ENOENT,
	DNS_EACCES = -EACCES,
	DNS_EMALF = -1000,      /*!< malformed data (packet, record, stored value) */
	DNS_ESPACE = -1001,     /*!< output buffer too small */
	DNS_EPARSE = -1002,     /*!< zone file or presentation format unparsable */
	DNS_EOUTOFZONE = -1003, /*!< record owner outside the zone */
	DNS_ECNAME = -1004,     /*!< CNAME beside other data (RFC 2181 10.1) */
	DNS_ENOSOA = -1005,     /*!< zone has no SOA at its apex, or more than one */
	DNS_ENONS = -1006,      /*!< zone has no NS at its apex */
	DNS_ENAMELEN = -1007,   /*!< name or label too long */
	DNS_ESCHEMA = -1008,    /*!< state written by a newer (or unknown) version */
	DNS_ECRYPTO = -1009,    /*!< OpenSSL failure */
	DNS_EDB = -1010,        /*!< LMDB failure not covered by an MDB_* code */
	DNS_ENOZONE = -1011,    /*!< no such zone */
	DNS_ENORECORD = -1012,  /*!< no such record */
	DNS_EDUPZONE = -1013,   /*!< zone already exists */
	DNS_ETYPE = -1014,      /*!< unknown or unusable RR type */
	DNS_ECONFIG = -1015,    /*!< bad configuration */
	DNS_EDNAME = -1016,     /*!< DNAME with data below it or at the apex */
	DNS_ESINGLETON = -1017, /*!< second RR of a singleton type (SOA, CNAME, DNAME) */
	DNS_ETTL = -1018,       /*!< TTL out of range */
	DNS_EAPEX = -1019,      /*!< record not allowed at or away from the apex */
	DNS_ECONFLICT = -1020,  /*!< static and generated (mail) records collide */
	DNS_ENOMAIL = -1021,    /*!< no such mail domain */
	DNS_ENOHOST = -1022,    /*!< no such mail host */
	DNS_EINUSE = -1023,     /*!< still used by something else */
};

/** \brief Describe any error code of the project (DNS_E*, negated errno, MDB_*). */
const char *dns_strerror(int err);

/* ---- logging ------------------------------------------------------------- */

typedef enum { DNS_LOG_ERROR = 0, DNS_LOG_WARNING, DNS_LOG_INFO, DNS_LOG_DEBUG } dns_log_level_t;

/**
 * \brief Configure logging: to stderr (with timestamps) or to syslog.
 * Thread-safe to call log functions from any thread after this.
 */
void dns_log_init(const char *ident, dns_log_level_t level, bool use_syslog);
/** \brief For command-line tools: "IDENT: level: message" on stderr, warnings and up. */
void dns_log_init_tool(const char *ident);
void dns_log_level_set(dns_log_level_t level);
dns_log_level_t dns_log_level_get(void);
void dns_log(dns_log_level_t level, const char *fmt, ...) _printf_(2, 3);
#define dns_log_error(...) dns_log(DNS_LOG_ERROR, __VA_ARGS__)
#define dns_log_warning(...) dns_log(DNS_LOG_WARNING, __VA_ARGS__)
#define dns_log_info(...) dns_log(DNS_LOG_INFO, __VA_ARGS__)
#define dns_log_debug(...) \
	do { if (dns_log_level_get() >= DNS_LOG_DEBUG) dns_log(DNS_LOG_DEBUG, __VA_ARGS__); } while (0)

/* ---- the LMDB state -------------------------------------------------------- */

/** Named databases of the state environment (DESIGN.md section 3). */
typedef enum {
	DNS_DB_META = 0, /*!< "schema" -> u32 version */
	DNS_DB_ZONES,    /*!< zone apex (wire) -> zone settings, written by dnsctl */
	DNS_DB_RECORDS,  /*!< zone apex | owner labels | 0 | type -> ttl + rdata set */
	DNS_DB_SERVED,   /*!< zone apex -> serial and content digest, written by dnsd only */
	DNS_DB_KEYS,     /*!< zone apex | key id -> DNSSEC key with its timing events */
	DNS_DB_SIGS,     /*!< zone apex | owner | type | alg | tag -> RRSIG, written by dnsd only */
	DNS_DB_GENERATED,/*!< like records, for the records the mail core generates */
	DNS_DB_MAIL,     /*!< mail domains, hosts and DKIM keys (mailcore) */
	DNS_DB_TSIG,     /*!< TSIG key name (wire) -> algorithm and secret (RFC 8945) */
	DNS_DB_XFR,      /*!< zone apex | owner | 0 | type -> the RRs as last served (dnsd) */
	DNS_DB_JOURNAL,  /*!< zone apex | sequence -> one serial change: RRs out, RRs in (dnsd) */
	DNS_DB_COUNT
} dns_db_t;

/* ---- TSIG keys (common/tsigkeys.c) ---------------------------------------- */

/** A TSIG key (RFC 8945) as stored; the secret never goes to logs. */
typedef struct {
	uint8_t name[255];   /*!< lowercase wire name */
	uint8_t alg;         /*!< DNS_TSIG_* */
	uint8_t secret[128];
	uint16_t secretlen;
} dns_tsig_key_t;

enum { DNS_TSIG_SHA256 = 0, DNS_TSIG_SHA384, DNS_TSIG_SHA512, DNS_TSIG_SHA224, DNS_TSIG_SHA1 };

/** Schema version this build writes and reads. */
#define DNS_STATE_SCHEMA 2u

typedef struct dns_state dns_state_t;       /* opaque */
typedef struct dns_state_txn dns_state_txn_t; /* opaque; one per thread at a time */

/**
 * \brief Open (and create, mode 0700, if missing) the state directory \p dir.
 * \param readonly  open without creating anything; for inspection tools
 * \retval 0, \p *out owns the handle (dns_state_close).
 * \retval DNS_EACCES  the directory is group/world accessible or not ours
 * \retval DNS_ESCHEMA the state was written by a newer version
 * \retval negated errno or MDB_* on other failures
 */
_mustcheck_ int dns_state_open(const char *dir, bool readonly, dns_state_t **out);
void dns_state_close(dns_state_t *st);
const char *dns_state_dir(const dns_state_t *st);

/** \brief Id of the last committed write transaction (cheap; for change polling). */
uint64_t dns_state_last_txnid(dns_state_t *st);

/**
 * \brief Let the kernel drop this process's mapping of pages it has read, so
 * reading a big state once (at startup) does not stay in our resident size.
 * Safe at any time, also inside transactions: pages fault back in on use.
 */
void dns_state_pages_release(dns_state_t *st);

/** \brief Begin a read-only transaction. \retval 0 or MDB_* code. */
_mustcheck_ int dns_state_read_begin(dns_state_t *st, dns_state_txn_t **out);
/** \brief The id of the committed state a read transaction sees (or of the
 * write transaction being built), comparable with dns_state_last_txnid(). */
uint64_t dns_state_txn_id(const dns_state_txn_t *txn);
/** \brief End a read transaction (never fails). Pointers from dns_state_get die here. */
void dns_state_read_end(dns_state_txn_t *txn);

/**
 * \brief Run \p fn inside one write transaction and commit it.
 *
 * Everything \p fn does commits together or not at all.  When the map is full
 * the transaction is aborted, the map grown and \p fn run again from scratch,
 * so \p fn must not keep side effects outside the transaction.
 * \retval whatever \p fn returned when non-zero (the transaction is aborted),
 *         otherwise 0 or the commit's error.
 */
_mustcheck_ int dns_state_write(dns_state_t *st, int (*fn)(dns_state_txn_t *txn, void *arg),
                                void *arg);

/** \brief Fetch a value; \p val points into the map until the transaction ends.
 * \retval 0, DNS_ENOENT, or MDB_* */
_mustcheck_ int dns_state_get(dns_state_txn_t *txn, dns_db_t db, const void *key, size_t klen,
                              const void **val, size_t *vlen);
/** \retval 0 or MDB_* (write transactions only) */
_mustcheck_ int dns_state_put(dns_state_txn_t *txn, dns_db_t db, const void *key, size_t klen,
                              const void *val, size_t vlen);
/** \retval 0, DNS_ENOENT or MDB_* */
_mustcheck_ int dns_state_del(dns_state_txn_t *txn, dns_db_t db, const void *key, size_t klen);

/**
 * \brief Visit every key starting with \p prefix, in key order.
 * \param fn  returns 0 to go on, >0 to stop (then dns_state_scan returns 0), <0 error
 * \retval 0, the callback's negative code, or MDB_*
 */
_mustcheck_ int dns_state_scan(dns_state_txn_t *txn, dns_db_t db, const void *prefix, size_t plen,
                               int (*fn)(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
                                         void *arg),
                               void *arg);
/** \brief Delete every key starting with \p prefix. \retval 0 or MDB_* */
_mustcheck_ int dns_state_del_prefix(dns_state_txn_t *txn, dns_db_t db, const void *prefix,
                                     size_t plen);

/* ---- wire buffers ------------------------------------------------------------ */

/** Big-endian helpers; DNS wire data is network order (RFC 1035 2.3.2). */
static inline uint16_t dns_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t dns_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void dns_put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v & 0xff; }
static inline void dns_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = (v >> 16) & 0xff; p[2] = (v >> 8) & 0xff; p[3] = v & 0xff;
}
static inline uint64_t dns_get64(const uint8_t *p)
{
	return (uint64_t)dns_get32(p) << 32 | dns_get32(p + 4);
}
static inline void dns_put64(uint8_t *p, uint64_t v) { dns_put32(p, v >> 32); dns_put32(p + 4, (uint32_t)v); }

/**
 * A growable byte buffer for building things off the query path
 * (never used by the query engine, which writes into fixed buffers).
 */
typedef struct {
	uint8_t *data;
	size_t len, cap;
	int err; /*!< sticky: first allocation failure, checked once at the end */
} dns_buf_t;

void dns_buf_init(dns_buf_t *b);
void dns_buf_deinit(dns_buf_t *b);
/** \brief Ensure room for \p n more bytes; returns a pointer to them or NULL (sets b->err). */
uint8_t *dns_buf_reserve(dns_buf_t *b, size_t n);
void dns_buf_append(dns_buf_t *b, const void *p, size_t n);
void dns_buf_u8(dns_buf_t *b, uint8_t v);
void dns_buf_u16(dns_buf_t *b, uint16_t v);
void dns_buf_u32(dns_buf_t *b, uint32_t v);

/* ---- small utilities --------------------------------------------------------- */

/** \brief Monotonic time in milliseconds. */
uint64_t dns_now_ms(void);
/** \brief Fill \p buf from the system CSPRNG. \retval 0 or negated errno */
_mustcheck_ int dns_random_bytes(void *buf, size_t len);

/* ---- the control socket of a running dnsd --------------------------------- */

/**
 * \brief Send one command line to the dnsd serving \p dir and read its reply line.
 * \retval 0 with \p reply set; -ENOENT or -ECONNREFUSED when no dnsd runs there;
 *         -ETIMEDOUT, or another negated errno
 */
_mustcheck_ int dns_control_request(const char *dir, const char *cmd, char *reply, size_t len,
                                    int timeout_ms);

/* ---- configuration files ------------------------------------------------------ */

/** One setting: \p section is "" at the top of the file, else "KIND NAME";
 * at a section header the callback gets \p key and \p val NULL. */
typedef int (*dns_conf_fn_t)(const char *section, const char *key, char *val, void *arg,
                             char *why, size_t wl);

/**
 * \brief Read a "key value" file (see common/conffile.c for the syntax) and call
 * \p fn for every setting, in order.  \p fn returns 0, or non-zero with \p why
 * explaining the problem (without file and line: they are added).
 * \param must_exist  false: a missing file is no error (an optional default path)
 * \retval 0, DNS_ECONFIG or a negated errno, with \p err = "FILE:LINE: reason"
 */
_mustcheck_ int dns_conf_parse(const char *path, bool must_exist, dns_conf_fn_t fn, void *arg,
                               char *err, size_t errlen);

/** \brief Parse "ADDR", "ADDR@PORT" or "[V6]:PORT" (numeric addresses; port 53 when
 * none). \retval 0, DNS_EINVAL */
_mustcheck_ int dns_server_parse(const char *s, char *addr, size_t addrlen, uint16_t *port);

/* ---- TSIG key store (DNS_DB_TSIG) ------------------------------------------- */

/** \brief "hmac-sha256" (final dot optional, any case) -> DNS_TSIG_*, or -1. */
int dns_tsig_alg_parse(const char *name);
/** \brief DNS_TSIG_* -> "hmac-sha256", or NULL. */
const char *dns_tsig_alg_name(int alg);
/** \brief Digest length of the algorithm's HMAC (the largest useful secret). */
size_t dns_tsig_alg_size(int alg);
/** \retval 0, DNS_ENOENT, DNS_ESCHEMA, MDB_* */
_mustcheck_ int dns_tsig_get(dns_state_txn_t *txn, const uint8_t *name, dns_tsig_key_t *out);
_mustcheck_ int dns_tsig_put(dns_state_txn_t *txn, const dns_tsig_key_t *k);
/** \retval 0, DNS_ENOENT, MDB_* */
_mustcheck_ int dns_tsig_del(dns_state_txn_t *txn, const uint8_t *name);
/** \brief Every key, in name order. */
_mustcheck_ int dns_tsig_each(dns_state_txn_t *txn, int (*fn)(const dns_tsig_key_t *k, void *arg),
                              void *arg);
