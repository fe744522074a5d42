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

void dnsd_config_defaults(dnsd_config_t *c)
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
	c->tcp_max_pipeline = 100;
	c->poll_ms = 100;
	c->engine.udp_max = 1232; /* DNS flag day 2020: no IP fragmentation */
	c->engine.tcp_idle_100ms = 100;
	c->engine.cookies = true;
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
	snprintf(out->text, sizeof out->text, "%s@%u", host, port);
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
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "true")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "false")) {
		*out = false;
		return 0;
	}
	return -1;
}

/* strip quotes around a value */
static char *unquote(char *v)
{
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v[n - 1] = 0;
		return v + 1;
	}
	return v;
}

static int setting(dnsd_config_t *c, const char *key, char *val, bool *listen_reset, char *why,
                   size_t wl)
{
	unsigned long n;
	if (!strcmp(key, "listen")) {
		if (!*listen_reset) {
			c->nlisten = 0;
			*listen_reset = true;
		}
		if (c->nlisten >= DNSD_MAX_LISTEN) {
			snprintf(why, wl, "more than %d listen addresses", DNSD_MAX_LISTEN);
			return -1;
		}
		if (dnsd_listen_parse(val, &c->listen[c->nlisten])) {
			snprintf(why, wl, "listen '%s': expected ADDRESS@PORT", val);
			return -1;
		}
		c->nlisten++;
	} else if (!strcmp(key, "state-dir")) {
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
		if (!strcmp(val, "hostname")) {
			char h[128];
			if (gethostname(h, sizeof h) == 0) {
				h[sizeof h - 1] = 0;
				val = h;
			}
		}
		size_t l = strlen(val);
		if (l > sizeof c->engine.nsid) {
			snprintf(why, wl, "nsid longer than %zu octets", sizeof c->engine.nsid);
			return -1;
		}
		memcpy(c->engine.nsid, val, l);
		c->engine.nsid_len = (uint16_t)l;
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
	FILE *fp = fopen(path, "r");
	if (!fp) {
		if (errno == ENOENT && !must_exist)
			return 0;
		int e = -errno;
		snprintf(err, errlen, "%s: %s", path, dns_strerror(e));
		return e;
	}
	char line[2048];
	unsigned lineno = 0;
	bool listen_reset = false;
	int ret = 0;
	while (fgets(line, sizeof line, fp)) {
		lineno++;
		char *h = strchr(line, '#');
		if (h && (h == line || h[-1] != '\\'))
			*h = 0;
		char *k = line;
		while (isspace((unsigned char)*k))
			k++;
		if (!*k)
			continue;
		char *v = k;
		while (*v && !isspace((unsigned char)*v))
			v++;
		if (*v)
			*v++ = 0;
		while (isspace((unsigned char)*v))
			v++;
		size_t vl = strlen(v);
		while (vl && isspace((unsigned char)v[vl - 1]))
			v[--vl] = 0;
		if (!*v) {
			snprintf(err, errlen, "%s:%u: '%s' needs a value", path, lineno, k);
			ret = DNS_ECONFIG;
			break;
		}
		char why[300];
		if (setting(c, k, unquote(v), &listen_reset, why, sizeof why)) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			ret = DNS_ECONFIG;
			break;
		}
	}
	fclose(fp);
	return ret;
}
