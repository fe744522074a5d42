/* SPDX-License-Identifier: MIT */
/*
 * Static checks of SPF records (RFC 7208): the syntax of section 12 and the
 * processing limits of 4.6.4, followed through include:/redirect= into the zones
 * we host.  The walk is check_host() on the assumption that no mechanism matches,
 * the worst case, so the counts are the most any evaluation can reach.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/common.h"
#include "mailcore/spf.h"

#define SPF_LOOKUPS_MAX 10  /* RFC 7208 4.6.4 */
#define SPF_VOIDS_MAX 2     /* RFC 7208 4.6.4, the RECOMMENDED default */
#define SPF_MX_MAX 10       /* RFC 7208 4.6.4 */
#define SPF_DEPTH_MAX 10    /* unreachable within 10 lookups; bounds the path array */
#define SPF_RECORD_MAX 4096 /* ours: 3.4 wants records to fit a 512-octet response */
#define SPF_NAME_MAX 255    /* RFC 1035 2.3.4, with room for a final dot */
#define SPF_SHOW_MAX 80     /* longest term quoted in a message */

enum { SPF_T_A = 1, SPF_T_MX = 15, SPF_T_TXT = 16, SPF_T_AAAA = 28 };

/* The first eight follow spf_mech_names. */
typedef enum {
	SPF_ALL, SPF_INCLUDE, SPF_A, SPF_MX, SPF_PTR, SPF_IP4, SPF_IP6, SPF_EXISTS,
	SPF_REDIRECT, SPF_EXP, SPF_MODIFIER,
} spf_kind_t;

/* The terms that cause DNS queries, RFC 7208 4.6.4 */
#define SPF_QUERYING (1u << SPF_INCLUDE | 1u << SPF_A | 1u << SPF_MX | 1u << SPF_PTR | \
		      1u << SPF_EXISTS | 1u << SPF_REDIRECT)

static const char *const spf_mech_names[] = {
	"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists",
};

typedef struct {
	spf_kind_t kind;
	const char *spec; /* the domain-spec, NULL when the term has none */
	size_t speclen;
} spf_term_t;

/* One record on the include/redirect path being evaluated. */
typedef struct {
	const char *term;            /* the include:/redirect= that led here; unused at the top */
	char name[SPF_NAME_MAX + 1]; /* the domain the record is published at */
} spf_frame_t;

typedef struct {
	mailcore_spf_lookup_fn lookup;
	void *arg;
	unsigned lookups, voids, depth;
	char *err;
	size_t errlen;
	spf_frame_t path[SPF_DEPTH_MAX + 1];
} spf_ctx_t;

static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static bool is_alpha(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
static bool is_alnum(char ch) { return is_digit(ch) || is_alpha(ch); }
static char lower(char ch) { return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch; }

/* ABNF literals are case-insensitive (RFC 5234 2.3), so all SPF keywords are. */
static bool eq_nocase(const char *s, size_t len, const char *word)
{
	size_t i = 0;
	for (; i < len && word[i]; i++)
		if (lower(s[i]) != word[i])
			return false;
	return i == len && word[i] == 0;
}

/* Names compare without case (RFC 4343) and without their final dot. */
static bool name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	la -= la && a[la - 1] == '.';
	lb -= lb && b[lb - 1] == '.';
	for (size_t i = 0; la == lb && i < la; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return la == lb;
}

/* Records come from zone data: escape and cut what we quote so the message stays one line. */
static void show(char *out, const char *s)
{
	size_t o = 0;
	for (size_t i = 0; s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (i == SPF_SHOW_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (ch >= 0x20 && ch < 0x7f)
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, 5, "\\x%02x", ch);
	}
	out[o] = 0;
}

/* Message: the include/redirect path, then \p term (may be NULL), then fmt. */
static int fail(spf_ctx_t *c, int code, const char *term, const char *fmt, ...) _printf_(4, 5);
static int fail(spf_ctx_t *c, int code, const char *term, const char *fmt, ...)
{
	char buf[SPF_SHOW_MAX * 4 + 4];
	size_t pos = 0;
	va_list ap;
	if (!c->errlen)
		return code;
	c->err[0] = 0;
	for (unsigned i = 1; i <= c->depth && pos < c->errlen; i++) {
		show(buf, c->path[i].term);
		pos += (size_t)snprintf(c->err + pos, c->errlen - pos, "in %s: ", buf);
	}
	if (term && pos < c->errlen) {
		show(buf, term);
		pos += (size_t)snprintf(c->err + pos, c->errlen - pos, "%s", buf);
	}
	if (pos < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + pos, c->errlen - pos, fmt, ap);
		va_end(ap);
	}
	return code;
}

