/* SPDX-License-Identifier: MIT */
/*
 * TSIG (RFC 8945) with OpenSSL 3's HMAC. Messages are walked with a bounded
 * name reader; nothing is copied except the small TSIG fields, and the MAC is
 * computed over the message in place (the two header fields that differ from
 * what was signed, ID and ARCOUNT, are digested from a 12-octet copy).
 */
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "dnsd/tsig.h"
#include "zones/zones.h"

#define TYPE_TSIG 250
#define CLASS_ANY 255
#define NAME_MAX_WIRE 255
#define HDR_LEN 12
/* more jumps than a 255-octet name has labels: not a name (the rules of name_read
 * end any loop anyway; this bounds the work) */
#define MAX_HOPS 128

/* OpenSSL digest names, by DNSD_TSIG_* */
static const char *const md_names[] = {
	[DNSD_TSIG_SHA256] = "SHA256", [DNSD_TSIG_SHA384] = "SHA384", [DNSD_TSIG_SHA512] = "SHA512",
	[DNSD_TSIG_SHA224] = "SHA224", [DNSD_TSIG_SHA1] = "SHA1",
};

int dnsd_tsig_alg_parse(const char *name)
{
	return dns_tsig_alg_parse(name);
}

const char *dnsd_tsig_alg_name(int alg)
{
	return dns_tsig_alg_name(alg);
}

static uint8_t ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* ---- names ------------------------------------------------------------------ */

/*
 * Read the name at msg[off]: decompressed (with its case) into out[255] when out
 * is not NULL, its length into *outlen, and the offset after it in the message
 * (after the first pointer, if any) into *end. Hostile input: every pointer must
 * go strictly backwards from where it is, the name may not exceed 255 octets
 * (RFC 1035 3.1) and labels use only the two types of RFC 1035 4.1.4, so
 * reading ends within MAX_HOPS jumps and never leaves msg[0, len).
 */
static int name_read(const uint8_t *msg, size_t len, size_t off, uint8_t *out, size_t *outlen,
                     size_t *end)
{
	size_t pos = off, total = 0;
	bool jumped = false;
	for (unsigned hops = 0;;) {
		if (pos >= len)
			return DNS_EMALF;
		uint8_t c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return DNS_EMALF;
			size_t target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (target >= pos || ++hops > MAX_HOPS)
				return DNS_EMALF;
			if (!jumped)
				*end = pos + 2;
			jumped = true;
			pos = target;
			continue;
		}
		if (c & 0xc0)
			return DNS_EMALF;
		if (total + 1u + c > NAME_MAX_WIRE || (c && len - pos < 1u + c))
			return DNS_EMALF;
		if (out)
			memcpy(out + total, msg + pos, 1u + c);
		total += 1u + c;
		pos += 1u + c;
		if (c == 0)
			break;
	}
	if (!jumped)
		*end = pos;
	*outlen = total;
	return 0;
}

/* Length of a wire name we hold (keys, contexts), 0 when it is not a valid one. */
static size_t name_len(const uint8_t *n)
{
	return zones_name_len(n, ZONES_NAME_MAX);
}

