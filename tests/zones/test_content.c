/* SPDX-License-Identifier: MIT */
/* zones/content.c and master.c: reading, validating, exporting zones. */
#include <stdlib.h>
#include <unistd.h>
#include "tests/tap.h"
#include "zones/zones.h"

static char path[64];

static int load(const char *text, zones_content_t *c)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	uint8_t apex[ZONES_NAME_MAX];
	(void)zones_name_parse("example.test.", NULL, apex);
	zones_content_init(c, apex);
	int ret = zones_content_load(c, path);
	return ret;
}

#define HEAD "$ORIGIN example.test.\n$TTL 300\n@ SOA ns1 host 7 3600 900 1209600 60\n@ NS ns1\nns1 A 192.0.2.1\n"

int main(void)
{
	snprintf(path, sizeof path, "/tmp/test_content.%d.zone", (int)getpid());
	zones_content_t c;
	is_int(load(HEAD "www A 192.0.2.2\n", &c), 0, "a valid zone loads");
	is_int(c.n, 4, "four records");
	uint32_t serial;
	is_int(zones_content_serial_get(&c, &serial), 0, "serial readable");
	is_int(serial, 7, "serial from the file");
	zones_content_deinit(&c);

	is_int(load(HEAD "www CNAME ns1\nwww A 192.0.2.3\n", &c), DNS_ECNAME, "CNAME and A refused");
	ok(strstr(c.err, ":6:") && strstr(c.err, "www.example.test."), "error names line and owner: %s",
	   c.err);
	zones_content_deinit(&c);
	is_int(load(HEAD "www.other.test. A 192.0.2.3\n", &c), DNS_EOUTOFZONE, "out-of-zone refused");
	ok(strstr(c.err, "www.other.test.") != NULL, "error names the record: %s", c.err);
	zones_content_deinit(&c);
	is_int(load("$ORIGIN example.test.\n@ 300 NS ns1\n", &c), DNS_ENOSOA, "missing SOA refused");
	zones_content_deinit(&c);
	is_int(load("$ORIGIN example.test.\n@ 300 SOA ns1 host 1 2 3 4 5\n", &c), DNS_ENONS,
	       "missing NS refused");
	zones_content_deinit(&c);
	is_int(load(HEAD "www A 192.0.2\n", &c), DNS_EPARSE, "bad address refused");
	ok(strstr(c.err, ":6:") != NULL, "parse error names the line: %s", c.err);
	zones_content_deinit(&c);
	is_int(load(HEAD "d DNAME other.test.\nx.d A 192.0.2.9\n", &c), DNS_EDNAME,
	       "data below a DNAME refused");
	zones_content_deinit(&c);
	is_int(load(HEAD "sub NS ns.sub\nsub SOA a b 1 2 3 4 5\n", &c), DNS_ENOSOA,
	       "SOA away from the apex refused");
	zones_content_deinit(&c);

	is_int(load(HEAD "m MX 10 Mail.Example.Test.\nm MX 10 mail.example.test.\n", &c), 0,
	       "MX differing in RDATA case loads");
	is_int(c.n, 4, "and is one RR (RFC 4034 6.2: names compare case-insensitively)");
	zones_content_deinit(&c);

	/* export, re-read: the same records */
	is_int(load(HEAD "Mixed TXT \"a b\" \"c\"\n_s._tcp SRV 0 1 25 mail\nmx MX 10 ns1\n", &c), 0,
	       "zone for the round trip loads");
	char out[64];
	snprintf(out, sizeof out, "%s.out", path);
	FILE *f = fopen(out, "w");
	is_int(zones_content_write(&c, f), 0, "export writes");
	fclose(f);
	zones_content_t d;
	zones_content_init(&d, c.apex);
	is_int(zones_content_read(&d, out), 0, "export reads back");
	is_int(zones_content_validate(&d), 0, "and validates");
	bool same = c.n == d.n;
	for (size_t i = 0; same && i < c.n; i++)
		same = c.rr[i].type == d.rr[i].type && c.rr[i].ttl == d.rr[i].ttl &&
		       c.rr[i].rdlen == d.rr[i].rdlen && !memcmp(c.rr[i].rdata, d.rr[i].rdata, c.rr[i].rdlen) &&
		       zones_name_cmp(c.rr[i].owner, d.rr[i].owner) == 0;
	ok(same, "import -> export -> import keeps every RR");
	uint8_t d1[32], d2[32];
	(void)zones_content_digest(&c, NULL, d1);
	(void)zones_content_serial_set(&d, 99);
	(void)zones_content_digest(&d, NULL, d2);
	ok(memcmp(d1, d2, 32) == 0, "digest ignores the serial");
	zones_content_deinit(&c);
	zones_content_deinit(&d);
	unlink(out);
	unlink(path);
	return tap_done();
}