/*
 * macro-string of RFC 7208 7.1.  In a domain-spec, c, r and t are refused: 7.2
 * allows them only in explanation text.  *end_expand tells whether the string
 * ends in a macro-expand, which 7.1 accepts in place of a top-level label.
 */
static int check_macros(spf_ctx_t *c, const char *term, const char *s, size_t len, bool domain,
			bool *end_expand)
{
	size_t i = 0, last = (size_t)-1;
	/* i < len keeps s[i] off the term's NUL, which strchr would match. */
	while (i < len) {
		/* Everything but '%' is a macro-literal: the caller refused SP and non-ASCII. */
		if (s[i++] != '%')
			continue;
		if (i < len && strchr("%_-", s[i])) {
			last = ++i;
			continue;
		}
		if (i >= len || s[i++] != '{')
			return fail(c, DNS_EPARSE, term, ": bare '%%' not followed by {, %%, _ "
				    "or - (write %%%% for a percent sign, RFC 7208 7.1)");
		char letter = i < len ? lower(s[i++]) : 0;
		if (!letter || !strchr("slodiphcrtv", letter))
			return fail(c, DNS_EPARSE, term, ": unknown macro letter (RFC 7208 7.1)");
		if (domain && strchr("crt", letter))
			return fail(c, DNS_EPARSE, term, ": macro %%{%c} is allowed only in "
				    "explanation text (RFC 7208 7.2)", letter);
		size_t digits = i;
		unsigned keep = 0;
		for (; i < len && is_digit(s[i]); i++)
			keep = keep < 1000 ? keep * 10 + (unsigned)(s[i] - '0') : keep;
		if (i > digits && !keep)
			return fail(c, DNS_EPARSE, term, ": macro transformer 0, it must be "
				    "nonzero (RFC 7208 7.3)");
		i += i < len && lower(s[i]) == 'r';
		while (i < len && strchr(".-+,/_=", s[i]))
			i++;
		if (i >= len || s[i++] != '}')
			return fail(c, DNS_EPARSE, term, ": malformed macro, expected '}' "
				    "(RFC 7208 7.1)");
		last = i;
	}
	*end_expand = last == len;
	return 0;
}

