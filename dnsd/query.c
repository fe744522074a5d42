/* SPDX-License-Identifier: MIT */
/*
 * Message handling of the query engine: header and question parsing,
 * the error answers (FORMERR, NOTIMP, REFUSED, BADVERS) and the final
 * header and OPT record.  The RFC cases of answering live in query_answer.c.
 */
#include <string.h>
#include "dnsd/query_int.h"

/* RFC 1035 4.1.1 header flag bits (second 16-bit word) */
#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_CD 0x0010
#define OPCODE(f) (((f) >> 11) & 0xf)

enum { OPCODE_QUERY = 0, OPCODE_NOTIFY = 4 };

/* Skip one (possibly compressed) name in a message. \retval new offset or 0 */
static size_t name_skip(const uint8_t *m, size_t len, size_t o)
{
	while (o < len) {
		uint8_t l = m[o];
		if (l == 0)
			return o + 1;
		if ((l & 0xc0) == 0xc0)
			return o + 2 <= len ? o + 2 : 0;
		if (l > 63)
			return 0;
		o += 1u + l;
	}
	return 0;
}

/* Lowercase 8 octets at once: bytes 'A'..'Z' get 0x20 added, nothing else
 * changes (label length octets are below 64, so they are never letters). */
static inline uint64_t lower8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t b = x & ~high;
	uint64_t ge_a = b + ones * (0x80 - 'A');
	uint64_t gt_z = b + ones * (0x7f - 'Z');
	uint64_t upper = (ge_a ^ gt_z) & ~x & high;
	return x | (upper >> 2);
}

/* Parse the question name: RFC 1035 4.1.2, no compression possible before it. */
static int qname_parse(resp_t *r, const uint8_t *m, size_t len, size_t *o)
{
	size_t p = *o;
	unsigned labels = 0;
	for (;;) {
		if (p >= len)
			return -1;
		uint8_t l = m[p];
		if (l > 63)
			return -1; /* a pointer or extended label type: malformed here */
		if (p + 1u + l - *o > ZONES_NAME_MAX || p + 1u + l > len)
			return -1;
		p += 1u + l;
		if (l == 0)
			break;
		labels++;
	}
	size_t w = p - *o;
	memcpy(r->qlow, m + *o, w);
	for (size_t i = 0; i < w; i += 8) {
		uint64_t x;
		memcpy(&x, r->qlow + i, 8); /* qlow has 8 octets of slack */
		x = lower8(x);
		memcpy(r->qlow + i, &x, 8);
	}
	r->qlen = (uint8_t)w;
	r->qlabels = (uint8_t)labels;
	*o = p;
	return 0;
}

/* Walk the answer, authority and additional sections; pick up the OPT.
 * \retval 0 ok, -1 malformed (FORMERR), -2 BADVERS */
static int sections_parse(resp_t *r, const dnsd_engine_conf_t *conf, const uint8_t *m, size_t len,
                          size_t o)
{
	unsigned n[3] = { dns_get16(m + 6), dns_get16(m + 8), dns_get16(m + 10) };
	for (int s = 0; s < 3; s++) {
		for (unsigned i = 0; i < n[s]; i++) {
			size_t owner = o;
			o = name_skip(m, len, o);
			if (o == 0 || o + 10 > len)
				return -1;
			uint16_t type = dns_get16(m + o), rdlen = dns_get16(m + o + 8);
			if (o + 10 + rdlen > len)
				return -1;
			if (type == 250)
				r->has_tsig = true; /* where it may be: dnsd_tsig_verify checks */
			if (type == ZONES_T_SOA && s == SEC_NS && r->qtype == ZONES_T_IXFR) {
				/* RFC 1995 3: the client's version; MNAME, RNAME, then SERIAL */
				size_t e = o + 10 + rdlen;
				size_t p = name_skip(m, e, o + 10);
				p = p ? name_skip(m, e, p) : 0;
				if (p && p + 20 <= e) {
					r->ixfr_serial = dns_get32(m + p);
					r->has_serial = true;
				}
			}
			if (type == ZONES_T_OPT) {
				/* RFC 6891 6.1.1: one OPT, in the additional section, owner root */
				if (s != SEC_AR || r->edns || m[owner] != 0)
					return -1;
				int ret = query_edns_parse(r, m + o + 10, rdlen, dns_get32(m + o + 4),
				                           dns_get16(m + o + 2));
				if (ret)
					return ret;
			}
			o += 10u + rdlen;
		}
	}
	(void)conf;
	return o == len ? 0 : -1; /* trailing garbage */
}

