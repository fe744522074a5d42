/* SPDX-License-Identifier: MIT */
/*
 * Zone transfer messages (dnsd/xfr.c): part of the engine (no sockets, no
 * libuv), so tests run them in-process. Included by dnsd/engine.h.
 */
#pragma once
#include "zones/zones.h"

enum { DNSD_XFR_FIRST_SOA = 0, DNSD_XFR_BODY, DNSD_XFR_LAST_SOA, DNSD_XFR_DONE };

/** One outgoing transfer's position. */
typedef struct {
	const zones_czone_t *z;  /*!< AXFR: the zone (held by the caller until done) */
	uint8_t id[2];
	uint8_t question[ZONES_NAME_MAX + 4]; /*!< name as sent, type, class */
	uint16_t qlen;
	int phase;
	uint32_t node, rr;
	bool sig;                /*!< the RRSIGs of RRset rr come next */
	uint64_t msgs, rrs;      /*!< messages and RRs written */
	bool edns;               /*!< the request had an OPT: the first message gets one */
	bool expire;             /*!< with EDNS EXPIRE (RFC 7314) of expire_val */
	uint32_t expire_val;
	uint16_t udp_max;
} dnsd_xfr_t;

/** \brief Start a transfer of \p z answering \p query (its header and question). */
void dnsd_xfr_init(dnsd_xfr_t *x, const zones_czone_t *z, const uint8_t *query, size_t qlen);
/**
 * \brief The next AXFR message (RFC 5936 2.2): the SOA first, every RRset and
 * RRSIG, the SOA last. \retval 1 more follow, 0 this was the last,
 * DNS_ESPACE an RRset too large for a message (the transfer cannot be made).
 */
int dnsd_xfr_axfr_next(dnsd_xfr_t *x, uint8_t *out, size_t cap, size_t *len);
/**
 * \brief One IXFR message (RFC 1995 4) of RRs from \p rrs: a run of
 * (length BE16, owner | type | class | TTL | RDLENGTH | RDATA) uncompressed RRs.
 * Writes as many as fit; \p *consumed says how many octets of \p rrs went in.
 * \retval 0, DNS_ESPACE (one RR larger than a message), DNS_EMALF
 */
int dnsd_xfr_ixfr_next(dnsd_xfr_t *x, const uint8_t *rrs, size_t len, size_t *consumed,
                       uint8_t *out, size_t cap, size_t *outlen);
