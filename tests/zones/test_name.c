/* SPDX-License-Identifier: MIT */
/* zones/name.c: parsing, printing, ordering and hashing of names. */
#include "tests/tap.h"
#include "zones/zones.h"

static const char *roundtrip(const char *in, const uint8_t *origin, char *out, size_t len)
{
	uint8_t w[ZONES_NAME_MAX];
	int r = zones_name_parse(in, origin, w);
	if (r < 0)
		return NULL;
	zones_name_print(w, out, len);
	return out;
}

int main(void)
{
	char buf[1100];
	uint8_t origin[ZONES_NAME_MAX];
	is_int(zones_name_parse("example.com.", NULL, origin), 13, "absolute name parses");
	is_str(roundtrip("www", origin, buf, sizeof buf), "www.example.com.", "relative + origin");
	is_str(roundtrip("@", origin, buf, sizeof buf), "example.com.", "@ is the origin");
	is_str(roundtrip("a\\.b.example.", NULL, buf, sizeof buf), "a\\.b.example.", "escaped dot");
	is_str(roundtrip("\\065.x.", NULL, buf, sizeof buf), "A.x.", "decimal escape");
	is_str(roundtrip(".", NULL, buf, sizeof buf), ".", "root");
	uint8_t w[ZONES_NAME_MAX];
	is_int(zones_name_parse("a..b.", NULL, w), DNS_EPARSE, "empty label refused");
	char label[80];
	memset(label, 'x', 64);
	label[64] = 0;
	is_int(zones_name_parse(label, NULL, w), DNS_ENAMELEN, "64-octet label refused");
	char longname[400] = "";
	for (int i = 0; i < 26; i++)
		strcat(longname, "abcdefghi.");
	is_int(zones_name_parse(longname, NULL, w), DNS_ENAMELEN, "name over 255 octets refused");

	uint8_t a[ZONES_NAME_MAX], b[ZONES_NAME_MAX];
	/* RFC 4034 6.1 example order */
	const char *order[] = { "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
		                "zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.",
		                "\\200.z.example." };
	bool sorted = true;
	for (size_t i = 0; i + 1 < sizeof order / sizeof *order; i++) {
		(void)zones_name_parse(order[i], NULL, a);
		(void)zones_name_parse(order[i + 1], NULL, b);
		zones_name_lower(a);
		zones_name_lower(b);
		if (zones_name_cmp(a, b) >= 0) {
			sorted = false;
			printf("# %s !< %s\n", order[i], order[i + 1]);
		}
	}
	ok(sorted, "canonical order of RFC 4034 6.1");
	(void)zones_name_parse("www.Example.COM.", NULL, a);
	zones_name_lower(a);
	(void)zones_name_parse("example.com.", NULL, b);
	ok(zones_name_is_sub(a, b), "www.example.com is below example.com");
	(void)zones_name_parse("xexample.com.", NULL, a);
	ok(!zones_name_is_sub(a, b), "xexample.com is not below example.com");
	ok(zones_name_is_sub(b, b), "a name is below itself");
	is_int(zones_name_labels(b), 2, "label count");
	is_int(zones_type_parse("mx"), 15, "type names case-insensitive");
	is_int(zones_type_parse("TYPE65280"), 65280, "TYPEnnn form");
	is_int(zones_type_parse("NOPE"), 0, "unknown type is 0");
	return tap_done();
}
