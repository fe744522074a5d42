/* SPDX-License-Identifier: MIT */
/* dnsctl zone ...: add, import, set, list, show, export, remove. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tools/ctl.h"

/* "--opt VALUE": \retval the value, or NULL after saying what is missing */
/* --dnssec: "off", or a policy: the built-in "default" or a [policy NAME] of the config */
static int policy_arg(ctl_t *ctl, const char *v, const char **policy)
{
	if (!strcmp(v, "off")) {
		*policy = "";
		return 0;
	}
	if (!keymgr_policy_find(&ctl->policies, v))
		return ctl_fail("--dnssec %s: no such policy (\"default\" is built in; others are "
		                "[policy NAME] sections of %s)", v, ctl->config);
	*policy = v;
	return 0;
}

static int content_from_file(zones_content_t *c, const char *path)
{
	int ret = zones_content_load(c, path);
	if (ret)
		return ctl_fail("%s", c->err[0] ? c->err : dns_strerror(ret));
	return 0;
}

/* A signed zone's DNSSEC records are dnsd's to make: drop those in a file
 * (an export imported again, a zone signed elsewhere). */
static void strip_signed(zones_content_t *c, const char *policy, const char *path)
{
	if (!policy || !policy[0])
		return;
	size_t n = keymgr_content_strip(c);
	if (n)
		fprintf(stderr, "dnsctl: note: %s: %zu DNSSEC records ignored (dnsd signs this zone)\n",
		        path, n);
}

/* A new zone without a file: SOA and NS pointing at ns1.<zone>, to be completed. */
static int content_skeleton(zones_content_t *c)
{
	char apex[1024], line[3000];
	zones_name_print(c->apex, apex, sizeof apex);
	snprintf(line, sizeof line, "ns1.%s hostmaster.%s 1 3600 900 1209600 300", apex, apex);
	uint8_t *rd;
	uint16_t rl;
	char err[600];
	int ret = zones_rdata_parse(c->apex, ZONES_T_SOA, line, &rd, &rl, err, sizeof err);
	if (ret)
		return ctl_fail("%s", err);
	ret = zones_content_add(c, c->apex, ZONES_T_SOA, 3600, rd, rl, 0);
	free(rd);
	snprintf(line, sizeof line, "ns1.%s", apex);
	if (ret == 0 &&
	    (ret = zones_rdata_parse(c->apex, ZONES_T_NS, line, &rd, &rl, err, sizeof err)) == 0) {
		ret = zones_content_add(c, c->apex, ZONES_T_NS, 3600, rd, rl, 0);
		free(rd);
	}
	return ret ? ctl_fail("%s", dns_strerror(ret)) : 0;
}