static void header_write(resp_t *r, const uint8_t *q)
{
	uint16_t qf = dns_get16(q + 2);
	/* RFC 4035 3.1.6: an authoritative server SHOULD clear CD */
	uint16_t f = F_QR | (qf & (0xf << 11)) | (qf & F_RD) | (r->rcode & 0xf);
	if (r->aa)
		f |= F_AA;
	if (r->tc || r->tc_keep)
		f |= F_TC;
	memcpy(r->buf, q, 2);
	dns_put16(r->buf + 2, f);
	dns_put16(r->buf + 4, r->qend > 12 ? 1 : 0);
	dns_put16(r->buf + 6, r->counts[SEC_AN]);
	dns_put16(r->buf + 8, r->counts[SEC_NS]);
	dns_put16(r->buf + 10, r->counts[SEC_AR]);
}

/* Drop every RR and keep the question: an error or a truncated answer. */
static void resp_clear(resp_t *r)
{
	r->len = r->qend;
	r->counts[0] = r->counts[1] = r->counts[2] = 0;
}

static void count_rcode(dnsd_engine_stats_t *st, unsigned rc)
{
	switch (rc) {
	case RCODE_NOERROR: st->noerror++; break;
	case RCODE_NXDOMAIN: st->nxdomain++; break;
	case RCODE_REFUSED: st->refused++; break;
	case RCODE_FORMERR: st->formerr++; break;
	case RCODE_NOTIMP: st->notimp++; break;
	default: st->servfail++; break;
	}
}

