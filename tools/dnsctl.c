/* SPDX-License-Identifier: MIT */
/* dnsctl: global options and the command table; the commands are in cmd_*.c. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "tools/ctl.h"

static const ctl_cmd_t *const tables[] = { ctl_zone_cmds, ctl_record_cmds, ctl_key_cmds,
	                                           ctl_mailhost_cmds, ctl_mail_cmds, ctl_dkim_cmds,
	                                           ctl_check_cmds, ctl_tsig_cmds,
	                                           ctl_server_cmds,
	                                           NULL };

const char *ctl_opt_value(int argc, char **argv, int *i, const char *cmd)
{
	if (*i + 1 >= argc) {
		ctl_fail("%s: option %s needs a value (see dnsctl %s --help)", cmd, argv[*i], cmd);
		return NULL;
	}
	return argv[++*i];
}

/* "30", "30s", "15m", "12h", "90d" -> seconds */
int ctl_duration_arg(const char *cmd, const char *opt, const char *v, uint32_t min,
                        uint32_t *out)
{
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	unsigned long long mul = 1;
	if (end == v || v[0] == '-')
		goto bad;
	if (*end == 's')
		end++;
	else if (*end == 'm' && ++end)
		mul = 60;
	else if (*end == 'h' && ++end)
		mul = 3600;
	else if (*end == 'd' && ++end)
		mul = 86400;
	if (*end || n > 0x7fffffffull / mul || n * mul < min)
		goto bad;
	*out = (uint32_t)(n * mul);
	return 0;
bad:
	return ctl_fail("%s: %s '%s': expected a duration of at least %u s, like 3600, 90m, 12h "
	                "or 90d", cmd, opt, v, min);
}

int ctl_name_arg(const char *cmd, const char *what, const char *s, uint8_t out[ZONES_NAME_MAX])
{
	char abs[1100];
	size_t n = strlen(s);
	snprintf(abs, sizeof abs, "%s%s", s, n && s[n - 1] == '.' ? "" : ".");
	int ret = zones_name_parse(abs, NULL, out);
	if (ret < 0 || n == 0 || !strcmp(s, "."))
		return ctl_fail("%s: %s '%s': %s", cmd, what, s,
		                ret < 0 ? dns_strerror(ret) : "the root is not allowed here");
	zones_name_lower(out);
	return 0;
}

void ctl_timestr(int64_t t, char *out, size_t len)
{
	if (!t) {
		out[0] = 0; /* not yet: "-" in text, null in JSON */
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int ctl_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("dnsctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

int ctl_state(ctl_t *ctl, dns_state_t **st)
{
	if (!ctl->st) {
		int ret = dns_state_open(ctl->state_dir, false, &ctl->st);
		if (ret == DNS_EACCES)
			return ctl_fail("state %s: must be a directory owned by the user running dnsctl "
			                "(%u) and closed to others", ctl->state_dir, (unsigned)geteuid());
		if (ret)
			return ctl_fail("cannot open state %s: %s", ctl->state_dir, dns_strerror(ret));
	}
	*st = ctl->st;
	return 0;
}

int ctl_state_existing(ctl_t *ctl, dns_state_t **st)
{
	struct stat sb;
	if (stat(ctl->state_dir, &sb) != 0)
		return ctl_fail("no state at %s: %s (see -D, or add a zone first)", ctl->state_dir,
		                strerror(errno));
	return ctl_state(ctl, st);
}

int ctl_zone_arg(const char *s, uint8_t apex[ZONES_NAME_MAX])
{
	char abs[1100];
	size_t n = strlen(s);
	/* zone names are always absolute: "example.com" means "example.com." */
	snprintf(abs, sizeof abs, "%s%s", s, n && s[n - 1] == '.' ? "" : ".");
	int ret = zones_name_parse(abs, NULL, apex);
	if (ret < 0)
		return ctl_fail("zone name '%s': %s", s, dns_strerror(ret));
	zones_name_lower(apex);
	return 0;
}

int ctl_list(ctl_t *ctl, int (*collect)(dns_state_txn_t *txn, json_t *arr, void *arg), void *arg,
             bool one, void (*line)(json_t *row))
{
	dns_state_t *st;
	dns_state_txn_t *txn;
	if (ctl_state_existing(ctl, &st))
		return 1;
	int ret = dns_state_read_begin(st, &txn);
	if (ret)
		return ctl_fail("cannot read state: %s", dns_strerror(ret));
	json_t *arr = json_array();
	ret = collect(txn, arr, arg);
	dns_state_read_end(txn);
	if (ret) {
		json_decref(arr);
		return ret > 0 ? 1 : ctl_fail("cannot read state: %s", dns_strerror(ret));
	}
	if (ctl->json) {
		ctl_json_print(one ? json_incref(json_array_get(arr, 0)) : json_incref(arr));
		json_decref(arr);
		return 0;
	}
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		line(v);
	json_decref(arr);
	return 0;
}

void ctl_json_print(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s)
		puts(s);
	free(s);
	json_decref(j);
}

bool ctl_wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	}
	return false;
}