/* zone add --batch LIST: "NAME ZONEFILE" per line, all in one transaction. */
static int zone_add_batch(ctl_t *ctl, const char *list, const char *policy)
{
	FILE *f = strcmp(list, "-") ? fopen(list, "r") : stdin;
	if (!f)
		return ctl_fail("cannot read %s: %s", list, strerror(errno));
	zones_content_t **cs = NULL;
	size_t n = 0, cap = 0;
	char line[4200];
	unsigned lineno = 0;
	int ret = 0;
	while (ret == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		char name[1100], file[3000];
		if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (sscanf(line, "%1099s %2999s", name, file) != 2) {
			ret = ctl_fail("%s:%u: expected NAME ZONEFILE", list, lineno);
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			zones_content_t **x = realloc(cs, cap * sizeof *x);
			if (!x) {
				ret = ctl_fail("out of memory");
				break;
			}
			cs = x;
		}
		uint8_t apex[ZONES_NAME_MAX];
		if ((ret = ctl_zone_arg(name, apex)) != 0)
			break;
		for (size_t i = 0; i < n && ret == 0; i++)
			if (zones_name_cmp(cs[i]->apex, apex) == 0)
				ret = ctl_fail("%s:%u: zone %s is listed twice", list, lineno, name);
		if (ret)
			break;
		zones_content_t *c = malloc(sizeof *c);
		if (!c) {
			ret = ctl_fail("out of memory");
			break;
		}
		zones_content_init(c, apex);
		cs[n++] = c;
		/* the content keeps a pointer to its source name for messages */
		ret = content_from_file(c, file);
		if (ret == 0)
			strip_signed(c, policy, file);
		c->source = NULL;
	}
	if (f != stdin)
		fclose(f);
	dns_state_t *st;
	if (ret == 0 && (ret = ctl_state(ctl, &st)) == 0) {
		size_t failed = 0;
		int e = zones_op_add_many(st, cs, n, policy, &failed);
		char an[1024];
		if (e == DNS_EDUPZONE) {
			zones_name_print(cs[failed]->apex, an, sizeof an);
			ret = ctl_fail("zone %s already exists; no zone of %s was added", an, list);
		} else if (e) {
			ret = ctl_fail("%s: %s; no zone was added", list,
			               zones_op_error()[0] ? zones_op_error() : dns_strerror(e));
		} else {
			ctl_notify(ctl);
			if (ctl->json)
				ctl_json_print(json_pack("{s:I}", "zones_added", (json_int_t)n));
			else
				printf("%zu zone%s added\n", n, n == 1 ? "" : "s");
		}
	}
	for (size_t i = 0; i < n; i++) {
		zones_content_deinit(cs[i]);
		free(cs[i]);
	}
	free(cs);
	return ret;
}

static int zone_add(ctl_t *ctl, int argc, char **argv)
{
	const char *file = NULL, *policy = NULL, *name = NULL, *batch = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--file")) {
			if (!(file = ctl_opt_value(argc, argv, &i, "zone add")))
				return 1;
		} else if (!strcmp(argv[i], "--batch")) {
			if (!(batch = ctl_opt_value(argc, argv, &i, "zone add")))
				return 1;
		} else if (!strcmp(argv[i], "--dnssec")) {
			const char *v = ctl_opt_value(argc, argv, &i, "zone add");
			if (!v || policy_arg(ctl, v, &policy))
				return 1;
		} else if (argv[i][0] == '-' && argv[i][1])
			return ctl_fail("zone add: unknown option '%s' (see dnsctl zone add --help)", argv[i]);
		else if (!name)
			name = argv[i];
		else
			return ctl_fail("zone add: unexpected argument '%s'", argv[i]);
	}
	if (batch) {
		if (name || file)
			return ctl_fail("zone add: --batch takes no NAME or --file");
		return zone_add_batch(ctl, batch, policy ? policy : "default");
	}
	if (!name)
		return ctl_fail("zone add: missing NAME (see dnsctl zone add --help)");
	uint8_t apex[ZONES_NAME_MAX];
	if (ctl_zone_arg(name, apex))
		return 1;
	zones_content_t c;
	zones_content_init(&c, apex);
	int ret = file ? content_from_file(&c, file) : content_skeleton(&c);
	if (ret == 0 && file)
		strip_signed(&c, policy ? policy : "default", file);
	dns_state_t *st;
	if (ret == 0 && (ret = ctl_state(ctl, &st)) == 0) {
		/* DESIGN.md 7: DNSSEC is on unless the operator says off */
		int e = zones_op_add(st, &c, policy ? policy : "default");
		char an[1024];
		zones_name_print(apex, an, sizeof an);
		if (e == DNS_EDUPZONE) {
			ret = ctl_fail("zone %s already exists (use zone import to replace its records)", an);
		} else if (e) {
			ret = ctl_fail("zone %s: %s", an, zones_op_error()[0] ? zones_op_error()
			                                                   : dns_strerror(e));
		} else {
			ctl_notify(ctl);
			if (ctl->json)
				ctl_json_print(json_pack("{s:s, s:I}", "zone", an, "records", (json_int_t)c.n));
			else
				printf("zone %s added (%zu records)\n", an, c.n);
		}
	}
	zones_content_deinit(&c);
	return ret;
}