/* toplabel of RFC 7208 7.1: letters, digits and inner hyphens, not all digits. */
static bool toplabel_ok(const char *s, size_t n)
{
	size_t i = 0, digits = 0;
	if (!n || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (; i < n && (is_alnum(s[i]) || s[i] == '-'); i++)
		digits += is_digit(s[i]);
	return i == n && digits < n;
}

/* domain-spec = macro-string domain-end (RFC 7208 7.1). */
static int check_domain(spf_ctx_t *c, const char *term, const char *s, size_t len)
{
	bool end_expand;
	if (!len)
		return fail(c, DNS_EPARSE, term, ": empty domain (RFC 7208 7.1)");
	int ret = check_macros(c, term, s, len, true, &end_expand);
	if (ret || end_expand)
		return ret;
	size_t e = s[len - 1] == '.' ? len - 1 : len, b = e;
	while (b > 0 && s[b - 1] != '.')
		b--;
	if (!b || !toplabel_ok(s + b, e - b))
		return fail(c, DNS_EPARSE, term, ": domain does not end in a top-level label "
			    "or a macro (RFC 7208 7.1)");
	/* A name with macros is cut to 253 after expansion (7.3); a literal one must fit as is. */
	if (memchr(s, '%', len))
		return 0;
	if (e > 253)
		return fail(c, DNS_EPARSE, term, ": domain longer than 253 characters "
			    "(RFC 1035 2.3.4)");
	for (size_t i = 0, l = 0; i <= e; i++, l++) {
		if (i < e && s[i] != '.')
			continue;
		if (l == 0 || l > 63)
			return fail(c, DNS_EPARSE, term, ": domain has a label of %zu characters, "
				    "it must be 1-63 (RFC 1035 2.3.4)", l);
		l = (size_t)-1;
	}
	return 0;
}

/*
 * Take a trailing "/N" ("//N" when \p dual) off s[0..*len).  \retval 1 taken,
 * 0 none there, DNS_EPARSE when out of range or with leading zeros (5.6 ABNF).
 */
static int cidr_take(spf_ctx_t *c, const char *term, const char *s, size_t *len,
		     unsigned max, bool dual)
{
	size_t j = *len;
	while (j > 0 && is_digit(s[j - 1]))
		j--;
	if (j == *len || !j || s[j - 1] != '/' || (dual && (j < 2 || s[j - 2] != '/')))
		return 0;
	size_t n = *len - j;
	unsigned v = 0;
	for (size_t i = 0; i < n && i < 4; i++)
		v = v * 10 + (unsigned)(s[j + i] - '0');
	if (n > 3 || v > max || (n > 1 && s[j] == '0'))
		return fail(c, DNS_EPARSE, term, ": prefix length /%.*s must be 0-%u without "
			    "leading zeros (RFC 7208 5.6)", (int)n, s + j, max);
	*len = j - (dual ? 2 : 1);
	return 1;
}

/* ip4-network of RFC 7208 5.6: a dotted quad of qnums, which have no leading zeros. */
static bool ip4_ok(const char *s, size_t n)
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part && (i >= n || s[i++] != '.'))
			return false;
		size_t b = i;
		unsigned v = 0;
		while (i < n && i - b < 3 && is_digit(s[i]))
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == b || v > 255 || (s[b] == '0' && i - b > 1))
			return false;
	}
	return i == n;
}

/* ip6-network: RFC 4291 2.2 text, which inet_pton reads. */
static bool ip6_ok(const char *s, size_t n)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	if (!n || n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	return inet_pton(AF_INET6, buf, bin) == 1;
}

static int check_ip(spf_ctx_t *c, const char *term, spf_kind_t kind, const char *r, size_t rlen)
{
	bool v4 = kind == SPF_IP4;
	if (!rlen || r[0] != ':')
		return fail(c, DNS_EPARSE, term, ": expected ':' and an address (RFC 7208 5.6)");
	size_t alen = rlen - 1;
	int ret = cidr_take(c, term, r + 1, &alen, v4 ? 32 : 128, false);
	if (ret < 0)
		return ret;
	if (v4 ? !ip4_ok(r + 1, alen) : !ip6_ok(r + 1, alen))
		return fail(c, DNS_EPARSE, term, ": not an %s network (RFC 7208 5.6)",
			    v4 ? "IPv4" : "IPv6");
	return 0;
}

/* Length of a modifier's name, 0 for a directive: no mechanism name is followed by '='. */
static size_t modifier_len(const char *t)
{
	size_t i = 1;
	if (!is_alpha(t[0]))
		return 0;
	while (is_alnum(t[i]) || t[i] == '-' || t[i] == '_' || t[i] == '.')
		i++;
	return t[i] == '=' ? i : 0;
}

