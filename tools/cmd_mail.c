/* SPDX-License-Identifier: MIT */
/*
 * dnsctl mail domain ... and mail mta-sts: the mail domains. Their records are
 * generated from them (mailcore); this file only parses arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "tools/ctl.h"

static bool text_ok(const char *s)
{
	/* these texts end up inside TXT records: printable ASCII, no ';' which
	 * would start another tag (RFC 7489 6.4, RFC 8460 3) */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x21 || *p > 0x7e || *p == ';' || *p == '"' || *p == '\\')
			return false;
	return true;
}

/* "a@x,mailto:b@y" -> "mailto:a@x,mailto:b@y" (RFC 7489 6.4: URIs) */
static int addr_list(const char *cmd, const char *opt, const char *v, char *out, size_t len)
{
	out[0] = 0;
	if (!strcmp(v, "") || !strcmp(v, "off") || !strcmp(v, "none"))
		return 0;
	size_t o = 0;
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, ",");
		char one[MAILCORE_TEXT];
		snprintf(one, sizeof one, "%.*s", (int)n, p);
		p += n + (p[n] == ',');
		const char *addr = strncmp(one, "mailto:", 7) == 0 ? one + 7 : one;
		uint8_t dom[ZONES_NAME_MAX];
		if (!text_ok(one) || strchr(addr, ':') || !strchr(addr, '@') || addr[0] == '@' ||
		    mailcore_addr_domain(addr, dom) != 0)
			return ctl_fail("%s: %s '%s': expected mail addresses like dmarc@example.com, "
			                "separated by commas", cmd, opt, one);
		int w = snprintf(out + o, len - o, "%smailto:%s", o ? "," : "", addr);
		if (w < 0 || (size_t)w >= len - o)
			return ctl_fail("%s: %s: too long", cmd, opt);
		o += (size_t)w;
	}
	return 0;
}

/* A term of --spf-extra that belongs to the record's frame: the version, an
 * "all" (any qualifier) or a redirect= (RFC 7208 4.5, 5.1, 6.1). */
static bool spf_extra_bad(const char *v)
{
	char buf[MAILCORE_TEXT];
	snprintf(buf, sizeof buf, "%s", v);
	for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		const char *m = strchr("+-~?", t[0]) ? t + 1 : t;
		if (!strcasecmp(m, "all") || !strncasecmp(t, "v=spf1", 6) ||
		    !strncasecmp(t, "redirect=", 9))
			return true;
	}
	return false;
}

/* ---- domain options ---------------------------------------------------------------- */

enum {
	S_MX = 1 << 0, S_NOMAIL = 1 << 1, S_SPF = 1 << 2, S_SPFX = 1 << 3, S_SPFALL = 1 << 4,
	S_DMARC = 1 << 5, S_RUA = 1 << 6, S_RUF = 1 << 7, S_ALIGN = 1 << 8, S_STS = 1 << 9,
	S_STSAGE = 1 << 10, S_TLSRPT = 1 << 11, S_CLIENTS = 1 << 12, S_POP3 = 1 << 13,
	S_AUTOCONF = 1 << 14, S_CAA = 1 << 15, S_IODEF = 1 << 16, S_DKIM = 1 << 17,
	S_ROTATE = 1 << 18, S_RETIRE = 1 << 19, S_REVOKE = 1 << 20, S_TTL = 1 << 21,
};

typedef struct {
	uint32_t set;
	mailcore_domain_t v;
} dom_edit_t;

static int pick(const char *cmd, const char *opt, const char *v, const char *const *names,
                int n, uint8_t *out)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(v, names[i])) {
			*out = (uint8_t)i;
			return 0;
		}
	char all[200] = "";
	for (int i = 0; i < n; i++)
		snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", i ? ", " : "", names[i]);
	return ctl_fail("%s: %s '%s': expected one of %s", cmd, opt, v, all);
}