/* Names compare case-insensitively (RFC 4343); both valid, length bytes never letters. */
static bool name_eq(const uint8_t *a, const uint8_t *b)
{
	size_t la = name_len(a), lb = name_len(b);
	if (!la || la != lb)
		return false;
	for (size_t i = 0; i < la; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

/* The TSIG algorithm of a wire name (RFC 8945 6, one label each), or -1. */
static int alg_from_wire(const uint8_t *n)
{
	for (int a = 0; dnsd_tsig_alg_name(a); a++) {
		const char *s = dnsd_tsig_alg_name(a);
		size_t sl = strlen(s);
		if (n[0] != sl || n[1 + sl] != 0)
			continue;
		size_t i = 0;
		while (i < sl && ascii_lower(n[1 + i]) == (uint8_t)s[i])
			i++;
		if (i == sl)
			return a;
	}
	return -1;
}

/* Our algorithm name in wire format (canonical: lowercase). */
static size_t alg_to_wire(int alg, uint8_t *out)
{
	const char *s = dnsd_tsig_alg_name(alg);
	size_t sl = strlen(s);
	out[0] = (uint8_t)sl;
	memcpy(out + 1, s, sl);
	out[1 + sl] = 0;
	return sl + 2;
}

/* ---- finding the TSIG RR ------------------------------------------------------ */

typedef struct {
	bool found;
	size_t off; /* where the TSIG RR starts */
	uint8_t owner[NAME_MAX_WIRE], alg[NAME_MAX_WIRE];
	size_t ownerlen, alglen;
	uint64_t time_signed;
	uint16_t fudge, maclen, orig_id, error, otherlen;
	const uint8_t *mac, *other;
} tsig_rr_t;

/* TSIG RDATA (RFC 8945 4.2); it must fill RDLENGTH exactly. */
static int tsig_rdata_parse(const uint8_t *msg, size_t len, size_t rd, size_t rdlen, tsig_rr_t *t)
{
	size_t end = rd + rdlen, p;
	int ret = name_read(msg, len, rd, t->alg, &t->alglen, &p);
	if (ret)
		return ret;
	if (p > end || end - p < 10)
		return DNS_EMALF;
	t->time_signed = (uint64_t)dns_get16(msg + p) << 32 | dns_get32(msg + p + 2);
	t->fudge = dns_get16(msg + p + 6);
	t->maclen = dns_get16(msg + p + 8);
	p += 10;
	if (end - p < t->maclen)
		return DNS_EMALF;
	t->mac = msg + p;
	p += t->maclen;
	if (end - p < 6)
		return DNS_EMALF;
	t->orig_id = dns_get16(msg + p);
	t->error = dns_get16(msg + p + 2);
	t->otherlen = dns_get16(msg + p + 4);
	p += 6;
	if (end - p != t->otherlen)
		return DNS_EMALF;
	t->other = msg + p;
	return 0;
}

/*
 * Walk the whole message to find its TSIG RR. RFC 8945 5.2: a TSIG anywhere but
 * last in the additional section, or more than one, is FORMERR; and octets after
 * it would not be covered by the MAC, so they make the message malformed too.
 */
static int tsig_find(const uint8_t *msg, size_t len, tsig_rr_t *t)
{
	memset(t, 0, sizeof *t);
	if (len < HDR_LEN)
		return DNS_EMALF;
	uint32_t qd = dns_get16(msg + 4), an = dns_get16(msg + 6), ns = dns_get16(msg + 8);
	uint32_t ar = dns_get16(msg + 10), nrr = an + ns + ar;
	size_t off = HDR_LEN, nl;
	int ret;
	for (uint32_t i = 0; i < qd; i++) {
		if ((ret = name_read(msg, len, off, NULL, &nl, &off)))
			return ret;
		if (len - off < 4)
			return DNS_EMALF;
		off += 4;
	}
	for (uint32_t i = 0; i < nrr; i++) {
		size_t start = off;
		if ((ret = name_read(msg, len, off, t->owner, &t->ownerlen, &off)))
			return ret;
		if (len - off < 10)
			return DNS_EMALF;
		uint16_t type = dns_get16(msg + off), rdlen = dns_get16(msg + off + 8);
		size_t rd = off + 10;
		if (len - rd < rdlen)
			return DNS_EMALF;
		off = rd + rdlen;
		if (type != TYPE_TSIG)
			continue;
		if (i != nrr - 1 || ar == 0 || off != len)
			return DNS_EMALF;
		/* RFC 8945 4.2: CLASS ANY, TTL 0 */
		if (dns_get16(msg + rd - 8) != CLASS_ANY || dns_get32(msg + rd - 6) != 0)
			return DNS_EMALF;
		if ((ret = tsig_rdata_parse(msg, len, rd, rdlen, t)))
			return ret;
		t->found = true;
		t->off = start;
	}
	return 0;
}

/* ---- the MAC ------------------------------------------------------------------- */

/* What one MAC covers (RFC 8945 4.3), in this order. */
typedef struct {
	const uint8_t *prior;   /* request MAC or previous MAC (4.3.1, 5.3.1), or NULL */
	size_t priorlen;
	const uint8_t *hdr;     /* 12 octets: ID and ARCOUNT as they are to be digested */
	const uint8_t *body;    /* the message after its header, without the TSIG RR */
	size_t bodylen;
	bool timers_only;       /* later messages of a response (5.3.1) */
	const uint8_t *name, *alg; /* canonical (lowercase) wire names (4.3.3) */
	uint64_t time_signed;
	uint16_t fudge, error, otherlen;
	const uint8_t *other;
} digest_t;

/*
 * The TSIG variables (RFC 8945 4.3.3) up to Other Len, or the timers only;
 * returns their length. Names go in canonical form: lowercase.
 */
static size_t vars_write(const digest_t *d, uint8_t *v)
{
	size_t o = 0;
	if (!d->timers_only) {
		size_t nl = name_len(d->name), al = name_len(d->alg);
		for (size_t i = 0; i < nl; i++)
			v[o++] = ascii_lower(d->name[i]);
		dns_put16(v + o, CLASS_ANY);
		dns_put32(v + o + 2, 0);
		o += 6;
		for (size_t i = 0; i < al; i++)
			v[o++] = ascii_lower(d->alg[i]);
	}
	/* Time Signed is 48 bits (RFC 8945 4.2) */
	dns_put16(v + o, (uint16_t)(d->time_signed >> 32));
	dns_put32(v + o + 2, (uint32_t)d->time_signed);
	dns_put16(v + o + 6, d->fudge);
	o += 8;
	if (!d->timers_only) {
		dns_put16(v + o, d->error);
		dns_put16(v + o + 2, d->otherlen);
		o += 4;
	}
	return o;
}

static int mac_compute(const dnsd_tsig_key_t *key, const digest_t *d, uint8_t out[64],
                       size_t *outlen)
{
	if (!dnsd_tsig_alg_name(key->alg) || key->secretlen > sizeof key->secret)
		return DNS_EINVAL;
	/* two names, CLASS, TTL, Time Signed, Fudge, Error, Other Len */
	uint8_t vars[2 * NAME_MAX_WIRE + 6 + 8 + 4], plen[2];
	size_t vlen = vars_write(d, vars);
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
	char *md = (char *)md_names[key->alg];
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, md, 0),
		OSSL_PARAM_construct_end(),
	};
	int ok = c && EVP_MAC_init(c, key->secret, key->secretlen, params);
	if (d->prior) {
		dns_put16(plen, (uint16_t)d->priorlen);
		ok = ok && EVP_MAC_update(c, plen, 2) && EVP_MAC_update(c, d->prior, d->priorlen);
	}
	ok = ok && EVP_MAC_update(c, d->hdr, HDR_LEN) && EVP_MAC_update(c, d->body, d->bodylen) &&
	     EVP_MAC_update(c, vars, vlen);
	if (!d->timers_only && d->otherlen)
		ok = ok && EVP_MAC_update(c, d->other, d->otherlen);
	ok = ok && EVP_MAC_final(c, out, outlen, 64);
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(mac);
	return ok ? 0 : DNS_ECRYPTO;
}

