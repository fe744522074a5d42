/* SPDX-License-Identifier: MIT */
/*
 * dnsd/tsig.c: TSIG (RFC 8945). Requests signed by dnspython 2.3 are verified
 * here; what we sign was checked once by dnspython and is kept as fixed vectors
 * (the time is fixed, HMAC is deterministic). "test_tsig --dump" prints what we
 * sign, as "label hex" lines, for such a check.
 */
#include <stdlib.h>
#include "tests/tap.h"
#include "dnsd/tsig.h"

#define T0 1700000000u /* Time Signed of the dnspython requests */

/*
 * dnspython: make_query("example.com.", "SOA", use_edns=0), id 0x1234, then
 * use_tsig({k1.: Key("k1.", "c2VjcmV0c2VjcmV0c2VjcmV0", alg)}, "k1.", fudge=300)
 * and to_wire() with time.time() returning T0. An OPT RR precedes the TSIG.
 */
static const char req256_hex[] =
	"123401000001000000000002076578616d706c6503636f6d000006000100002904d000000000"
	"0000026b310000fa00ff00000000003d0b686d61632d7368613235360000006553f100012c00"
	"2013cbd77c4540edf4baf302dbcec7003c6c47755444ac3726061e6b8574690c611234000000"
	"00";
static const char req256_mac[] =
	"13cbd77c4540edf4baf302dbcec7003c6c47755444ac3726061e6b8574690c61";
/* the same with key name "K1." and qname "Example.COM.", no EDNS, id 0xbeef */
static const char requpper_hex[] =
	"beef01000001000000000001074578616d706c6503434f4d0000060001024b310000fa00ff00"
	"000000003d0b686d61632d7368613235360000006553f100012c0020e534daa12fae506e0046"
	"081625d409069af3a8443c839eb62f2d6ba6697cd1b7beef00000000";
/* as req256 with hmac-sha512 */
static const char req512_hex[] =
	"123401000001000000000002076578616d706c6503636f6d000006000100002904d000000000"
	"0000026b310000fa00ff00000000005d0b686d61632d7368613531320000006553f100012c00"
	"40d16b02cdb8c91b155587c7042da4e951628c32c48a0bfc743a85671d314d1f6d9f5b69e94e"
	"cef21179403d95f3e797f36a8d43ff47e271dcb8da65a37f0273c7123400000000";

/*
 * What we sign, checked once with dnspython 2.3 (from_wire with keyring, request_mac,
 * and for the three messages multi=True with the tsig_ctx of the previous one; the
 * BADTIME MAC with dns.tsig._digest, as dnspython stops at the error before it;
 * BADSIG and BADKEY read as PeerBadSignature and PeerBadKey). Key k1 hmac-sha256.
 */
/* answer (SOA) to req256, signed at T0 + 1; also the first of the three messages */
static const char resp256_hex[] =
	"123485000001000100000001076578616d706c6503636f6d0000060001c00c0006000100000e"
	"100020026e73c00c04686f7374c00c0000000100000e1000000384001275000000003c026b31"
	"0000fa00ff00000000003d0b686d61632d7368613235360000006553f101012c0020fc770c7c"
	"3b9999b87bceb68d9ae7d03ed79ab50b3427839672824a7b0286027e123400000000";
/* second (an A RR) and third (SOA) messages, signed at T0 + 2 and T0 + 3 */
static const char multi2_hex[] =
	"123485000001000100000001076578616d706c6503636f6d000006000103777777c00c000100"
	"0100000e100004c0000201026b310000fa00ff00000000003d0b686d61632d73686132353600"
	"00006553f102012c002068fa669cc2eb390b47bcf75cd081d8dd165882d810d2ddbc8ee87a39"
	"88075769123400000000";
static const char multi3_hex[] =
	"123485000001000100000001076578616d706c6503636f6d0000060001c00c0006000100000e"
	"100020026e73c00c04686f7374c00c0000000100000e1000000384001275000000003c026b31"
	"0000fa00ff00000000003d0b686d61632d7368613235360000006553f103012c0020862e8de5"
	"3dd5ffd109567d3cb645f3f7558d6c1d2c0a376ad5c4a6c47cec3b3b123400000000";
/* NOTAUTH with BADTIME at T0 + 1000: Time Signed T0, Other Data T0 + 1000 */
static const char badtime_hex[] =
	"123485090001000000000001076578616d706c6503636f6d0000060001026b310000fa00ff00"
	"00000000430b686d61632d7368613235360000006553f100012c002024182c3e93e6c08a0f1a"
	"a1703ce289515f50b5983ec9a6da8f3a0c54e2bb118b12340012000600006553f4e8";
/* NOTAUTH with an unsigned TSIG: BADSIG, then BADKEY */
static const char badsig_hex[] =
	"123485090001000000000001076578616d706c6503636f6d0000060001026b310000fa00ff00"
	"000000001d0b686d61632d7368613235360000006553f101012c0000123400100000";