/* One domain option at argv[*i]. \retval 0, 1 (error printed), 2 (not a domain option) */
static int dom_option(const char *cmd, int argc, char **argv, int *i, dom_edit_t *e)
{
	const char *o = argv[*i], *v;
	mailcore_domain_t *d = &e->v;
	if (!strcmp(o, "--no-mail")) {
		e->set |= S_NOMAIL;
		d->no_mail = true;
		return 0;
	}
	if (!strcmp(o, "--mail")) {
		e->set |= S_NOMAIL;
		d->no_mail = false;
		return 0;
	}
	static const char *const known[] = {
		"--mx", "--spf", "--spf-extra", "--spf-all", "--dmarc", "--dmarc-rua", "--dmarc-ruf",
		"--dmarc-align", "--mta-sts", "--mta-sts-max-age", "--tls-rpt", "--clients", "--pop3",
		"--autoconfig", "--caa", "--caa-iodef", "--dkim", "--dkim-rotate", "--dkim-retire",
		"--dkim-revoke", "--ttl", NULL
	};
	int k = 0;
	while (known[k] && strcmp(known[k], o))
		k++;
	if (!known[k])
		return 2;
	if (!(v = ctl_opt_value(argc, argv, i, cmd)))
		return 1;
	static const char *const yesno[] = { "no", "yes" };
	uint8_t u8;
	switch (k) {
	case 0: /* --mx HOST[,HOST] | all */
		e->set |= S_MX;
		d->nmx = 0;
		if (!strcmp(v, "all"))
			return 0;
		for (const char *p = v; *p;) {
			size_t n = strcspn(p, ",");
			char one[300];
			snprintf(one, sizeof one, "%.*s", (int)n, p);
			p += n + (p[n] == ',');
			if (d->nmx == MAILCORE_MAX_MX)
				return ctl_fail("%s: --mx: at most %d hosts", cmd, MAILCORE_MAX_MX);
			if (ctl_name_arg(cmd, "--mx", one, d->mx[d->nmx]))
				return 1;
			d->nmx++;
		}
		return 0;
	case 1:
		e->set |= S_SPF;
		return pick(cmd, o, v, (const char *const[]){ "mx", "ip" }, 2, &d->spf_mode);
	case 2:
		/* the record ends with the --spf-all mechanism; "all" and redirect=
		 * here would make it unreachable (RFC 7208 5.1, 6.1) */
		if (strlen(v) >= sizeof d->spf_extra || strchr(v, '"') || strchr(v, '\\') ||
		    spf_extra_bad(v))
			return ctl_fail("%s: --spf-extra '%s': give mechanisms such as "
			                "'include:_spf.example.net ip4:192.0.2.0/24', without v=spf1, "
			                "all or redirect= (see --spf-all)", cmd, v);
		e->set |= S_SPFX;
		snprintf(d->spf_extra, sizeof d->spf_extra, "%s", v);
		return 0;
	case 3:
		e->set |= S_SPFALL;
		if (pick(cmd, o, v, (const char *const[]){ "fail", "softfail" }, 2, &u8))
			return 1;
		d->spf_soft = u8 == 1;
		return 0;
	case 4:
		e->set |= S_DMARC;
		return pick(cmd, o, v, (const char *const[]){ "none", "quarantine", "reject" }, 3,
		            &d->dmarc);
	case 5:
		e->set |= S_RUA;
		return addr_list(cmd, o, v, d->rua, sizeof d->rua);
	case 6:
		e->set |= S_RUF;
		return addr_list(cmd, o, v, d->ruf, sizeof d->ruf);
	case 7:
		e->set |= S_ALIGN;
		if (pick(cmd, o, v, (const char *const[]){ "relaxed", "strict" }, 2, &u8))
			return 1;
		d->dmarc_strict = u8 == 1;
		return 0;
	case 8:
		e->set |= S_STS;
		return pick(cmd, o, v, (const char *const[]){ "off", "testing", "enforce" }, 3,
		            &d->sts);
	case 9:
		e->set |= S_STSAGE;
		/* RFC 8461 3.2: max_age up to 31557600 s */
		if (ctl_duration_arg(cmd, o, v, 1, &d->sts_max_age))
			return 1;
		if (d->sts_max_age > 31557600)
			return ctl_fail("%s: --mta-sts-max-age: at most 31557600 s (RFC 8461 3.2)", cmd);
		return 0;
	case 10: {
		e->set |= S_TLSRPT;
		d->tlsrpt[0] = 0;
		if (!strcmp(v, "off") || !v[0])
			return 0;
		/* RFC 8460 3: mailto: or https: URIs */
		bool uri = !strncmp(v, "mailto:", 7) || !strncmp(v, "https:", 6);
		if (!text_ok(v) || strchr(v, ',') || (!uri && !strchr(v, '@')))
			return ctl_fail("%s: --tls-rpt '%s': expected a mail address or an https: URI",
			                cmd, v);
		snprintf(d->tlsrpt, sizeof d->tlsrpt, "%s%s", uri ? "" : "mailto:", v);
		return 0;
	}
	case 11:
		e->set |= S_CLIENTS;
		memset(d->clients, 0, sizeof d->clients);
		return strcmp(v, "off") ? ctl_name_arg(cmd, o, v, d->clients) : 0;
	case 12:
		e->set |= S_POP3;
		if (pick(cmd, o, v, yesno, 2, &u8))
			return 1;
		d->pop3 = u8 == 1;
		return 0;
	case 13:
		e->set |= S_AUTOCONF;
		memset(d->autoconfig, 0, sizeof d->autoconfig);
		return strcmp(v, "off") ? ctl_name_arg(cmd, o, v, d->autoconfig) : 0;
	case 14:
		e->set |= S_CAA;
		d->caa[0] = 0;
		if (!strcmp(v, "off"))
			return 0;
		/* RFC 8659 4.2: issuer domain names */
		for (const char *p = v; *p; p++)
			if (!(p[0] == '.' || p[0] == '-' || p[0] == ',' || (p[0] >= '0' && p[0] <= '9') ||
			      (p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')))
				return ctl_fail("%s: --caa '%s': expected CA domain names like "
				                "letsencrypt.org, separated by commas", cmd, v);
		snprintf(d->caa, sizeof d->caa, "%s", v);
		return 0;
	case 15:
		e->set |= S_IODEF;
		d->caa_iodef[0] = 0;
		if (strcmp(v, "off") && (!text_ok(v) || (strncmp(v, "mailto:", 7) &&
		                                         strncmp(v, "https:", 6))))
			return ctl_fail("%s: --caa-iodef '%s': expected a mailto: or https: URL", cmd, v);
		if (strcmp(v, "off"))
			snprintf(d->caa_iodef, sizeof d->caa_iodef, "%s", v);
		return 0;
	case 16:
		e->set |= S_DKIM;
		if (!strcmp(v, "off")) {
			d->dkim_algs = 0;
			return 0;
		}
		d->dkim_algs = 0;
		for (const char *p = v; *p;) {
			size_t n = strcspn(p, ",");
			if (n == 3 && !strncmp(p, "rsa", 3))
				d->dkim_algs |= MAILCORE_DKIM_RSA;
			else if (n == 7 && !strncmp(p, "ed25519", 7))
				d->dkim_algs |= MAILCORE_DKIM_ED25519;
			else
				return ctl_fail("%s: --dkim '%s': expected rsa, ed25519, rsa,ed25519 or off",
				                cmd, v);
			p += n + (p[n] == ',');
		}
		return 0;
	case 17:
		e->set |= S_ROTATE;
		return ctl_duration_arg(cmd, o, v, 60, &d->dkim_rotate);
	case 18:
		e->set |= S_RETIRE;
		return ctl_duration_arg(cmd, o, v, 0, &d->dkim_retire);
	case 19:
		e->set |= S_REVOKE;
		return ctl_duration_arg(cmd, o, v, 0, &d->dkim_revoke);
	case 20:
		e->set |= S_TTL;
		return ctl_duration_arg(cmd, o, v, 1, &d->ttl);
	}
	return 2;
}

static int dom_apply(mailcore_domain_t *d, void *arg, char *err, size_t errlen)
{
	const dom_edit_t *e = arg;
	const mailcore_domain_t *v = &e->v;
	(void)err;
	(void)errlen;
#define COPY(bit, field) do { if (e->set & (bit)) memcpy(&d->field, &v->field, sizeof d->field); } while (0)
	COPY(S_MX, nmx);
	COPY(S_MX, mx);
	COPY(S_NOMAIL, no_mail);
	COPY(S_SPF, spf_mode);
	COPY(S_SPFX, spf_extra);
	COPY(S_SPFALL, spf_soft);
	COPY(S_DMARC, dmarc);
	COPY(S_RUA, rua);
	COPY(S_RUF, ruf);
	COPY(S_ALIGN, dmarc_strict);
	COPY(S_STS, sts);
	COPY(S_STSAGE, sts_max_age);
	COPY(S_TLSRPT, tlsrpt);
	COPY(S_CLIENTS, clients);
	COPY(S_POP3, pop3);
	COPY(S_AUTOCONF, autoconfig);
	COPY(S_CAA, caa);
	COPY(S_IODEF, caa_iodef);
	COPY(S_DKIM, dkim_algs);
	COPY(S_ROTATE, dkim_rotate);
	COPY(S_RETIRE, dkim_retire);
	COPY(S_REVOKE, dkim_revoke);
	COPY(S_TTL, ttl);
#undef COPY
	return 0;
}

/* Names from a batch file: one domain per line, # comments. */
static int batch_read(const char *cmd, const char *path, uint8_t (**names)[ZONES_NAME_MAX],
                      size_t *n)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f)
		return ctl_fail("%s: %s: %s", cmd, path, strerror(errno));
	char line[1200];
	size_t cap = 0, lineno = 0;
	int ret = 0;
	while (ret == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		char *p = line + strspn(line, " \t");
		p[strcspn(p, " \t\r\n#")] = 0;
		if (!*p)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			void *q = realloc(*names, cap * sizeof **names);
			if (!q) {
				ret = ctl_fail("%s: out of memory", cmd);
				break;
			}
			*names = q;
		}
		char where[1300];
		snprintf(where, sizeof where, "%s:%zu: domain", path, lineno);
		ret = ctl_name_arg(cmd, where, p, (*names)[(*n)++]);
	}
	if (f != stdin)
		fclose(f);
	return ret;
}

