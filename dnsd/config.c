/* SPDX-License-Identifier: MIT */
/*
 * dnsd.conf: one setting per line, "key value", '#' starts a comment.
 * The reference is doc/dnsd.conf.md; etc/dnsd.conf is a commented example.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "dnsd/dnsd.h"

void dnsd_config_deinit(dnsd_config_t *c)
{
	keymgr_policies_deinit(&c->policies);
}

int dnsd_config_defaults(dnsd_config_t *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->state_dir, sizeof c->state_dir, "/var/lib/dnsd");
	dnsd_listen_t *l = &c->listen[0];
	if (dnsd_listen_parse("::@53", l) == 0)
		c->nlisten = 1;
	if (dnsd_listen_parse("0.0.0.0@53", &c->listen[c->nlisten]) == 0)
		c->nlisten++;
	c->workers = 0;
	c->log_level = DNS_LOG_INFO;
	c->tcp_idle_ms = 10000;
	c->tcp_max_clients = 1000;
	c->poll_ms = 100;
	c->log_syslog = true;
	c->engine.udp_max = 1232; /* DNS flag day 2020: no IP fragmentation */
	c->engine.tcp_idle_100ms = 100;
	c->engine.cookies = true;
	c->journal_max = 16u << 20;
	return keymgr_policies_init(&c->policies);
}

int dnsd_listen_parse(const char *s, dnsd_listen_t *out)
{
	char host[128];
	unsigned port = 53;
	const char *at = strrchr(s, '@');
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (size_t)(e - s - 1) >= sizeof host)
			return DNS_EINVAL;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = 0;
		if (e[1] == ':' || e[1] == '@')
			at = e + 1;
		else if (e[1])
			return DNS_EINVAL;
		else
			at = NULL;
	} else {
		size_t n = at ? (size_t)(at - s) : strlen(s);
		if (n >= sizeof host)
			return DNS_EINVAL;
		memcpy(host, s, n);
		host[n] = 0;
	}
	if (at) {
		char *end;
		unsigned long p = strtoul(at + 1, &end, 10);
		if (at[1] == '\0' || *end || p == 0 || p > 65535)
			return DNS_EINVAL;
		port = (unsigned)p;
	}
	memset(out, 0, sizeof *out);
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		out->addrlen = sizeof *v4;
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		out->addrlen = sizeof *v6;
	} else {
		return DNS_EINVAL;
	}
	/* the canonical spelling, so "::1" and "0::1" are seen as one address */
	char canon[INET6_ADDRSTRLEN];
	if (out->addr.ss_family == AF_INET)
		inet_ntop(AF_INET, &v4->sin_addr, canon, sizeof canon);
	else
		inet_ntop(AF_INET6, &v6->sin6_addr, canon, sizeof canon);
	snprintf(out->text, sizeof out->text, "%s@%u", canon, port);
	return 0;
}

static int parse_uint(const char *v, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	if (!isdigit((unsigned char)*v))
		return -1;
	unsigned long x = strtoul(v, &end, 10);
	if (*end || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcasecmp(v, "true")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcasecmp(v, "false")) {
		*out = false;
		return 0;
	}
	return -1;
}

typedef struct {
	dnsd_config_t *c;
	bool listen_reset;
} load_t;

