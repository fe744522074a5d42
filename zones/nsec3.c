/* SPDX-License-Identifier: MIT */
/*
 * NSEC3 hashing (RFC 5155 5) with a small SHA-1 (FIPS 180-4) of our own: the
 * query engine hashes names of NXDOMAIN answers, and must not allocate, which
 * OpenSSL's EVP interface may do.
 */
#include <string.h>
#include "zones/zones.h"

typedef struct {
	uint32_t h[5];
	uint64_t len;
	uint8_t buf[64];
	size_t n;
} sha1_t;

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static void sha1_block(sha1_t *s, const uint8_t *p)
{
	uint32_t w[80];
	for (int i = 0; i < 16; i++)
		w[i] = dns_get32(p + 4 * i);
	for (int i = 16; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
	for (int i = 0; i < 80; i++) {
		uint32_t f, k;
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		uint32_t t = ROL(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = ROL(b, 30);
		b = a;
		a = t;
	}
	s->h[0] += a;
	s->h[1] += b;
	s->h[2] += c;
	s->h[3] += d;
	s->h[4] += e;
}

static void sha1_init(sha1_t *s)
{
	static const uint32_t iv[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	memcpy(s->h, iv, sizeof iv);
	s->len = 0;
	s->n = 0;
}

static void sha1_update(sha1_t *s, const uint8_t *p, size_t len)
{
	s->len += len;
	while (len > 0) {
		size_t k = 64 - s->n < len ? 64 - s->n : len;
		memcpy(s->buf + s->n, p, k);
		s->n += k;
		p += k;
		len -= k;
		if (s->n == 64) {
			sha1_block(s, s->buf);
			s->n = 0;
		}
	}
}

static void sha1_final(sha1_t *s, uint8_t out[20])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80;
	sha1_update(s, &pad, 1);
	uint8_t zero = 0;
	while (s->n != 56)
		sha1_update(s, &zero, 1);
	uint8_t l[8];
	dns_put64(l, bits);
	sha1_update(s, l, 8);
	for (int i = 0; i < 5; i++)
		dns_put32(out + 4 * i, s->h[i]);
}

void zones_sha1(const uint8_t *data, size_t len, uint8_t out[20])
{
	sha1_t s;
	sha1_init(&s);
	sha1_update(&s, data, len);
	sha1_final(&s, out);
}

void zones_nsec3_hash(const uint8_t *lowname, size_t len, const uint8_t *salt, uint8_t saltlen,
                      uint16_t iterations, uint8_t out[20])
{
	/* RFC 5155 5: IH(salt, x, 0) = H(x || salt), IH(salt, x, k) = H(IH(k-1) || salt) */
	sha1_t s;
	sha1_init(&s);
	sha1_update(&s, lowname, len);
	sha1_update(&s, salt, saltlen);
	sha1_final(&s, out);
	for (unsigned i = 0; i < iterations; i++) {
		sha1_init(&s);
		sha1_update(&s, out, 20);
		sha1_update(&s, salt, saltlen);
		sha1_final(&s, out);
	}
}
