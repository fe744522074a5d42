/* SPDX-License-Identifier: MIT */
/* dnsctl check DOMAIN: is a mail domain healthy? (mailcore_check does the work) */
#include <stdio.h>
#include <string.h>
#include "tools/ctl.h"

/* dnsd's address: --server, else the config's first listen address (a
 * wildcard means this machine: loopback), else 127.0.0.1 port 53. */
static int primary_of(ctl_t *ctl, const char *server, mailcore_server_t *out)
{
	const char *s = server ? server : ctl->listen[0] ? ctl->listen : "127.0.0.1";
	if (mailcore_server_parse(s, out) != 0)
		return ctl_fail("check: server '%s': expected ADDRESS or ADDRESS@PORT", s);
	mailcore_server_local(out);
	return 0;
}

static int check(ctl_t *ctl, int argc, char **argv)
{
	const char *name = NULL, *server = NULL;
	mailcore_server_t sec[16];
	size_t nsec = 0;
	bool sec_given = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--server") || !strcmp(argv[i], "-s")) {
			if (!(server = ctl_opt_value(argc, argv, &i, "check")))
				return 1;
		} else if (!strcmp(argv[i], "--secondary")) {
			const char *v = ctl_opt_value(argc, argv, &i, "check");
			if (!v)
				return 1;
			sec_given = true;
			if (!strcmp(v, "none"))
				continue;
			if (nsec == 16 || mailcore_server_parse(v, &sec[nsec]) != 0)
				return ctl_fail("check: --secondary '%s': expected ADDRESS or ADDRESS@PORT "
				                "(at most 16)", v);
			nsec++;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return ctl_fail("check: unknown option '%s' (see dnsctl check --help)", argv[i]);
		} else if (!name) {
			name = argv[i];
		} else {
			return ctl_fail("check: unexpected argument '%s'", argv[i]);
		}
	}
	if (!name)
		return ctl_fail("check: missing DOMAIN (see dnsctl check --help)");
	if (!sec_given) {
		memcpy(sec, ctl->secondary, ctl->nsecondary * sizeof *sec);
		nsec = ctl->nsecondary;
	}
	mailcore_server_t prim;
	uint8_t dn[ZONES_NAME_MAX];
	char abs[1100];
	size_t n = strlen(name);
	snprintf(abs, sizeof abs, "%s%s", name, n && name[n - 1] == '.' ? "" : ".");
	if (zones_name_parse(abs, NULL, dn) < 0)
		return ctl_fail("check: domain '%s' is not a valid name", name);
	zones_name_lower(dn);
	dns_state_t *st;
	if (primary_of(ctl, server, &prim) || ctl_state_existing(ctl, &st))
		return 1;
	mailcore_report_t rep;
	char err[1200];
	int ret = mailcore_check(st, dn, &prim, sec, nsec, &rep, err, sizeof err);
	if (ret) {
		mailcore_report_free(&rep);
		return ctl_fail("check: %s", err);
	}
	if (ctl->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < rep.n; i++)
			json_array_append_new(arr, json_pack("{s:b, s:s, s:s, s:s}", "ok", rep.f[i].ok,
			                                     "what", rep.f[i].what, "server",
			                                     rep.f[i].server, "text", rep.f[i].text));
		ctl_json_print(json_pack("{s:s, s:b, s:I, s:o}", "domain", abs, "healthy",
		                         rep.problems == 0, "problems", (json_int_t)rep.problems,
		                         "findings", arr));
	} else {
		for (size_t i = 0; i < rep.n; i++)
			printf("%-7s %-28s %-30s %s\n", rep.f[i].ok ? "ok" : "PROBLEM", rep.f[i].what,
			       rep.f[i].server, rep.f[i].text);
		printf("%s: %s (%zu check%s, %zu problem%s)\n", abs,
		       rep.problems ? "NOT healthy" : "healthy", rep.n, rep.n == 1 ? "" : "s",
		       rep.problems, rep.problems == 1 ? "" : "s");
	}
	ret = rep.problems ? 1 : 0;
	mailcore_report_free(&rep);
	return ret;
}

const ctl_cmd_t ctl_check_cmds[] = {
	{ "check", NULL, check, "DOMAIN [--server ADDR@PORT] [--secondary ADDR@PORT]... [--json]",
	  "Check that a mail domain is healthy: ask dnsd and every secondary for each record\n"
	  "its mail state generates (MX, SPF, DKIM, DMARC, TLSA, MTA-STS, TLS-RPT, SRV, ...)\n"
	  "and compare them with the state; check that the DKIM public keys are those of the\n"
	  "private keys, that the certificate files still have the keys in the TLSA records,\n"
	  "that SPF stays within RFC 7208's lookup limits, and that the serials are in step.\n"
	  "Prints one line per finding; exits 0 when healthy, 1 when anything is wrong.\n"
	  "  --server ADDR@PORT     where dnsd answers (default: the config's first listen\n"
	  "                         address, loopback for a wildcard; else 127.0.0.1@53)\n"
	  "  --secondary ADDR@PORT  a secondary to ask, repeatable; default: the config's\n"
	  "                         secondary lines (\"none\": ask no secondary)" },
	{ NULL, NULL, NULL, NULL, NULL }
};