/* One term of RFC 7208 4.6.1 / 12: [qualifier] mechanism, or name=value. */
static int parse_term(spf_ctx_t *c, const char *t, spf_term_t *out)
{
	size_t tlen = strlen(t), n;
	for (size_t i = 0; i < tlen; i++) {
		unsigned char ch = (unsigned char)t[i];
		if (ch < 0x21 || ch > 0x7e)
			return fail(c, DNS_EPARSE, t, ": character 0x%02x is not printable ASCII "
				    "(RFC 7208 12)", ch);
	}
	*out = (spf_term_t){ .kind = SPF_MODIFIER };
	if ((n = modifier_len(t))) {
		const char *v = t + n + 1;
		size_t vlen = tlen - n - 1;
		bool end_expand;
		if (eq_nocase(t, n, "redirect") || eq_nocase(t, n, "exp")) {
			out->kind = n == 3 ? SPF_EXP : SPF_REDIRECT;
			out->spec = v;
			out->speclen = vlen;
			return check_domain(c, t, v, vlen);
		}
		/* Unknown modifiers are ignored (6) but must still be well formed. */
		return check_macros(c, t, v, vlen, false, &end_expand);
	}
	const char *m = t + (t[0] && strchr("+-~?", t[0]) ? 1 : 0);
	size_t mlen = strcspn(m, ":/");
	int k = -1;
	for (int i = 0; i < (int)(sizeof spf_mech_names / sizeof *spf_mech_names); i++)
		if (eq_nocase(m, mlen, spf_mech_names[i]))
			k = i;
	if (k < 0)
		return fail(c, DNS_EPARSE, t, ": unknown mechanism (RFC 7208 5)");
	out->kind = (spf_kind_t)k;
	const char *r = m + mlen;
	size_t rlen = strlen(r);
	int ret;
	switch (out->kind) {
	case SPF_ALL:
		if (rlen)
			return fail(c, DNS_EPARSE, t, ": \"all\" takes no argument (RFC 7208 5.1)");
		return 0;
	case SPF_IP4:
	case SPF_IP6:
		return check_ip(c, t, out->kind, r, rlen);
	case SPF_A:
	case SPF_MX:
		/* dual-cidr-length (5.6): take "//N", then "/N", from the end */
		if ((ret = cidr_take(c, t, r, &rlen, 128, true)) < 0)
			return ret;
		if ((ret = cidr_take(c, t, r, &rlen, 32, false)) < 0)
			return ret;
		/* fall through */
	default:
		if (!rlen && (out->kind == SPF_A || out->kind == SPF_MX || out->kind == SPF_PTR))
			return 0;
		if (!rlen || r[0] != ':')
			return fail(c, DNS_EPARSE, t, ": expected ':' and a domain (RFC 7208 12)");
		out->spec = r + 1;
		out->speclen = rlen - 1;
		return check_domain(c, t, r + 1, rlen - 1);
	}
}

static const char *term_next(const char *buf, size_t len, size_t *pos)
{
	while (*pos < len && !buf[*pos])
		(*pos)++;
	if (*pos >= len)
		return NULL;
	const char *t = buf + *pos;
	*pos += strlen(t);
	return t;
}

static mailcore_spf_found_t ask(spf_ctx_t *c, const char *name, int type, const char **txt,
				size_t *count)
{
	*txt = NULL;
	*count = 0;
	return c->lookup(name, type, txt, count, c->arg);
}

static int count_void(spf_ctx_t *c, const char *t)
{
	if (++c->voids > SPF_VOIDS_MAX)
		return fail(c, DNS_EINVAL, t, " makes void lookup %u of at most %u "
			    "(RFC 7208 4.6.4)", c->voids, SPF_VOIDS_MAX);
	return 0;
}

static int check_record(spf_ctx_t *c, const char *text);

