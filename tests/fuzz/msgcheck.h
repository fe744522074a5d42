/* SPDX-License-Identifier: MIT */
/**
 * \file
 * \brief Fuzzer oracle: checks one response of dnsd_engine_answer() against
 * the query it answers, with a parser written independently of the engine.
 *
 * What is checked (RFC 1035 4.1, RFC 6891, RFC 3597 4):
 * - the length fits the limit the caller computed, the ID is the query's,
 *   QR is set, opcode and RD are copied, QDCOUNT is 0 or 1 and a question is
 *   the query's question byte for byte;
 * - every section parses: each owner and RDATA name is valid (labels <= 63,
 *   name <= 255 octets), compression pointers point strictly backwards into
 *   the message after the header (so no loops), and the records counted in
 *   the header are exactly the records present, up to the last octet;
 * - RDATA of the types whose layout we know fills RDLENGTH exactly, with
 *   pointers only in the RFC 1035 types that allow them (none in SRV, NAPTR,
 *   DNAME, RFC 3597 4 and RFC 6672 2.5);
 * - at most one OPT, in the additional section, owned by the root, options
 *   well formed; none when the query had none (RFC 6891 7).
 *
 * Header-only (static inline functions), shared by the engine and zone fuzzers
 * and by tests/integration/flood.c.
 * Nothing here allocates.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** What the checker needs to know about the query; filled by msgcheck_query(). */
typedef struct {
	bool parsed;        /*!< the whole query parsed (all counted records, no trailing bytes) */
	bool has_question;  /*!< QDCOUNT == 1 and the question parsed */
	size_t qend;        /*!< end of the question (when has_question) */
	unsigned nopt;      /*!< OPT records seen (when parsed) */
	bool opt_ok;        /*!< the first OPT is in the additional section, owned by the root */
	size_t sec[4];      /*!< start of answer, authority, additional; end (when parsed) */
	uint16_t bufsize;   /*!< UDP payload size of the first OPT */
	uint8_t version;    /*!< EDNS version of the first OPT */
} msgcheck_query_t;

static inline uint16_t mc_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/*
 * Read a (possibly compressed) name at \p o; the in-place part must end at or
 * before \p end.  \retval offset after the in-place part, or 0 when invalid.
 * \p out (NULL, or room for 255 octets) gets the name uncompressed and in
 * lowercase.
 */
static inline size_t mc_name(const uint8_t *m, size_t end, size_t o, bool allow_ptr, uint8_t *out)
{
	size_t after = 0, total = 0, p = o;
	unsigned hops = 0;
	for (;;) {
		if (p >= end)
			return 0;
		uint8_t l = m[p];
		if ((l & 0xc0) == 0xc0) {
			if (!allow_ptr || p + 2 > end)
				return 0;
			size_t t = (size_t)(l & 0x3f) << 8 | m[p + 1];
			/* strictly backwards and past the header: no loops, no header */
			if (t >= p || t < 12 || ++hops > 127)
				return 0;
			if (!after)
				after = p + 2;
			p = t;
			continue;
		}
		if (l & 0xc0)
			return 0; /* RFC 6891 5: extended label types are obsolete */
		if (total + 1u + l > 255 || p + 1u + l > end)
			return 0;
		if (out) {
			out[total] = l;
			for (unsigned i = 1; i <= l; i++) {
				uint8_t c = m[p + i];
				out[total + i] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
			}
		}
		total += 1u + l;
		if (l == 0)
			break;
		p += 1u + l;
	}
	return after ? after : p + 1;
}

/* <character-string> (RFC 1035 3.3) at o within end. \retval offset after or 0 */
static inline size_t mc_cstring(const uint8_t *m, size_t end, size_t o)
{
	if (o >= end || o + 1u + m[o] > end)
		return 0;
	return o + 1u + m[o];
}