static int zone_import(ctl_t *ctl, int argc, char **argv)
{
	if (argc != 2)
		return ctl_fail("zone import: expected NAME ZONEFILE (see dnsctl zone import --help)");
	uint8_t apex[ZONES_NAME_MAX];
	if (ctl_zone_arg(argv[0], apex))
		return 1;
	zones_content_t c;
	zones_content_init(&c, apex);
	int ret = content_from_file(&c, argv[1]);
	dns_state_t *st;
	if (ret == 0 && (ret = ctl_state(ctl, &st)) == 0) {
		dns_state_txn_t *txn;
		zones_settings_t cur;
		if (dns_state_read_begin(st, &txn) == 0) {
			if (zones_store_settings_get(txn, apex, &cur) == 0)
				strip_signed(&c, cur.policy, argv[1]);
			dns_state_read_end(txn);
		}
		size_t gen = 0;
		int e = zones_op_import(st, &c, &gen);
		char an[1024];
		zones_name_print(apex, an, sizeof an);
		if (e == DNS_ENOZONE)
			ret = ctl_fail("zone %s does not exist (use zone add)", an);
		else if (e)
			ret = ctl_fail("zone %s: %s", an, zones_op_error()[0] ? zones_op_error()
			                                                  : dns_strerror(e));
		else {
			ctl_notify(ctl);
			if (ctl->json)
				ctl_json_print(json_pack("{s:s, s:I}", "zone", an, "records", (json_int_t)c.n));
			else
				printf("zone %s: %zu records imported\n", an, c.n);
			if (gen)
				fprintf(stderr, "dnsctl: note: %zu records equal to those the mail "
				        "configuration generates were left out (they stay generated)\n", gen);
		}
	}
	zones_content_deinit(&c);
	return ret;
}

/* Append one --transfer / --notify item to a "; " list, checked. */
static int xfr_item(const char *opt, const char *v, char *list, size_t len)
{
	if (!strcmp(v, "default") || !strcmp(v, "none")) {
		if (list[0] && strcmp(list, v))
			return ctl_fail("zone set: %s %s cannot be combined with other %s values", opt, v,
			                opt);
		snprintf(list, len, "%s", v);
		return 0;
	}
	dnsd_acl_t a;
	dnsd_remote_t r;
	bool ok = !strcmp(opt, "--transfer") ? dnsd_acl_parse(v, &a) == 0
	                                     : dnsd_remote_parse(v, &r) == 0;
	if (!ok || strchr(v, ';'))
		return ctl_fail("zone set: %s '%s': expected %s", opt, v,
		                !strcmp(opt, "--transfer") ? "ADDRESS[/BITS] [key NAME]"
		                                           : "ADDRESS[@PORT] [key NAME]");
	if (!strcmp(list, "default") || !strcmp(list, "none"))
		return ctl_fail("zone set: %s %s cannot be combined with other %s values", opt, list,
		                opt);
	size_t l = strlen(list);
	if (l + strlen(v) + 3 >= len)
		return ctl_fail("zone set: too many %s values", opt);
	snprintf(list + l, len - l, "%s%s", l ? "; " : "", v);
	return 0;
}