/* include: (5.2) and redirect= (6.1) evaluate the target's record in its place. */
static int follow(spf_ctx_t *c, const char *t, spf_kind_t kind, const char *name)
{
	const char *what = kind == SPF_INCLUDE ? "include" : "redirect";
	/* A loop would run until the lookup limit stops it (4.6.4); name it instead. */
	for (unsigned i = 0; i <= c->depth; i++)
		if (name_eq(c->path[i].name, name))
			return fail(c, DNS_EINVAL, t, ": %s loop, %s is already being evaluated "
				    "(RFC 7208 4.6.4)", what, name);
	const char *txt;
	size_t n;
	mailcore_spf_found_t r = ask(c, name, SPF_T_TXT, &txt, &n);
	/* Unlike a failed match, "none" at the target is a permerror for both (5.2, 6.1). */
	if (r == MAILCORE_SPF_VOID || (r == MAILCORE_SPF_FOUND && !txt))
		return fail(c, DNS_EINVAL, t, ": %s has no SPF record, and %s of a domain with no "
			    "SPF record is a permerror (RFC 7208 %s)", name, what,
			    kind == SPF_INCLUDE ? "5.2" : "6.1");
	if (r != MAILCORE_SPF_FOUND)
		return 0;
	if (c->depth == SPF_DEPTH_MAX)
		return fail(c, DNS_EINVAL, t, ": nested more than %u levels deep", SPF_DEPTH_MAX);
	spf_frame_t *f = &c->path[++c->depth];
	f->term = t;
	snprintf(f->name, sizeof f->name, "%s", name);
	int ret = check_record(c, txt);
	c->depth--;
	return ret;
}

/* Count one evaluated term against the limits of RFC 7208 4.6.4. */
static int eval_term(spf_ctx_t *c, const char *t, const spf_term_t *term)
{
	char buf[SPF_NAME_MAX + 1];
	const char *name = c->path[c->depth].name, *txt;
	size_t n;
	mailcore_spf_found_t r;
	/* all, ip4, ip6 and unknown modifiers query nothing; exp= is not counted (4.6.4) */
	if (!(SPF_QUERYING & 1u << term->kind))
		return 0;
	if (++c->lookups > SPF_LOOKUPS_MAX)
		return fail(c, DNS_EINVAL, t, " makes lookup %u of at most %u (RFC 7208 4.6.4)",
			    c->lookups, SPF_LOOKUPS_MAX);
	/* ptr depends on the client's address: it can be counted, not checked. */
	if (term->kind == SPF_PTR || !c->lookup)
		return 0;
	if (term->spec) {
		/* A target with macros depends on the message being checked (7.3). */
		if (memchr(term->spec, '%', term->speclen) || term->speclen > SPF_NAME_MAX)
			return 0;
		memcpy(buf, term->spec, term->speclen);
		buf[term->speclen] = 0;
		name = buf;
	}
	switch (term->kind) {
	case SPF_A:
		/*
		 * An evaluator asks for A or AAAA, the family of the connecting client
		 * (5.3), so one void family is a void lookup only for some clients: count
		 * the term as void only when both families are.
		 */
		if (ask(c, name, SPF_T_A, &txt, &n) == MAILCORE_SPF_VOID &&
		    ask(c, name, SPF_T_AAAA, &txt, &n) == MAILCORE_SPF_VOID)
			return count_void(c, t);
		return 0;
	case SPF_EXISTS:
		/* exists always asks for A, whatever the client's family (5.7). */
		if (ask(c, name, SPF_T_A, &txt, &n) == MAILCORE_SPF_VOID)
			return count_void(c, t);
		return 0;
	case SPF_MX:
		r = ask(c, name, SPF_T_MX, &txt, &n);
		if (r == MAILCORE_SPF_VOID)
			return count_void(c, t);
		/* Each MX costs at least one address query, and at most 10 are allowed. */
		if (r == MAILCORE_SPF_FOUND && n > SPF_MX_MAX)
			return fail(c, DNS_EINVAL, t, " finds %zu MX records at %s, more than %u "
				    "(RFC 7208 4.6.4)", n, name, SPF_MX_MAX);
		return 0;
	default:
		return follow(c, t, term->kind, name);
	}
}

/*
 * Syntax of the whole record first: any syntax error is a permerror before
 * anything is evaluated (4.6).  Then the terms in evaluation order.
 */