static int mail_domain_change(ctl_t *ctl, int argc, char **argv, mailcore_op_t op,
                              const char *cmd)
{
	dom_edit_t e;
	memset(&e, 0, sizeof e);
	const char *batch = NULL;
	uint8_t (*names)[ZONES_NAME_MAX] = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;
	for (int i = 0; i < argc && ret == 0; i++) {
		if (op == MAILCORE_OP_ADD && !strcmp(argv[i], "--batch")) {
			if (!(batch = ctl_opt_value(argc, argv, &i, cmd)))
				ret = 1;
			continue;
		}
		int r = op == MAILCORE_OP_REMOVE ? 2 : dom_option(cmd, argc, argv, &i, &e);
		if (r == 1) {
			ret = 1;
		} else if (r == 2 && argv[i][0] == '-' && argv[i][1]) {
			ret = ctl_fail("%s: unknown option '%s' (see dnsctl %s --help)", cmd, argv[i], cmd);
		} else if (r == 2) {
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				void *q = realloc(names, cap * sizeof *names);
				if (!q) {
					ret = ctl_fail("%s: out of memory", cmd);
					break;
				}
				names = q;
			}
			ret = ctl_name_arg(cmd, "domain", argv[i], names[n++]);
		}
	}
	if (ret == 0 && batch)
		ret = batch_read(cmd, batch, &names, &n);
	if (ret == 0 && n == 0)
		ret = ctl_fail("%s: missing DOMAIN (see dnsctl %s --help)", cmd, cmd);
	if (ret == 0 && op != MAILCORE_OP_ADD && n > 1)
		ret = ctl_fail("%s: one DOMAIN at a time", cmd);
	dns_state_t *st;
	if (ret == 0 && (ret = ctl_state(ctl, &st)) == 0) {
		const uint8_t **np = malloc(n * sizeof *np);
		char err[1200];
		if (!np) {
			ret = ctl_fail("%s: out of memory", cmd);
		} else {
			for (size_t i = 0; i < n; i++)
				np[i] = names[i];
			int r = mailcore_op_domain(st, op, np, n, dom_apply, &e, err, sizeof err);
			if (r)
				ret = ctl_fail("%s", err[0] ? err : dns_strerror(r));
		}
		free(np);
		if (ret == 0) {
			ctl_notify(ctl);
			char dn[1024];
			zones_name_print(names[0], dn, sizeof dn);
			static const char *const verb[] = { "added", "changed", "removed" };
			if (ctl->json)
				ctl_json_print(json_pack("{s:s, s:I}", verb[op], n == 1 ? dn : "",
				                         "domains", (json_int_t)n));
			else if (n == 1)
				printf("mail domain %s %s\n", dn, verb[op]);
			else
				printf("%zu mail domains %s\n", n, verb[op]);
		}
	}
	free(names);
	return ret;
}