static int zone_set(ctl_t *ctl, int argc, char **argv)
{
	const char *policy = NULL, *name = NULL;
	char transfer[512] = "", notify[512] = "";
	bool tset = false, nset = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dnssec")) {
			const char *v = ctl_opt_value(argc, argv, &i, "zone set");
			if (!v || policy_arg(ctl, v, &policy))
				return 1;
		} else if (!strcmp(argv[i], "--transfer") || !strcmp(argv[i], "--notify")) {
			const char *o = argv[i], *v = ctl_opt_value(argc, argv, &i, "zone set");
			bool t = !strcmp(o, "--transfer");
			if (!v || xfr_item(o, v, t ? transfer : notify, sizeof transfer))
				return 1;
			*(t ? &tset : &nset) = true;
		} else if (argv[i][0] == '-')
			return ctl_fail("zone set: unknown option '%s'", argv[i]);
		else if (!name)
			name = argv[i];
		else
			return ctl_fail("zone set: unexpected argument '%s'", argv[i]);
	}
	if (!name || (!policy && !tset && !nset))
		return ctl_fail("zone set: expected NAME and --dnssec, --transfer or --notify "
		                "(see dnsctl zone set --help)");
	uint8_t apex[ZONES_NAME_MAX];
	dns_state_t *st;
	if (ctl_zone_arg(name, apex) || ctl_state(ctl, &st))
		return 1;
	int e = policy ? zones_op_policy_set(st, apex, policy) : 0;
	/* "default": the zone follows the configuration again */
	if (e == 0 && (tset || nset))
		e = zones_op_xfr_set(st, apex,
		                     tset ? (strcmp(transfer, "default") ? transfer : "") : NULL,
		                     nset ? (strcmp(notify, "default") ? notify : "") : NULL);
	char an[1024];
	zones_name_print(apex, an, sizeof an);
	if (e == DNS_ENOZONE)
		return ctl_fail("zone %s does not exist", an);
	if (e)
		return ctl_fail("zone %s: %s", an, dns_strerror(e));
	ctl_notify(ctl);
	return 0;
}

static int list_one(const uint8_t *apex, const zones_settings_t *s, void *arg)
{
	json_t *arr = arg;
	char an[1024];
	zones_name_print(apex, an, sizeof an);
	json_array_append_new(arr, json_pack("{s:s, s:s}", "zone", an, "dnssec",
	                                     s->policy[0] ? s->policy : "off"));
	return 0;
}

static int zones_collect(dns_state_txn_t *txn, json_t *arr, void *arg)
{
	(void)arg;
	return zones_store_list(txn, list_one, arr);
}

static void zone_line(json_t *row)
{
	printf("%s\n", json_string_value(json_object_get(row, "zone")));
}

static int zone_list(ctl_t *ctl, int argc, char **argv)
{
	if (argc)
		return ctl_fail("zone list: unexpected argument '%s'", argv[0]);
	return ctl_list(ctl, zones_collect, NULL, false, zone_line);
}

static int zone_show(ctl_t *ctl, int argc, char **argv)
{
	if (argc != 1)
		return ctl_fail("zone show: expected NAME");
	uint8_t apex[ZONES_NAME_MAX];
	dns_state_t *st;
	if (ctl_zone_arg(argv[0], apex) || ctl_state_existing(ctl, &st))
		return 1;
	zones_content_t c;
	zones_content_init(&c, apex);
	zones_settings_t s;
	zones_served_t sv;
	bool served;
	int ret = zones_op_load_served(st, apex, &c, &s, &sv, &served);
	char an[1024];
	zones_name_print(apex, an, sizeof an);
	if (ret) {
		zones_content_deinit(&c);
		return ret == DNS_ENOZONE ? ctl_fail("zone %s does not exist", an)
		                          : ctl_fail("zone %s: %s", an, dns_strerror(ret));
	}
	uint32_t serial = 0;
	(void)zones_content_serial_get(&c, &serial);
	char created[32] = "", updated[32] = "";
	time_t t = (time_t)s.created;
	strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	if (served) {
		t = (time_t)sv.updated;
		strftime(updated, sizeof updated, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	}
	json_t *j = json_pack("{s:s, s:s, s:I, s:b, s:I, s:s, s:s}", "zone", an, "dnssec",
	                      s.policy[0] ? s.policy : "off", "serial", (json_int_t)serial,
	                      "served", served, "records", (json_int_t)c.n, "created", created,
	                      "serial_changed", updated);
	zones_content_deinit(&c);
	/* what dnsd serves and told the secondaries (RFC 1996), from dnsd itself */
	char cmd[1100], reply[16384];
	json_t *live = NULL;
	snprintf(cmd, sizeof cmd, "zone %s", an);
	if (dns_control_request(ctl->state_dir, cmd, reply, sizeof reply, 5000) == 0)
		live = json_loads(reply, 0, NULL);
	json_t *secs = live ? json_object_get(live, "secondaries") : NULL;
	/* the zone's own transfer settings (zone set --transfer/--notify) */
	json_object_set_new(j, "transfer", json_string(s.transfer[0] ? s.transfer : "default"));
	json_object_set_new(j, "notify", json_string(s.notify[0] ? s.notify : "default"));
	if (secs)
		json_object_set(j, "secondaries", secs);
	if (ctl->json) {
		json_decref(live);
		ctl_json_print(j);
		return 0;
	}
	printf("zone:     %s\ndnssec:   %s\nserial:   %u%s\nrecords:  %zu\ncreated:  %s\n", an,
	       s.policy[0] ? s.policy : "off", serial,
	       served ? "" : " (not yet served: dnsd has not loaded this version)",
	       (size_t)json_integer_value(json_object_get(j, "records")), created);
	if (served)
		printf("changed:  %s\n", updated);
	printf("transfer: %s\nnotify:   %s\n", s.transfer[0] ? s.transfer : "default (configuration)",
	       s.notify[0] ? s.notify : "default (configuration)");
	size_t i;
	json_t *v;
	json_array_foreach(secs, i, v) {
		long long at = (long long)json_integer_value(json_object_get(v, "acked_at"));
		char when[32] = "never";
		time_t ta = (time_t)at;
		if (at)
			strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&ta));
		printf("secondary %s: NOTIFY serial %lld%s, last acknowledged serial %lld at %s\n",
		       json_string_value(json_object_get(v, "secondary")),
		       (long long)json_integer_value(json_object_get(v, "notify_serial")),
		       json_is_true(json_object_get(v, "pending")) ? " (not yet acknowledged)" : "",
		       (long long)json_integer_value(json_object_get(v, "acked_serial")), when);
	}
	json_decref(live);
	json_decref(j);
	return 0;
}