int dnsd_engine_answer(dnsd_engine_t *eng, const zones_snapshot_t *snap, const dnsd_query_in_t *in,
                       uint8_t *out, size_t outcap, size_t *outlen)
{
	const uint8_t *m = in->data;
	size_t len = in->len;
	eng->stats.queries++;
	/* RFC 1035 4.1.1: too short for a header, or a response: never answer
	 * (answering responses would let two servers loop). */
	if (len < 12 || (dns_get16(m + 2) & F_QR) || outcap < 512) {
		eng->stats.dropped++;
		return DNSD_DROP;
	}
	resp_t r;
	r.in = in;
	r.buf = out;
	r.edns = r.do_bit = r.nsid = r.keepalive = false;
	r.cookie_len = 0;
	r.ndenied = 0;
	r.naddq = 0;
	r.aa = r.tc = r.tc_keep = false;
	r.ede = EDE_NONE;
	r.rcode = RCODE_NOERROR;
	r.counts[0] = r.counts[1] = r.counts[2] = 0;
	r.qend = 12;
	r.len = 12;
	r.cap = 512;
	r.qtype = 0;
	r.has_tsig = r.sign = r.has_serial = false;
	r.expire = r.expire_set = false;

	uint16_t qf = dns_get16(m + 2);
	unsigned qd = dns_get16(m + 4);
	size_t o = 12;
	int perr = 0;
	if (qd != 1) {
		/* RFC 1035 4.1.2: we answer exactly one question.  Still look for an
		 * OPT: RFC 6891 7 wants one in the answer if the query had one. */
		perr = -1;
		size_t p = 12;
		for (unsigned i = 0; i < qd && p; i++) {
			p = name_skip(m, len, p);
			p = (p && p + 4 <= len) ? p + 4 : 0;
		}
		if (p)
			(void)sections_parse(&r, eng->conf, m, len, p);
	} else if (qname_parse(&r, m, len, &o) || o + 4 > len) {
		/* a question we do not take (e.g. a compressed name): still find the
		 * OPT, so the FORMERR carries one (RFC 6891 7) */
		perr = -1;
		size_t p = name_skip(m, len, 12);
		if (p && p + 4 <= len)
			(void)sections_parse(&r, eng->conf, m, len, p + 4);
	} else {
		r.qtype = dns_get16(m + o);
		r.qclass = dns_get16(m + o + 2);
		o += 4;
		/* copy the question as sent: the case of the name is preserved (RFC 4343 4.1) */
		memcpy(out + 12, m + 12, o - 12);
		r.qend = o;
		r.len = o;
		perr = sections_parse(&r, eng->conf, m, len, o);
	}
	/* RFC 8945 5.2: a signed request is checked before anything else */
	bool tsig_failed = perr == 0 && r.has_tsig && query_tsig_check(&r, snap, m, len) != 0;
	if (perr == -1) {
		r.rcode = RCODE_FORMERR;
	} else if (tsig_failed) {
		/* the rcode (NOTAUTH, FORMERR) is set */
	} else if (perr == -2) {
		r.rcode = RCODE_BADVERS; /* RFC 6891 6.1.3 */
	} else if (OPCODE(qf) != OPCODE_QUERY) {
		r.rcode = RCODE_NOTIMP; /* RFC 1035 4.1.1; NOTIFY arrives with zone transfers */
	} else if (r.qtype == ZONES_T_OPT || r.qtype == 249 || r.qtype == 250) {
		r.rcode = RCODE_FORMERR; /* RFC 6891 6.1.1, RFC 8945 5.2: not question types */
	} else if (r.qclass != 1) {
		r.rcode = RCODE_REFUSED;
		r.ede = EDE_NOT_AUTHORITATIVE;
	} else if (r.qtype == ZONES_T_AXFR && !in->tcp) {
		r.rcode = RCODE_FORMERR; /* RFC 5936 4.2: AXFR only over TCP */
	} else if (r.qtype == ZONES_T_AXFR || r.qtype == ZONES_T_IXFR) {
		/* who may transfer, and how (query_xfr.c); IXFR over UDP gets the SOA */
		if (query_xfr(&r, eng, snap) == DNSD_XFR)
			return DNSD_XFR;
	} else if (r.qtype == 253 || r.qtype == 254) {
		r.rcode = RCODE_NOTIMP; /* MAILB, MAILA: obsolete (RFC 2505) */
	}

	/* Room: RFC 6891 6.2.5 (at least 512, at most what the client offers and
	 * we are configured for); TCP: one 64 KiB message (RFC 7766 8). */
	size_t cap = 512;
	if (in->tcp)
		cap = 65535;
	else if (r.edns && r.bufsize > 512)
		cap = r.bufsize < eng->conf->udp_max ? r.bufsize : eng->conf->udp_max;
	if (cap < 512)
		cap = 512;
	if (cap > outcap)
		cap = outcap;
	size_t optlen = r.edns ? query_edns_size(&r, eng->conf) : 0;
	size_t tsiglen = r.sign ? dnsd_tsig_size(&r.tsig) : 0;
	r.cap = cap - optlen - tsiglen;

	if (r.rcode == RCODE_NOERROR && r.qend > 12)
		query_answer(&r, snap);
	if (r.rcode != RCODE_NOERROR && r.rcode != RCODE_NXDOMAIN && r.rcode != RCODE_YXDOMAIN)
		resp_clear(&r);
	if (r.tc) {
		/* RFC 2181 9: a truncated answer carries no partial RRsets; the client
		 * retries over TCP (RFC 7766 5). */
		resp_clear(&r);
		eng->stats.truncated++;
	}
	if (r.edns) {
		r.cap = cap - tsiglen;
		query_expire(&r, snap);
		query_edns_write(&r, eng->conf);
	}
	header_write(&r, m);
	/* RFC 8945 4.2: the TSIG comes last, after the OPT */
	if (r.sign && dnsd_tsig_sign(out, &r.len, cap, &r.tsig, in->now) != 0)
		r.sign = false;
	count_rcode(&eng->stats, r.rcode);
	*outlen = r.len;
	return DNSD_RESPOND;
}