/* RDATA of the types we know, from o to end.  \retval NULL or what is wrong. */
static inline const char *mc_rdata(const uint8_t *m, size_t o, size_t end, uint16_t type)
{
	size_t p;
	switch (type) {
	case 1: /* A */
		return end - o == 4 ? NULL : "A RDATA not 4 octets";
	case 28: /* AAAA */
		return end - o == 16 ? NULL : "AAAA RDATA not 16 octets";
	case 2: case 5: case 12: /* NS CNAME PTR */
	case 3: case 4: case 7: case 8: case 9: /* MD MF MB MG MR */
		p = mc_name(m, end, o, true, NULL);
		return p == end ? NULL : "name RDATA invalid or not filling RDLENGTH";
	case 39: /* DNAME: never compressed (RFC 6672 2.5) */
		p = mc_name(m, end, o, false, NULL);
		return p == end ? NULL : "DNAME RDATA invalid, compressed or not filling RDLENGTH";
	case 15: /* MX */
		if (end - o < 3)
			return "MX RDATA too short";
		p = mc_name(m, end, o + 2, true, NULL);
		return p == end ? NULL : "MX exchange invalid or not filling RDLENGTH";
	case 6: /* SOA */
		p = mc_name(m, end, o, true, NULL);
		if (p)
			p = mc_name(m, end, p, true, NULL);
		return p && end - p == 20 ? NULL : "SOA RDATA invalid";
	case 14: /* MINFO */
		p = mc_name(m, end, o, true, NULL);
		if (p)
			p = mc_name(m, end, p, true, NULL);
		return p == end ? NULL : "MINFO RDATA invalid";
	case 33: /* SRV: target never compressed (RFC 2782) */
		if (end - o < 7)
			return "SRV RDATA too short";
		p = mc_name(m, end, o + 6, false, NULL);
		return p == end ? NULL : "SRV target invalid, compressed or not filling RDLENGTH";
	case 35: /* NAPTR (RFC 3403 4.1): replacement never compressed */
		if (end - o < 4)
			return "NAPTR RDATA too short";
		p = o + 4;
		for (int i = 0; i < 3 && p; i++)
			p = mc_cstring(m, end, p);
		if (p)
			p = mc_name(m, end, p, false, NULL);
		return p == end ? NULL : "NAPTR RDATA invalid";
	case 16: /* TXT: one or more character-strings */
		if (end == o)
			return "TXT RDATA empty";
		for (p = o; p && p < end;)
			p = mc_cstring(m, end, p);
		return p == end ? NULL : "TXT RDATA does not end with its last string";
	case 13: /* HINFO */
		p = mc_cstring(m, end, o);
		if (p)
			p = mc_cstring(m, end, p);
		return p == end ? NULL : "HINFO RDATA invalid";
	default:
		return NULL;
	}
}

/* The options of an OPT RDATA (RFC 6891 6.1.2). */
static inline const char *mc_opt(const uint8_t *m, size_t o, size_t end)
{
	while (o < end) {
		if (end - o < 4)
			return "OPT option header truncated";
		size_t ol = mc_get16(m + o + 2);
		if (end - o - 4 < ol)
			return "OPT option longer than RDATA";
		o += 4 + ol;
	}
	return NULL;
}

/*
 * Walk a whole message.  \p strict: check RDATA and compression as for our
 * own responses; otherwise (a query) only the framing.
 * \retval NULL or what is wrong; \p info filled as far as it got.
 */
static inline const char *mc_walk(const uint8_t *m, size_t len, bool strict,
                                  msgcheck_query_t *info, uint8_t *opt_ext_rcode)
{
	memset(info, 0, sizeof *info);
	if (len < 12)
		return "shorter than a header";
	unsigned qd = mc_get16(m + 4);
	unsigned n[3] = { mc_get16(m + 6), mc_get16(m + 8), mc_get16(m + 10) };
	size_t o = 12;
	if (qd > 1 && strict)
		return "QDCOUNT above 1";
	for (unsigned i = 0; i < qd; i++) {
		/* a question name comes first: nothing before it to point to, so a
		 * pointer there is malformed; dnsd answers FORMERR without reading further */
		o = mc_name(m, len, o, false, NULL);
		if (!o || len - o < 4)
			return "question does not parse";
		o += 4;
		if (qd == 1) {
			info->has_question = true;
			info->qend = o;
		}
	}
	for (int s = 0; s < 3; s++) {
		info->sec[s] = o;
		for (unsigned i = 0; i < n[s]; i++) {
			size_t owner = o;
			o = mc_name(m, len, o, true, NULL);
			if (!o)
				return s == 0 ? "answer owner name invalid" :
				       s == 1 ? "authority owner name invalid" :
				                "additional owner name invalid";
			if (len - o < 10)
				return "record header truncated";
			uint16_t type = mc_get16(m + o), rdlen = mc_get16(m + o + 8);
			if (len - o - 10 < rdlen)
				return "RDATA runs past the end of the message";
			size_t rd = o + 10, end = rd + rdlen;
			if (type == 41) {
				if (info->nopt == 0) {
					info->bufsize = mc_get16(m + o + 2);
					info->version = m[o + 5];
					info->opt_ok = s == 2 && m[owner] == 0;
					if (opt_ext_rcode)
						*opt_ext_rcode = m[o + 4];
				}
				info->nopt++;
				if (strict) {
					if (s != 2)
						return "OPT outside the additional section";
					if (m[owner] != 0)
						return "OPT owner is not the root";
					if (info->nopt > 1)
						return "more than one OPT";
					const char *e = mc_opt(m, rd, end);
					if (e)
						return e;
				}
			} else if (strict) {
				if (mc_get16(m + o + 2) != 1)
					return "record class is not IN";
				const char *e = mc_rdata(m, rd, end, type);
				if (e)
					return e;
			}
			o = end;
		}
	}
	if (o != len)
		return "octets after the last counted record";
	info->sec[3] = o;
	info->parsed = true;
	return NULL;
}