static int zone_export(ctl_t *ctl, int argc, char **argv)
{
	const char *out = NULL, *name = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-o")) {
			if (!(out = ctl_opt_value(argc, argv, &i, "zone export")))
				return 1;
		} else if (argv[i][0] == '-')
			return ctl_fail("zone export: unknown option '%s'", argv[i]);
		else if (!name)
			name = argv[i];
		else
			return ctl_fail("zone export: unexpected argument '%s'", argv[i]);
	}
	if (!name)
		return ctl_fail("zone export: missing NAME");
	uint8_t apex[ZONES_NAME_MAX];
	dns_state_t *st;
	if (ctl_zone_arg(name, apex) || ctl_state_existing(ctl, &st))
		return 1;
	zones_content_t c;
	zones_content_init(&c, apex);
	zones_settings_t s;
	bool served;
	int ret = keymgr_zone_load_served(st, apex, &ctl->policies, (uint32_t)time(NULL), &c, &s,
	                                  &served);
	char an[1024];
	zones_name_print(apex, an, sizeof an);
	if (ret) {
		zones_content_deinit(&c);
		if (ret == DNS_ECONFIG)
			return ctl_fail("zone %s: its DNSSEC policy '%s' is not in %s", an, s.policy,
			                ctl->config);
		return ret == DNS_ENOZONE ? ctl_fail("zone %s does not exist", an)
		                          : ctl_fail("zone %s: %s", an, dns_strerror(ret));
	}
	if (!served && s.policy[0]) {
		/* DESIGN.md 7: what dnsd serves, or a clear no */
		zones_content_deinit(&c);
		return ctl_fail("zone %s: dnsd has not signed the current version yet (is it "
		                "running on %s?)", an, ctl->state_dir);
	}
	if (!served)
		fprintf(stderr, "dnsctl: warning: zone %s: dnsd has not served this version yet; "
		                "the serial shown is the stored one\n", an);
	FILE *f = stdout;
	char tmp[4200];
	if (out) {
		/* write next to the target, then rename: never a half-written file */
		snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
		f = fopen(tmp, "w");
		if (!f) {
			zones_content_deinit(&c);
			return ctl_fail("cannot write %s: %s", tmp, strerror(errno));
		}
	}
	ret = zones_content_write(&c, f);
	zones_content_deinit(&c);
	if (out) {
		if (fclose(f) != 0 || ret) {
			unlink(tmp);
			return ctl_fail("cannot write %s", out);
		}
		if (rename(tmp, out) != 0) {
			unlink(tmp);
			return ctl_fail("cannot rename %s to %s: %s", tmp, out, strerror(errno));
		}
	} else if (fflush(stdout) != 0 || ret) {
		return ctl_fail("cannot write the zone to standard output");
	}
	return 0;
}