static int setting(const char *section, const char *key, char *val, void *arg, char *why,
                   size_t wl)
{
	load_t *ld = arg;
	dnsd_config_t *c = ld->c;
	unsigned long n;
	if (!strncmp(section, "policy ", 7))
		return keymgr_policy_setting(&c->policies, section + 7, key, val, why, wl);
	if (section[0]) {
		snprintf(why, wl, "unknown section [%s]", section);
		return -1;
	}
	if (!key)
		return 0;
	if (!strcmp(key, "listen")) {
		if (!ld->listen_reset) {
			c->nlisten = 0; /* the file's addresses replace the defaults */
			ld->listen_reset = true;
		}
		if (c->nlisten >= DNSD_MAX_LISTEN) {
			snprintf(why, wl, "more than %d listen addresses", DNSD_MAX_LISTEN);
			return -1;
		}
		if (dnsd_listen_parse(val, &c->listen[c->nlisten])) {
			snprintf(why, wl, "listen '%s': expected ADDRESS@PORT", val);
			return -1;
		}
		for (unsigned i = 0; i < c->nlisten; i++)
			if (!strcmp(c->listen[i].text, c->listen[c->nlisten].text)) {
				snprintf(why, wl, "listen %s given twice", val);
				return -1;
			}
		c->nlisten++;
	} else if (!strcmp(key, "state-dir")) {
		if (!val[0] || strlen(val) >= sizeof c->state_dir) {
			snprintf(why, wl, "state-dir must be a path of 1 to %zu characters",
			         sizeof c->state_dir - 1);
			return -1;
		}
		snprintf(c->state_dir, sizeof c->state_dir, "%s", val);
	} else if (!strcmp(key, "workers")) {
		if (parse_uint(val, 0, 64, &n))
			goto range;
		c->workers = (unsigned)n;
	} else if (!strcmp(key, "log-level")) {
		static const char *lv[] = { "error", "warning", "info", "debug" };
		for (n = 0; n < 4; n++)
			if (!strcasecmp(val, lv[n]))
				break;
		if (n == 4) {
			snprintf(why, wl, "log-level '%s': expected error, warning, info or debug", val);
			return -1;
		}
		c->log_level = (dns_log_level_t)n;
	} else if (!strcmp(key, "log-syslog")) {
		if (parse_bool(val, &c->log_syslog))
			goto boolean;
	} else if (!strcmp(key, "udp-max-payload")) {
		if (parse_uint(val, 512, 4096, &n))
			goto range;
		c->engine.udp_max = (uint16_t)n;
	} else if (!strcmp(key, "tcp-idle-timeout")) {
		if (parse_uint(val, 1, 600, &n))
			goto range;
		c->tcp_idle_ms = (unsigned)n * 1000;
		c->engine.tcp_idle_100ms = (uint16_t)(n * 10);
	} else if (!strcmp(key, "tcp-max-clients")) {
		if (parse_uint(val, 1, 1000000, &n))
			goto range;
		c->tcp_max_clients = (unsigned)n;
	} else if (!strcmp(key, "nsid")) {
		char host[256];
		if (!strcmp(val, "hostname")) {
			if (gethostname(host, sizeof host) != 0) {
				snprintf(why, wl, "nsid hostname: cannot read the host name");
				return -1;
			}
			host[sizeof host - 1] = 0;
			val = host;
		}
		size_t l = strlen(val);
		if (l > sizeof c->engine.nsid) {
			snprintf(why, wl, "nsid longer than %zu octets", sizeof c->engine.nsid);
			return -1;
		}
		memcpy(c->engine.nsid, val, l);
		c->engine.nsid_len = (uint16_t)l;
	} else if (!strcmp(key, "secondary")) {
		/* "ADDR[@PORT] [key NAME]": NOTIFY goes there (signed with NAME), the
		 * address may transfer (with NAME), and the mail core waits for it */
		char addr[100], rest[400];
		int nf = sscanf(val, "%99s %399[^\n]", addr, rest);
		dnsd_acl_t acl;
		char aclsrc[600];
		if (c->nsecondary >= DNSD_MAX_SECONDARY) {
			snprintf(why, wl, "more than %d secondaries", DNSD_MAX_SECONDARY);
			return -1;
		}
		if (nf < 1 || mailcore_server_parse(addr, &c->secondary[c->nsecondary]) != 0)
			goto secondary_bad;
		snprintf(aclsrc, sizeof aclsrc, "%s%s%s", c->secondary[c->nsecondary].addr,
		         nf == 2 ? " " : "", nf == 2 ? rest : "");
		if (dnsd_acl_parse(aclsrc, &acl) != 0)
			goto secondary_bad;
		for (unsigned i = 0; i < c->nsecondary; i++)
			if (!strcmp(c->secondary[i].addr, c->secondary[c->nsecondary].addr) &&
			    c->secondary[i].port == c->secondary[c->nsecondary].port) {
				snprintf(why, wl, "secondary %s given twice", addr);
				return -1;
			}
		memcpy(c->secondary_key[c->nsecondary], acl.key, sizeof acl.key);
		if (c->engine.nacl >= DNSD_MAX_ACL) {
			snprintf(why, wl, "more than %d transfer ACL entries", DNSD_MAX_ACL);
			return -1;
		}
		c->engine.acl[c->engine.nacl++] = acl;
		c->nsecondary++;
		return 0;
secondary_bad:
		snprintf(why, wl, "secondary '%s': expected ADDRESS[@PORT] [key NAME]", val);
		return -1;
	} else if (!strcmp(key, "journal-size")) {
		/* MiB of IXFR journal per zone (RFC 1995): older changes go first */
		if (parse_uint(val, 1, 4096, &n))
			goto range;
		c->journal_max = (size_t)n << 20;
	} else if (!strcmp(key, "allow-transfer")) {
		if (c->engine.nacl >= DNSD_MAX_ACL) {
			snprintf(why, wl, "more than %d transfer ACL entries", DNSD_MAX_ACL);
			return -1;
		}
		if (dnsd_acl_parse(val, &c->engine.acl[c->engine.nacl]) != 0) {
			snprintf(why, wl, "allow-transfer '%s': expected ADDRESS[/BITS] [key NAME]", val);
			return -1;
		}
		c->engine.nacl++;
	} else if (!strcmp(key, "catalog-zone")) {
		char abs[300];
		size_t l = strlen(val);
		snprintf(abs, sizeof abs, "%s%s", val, l && val[l - 1] == '.' ? "" : ".");
		if (!l || zones_name_parse(abs, NULL, c->catalog) < 0) {
			snprintf(why, wl, "catalog-zone '%s': expected a domain name", val);
			return -1;
		}
		zones_name_lower(c->catalog);
	} else if (!strcmp(key, "cookies")) {
		if (parse_bool(val, &c->engine.cookies))
			goto boolean;
	} else {
		snprintf(why, wl, "unknown setting '%s'", key);
		return -1;
	}
	return 0;
range:
	snprintf(why, wl, "%s '%s': number out of range", key, val);
	return -1;
boolean:
	snprintf(why, wl, "%s '%s': expected yes or no", key, val);
	return -1;
}

int dnsd_config_load(dnsd_config_t *c, const char *path, bool must_exist, char *err, size_t errlen)
{
	load_t ld = { .c = c };
	int ret = dns_conf_parse(path, must_exist, setting, &ld, err, errlen);
	char why[300];
	if (ret == 0 && keymgr_policies_check(&c->policies, why, sizeof why)) {
		snprintf(err, errlen, "%s: %s", path, why);
		ret = DNS_ECONFIG;
	}
	return ret;
}