/* Length of an uncompressed wire name (valid, as mc_name wrote it). */
static inline size_t mc_len(const uint8_t *n)
{
	size_t o = 0;
	while (n[o])
		o += 1u + n[o];
	return o + 1;
}

/* Is \p a equal to or below \p b (both lowercase, uncompressed)? */
static inline bool mc_is_sub(const uint8_t *a, const uint8_t *b)
{
	size_t la = mc_len(a), lb = mc_len(b), o = 0;
	if (la < lb)
		return false;
	while (la - o > lb)
		o += 1u + a[o];
	return la - o == lb && memcmp(a + o, b, lb) == 0;
}

/* One record of a parsed message: owner, type, RDATA bounds.  \retval next offset */
static inline size_t mc_rr(const uint8_t *m, size_t len, size_t o, uint8_t owner[255],
                           uint16_t *type, size_t *rd, size_t *end)
{
	o = mc_name(m, len, o, true, owner);
	*type = mc_get16(m + o);
	*rd = o + 10;
	*end = *rd + mc_get16(m + o + 8);
	return *end;
}

/* The name an NS, MX or SRV record points at, for the additional section. */
static inline bool mc_target(const uint8_t *m, size_t len, uint16_t type, size_t rd,
                             uint8_t out[255])
{
	size_t at = type == 2 ? rd : type == 15 ? rd + 2 : type == 33 ? rd + 6 : 0;
	return at && mc_name(m, len, at, true, out) != 0;
}

/*
 * What the records say, beyond their syntax (RFC 1034 4.3.2, RFC 6672 3.3,
 * RFC 4592): the answer section is a chain that starts at the question name
 * -- each record owned by the current name (a DNAME by an ancestor of it),
 * a CNAME moving the current name to its target, the CNAME synthesised from
 * a DNAME holding exactly the substituted name -- the authority records are
 * owned by the final name or an ancestor, and every A/AAAA in the additional
 * section is the target of an NS, MX or SRV record of the message.  Wrong
 * compression pointers in pre-rendered records show up here.
 */
static inline const char *mc_semantics(const uint8_t *m, size_t len, const msgcheck_query_t *ri)
{
	uint8_t sname[255], owner[255], t[255], synth[255], prev[255] = { 0 };
	uint16_t type, qtype;
	size_t rd, end, o = 12;
	o = mc_name(m, len, o, false, sname);
	qtype = mc_get16(m + o);
	bool want_synth = false;
	unsigned n[3] = { mc_get16(m + 6), mc_get16(m + 8), mc_get16(m + 10) };
	o = ri->sec[0];
	for (unsigned i = 0; i < n[0]; i++) {
		o = mc_rr(m, len, o, owner, &type, &rd, &end);
		/* RFC 4035 3.1.1: an RRSIG follows the RRset it covers, same owner */
		if (type == 46 && i > 0 && mc_len(owner) == mc_len(prev) &&
		    memcmp(owner, prev, mc_len(owner)) == 0)
			continue;
		memcpy(prev, owner, mc_len(owner));
		if (want_synth) {
			if (type != 5 || memcmp(owner, sname, mc_len(sname)) != 0)
				return "the DNAME is not followed by the CNAME it synthesises";
			mc_name(m, len, rd, true, t);
			if (mc_len(t) != mc_len(synth) || memcmp(t, synth, mc_len(t)) != 0)
				return "the CNAME synthesised from a DNAME has the wrong target";
			want_synth = false;
			memcpy(sname, t, mc_len(t));
			continue;
		}
		if (type == 39 && mc_is_sub(sname, owner) &&
		    mc_len(sname) != mc_len(owner)) {
			/* RFC 6672 3.3: sname with the DNAME owner replaced by its target */
			mc_name(m, len, rd, false, t);
			size_t prefix = mc_len(sname) - mc_len(owner);
			if (prefix + mc_len(t) <= 255) {
				memcpy(synth, sname, prefix);
				memcpy(synth + prefix, t, mc_len(t));
				want_synth = true;
			}
			continue;
		}
		if (mc_len(owner) != mc_len(sname) || memcmp(owner, sname, mc_len(sname)) != 0)
			return "an answer record is not owned by the name being answered";
		if (type == 5 && qtype != 5 && qtype != 255) {
			mc_name(m, len, rd, true, t);
			memcpy(sname, t, mc_len(t));
		}
	}
	if (want_synth && (m[3] & 0x0f) != 6 && !(m[2] & 0x02))
		return "a DNAME without the CNAME synthesised from it (RFC 6672 3.3)";
	for (unsigned i = 0; i < n[1]; i++) {
		o = mc_rr(m, len, o, owner, &type, &rd, &end);
		if ((type == 2 || type == 6) && !mc_is_sub(sname, owner))
			return "an authority record is not owned by an ancestor of the name answered";
	}
	for (unsigned i = 0; i < n[2]; i++) {
		o = mc_rr(m, len, o, owner, &type, &rd, &end);
		if (type != 1 && type != 28)
			continue;
		bool found = false;
		for (size_t p = ri->sec[0]; p < ri->sec[2] && !found;) {
			uint16_t ty;
			size_t r2, e2;
			p = mc_rr(m, len, p, t, &ty, &r2, &e2);
			found = mc_target(m, len, ty, r2, t) &&
			        mc_len(t) == mc_len(owner) && memcmp(t, owner, mc_len(t)) == 0;
		}
		if (!found)
			return "an additional address is not the target of an NS, MX or SRV record";
	}
	return NULL;
}