static const char badkey_hex[] =
	"123485090001000000000001076578616d706c6503636f6d0000060001026b310000fa00ff00"
	"000000001d0b686d61632d7368613235360000006553f101012c0000123400110000";
/* our request for example.com. SOA, id 0x5353, signed at T0 */
static const char ourreq_hex[] =
	"535300000001000000000001076578616d706c6503636f6d0000060001026b310000fa00ff00"
	"000000003d0b686d61632d7368613235360000006553f100012c002016a0741257da46bb1b34"
	"5798d392ff6f40938c9f92b6b2b9bbf4325b1dabf34d535300000000";

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (; h[0] && h[1] && n < cap; h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static bool same_hex(const uint8_t *p, size_t n, const char *hex)
{
	uint8_t b[2048];
	size_t bn = unhex(hex, b, sizeof b);
	return bn == n && memcmp(b, p, n) == 0;
}

static void hex_print(const char *label, const uint8_t *p, size_t n)
{
	printf("%s ", label);
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static dnsd_tsig_key_t key_make(const char *wire, int alg, const char *secret)
{
	dnsd_tsig_key_t k;
	memset(&k, 0, sizeof k);
	memcpy(k.name, wire, strlen(wire) + 1);
	k.alg = (uint8_t)alg;
	k.secretlen = (uint16_t)strlen(secret);
	memcpy(k.secret, secret, k.secretlen);
	return k;
}

#define SECRET "secretsecretsecret" /* base64 c2VjcmV0c2VjcmV0c2VjcmV0 */

/* A response to the question of \p req (12-octet header then one question): one RR. */
static size_t resp_make(uint8_t *out, const uint8_t *req, int rr)
{
	size_t q = 12;
	while (req[q])
		q += 1u + req[q];
	q += 5;
	memcpy(out, req, q);
	out[2] = 0x85; /* QR AA RD */
	out[3] = 0;
	dns_put16(out + 6, 1);
	dns_put16(out + 8, 0);
	dns_put16(out + 10, 0);
	static const uint8_t soa[] = {
		0xc0, 0x0c, 0, 6, 0, 1, 0, 0, 0x0e, 0x10, 0, 32, 2, 'n', 's', 0xc0, 0x0c,
		4, 'h', 'o', 's', 't', 0xc0, 0x0c, 0, 0, 0, 1, 0, 0, 0x0e, 0x10, 0, 0, 0x03, 0x84,
		0, 0x12, 0x75, 0, 0, 0, 0, 60,
	};
	static const uint8_t a[] = {
		3, 'w', 'w', 'w', 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 1,
	};
	const uint8_t *r = rr ? a : soa;
	size_t rl = rr ? sizeof a : sizeof soa;
	memcpy(out + q, r, rl);
	return q + rl;
}

/* A query for \p qname_wire (with its final 0) type \p qtype. */
static size_t query_make(uint8_t *m, uint16_t id, const char *qname_wire, uint16_t qtype)
{
	memset(m, 0, 12);
	dns_put16(m, id);
	dns_put16(m + 4, 1);
	size_t nl = strlen(qname_wire) + 1;
	memcpy(m + 12, qname_wire, nl);
	dns_put16(m + 12 + nl, qtype);
	dns_put16(m + 14 + nl, 1);
	return 16 + nl;
}

static int verify(const uint8_t *m, size_t n, const dnsd_tsig_key_t *keys, size_t nk, uint64_t now,
                  dnsd_tsig_ctx_t *ctx)
{
	size_t off;
	uint16_t ar;
	return dnsd_tsig_verify(m, n, keys, nk, now, ctx, &off, &ar);
}

/* The TSIG RR of a message we made: its RDATA fields. */
typedef struct {
	size_t off, mac_at;
	uint16_t maclen, error, otherlen;
	uint64_t time_signed;
	const uint8_t *other;
} rr_view_t;

static rr_view_t tsig_view(const uint8_t *m, size_t tsig_off)
{
	rr_view_t v = { .off = tsig_off };
	size_t p = tsig_off;
	while (m[p])
		p += 1u + m[p];
	p += 11; /* root, type, class, TTL, RDLENGTH */
	while (m[p])
		p += 1u + m[p];
	p++;
	v.time_signed = (uint64_t)dns_get16(m + p) << 32 | dns_get32(m + p + 2);
	v.maclen = dns_get16(m + p + 8);
	v.mac_at = p + 10;
	p += 10 + v.maclen;
	v.error = dns_get16(m + p + 2);
	v.otherlen = dns_get16(m + p + 4);
	v.other = m + p + 6;
	return v;
}

static void test_algs(void)
{
	is_int(dnsd_tsig_alg_parse("hmac-sha256"), DNSD_TSIG_SHA256, "hmac-sha256 parses");
	is_int(dnsd_tsig_alg_parse("HMAC-SHA384."), DNSD_TSIG_SHA384, "any case, final dot");
	is_int(dnsd_tsig_alg_parse("hmac-sha1"), DNSD_TSIG_SHA1, "hmac-sha1 known");
	is_int(dnsd_tsig_alg_parse("hmac-md5.sig-alg.reg.int"), -1, "hmac-md5 unknown");
	is_str(dnsd_tsig_alg_name(DNSD_TSIG_SHA512), "hmac-sha512", "name of sha512");
	ok(dnsd_tsig_alg_name(9) == NULL, "no name for an unknown id");
}

/* Sign a request and its response with each algorithm keys are created with. */
static void test_round_trips(bool dump)
{
	static const int algs[] = { DNSD_TSIG_SHA256, DNSD_TSIG_SHA384, DNSD_TSIG_SHA512 };
	for (size_t i = 0; i < 3; i++) {
		const char *an = dnsd_tsig_alg_name(algs[i]);
		dnsd_tsig_key_t keys[2] = { key_make("\x05other", algs[i], "x"),
			                    key_make("\x02k1", algs[i], SECRET) };
		uint8_t m[512], r[512];
		size_t n = query_make(m, 0x4242, "\007example\003com", 6), qn = n;
		dnsd_tsig_ctx_t cli, srv;
		is_int(dnsd_tsig_sign_request(m, &n, sizeof m, &keys[1], T0, &cli), 0,
		       "%s: request signed", an);
		is_int(n - qn, dnsd_tsig_size(&cli), "%s: dnsd_tsig_size is what was appended", an);
		size_t off;
		uint16_t ar;
		is_int(dnsd_tsig_verify(m, n, keys, 2, T0 + 10, &srv, &off, &ar), 0,
		       "%s: request verifies", an);
		ok(srv.key == &keys[1] && off == qn && ar == 0 && srv.maclen == cli.maclen &&
		   memcmp(srv.mac, cli.mac, cli.maclen) == 0,
		   "%s: key found, TSIG at %zu, ARCOUNT 0, request MAC kept", an, off);
		size_t rn = resp_make(r, m, 0);
		is_int(dnsd_tsig_sign(r, &rn, sizeof r, &srv, T0 + 10), 0, "%s: response signed",
		       an);
		if (dump) {
			char l[32];
			snprintf(l, sizeof l, "rtreq-%s", an);
			hex_print(l, m, n);
			snprintf(l, sizeof l, "rtresp-%s", an);
			hex_print(l, r, rn);
		}
		is_int(dnsd_tsig_verify_response(r, rn, &cli, T0 + 11), 0, "%s: response verifies",
		       an);
		r[14] ^= 1; /* "example" -> "eyample" */
		is_int(dnsd_tsig_verify_response(r, rn, &cli, T0 + 11), DNSD_TSIG_EFAIL,
		       "%s: a changed response does not", an);
	}
}

/* Requests signed by dnspython. */
static void test_dnspython_requests(void)
{
	uint8_t m[512];
	size_t n = unhex(req256_hex, m, sizeof m), off;
	uint16_t ar;
	dnsd_tsig_key_t keys[3] = { key_make("\x02k2", DNSD_TSIG_SHA256, SECRET),
		                    key_make("\x02k1", DNSD_TSIG_SHA256, SECRET),
		                    key_make("\x02k1", DNSD_TSIG_SHA512, SECRET) };
	dnsd_tsig_ctx_t ctx;
	is_int(dnsd_tsig_verify(m, n, keys, 3, T0, &ctx, &off, &ar), 0,
	       "dnspython request verifies");
	ok(ctx.key == &keys[1] && ctx.error == 0, "with the hmac-sha256 k1");
	is_int(off, 40, "TSIG RR at 40, after the OPT RR");
	is_int(ar, 1, "ARCOUNT without the TSIG: 1 (the OPT)");
	uint8_t mac[32];
	unhex(req256_mac, mac, sizeof mac);
	ok(ctx.maclen == 32 && memcmp(ctx.mac, mac, 32) == 0, "request MAC kept for the answer");
	is_int(ctx.time_signed, T0, "time signed read (48 bits)");
	is_int(ctx.fudge, 300, "fudge read");
	is_int(ctx.orig_id, 0x1234, "original ID read");
	ok(memcmp(ctx.keyname, "\x02k1", 4) == 0, "key name kept");
	ok(memcmp(ctx.algname, "\x0bhmac-sha256", 13) == 0, "algorithm name kept");

	is_int(verify(m, n, keys, 3, T0 + 300, &ctx), 0, "now = time signed + fudge: valid");
	is_int(verify(m, n, keys, 3, T0 - 300, &ctx), 0, "now = time signed - fudge: valid");
	is_int(verify(m, n, keys, 3, T0 + 301, &ctx), DNSD_TSIG_EFAIL, "one second later:");
	is_int(ctx.error, DNSD_TSIG_BADTIME, "BADTIME");
	is_int(verify(m, n, keys, 3, T0 - 301, &ctx), DNSD_TSIG_EFAIL, "one second earlier:");
	is_int(ctx.error, DNSD_TSIG_BADTIME, "BADTIME");
	is_int(verify(m, n, keys, 3, T0 + 86400 * 365, &ctx), DNSD_TSIG_EFAIL, "a year later:");
	ok(ctx.error == DNSD_TSIG_BADTIME && ctx.key == &keys[1] && ctx.maclen == 32,
	   "BADTIME, with the key and the request MAC (the answer is signed)");

	dnsd_tsig_key_t wrong = key_make("\x02k1", DNSD_TSIG_SHA256, "secretsecretsecreT");
	is_int(verify(m, n, &wrong, 1, T0, &ctx), DNSD_TSIG_EFAIL, "wrong secret:");
	ok(ctx.error == DNSD_TSIG_BADSIG && ctx.maclen == 0, "BADSIG, no request MAC kept");
	is_int(verify(m, n, keys, 1, T0, &ctx), DNSD_TSIG_EFAIL, "unknown key name:");
	ok(ctx.error == DNSD_TSIG_BADKEY && ctx.key == NULL, "BADKEY, no key");
	is_int(verify(m, n, &keys[2], 1, T0, &ctx), DNSD_TSIG_EFAIL, "k1 with another algorithm:");
	is_int(ctx.error, DNSD_TSIG_BADKEY, "BADKEY");
	is_int(verify(m, n, NULL, 0, T0, &ctx), DNSD_TSIG_EFAIL, "no keys at all: BADKEY");
	m[14] ^= 0x20; /* "example" -> "Example": the MAC covers the case too */
	is_int(verify(m, n, keys, 3, T0, &ctx), DNSD_TSIG_EFAIL, "a flipped bit in the question:");
	is_int(ctx.error, DNSD_TSIG_BADSIG, "BADSIG");
	m[14] ^= 0x20;
	m[0] ^= 0xff; /* RFC 8945 4.3.2: the Original ID is digested, not the ID */
	is_int(verify(m, n, keys, 3, T0, &ctx), 0, "a changed message ID still verifies");
	m[0] ^= 0xff;
	m[n - 6] ^= 1; /* the Original ID */
	is_int(verify(m, n, keys, 3, T0, &ctx), DNSD_TSIG_EFAIL, "a changed Original ID:");
	is_int(ctx.error, DNSD_TSIG_BADSIG, "BADSIG");
	m[n - 6] ^= 1;
	m[n - 43] ^= 1; /* the last octet of Time Signed: covered, and checked first */
	is_int(verify(m, n, keys, 3, T0, &ctx), DNSD_TSIG_EFAIL, "a changed Time Signed:");
	is_int(ctx.error, DNSD_TSIG_BADSIG, "BADSIG (the MAC is checked before the time)");
	m[n - 43] ^= 1;

	n = unhex(requpper_hex, m, sizeof m);
	is_int(verify(m, n, keys, 3, T0, &ctx), 0, "key name K1. matches k1. (case-insensitive)");
	ok(ctx.key == &keys[1] && memcmp(ctx.keyname, "\x02K1", 4) == 0,
	   "the name as it appeared is kept");
	n = unhex(req512_hex, m, sizeof m);
	is_int(verify(m, n, keys, 3, T0, &ctx), 0, "dnspython hmac-sha512 request verifies");
	ok(ctx.key == &keys[2] && ctx.maclen == 64, "with the hmac-sha512 k1, 64-octet MAC");
}

/* What we sign for the dnspython request; compared with vectors dnspython accepted. */
static void test_responses(bool dump)
{
	uint8_t req[512], r[3][512];
	size_t n = unhex(req256_hex, req, sizeof req), rn[3];
	dnsd_tsig_key_t keys[1] = { key_make("\x02k1", DNSD_TSIG_SHA256, SECRET) };
	dnsd_tsig_ctx_t ctx, cli;

	/* one answer */
	ok(verify(req, n, keys, 1, T0 + 1, &ctx) == 0, "request verifies at T0 + 1");
	rn[0] = resp_make(r[0], req, 0);
	is_int(dnsd_tsig_sign(r[0], &rn[0], sizeof r[0], &ctx, T0 + 1), 0, "answer signed");
	if (dump)
		hex_print("resp", r[0], rn[0]);
	ok(same_hex(r[0], rn[0], resp256_hex), "answer as dnspython accepted it");
	is_int(ctx.nsigned, 1, "one message signed");
	memset(&cli, 0, sizeof cli);
	cli.key = &keys[0];
	cli.maclen = (uint16_t)unhex(req256_mac, cli.mac, sizeof cli.mac);
	is_int(dnsd_tsig_verify_response(r[0], rn[0], &cli, T0 + 2), 0, "and as we verify it");

	/* three messages of one response (AXFR over TCP) */
	ok(verify(req, n, keys, 1, T0 + 1, &ctx) == 0, "request verifies again");
	for (int i = 0; i < 3; i++) {
		rn[i] = resp_make(r[i], req, i == 1);
		is_int(dnsd_tsig_sign(r[i], &rn[i], sizeof r[i], &ctx, T0 + 1 + (unsigned)i), 0,
		       "message %d signed", i + 1);
		if (dump) {
			char l[16];
			snprintf(l, sizeof l, "multi%d", i + 1);
			hex_print(l, r[i], rn[i]);
		}
	}
	ok(same_hex(r[0], rn[0], resp256_hex) && same_hex(r[1], rn[1], multi2_hex) &&
	   same_hex(r[2], rn[2], multi3_hex),
	   "the three messages as dnspython accepted them (the first is the answer above)");
	dnsd_tsig_ctx_t c2;
	memset(&cli, 0, sizeof cli);
	cli.key = &keys[0];
	cli.maclen = (uint16_t)unhex(req256_mac, cli.mac, sizeof cli.mac);
	c2 = cli;
	for (int i = 0; i < 3; i++)
		is_int(dnsd_tsig_verify_response(r[i], rn[i], &cli, T0 + 3), 0,
		       "message %d verifies in sequence", i + 1);
	is_int(cli.nsigned, 3, "three verified");
	is_int(dnsd_tsig_verify_response(r[1], rn[1], &c2, T0 + 3), DNSD_TSIG_EFAIL,
	       "the second message first:");
	is_int(c2.error, DNSD_TSIG_BADSIG, "BADSIG");
	is_int(dnsd_tsig_verify_response(r[0], rn[0], &c2, T0 + 3), 0, "the first, then");
	is_int(dnsd_tsig_verify_response(r[2], rn[2], &c2, T0 + 3), DNSD_TSIG_EFAIL,
	       "the third, skipping the second: BADSIG");
	is_int(dnsd_tsig_verify_response(r[1], rn[1], &c2, T0 + 3), 0,
	       "a failure leaves the chain as it was: the second verifies");
	is_int(dnsd_tsig_verify_response(r[0], rn[0], &c2, T0 + 3), DNSD_TSIG_EFAIL,
	       "a replayed first message does not");

	/* BADTIME: signed, Time Signed the request's, Other Data our time */
	is_int(verify(req, n, keys, 1, T0 + 1000, &ctx), DNSD_TSIG_EFAIL, "request at T0 + 1000");
	rn[0] = resp_make(r[0], req, 0);
	r[0][3] = 9; /* NOTAUTH */
	dns_put16(r[0] + 6, 0);
	rn[0] -= 44;
	is_int(dnsd_tsig_sign(r[0], &rn[0], sizeof r[0], &ctx, T0 + 1000), 0,
	       "BADTIME answer signed");
	if (dump)
		hex_print("badtime", r[0], rn[0]);
	ok(same_hex(r[0], rn[0], badtime_hex), "BADTIME answer as dnspython verified it");
	rr_view_t v = tsig_view(r[0], rn[0] - dnsd_tsig_size(&ctx));
	ok(v.error == DNSD_TSIG_BADTIME && v.time_signed == T0 && v.maclen == 32 &&
	   v.otherlen == 6 && dns_get32(v.other + 2) == T0 + 1000,
	   "error 18, Time Signed T0, MAC, Other Data T0 + 1000");
	memset(&cli, 0, sizeof cli);
	cli.key = &keys[0];
	cli.maclen = (uint16_t)unhex(req256_mac, cli.mac, sizeof cli.mac);
	is_int(dnsd_tsig_verify_response(r[0], rn[0], &cli, T0 + 1000), DNSD_TSIG_EFAIL,
	       "a client sees the error:");
	is_int(cli.error, DNSD_TSIG_BADTIME, "BADTIME");

	/* BADSIG, BADKEY: unsigned */
	dnsd_tsig_key_t wrong[1] = { key_make("\x02k1", DNSD_TSIG_SHA256, "x") };
	is_int(verify(req, n, wrong, 1, T0, &ctx), DNSD_TSIG_EFAIL, "wrong secret");
	rn[0] = resp_make(r[0], req, 0) - 44;
	r[0][3] = 9;
	dns_put16(r[0] + 6, 0);
	size_t before = rn[0];
	is_int(dnsd_tsig_sign(r[0], &rn[0], sizeof r[0], &ctx, T0 + 1), 0, "BADSIG answer made");
	is_int(rn[0] - before, dnsd_tsig_size(&ctx), "of dnsd_tsig_size octets");
	if (dump)
		hex_print("badsig", r[0], rn[0]);
	ok(same_hex(r[0], rn[0], badsig_hex), "BADSIG answer as dnspython read it");
	v = tsig_view(r[0], before);
	ok(v.error == DNSD_TSIG_BADSIG && v.maclen == 0 && v.otherlen == 0, "error 16, no MAC");
	is_int(verify(req, n, NULL, 0, T0, &ctx), DNSD_TSIG_EFAIL, "unknown key");
	rn[0] = before;
	dns_put16(r[0] + 10, 0);
	is_int(dnsd_tsig_sign(r[0], &rn[0], sizeof r[0], &ctx, T0 + 1), 0, "BADKEY answer made");
	if (dump)
		hex_print("badkey", r[0], rn[0]);
	ok(same_hex(r[0], rn[0], badkey_hex), "BADKEY answer as dnspython read it");
	v = tsig_view(r[0], before);
	ok(v.error == DNSD_TSIG_BADKEY && v.maclen == 0, "error 17, no MAC");

	/* a request we sign, for dnspython to verify as a server */
	uint8_t q[512];
	size_t qn = query_make(q, 0x5353, "\007example\003com", 6);
	dnsd_tsig_ctx_t rc;
	is_int(dnsd_tsig_sign_request(q, &qn, sizeof q, &keys[0], T0, &rc), 0, "request signed");
	if (dump)
		hex_print("ourreq", q, qn);
	ok(same_hex(q, qn, ourreq_hex), "request as dnspython verified it");
	is_int(rc.nsigned, 0, "the context waits for the first answer");
}

/* Malformed requests and the checks of RFC 8945 5.2.2.1 and 5.2.4. */
static void test_malformed(void)
{
	dnsd_tsig_key_t keys[1] = { key_make("\x02k1", DNSD_TSIG_SHA256, SECRET) };
	uint8_t m[600], c[600];
	size_t n = unhex(req256_hex, m, sizeof m);
	dnsd_tsig_ctx_t ctx;
	size_t off;
	uint16_t ar;

	/* no TSIG */
	uint8_t q[64];
	size_t qn = query_make(q, 1, "\007example\003com", 6);
	is_int(dnsd_tsig_verify(q, qn, keys, 1, T0, &ctx, &off, &ar), 0, "no TSIG: 0");
	ok(ctx.key == NULL && off == qn && ar == 0, "no key, the whole message, ARCOUNT as it is");
	is_int(verify(q, 11, keys, 1, T0, &ctx), DNS_EMALF, "shorter than a header: malformed");
	dns_put16(q + 6, 1);
	is_int(verify(q, qn, keys, 1, T0, &ctx), DNS_EMALF, "ANCOUNT past the end: malformed");

	/* TSIG not last: swap TSIG and OPT */
	memcpy(c, m, 29);
	memcpy(c + 29, m + 40, n - 40);
	memcpy(c + 29 + n - 40, m + 29, 11);
	is_int(verify(c, n, keys, 1, T0, &ctx), DNS_EMALF, "TSIG before the OPT: malformed");
	/* two TSIGs */
	memcpy(c, m, n);
	memcpy(c + n, m + 40, n - 40);
	dns_put16(c + 10, 3);
	is_int(verify(c, n + n - 40, keys, 1, T0, &ctx), DNS_EMALF, "two TSIGs: malformed");
	/* TSIG in the answer section (the OPT too) */
	memcpy(c, m, n);
	dns_put16(c + 6, 2);
	dns_put16(c + 10, 0);
	is_int(verify(c, n, keys, 1, T0, &ctx), DNS_EMALF, "TSIG in the answer section: malformed");
	/* octets after it */
	memcpy(c, m, n);
	c[n] = 0;
	is_int(verify(c, n + 1, keys, 1, T0, &ctx), DNS_EMALF,
	       "an octet after the TSIG: malformed");
	/* CLASS not ANY */
	memcpy(c, m, n);
	c[40 + 6] = 1;
	is_int(verify(c, n, keys, 1, T0, &ctx), DNS_EMALF, "TSIG of class IN: malformed");
	/* every truncation */
	int bad = 0;
	for (size_t l = 0; l < n; l++) {
		int ret = verify(m, l, keys, 1, T0, &ctx);
		bad += ret != DNS_EMALF && !(ret == 0 && ctx.key == NULL);
	}
	is_int(bad, 0, "every prefix: malformed, or no TSIG");

	/* MAC sizes (5.2.2.1): MAC at 40 + 4 (owner) + 10 + 13 (alg) + 10 = 77 */
	dnsd_tsig_ctx_t cli;
	size_t qn2;
	uint8_t s[600];
	qn2 = query_make(s, 0x77, "\007example\003com", 6);
	is_int(dnsd_tsig_sign_request(s, &qn2, sizeof s, &keys[0], T0, &cli), 0, "our own request");
	size_t tsig_at = qn2 - dnsd_tsig_size(&cli);
	rr_view_t v = tsig_view(s, tsig_at);
	for (int keep = 33; keep >= 8; keep--) {
		/* cut (or grow) the MAC to keep octets, fixing MAC Size and RDLENGTH */
		memcpy(c, s, v.mac_at);
		size_t mac_keep = keep > 32 ? 32 : (size_t)keep;
		memcpy(c + v.mac_at, s + v.mac_at, mac_keep);
		size_t o = v.mac_at + mac_keep;
		if (keep > 32)
			c[o++] = 0;
		memcpy(c + o, s + v.mac_at + 32, 6);
		o += 6;
		dns_put16(c + v.mac_at - 2, (uint16_t)keep);
		dns_put16(c + tsig_at + 4 + 8, (uint16_t)(dns_get16(s + tsig_at + 12) + keep - 32));
		int ret = verify(c, o, keys, 1, T0, &ctx);
		if (keep == 33)
			is_int(ret, DNS_EMALF, "MAC longer than the hash: malformed (5.2.2.1)");
		else if (keep == 32)
			is_int(ret, 0, "full MAC: valid");
		else if (keep == 16) {
			is_int(ret, DNSD_TSIG_EFAIL, "MAC truncated to 16 (half of 32):");
			ok(ctx.error == DNSD_TSIG_BADTRUNC && ctx.maclen == 16,
			   "BADTRUNC, with the truncated request MAC for the answer (5.2.4)");
		} else if (keep == 15)
			is_int(ret, DNS_EMALF, "MAC of 15 < half of 32: malformed (5.2.2.1)");
		else if (keep == 8)
			is_int(ret, DNS_EMALF, "MAC of 8 < 10: malformed (5.2.2.1)");
	}
	/* a truncated MAC that is wrong is BADSIG, not BADTRUNC (5.2.2 comes first) */
	memcpy(c, s, v.mac_at + 20);
	c[v.mac_at] ^= 1;
	memcpy(c + v.mac_at + 20, s + v.mac_at + 32, 6);
	dns_put16(c + v.mac_at - 2, 20);
	dns_put16(c + tsig_at + 12, (uint16_t)(dns_get16(s + tsig_at + 12) - 12));
	is_int(verify(c, v.mac_at + 26, keys, 1, T0, &ctx), DNSD_TSIG_EFAIL,
	       "wrong truncated MAC:");
	is_int(ctx.error, DNSD_TSIG_BADSIG, "BADSIG");
	/* a BADTRUNC answer is signed over the truncated request MAC */
	memcpy(c, s, v.mac_at + 20);
	memcpy(c + v.mac_at + 20, s + v.mac_at + 32, 6);
	dns_put16(c + v.mac_at - 2, 20);
	dns_put16(c + tsig_at + 12, (uint16_t)(dns_get16(s + tsig_at + 12) - 12));
	is_int(verify(c, v.mac_at + 26, keys, 1, T0, &ctx), DNSD_TSIG_EFAIL, "truncated to 20:");
	is_int(ctx.error, DNSD_TSIG_BADTRUNC, "BADTRUNC");
	uint8_t r[600];
	size_t rn = resp_make(r, c, 0);
	is_int(dnsd_tsig_sign(r, &rn, sizeof r, &ctx, T0), 0, "BADTRUNC answer signed");
	cli.maclen = 20;
	is_int(dnsd_tsig_verify_response(r, rn, &cli, T0), DNSD_TSIG_EFAIL,
	       "client sees the error:");
	is_int(cli.error, DNSD_TSIG_BADTRUNC, "BADTRUNC");

	/* compression: the TSIG owner as a pointer to the question "k1." */
	qn2 = query_make(s, 0x99, "\x02k1", 16);
	is_int(dnsd_tsig_sign_request(s, &qn2, sizeof s, &keys[0], T0, &cli), 0,
	       "request for k1. TXT");
	tsig_at = qn2 - dnsd_tsig_size(&cli);
	memcpy(c, s, tsig_at);
	c[tsig_at] = 0xc0;
	c[tsig_at + 1] = 12;
	memcpy(c + tsig_at + 2, s + tsig_at + 4, qn2 - tsig_at - 4);
	is_int(dnsd_tsig_verify(c, qn2 - 2, keys, 1, T0, &ctx, &off, &ar), 0,
	       "TSIG owner compressed: still verifies (canonical name in the MAC)");
	is_int(off, tsig_at, "TSIG found where the pointer is");
	c[tsig_at + 1] = (uint8_t)tsig_at;
	is_int(verify(c, qn2 - 2, keys, 1, T0, &ctx), DNS_EMALF, "a pointer to itself: malformed");
	c[tsig_at + 1] = (uint8_t)(tsig_at + 2);
	is_int(verify(c, qn2 - 2, keys, 1, T0, &ctx), DNS_EMALF, "a forward pointer: malformed");
	/* a loop through a label: 12: "\x02k1" then a pointer back to 12 */
	c[12 + 3] = 0xc0;
	c[12 + 4] = 12;
	is_int(verify(c, qn2 - 2, keys, 1, T0, &ctx), DNS_EMALF, "a pointer loop: malformed");
	/* a name longer than 255 through pointers */
	uint8_t big[1200];
	memset(big, 0, sizeof big);
	dns_put16(big + 4, 1);
	size_t p = 12;
	for (int i = 0; i < 5; i++) {
		big[p] = 63;
		memset(big + p + 1, 'a', 63);
		p += 64;
	}
	big[p++] = 0;
	p += 4;
	is_int(verify(big, p, keys, 1, T0, &ctx), DNS_EMALF, "a 321-octet name: malformed");

	/* no room */
	qn = query_make(q, 1, "\007example\003com", 6);
	size_t before = qn;
	is_int(dnsd_tsig_sign_request(q, &qn, sizeof q, &keys[0], T0, &cli), DNS_ESPACE,
	       "no room for the TSIG: DNS_ESPACE");
	ok(qn == before && dns_get16(q + 10) == 0, "and the message is unchanged");
	memset(&ctx, 0, sizeof ctx);
	is_int(dnsd_tsig_sign(q, &qn, sizeof q, &ctx, T0), DNS_EINVAL,
	       "signing without key or error: DNS_EINVAL");
	dnsd_tsig_key_t md5 = key_make("\x02k1", 7, SECRET);
	is_int(dnsd_tsig_sign_request(q, &qn, sizeof q, &md5, T0, &cli), DNS_EINVAL,
	       "unknown algorithm: DNS_EINVAL");
	memset(&cli, 0, sizeof cli);
	is_int(dnsd_tsig_verify_response(m, n, &cli, T0), DNS_EINVAL,
	       "verifying a response without a key: DNS_EINVAL");
	cli.key = &keys[0];
	is_int(dnsd_tsig_verify_response(q, qn, &cli, T0), DNS_EMALF,
	       "an unsigned answer to a signed request: a format error (5.4)");
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Random mutations of signed messages: no crash, no read outside (run under ASan). */
static void test_mutations(void)
{
	dnsd_tsig_key_t keys[1] = { key_make("\x02k1", DNSD_TSIG_SHA256, SECRET) };
	/* a request (with OPT), and an answer (with compression pointers) */
	uint8_t base[2][512], m[600];
	size_t bn[2] = { unhex(req256_hex, base[0], sizeof base[0]),
		         unhex(resp256_hex, base[1], sizeof base[1]) };
	dnsd_tsig_ctx_t ctx;
	unsigned unexpected = 0, valid = 0, fails = 0, malformed = 0, valid_answers = 0;
	for (int i = 0; i < 100000; i++) {
		size_t n = bn[i & 1];
		memcpy(m, base[i & 1], n);
		int edits = 1 + (int)(rng() % 4);
		for (int e = 0; e < edits; e++) {
			uint64_t r = rng();
			size_t at = (size_t)(r >> 8) % n;
			switch (r % 6) {
			case 0: m[at] ^= (uint8_t)(1u << (r >> 40) % 8); break;
			case 1: m[at] = (uint8_t)(r >> 48); break;
			case 2: n = at ? at : 1; break;                 /* truncate */
			case 3: m[at] = 0xc0; break;                    /* pointer-ish */
			case 4:                                          /* insert */
				if (n < sizeof m) {
					memmove(m + at + 1, m + at, n - at);
					m[at] = (uint8_t)(r >> 32);
					n++;
				}
				break;
			default: /* a small section count */
				dns_put16(m + 4 + 2 * ((r >> 16) % 4), (uint16_t)((r >> 24) % 4));
				break;
			}
		}
		/* an exact-size heap copy, so ASan sees any read past the end */
		uint8_t *h = malloc(n);
		memcpy(h, m, n);
		size_t off = 0;
		uint16_t ar;
		int ret = dnsd_tsig_verify(h, n, keys, 1, T0, &ctx, &off, &ar);
		if (ret == 0)
			valid++;
		else if (ret == DNSD_TSIG_EFAIL)
			fails++;
		else if (ret == DNS_EMALF)
			malformed++;
		if ((ret != 0 && ret != DNSD_TSIG_EFAIL && ret != DNS_EMALF) ||
		    (ret == 0 && (off > n || (ctx.key && ctx.error))) ||
		    (ret == DNSD_TSIG_EFAIL && !ctx.error))
			unexpected++;
		/* the client side reads answers the same way */
		dnsd_tsig_ctx_t cli = { .key = &keys[0], .maclen = 32 };
		unhex(req256_mac, cli.mac, sizeof cli.mac);
		ret = dnsd_tsig_verify_response(h, n, &cli, T0 + 1);
		if (ret == 0)
			valid_answers++;
		if (ret != 0 && ret != DNSD_TSIG_EFAIL && ret != DNS_EMALF)
			unexpected++;
		free(h);
	}
	is_int(unexpected, 0, "100000 mutations: only 0, DNSD_TSIG_EFAIL or DNS_EMALF "
	       "(%u valid, %u failed, %u malformed)", valid, fails, malformed);
	ok(valid > 0 && fails > 0 && malformed > 0 && valid_answers > 0,
	   "all three outcomes seen; %u answers still valid for the client", valid_answers);
}

int main(int argc, char **argv)
{
	bool dump = argc > 1 && strcmp(argv[1], "--dump") == 0;
	test_algs();
	test_round_trips(dump);
	test_dnspython_requests();
	test_responses(dump);
	test_malformed();
	test_mutations();
	return tap_done();
}
