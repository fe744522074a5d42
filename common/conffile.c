/* SPDX-License-Identifier: MIT */
/*
 * The configuration file format shared by dnsd and dnsctl: one setting per
 * line, "key value"; the value may be double-quoted (\" and \\ escape inside
 * quotes); '#' outside quotes starts a comment.  What the keys mean is up to
 * the caller (dnsd/config.c for dnsd; dnsctl reads only what it needs).
 * A line "[KIND NAME]" starts a section (e.g. "[policy default]"): the
 * settings after it, up to the next section, belong to it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "common/common.h"

/* Split one line in place. \retval 1 setting, 0 blank, -1 malformed (why set) */
static int line_split(char *line, char **key, char **val, const char **why)
{
	char *p = line;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p || *p == '#')
		return 0;
	*key = p;
	while (*p && !isspace((unsigned char)*p) && *p != '#')
		p++;
	if (*p == '#' || !*p) {
		*p = 0;
		*why = "needs a value";
		return -1;
	}
	*p++ = 0;
	while (isspace((unsigned char)*p))
		p++;
	char *w = p;
	*val = w;
	if (*p == '"') {
		p++;
		for (;;) {
			if (!*p || *p == '\n') {
				*why = "unterminated quoted value";
				return -1;
			}
			if (*p == '"')
				break;
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			*w++ = *p++;
		}
		p++;
		*w = 0;
	} else {
		while (*p && *p != '#' && *p != '\n')
			p++;
		char *end = p;
		while (end > w && isspace((unsigned char)end[-1]))
			end--;
		*end = 0;
		if (end == w) {
			*why = "needs a value";
			return -1;
		}
		return 1;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p && *p != '#') {
		*why = "unexpected text after the quoted value";
		return -1;
	}
	return 1;
}

/* "[kind name]" -> "kind name" in \p out. \retval 1 section, 0 not one, -1 malformed */
static int section_parse(char *line, char *out, size_t outlen)
{
	char *p = line;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '[')
		return 0;
	char *end = strchr(p, ']');
	if (!end)
		return -1;
	char *rest = end + 1;
	while (isspace((unsigned char)*rest))
		rest++;
	if (*rest && *rest != '#')
		return -1;
	*end = 0;
	p++;
	while (isspace((unsigned char)*p))
		p++;
	char *kind = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	if (p == kind)
		return -1;
	char *name = p;
	if (*p) {
		*p = 0;
		name = p + 1;
		while (isspace((unsigned char)*name))
			name++;
		char *ne = name + strlen(name);
		while (ne > name && isspace((unsigned char)ne[-1]))
			*--ne = 0;
	}
	if (!*name || strpbrk(name, " \t\"#"))
		return -1; /* one name, no spaces */
	snprintf(out, outlen, "%s %s", kind, name);
	return 1;
}

int dns_conf_parse(const char *path, bool must_exist, dns_conf_fn_t fn, void *arg, char *err,
                   size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		if (errno == ENOENT && !must_exist)
			return 0;
		int e = -errno;
		snprintf(err, errlen, "%s: %s", path, dns_strerror(e));
		return e;
	}
	char line[4096], section[512] = "";
	unsigned lineno = 0;
	int ret = 0;
	while (fgets(line, sizeof line, fp)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(fp)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			ret = DNS_ECONFIG;
			break;
		}
		int sr = section_parse(line, section, sizeof section);
		if (sr < 0) {
			snprintf(err, errlen, "%s:%u: expected a section header like [policy NAME]", path,
			         lineno);
			ret = DNS_ECONFIG;
			break;
		}
		if (sr > 0) {
			char w[600] = "";
			if (fn(section, NULL, NULL, arg, w, sizeof w) != 0) {
				snprintf(err, errlen, "%s:%u: %s", path, lineno, w);
				ret = DNS_ECONFIG;
				break;
			}
			continue;
		}
		char *key = NULL, *val = NULL;
		const char *why = NULL;
		int r = line_split(line, &key, &val, &why);
		if (r == 0)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s:%u: %s%s%s", path, lineno, key ? key : "",
			         key ? ": " : "", why);
			ret = DNS_ECONFIG;
			break;
		}
		char w[600] = "";
		if (fn(section, key, val, arg, w, sizeof w) != 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, w);
			ret = DNS_ECONFIG;
			break;
		}
	}
	if (ret == 0 && ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		ret = -errno ? -errno : -EIO;
	}
	fclose(fp);
	return ret;
}
