/* SPDX-License-Identifier: MIT */
/* Internal to the query engine (dnsd/query*.c): the response being built. */
#pragma once

#include "dnsd/engine.h"

/* RFC 1035 4.1.1, RFC 6895 2.3 */
enum {
	RCODE_NOERROR = 0, RCODE_FORMERR = 1, RCODE_SERVFAIL = 2, RCODE_NXDOMAIN = 3,
	RCODE_NOTIMP = 4, RCODE_REFUSED = 5, RCODE_YXDOMAIN = 6, RCODE_NOTAUTH = 9,
	RCODE_BADVERS = 16, RCODE_BADCOOKIE = 23,
};

enum { OPT_NSID = 3, OPT_EXPIRE = 9, OPT_COOKIE = 10, OPT_KEEPALIVE = 11, OPT_EDE = 15 };

/* RFC 8914 4 */
enum { EDE_NONE = 0xffff, EDE_PROHIBITED = 18, EDE_NOT_AUTHORITATIVE = 20, EDE_NOT_SUPPORTED = 21 };

#define MAX_RDPOS 64

typedef struct {
	uint32_t rrset;
	uint16_t owner, apex;
	bool mandatory; /* in-domain glue of a referral (RFC 9471) */
	bool written;
} add_entry_t;

typedef struct {
	/* the query */
	const dnsd_query_in_t *in;
	uint16_t qtype, qclass;
	uint8_t qlow[ZONES_NAME_MAX + 9]; /* the question name, lowercase (+ slack for lower8) */
	uint8_t qlen, qlabels;
	/* EDNS of the query (RFC 6891) */
	bool edns, do_bit, nsid, keepalive;
	uint8_t edns_version;
	uint16_t bufsize;
	uint8_t cookie[40];
	uint8_t cookie_len;
	/* the response */
	uint8_t *buf;
	size_t len, cap;     /* cap excludes the room kept for the OPT record */
	size_t qend;         /* end of the question section */
	uint16_t counts[3];  /* an, ns, ar */
	uint8_t rcode;       /* full 12-bit rcode is rcode | ext << 4 */
	bool aa, tc;
	bool tc_keep;        /* TC with the sections kept: glue left out (RFC 9471) */
	uint16_t ede;
	/* the name being answered (changes along CNAME/DNAME chains) */
	uint16_t sname_off;
	uint8_t sname_labels;
	uint8_t sname[ZONES_NAME_MAX]; /* lowercase */
	uint8_t sname_len;
	uint8_t soff[128];             /* offset of each label of sname, root last */
	uint32_t shash[128];           /* zones_name_hash of the suffix at soff[i] */
	uint16_t rdpos[MAX_RDPOS];     /* packet offsets of the RDATA of the last RRset written */
	uint32_t denied[8];            /* NSEC/NSEC3 owner nodes for the authority section */
	uint16_t denied_apex[8];       /* where their zone's apex is in the packet */
	uint8_t ndenied;
	add_entry_t addq[48];          /* additional-section RRsets, written last */
	uint8_t naddq;
	/* TSIG (RFC 8945) and transfers */
	bool has_tsig;                 /* the request ends with a TSIG RR */
	bool sign;                     /* sign the response (ctx below) */
	dnsd_tsig_ctx_t tsig;
	bool expire;                   /* EDNS EXPIRE asked (RFC 7314) */
	bool expire_set;               /* and its value known: expire_val */
	uint32_t expire_val;
	bool has_serial;               /* IXFR: the client's SOA serial (RFC 1995 3) */
	uint32_t ixfr_serial;
} resp_t;

enum { SEC_AN = 0, SEC_NS = 1, SEC_AR = 2 };

/* query_answer.c: write an RRset whose owner is at \p owner in the packet; RDATA
 * names point to the owner's ancestors via r->sname_off / r->sname_labels, which
 * must describe that owner. \retval false when it does not fit. */
bool query_rrset_put(resp_t *r, const zones_czone_t *z, const zones_rrset_t *s, uint16_t owner,
                     uint16_t apex, int sec);

/* query_answer.c: fill the answer for a parsed QUERY in class IN. */
void query_answer(resp_t *r, const zones_snapshot_t *snap);

/* query_xfr.c: the TSIG of a request (\retval 0 go on, else the rcode is set) and
 * what to do with AXFR/IXFR: an answer, or DNSD_XFR for the transport. */
int query_tsig_check(resp_t *r, const zones_snapshot_t *snap, const uint8_t *m, size_t len);
int query_xfr(resp_t *r, const dnsd_engine_t *eng, const zones_snapshot_t *snap);
/* query_xfr.c: the EDNS EXPIRE value of an SOA (or IXFR-as-SOA) answer (RFC 7314). */
void query_expire(resp_t *r, const zones_snapshot_t *snap);

/* query_edns.c */
int query_edns_parse(resp_t *r, const uint8_t *opt_rdata, uint16_t rdlen, uint32_t ttl,
                     uint16_t udp_size);
size_t query_edns_size(const resp_t *r, const dnsd_engine_conf_t *conf);
void query_edns_write(resp_t *r, const dnsd_engine_conf_t *conf);
