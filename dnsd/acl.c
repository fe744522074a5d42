/* SPDX-License-Identifier: MIT */
/* Transfer ACL entries: "PREFIX [key NAME]" (config file, zone settings). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "dnsd/engine.h"

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
	if (n == 3) {
		char abs[310];
		size_t kl = strlen(key);
		snprintf(abs, sizeof abs, "%s%s", key, kl && key[kl - 1] == '.' ? "" : ".");
		if (zones_name_parse(abs, NULL, out->key) < 0 || !strcmp(key, "."))
			return DNS_EINVAL;
		zones_name_lower(out->key);
	}
	return 0;
}
