/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as a query to dnsd_engine_answer(),
 * against a snapshot of every zone in $FUZZ_ZONES_DIR (default: the zones of
 * the differential test) plus an inline zone of edge cases, built once.
 * Every response is checked by tests/fuzz/msgcheck.h; a violation aborts.
 *
 * Input layout (so the fuzzer controls the transport and EDNS):
 *   [0]      flags: bit 0 TCP; bit 1 append an OPT record built from [1..15];
 *            bits 2-3 engine configuration (see confs[]); bit 4 DO;
 *            bit 5 COOKIE option; bit 6 with a server cookie (valid for the
 *            configured secret); bit 7 NSID and edns-tcp-keepalive options
 *   [1..2]   UDP payload size of the appended OPT
 *   [3]      EDNS version: 0 unless >= 0xf0, then the low nibble
 *   [4..11]  client cookie
 *   [12..15] age of the server cookie in seconds (signed)
 *   [16..]   the DNS message
 * Inputs shorter than 16 octets are a UDP message as they are.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dnsd/engine.h"
#include "tests/fuzz/msgcheck.h"

#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "."
#endif

#define PREFIX 16
#define NOW 1700000000u

static zones_snapshot_t *snap;
static dnsd_engine_conf_t confs[4] = {
	{ .udp_max = 1232, .tcp_idle_100ms = 100 },
	{ .udp_max = 512, .tcp_idle_100ms = 0, .nsid_len = 9, .nsid = "fuzz-nsid", .cookies = true,
	  .cookie_secret = "0123456789abcdef" },
	{ .udp_max = 4096, .tcp_idle_100ms = 65535, .nsid_len = 128, .cookies = true,
	  .cookie_secret = "fedcba9876543210" },
	{ .udp_max = 65535, .tcp_idle_100ms = 1, .nsid_len = 1, .nsid = "x" },
};

/* Edge cases the differential zones lack: wildcards with names in RDATA,
 * CNAME/DNAME loops and long chains, a DNAME that grows the name past 255
 * octets, RRsets with more than 64 RRs, an answer that crosses the 16 KiB
 * compression limit over TCP, names near 255 octets. */
static const char edge_zone[] =
	"$ORIGIN edge.test.\n$TTL 300\n"
	"@ SOA ns.edge.test. Host.Master.edge.test. 1 3600 600 86400 30\n"
	"@ NS ns\n@ NS ns.other.test.\n@ MX 0 @\n@ MX 5 Edge.Test.\n"
	"ns A 192.0.2.1\nns AAAA 2001:db8::1\n"
	"*.w MX 10 *.w.edge.test.\n*.w MX 20 host.w\n*.w NS ns\n*.w SRV 0 0 53 ns.edge.test.\n"
	"*.w PTR x.*.w.edge.test.\nhost.w A 192.0.2.2\n"
	"*.wc CNAME x.wc.edge.test.\n*.wl CNAME y.wl2.edge.test.\n*.wl2 CNAME z.wl.edge.test.\n"
	"*.wd CNAME d1.edge.test.\n"
	"c00 CNAME c01\nc01 CNAME c02\nc02 CNAME c03\nc03 CNAME c04\nc04 CNAME c05\nc05 CNAME c06\n"
	"c06 CNAME c07\nc07 CNAME c08\nc08 CNAME c09\nc09 CNAME c10\nc10 CNAME c11\nc11 CNAME c12\n"
	"c12 CNAME c13\nc13 CNAME c14\nc14 CNAME c15\nc15 CNAME c16\nc16 CNAME c17\nc17 CNAME c18\n"
	"c18 CNAME c19\nc19 CNAME ns\n"
	"d1 DNAME x.d1.edge.test.\nd2 DNAME d3.edge.test.\nd3 DNAME d2.edge.test.\n"
	"d4 DNAME edge.test.\nd5 DNAME w.edge.test.\nd6 DNAME sub.edge.test.\n"
	"d7 DNAME c00.edge.test.\n"
	"cd CNAME a.d4.edge.test.\n"
	"sub NS ns.sub\nsub NS ns.w\nns.sub A 192.0.2.3\n*.sub A 192.0.2.4\nsub DS 1 13 2 "
	"0000000000000000000000000000000000000000000000000000000000000000\n"
	"self CNAME self\nself2 MX 1 self2\nself2 A 192.0.2.5\n"
	"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.deep A 192.0.2.6\n";

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_engine: %s %s\n", what, detail ? detail : "");
	abort();
}

