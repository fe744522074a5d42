/* SPDX-License-Identifier: MIT */
/* mailcore/spf.c: SPF record syntax (RFC 7208 12) and lookup limits (4.6.4). */
#include <stdlib.h>
#include <string.h>
#include "tests/tap.h"
#include "common/common.h"
#include "mailcore/spf.h"

/* What our zones hold: everything under a hosted zone that is not listed is void. */
typedef struct {
	const char *name;
	int type;
	mailcore_spf_found_t r;
	const char *txt;
	size_t count;
} fake_rr_t;

typedef struct {
	const fake_rr_t *rr;
	unsigned calls;
} fake_dns_t;

static const char *const hosted[] = { "example.com", "example.net" };

static bool ends_with_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);
	if (n && name[n - 1] == '.')
		n--;
	if (n < z || strncmp(name + n - z, zone, z))
		return false;
	return n == z || name[n - z - 1] == '.';
}

static mailcore_spf_found_t fake_lookup(const char *name, int type, const char **txt,
					size_t *count, void *arg)
{
	fake_dns_t *dns = arg;
	dns->calls++;
	for (const fake_rr_t *rr = dns->rr; rr && rr->name; rr++) {
		if (strcmp(rr->name, name) || rr->type != type)
			continue;
		if (rr->r == MAILCORE_SPF_FOUND) {
			*txt = rr->txt;
			*count = rr->count ? rr->count : 1;
		}
		return rr->r;
	}
	for (size_t i = 0; i < sizeof hosted / sizeof *hosted; i++)
		if (ends_with_zone(name, hosted[i]))
			return MAILCORE_SPF_VOID;
	return MAILCORE_SPF_FOREIGN;
}

static const fake_rr_t zone[] = {
	{ "example.com", 15, MAILCORE_SPF_FOUND, NULL, 2 },
	{ "example.com", 1, MAILCORE_SPF_FOUND, NULL, 1 },
	{ "example.com", 16, MAILCORE_SPF_FOUND, "v=spf1 mx -all", 0 },
	{ "mail.example.com", 1, MAILCORE_SPF_FOUND, NULL, 1 },
	{ "v6only.example.com", 28, MAILCORE_SPF_FOUND, NULL, 1 },
	{ "tenmx.example.com", 15, MAILCORE_SPF_FOUND, NULL, 10 },
	{ "bigmx.example.com", 15, MAILCORE_SPF_FOUND, NULL, 11 },
	{ "_spf.example.net", 16, MAILCORE_SPF_FOUND, "v=spf1 ip4:198.51.100.0/24 -all", 0 },
	{ "_deep.example.net", 16, MAILCORE_SPF_FOUND,
	  "v=spf1 include:f1.example.org include:f2.example.org include:f3.example.org "
	  "include:f4.example.org include:f5.example.org include:f6.example.org "
	  "a:x.example.net -all", 0 },
	{ "x.example.net", 1, MAILCORE_SPF_FOUND, NULL, 1 },
	{ "_nested.example.net", 16, MAILCORE_SPF_FOUND,
	  "v=spf1 a include:_spf.example.net redirect=_deep.example.net", 0 },
	{ "_bad.example.net", 16, MAILCORE_SPF_FOUND, "v=spf1 ip4:192.0.2.1/24 ip4:1.2.3 -all", 0 },
	{ "_redir.example.net", 16, MAILCORE_SPF_FOUND, "v=spf1 a mx:tenmx.example.com", 0 },
	{ "nospf.example.com", 16, MAILCORE_SPF_FOUND, NULL, 0 },
	{ "loop1.example.com", 16, MAILCORE_SPF_FOUND, "v=spf1 include:loop2.example.com -all", 0 },
	{ "loop2.example.com", 16, MAILCORE_SPF_FOUND, "v=spf1 include:LOOP1.example.com. -all",
	  0 },
	{ "self.example.com", 16, MAILCORE_SPF_FOUND, "v=spf1 redirect=self.example.com", 0 },
	{ NULL, 0, 0, NULL, 0 },
};

static fake_dns_t dns;
static char err[256];
static unsigned lookups;

/* Check \p record published at example.com against the fake zones. */
static int check(const char *record)
{
	dns.rr = zone;
	dns.calls = 0;
	lookups = 12345;
	memset(err, 'X', sizeof err);
	return mailcore_spf_check("example.com", record, fake_lookup, &dns, &lookups, err,
				  sizeof err);
}

