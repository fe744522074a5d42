/* SPDX-License-Identifier: MIT */
/* common/conffile.c: the "key value" format of dnsd.conf. */
#include <stdlib.h>
#include <unistd.h>
#include "tests/tap.h"
#include "common/common.h"

static char got[2048];

static int collect(const char *section, const char *key, char *val, void *arg, char *why,
                   size_t wl)
{
	if (!key)
		return 0; /* a section header */
	if (!strcmp(key, "bad")) {
		snprintf(why, wl, "bad is refused");
		return -1;
	}
	size_t n = strlen(got);
	snprintf(got + n, sizeof got - n, "[%s%s%s=%s]", section, section[0] ? ":" : "", key, val);
	return 0;
}

static int parse(const char *text, char *err, size_t errlen)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/test_conffile.%d", (int)getpid());
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	got[0] = 0;
	err[0] = 0;
	int ret = dns_conf_parse(path, true, collect, NULL, err, errlen);
	unlink(path);
	return ret;
}

int main(void)
{
	char err[1200];
	is_int(parse("# comment\n\nlisten 127.0.0.1@53   # trailing\n  workers\t2\n", err, sizeof err), 0,
	       "plain settings parse");
	is_str(got, "[listen=127.0.0.1@53][workers=2]", "keys and values, comments dropped");
	is_int(parse("nsid \"a # b \\\"q\\\"\"  # c\n", err, sizeof err), 0, "quoted value parses");
	is_str(got, "[nsid=a # b \"q\"]", "# inside quotes is data, escapes work");
	is_int(parse("a 1\n[policy fast]  # c\nalgorithm ed25519\n[ policy  slow ]\nb 2\n", err,
	             sizeof err), 0, "sections parse");
	is_str(got, "[a=1][policy fast:algorithm=ed25519][policy slow:b=2]", "settings know their section");
	is_int(parse("[policy]\n", err, sizeof err), DNS_ECONFIG, "section without a name refused");
	is_int(parse("[policy a b]\n", err, sizeof err), DNS_ECONFIG, "section with two names refused");
	is_int(parse("workers\n", err, sizeof err), DNS_ECONFIG, "key without value refused");
	ok(strstr(err, ":1: workers: needs a value") != NULL, "error names line and key: %s", err);
	is_int(parse("a 1\nnsid \"open\n", err, sizeof err), DNS_ECONFIG, "unterminated quote refused");
	ok(strstr(err, ":2:") != NULL, "error names line 2: %s", err);
	is_int(parse("a 1\nbad 2\n", err, sizeof err), DNS_ECONFIG, "callback refusal reported");
	ok(strstr(err, ":2: bad is refused") != NULL, "with the callback's reason: %s", err);
	is_int(dns_conf_parse("/nonexistent/dnsd.conf", false, collect, NULL, err, sizeof err), 0,
	       "missing optional file is fine");
	ok(dns_conf_parse("/nonexistent/dnsd.conf", true, collect, NULL, err, sizeof err) == -ENOENT,
	   "missing required file is ENOENT");
	return tap_done();
}
