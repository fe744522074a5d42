/* SPDX-License-Identifier: MIT */
/**
 * \file mailcore.h
 * \brief The mail core (DESIGN.md section 6): mail domains, mail hosts and
 * DKIM keys in the LMDB state, and the records generated from them.
 *
 * An operator describes the mail setup once: which hosts take mail (with
 * their addresses and TLS certificates) and which domains use them, with
 * their policies. Every mail record (MX, SPF, DKIM, DMARC, TLSA, MTA-STS,
 * TLS-RPT, SRV, autoconfig, CAA) is derived from that state in the same
 * write transaction that changes it (mailcore_sync), so DNS never drifts
 * from the mail configuration.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "zones/zones.h"

#define MAILCORE_MAX_MX 8      /*!< mail hosts per domain */
#define MAILCORE_MAX_ADDR 8    /*!< addresses per host and family */
#define MAILCORE_TEXT 512      /*!< free-text settings (SPF extras, report addresses) */

/* ---- mail hosts ----------------------------------------------------------- */

typedef struct {
	uint8_t name[ZONES_NAME_MAX]; /*!< lowercase wire name */
	uint16_t pref;                /*!< MX preference, default 10 */
	uint8_t n4, n6;
	uint8_t a4[MAILCORE_MAX_ADDR][4];
	uint8_t a6[MAILCORE_MAX_ADDR][16];
	char cert[2][256];            /*!< certificate files: current and next ("" = none) */
	uint8_t spki[2][32];          /*!< SHA-256 of their SubjectPublicKeyInfo (TLSA 3 1 1) */
	uint32_t ttl;
} mailcore_host_t;

/* ---- mail domains --------------------------------------------------------- */

enum { MAILCORE_SPF_MX = 0, MAILCORE_SPF_IP = 1 };
enum { MAILCORE_DMARC_NONE = 0, MAILCORE_DMARC_QUARANTINE = 1, MAILCORE_DMARC_REJECT = 2 };
enum { MAILCORE_STS_OFF = 0, MAILCORE_STS_TESTING = 1, MAILCORE_STS_ENFORCE = 2 };
enum { MAILCORE_DKIM_RSA = 1, MAILCORE_DKIM_ED25519 = 2 }; /* algorithm ids and mask bits */

typedef struct {
	uint8_t name[ZONES_NAME_MAX];
	uint32_t ttl;                 /*!< of every generated record, default 3600 */
	bool no_mail;                 /*!< RFC 7505 null MX, SPF "-all", DMARC reject */
	uint8_t nmx;                  /*!< 0 = every mail host */
	uint8_t mx[MAILCORE_MAX_MX][ZONES_NAME_MAX];
	uint8_t spf_mode;             /*!< MAILCORE_SPF_* */
	bool spf_soft;                /*!< "~all" instead of "-all" */
	char spf_extra[MAILCORE_TEXT];/*!< more mechanisms, e.g. "include:_spf.example.net" */
	uint8_t dmarc;                /*!< MAILCORE_DMARC_* policy */
	bool dmarc_strict;            /*!< adkim=s; aspf=s */
	char rua[MAILCORE_TEXT];      /*!< aggregate report addresses, comma separated */
	char ruf[MAILCORE_TEXT];      /*!< failure report addresses */
	uint8_t sts;                  /*!< MAILCORE_STS_* */
	uint32_t sts_max_age;
	char tlsrpt[MAILCORE_TEXT];   /*!< TLS-RPT rua (mailto: or https:), "" = none */
	uint8_t clients[ZONES_NAME_MAX]; /*!< IMAP/submission host for RFC 6186 SRV, or root */
	bool pop3;
	uint8_t autoconfig[ZONES_NAME_MAX]; /*!< web host of autoconfig/autodiscover, or root */
	char caa[MAILCORE_TEXT];      /*!< CA domains allowed to issue, comma separated */
	char caa_iodef[MAILCORE_TEXT];
	uint8_t dkim_algs;            /*!< MAILCORE_DKIM_* mask */
	uint32_t dkim_rotate;         /*!< seconds a key is active before its successor comes */
	uint32_t dkim_retire;         /*!< seconds a replaced key stays published */
	uint32_t dkim_revoke;         /*!< seconds its empty "p=" record stays */
} mailcore_domain_t;

/** \brief Defaults for a new domain (named \p name, lowercase wire). */
void mailcore_domain_defaults(mailcore_domain_t *d, const uint8_t *name);
void mailcore_host_defaults(mailcore_host_t *h, const uint8_t *name);

