/* SPDX-License-Identifier: MIT */
/**
 * \file
 * \brief The query engine: bytes in, bytes out.  Never sees a socket and
 * never includes uv.h, so tests and the fuzzer drive it in-process.
 *
 * Thread rules: one dnsd_query_t per thread; the snapshot it reads must stay
 * alive for the duration of the call (see dnsd's epoch scheme).  Nothing here
 * allocates memory or takes a lock.
 */
#pragma once

#include "zones/zones.h"
#include "dnsd/xfr.h"
#include "dnsd/tsig.h"

#define DNSD_MAX_ACL 64

/** Who may transfer zones (RFC 5936 4.3): an address prefix, and the TSIG key
 * the request must be signed with (empty name: none required). */
typedef struct {
	uint8_t family;     /*!< 4 or 6 */
	uint8_t prefix;     /*!< bits */
	uint8_t addr[16];
	uint8_t key[255];   /*!< lowercase wire name, or key[0] == 0 */
} dnsd_acl_t;

/** \brief Parse "PREFIX [key NAME]" ("192.0.2.0/24", "2001:db8::1", ...). \retval 0, DNS_EINVAL */
int dnsd_acl_parse(const char *s, dnsd_acl_t *out);

/** Where NOTIFY goes: an address, a port, and the TSIG key to sign with (or none). */
typedef struct {
	char addr[64];
	uint16_t port;
	uint8_t key[255];   /*!< lowercase wire name, or key[0] == 0 */
} dnsd_remote_t;

/** \brief Parse "ADDR[@PORT] [key NAME]" ("[V6]:PORT" too). \retval 0, DNS_EINVAL */
int dnsd_remote_parse(const char *s, dnsd_remote_t *out);

/** A zone's own transfer settings (zone set --transfer/--notify), compiled with it
 * (zones_czone_t.ext); a list that is not set means the configuration's. */
typedef struct {
	bool has_acl, has_notify;
	unsigned nacl, nnotify;
	dnsd_acl_t *acl;
	dnsd_remote_t *notify;
} dnsd_zone_xfr_t;

/** \brief Compile "a; b; c" lists ("none": an empty list, "": not set). \retval NULL on error
 * (with *why set) or when neither is set (*why NULL) */
dnsd_zone_xfr_t *dnsd_zone_xfr_new(const char *transfer, const char *notify, const char **why);
void dnsd_zone_xfr_free(void *x);

/** Engine settings, fixed for the lifetime of a snapshot generation of the config. */
typedef struct {
	uint16_t udp_max;         /*!< our EDNS UDP payload size (RFC 6891 6.2.5), default 1232 */
	uint16_t tcp_idle_100ms;  /*!< advertised in edns-tcp-keepalive (RFC 7828) */
	uint16_t nsid_len;        /*!< 0: no NSID (RFC 5001) */
	uint8_t nsid[128];
	bool cookies;             /*!< answer DNS cookies (RFC 7873, RFC 9018) */
	dnsd_acl_t acl[DNSD_MAX_ACL]; /*!< who may transfer (default: nobody) */
	unsigned nacl;
	uint8_t cookie_secret[16];
} dnsd_engine_conf_t;

/** Counters kept by one thread's engine; summed by the stats reader. */
typedef struct {
	uint64_t queries, dropped, noerror, nxdomain, refused, formerr, notimp, servfail, truncated;
} dnsd_engine_stats_t;

static inline void dnsd_engine_stats_add(dnsd_engine_stats_t *sum, const dnsd_engine_stats_t *s)
{
	sum->queries += s->queries;
	sum->dropped += s->dropped;
	sum->noerror += s->noerror;
	sum->nxdomain += s->nxdomain;
	sum->refused += s->refused;
	sum->formerr += s->formerr;
	sum->notimp += s->notimp;
	sum->servfail += s->servfail;
	sum->truncated += s->truncated;
}

/** A transfer the transport is to run (dnsd_engine_answer returned DNSD_XFR). */
typedef struct {
	const zones_czone_t *zone;
	uint16_t qtype;           /*!< AXFR or IXFR */
	bool has_serial;          /*!< IXFR: the client's serial */
	uint32_t serial;
	bool sign;                /*!< sign every message with tsig (RFC 8945 5.3.1) */
	bool edns, expire;        /*!< the request had an OPT / asked for EXPIRE (RFC 7314) */
	uint32_t expire_val;
	uint16_t udp_max;
	dnsd_tsig_ctx_t tsig;     /*!< its key points into the snapshot: keep it pinned */
} dnsd_xfr_req_t;

/** What the transport knows about a query. */
typedef struct {
	const uint8_t *data;
	size_t len;
	bool tcp;
	uint8_t addr[16];  /*!< client address for cookies (4 or 16 bytes used) */
	uint8_t addrlen;
	uint32_t now;      /*!< unix time, read once per batch by the caller */
	dnsd_xfr_req_t *xfr; /*!< TCP: where an allowed AXFR/IXFR is described; UDP: NULL */
} dnsd_query_in_t;

typedef struct {
	const dnsd_engine_conf_t *conf;
	dnsd_engine_stats_t stats;
} dnsd_engine_t;

/** Result of dnsd_engine_answer(). */
enum { DNSD_DROP = 0, DNSD_RESPOND = 1, DNSD_XFR = 2 };

/**
 * \brief Answer one DNS message.
 * \param out  at least 65535 bytes for TCP, at least eng->conf->udp_max (and 512) for UDP
 * \retval DNSD_RESPOND with \p *outlen set, or DNSD_DROP (no answer may be sent:
 *         responses, unparseable headers)
 */
int dnsd_engine_answer(dnsd_engine_t *eng, const zones_snapshot_t *snap, const dnsd_query_in_t *in,
                       uint8_t *out, size_t outcap, size_t *outlen);

/** SipHash-2-4 (for RFC 9018 server cookies). */
uint64_t dnsd_siphash(const uint8_t key[16], const uint8_t *data, size_t len);