static int mail_domain_add(ctl_t *ctl, int argc, char **argv)
{
	return mail_domain_change(ctl, argc, argv, MAILCORE_OP_ADD, "mail domain add");
}

static int mail_domain_set(ctl_t *ctl, int argc, char **argv)
{
	return mail_domain_change(ctl, argc, argv, MAILCORE_OP_SET, "mail domain set");
}

static int mail_domain_remove(ctl_t *ctl, int argc, char **argv)
{
	return mail_domain_change(ctl, argc, argv, MAILCORE_OP_REMOVE, "mail domain remove");
}

/* ---- showing domains ------------------------------------------------------------------ */

static json_t *domain_json(const mailcore_domain_t *d)
{
	static const char *const dm[] = { "none", "quarantine", "reject" };
	static const char *const sts[] = { "off", "testing", "enforce" };
	char nm[1024], cl[1024], ac[1024];
	json_t *mx = json_array();
	for (size_t i = 0; i < d->nmx; i++) {
		zones_name_print(d->mx[i], nm, sizeof nm);
		json_array_append_new(mx, json_string(nm));
	}
	zones_name_print(d->name, nm, sizeof nm);
	zones_name_print(d->clients, cl, sizeof cl);
	zones_name_print(d->autoconfig, ac, sizeof ac);
	json_t *dk = json_array();
	for (int a = MAILCORE_DKIM_RSA; a <= MAILCORE_DKIM_ED25519; a <<= 1)
		if (d->dkim_algs & a)
			json_array_append_new(dk, json_string(mailcore_alg_name(a)));
	return json_pack("{s:s, s:b, s:o, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, "
	                 "s:s, s:b, s:s, s:s, s:s, s:o, s:I, s:I, s:I}",
	                 "domain", nm, "mail", !d->no_mail, "mx", mx, "ttl", (json_int_t)d->ttl,
	                 "spf", d->spf_mode == MAILCORE_SPF_IP ? "ip" : "mx", "spf_extra",
	                 d->spf_extra, "spf_all", d->spf_soft ? "softfail" : "fail", "dmarc",
	                 dm[d->dmarc % 3], "dmarc_rua", d->rua, "dmarc_ruf", d->ruf, "dmarc_align",
	                 d->dmarc_strict ? "strict" : "relaxed", "mta_sts", sts[d->sts % 3],
	                 "mta_sts_max_age", (json_int_t)d->sts_max_age, "tls_rpt", d->tlsrpt,
	                 "clients", d->clients[0] ? cl : "", "pop3", d->pop3, "autoconfig",
	                 d->autoconfig[0] ? ac : "", "caa", d->caa, "caa_iodef", d->caa_iodef,
	                 "dkim", dk, "dkim_rotate", (json_int_t)d->dkim_rotate, "dkim_retire",
	                 (json_int_t)d->dkim_retire, "dkim_revoke", (json_int_t)d->dkim_revoke);
}