static int zone_remove(ctl_t *ctl, int argc, char **argv)
{
	if (argc != 1)
		return ctl_fail("zone remove: expected NAME");
	uint8_t apex[ZONES_NAME_MAX];
	dns_state_t *st;
	if (ctl_zone_arg(argv[0], apex) || ctl_state(ctl, &st))
		return 1;
	int e = zones_op_remove(st, apex);
	char an[1024];
	zones_name_print(apex, an, sizeof an);
	if (e == DNS_ENOZONE)
		return ctl_fail("zone %s does not exist", an);
	if (e && zones_op_error()[0])
		return ctl_fail("%s", zones_op_error());
	if (e)
		return ctl_fail("zone %s: %s", an, dns_strerror(e));
	ctl_notify(ctl);
	return 0;
}

const ctl_cmd_t ctl_zone_cmds[] = {
	{ "zone", "add", zone_add, "NAME [--file ZONEFILE] [--dnssec POLICY|off] | --batch LIST",
	  "Create zone NAME, from ZONEFILE (master-file format, RFC 1035 5) or, without one,\n"
	  "with an SOA and an NS record for ns1.NAME to be completed with record add.\n"
	  "The zone must have one SOA and NS records at its apex, no owner outside it and\n"
	  "no CNAME beside other data; anything else is refused and nothing is stored.\n"
	  "  --file ZONEFILE   records to start with\n"
	  "  --batch LIST      add many zones in one transaction, all or none: LIST (or - for\n"
	  "                    standard input) has one \"NAME ZONEFILE\" per line\n"
	  "  --dnssec POLICY   sign with POLICY: the built-in \"default\" (ECDSAP256SHA256,\n"
	  "                    KSK+ZSK, NSEC3 without iterations or salt) or a [policy NAME]\n"
	  "                    of the config file; without --dnssec the zone uses \"default\"\n"
	  "  --dnssec off      serve the zone unsigned" },
	{ "zone", "import", zone_import, "NAME ZONEFILE",
	  "Replace all static records of the existing zone NAME by those in ZONEFILE,\n"
	  "checked as by zone add. dnsd raises the serial if the content changed." },
	{ "zone", "set", zone_set,
	  "NAME [--dnssec POLICY|off] [--transfer ACL]... [--notify TARGET]...",
	  "Change the settings of zone NAME.\n"
	  "  --dnssec POLICY|off     sign with POLICY, or serve unsigned\n"
	  "  --transfer 'ADDRESS[/BITS] [key NAME]'   who may transfer this zone (AXFR/IXFR),\n"
	  "                          repeatable; replaces the configuration's secondary and\n"
	  "                          allow-transfer lines for this zone. \"none\": nobody;\n"
	  "                          \"default\": the configuration's again\n"
	  "  --notify 'ADDRESS[@PORT] [key NAME]'     where NOTIFY goes (RFC 1996), signed with\n"
	  "                          NAME, repeatable; replaces the configuration's secondary\n"
	  "                          lines for this zone. \"none\" and \"default\" as above" },
	{ "zone", "list", zone_list, "[--json]", "List the zones in the state, one per line." },
	{ "zone", "show", zone_show, "NAME [--json]",
	  "Show a zone's settings, the serial dnsd serves and its record count." },
	{ "zone", "export", zone_export, "NAME [-o FILE]",
	  "Print the zone as served, in master-file format, to standard output or FILE\n"
	  "(written to a temporary file and renamed, so FILE is never half-written)." },
	{ "zone", "remove", zone_remove, "NAME",
	  "Delete the zone and all its records. dnsd stops answering for it within a second." },
	{ NULL, NULL, NULL, NULL, NULL }
};
