/* SPDX-License-Identifier: MIT */
/* Domain names in uncompressed wire form (RFC 1035 3.1). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "zones/zones.h"

size_t zones_name_len(const uint8_t *name, size_t max)
{
	size_t i = 0;
	while (i < max) {
		uint8_t l = name[i];
		if (l == 0)
			return i + 1 <= ZONES_NAME_MAX ? i + 1 : 0;
		if (l > 63)
			return 0;
		i += 1 + l;
	}
	return 0;
}

unsigned zones_name_labels(const uint8_t *name)
{
	unsigned n = 0;
	while (*name) {
		n++;
		name += 1 + *name;
	}
	return n;
}

void zones_name_lower(uint8_t *name)
{
	while (*name) {
		uint8_t l = *name++;
		for (uint8_t i = 0; i < l; i++)
			name[i] = (uint8_t)tolower(name[i]);
		name += l;
	}
}

bool zones_name_is_sub(const uint8_t *name, const uint8_t *apex)
{
	size_t nl = zones_name_len(name, ZONES_NAME_MAX), al = zones_name_len(apex, ZONES_NAME_MAX);
	if (al > nl)
		return false;
	/* walk label boundaries so "xexample" never matches "example" */
	const uint8_t *p = name;
	while ((size_t)(p - name) < nl - al)
		p += 1 + *p;
	return (size_t)(p - name) == nl - al && memcmp(p, apex, al) == 0;
}

/* RFC 4034 6.1: compare label by label from the right, octets unsigned. */
int zones_name_cmp(const uint8_t *a, const uint8_t *b)
{
	const uint8_t *la[128], *lb[128];
	int na = 0, nb = 0;
	for (const uint8_t *p = a; *p; p += 1 + *p)
		la[na++] = p;
	for (const uint8_t *p = b; *p; p += 1 + *p)
		lb[nb++] = p;
	while (na > 0 && nb > 0) {
		const uint8_t *x = la[--na], *y = lb[--nb];
		size_t m = x[0] < y[0] ? x[0] : y[0];
		int c = memcmp(x + 1, y + 1, m);
		if (c)
			return c;
		if (x[0] != y[0])
			return x[0] < y[0] ? -1 : 1;
	}
	return na - nb;
}

uint64_t zones_name_hash_label(uint64_t h, const uint8_t *label)
{
	/* the length octet is hashed with the label, so boundaries count */
	size_t n = 1u + label[0];
	const uint8_t *p = label;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, p, n);
		h = (h ^ w ^ ((uint64_t)n << 56)) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	return h;
}

uint32_t zones_name_hash(const uint8_t *name, size_t len)
{
	/* from the root label leftwards, so the engine gets the hash of every
	 * suffix of a name in one pass (zones_name_hash_label) */
	const uint8_t *lab[128];
	unsigned n = 0;
	for (const uint8_t *p = name; (size_t)(p - name) < len && *p; p += 1 + *p)
		lab[n++] = p;
	uint64_t h = ZONES_HASH_ROOT;
	while (n > 0)
		h = zones_name_hash_label(h, lab[--n]);
	return zones_hash_final(h);
}

int zones_name_parse(const char *s, const uint8_t *origin, uint8_t out[ZONES_NAME_MAX])
{
	size_t o = 0;
	if (strcmp(s, "@") == 0) {
		if (!origin)
			return DNS_EPARSE;
		size_t ol = zones_name_len(origin, ZONES_NAME_MAX);
		memcpy(out, origin, ol);
		return (int)ol;
	}
	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		return 1;
	}
	if (*s == '\0' || *s == '.')
		return DNS_EPARSE;
	uint8_t label[64];
	size_t ll = 0;
	bool absolute = false;
	for (const char *p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			if (*p == '.' && p[1] == '\0')
				absolute = true;
			if (ll == 0) {
				if (*p == '\0')
					break;
				return DNS_EPARSE; /* empty label */
			}
			if (o + 1 + ll + 1 > ZONES_NAME_MAX)
				return DNS_ENAMELEN;
			out[o++] = (uint8_t)ll;
			memcpy(out + o, label, ll);
			o += ll;
			ll = 0;
			if (*p == '\0' || absolute)
				break;
			continue;
		}
		int c = (unsigned char)*p;
		if (c == '\\') {
			if (isdigit((unsigned char)p[1])) {
				if (!isdigit((unsigned char)p[2]) || !isdigit((unsigned char)p[3]))
					return DNS_EPARSE;
				c = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
				if (c > 255)
					return DNS_EPARSE;
				p += 3;
			} else if (p[1] != '\0') {
				c = (unsigned char)*++p;
			} else {
				return DNS_EPARSE;
			}
		}
		if (ll >= 63)
			return DNS_ENAMELEN;
		label[ll++] = (uint8_t)c;
	}
	if (!absolute && origin) {
		size_t ol = zones_name_len(origin, ZONES_NAME_MAX);
		if (o + ol > ZONES_NAME_MAX)
			return DNS_ENAMELEN;
		memcpy(out + o, origin, ol);
		o += ol;
	} else {
		out[o++] = 0;
	}
	return (int)o;
}

void zones_name_print(const uint8_t *name, char *out, size_t outlen)
{
	size_t o = 0;
	if (outlen == 0)
		return;
	if (*name == 0) {
		snprintf(out, outlen, ".");
		return;
	}
	while (*name && o + 5 < outlen) {
		uint8_t l = *name++;
		for (uint8_t i = 0; i < l && o + 5 < outlen; i++) {
			uint8_t c = name[i];
			if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' ||
			    c == '@' || c == '$') {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else if (c <= ' ' || c >= 0x7f) {
				o += (size_t)snprintf(out + o, outlen - o, "\\%03u", c);
			} else {
				out[o++] = (char)c;
			}
		}
		out[o++] = '.';
		name += l;
	}
	out[o < outlen ? o : outlen - 1] = '\0';
}