/* ---- DKIM keys ------------------------------------------------------------ */

/** RFC 6376 key lifecycle as this project runs it (DESIGN.md section 6). */
typedef enum {
	MAILCORE_KEY_CREATED = 0,   /*!< TXT in the zone, not yet seen served everywhere */
	MAILCORE_KEY_PUBLISHED = 1, /*!< served by dnsd and every secondary; waiting one TTL */
	MAILCORE_KEY_ACTIVE = 2,    /*!< the MTA signs with it */
	MAILCORE_KEY_RETIRED = 3,   /*!< replaced; still published for mail in flight */
	MAILCORE_KEY_REVOKED = 4,   /*!< published with an empty p= (RFC 6376 3.6.1) */
} mailcore_key_state_t;

typedef struct {
	uint8_t domain[ZONES_NAME_MAX];
	char selector[64];
	uint8_t alg;                  /*!< MAILCORE_DKIM_RSA or _ED25519 */
	uint8_t state;                /*!< mailcore_key_state_t */
	int64_t created, published, active, retired, revoked; /*!< unix times, 0 = not yet */
	uint16_t publen, privlen;
	uint8_t pub[600];             /*!< RSA: SubjectPublicKeyInfo DER; Ed25519: 32 octets */
	uint8_t priv[1400];           /*!< RSA: PKCS#8 DER; Ed25519: the 32-octet seed */
} mailcore_key_t;

const char *mailcore_key_state_name(int state);
const char *mailcore_alg_name(int alg);

/** \brief Make a new key for \p domain (selector "YYYYMMDD-rsa" / "-ed25519",
 * suffixed when taken). \retval 0, DNS_ECRYPTO */
_mustcheck_ int mailcore_key_generate(const uint8_t *domain, int alg, int64_t now,
                                      mailcore_key_t *out);

/** What the DKIM timing asks for one domain (mailcore_dkim_plan). */
typedef struct {
	uint8_t create;    /*!< MAILCORE_DKIM_* mask of algorithms needing a new key */
	bool changed;      /*!< some key changed state (write them back) */
	bool drop[16];     /*!< keys to delete (past their revocation period) */
	int64_t next;      /*!< when to look again, 0 = nothing scheduled */
	bool waiting;      /*!< a created key waits to be seen served: probe soon */
} mailcore_dkim_plan_t;

/**
 * \brief The DKIM timing: a pure function of the keys, the domain's policy,
 * the time and which created keys are now served everywhere (\p served[i]).
 * Moves key states forward in \p keys and says what else to do.
 * created -> published (served) -> active (after the TTL) -> retired (when its
 * successor becomes active) -> revoked (after dkim_retire) -> dropped (after
 * dkim_revoke). A key older than dkim_rotate gets a successor.
 */
void mailcore_dkim_plan(mailcore_key_t *keys, size_t n, const mailcore_domain_t *d,
                        const bool *served, int64_t now, mailcore_dkim_plan_t *out);

/** \brief Where a key's TXT record lives: SELECTOR._domainkey.DOMAIN (wire). */
int mailcore_key_owner(const mailcore_key_t *k, uint8_t out[ZONES_NAME_MAX]);

/** \brief The DKIM TXT RDATA text of a key ("v=DKIM1; k=...; p=..."). */
int mailcore_key_txt(const mailcore_key_t *k, char *out, size_t len);

/* ---- the state ------------------------------------------------------------ */

_mustcheck_ int mailcore_domain_get(dns_state_txn_t *txn, const uint8_t *name,
                                    mailcore_domain_t *out);
_mustcheck_ int mailcore_domain_put(dns_state_txn_t *txn, const mailcore_domain_t *d);
_mustcheck_ int mailcore_host_get(dns_state_txn_t *txn, const uint8_t *name, mailcore_host_t *out);
_mustcheck_ int mailcore_host_put(dns_state_txn_t *txn, const mailcore_host_t *h);
/** \brief Visit every domain / host / key of a domain (NULL = all keys). */
_mustcheck_ int mailcore_domain_each(dns_state_txn_t *txn,
                                     int (*fn)(const mailcore_domain_t *d, void *arg), void *arg);
_mustcheck_ int mailcore_host_each(dns_state_txn_t *txn,
                                   int (*fn)(const mailcore_host_t *h, void *arg), void *arg);
/** \brief Load up to \p max keys of \p domain. \retval count, or < 0 error */
int mailcore_keys_load(dns_state_txn_t *txn, const uint8_t *domain, mailcore_key_t *keys,
                       size_t max);