void ctl_cmd_usage(const ctl_cmd_t *c, FILE *f)
{
	fprintf(f, "usage: dnsctl [-D STATEDIR] %s%s%s %s\n\n%s\n", c->group, c->verb ? " " : "",
	        c->verb ? c->verb : "", c->args, c->help);
}

void ctl_notify(ctl_t *ctl)
{
	char reply[256];
	int ret = dns_control_request(ctl->state_dir, "notify", reply, sizeof reply, 10000);
	if (ret == -ENOENT || ret == -ECONNREFUSED)
		return; /* no dnsd running: it reads the state when it starts */
	if (ret)
		fprintf(stderr, "dnsctl: warning: dnsd did not confirm the change (%s); it will pick "
		                "it up by itself\n", dns_strerror(ret));
	else if (strncmp(reply, "ok", 2) != 0)
		fprintf(stderr, "dnsctl: warning: dnsd: %s\n", reply);
}

/* How many words of argv spell \p verb ("host add" is two), 0 if they do not. */
static int verb_match(const char *verb, char **argv, int argc)
{
	int words = 0;
	for (const char *p = verb; *p; words++) {
		size_t n = strcspn(p, " ");
		if (words >= argc || strlen(argv[words]) != n || strncmp(argv[words], p, n))
			return 0;
		p += n + (p[n] == ' ');
	}
	return words;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: dnsctl [-c CONFIG] [-D STATEDIR] [--json] COMMAND ...\n\n"
	           "Manage the zones dnsd serves.  Changes are committed to the state directory\n"
	           "at once and served by a running dnsd within a second.\n\n"
	           "  -c, --config FILE  configuration file (default /etc/dnsd/dnsd.conf; optional)\n"
	           "  -D, --state DIR    state directory (default /var/lib/dnsd)\n"
	           "      --json         machine-readable output where a command prints data\n"
	           "  -h, --help         this text; COMMAND --help for a command's own\n\n"
	           "Commands:\n");
	for (int t = 0; tables[t]; t++)
		for (const ctl_cmd_t *c = tables[t]; c->group; c++)
			fprintf(f, "  %s%s%s %s\n", c->group, c->verb ? " " : "", c->verb ? c->verb : "",
			        c->args);
	fprintf(f, "\nSee dnsctl(8) in doc/dnsctl.md.\n");
}

/* dnsctl reads the daemon's config file for what it shares with dnsd (the
 * state directory); the other settings are dnsd's own. */
