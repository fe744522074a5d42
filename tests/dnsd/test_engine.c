/* SPDX-License-Identifier: MIT */
/* The query engine in-process: crafted queries against a compiled zone. */
#include <stdlib.h>
#include <unistd.h>
#include "tests/tap.h"
#include "dnsd/engine.h"

static zones_snapshot_t *snap;
static dnsd_engine_conf_t conf = { .udp_max = 1232, .tcp_idle_100ms = 100 };
static dnsd_engine_t eng = { .conf = &conf };
static uint8_t resp[65535];
static size_t rlen;

static zones_czone_t *compile(const char *apex_s, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/test_engine.%d.zone", (int)getpid());
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	uint8_t apex[ZONES_NAME_MAX];
	(void)zones_name_parse(apex_s, NULL, apex);
	zones_content_t c;
	zones_content_init(&c, apex);
	int ret = zones_content_load(&c, path);
	zones_czone_t *z = NULL;
	if (ret == 0)
		ret = zones_czone_build(&c, 1, &z);
	if (ret)
		printf("# compile %s: %s %s\n", apex_s, dns_strerror(ret), c.err);
	zones_content_deinit(&c);
	unlink(path);
	return z;
}

/* Build and answer a query; returns the rcode or -1 when dropped. */
static int query(const char *name, uint16_t type, uint16_t flags, int edns)
{
	uint8_t q[600] = { 0x12, 0x34 };
	dns_put16(q + 2, flags);
	dns_put16(q + 4, 1);
	int n = zones_name_parse(name, NULL, q + 12);
	size_t o = 12 + (size_t)n;
	dns_put16(q + o, type);
	dns_put16(q + o + 2, 1);
	o += 4;
	if (edns >= 0) {
		dns_put16(q + 10, 1);
		q[o] = 0;
		dns_put16(q + o + 1, 41);
		dns_put16(q + o + 3, 1232);
		dns_put32(q + o + 5, (uint32_t)edns << 16);
		dns_put16(q + o + 9, 0);
		o += 11;
	}
	dnsd_query_in_t in = { .data = q, .len = o, .addrlen = 4 };
	if (dnsd_engine_answer(&eng, snap, &in, resp, sizeof resp, &rlen) != DNSD_RESPOND)
		return -1;
	return (resp[3] & 0xf) | (edns >= 0 ? 0 : 0);
}

static int an(void) { return dns_get16(resp + 6); }
static int ns(void) { return dns_get16(resp + 8); }
static bool aa(void) { return resp[2] & 0x04; }

int main(void)
{
	zones_czone_t *z = compile("example.test.",
		"$ORIGIN example.test.\n$TTL 300\n"
		"@ SOA ns1 host 7 3600 900 1209600 60\n@ NS ns1\nns1 A 192.0.2.1\n"
		"www A 192.0.2.2\nwww A 192.0.2.3\nalias CNAME www\n"
		"*.wild TXT \"wild\"\na.b.c A 192.0.2.4\n"
		"sub NS ns.sub\nns.sub A 192.0.2.5\n");
	ok(z != NULL, "zone compiles");
	if (!z)
		return tap_done();
	zones_czone_t *zs[] = { z };
	is_int(zones_snapshot_new(zs, 1, 1, &snap), 0, "snapshot built");

	is_int(query("www.example.test.", 1, 0, -1), 0, "A www: NOERROR");
	is_int(an(), 2, "two A records");
	ok(aa(), "authoritative");
	is_int(query("WwW.ExAmPlE.tEsT.", 1, 0, -1), 0, "mixed case: NOERROR");
	ok(memcmp(resp + 12, "\3WwW", 4) == 0, "question case preserved");
	is_int(query("nope.example.test.", 1, 0, -1), 3, "NXDOMAIN");
	is_int(ns(), 1, "SOA in authority");
	is_int(query("www.example.test.", 16, 0, -1), 0, "NODATA rcode");
	is_int(an(), 0, "NODATA: empty answer");
	is_int(query("alias.example.test.", 1, 0, -1), 0, "CNAME followed");
	is_int(an(), 3, "CNAME + 2 A");
	is_int(query("x.wild.example.test.", 16, 0, -1), 0, "wildcard TXT");
	is_int(an(), 1, "wildcard answer");
	is_int(query("b.c.example.test.", 1, 0, -1), 0, "empty non-terminal: NODATA");
	is_int(an(), 0, "ENT: no answer");
	is_int(query("x.sub.example.test.", 1, 0, -1), 0, "referral NOERROR");
	ok(!aa(), "referral not authoritative");
	is_int(ns(), 1, "NS in authority");
	is_int(dns_get16(resp + 10), 1, "glue in additional");
	is_int(query("example.other.", 1, 0, -1), 5, "outside our zones: REFUSED");
	is_int(query("www.example.test.", 1, 0x8000, -1), -1, "responses are dropped");
	is_int(query("www.example.test.", 1, 5 << 11, -1), 4, "unknown opcode: NOTIMP");
	is_int(query("www.example.test.", 1, 0, 1), 0, "EDNS version 1: header rcode 0");
	ok(rlen > 11 && resp[rlen - 11 + 5] == 1, "BADVERS in the OPT extended rcode");
	/* a compressed question name: FORMERR, with an OPT because the query had one */
	uint8_t cq[40] = { 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0xc0, 0x0c, 0, 1, 0, 1,
		           0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
	dnsd_query_in_t cin = { .data = cq, .len = 29, .addrlen = 4 };
	is_int(dnsd_engine_answer(&eng, snap, &cin, resp, sizeof resp, &rlen), DNSD_RESPOND,
	       "compressed question name answered");
	is_int(resp[3] & 0xf, 1, "... with FORMERR");
	is_int(dns_get16(resp + 10), 1, "... and an OPT record (RFC 6891 7)");
	uint8_t shortq[5] = { 1, 2, 3, 4, 5 };
	dnsd_query_in_t in = { .data = shortq, .len = 5 };
	is_int(dnsd_engine_answer(&eng, snap, &in, resp, sizeof resp, &rlen), DNSD_DROP,
	       "short packet dropped");
	zones_snapshot_free(snap);
	return tap_done();
}