_mustcheck_ int mailcore_key_put(dns_state_txn_t *txn, const mailcore_key_t *k);
_mustcheck_ int mailcore_key_del(dns_state_txn_t *txn, const mailcore_key_t *k);

/* ---- rendering: the generated records ------------------------------------ */

/**
 * \brief Regenerate the mail records of the zones \p apexes (NULL, 0 = every
 * zone) in a write transaction, bumping the generation of each zone whose
 * records change. Fails with one line in \p err (DNS_ECONFLICT naming both
 * sides, DNS_EOUTOFZONE for a domain outside every zone, DNS_EINVAL for an SPF
 * record over the RFC 7208 limits), leaving the transaction to be aborted.
 */
_mustcheck_ int mailcore_sync(dns_state_txn_t *txn, const uint8_t *const *apexes, size_t n,
                              char *err, size_t errlen);

/** \brief The zones hook dnsctl installs (zones_hook_set). */
int mailcore_zone_hook(dns_state_txn_t *txn, const uint8_t *apex, bool removed, char *err,
                       size_t errlen);

/** \brief The closest hosted zone at or above \p name, into \p apex. \retval 0, DNS_ENOZONE */
_mustcheck_ int mailcore_zone_of(dns_state_txn_t *txn, const uint8_t *name,
                                 uint8_t apex[ZONES_NAME_MAX]);

/** \brief The domain's SPF record text as generated. */
int mailcore_spf_text(const mailcore_domain_t *d, const mailcore_host_t *hosts, size_t nhosts,
                      char *out, size_t len);
/** \brief The MTA-STS policy file text (RFC 8461 3.2) and its id (the TXT's id=). */
int mailcore_sts_policy(const mailcore_domain_t *d, const mailcore_host_t *hosts, size_t nhosts,
                        char *out, size_t len, char id[33]);
/** \brief The MX hosts of a domain, resolved (every host when none named). \retval count */
size_t mailcore_domain_mx(const mailcore_domain_t *d, const mailcore_host_t *all, size_t nall,
                          const mailcore_host_t **out);

/** All mail hosts, loaded once per operation. */
typedef struct {
	mailcore_host_t *h;
	size_t n, cap;
} mailcore_hosts_t;

int mailcore_hosts_load(dns_state_txn_t *txn, mailcore_hosts_t *hs);
void mailcore_hosts_free(mailcore_hosts_t *hs);

/** \brief Domain part of "mailto:user@domain" / "user@domain" into \p out (wire), 0 if found. */
int mailcore_addr_domain(const char *addr, uint8_t out[ZONES_NAME_MAX]);

typedef struct {
	zones_gen_tag_t *tags;
	size_t n;
} mailcore_tags_t;

/** \brief Every record the domain and its MX hosts generate into hosted zones
 * (rr[].line indexes \p tags): what dnsctl check expects servers to serve. */
int mailcore_render_domain(dns_state_txn_t *txn, const mailcore_domain_t *d, zones_content_t *out,
                       mailcore_tags_t *tags, char *err, size_t errlen);
void mailcore_tags_free(mailcore_tags_t *t);

/** \brief The text of TXT RDATA, its strings joined. \retval length or -1 */
int mailcore_txt_join(const uint8_t *rd, size_t len, char *out, size_t outlen);

/* ---- TLS certificates (DANE, RFC 7671 / RFC 6698 3 1 1) ------------------ */

/** \brief SHA-256 of the SubjectPublicKeyInfo of the first certificate in the PEM file
 * \p path. \retval 0, DNS_ENOENT, DNS_EPARSE (+ one line in err) */
_mustcheck_ int mailcore_cert_spki(const char *path, uint8_t out[32], char *err, size_t errlen);

/* ---- SPF (mailcore/spf.c) -------------------------------------------------- */

#include "mailcore/spf.h"

/* ---- operations: one write transaction each (dnsctl's verbs) ------------- */

/** What an operation changes; fields unset keep their value. */
typedef enum {
	MAILCORE_OP_ADD,     /*!< the object must not exist */
	MAILCORE_OP_SET,     /*!< the object must exist */
	MAILCORE_OP_REMOVE,
} mailcore_op_t;

/**
 * \brief Add, change or remove a domain: \p apply edits the stored (or default)
 * domain; its keys are created, the records regenerated, all in one
 * transaction. \p names / \p n: several domains with the same edit (batch).
 * \retval 0, DNS_EEXIST, DNS_ENOMAIL, DNS_ECONFLICT, DNS_EINVAL, ... + err
 */