/*
 * Check the MAC of a received message whose TSIG RR is t, with the prior MAC
 * (NULL for a request), and then its size, time and truncation: the checks of
 * RFC 8945 5.2.2-5.2.4 (and 5.3 for responses), in that order. The digest uses
 * the Original ID for the ID (RFC 8945 4.3.2: a forwarder may have changed it)
 * and ARCOUNT without the TSIG RR.
 */
static int mac_check(const dnsd_tsig_key_t *key, const uint8_t *msg, const tsig_rr_t *t,
                     const uint8_t *prior, size_t priorlen, bool timers_only, uint64_t now,
                     uint16_t *error)
{
	size_t hlen = dns_tsig_alg_size(key->alg);
	/* 5.2.2.1: longer than the hash, or shorter than max(10, half of it): FORMERR */
	if (t->maclen > hlen || t->maclen < 10 || t->maclen < hlen / 2)
		return DNS_EMALF;
	uint8_t hdr[HDR_LEN], mac[64];
	memcpy(hdr, msg, HDR_LEN);
	dns_put16(hdr, t->orig_id);
	dns_put16(hdr + 10, (uint16_t)(dns_get16(msg + 10) - 1));
	digest_t d = {
		.prior = prior, .priorlen = priorlen, .hdr = hdr, .body = msg + HDR_LEN,
		.bodylen = t->off - HDR_LEN, .timers_only = timers_only, .name = t->owner,
		.alg = t->alg, .time_signed = t->time_signed, .fudge = t->fudge,
		.error = t->error, .otherlen = t->otherlen, .other = t->other,
	};
	size_t maclen = 0;
	int ret = mac_compute(key, &d, mac, &maclen);
	if (ret)
		return ret;
	/* 5.2.2.1: a truncated MAC is compared on its own length */
	if (CRYPTO_memcmp(mac, t->mac, t->maclen) != 0) {
		*error = DNSD_TSIG_BADSIG;
		return DNSD_TSIG_EFAIL;
	}
	uint64_t diff = now > t->time_signed ? now - t->time_signed : t->time_signed - now;
	if (diff > t->fudge) {
		*error = DNSD_TSIG_BADTIME;
		return DNSD_TSIG_EFAIL;
	}
	/* 5.2.4: our local policy is the full length */
	if (t->maclen < hlen) {
		*error = DNSD_TSIG_BADTRUNC;
		return DNSD_TSIG_EFAIL;
	}
	return 0;
}

