/* SPDX-License-Identifier: MIT */
/* dnsctl mail host ... and mail tls refresh: the mail servers and their certificates. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "tools/ctl.h"

/* ---- hosts -------------------------------------------------------------------------- */

typedef struct {
	bool addr_set, pref_set, ttl_set, cert_set[2];
	mailcore_host_t v;
} host_edit_t;

static int host_apply(mailcore_host_t *h, void *arg, char *err, size_t errlen)
{
	const host_edit_t *e = arg;
	(void)err;
	(void)errlen;
	if (e->addr_set) {
		h->n4 = e->v.n4;
		h->n6 = e->v.n6;
		memcpy(h->a4, e->v.a4, sizeof h->a4);
		memcpy(h->a6, e->v.a6, sizeof h->a6);
	}
	if (e->pref_set)
		h->pref = e->v.pref;
	if (e->ttl_set)
		h->ttl = e->v.ttl;
	for (int c = 0; c < 2; c++)
		if (e->cert_set[c]) {
			memcpy(h->cert[c], e->v.cert[c], sizeof h->cert[c]);
			memcpy(h->spki[c], e->v.spki[c], sizeof h->spki[c]);
		}
	return 0;
}

static int mail_host_change(ctl_t *ctl, int argc, char **argv, mailcore_op_t op, const char *cmd)
{
	host_edit_t e;
	memset(&e, 0, sizeof e);
	const char *name = NULL;
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i], *v;
		if (op == MAILCORE_OP_REMOVE || o[0] != '-' || !o[1]) {
			if (name)
				return ctl_fail("%s: unexpected argument '%s'", cmd, o);
			name = o;
			continue;
		}
		if (!(v = ctl_opt_value(argc, argv, &i, cmd)))
			return 1;
		if (!strcmp(o, "--addr")) {
			e.addr_set = true;
			if (inet_pton(AF_INET, v, e.v.a4[e.v.n4 % MAILCORE_MAX_ADDR]) == 1) {
				if (e.v.n4++ == MAILCORE_MAX_ADDR)
					return ctl_fail("%s: at most %d IPv4 addresses", cmd, MAILCORE_MAX_ADDR);
			} else if (inet_pton(AF_INET6, v, e.v.a6[e.v.n6 % MAILCORE_MAX_ADDR]) == 1) {
				if (e.v.n6++ == MAILCORE_MAX_ADDR)
					return ctl_fail("%s: at most %d IPv6 addresses", cmd, MAILCORE_MAX_ADDR);
			} else {
				return ctl_fail("%s: --addr '%s': expected an IPv4 or IPv6 address", cmd, v);
			}
		} else if (!strcmp(o, "--pref")) {
			char *end;
			unsigned long p = strtoul(v, &end, 10);
			if (!*v || *end || p > 65535)
				return ctl_fail("%s: --pref '%s': expected 0 to 65535 (RFC 1035 3.3.9)", cmd, v);
			e.v.pref = (uint16_t)p;
			e.pref_set = true;
		} else if (!strcmp(o, "--ttl")) {
			if (ctl_duration_arg(cmd, o, v, 1, &e.v.ttl))
				return 1;
			e.ttl_set = true;
		} else if (!strcmp(o, "--cert") || !strcmp(o, "--next-cert")) {
			int c = o[2] == 'n';
			e.cert_set[c] = true;
			if (!strcmp(v, "none"))
				continue;
			char path[PATH_MAX], err[700];
			if (!realpath(v, path))
				return ctl_fail("%s: %s %s: %s", cmd, o, v, strerror(errno));
			if (strlen(path) >= sizeof e.v.cert[c])
				return ctl_fail("%s: %s %s: path too long", cmd, o, v);
			if (mailcore_cert_spki(path, e.v.spki[c], err, sizeof err))
				return ctl_fail("%s: %s", cmd, err);
			snprintf(e.v.cert[c], sizeof e.v.cert[c], "%s", path);
		} else {
			return ctl_fail("%s: unknown option '%s' (see dnsctl %s --help)", cmd, o, cmd);
		}
	}
	if (!name)
		return ctl_fail("%s: missing HOST (see dnsctl %s --help)", cmd, cmd);
	uint8_t hn[ZONES_NAME_MAX];
	dns_state_t *st;
	if (ctl_name_arg(cmd, "host", name, hn) || ctl_state(ctl, &st))
		return 1;
	char err[1200];
	int r = mailcore_op_host(st, op, hn, host_apply, &e, err, sizeof err);
	if (r)
		return ctl_fail("%s", err[0] ? err : dns_strerror(r));
	ctl_notify(ctl);
	char nm[1024];
	zones_name_print(hn, nm, sizeof nm);
	static const char *const verb[] = { "added", "changed", "removed" };
	if (ctl->json)
		ctl_json_print(json_pack("{s:s}", verb[op], nm));
	else
		printf("mail host %s %s\n", nm, verb[op]);
	return 0;
}

static int mail_host_add(ctl_t *ctl, int argc, char **argv)
{
	return mail_host_change(ctl, argc, argv, MAILCORE_OP_ADD, "mail host add");
}

static int mail_host_set(ctl_t *ctl, int argc, char **argv)
{
	return mail_host_change(ctl, argc, argv, MAILCORE_OP_SET, "mail host set");
}

static int mail_host_remove(ctl_t *ctl, int argc, char **argv)
{
	return mail_host_change(ctl, argc, argv, MAILCORE_OP_REMOVE, "mail host remove");
}

