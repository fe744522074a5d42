/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as a master file for the apex fuzz.test.
 * They go through what an import does (zones_content_read, _validate,
 * zones_czone_build) and an export (zones_content_write).  A zone that
 * compiles is then queried through the engine, for each of its names and
 * types, over UDP and TCP, and every response is checked like the engine
 * fuzzer does (tests/fuzz/msgcheck.h): odd zones reach engine paths that
 * fixed test zones cannot.
 *
 * FUZZ_ZONE_ROUNDTRIP=1 also re-reads the export and aborts when it does not
 * give the same records back (export then import must not change a zone).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dnsd/engine.h"
#include "tests/fuzz/msgcheck.h"

static char path[64], path2[64];
static FILE *devnull;
static uint8_t apex[ZONES_NAME_MAX];
static bool roundtrip;
static uint8_t *out;

static void cleanup(void)
{
	unlink(path);
	unlink(path2);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof path, "/tmp/fuzz_zone.%d.zone", (int)getpid());
	snprintf(path2, sizeof path2, "/tmp/fuzz_zone.%d.export", (int)getpid());
	devnull = fopen("/dev/null", "w");
	out = malloc(65535);
	if (!devnull || !out || zones_name_parse("fuzz.test.", NULL, apex) < 0)
		abort();
	const char *rt = getenv("FUZZ_ZONE_ROUNDTRIP");
	roundtrip = rt && *rt == '1';
	atexit(cleanup);
	return 0;
}

static void rr_fail(const char *what, const zones_content_t *c, size_t i)
{
	char line[2048];
	if (c && i < c->n) {
		zones_rr_print(&c->rr[i], line, sizeof line);
		fprintf(stderr, "fuzz_zone: %s: %s\n", what, line);
	} else {
		fprintf(stderr, "fuzz_zone: %s\n", what);
	}
	abort();
}

/* One query of \p name / \p type, answered and checked. */
static void ask(dnsd_engine_t *eng, const zones_snapshot_t *snap, const uint8_t *name, size_t nl,
                uint16_t type, int variant)
{
	uint8_t q[12 + ZONES_NAME_MAX + 4 + 11];
	memset(q, 0, 12);
	q[0] = 0xab;
	q[1] = (uint8_t)variant;
	dns_put16(q + 4, 1);
	memcpy(q + 12, name, nl);
	if (variant & 4) {
		/* a mixed-case question: the response must copy it as sent */
		for (size_t o = 12; q[o]; o += 1u + q[o])
			if (q[o + 1] >= 'a' && q[o + 1] <= 'z')
				q[o + 1] -= 32;
	}
	size_t o = 12 + nl;
	dns_put16(q + o, type);
	dns_put16(q + o + 2, 1);
	o += 4;
	bool tcp = variant & 1;
	if (variant & 2) {
		dns_put16(q + 10, 1);
		q[o] = 0;
		dns_put16(q + o + 1, ZONES_T_OPT);
		dns_put16(q + o + 3, 1232);
		dns_put32(q + o + 5, 0x8000);
		dns_put16(q + o + 9, 0);
		o += 11;
	}
	dnsd_query_in_t in = { .data = q, .len = o, .tcp = tcp, .addrlen = 4, .now = 1700000000 };
	size_t cap = tcp ? 65535 : 1232, len = 0;
	if (dnsd_engine_answer(eng, snap, &in, out, cap, &len) != DNSD_RESPOND)
		rr_fail("a well-formed query was dropped", NULL, 0);
	size_t limit = tcp ? 65535 : msgcheck_udp_limit(q, o, 1232);
	const char *e = msgcheck_response(q, o, out, len, limit);
	if (e) {
		char n[1024];
		zones_name_print(name, n, sizeof n);
		fprintf(stderr, "fuzz_zone: invalid response to %s type %u (%s%s): %s\n", n, type,
		        tcp ? "TCP" : "UDP", (variant & 2) ? " EDNS" : "", e);
		abort();
	}
}

static void query_all(const zones_content_t *c, zones_czone_t *z)
{
	static dnsd_engine_conf_t conf = { .udp_max = 1232, .tcp_idle_100ms = 100 };
	dnsd_engine_t eng = { .conf = &conf };
	zones_snapshot_t *snap;
	if (zones_snapshot_new(&z, 1, 1, &snap) != 0)
		return;
	static const uint16_t extra[] = { ZONES_T_A, ZONES_T_ANY, ZONES_T_DS, ZONES_T_CNAME,
	                                  ZONES_T_NS, ZONES_T_MX };
	int variant = 0;
	unsigned owners = 0;
	for (size_t i = 0; i < c->n && owners < 32; i++) {
		const zones_rr_t *rr = &c->rr[i];
		size_t nl = zones_name_len(rr->owner, ZONES_NAME_MAX);
		ask(&eng, snap, rr->owner, nl, rr->type, variant++);
		if (i + 1 < c->n && zones_name_cmp(rr->owner, c->rr[i + 1].owner) == 0)
			continue;
		/* once per owner: other types and a name below it (wildcards, cuts, DNAME) */
		owners++;
		for (size_t k = 0; k < sizeof extra / sizeof *extra; k++)
			ask(&eng, snap, rr->owner, nl, extra[k], variant++);
		if (nl + 2 <= ZONES_NAME_MAX) {
			uint8_t below[ZONES_NAME_MAX] = { 1, 'x' };
			memcpy(below + 2, rr->owner, nl);
			ask(&eng, snap, below, nl + 2, ZONES_T_A, variant++);
			ask(&eng, snap, below, nl + 2, ZONES_T_MX, variant++);
		}
	}
	zones_snapshot_free(snap); /* frees z: the snapshot held the only reference */
}

/* Export, re-import, compare: the records must come back unchanged. */
static void roundtrip_check(zones_content_t *c)
{
	FILE *f = fopen(path2, "w");
	if (!f)
		return;
	if (zones_content_write(c, f) != 0)
		rr_fail("export failed", NULL, 0);
	fclose(f);
	zones_content_t back;
	zones_content_init(&back, apex);
	int ret = zones_content_load(&back, path2);
	if (ret != 0) {
		fprintf(stderr, "fuzz_zone: the export does not import again: %s %s\n",
		        dns_strerror(ret), back.err);
		abort();
	}
	if (back.n != c->n)
		rr_fail("the export imports with a different number of records", NULL, 0);
	for (size_t i = 0; i < c->n; i++) {
		const zones_rr_t *a = &c->rr[i], *b = &back.rr[i];
		if (zones_name_cmp(a->owner, b->owner) || a->type != b->type || a->ttl != b->ttl ||
		    a->rdlen != b->rdlen || memcmp(a->rdata, b->rdata, a->rdlen))
			rr_fail("a record changed through export and import", c, i);
	}
	zones_content_deinit(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	zones_content_t c;
	zones_content_init(&c, apex);
	int ret = zones_content_load(&c, path);
	zones_czone_t *z = NULL;
	if (ret == 0)
		ret = zones_czone_build(&c, 1, &z);
	if (ret == 0) {
		if (zones_content_write(&c, devnull) != 0)
			abort();
		query_all(&c, z);
		if (roundtrip)
			roundtrip_check(&c);
	}
	zones_content_deinit(&c);
	return 0;
}