/** \brief Parse a query as leniently as a server must (compression allowed anywhere). */
static inline void msgcheck_query(const uint8_t *q, size_t qlen, msgcheck_query_t *out)
{
	(void)mc_walk(q, qlen, false, out, NULL);
	if (!out->parsed) {
		/* the question alone may still be well formed */
		bool hq = out->has_question;
		size_t qe = out->qend;
		memset(out, 0, sizeof *out);
		out->has_question = hq;
		out->qend = qe;
	}
}

/**
 * \brief Check response \p r of \p rlen octets to query \p q.
 * \param limit  the most octets this response may have (UDP payload size or
 *               the TCP message limit)
 * \retval NULL when it is fine, else a description of the first violation
 */
static inline const char *msgcheck_response(const uint8_t *q, size_t qlen, const uint8_t *r,
                                            size_t rlen, size_t limit)
{
	if (rlen > limit)
		return "response longer than allowed";
	if (rlen < 12)
		return "response shorter than a header";
	if (qlen < 12)
		return "answered a query shorter than a header";
	if (memcmp(r, q, 2) != 0)
		return "response ID differs from the query ID";
	if (!(r[2] & 0x80))
		return "QR not set";
	if (q[2] & 0x80)
		return "answered a response (QR set in the query)";
	if ((r[2] & 0x78) != (q[2] & 0x78))
		return "opcode not copied";
	if ((r[2] & 0x01) != (q[2] & 0x01))
		return "RD not copied";
	if (r[3] & 0x40)
		return "Z bit set";
	msgcheck_query_t qi, ri;
	uint8_t ext = 0;
	const char *e = mc_walk(r, rlen, true, &ri, &ext);
	if (e)
		return e;
	msgcheck_query(q, qlen, &qi);
	if (ri.has_question) {
		if (!qi.has_question || qi.qend != ri.qend ||
		    memcmp(q + 12, r + 12, ri.qend - 12) != 0)
			return "response question differs from the query's";
	}
	unsigned rcode = r[3] & 0x0f;
	if (ri.has_question && (rcode == 0 || rcode == 3 || rcode == 6)) {
		e = mc_semantics(r, rlen, &ri);
		if (e)
			return e;
	}
	if (qi.parsed && qi.nopt == 0 && ri.nopt)
		return "OPT in the response to a query without one (RFC 6891 7)";
	if (qi.parsed && qi.has_question && qi.nopt == 1 && qi.opt_ok && !ri.nopt)
		return "no OPT in the response to a query with one (RFC 6891 7)";
	if (qi.parsed && qi.has_question && qi.nopt == 1 && qi.opt_ok && qi.version != 0 &&
	    !(ext == 1 && (r[3] & 0x0f) == 0) && (r[3] & 0x0f) != 1)
		return "EDNS version above 0 not answered BADVERS (RFC 6891 6.1.3)";
	return NULL;
}

/** \brief The UDP payload limit for \p q: 512 without EDNS (RFC 1035 4.2.1). */
static inline size_t msgcheck_udp_limit(const uint8_t *q, size_t qlen, size_t udp_max)
{
	msgcheck_query_t qi;
	msgcheck_query(q, qlen, &qi);
	if (!qi.parsed)
		return udp_max > 512 ? udp_max : 512; /* FORMERR: the header and question only */
	if (qi.nopt == 0)
		return 512;
	size_t b = qi.bufsize < udp_max ? qi.bufsize : udp_max;
	return b > 512 ? b : 512;
}