static zones_czone_t *compile(const char *apex_s, const char *path)
{
	uint8_t apex[ZONES_NAME_MAX];
	if (zones_name_parse(apex_s, NULL, apex) < 0)
		die("bad apex", apex_s);
	zones_content_t c;
	zones_content_init(&c, apex);
	int ret = zones_content_load(&c, path);
	zones_czone_t *z = NULL;
	if (ret == 0)
		ret = zones_czone_build(&c, 1, &z);
	if (ret) {
		fprintf(stderr, "fuzz_engine: zone %s: %s %s\n", apex_s, dns_strerror(ret), c.err);
		abort();
	}
	zones_content_deinit(&c);
	return z;
}

/* Big RRsets are generated rather than written out. */
static void edge_write(FILE *f)
{
	fputs(edge_zone, f);
	for (int i = 0; i < 70; i++)
		fprintf(f, "many NS ns%02d.many\nns%02d.many A 192.0.2.%d\n", i, i, 10 + i);
	for (int i = 0; i < 300; i++)
		fprintf(f, "mxbig MX %d host%03d-padding-padding-padding-padding.mxbig\n"
		           "host%03d-padding-padding-padding-padding.mxbig A 198.51.100.%d\n"
		           "extmx MX %d h%03d.an-external-name.example.net.\n",
		        i, i, i, i % 250, i, i);
	/* a name of exactly 255 octets (RFC 1035 2.3.4): 3 * 64 + 52 + 11 */
	char name[300] = "";
	for (int i = 0; i < 3; i++)
		strcat(name, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	strcat(name, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.edge.test.");
	fprintf(f, "%s A 192.0.2.7\n", name);
	fprintf(f, "long CNAME %s\n", name);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("FUZZ_ZONES_DIR");
	if (!dir)
		dir = FUZZ_SRCDIR "/tests/integration/diffzones";
	zones_czone_t *zs[64];
	uint32_t n = 0;
	DIR *d = opendir(dir);
	if (!d)
		die("cannot open zone directory", dir);
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < 63) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".zone") != 0)
			continue;
		char apex[256], path[4096];
		snprintf(apex, sizeof apex, "%.*s.", (int)(l - 5), e->d_name);
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		zs[n++] = compile(apex, path);
	}
	closedir(d);
	if (n == 0)
		die("no *.zone files in", dir);
	char path[64];
	snprintf(path, sizeof path, "/tmp/fuzz_engine.%d.zone", (int)getpid());
	FILE *f = fopen(path, "w");
	if (!f)
		die("cannot write", path);
	edge_write(f);
	fclose(f);
	zs[n++] = compile("edge.test.", path);
	unlink(path);
	if (zones_snapshot_new(zs, n, 1, &snap) != 0)
		die("snapshot", NULL);
	return 0;
}

/* The server cookie dnsd would give (RFC 9018 4), to test the path that keeps it. */
static void server_cookie(const dnsd_engine_conf_t *conf, const uint8_t client[8], uint32_t ts,
                          const uint8_t addr[4], uint8_t out[16])
{
	uint8_t m[20];
	memcpy(m, client, 8);
	m[8] = 1;
	m[9] = m[10] = m[11] = 0;
	dns_put32(m + 12, ts);
	memcpy(m + 16, addr, 4);
	uint64_t h = dnsd_siphash(conf->cookie_secret, m, sizeof m);
	memcpy(out, m + 8, 8);
	for (int i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)(h >> (56 - 8 * i));
}

