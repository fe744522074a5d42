/* SPDX-License-Identifier: MIT */
/* dnsd: argument parsing only; the daemon lives in the dnsd library. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dnsd/dnsd.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: dnsd [-c CONFIG] [-D STATEDIR] [-l ADDR@PORT]... [-f] [-v]\n"
	        "\n"
	        "Authoritative DNS server for the zones in STATEDIR (managed with dnsctl).\n"
	        "\n"
	        "  -c, --config FILE     configuration file (default /etc/dnsd/dnsd.conf; optional)\n"
	        "  -D, --state DIR       state directory (default /var/lib/dnsd, or the config's state-dir)\n"
	        "  -l, --listen ADDR@PORT  listen on this address, UDP and TCP; repeatable;\n"
	        "                        replaces the configured addresses (default: port 53 of all)\n"
	        "  -f, --foreground      log to stderr (otherwise to syslog, see log-syslog)\n"
	        "  -v, --verbose         debug logging\n"
	        "  -V, --version         print the version\n"
	        "  -h, --help            this text\n"
	        "\n"
	        "dnsd does not fork: run it from a service manager or with &.\n"
	        "Signals: SIGHUP re-reads the configuration file (log-level applies at once,\n"
	        "other settings at the next start), SIGTERM and SIGINT stop.\n"
	        "See dnsd(8) in doc/dnsd.md.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "state", required_argument, NULL, 'D' },
		{ "listen", required_argument, NULL, 'l' }, { "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },      { "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 }
	};
	const char *config = NULL, *state = NULL;
	const char *listen[DNSD_MAX_LISTEN];
	unsigned nlisten = 0;
	bool fg = false, verbose = false;
	int c;
	opterr = 0; /* our own one-line messages */
	while ((c = getopt_long(argc, argv, "c:D:l:fvVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'D': state = optarg; break;
		case 'l':
			if (nlisten == DNSD_MAX_LISTEN) {
				fprintf(stderr, "dnsd: at most %d -l options\n", DNSD_MAX_LISTEN);
				return 2;
			}
			listen[nlisten++] = optarg;
			break;
		case 'f': fg = true; break;
		case 'v': verbose = true; break;
		case 'V': printf("dnsd %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default:
			if (optopt && strchr("cDl", optopt))
				fprintf(stderr, "dnsd: option -%c needs a value (see dnsd --help)\n", optopt);
			else
				fprintf(stderr, "dnsd: unknown option '%s' (see dnsd --help)\n",
				        argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dnsd: unexpected argument '%s' (see dnsd --help)\n", argv[optind]);
		return 2;
	}
	dnsd_config_t conf;
	if (dnsd_config_defaults(&conf) != 0) {
		fprintf(stderr, "dnsd: out of memory\n");
		return 1;
	}
	char err[1200];
	/* without -c the default file is optional, and read again on reload */
	conf.config_required = config != NULL;
	snprintf(conf.config_path, sizeof conf.config_path, "%s", config ? config : DNSD_CONFIG_DEFAULT);
	if (dnsd_config_load(&conf, conf.config_path, conf.config_required, err, sizeof err) != 0) {
		fprintf(stderr, "dnsd: %s\n", err);
		return 1;
	}
	if (state)
		snprintf(conf.state_dir, sizeof conf.state_dir, "%s", state);
	if (nlisten) {
		conf.nlisten = 0;
		for (unsigned i = 0; i < nlisten; i++) {
			dnsd_listen_t *l = &conf.listen[conf.nlisten];
			if (dnsd_listen_parse(listen[i], l) != 0) {
				fprintf(stderr, "dnsd: -l '%s': expected ADDRESS@PORT\n", listen[i]);
				return 2;
			}
			for (unsigned k = 0; k < conf.nlisten; k++)
				if (!strcmp(conf.listen[k].text, l->text)) {
					fprintf(stderr, "dnsd: -l %s given twice\n", l->text);
					return 2;
				}
			conf.nlisten++;
		}
	}
	conf.debug_forced = verbose;
	if (verbose)
		conf.log_level = DNS_LOG_DEBUG;
	dns_log_init("dnsd", conf.log_level, !fg && conf.log_syslog);
	if (conf.engine.cookies && dns_random_bytes(conf.engine.cookie_secret, 16) != 0) {
		fprintf(stderr, "dnsd: cannot read random bytes for the cookie secret\n");
		return 1;
	}
	int ret = dnsd_server_run(&conf);
	dnsd_config_deinit(&conf);
	return ret == 0 ? 0 : 1;
}