static void has(const char *what, const char *label)
{
	ok(strstr(err, what) != NULL, "%s: message names '%s': %s", label, what, err);
}

/* Records with a syntax error, each with the text its message must contain. */
static const struct {
	const char *record, *names;
} bad_syntax[] = {
	{ "ip4:192.0.2.1 -all", "ip4:192.0.2.1" },
	{ "v=spf10 -all", "v=spf10" },
	{ " v=spf1 -all", "v=spf1" },
	{ "", "empty record" },
	{ "v=spf1 ip4:300.1.1.1", "ip4:300.1.1.1" },
	{ "v=spf1 ip4:1.2.3.4/33", "ip4:1.2.3.4/33" },
	{ "v=spf1 ip4:01.2.3.4", "ip4:01.2.3.4" },
	{ "v=spf1 ip4:1.2.3.4/08", "ip4:1.2.3.4/08" },
	{ "v=spf1 ip4:1.2.3", "ip4:1.2.3" },
	{ "v=spf1 ip4", "ip4" },
	{ "v=spf1 ip6:2001:db8::/129", "ip6:2001:db8::/129" },
	{ "v=spf1 ip6:2001:db8::g", "ip6:2001:db8::g" },
	{ "v=spf1 ip6:192.0.2.1", "ip6:192.0.2.1" },
	{ "v=spf1 a:mail.example.com/24//129", "a:mail.example.com/24//129" },
	{ "v=spf1 mx/33", "mx/33" },
	{ "v=spf1 foo -all", "foo" },
	{ "v=spf1 -foo:example.com", "-foo:example.com" },
	{ "v=spf1 all:example.com", "all:example.com" },
	{ "v=spf1 include", "include" },
	{ "v=spf1 include:", "include:" },
	{ "v=spf1 ptr/24", "ptr/24" },
	{ "v=spf1 redirect=a.example.com redirect=b.example.com", "redirect=b.example.com" },
	{ "v=spf1 exp=a.example.com -all EXP=b.example.com", "EXP=b.example.com" },
	{ "v=spf1 exists:%{i}.%.example.com", "exists:%{i}.%.example.com" },
	{ "v=spf1 a:foo.example.com%", "a:foo.example.com%" },
	{ "v=spf1 foo=bar%x", "foo=bar%x" },
	{ "v=spf1 exists:%{x}.example.com", "exists:%{x}.example.com" },
	{ "v=spf1 exists:%{c}.example.com", "exists:%{c}.example.com" },
	{ "v=spf1 exists:%{d0}.example.com", "exists:%{d0}.example.com" },
	{ "v=spf1 exists:%{d.example.com", "exists:%{d.example.com" },
	{ "v=spf1 a:example -all", "a:example" },
	{ "v=spf1 a:example.123", "a:example.123" },
	{ "v=spf1 a:example.com- -all", "a:example.com-" },
	{ "v=spf1 a:example..com", "a:example..com" },
	{ "v=spf1 a:%{d}.", "a:%{d}." },
	{ "v=spf1 -all\tmx", "-all\\x09mx" },
	{ "v=spf1 a:\xc3\xa9.example.com", "a:\\xc3\\xa9.example.com" },
};