static int list_domain(const mailcore_domain_t *d, void *arg)
{
	json_array_append_new(arg, domain_json(d));
	return 0;
}

static int domains_collect(dns_state_txn_t *txn, json_t *arr, void *arg)
{
	(void)arg;
	return mailcore_domain_each(txn, list_domain, arr);
}

static void domain_line(json_t *row)
{
	printf("%s\n", json_string_value(json_object_get(row, "domain")));
}

static int mail_domain_list(ctl_t *ctl, int argc, char **argv)
{
	(void)argv;
	if (argc)
		return ctl_fail("mail domain list: takes no arguments");
	return ctl_list(ctl, domains_collect, NULL, false, domain_line);
}

/* The records generated for a domain, from the state. */
static void print_generated(dns_state_txn_t *txn, const mailcore_domain_t *d, json_t *out)
{
	zones_content_t c;
	mailcore_tags_t tags = { 0 };
	char err[600], line[5000];
	zones_content_init(&c, (const uint8_t *)"");
	if (mailcore_render_domain(txn, d, &c, &tags, err, sizeof err) == 0) {
		zones_content_sort(&c);
		for (size_t i = 0; i < c.n; i++) {
			zones_rr_print(&c.rr[i], line, sizeof line);
			if (out)
				json_array_append_new(out, json_string(line));
			else
				printf("  %s\n", line);
		}
	}
	mailcore_tags_free(&tags);
	zones_content_deinit(&c);
}

