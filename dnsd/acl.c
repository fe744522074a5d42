/* SPDX-License-Identifier: MIT */
/* Transfer ACL entries: "PREFIX [key NAME]" (config file, zone settings). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "dnsd/engine.h"
#include <ctype.h>

/* A TSIG key name, absolute with or without its final dot, lowercased. */
static int key_parse(const char *key, uint8_t out[255])
{
	char abs[310];
	size_t kl = strlen(key);
	snprintf(abs, sizeof abs, "%s%s", key, kl && key[kl - 1] == '.' ? "" : ".");
	if (zones_name_parse(abs, NULL, out) < 0 || !strcmp(key, "."))
		return DNS_EINVAL;
	zones_name_lower(out);
	return 0;
}

int dnsd_acl_parse(const char *s, dnsd_acl_t *out)
{
	char addr[80], kw[8], key[300], extra[8];
	memset(out, 0, sizeof *out);
	int n = sscanf(s, "%79s %7s %299s %7s", addr, kw, key, extra);
	if (n != 1 && !(n == 3 && !strcmp(kw, "key")))
		return DNS_EINVAL;
	char *slash = strchr(addr, '/');
	long bits = -1;
	if (slash) {
		char *end;
		*slash = 0;
		bits = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end)
			return DNS_EINVAL;
	}
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = 4;
		out->prefix = (uint8_t)(bits < 0 ? 32 : bits);
		if (bits > 32)
			return DNS_EINVAL;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = 6;
		out->prefix = (uint8_t)(bits < 0 ? 128 : bits);
		if (bits > 128)
			return DNS_EINVAL;
	} else {
		return DNS_EINVAL;
	}
	return n == 3 ? key_parse(key, out->key) : 0;
}

int dnsd_remote_parse(const char *s, dnsd_remote_t *out)
{
	char addr[100], kw[8], key[300], extra[8];
	memset(out, 0, sizeof *out);
	int n = sscanf(s, "%99s %7s %299s %7s", addr, kw, key, extra);
	if (n != 1 && !(n == 3 && !strcmp(kw, "key")))
		return DNS_EINVAL;
	if (dns_server_parse(addr, out->addr, sizeof out->addr, &out->port) != 0)
		return DNS_EINVAL;
	return n == 3 ? key_parse(key, out->key) : 0;
}

/* Split "a; b; c" and call fn on each trimmed item. */
static int each_item(const char *list, int (*fn)(const char *item, void *arg), void *arg)
{
	char buf[600];
	snprintf(buf, sizeof buf, "%s", list);
	for (char *p = buf, *e; *p; p = e) {
		e = p + strcspn(p, ";");
		if (*e)
			*e++ = 0;
		while (isspace((unsigned char)*p))
			p++;
		size_t l = strlen(p);
		while (l && isspace((unsigned char)p[l - 1]))
			p[--l] = 0;
		if (!l)
			continue;
		int ret = fn(p, arg);
		if (ret)
			return ret;
	}
	return 0;
}

static int count_one(const char *item, void *arg)
{
	(void)item;
	(*(unsigned *)arg)++;
	return 0;
}

static int acl_one(const char *item, void *arg)
{
	dnsd_zone_xfr_t *x = arg;
	return dnsd_acl_parse(item, &x->acl[x->nacl++]);
}

static int remote_one(const char *item, void *arg)
{
	dnsd_zone_xfr_t *x = arg;
	return dnsd_remote_parse(item, &x->notify[x->nnotify++]);
}

dnsd_zone_xfr_t *dnsd_zone_xfr_new(const char *transfer, const char *notify, const char **why)
{
	*why = NULL;
	if (!transfer[0] && !notify[0])
		return NULL;
	unsigned na = 0, nn = 0;
	bool tnone = !strcmp(transfer, "none"), nnone = !strcmp(notify, "none");
	if (!tnone)
		(void)each_item(transfer, count_one, &na);
	if (!nnone)
		(void)each_item(notify, count_one, &nn);
	dnsd_zone_xfr_t *x = calloc(1, sizeof *x + na * sizeof *x->acl + nn * sizeof *x->notify);
	if (!x) {
		*why = "out of memory";
		return NULL;
	}
	x->acl = (dnsd_acl_t *)(void *)(x + 1);
	x->notify = (dnsd_remote_t *)(void *)(x->acl + na);
	x->has_acl = transfer[0] != 0;
	x->has_notify = notify[0] != 0;
	if ((!tnone && each_item(transfer, acl_one, x) != 0) ||
	    (!nnone && each_item(notify, remote_one, x) != 0)) {
		*why = "bad transfer or notify list";
		free(x);
		return NULL;
	}
	return x;
}

void dnsd_zone_xfr_free(void *x)
{
	free(x);
}