static int config_setting(const char *section, const char *key, char *val, void *arg, char *why,
                          size_t wl)
{
	ctl_t *ctl = arg;
	char *state = ctl->cfg_state;
	if (!strncmp(section, "policy ", 7))
		return keymgr_policy_setting(&ctl->policies, section + 7, key, val, why, wl);
	if (!key || section[0])
		return 0;
	if (!strcmp(key, "state-dir") && !val[0]) {
		snprintf(why, wl, "state-dir must not be empty");
		return -1;
	}
	if (!strcmp(key, "state-dir"))
		snprintf(state, 1024, "%s", val);
	/* where dnsctl check finds dnsd and the secondaries */
	if (!strcmp(key, "listen") && !ctl->listen[0])
		snprintf(ctl->listen, sizeof ctl->listen, "%s", val);
	if (!strcmp(key, "secondary")) {
		if (ctl->nsecondary >= 16) {
			snprintf(why, wl, "more than 16 secondaries");
			return -1;
		}
		char addr[100];
		if (sscanf(val, "%99s", addr) != 1 ||
		    mailcore_server_parse(addr, &ctl->secondary[ctl->nsecondary]) != 0) {
			snprintf(why, wl, "secondary '%s': expected ADDRESS[@PORT] [key NAME]", val);
			return -1;
		}
		ctl->nsecondary++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "state", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },         { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },      { NULL, 0, NULL, 0 }
	};
	ctl_t ctl = { .config = "/etc/dnsd/dnsd.conf", .state_dir = "/var/lib/dnsd" };
	const char *state = NULL;
	bool config_given = false;
	int c;
	/* "+": stop at the command, its options are its own */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+c:D:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': ctl.config = optarg; config_given = true; break;
		case 'D': state = optarg; break;
		case 'j': ctl.json = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("dnsctl %s\n", PACKAGE_VERSION); return 0;
		default:
			if (optopt == 'c' || optopt == 'D')
				ctl_fail("option -%c needs a value (see dnsctl --help)", optopt);
			else
				ctl_fail("unknown option '%s' (see dnsctl --help)", argv[optind - 1]);
			return 2;
		}
	}
	dns_log_init_tool("dnsctl");
	char err[1200];
	/* the mail core moves its records when zones come and go */
	zones_hook_set(mailcore_zone_hook);
	if (keymgr_policies_init(&ctl.policies))
		return ctl_fail("out of memory");
	/* a command's --help works even with a broken config file */
	char why[300];
	int cret = dns_conf_parse(ctl.config, config_given, config_setting, &ctl, err, sizeof err);
	if (cret == 0 && keymgr_policies_check(&ctl.policies, why, sizeof why)) {
		snprintf(err, sizeof err, "%s: %s", ctl.config, why);
		cret = DNS_ECONFIG;
	}
	if (cret && !ctl_wants_help(argc - optind, argv + optind))
		return ctl_fail("%s", err);
	if (state)
		ctl.state_dir = state;
	else if (ctl.cfg_state[0])
		ctl.state_dir = ctl.cfg_state;
	if (optind >= argc) {
		ctl_fail("no command given (see dnsctl --help)");
		return 2;
	}
	const char *group = argv[optind];
	const char *verb = optind + 1 < argc ? argv[optind + 1] : NULL;
	bool group_known = false;
	for (int t = 0; tables[t]; t++)
		for (const ctl_cmd_t *cmd = tables[t]; cmd->group; cmd++) {
			if (strcmp(cmd->group, group))
				continue;
			group_known = true;
			int skip = 1; /* a command without a verb: "status", "reload" */
			if (cmd->verb) {
				int words = verb_match(cmd->verb, argv + optind + 1, argc - optind - 1);
				if (!words)
					continue;
				skip = 1 + words;
			}
			int cargc = argc - optind - skip;
			char **cargv = argv + optind + skip;
			if (ctl_wants_help(cargc, cargv)) {
				ctl_cmd_usage(cmd, stdout);
				return 0;
			}
			/* --json is accepted after the command too */
			int w = 0;
			for (int i = 0; i < cargc; i++) {
				if (!strcmp(cargv[i], "--json"))
					ctl.json = true;
				else
					cargv[w++] = cargv[i];
			}
			int ret = cmd->run(&ctl, w, cargv);
			dns_state_close(ctl.st);
			keymgr_policies_deinit(&ctl.policies);
			return ret;
		}
	if (group_known) {
		/* "mail --help", "mail host --help": the commands that start so */
		int words = 0;
		while (optind + 1 + words < argc && strcmp(argv[optind + 1 + words], "--help") &&
		       strcmp(argv[optind + 1 + words], "-h"))
			words++;
		if (optind + 1 + words < argc) {
			char prefix[200] = "";
			for (int i = 0; i < words; i++)
				snprintf(prefix + strlen(prefix), sizeof prefix - strlen(prefix), "%s%s",
				         i ? " " : "", argv[optind + 1 + i]);
			for (int t = 0; tables[t]; t++)
				for (const ctl_cmd_t *cmd = tables[t]; cmd->group; cmd++)
					if (!strcmp(cmd->group, group) && cmd->verb &&
					    !strncmp(cmd->verb, prefix, strlen(prefix)))
						printf("usage: dnsctl %s %s %s\n", cmd->group, cmd->verb, cmd->args);
			return 0;
		}
		if (verb)
			ctl_fail("unknown command '%s %s' (see dnsctl %s --help)", group, verb, group);
		else
			ctl_fail("'%s' needs a command (see dnsctl %s --help)", group, group);
		return 2;
	}
	ctl_fail("unknown command '%s' (see dnsctl --help)", group);
	return 2;
}