static int mail_domain_show(ctl_t *ctl, int argc, char **argv)
{
	uint8_t name[ZONES_NAME_MAX];
	if (argc != 1)
		return ctl_fail("mail domain show: expected DOMAIN");
	dns_state_t *st;
	dns_state_txn_t *txn;
	if (ctl_name_arg("mail domain show", "domain", argv[0], name) || ctl_state_existing(ctl, &st))
		return 1;
	int ret = dns_state_read_begin(st, &txn);
	if (ret)
		return ctl_fail("cannot read state: %s", dns_strerror(ret));
	mailcore_domain_t d;
	ret = mailcore_domain_get(txn, name, &d);
	if (ret) {
		dns_state_read_end(txn);
		char nm[1024];
		zones_name_print(name, nm, sizeof nm);
		return ctl_fail(ret == DNS_ENOMAIL ? "no mail domain %s" : "mail domain %s: cannot "
		                "read it", nm);
	}
	json_t *j = domain_json(&d);
	json_t *recs = json_array();
	print_generated(txn, &d, recs);
	dns_state_read_end(txn);
	json_object_set_new(j, "records", recs);
	if (ctl->json) {
		ctl_json_print(j);
		return 0;
	}
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) {
		if (!strcmp(k, "records"))
			continue;
		char *s = json_is_string(v) ? strdup(json_string_value(v))
		                             : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!strcmp(k, "mx") && json_array_size(v) == 0) {
			free(s);
			s = strdup("(every mail host)");
		}
		printf("%-16s %s\n", k, s && s[0] ? s : "-");
		free(s);
	}
	printf("records:\n");
	size_t i;
	json_array_foreach(recs, i, v)
		printf("  %s\n", json_string_value(v));
	json_decref(j);
	return 0;
}

static int mail_mta_sts(ctl_t *ctl, int argc, char **argv)
{
	uint8_t name[ZONES_NAME_MAX];
	if (argc != 1)
		return ctl_fail("mail mta-sts: expected DOMAIN");
	dns_state_t *st;
	dns_state_txn_t *txn;
	if (ctl_name_arg("mail mta-sts", "domain", argv[0], name) || ctl_state_existing(ctl, &st))
		return 1;
	int ret = dns_state_read_begin(st, &txn);
	if (ret)
		return ctl_fail("cannot read state: %s", dns_strerror(ret));
	mailcore_domain_t d;
	mailcore_hosts_t hs = { 0 };
	char policy[4096], id[33];
	ret = mailcore_domain_get(txn, name, &d);
	if (ret == 0)
		ret = mailcore_hosts_load(txn, &hs);
	if (ret == 0)
		ret = mailcore_sts_policy(&d, hs.h, hs.n, policy, sizeof policy, id);
	dns_state_read_end(txn);
	mailcore_hosts_free(&hs);
	if (ret == DNS_ENOMAIL)
		return ctl_fail("no mail domain %s", argv[0]);
	if (ret)
		return ctl_fail("mail mta-sts: %s", dns_strerror(ret));
	if (d.sts == MAILCORE_STS_OFF)
		return ctl_fail("mail domain %s has MTA-STS off (mail domain set %s --mta-sts "
		                "testing|enforce)", argv[0], argv[0]);
	if (ctl->json)
		ctl_json_print(json_pack("{s:s, s:s}", "id", id, "policy", policy));
	else
		fputs(policy, stdout);
	return 0;
}