static json_t *host_json(const mailcore_host_t *h)
{
	char nm[1024], a[INET6_ADDRSTRLEN], hex[65];
	zones_name_print(h->name, nm, sizeof nm);
	json_t *addrs = json_array(), *certs = json_array();
	for (size_t i = 0; i < h->n4; i++)
		json_array_append_new(addrs, json_string(inet_ntop(AF_INET, h->a4[i], a, sizeof a)));
	for (size_t i = 0; i < h->n6; i++)
		json_array_append_new(addrs, json_string(inet_ntop(AF_INET6, h->a6[i], a, sizeof a)));
	for (int c = 0; c < 2; c++) {
		if (!h->cert[c][0])
			continue;
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", h->spki[c][i]);
		json_array_append_new(certs, json_pack("{s:s, s:s, s:s}", "role", c ? "next" : "current",
		                                       "file", h->cert[c], "spki_sha256", hex));
	}
	return json_pack("{s:s, s:I, s:o, s:o, s:I}", "host", nm, "pref", (json_int_t)h->pref,
	                 "addresses", addrs, "certificates", certs, "ttl", (json_int_t)h->ttl);
}

static int list_host(const mailcore_host_t *h, void *arg)
{
	json_array_append_new(arg, host_json(h));
	return 0;
}

struct hosts_ctx {
	const char *arg;     /* as given, for messages */
	const uint8_t *only; /* one host, or NULL: all */
};

static int hosts_collect(dns_state_txn_t *txn, json_t *arr, void *arg)
{
	const struct hosts_ctx *hc = arg;
	if (!hc->only)
		return mailcore_host_each(txn, list_host, arr);
	mailcore_host_t h;
	int ret = mailcore_host_get(txn, hc->only, &h);
	if (ret == DNS_ENOHOST)
		return ctl_fail("no mail host %s", hc->arg);
	if (ret == 0)
		json_array_append_new(arr, host_json(&h));
	return ret;
}

static void host_line(json_t *row)
{
	char *addrs = json_dumps(json_object_get(row, "addresses"), JSON_COMPACT);
	printf("%s pref %lld addresses %s", json_string_value(json_object_get(row, "host")),
	       (long long)json_integer_value(json_object_get(row, "pref")), addrs ? addrs : "");
	free(addrs);
	size_t k;
	json_t *c;
	json_array_foreach(json_object_get(row, "certificates"), k, c)
		printf(" %s-cert %s", json_string_value(json_object_get(c, "role")),
		       json_string_value(json_object_get(c, "file")));
	printf("\n");
}

static int mail_host_list(ctl_t *ctl, int argc, char **argv)
{
	if (argc > 1 || (argc == 1 && !strcmp(argv[0], "")))
		return ctl_fail("mail host list: expected at most one HOST");
	uint8_t only[ZONES_NAME_MAX];
	if (argc == 1 && ctl_name_arg("mail host list", "host", argv[0], only))
		return 1;
	struct hosts_ctx hc = { argc ? argv[0] : NULL, argc ? only : NULL };
	return ctl_list(ctl, hosts_collect, &hc, argc == 1, host_line);
}

static int mail_tls_refresh(ctl_t *ctl, int argc, char **argv)
{
	(void)argv;
	if (argc)
		return ctl_fail("mail tls refresh: takes no arguments");
	dns_state_t *st;
	if (ctl_state(ctl, &st))
		return 1;
	char err[1200];
	int r = mailcore_op_tls_refresh(st, err, sizeof err);
	if (r)
		return ctl_fail("mail tls refresh: %s", err[0] ? err : dns_strerror(r));
	ctl_notify(ctl);
	printf("certificates read again; TLSA records follow them\n");
	return 0;
}

const ctl_cmd_t ctl_mailhost_cmds[] = {
	{ "mail", "host add", mail_host_add,
	  "HOST [--addr IP]... [--pref N] [--cert FILE] [--next-cert FILE] [--ttl DUR]",
	  "Add a mail server. A host inside a hosted zone gets its A/AAAA records, an SPF\n"
	  "record for its HELO name and, with certificates, TLSA 3 1 1 at _25._tcp.HOST\n"
	  "(RFC 7672) for the current and the next certificate's key.\n"
	  "  --addr IP         its addresses, repeatable (required inside a hosted zone, and\n"
	  "                    outside one too, for SPF and checks)\n"
	  "  --pref N          its MX preference (default 10)\n"
	  "  --cert FILE       its TLS certificate (PEM); --next-cert FILE the next one\n"
	  "  --ttl DUR         TTL of its records (default 3600)" },
	{ "mail", "host set", mail_host_set,
	  "HOST [--addr IP]... [--pref N] [--cert FILE|none] [--next-cert FILE|none] [--ttl DUR]",
	  "Change a mail host. --addr replaces all its addresses. After a certificate is\n"
	  "renewed with a new key, point --cert at it (or run mail tls refresh)." },
	{ "mail", "host remove", mail_host_remove, "HOST",
	  "Remove a mail host; refused while a domain names it in --mx." },
	{ "mail", "host list", mail_host_list, "[HOST] [--json]", "List the mail hosts." },
	{ "mail", "tls refresh", mail_tls_refresh, "",
	  "Read every mail host's certificate files again and update TLSA records whose\n"
	  "key changed." },
	{ NULL, NULL, NULL, NULL, NULL }
};