/* ---- server side ------------------------------------------------------------------ */

int dnsd_tsig_verify(const uint8_t *msg, size_t msglen, const dnsd_tsig_key_t *keys, size_t nkeys,
                     uint64_t now, dnsd_tsig_ctx_t *ctx, size_t *tsig_off, uint16_t *arcount)
{
	memset(ctx, 0, sizeof *ctx);
	tsig_rr_t t;
	int ret = tsig_find(msg, msglen, &t);
	if (ret)
		return ret;
	if (!t.found) {
		*tsig_off = msglen;
		*arcount = dns_get16(msg + 10);
		return 0;
	}
	*tsig_off = t.off;
	*arcount = (uint16_t)(dns_get16(msg + 10) - 1);
	memcpy(ctx->keyname, t.owner, t.ownerlen);
	memcpy(ctx->algname, t.alg, t.alglen);
	ctx->orig_id = t.orig_id;
	ctx->time_signed = t.time_signed;
	ctx->fudge = t.fudge;

	/* 5.2.1: the key is known by name and algorithm together */
	int alg = alg_from_wire(t.alg);
	const dnsd_tsig_key_t *key = NULL;
	for (size_t i = 0; alg >= 0 && i < nkeys && !key; i++)
		if (keys[i].alg == alg && name_eq(keys[i].name, t.owner))
			key = &keys[i];
	if (!key) {
		ctx->error = DNSD_TSIG_BADKEY;
		return DNSD_TSIG_EFAIL;
	}
	ctx->key = key;
	ret = mac_check(key, msg, &t, NULL, 0, false, now, &ctx->error);
	/* 5.3.2: the request MAC goes into the answer's MAC only when it validated */
	if (ret == 0 || (ret == DNSD_TSIG_EFAIL && ctx->error != DNSD_TSIG_BADSIG)) {
		memcpy(ctx->mac, t.mac, t.maclen);
		ctx->maclen = t.maclen;
	}
	return ret;
}

static bool ctx_unsigned(const dnsd_tsig_ctx_t *ctx)
{
	return ctx->error == DNSD_TSIG_BADKEY || ctx->error == DNSD_TSIG_BADSIG;
}

size_t dnsd_tsig_size(const dnsd_tsig_ctx_t *ctx)
{
	/* owner, TYPE CLASS TTL RDLENGTH, algorithm, Time Signed, Fudge, MAC Size, MAC,
	 * Original ID, Error, Other Len, Other Data */
	if (ctx_unsigned(ctx)) {
		size_t nl = name_len(ctx->keyname), al = name_len(ctx->algname);
		return nl && al ? nl + 10 + al + 16 : 0;
	}
	if (!ctx->key || !dnsd_tsig_alg_name(ctx->key->alg) || !name_len(ctx->key->name))
		return 0;
	size_t al = strlen(dnsd_tsig_alg_name(ctx->key->alg)) + 2;
	return name_len(ctx->key->name) + 10 + al + 16 + dns_tsig_alg_size(ctx->key->alg) +
	       (ctx->error == DNSD_TSIG_BADTIME ? 6 : 0);
}