/* Append an OPT record as the input's prefix asks; \retval the new length. */
static size_t opt_append(uint8_t *msg, size_t len, const uint8_t *pre,
                         const dnsd_engine_conf_t *conf, const uint8_t addr[4])
{
	uint8_t f = pre[0];
	uint8_t *p = msg + len;
	size_t o = 11;
	p[0] = 0;
	dns_put16(p + 1, ZONES_T_OPT);
	dns_put16(p + 3, dns_get16(pre + 1));
	uint8_t version = pre[3] >= 0xf0 ? pre[3] & 0xf : 0;
	dns_put32(p + 5, (uint32_t)version << 16 | ((f & 0x10) ? 0x8000 : 0));
	if (f & 0x20) {
		dns_put16(p + o, 10);
		dns_put16(p + o + 2, (f & 0x40) ? 24 : 8);
		memcpy(p + o + 4, pre + 4, 8);
		if (f & 0x40) {
			int32_t age = (int32_t)dns_get32(pre + 12);
			server_cookie(conf, pre + 4, NOW - (uint32_t)age, addr, p + o + 12);
		}
		o += (f & 0x40) ? 28 : 12;
	}
	if (f & 0x80) {
		dns_put16(p + o, 3);
		dns_put16(p + o + 2, 0);
		dns_put16(p + o + 4, 11);
		dns_put16(p + o + 6, 0);
		o += 8;
	}
	dns_put16(p + 9, (uint16_t)(o - 11));
	dns_put16(msg + 10, (uint16_t)(dns_get16(msg + 10) + 1));
	return len + o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t addr[4] = { 127, 0, 0, 1 };
	uint8_t pre[PREFIX] = { 0 };
	const uint8_t *msg = data;
	size_t mlen = size;
	if (size >= PREFIX) {
		memcpy(pre, data, PREFIX);
		msg = data + PREFIX;
		mlen = size - PREFIX;
	}
	if (mlen > 65535)
		return 0; /* not one DNS message: TCP frames at most 65535 octets */
	bool tcp = pre[0] & 1;
	const dnsd_engine_conf_t *conf = &confs[(pre[0] >> 2) & 3];
	/* the query in a buffer of its exact size, so ASan sees any over-read */
	size_t qcap = mlen + ((pre[0] & 2) && mlen >= 12 ? 64 : 0);
	uint8_t *q = malloc(qcap ? qcap : 1);
	if (!q)
		return 0;
	memcpy(q, msg, mlen);
	size_t qlen = mlen;
	if ((pre[0] & 2) && mlen >= 12)
		qlen = opt_append(q, mlen, pre, conf, addr);
	if (qlen < qcap) {
		uint8_t *t = realloc(q, qlen);
		if (t)
			q = t;
	}
	/* the output buffer as the transports give it: exactly outcap octets */
	size_t outcap = tcp ? 65535 : (conf->udp_max > 512 ? conf->udp_max : 512);
	uint8_t *out1 = malloc(outcap), *out2 = malloc(outcap);
	if (!out1 || !out2) {
		free(q);
		free(out1);
		free(out2);
		return 0;
	}
	memset(out1, 0x00, outcap);
	memset(out2, 0xff, outcap);
	dnsd_engine_t eng = { .conf = conf };
	dnsd_query_in_t in = { .data = q, .len = qlen, .tcp = tcp, .addrlen = 4, .now = NOW };
	memcpy(in.addr, addr, 4);
	size_t l1 = 0, l2 = 0;
	int r1 = dnsd_engine_answer(&eng, snap, &in, out1, outcap, &l1);
	int r2 = dnsd_engine_answer(&eng, snap, &in, out2, outcap, &l2);
	if (r1 != r2 || (r1 == DNSD_RESPOND && (l1 != l2 || memcmp(out1, out2, l1) != 0)))
		die("two answers to the same query differ (uninitialised output?)", NULL);
	if (r1 == DNSD_RESPOND) {
		if (l1 > outcap)
			die("response longer than the buffer", NULL);
		size_t limit = tcp ? 65535 : msgcheck_udp_limit(q, qlen, conf->udp_max);
		if (limit > outcap)
			limit = outcap;
		const char *e = msgcheck_response(q, qlen, out1, l1, limit);
		if (e) {
			char d[64];
			snprintf(d, sizeof d, "(%s, response %zu octets, limit %zu)",
			         tcp ? "TCP" : "UDP", l1, limit);
			fprintf(stderr, "fuzz_engine: invalid response: %s %s\n", e, d);
			abort();
		}
	} else if (r1 != DNSD_DROP) {
		die("unknown return value", NULL);
	} else if (qlen >= 12 && !(q[2] & 0x80)) {
		die("a query with a header and QR clear was dropped", NULL);
	}
	free(q);
	free(out1);
	free(out2);
	return 0;
}