#define DOMAIN_OPTIONS \
	"  --mx HOST[,HOST...]|all   mail hosts receiving the domain's mail (default: all)\n" \
	"  --no-mail | --mail        the domain takes no mail: null MX (RFC 7505), SPF -all,\n" \
	"                            DMARC reject\n" \
	"  --spf mx|ip               SPF \"v=spf1 mx -all\" (default) or the hosts' ip4/ip6\n" \
	"  --spf-extra 'MECHANISMS'  more SPF mechanisms, e.g. 'include:_spf.example.net';\n" \
	"                            the record is checked against RFC 7208's limits\n" \
	"  --spf-all fail|softfail   -all (default) or ~all\n" \
	"  --dmarc none|quarantine|reject   DMARC policy (default quarantine)\n" \
	"  --dmarc-rua ADDR[,ADDR]   aggregate report addresses (\"\" for none)\n" \
	"  --dmarc-ruf ADDR[,ADDR]   failure report addresses\n" \
	"  --dmarc-align relaxed|strict\n" \
	"  --mta-sts off|testing|enforce   MTA-STS (RFC 8461), default off; the policy text\n" \
	"                            is printed by: dnsctl mail mta-sts DOMAIN\n" \
	"  --mta-sts-max-age DUR     policy max_age (default 7d)\n" \
	"  --tls-rpt ADDR|URI|off    TLS-RPT reports (RFC 8460)\n" \
	"  --clients HOST|off        IMAP/submission host: RFC 6186/8314 SRV records\n" \
	"  --pop3 yes|no             also offer POP3S (default no)\n" \
	"  --autoconfig HOST|off     autoconfig/autodiscover names for mail clients\n" \
	"  --caa CA[,CA]|off         CAA issue records (RFC 8659)\n" \
	"  --caa-iodef URL|off       CAA iodef record\n" \
	"  --dkim rsa,ed25519|rsa|ed25519|off   DKIM algorithms (default both)\n" \
	"  --dkim-rotate DUR         key lifetime before a successor comes (default 90d)\n" \
	"  --dkim-retire DUR         how long a replaced key stays published (default 7d)\n" \
	"  --dkim-revoke DUR         how long its empty p= record stays (default 7d)\n" \
	"  --ttl DUR                 TTL of the generated records (default 3600)\n" \
	"Durations: seconds, or with s, m, h, d (90d)."

const ctl_cmd_t ctl_mail_cmds[] = {
	{ "mail", "domain add", mail_domain_add, "DOMAIN... [OPTIONS] | --batch FILE [OPTIONS]",
	  "Add mail domains (inside hosted zones) and generate their records: MX, SPF,\n"
	  "DKIM, DMARC and what the options ask for. New DKIM keys are published at once\n"
	  "and become active (exported for signing) once dnsd and every secondary serve\n"
	  "them and their TTL has passed. Several domains, or --batch FILE (one per line),\n"
	  "are added in one transaction: all or none.\n" DOMAIN_OPTIONS },
	{ "mail", "domain set", mail_domain_set, "DOMAIN [OPTIONS]",
	  "Change a mail domain; its records follow in the same transaction.\n" DOMAIN_OPTIONS },
	{ "mail", "domain remove", mail_domain_remove, "DOMAIN",
	  "Remove a mail domain, its keys and every record generated for it." },
	{ "mail", "domain list", mail_domain_list, "[--json]", "List the mail domains." },
	{ "mail", "domain show", mail_domain_show, "DOMAIN [--json]",
	  "Show a mail domain's settings and the records generated for it." },
	{ "mail", "mta-sts", mail_mta_sts, "DOMAIN [--json]",
	  "Print the MTA-STS policy file to serve at\n"
	  "https://mta-sts.DOMAIN/.well-known/mta-sts.txt (RFC 8461 3.3)." },
	{ NULL, NULL, NULL, NULL, NULL }
};