_mustcheck_ int mailcore_op_domain(dns_state_t *st, mailcore_op_t op, const uint8_t *const *names,
                                   size_t n, int (*apply)(mailcore_domain_t *d, void *arg,
                                                          char *err, size_t errlen),
                                   void *arg, char *err, size_t errlen);
_mustcheck_ int mailcore_op_host(dns_state_t *st, mailcore_op_t op, const uint8_t *name,
                                 int (*apply)(mailcore_host_t *h, void *arg, char *err,
                                              size_t errlen),
                                 void *arg, char *err, size_t errlen);
/** \brief Start a DKIM rollover now: a new key per algorithm of the domain. */
_mustcheck_ int mailcore_op_dkim_rotate(dns_state_t *st, const uint8_t *domain, char *err,
                                        size_t errlen);
/** \brief Re-read every host's certificate files and regenerate what changed. */
_mustcheck_ int mailcore_op_tls_refresh(dns_state_t *st, char *err, size_t errlen);

/* ---- the DKIM timer (dnsd) ------------------------------------------------- */

/** Asks whether a created key's TXT is served by dnsd and every secondary. */
typedef bool (*mailcore_probe_fn)(const mailcore_key_t *k, const uint8_t *apex, void *arg);

/**
 * \brief Run the DKIM timing for every domain at \p now, committing what
 * changes (one transaction per domain) and creating successor keys.
 * \p *next receives when to run again (0 = nothing pending).
 */
_mustcheck_ int mailcore_dkim_tick(dns_state_t *st, int64_t now, mailcore_probe_fn probe,
                                   void *arg, int64_t *next);

/** \brief Write the active keys for an MTA into \p dir (0700): one 0600 key file per
 * key, KeyTable and SigningTable for OpenDKIM, selector and path maps for rspamd.
 * \retval 0, error + err */
_mustcheck_ int mailcore_dkim_export(dns_state_t *st, const char *dir, size_t *nkeys, char *err,
                                     size_t errlen);

/* ---- queries to servers (dnsctl check, the DKIM probe) ------------------- */

typedef struct {
	char addr[64];   /*!< numeric address */
	uint16_t port;
} mailcore_server_t;

/** \brief Parse "ADDR", "ADDR@PORT" or "[V6]:PORT". \retval 0, DNS_EINVAL */
_mustcheck_ int mailcore_server_parse(const char *s, mailcore_server_t *out);

/** \brief A wildcard address (0.0.0.0, ::) means this machine: its loopback. */
void mailcore_server_local(mailcore_server_t *s);

/** One answer: rcode and the RDATA of the answer RRs of the asked type. */
typedef struct {
	int rcode;        /*!< -1: no answer (timeout, unreachable) */
	bool aa;
	size_t n;
	uint8_t *rdata[64];
	uint16_t rdlen[64];
	uint32_t ttl;
} mailcore_answer_t;

/** \brief Ask \p srv (UDP, then TCP when truncated) for NAME/TYPE. */
_mustcheck_ int mailcore_query(const mailcore_server_t *srv, const uint8_t *name, uint16_t type,
                               int timeout_ms, mailcore_answer_t *out);
void mailcore_answer_free(mailcore_answer_t *a);
/** \brief SOA serial of \p apex at \p srv.
 * \retval 0, 1 (an answer without it: not authoritative, say), -1 (no answer at all) */
int mailcore_soa_serial(const mailcore_server_t *srv, const uint8_t *apex, int timeout_ms,
                        uint32_t *serial);

/* ---- dnsctl check ---------------------------------------------------------- */

/** One line of a check report. */
typedef struct {
	bool ok;
	char what[64];    /*!< "MX", "SPF", "DKIM 20261127-rsa", "serial", ... */
	char server[80];  /*!< who was asked */
	char text[400];
} mailcore_finding_t;

typedef struct {
	mailcore_finding_t *f;
	size_t n, cap;
	size_t problems;
} mailcore_report_t;

/**
 * \brief Compare what \p primary and \p secondaries serve for mail domain
 * \p domain with the mail state: MX, SPF, DKIM (key matches the private key),
 * DMARC, TLSA (matches the certificate files), MTA-STS id, TLS-RPT, serials.
 */
_mustcheck_ int mailcore_check(dns_state_t *st, const uint8_t *domain,
                               const mailcore_server_t *primary,
                               const mailcore_server_t *secondaries, size_t nsec,
                               mailcore_report_t *rep, char *err, size_t errlen);
void mailcore_report_free(mailcore_report_t *rep);