static int check_terms(spf_ctx_t *c, const char *buf, size_t len)
{
	const char *t, *redirect = NULL, *explanation = NULL;
	spf_term_t term;
	size_t pos = 0, first;
	bool all = false;
	int ret;
	t = term_next(buf, len, &pos);
	if (!t)
		return fail(c, DNS_EPARSE, NULL, "empty record, it must begin with \"v=spf1\" "
			    "(RFC 7208 4.5)");
	/* "v=spf10" or a leading space is not an SPF record at all (4.5). */
	if (t != buf || !eq_nocase(t, strlen(t), "v=spf1"))
		return fail(c, DNS_EPARSE, t, ": the record must begin with \"v=spf1\" and then "
			    "a space or its end (RFC 7208 4.5)");
	first = pos;
	while ((t = term_next(buf, len, &pos))) {
		if ((ret = parse_term(c, t, &term)))
			return ret;
		/* 6: redirect and exp MUST NOT appear more than once each */
		if (term.kind == SPF_REDIRECT || term.kind == SPF_EXP) {
			const char **seen = term.kind == SPF_REDIRECT ? &redirect : &explanation;
			if (*seen)
				return fail(c, DNS_EPARSE, t, ": second %s modifier (RFC 7208 6)",
					    term.kind == SPF_REDIRECT ? "redirect" : "exp");
			*seen = t;
		}
	}
	pos = first;
	while ((t = term_next(buf, len, &pos))) {
		(void)parse_term(c, t, &term);
		/* 5.1: mechanisms after "all" are never tested and MUST be ignored */
		if (term.kind == SPF_ALL) {
			all = true;
			break;
		}
		if (term.kind != SPF_REDIRECT && (ret = eval_term(c, t, &term)))
			return ret;
	}
	/*
	 * 6.1: redirect= takes effect after all mechanisms, wherever it is written,
	 * and not at all when the record has "all": it then costs no lookup.
	 */
	if (redirect && !all) {
		(void)parse_term(c, redirect, &term);
		return eval_term(c, redirect, &term);
	}
	return 0;
}

static int check_record(spf_ctx_t *c, const char *text)
{
	size_t len = strlen(text);
	/* 3.3 joins the strings with no cap; beyond this something is wrong. */
	if (len > SPF_RECORD_MAX)
		return fail(c, DNS_EINVAL, NULL, "record is %zu characters, more than %u is "
			    "unreasonable (RFC 7208 3.4 asks for records that fit in 512 octets)",
			    len, SPF_RECORD_MAX);
	char *buf = malloc(len + 1);
	if (!buf)
		return DNS_ENOMEM;
	memcpy(buf, text, len + 1);
	/* record = version terms *SP (12); we forgive other trailing white space too */
	while (len && strchr(" \t\r\n", buf[len - 1]))
		buf[--len] = 0;
	/* Terms are separated by one or more SP (12): end each in place. */
	for (size_t i = 0; i < len; i++)
		if (buf[i] == ' ')
			buf[i] = 0;
	int ret = check_terms(c, buf, len);
	free(buf);
	return ret;
}

int mailcore_spf_check(const char *domain, const char *record, mailcore_spf_lookup_fn lookup,
		       void *arg, unsigned *lookups_out, char *err, size_t errlen)
{
	spf_ctx_t c = { .lookup = lookup, .arg = arg, .err = err, .errlen = err ? errlen : 0 };
	size_t dlen = domain ? strlen(domain) : 0;
	int ret;
	if (c.errlen)
		err[0] = 0;
	if (lookups_out)
		*lookups_out = 0;
	if (!record || !dlen || dlen - (domain[dlen - 1] == '.') > 253)
		return fail(&c, DNS_EINVAL, NULL, "no record, or no domain of 1-253 characters");
	memcpy(c.path[0].name, domain, dlen + 1);
	ret = check_record(&c, record);
	if (lookups_out)
		*lookups_out = c.lookups;
	return ret;
}
