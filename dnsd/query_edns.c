/* SPDX-License-Identifier: MIT */
/*
 * EDNS(0) (RFC 6891) and its options: NSID (RFC 5001), DNS cookies
 * (RFC 7873 with the interoperable server cookie of RFC 9018), TCP keepalive
 * (RFC 7828) and extended DNS errors (RFC 8914).
 */
#include <string.h>
#include "dnsd/query_int.h"

#define COOKIE_CLIENT 8
#define COOKIE_SERVER 16 /* RFC 9018 4: version, reserved, timestamp, hash */
#define DO_BIT 0x8000

/* \retval 0, -1 FORMERR, -2 BADVERS */
int query_edns_parse(resp_t *r, const uint8_t *rd, uint16_t rdlen, uint32_t ttl, uint16_t udp_size)
{
	r->edns = true;
	r->bufsize = udp_size;
	r->edns_version = (ttl >> 16) & 0xff;
	r->do_bit = (ttl & DO_BIT) != 0;
	for (size_t o = 0; o < rdlen;) {
		if (o + 4 > rdlen)
			return -1;
		uint16_t code = dns_get16(rd + o), olen = dns_get16(rd + o + 2);
		if (o + 4 + olen > rdlen)
			return -1;
		const uint8_t *v = rd + o + 4;
		switch (code) {
		case OPT_NSID:
			r->nsid = true;
			break;
		case OPT_COOKIE:
			/* RFC 7873 5.2.2: client cookie alone (8) or with a server cookie (8-32) */
			if (olen != COOKIE_CLIENT && (olen < COOKIE_CLIENT + 8 || olen > COOKIE_CLIENT + 32))
				return -1;
			if (r->cookie_len)
				return -1;
			memcpy(r->cookie, v, olen);
			r->cookie_len = (uint8_t)olen;
			break;
		case OPT_EXPIRE:
			/* RFC 7314 2: empty in a query */
			if (olen != 0)
				return -1;
			r->expire = true;
			break;
		case OPT_KEEPALIVE:
			/* RFC 7828 3.2.1: ignored over UDP; a client sends it empty */
			if (r->in->tcp) {
				if (olen != 0)
					return -1;
				r->keepalive = true;
			}
			break;
		default:
			break; /* RFC 6891 6.1.2: unknown options are ignored */
		}
		o += 4u + olen;
	}
	/* RFC 6891 6.1.3: we implement version 0 only */
	return r->edns_version > 0 ? -2 : 0;
}

static void server_cookie(const resp_t *r, const dnsd_engine_conf_t *conf, uint32_t ts,
                          uint8_t out[COOKIE_SERVER])
{
	uint8_t m[COOKIE_CLIENT + 8 + 16];
	memcpy(m, r->cookie, COOKIE_CLIENT);
	m[8] = 1; /* version */
	m[9] = m[10] = m[11] = 0;
	dns_put32(m + 12, ts);
	memcpy(m + 16, r->in->addr, r->in->addrlen);
	uint64_t h = dnsd_siphash(conf->cookie_secret, m, 16u + r->in->addrlen);
	memcpy(out, m + 8, 8);
	for (int i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)(h >> (56 - 8 * i));
}

size_t query_edns_size(const resp_t *r, const dnsd_engine_conf_t *conf)
{
	size_t n = 11; /* root owner, type, class, ttl, rdlength */
	if (r->nsid && conf->nsid_len)
		n += 4u + conf->nsid_len;
	if (r->cookie_len && conf->cookies)
		n += 4u + COOKIE_CLIENT + COOKIE_SERVER;
	if (r->keepalive)
		n += 6;
	if (r->expire)
		n += 8;
	/* No room is kept for an extended error (RFC 8914): we only attach one
	 * to answers without records, which are far below any limit. */
	return n;
}

void query_edns_write(resp_t *r, const dnsd_engine_conf_t *conf)
{
	uint8_t *p = r->buf + r->len;
	size_t o = 11;
	p[0] = 0;
	dns_put16(p + 1, ZONES_T_OPT);
	dns_put16(p + 3, conf->udp_max);
	uint32_t ttl = (uint32_t)(r->rcode >> 4) << 24; /* extended RCODE, version 0 */
	if (r->do_bit)
		ttl |= DO_BIT; /* RFC 3225 3: DO copied into the response */
	dns_put32(p + 5, ttl);
	if (r->nsid && conf->nsid_len) {
		dns_put16(p + o, OPT_NSID);
		dns_put16(p + o + 2, conf->nsid_len);
		memcpy(p + o + 4, conf->nsid, conf->nsid_len);
		o += 4u + conf->nsid_len;
	}
	if (r->cookie_len && conf->cookies) {
		uint32_t now = r->in->now, ts = now;
		if (r->cookie_len == COOKIE_CLIENT + COOKIE_SERVER && r->cookie[8] == 1) {
			/* RFC 9018 4.3: a valid cookie younger than half an hour is kept */
			uint32_t old = dns_get32(r->cookie + 12);
			uint8_t chk[COOKIE_SERVER];
			server_cookie(r, conf, old, chk);
			int32_t age = (int32_t)(now - old);
			if (memcmp(chk, r->cookie + 8, COOKIE_SERVER) == 0 && age >= -300 && age < 1800)
				ts = old;
		}
		dns_put16(p + o, OPT_COOKIE);
		dns_put16(p + o + 2, COOKIE_CLIENT + COOKIE_SERVER);
		memcpy(p + o + 4, r->cookie, COOKIE_CLIENT);
		server_cookie(r, conf, ts, p + o + 4 + COOKIE_CLIENT);
		o += 4 + COOKIE_CLIENT + COOKIE_SERVER;
	}
	if (r->keepalive) {
		dns_put16(p + o, OPT_KEEPALIVE);
		dns_put16(p + o + 2, 2);
		dns_put16(p + o + 4, conf->tcp_idle_100ms);
		o += 6;
	}
	if (r->expire_set) {
		dns_put16(p + o, OPT_EXPIRE);
		dns_put16(p + o + 2, 4);
		dns_put32(p + o + 4, r->expire_val);
		o += 8;
	}
	if (r->ede != EDE_NONE) {
		dns_put16(p + o, OPT_EDE);
		dns_put16(p + o + 2, 2);
		dns_put16(p + o + 4, r->ede);
		o += 6;
	}
	dns_put16(p + 9, (uint16_t)(o - 11));
	r->len += o;
	r->counts[SEC_AR]++;
}
