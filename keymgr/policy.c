/* SPDX-License-Identifier: MIT */
/* DNSSEC policies: the built-in default and [policy NAME] sections of dnsd.conf. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "keymgr/keymgr.h"

#define DAY 86400u

static void policy_defaults(keymgr_policy_t *p, const char *name)
{
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", name);
	p->algorithm = KEYMGR_ALG_ECDSAP256SHA256;
	p->dnskey_ttl = 3600;
	p->sig_validity = 14 * DAY;
	p->sig_refresh = 7 * DAY;
	p->sig_jitter = DAY;
	p->sig_inception_offset = 3600;
	p->nsec3 = true; /* RFC 9276 parameters: no iterations, no salt, no opt-out */
	p->propagation_delay = 3600;
	p->parent_ds_ttl = DAY;
	p->parent_propagation_delay = 3600;
}

int keymgr_policies_init(keymgr_policies_t *ps)
{
	ps->p = calloc(1, sizeof *ps->p);
	if (!ps->p)
		return DNS_ENOMEM;
	ps->n = 1;
	policy_defaults(&ps->p[0], "default");
	return 0;
}

void keymgr_policies_deinit(keymgr_policies_t *ps)
{
	free(ps->p);
	ps->p = NULL;
	ps->n = 0;
}

const keymgr_policy_t *keymgr_policy_find(const keymgr_policies_t *ps, const char *name)
{
	for (size_t i = 0; i < ps->n; i++)
		if (!strcmp(ps->p[i].name, name))
			return &ps->p[i];
	return NULL;
}

int keymgr_duration_parse(const char *s, uint32_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned long long mul = 1;
	if (*end) {
		switch (*end) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = DAY; break;
		case 'w': mul = 7 * DAY; break;
		default: return -1;
		}
		if (end[1])
			return -1;
	}
	if (v * mul > 0x7fffffffULL || (mul > 1 && v > 0x7fffffffULL))
		return -1;
	*out = (uint32_t)(v * mul);
	return 0;
}

static int boolean(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcasecmp(v, "true"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcasecmp(v, "false"))
		*out = false;
	else
		return -1;
	return 0;
}

int keymgr_policy_setting(keymgr_policies_t *ps, const char *name, const char *key,
                          const char *val, char *why, size_t wl)
{
	if (strlen(name) >= sizeof ps->p[0].name || !strcmp(name, "off")) {
		snprintf(why, wl, "policy name '%s' is not allowed", name);
		return -1;
	}
	keymgr_policy_t *p = (keymgr_policy_t *)keymgr_policy_find(ps, name);
	if (!p) {
		keymgr_policy_t *x = realloc(ps->p, (ps->n + 1) * sizeof *x);
		if (!x) {
			snprintf(why, wl, "out of memory");
			return -1;
		}
		ps->p = x;
		p = &ps->p[ps->n++];
		policy_defaults(p, name);
	}
	uint32_t d;
	unsigned long n;
	char *end;
	if (!key)
		return 0; /* the section header alone: the policy exists, with the defaults */
	if (!strcmp(key, "algorithm")) {
		uint8_t a = keymgr_alg_parse(val);
		if (!a) {
			snprintf(why, wl, "algorithm '%s': expected ecdsap256sha256, ed25519 or rsasha256",
			         val);
			return -1;
		}
		p->algorithm = a;
	} else if (!strcmp(key, "keys")) {
		if (!strcasecmp(val, "csk"))
			p->csk = true;
		else if (!strcasecmp(val, "ksk-zsk"))
			p->csk = false;
		else {
			snprintf(why, wl, "keys '%s': expected ksk-zsk or csk", val);
			return -1;
		}
	} else if (!strcmp(key, "nsec")) {
		if (!strcasecmp(val, "nsec3"))
			p->nsec3 = true;
		else if (!strcasecmp(val, "nsec"))
			p->nsec3 = false;
		else {
			snprintf(why, wl, "nsec '%s': expected nsec or nsec3", val);
			return -1;
		}
	} else if (!strcmp(key, "nsec3-iterations")) {
		n = strtoul(val, &end, 10);
		if (!isdigit((unsigned char)*val) || *end || n > 100) {
			snprintf(why, wl, "nsec3-iterations '%s': 0 to 100 (RFC 9276 says 0)", val);
			return -1;
		}
		p->nsec3_iterations = (uint16_t)n;
	} else if (!strcmp(key, "nsec3-salt-length")) {
		n = strtoul(val, &end, 10);
		if (!isdigit((unsigned char)*val) || *end || n > 64) {
			snprintf(why, wl, "nsec3-salt-length '%s': 0 to 64 (RFC 9276 says 0)", val);
			return -1;
		}
		p->nsec3_salt_len = (uint8_t)n;
	} else if (!strcmp(key, "nsec3-opt-out")) {
		if (boolean(val, &p->nsec3_opt_out)) {
			snprintf(why, wl, "nsec3-opt-out '%s': expected yes or no", val);
			return -1;
		}
	} else {
		static const struct { const char *k; size_t off; } durs[] = {
			{ "dnskey-ttl", offsetof(keymgr_policy_t, dnskey_ttl) },
			{ "signature-validity", offsetof(keymgr_policy_t, sig_validity) },
			{ "signature-refresh", offsetof(keymgr_policy_t, sig_refresh) },
			{ "signature-jitter", offsetof(keymgr_policy_t, sig_jitter) },
			{ "signature-inception-offset", offsetof(keymgr_policy_t, sig_inception_offset) },
			{ "zsk-lifetime", offsetof(keymgr_policy_t, zsk_lifetime) },
			{ "ksk-lifetime", offsetof(keymgr_policy_t, ksk_lifetime) },
			{ "propagation-delay", offsetof(keymgr_policy_t, propagation_delay) },
			{ "parent-ds-ttl", offsetof(keymgr_policy_t, parent_ds_ttl) },
			{ "parent-propagation-delay", offsetof(keymgr_policy_t, parent_propagation_delay) },
		};
		for (size_t i = 0; i < sizeof durs / sizeof *durs; i++)
			if (!strcmp(key, durs[i].k)) {
				if (keymgr_duration_parse(val, &d)) {
					snprintf(why, wl, "%s '%s': expected a duration like 3600, 30m, 12h or 14d",
					         key, val);
					return -1;
				}
				*(uint32_t *)((char *)p + durs[i].off) = d;
				return 0;
			}
		snprintf(why, wl, "unknown policy setting '%s'", key);
		return -1;
	}
	return 0;
}

int keymgr_policies_check(const keymgr_policies_t *ps, char *why, size_t wl)
{
	for (size_t i = 0; i < ps->n; i++) {
		const keymgr_policy_t *p = &ps->p[i];
		if (p->sig_validity < 3 * 3600) {
			snprintf(why, wl, "policy %s: signature-validity must be at least 3h", p->name);
			return -1;
		}
		if (p->nsec3_salt_len) {
			snprintf(why, wl, "policy %s: nsec3-salt-length must be 0 (RFC 9276 3.1; a salt is "
			         "not supported)", p->name);
			return -1;
		}
		if (p->nsec3_opt_out) {
			snprintf(why, wl, "policy %s: nsec3-opt-out is not supported (RFC 9276 3.1 advises "
			         "against it)", p->name);
			return -1;
		}
		if (p->sig_refresh + p->sig_jitter >= p->sig_validity) {
			snprintf(why, wl, "policy %s: signature-refresh plus signature-jitter must be "
			         "less than signature-validity", p->name);
			return -1;
		}
	}
	return 0;
}