int dnsd_tsig_sign(uint8_t *out, size_t *len, size_t cap, dnsd_tsig_ctx_t *ctx, uint64_t now)
{
	size_t need = dnsd_tsig_size(ctx);
	if (*len < HDR_LEN || *len > cap || !need)
		return DNS_EINVAL;
	uint16_t ar = dns_get16(out + 10);
	if (cap - *len < need || ar == 0xffff)
		return DNS_ESPACE;
	bool unsig = ctx_unsigned(ctx);
	const uint8_t *name = unsig ? ctx->keyname : ctx->key->name;
	uint8_t algw[NAME_MAX_WIRE], other[6], mac[64];
	const uint8_t *alg = ctx->algname;
	if (!unsig) {
		alg_to_wire(ctx->key->alg, algw);
		alg = algw;
	}
	/* BADTIME (5.2.3): our time goes in Other Data (4.2); Time Signed stays the
	 * request's, as BIND and Knot do, so the client's own time check passes and it
	 * can check the MAC before it believes our clock */
	bool badtime = ctx->error == DNSD_TSIG_BADTIME;
	uint64_t ts = badtime ? ctx->time_signed : now;
	dns_put16(other, (uint16_t)(now >> 32));
	dns_put32(other + 2, (uint32_t)now);
	size_t maclen = 0;
	if (!unsig) {
		/* error answers stand alone: always the first-message form */
		bool first = ctx->nsigned == 0 || ctx->error;
		digest_t d = {
			.prior = first ? (ctx->maclen ? ctx->mac : NULL) : ctx->mac,
			.priorlen = ctx->maclen, .hdr = out, .body = out + HDR_LEN,
			.bodylen = *len - HDR_LEN, .timers_only = !first, .name = name, .alg = alg,
			.time_signed = ts, .fudge = DNSD_TSIG_FUDGE, .error = ctx->error,
			.otherlen = badtime ? 6 : 0, .other = other,
		};
		int ret = mac_compute(ctx->key, &d, mac, &maclen);
		if (ret)
			return ret;
	}
	uint8_t *p = out + *len;
	size_t nl = name_len(name), al = name_len(alg);
	memcpy(p, name, nl);
	p += nl;
	dns_put16(p, TYPE_TSIG);
	dns_put16(p + 2, CLASS_ANY);
	dns_put32(p + 4, 0);
	dns_put16(p + 8, (uint16_t)(need - nl - 10));
	p += 10;
	memcpy(p, alg, al);
	p += al;
	dns_put16(p, (uint16_t)(ts >> 32));
	dns_put32(p + 2, (uint32_t)ts);
	dns_put16(p + 6, DNSD_TSIG_FUDGE);
	dns_put16(p + 8, (uint16_t)maclen);
	p += 10;
	memcpy(p, mac, maclen);
	p += maclen;
	dns_put16(p, dns_get16(out));
	dns_put16(p + 2, ctx->error);
	dns_put16(p + 4, badtime ? 6 : 0);
	p += 6;
	if (badtime) {
		memcpy(p, other, 6);
		p += 6;
	}
	*len = (size_t)(p - out);
	dns_put16(out + 10, (uint16_t)(ar + 1));
	if (!unsig) {
		memcpy(ctx->mac, mac, maclen);
		ctx->maclen = (uint16_t)maclen;
	}
	ctx->nsigned++;
	return 0;
}

/* ---- client side ------------------------------------------------------------------ */

int dnsd_tsig_sign_request(uint8_t *msg, size_t *len, size_t cap, const dnsd_tsig_key_t *key,
                           uint64_t now, dnsd_tsig_ctx_t *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	if (!dnsd_tsig_alg_name(key->alg) || key->secretlen > sizeof key->secret ||
	    !name_len(key->name) || *len < HDR_LEN)
		return DNS_EINVAL;
	ctx->key = key;
	ctx->orig_id = dns_get16(msg);
	ctx->time_signed = now;
	ctx->fudge = DNSD_TSIG_FUDGE;
	memcpy(ctx->keyname, key->name, name_len(key->name));
	alg_to_wire(key->alg, ctx->algname);
	/* a request is signed like a first message without a request MAC (4.3.1) */
	int ret = dnsd_tsig_sign(msg, len, cap, ctx, now);
	ctx->nsigned = 0;
	return ret;
}

int dnsd_tsig_verify_response(const uint8_t *msg, size_t msglen, dnsd_tsig_ctx_t *ctx,
                              uint64_t now)
{
	if (!ctx->key || !dnsd_tsig_alg_name(ctx->key->alg))
		return DNS_EINVAL;
	tsig_rr_t t;
	int ret = tsig_find(msg, msglen, &t);
	if (ret)
		return ret;
	ctx->error = 0;
	/* 5.4: an answer without the TSIG we expect is treated as a format error */
	if (!t.found)
		return DNS_EMALF;
	if (t.error) {
		ctx->error = t.error;
		return DNSD_TSIG_EFAIL;
	}
	/* 5.4.1 */
	if (alg_from_wire(t.alg) != ctx->key->alg || !name_eq(t.owner, ctx->key->name)) {
		ctx->error = DNSD_TSIG_BADKEY;
		return DNSD_TSIG_EFAIL;
	}
	/* 5.3.1: the first message chains to the request MAC with all variables,
	 * the later ones to the previous MAC with the timers only; 5.4.2-5.4.4 check
	 * the MAC, time and truncation as a server does */
	ret = mac_check(ctx->key, msg, &t, ctx->mac, ctx->maclen, ctx->nsigned > 0, now,
	                &ctx->error);
	if (ret)
		return ret;
	memcpy(ctx->mac, t.mac, t.maclen);
	ctx->maclen = t.maclen;
	ctx->nsigned++;
	return 0;
}