int main(void)
{
	char big[5000], longname[400];

	/* valid records */
	is_int(check("v=spf1 mx -all"), 0, "mx -all is valid");
	is_int(lookups, 1, "one lookup counted");
	ok(err[0] == 0, "no message when valid");
	is_int(check("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a:mail.example.com/24//64 "
		     "include:_spf.example.net ~all"), 0, "addresses, a with dual cidr, include");
	is_int(lookups, 2, "a and include counted, ip4/ip6/all not");
	is_int(check("v=spf1 exists:%{i}._spf.%{d} -all"), 0, "exists with macros is valid");
	is_int(lookups, 1, "and counts one lookup");
	is_int(dns.calls, 0, "a target built from macros is not looked up");
	is_int(check("v=spf1 include:%{l1r+-}._spf.%{D2} a:%{ir}.%{v}._spf.example.com//0 "
		     "ptr:%{p}.example.com mx:%%%_%-.example.com ?all"), 0, "macro transformers");
	is_int(lookups, 4, "four lookups");
	is_int(check("V=SPF1 A/32 MX//128 -ALL   \t\r\n"), 0,
	       "upper case and trailing white space are fine");
	is_int(check("v=spf1"), 0, "a record with no terms is valid");
	is_int(check("v=spf1  a   mx:example.com. +all"), 0, "runs of spaces separate terms");
	is_int(check("v=spf1 ip6:::ffff:192.0.2.1/128 ip4:0.0.0.0/0 -all"), 0, "edge addresses");
	is_int(check("v=spf1 foo=%{d}.bar exp=explain.%{d} a:x-1.example.co-1 -all"), 0,
	       "unknown modifier, exp, hyphenated top label");
	is_int(check("v=spf1 -all"), 0, "all alone");
	is_int(lookups, 0, "all does not count");

	/* syntax errors */
	for (size_t i = 0; i < sizeof bad_syntax / sizeof *bad_syntax; i++) {
		is_int(check(bad_syntax[i].record), DNS_EPARSE, "syntax error refused: %s",
		       bad_syntax[i].names);
		has(bad_syntax[i].names, "syntax");
		ok(!strchr(err, '\n') && !strchr(err, '\t'), "message is one line");
	}
	check("v=spf1 exists:%{c}.example.com");
	has("RFC 7208 7.2", "%{c} outside exp");
	check("v=spf1 ip4:1.2.3.4/33");
	has("RFC 7208 5.6", "cidr");

	memset(big, 0, sizeof big);
	memcpy(big, "v=spf1", 6);
	memset(big + 6, ' ', 4090);
	is_int(check(big), 0, "4096 characters are accepted");
	big[4096] = 'a';
	is_int(check(big), DNS_EINVAL, "4097 characters are refused");
	has("4097 characters, more than 4096", "record length");
	has("unreasonable", "record length");

	memset(longname, 0, sizeof longname);
	strcpy(longname, "v=spf1 a:");
	memset(longname + 9, 'a', 64);
	strcpy(longname + 73, ".example.com");
	is_int(check(longname), DNS_EPARSE, "a 64-character label is refused");
	has("64 characters", "label length");

	/* the 10-lookup limit of 4.6.4 */
	char rec[1024];
	strcpy(rec, "v=spf1");
	for (int i = 1; i <= 10; i++)
		sprintf(rec + strlen(rec), " include:f%d.example.org", i);
	is_int(check(rec), 0, "10 includes of foreign names are allowed");
	is_int(lookups, 10, "ten lookups");
	is_int(dns.calls, 10, "each include asked about once");
	strcat(rec, " include:f11.example.org -all");
	is_int(check(rec), DNS_EINVAL, "11 includes are refused");
	has("include:f11.example.org makes lookup 11 of at most 10 (RFC 7208 4.6.4)",
	    "11 includes");
	is_int(lookups, 11, "lookups_out says where it stopped");

	is_int(check("v=spf1 include:_nested.example.net -all"),
	       DNS_EINVAL, "a nested include pushes the total over 10");
	is_str(err, "in include:_nested.example.net: in redirect=_deep.example.net: "
	       "a:x.example.net makes lookup 11 of at most 10 (RFC 7208 4.6.4)",
	       "the message gives the path and the inner mechanism");
	is_int(check("v=spf1 a mx include:_deep.example.net"), 0,
	       "10 lookups through a hosted include are allowed");
	is_int(lookups, 10, "ten lookups, six of them inside the include");
	is_int(check("v=spf1 a mx ptr include:_deep.example.net"), DNS_EINVAL,
	       "one more at the top pushes the inner a: over");
	is_str(err, "in include:_deep.example.net: a:x.example.net makes lookup 11 of at most 10 "
	       "(RFC 7208 4.6.4)", "the message names the include and the inner mechanism");
	is_int(check("v=spf1 a mx ptr exists:%{i}.example.org include:_spf.example.net "
		     "redirect=_redir.example.net"), 0, "a redirect into our zones");
	is_int(lookups, 8, "redirect, and the a and mx it leads to, are counted");

	/* 6.1: redirect is evaluated after every mechanism, and not at all beside all */
	rec[strlen(rec) - strlen(" include:f11.example.org -all")] = 0;
	strcat(rec, " -all redirect=r.example.org");
	is_int(check(rec), 0, "redirect beside all is not counted");
	is_int(lookups, 10, "ten lookups");
	rec[strlen(rec) - strlen(" -all redirect=r.example.org")] = 0;
	char rec2[1100];
	snprintf(rec2, sizeof rec2, "v=spf1 redirect=self.example.com%s", rec + 6);
	is_int(check(rec2), DNS_EINVAL, "redirect written first still counts last");
	has("redirect=self.example.com makes lookup 11", "redirect");
	is_int(check("v=spf1 redirect=self.example.com -all include:a.example.org"), 0,
	       "terms after all are ignored (5.1)");
	is_int(lookups, 0, "and not counted");

	/* void lookups */
	is_int(check("v=spf1 a:v1.example.com mx:v2.example.com exists:v3.example.com -all"),
	       DNS_EINVAL, "three void lookups are refused");
	has("exists:v3.example.com makes void lookup 3 of at most 2 (RFC 7208 4.6.4)", "void");
	is_int(check("v=spf1 a:v1.example.com a:v2.example.com a:v3.example.com -all"),
	       DNS_EINVAL, "three void a: targets are refused");
	is_str(err, "a:v3.example.com makes void lookup 3 of at most 2 (RFC 7208 4.6.4)",
	       "the third is named");
	is_int(lookups, 3, "after three lookups");
	is_int(check("v=spf1 a:v1.example.com a:v2.example.com -all"), 0, "two are allowed");
	is_int(check("v=spf1 a:v6only.example.com a:v6only.example.com a:v6only.example.com "
		     "a:mail.example.com a:mail.example.com a:mail.example.com -all"), 0,
	       "a name with only one address family is not void");
	is_int(check("v=spf1 a:v1.example.org a:v2.example.org a:v3.example.org -all"), 0,
	       "foreign names are never void");
	is_int(check("v=spf1 include:nospf.example.com -all"), DNS_EINVAL,
	       "include of a hosted name with no SPF record");
	has("include:nospf.example.com", "no SPF");
	has("no SPF record", "no SPF");
	has("5.2", "no SPF");
	is_int(check("v=spf1 include:void.example.com -all"), DNS_EINVAL,
	       "include of a hosted name that does not exist");
	has("include:void.example.com", "no SPF");
	is_int(check("v=spf1 redirect=nospf.example.com"), DNS_EINVAL,
	       "redirect to a hosted name with no SPF record");
	has("redirect=nospf.example.com", "no SPF");
	has("6.1", "no SPF");

	/* MX RRs per mx */
	is_int(check("v=spf1 mx:tenmx.example.com -all"), 0, "10 MX records are allowed");
	is_int(check("v=spf1 mx:bigmx.example.com -all"), DNS_EINVAL, "11 MX records are not");
	has("mx:bigmx.example.com finds 11 MX records", "mx");

	/* loops, and errors inside included records */
	is_int(check("v=spf1 include:loop1.example.com -all"), DNS_EINVAL, "an include loop");
	is_str(err, "in include:loop1.example.com: in include:loop2.example.com: "
	       "include:LOOP1.example.com.: include loop, LOOP1.example.com. is already being "
	       "evaluated (RFC 7208 4.6.4)", "the loop is named");
	is_int(check("v=spf1 include:example.com -all"), DNS_EINVAL, "including ourselves");
	has("include loop", "self include");
	is_int(check("v=spf1 redirect=self.example.com"), DNS_EINVAL, "a redirect loop");
	has("in redirect=self.example.com: redirect=self.example.com: redirect loop", "redirect");
	is_int(check("v=spf1 include:_bad.example.net -all"), DNS_EPARSE,
	       "syntax error in an included record");
	has("in include:_bad.example.net: ip4:1.2.3:", "nested syntax");

	/* arguments */
	is_int(mailcore_spf_check("example.com", "v=spf1 a mx include:example.com", NULL, NULL,
				  NULL, NULL, 0), 0, "without a lookup nothing is followed");
	is_int(mailcore_spf_check("example.com", "v=spf1 foo", NULL, NULL, NULL, NULL, 0),
	       DNS_EPARSE, "err may be NULL");
	char small[8];
	is_int(mailcore_spf_check("example.com", "v=spf1 foo", NULL, NULL, NULL, small,
				  sizeof small), DNS_EPARSE, "a short err buffer");
	is_int(strlen(small), 7, "is filled and terminated");
	is_int(mailcore_spf_check(NULL, "v=spf1", NULL, NULL, NULL, NULL, 0), DNS_EINVAL,
	       "no domain");
	memset(longname, 'a', 300);
	longname[300] = 0;
	is_int(mailcore_spf_check(longname, "v=spf1", NULL, NULL, NULL, err, sizeof err),
	       DNS_EINVAL, "a domain over 253 characters");
	return tap_done();
}
