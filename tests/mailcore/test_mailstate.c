/* SPDX-License-Identifier: MIT */
/*
 * mailcore/store.c, render.c and ops.c: the mail state in LMDB (round trips,
 * values from other versions, damaged values) and, through the operations
 * dnsctl calls, the records generated into the zones: exact record sets, zone
 * generations, conflicts with static records, zones added and removed.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "tests/tap.h"
#include "mailcore/mailcore.h"

#define DAY 86400

static char tmpdir[64];

/* ---- small helpers ------------------------------------------------------------------- */

/* A lowercase wire name (from a pool: valid until 64 more calls). */
static const uint8_t *N(const char *s)
{
	static uint8_t pool[64][ZONES_NAME_MAX];
	static unsigned next;
	uint8_t *o = pool[next++ % 64];
	if (zones_name_parse(s, NULL, o) < 0) {
		printf("Bail out! bad name %s\n", s);
		exit(1);
	}
	zones_name_lower(o);
	return o;
}

static void setname(uint8_t *dst, const char *s)
{
	const uint8_t *n = N(s);
	memset(dst, 0, ZONES_NAME_MAX);
	memcpy(dst, n, zones_name_len(n, ZONES_NAME_MAX));
}

static void v4(mailcore_host_t *h, const char *a)
{
	inet_pton(AF_INET, a, h->a4[h->n4++]);
}

static void v6(mailcore_host_t *h, const char *a)
{
	inet_pton(AF_INET6, a, h->a6[h->n6++]);
}

/* ---- raw values in the mail database --------------------------------------------------- */

typedef struct {
	char kind;                 /* 'D', 'H' or 'K' */
	const uint8_t *name;       /* object (domain / host / key's domain) */
	const char *sel;           /* key selector */
	const uint8_t *v;
	size_t vl;
	int ret;                   /* what the getter said */
	mailcore_domain_t d;
	mailcore_host_t h;
	mailcore_key_t k[2];
} raw_t;

static size_t raw_key(const raw_t *r, uint8_t *key)
{
	size_t nl = zones_name_len(r->name, ZONES_NAME_MAX), sl = r->sel ? strlen(r->sel) : 0;
	key[0] = (uint8_t)r->kind;
	memcpy(key + 1, r->name, nl);
	if (sl)
		memcpy(key + 1 + nl, r->sel, sl);
	return 1 + nl + sl;
}

/* Store \p r->v under the object's key and read it back with the mail core's getter. */
static int raw_one(dns_state_txn_t *txn, raw_t *r)
{
	uint8_t key[1 + ZONES_NAME_MAX + 80];
	int ret = dns_state_put(txn, DNS_DB_MAIL, key, raw_key(r, key), r->v, r->vl);
	if (ret)
		return ret;
	if (r->kind == 'D')
		r->ret = mailcore_domain_get(txn, r->name, &r->d);
	else if (r->kind == 'H')
		r->ret = mailcore_host_get(txn, r->name, &r->h);
	else
		r->ret = mailcore_keys_load(txn, r->name, r->k, 2);
	return 0;
}

static int raw_txn(dns_state_txn_t *txn, void *arg)
{
	int ret = raw_one(txn, arg);
	return ret ? ret : 1; /* never commit: each case starts from the same state */
}

/* What the getter says about the value \p v (a domain/host/key of example.com). */
static int raw_get(dns_state_t *st, char kind, const uint8_t *v, size_t vl, raw_t *out)
{
	memset(out, 0, sizeof *out);
	out->kind = kind;
	out->name = kind == 'H' ? N("mx1.example.com") : N("example.com");
	out->sel = kind == 'K' ? "20260101-rsa" : NULL;
	out->v = v;
	out->vl = vl;
	int ret = dns_state_write(st, raw_txn, out);
	if (ret != 1)
		return ret;
	return kind == 'K' && out->ret == 1 ? 0 : out->ret;
}

/* The stored bytes of an object, as the mail core wrote them. */
typedef struct {
	char kind;
	const uint8_t *name;
	const char *sel;
	uint8_t v[4096];
	size_t vl;
} stored_t;

static int stored_fetch(dns_state_t *st, stored_t *s)
{
	raw_t r = { .kind = s->kind, .name = s->name, .sel = s->sel };
	uint8_t key[1 + ZONES_NAME_MAX + 80];
	size_t kl = raw_key(&r, key);
	dns_state_txn_t *txn;
	int ret = dns_state_read_begin(st, &txn);
	if (ret)
		return ret;
	const void *v;
	size_t vl;
	ret = dns_state_get(txn, DNS_DB_MAIL, key, kl, &v, &vl);
	if (ret == 0 && vl <= sizeof s->v) {
		memcpy(s->v, v, vl);
		s->vl = vl;
	}
	dns_state_read_end(txn);
	return ret;
}

/* ---- part 1: the store ---------------------------------------------------------------- */

static mailcore_domain_t g_dom;
static mailcore_host_t g_host;
static mailcore_key_t g_keys[4];
static size_t g_nkeys;

static int put_txn(dns_state_txn_t *txn, void *arg)
{
	(void)arg;
	int ret = mailcore_domain_put(txn, &g_dom);
	if (ret == 0)
		ret = mailcore_host_put(txn, &g_host);
	for (size_t i = 0; i < g_nkeys && ret == 0; i++)
		ret = mailcore_key_put(txn, &g_keys[i]);
	return ret;
}

static int count_dom(const mailcore_domain_t *d, void *arg)
{
	(void)d;
	++*(int *)arg;
	return 0;
}

static int count_host(const mailcore_host_t *h, void *arg)
{
	(void)h;
	++*(int *)arg;
	return 0;
}

static int del_txn(dns_state_txn_t *txn, void *arg)
{
	return mailcore_key_del(txn, arg);
}

static void test_roundtrip(dns_state_t *st)
{
	mailcore_domain_t *d = &g_dom, want, got;
	mailcore_domain_defaults(d, N("example.com"));
	d->ttl = 300;
	d->no_mail = true;
	d->nmx = 2;
	setname(d->mx[0], "mx1.example.com");
	setname(d->mx[1], "mx2.example.net");
	d->mx[1][1] = 'M'; /* stored as given, read back lowercase */
	d->spf_mode = MAILCORE_SPF_IP;
	d->spf_soft = true;
	snprintf(d->spf_extra, sizeof d->spf_extra, "include:_spf.example.net a:relay.example.org");
	d->dmarc = MAILCORE_DMARC_REJECT;
	d->dmarc_strict = true;
	snprintf(d->rua, sizeof d->rua, "mailto:agg@example.net,mailto:agg@example.com");
	snprintf(d->ruf, sizeof d->ruf, "mailto:fail@example.net");
	d->sts = MAILCORE_STS_ENFORCE;
	d->sts_max_age = 86400;
	snprintf(d->tlsrpt, sizeof d->tlsrpt, "https://report.example.net/tls");
	setname(d->clients, "imap.example.com");
	d->pop3 = true;
	setname(d->autoconfig, "web.example.com");
	snprintf(d->caa, sizeof d->caa, "letsencrypt.org,sectigo.com");
	snprintf(d->caa_iodef, sizeof d->caa_iodef, "mailto:security@example.com");
	d->dkim_algs = MAILCORE_DKIM_ED25519;
	d->dkim_rotate = 30 * DAY;
	d->dkim_retire = 2 * DAY;
	d->dkim_revoke = DAY;
	want = *d;
	want.mx[1][1] = 'm';

	mailcore_host_t *h = &g_host, hgot;
	mailcore_host_defaults(h, N("mx1.example.com"));
	h->pref = 20;
	v4(h, "192.0.2.10");
	v4(h, "192.0.2.11");
	v6(h, "2001:db8::10");
	v6(h, "2001:db8::11");
	snprintf(h->cert[0], sizeof h->cert[0], "/etc/ssl/mx1.pem");
	snprintf(h->cert[1], sizeof h->cert[1], "/etc/ssl/mx1-next.pem");
	memset(h->spki[0], 0xa5, 32);
	memset(h->spki[1], 0x5a, 32);
	h->ttl = 600;

	g_nkeys = 0;
	is_int(mailcore_key_generate(N("example.com"), MAILCORE_DKIM_RSA, 1767225600,
	                             &g_keys[g_nkeys++]), 0, "RSA key made");
	is_int(mailcore_key_generate(N("example.com"), MAILCORE_DKIM_ED25519, 1767225600,
	                             &g_keys[g_nkeys++]), 0, "Ed25519 key made");
	snprintf(g_keys[0].selector, sizeof g_keys[0].selector, "20260101-rsa");
	snprintf(g_keys[1].selector, sizeof g_keys[1].selector, "20260101-ed25519");
	g_keys[0].state = MAILCORE_KEY_ACTIVE;
	g_keys[0].published = 1767225700;
	g_keys[0].active = 1767229300;
	g_keys[1].state = MAILCORE_KEY_REVOKED;
	g_keys[1].published = 1;
	g_keys[1].active = 2;
	g_keys[1].retired = 3;
	g_keys[1].revoked = -4; /* every bit of an int64 survives */
	/* keys of other domains never show up among example.com's */
	g_keys[2] = g_keys[1];
	memcpy(g_keys[2].domain, N("sub.example.com"), 17);
	g_keys[3] = g_keys[1];
	memset(g_keys[3].domain, 0, sizeof g_keys[3].domain);
	memcpy(g_keys[3].domain, N("example.co"), 12);
	g_nkeys = 4;

	is_int(dns_state_write(st, put_txn, NULL), 0, "domain, host and keys stored");
	dns_state_txn_t *txn;
	if (dns_state_read_begin(st, &txn)) {
		printf("Bail out! no read transaction\n");
		exit(1);
	}
	is_int(mailcore_domain_get(txn, N("example.com"), &got), 0, "domain read back");
	ok(memcmp(&got, &want, sizeof got) == 0,
	   "every domain field as stored (MX name lowercased)");
	ok(got.ttl == 300 && got.no_mail && got.nmx == 2 && got.spf_mode == MAILCORE_SPF_IP &&
	   got.spf_soft && got.dmarc == MAILCORE_DMARC_REJECT && got.dmarc_strict &&
	   got.sts == MAILCORE_STS_ENFORCE && got.sts_max_age == 86400 && got.pop3 &&
	   got.dkim_algs == MAILCORE_DKIM_ED25519 && got.dkim_rotate == 30 * DAY &&
	   got.dkim_retire == 2 * DAY && got.dkim_revoke == DAY, "numbers and flags");
	is_str(got.spf_extra, "include:_spf.example.net a:relay.example.org", "spf_extra");
	is_str(got.rua, "mailto:agg@example.net,mailto:agg@example.com", "rua");
	is_str(got.ruf, "mailto:fail@example.net", "ruf");
	is_str(got.tlsrpt, "https://report.example.net/tls", "tlsrpt");
	is_str(got.caa, "letsencrypt.org,sectigo.com", "caa");
	is_str(got.caa_iodef, "mailto:security@example.com", "caa_iodef");
	ok(zones_name_cmp(got.mx[1], N("mx2.example.net")) == 0 &&
	   zones_name_cmp(got.clients, N("imap.example.com")) == 0 &&
	   zones_name_cmp(got.autoconfig, N("web.example.com")) == 0, "names");
	is_int(mailcore_domain_get(txn, N("example.net"), &got), DNS_ENOMAIL,
	       "a domain not stored: DNS_ENOMAIL");
	is_int(mailcore_host_get(txn, N("mx1.example.com"), &hgot), 0, "host read back");
	ok(memcmp(&hgot, h, sizeof hgot) == 0, "every host field as stored");
	is_int(mailcore_host_get(txn, N("mx2.example.com"), &hgot), DNS_ENOHOST,
	       "a host not stored: DNS_ENOHOST");
	mailcore_key_t kl[4];
	int n = mailcore_keys_load(txn, N("example.com"), kl, 4);
	is_int(n, 2, "two keys of example.com (not those of sub.example.com or example.co)");
	ok(n == 2 && memcmp(&kl[0], &g_keys[1], sizeof kl[0]) == 0 &&
	   memcmp(&kl[1], &g_keys[0], sizeof kl[1]) == 0,
	   "every key field as stored, private keys included, in selector order");
	is_int(mailcore_keys_load(txn, N("example.com"), kl, 1), DNS_ESPACE,
	       "more keys than room: DNS_ESPACE");
	is_int(mailcore_keys_load(txn, N("example.org"), kl, 4), 0, "no keys for example.org");
	int nd = 0, nh = 0;
	is_int(mailcore_domain_each(txn, count_dom, &nd), 0, "domain_each");
	is_int(nd, 1, "one domain visited");
	is_int(mailcore_host_each(txn, count_host, &nh), 0, "host_each");
	is_int(nh, 1, "one host visited");
	dns_state_read_end(txn);

	/* the defaults round trip to the defaults; text fields at their longest */
	mailcore_domain_defaults(&g_dom, N("example.com"));
	memset(g_dom.spf_extra, 'x', sizeof g_dom.spf_extra - 1);
	g_dom.nmx = MAILCORE_MAX_MX;
	for (int i = 0; i < MAILCORE_MAX_MX; i++) {
		char hn[32];
		snprintf(hn, sizeof hn, "mx%d.example.com", i);
		setname(g_dom.mx[i], hn);
	}
	mailcore_host_defaults(&g_host, N("mx1.example.com"));
	g_nkeys = 0;
	want = g_dom;
	is_int(dns_state_write(st, put_txn, NULL), 0, "stored again: defaults, longest texts");
	if (dns_state_read_begin(st, &txn) == 0) {
		is_int(mailcore_domain_get(txn, N("example.com"), &got), 0, "read back");
		ok(memcmp(&got, &want, sizeof got) == 0,
		   "511-character text and 8 MX hosts survive");
		is_int(mailcore_host_get(txn, N("mx1.example.com"), &hgot), 0, "host read back");
		ok(memcmp(&hgot, &g_host, sizeof hgot) == 0, "host defaults survive");
		dns_state_read_end(txn);
	}
	is_int(dns_state_write(st, del_txn, &g_keys[0]), 0, "key deleted");
	is_int(dns_state_write(st, del_txn, &g_keys[0]), 0, "deleting it again is no error");
	if (dns_state_read_begin(st, &txn) == 0) {
		is_int(mailcore_keys_load(txn, N("example.com"), kl, 4), 1, "one key left");
		dns_state_read_end(txn);
	}
	/* leave one key, the RSA one, stored for the schema tests */
	is_int(dns_state_write(st, del_txn, &g_keys[1]), 0, "the other deleted");
	g_keys[0].state = MAILCORE_KEY_ACTIVE;
	g_nkeys = 1;
	mailcore_domain_defaults(&g_dom, N("example.com"));
	is_int(dns_state_write(st, put_txn, NULL), 0, "key stored again");
}

/* ---- part 2: values from another version, damaged values ----------------------------- */

/* The lengths at which a TLV value may end: after the version, after each field. */
static bool boundary(const uint8_t *v, size_t vl, size_t cut)
{
	if (cut == 1)
		return true;
	for (size_t pos = 1; pos + 3 <= vl;) {
		pos += 3u + dns_get16(v + pos + 1);
		if (pos == cut)
			return true;
	}
	return false;
}

static void test_truncations(dns_state_t *st, stored_t *s, const char *what)
{
	int bad = 0, okcuts = 0;
	raw_t r;
	for (size_t cut = 0; cut < s->vl; cut++) {
		int ret = raw_get(st, s->kind, s->v, cut, &r);
		/* a key without its algorithm (the first field) is no key */
		bool whole = cut > 0 && boundary(s->v, s->vl, cut) && (s->kind != 'K' || cut >= 5);
		int want = whole ? 0 : DNS_ESCHEMA;
		if (want == 0)
			okcuts++;
		if (ret != want && bad++ == 0)
			printf("#   %s cut at %zu of %zu: got %d, expected %d\n", what, cut, s->vl,
			       ret, want);
	}
	ok(bad == 0, "%s: each of its %zu truncations is DNS_ESCHEMA, except the %d at a field "
	   "boundary which read", what, s->vl, okcuts);
	is_int(raw_get(st, s->kind, s->v, s->vl, &r), 0, "%s: the whole value reads", what);
}

/* One value built from (tag, length, bytes) fields after the version byte. */
typedef struct {
	uint8_t b[2048];
	size_t n;
} val_t;

static void val_start(val_t *v, uint8_t version)
{
	v->n = 0;
	v->b[v->n++] = version;
}

static void val_field(val_t *v, uint8_t tag, const void *p, size_t len)
{
	v->b[v->n++] = tag;
	dns_put16(v->b + v->n, (uint16_t)len);
	v->n += 2;
	if (len)
		memcpy(v->b + v->n, p, len);
	v->n += len;
}

static int dval(dns_state_t *st, uint8_t tag, const void *p, size_t len, raw_t *r)
{
	val_t v;
	val_start(&v, 1);
	val_field(&v, tag, p, len);
	return raw_get(st, 'D', v.b, v.n, r);
}

static int hval(dns_state_t *st, uint8_t tag, const void *p, size_t len, raw_t *r)
{
	val_t v;
	val_start(&v, 1);
	val_field(&v, tag, p, len);
	return raw_get(st, 'H', v.b, v.n, r);
}

static int kval(dns_state_t *st, uint8_t tag, const void *p, size_t len, raw_t *r)
{
	val_t v;
	val_start(&v, 1);
	uint8_t alg = MAILCORE_DKIM_RSA;
	if (tag != 1)
		val_field(&v, 1, &alg, 1);
	val_field(&v, tag, p, len);
	return raw_get(st, 'K', v.b, v.n, r);
}

/* A valid decoded object must still be sane. */
static bool sane(const raw_t *r)
{
	if (r->kind == 'D') {
		const mailcore_domain_t *d = &r->d;
		bool s = d->nmx <= MAILCORE_MAX_MX &&
		         strnlen(d->spf_extra, sizeof d->spf_extra) < sizeof d->spf_extra &&
		         strnlen(d->rua, sizeof d->rua) < sizeof d->rua &&
		         strnlen(d->ruf, sizeof d->ruf) < sizeof d->ruf &&
		         strnlen(d->tlsrpt, sizeof d->tlsrpt) < sizeof d->tlsrpt &&
		         strnlen(d->caa, sizeof d->caa) < sizeof d->caa &&
		         strnlen(d->caa_iodef, sizeof d->caa_iodef) < sizeof d->caa_iodef &&
		         zones_name_len(d->clients, ZONES_NAME_MAX) > 0 &&
		         zones_name_len(d->autoconfig, ZONES_NAME_MAX) > 0;
		for (size_t i = 0; i < d->nmx && s; i++)
			s = zones_name_len(d->mx[i], ZONES_NAME_MAX) > 0;
		return s;
	}
	if (r->kind == 'H')
		return r->h.n4 <= MAILCORE_MAX_ADDR && r->h.n6 <= MAILCORE_MAX_ADDR &&
		       strnlen(r->h.cert[0], 256) < 256 && strnlen(r->h.cert[1], 256) < 256;
	const mailcore_key_t *k = &r->k[0];
	return (k->alg == MAILCORE_DKIM_RSA || k->alg == MAILCORE_DKIM_ED25519) &&
	       k->state <= MAILCORE_KEY_REVOKED && k->publen <= sizeof k->pub &&
	       k->privlen <= sizeof k->priv && strcmp(k->selector, "20260101-rsa") == 0;
}

typedef struct {
	stored_t *seed[3];
	int bad_ret, bad_sane, decoded, refused, total;
	char first[200];
} fuzz_t;

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static int fuzz_txn(dns_state_txn_t *txn, void *arg)
{
	fuzz_t *f = arg;
	static const char kinds[3] = { 'D', 'H', 'K' };
	static uint8_t buf[4200];
	for (int i = 0; i < 10000; i++) {
		int w = rnd(3);
		stored_t *seed = f->seed[w];
		size_t n = 0;
		switch (rnd(3)) {
		case 0: /* noise behind a version byte */
			n = rnd(80);
			for (size_t k = 0; k < n; k++)
				buf[k] = (uint8_t)rnd(256);
			if (n && rnd(4))
				buf[0] = 1;
			break;
		case 1: /* a real value, a few bytes changed, maybe cut */
			n = seed->vl;
			memcpy(buf, seed->v, n);
			for (int k = 1 + (int)rnd(4); k > 0; k--)
				buf[rnd((uint32_t)n)] = (uint8_t)rnd(256);
			if (rnd(2))
				n = rnd((uint32_t)n + 1);
			break;
		default: { /* plausible fields: known and unknown tags, any lengths */
			buf[n++] = 1;
			for (int k = (int)rnd(6); k >= 0 && n < 3000; k--) {
				size_t len = rnd(4) ? rnd(10) : rnd(600);
				buf[n++] = (uint8_t)(rnd(4) ? rnd(24) : rnd(256));
				dns_put16(buf + n, (uint16_t)(rnd(8) ? len : rnd(65536)));
				n += 2;
				for (size_t b = 0; b < len; b++)
					buf[n++] = (uint8_t)(rnd(3) ? rnd(64) : 0);
			}
			break;
		}
		}
		raw_t r;
		memset(&r, 0, sizeof r);
		r.kind = kinds[w];
		r.name = seed->name;
		r.sel = seed->sel;
		r.v = buf;
		r.vl = n;
		int ret = raw_one(txn, &r);
		if (ret)
			return ret;
		int got = r.kind == 'K' && r.ret == 1 ? 0 : r.ret;
		f->total++;
		if (got == 0) {
			f->decoded++;
			if (!sane(&r) && f->bad_sane++ == 0)
				snprintf(f->first, sizeof f->first, "insane %c value of %zu octets",
				         r.kind, n);
		} else if (got == DNS_ESCHEMA) {
			f->refused++;
		} else if (f->bad_ret++ == 0) {
			snprintf(f->first, sizeof f->first, "%c value of %zu octets: %d", r.kind, n,
			         got);
		}
	}
	return 1; /* abort: nothing of this stays */
}

static void test_schema(dns_state_t *st)
{
	stored_t sd = { .kind = 'D', .name = N("example.com") };
	stored_t sh = { .kind = 'H', .name = N("mx1.example.com") };
	stored_t sk = { .kind = 'K', .name = N("example.com"), .sel = "20260101-rsa" };
	is_int(stored_fetch(st, &sd), 0, "stored domain value");
	is_int(stored_fetch(st, &sh), 0, "stored host value");
	is_int(stored_fetch(st, &sk), 0, "stored key value");
	is_int(sd.v[0], 1, "values start with version 1");
	raw_t r;
	static uint8_t v[4096];

	/* a newer version, an unknown one, nothing at all */
	memcpy(v, sd.v, sd.vl);
	v[0] = 2;
	is_int(raw_get(st, 'D', v, sd.vl, &r), DNS_ESCHEMA,
	       "domain value of version 2: DNS_ESCHEMA");
	v[0] = 0;
	is_int(raw_get(st, 'D', v, sd.vl, &r), DNS_ESCHEMA, "version 0: DNS_ESCHEMA");
	is_int(raw_get(st, 'D', v, 0, &r), DNS_ESCHEMA, "empty value: DNS_ESCHEMA");
	memcpy(v, sh.v, 8);
	v[0] = 2;
	is_int(raw_get(st, 'H', v, 8, &r), DNS_ESCHEMA, "host value of version 2: DNS_ESCHEMA");
	memcpy(v, sk.v, 8);
	v[0] = 2;
	is_int(raw_get(st, 'K', v, 8, &r), DNS_ESCHEMA, "key value of version 2: DNS_ESCHEMA");
	v[0] = 1;
	is_int(raw_get(st, 'D', v, 1, &r), 0, "the version alone: a domain with the defaults");
	mailcore_domain_t def;
	mailcore_domain_defaults(&def, N("example.com"));
	ok(memcmp(&r.d, &def, sizeof def) == 0, "...exactly the defaults");

	test_truncations(st, &sd, "domain value");
	test_truncations(st, &sh, "host value");
	test_truncations(st, &sk, "key value");

	/* fields of the wrong size */
	static uint8_t b[1500];
	is_int(dval(st, 1, b, 3, &r), DNS_ESCHEMA, "domain ttl (u32) of 3 octets: DNS_ESCHEMA");
	is_int(dval(st, 1, b, 5, &r), DNS_ESCHEMA, "domain ttl of 5 octets: DNS_ESCHEMA");
	is_int(dval(st, 2, b, 0, &r), DNS_ESCHEMA, "bool of 0 octets: DNS_ESCHEMA");
	is_int(dval(st, 4, b, 2, &r), DNS_ESCHEMA, "u8 of 2 octets: DNS_ESCHEMA");
	is_int(dval(st, 6, "a\0b", 3, &r), DNS_ESCHEMA, "text with a NUL: DNS_ESCHEMA");
	memset(b, 'x', sizeof b);
	is_int(dval(st, 6, b, MAILCORE_TEXT, &r), DNS_ESCHEMA, "text of 512 octets: DNS_ESCHEMA");
	is_int(dval(st, 6, b, MAILCORE_TEXT - 1, &r), 0, "text of 511 octets reads");
	is_int(dval(st, 14, "\5ab\0", 4, &r), DNS_ESCHEMA, "a broken name: DNS_ESCHEMA");
	is_int(dval(st, 14, "", 0, &r), DNS_ESCHEMA, "an empty name: DNS_ESCHEMA");
	is_int(dval(st, 14, "\3abc\0\0", 6, &r), DNS_ESCHEMA, "a name with a byte after it: "
	       "DNS_ESCHEMA");
	is_int(dval(st, 14, "\3ABC\0", 5, &r), 0, "a valid name reads...");
	ok(memcmp(r.d.clients, "\3abc\0", 5) == 0, "...lowercased");
	uint8_t names[200];
	size_t nl = 0;
	for (int i = 0; i < 9; i++) {
		memcpy(names + nl, "\2mx\0", 4);
		nl += 4;
	}
	is_int(dval(st, 3, names, nl, &r), DNS_ESCHEMA, "9 MX names (at most 8): DNS_ESCHEMA");
	is_int(dval(st, 3, names, 32, &r), 0, "8 MX names read");
	is_int(r.d.nmx, 8, "...all 8");
	is_int(dval(st, 3, "\2mx\0\3ab", 7, &r), DNS_ESCHEMA, "MX list ending in half a name: "
	       "DNS_ESCHEMA");
	is_int(hval(st, 4, b, 31, &r), DNS_ESCHEMA, "host IPv4 table of 31 octets: DNS_ESCHEMA");
	uint8_t nine = 9;
	is_int(hval(st, 2, &nine, 1, &r), DNS_ESCHEMA, "host with 9 IPv4 addresses: DNS_ESCHEMA");
	is_int(hval(st, 3, &nine, 1, &r), DNS_ESCHEMA, "host with 9 IPv6 addresses: DNS_ESCHEMA");
	is_int(hval(st, 1, b, 1, &r), DNS_ESCHEMA, "host pref (u16) of 1 octet: DNS_ESCHEMA");
	is_int(hval(st, 8, b, 63, &r), DNS_ESCHEMA, "host SPKI digests of 63 octets: DNS_ESCHEMA");
	uint8_t three = 3, five = 5;
	is_int(kval(st, 1, &three, 1, &r), DNS_ESCHEMA, "key of algorithm 3: DNS_ESCHEMA");
	is_int(kval(st, 2, &five, 1, &r), DNS_ESCHEMA, "key in state 5: DNS_ESCHEMA");
	is_int(kval(st, 8, b, 601, &r), DNS_ESCHEMA, "public key of 601 octets: DNS_ESCHEMA");
	is_int(kval(st, 9, b, 1401, &r), DNS_ESCHEMA, "private key of 1401 octets: DNS_ESCHEMA");
	is_int(kval(st, 3, b, 4, &r), DNS_ESCHEMA, "key time (i64) of 4 octets: DNS_ESCHEMA");
	is_int(kval(st, 8, b, 600, &r), 0, "public key of 600 octets reads");
	val_t kv;
	val_start(&kv, 1);
	is_int(raw_get(st, 'K', kv.b, kv.n, &r), DNS_ESCHEMA, "a key without an algorithm: "
	       "DNS_ESCHEMA");

	/* fields of a later version are skipped */
	val_t x;
	val_start(&x, 1);
	val_field(&x, 99, "abc", 3);
	uint8_t ttl[4];
	dns_put32(ttl, 300);
	val_field(&x, 1, ttl, 4);
	val_field(&x, 250, "", 0);
	val_field(&x, 23, b, 600);
	is_int(raw_get(st, 'D', x.b, x.n, &r), 0, "unknown tags around a known one: read");
	def.ttl = 300;
	ok(memcmp(&r.d, &def, sizeof def) == 0, "the known field taken, the rest defaults");
	val_start(&x, 1);
	val_field(&x, 200, "zz", 2);
	x.b[x.n - 4] = 0xff; /* its length now runs past the end */
	is_int(raw_get(st, 'D', x.b, x.n, &r), DNS_ESCHEMA, "an unknown field running past the "
	       "end: DNS_ESCHEMA");
	val_start(&x, 1);
	uint16_t pref = 0;
	dns_put16((uint8_t *)&pref, 5);
	val_field(&x, 1, &pref, 2);
	val_field(&x, 77, "future", 6);
	is_int(raw_get(st, 'H', x.b, x.n, &r), 0, "host with an unknown field: read");
	is_int(r.h.pref, 5, "...its known field taken");

	/* random, mutated and made-up values: 0 or DNS_ESCHEMA, never a crash */
	fuzz_t f = { .seed = { &sd, &sh, &sk } };
	int ret = dns_state_write(st, fuzz_txn, &f);
	is_int(ret, 1, "10,000 random values decoded without a crash");
	ok(f.bad_ret == 0, "each gives 0 or DNS_ESCHEMA (%d refused, %d read)%s%s", f.refused,
	   f.decoded, f.bad_ret ? ": " : "", f.bad_ret ? f.first : "");
	ok(f.bad_sane == 0, "each value read is sane (counts, texts, names)%s%s",
	   f.bad_sane ? ": " : "", f.bad_sane ? f.first : "");
	ok(f.refused > 1000 && f.decoded > 100, "the fuzz reaches both outcomes");
}

/* A damaged value makes domain_each fail cleanly. */
static int each_bad_txn(dns_state_txn_t *txn, void *arg)
{
	int *out = arg;
	uint8_t key[1 + ZONES_NAME_MAX];
	const uint8_t *n = N("broken.example.com");
	size_t nl = zones_name_len(n, ZONES_NAME_MAX);
	key[0] = 'D';
	memcpy(key + 1, n, nl);
	uint8_t v[] = { 1, 1, 0, 2, 0, 0 };
	int ret = dns_state_put(txn, DNS_DB_MAIL, key, 1 + nl, v, sizeof v);
	if (ret)
		return ret;
	int cnt = 0;
	out[0] = mailcore_domain_each(txn, count_dom, &cnt);
	key[0] = 'H';
	v[0] = 2;
	if ((ret = dns_state_put(txn, DNS_DB_MAIL, key, 1 + nl, v, sizeof v)) != 0)
		return ret;
	out[1] = mailcore_host_each(txn, count_host, &cnt);
	return 1;
}

/* ---- part 3: operations and generated records -------------------------------------------- */

static dns_state_t *st;
static char err[1024];

static int zone_add(const char *name)
{
	const uint8_t *apex = N(name);
	zones_content_t c;
	zones_content_init(&c, apex);
	zones_rr_t rr;
	char e[256], ns[300], soa[600];
	snprintf(ns, sizeof ns, "ns1.%s.", name);
	snprintf(soa, sizeof soa, "ns1.%s. hostmaster.%s. 1 3600 900 1209600 300", name, name);
	int ret = zones_rr_parse(apex, "@", "3600", "SOA", soa, &rr, e, sizeof e);
	if (ret == 0) {
		ret = zones_content_add(&c, rr.owner, rr.type, rr.ttl, rr.rdata, rr.rdlen, 0);
		free(rr.owner);
		free(rr.rdata);
	}
	if (ret == 0 &&
	    (ret = zones_rr_parse(apex, "@", "3600", "NS", ns, &rr, e, sizeof e)) == 0) {
		ret = zones_content_add(&c, rr.owner, rr.type, rr.ttl, rr.rdata, rr.rdlen, 0);
		free(rr.owner);
		free(rr.rdata);
	}
	if (ret == 0)
		ret = zones_content_validate(&c);
	if (ret == 0)
		ret = zones_op_add(st, &c, "");
	zones_content_deinit(&c);
	return ret;
}

/* zones_op_record_add of one presentation-form record; err says why not */
static int rec_add(const char *zone, const char *owner, const char *type, const char *rdata)
{
	const uint8_t *apex = N(zone);
	zones_rr_t rr;
	zones_change_t what;
	int ret = zones_rr_parse(apex, owner, "3600", type, rdata, &rr, err, sizeof err);
	if (ret)
		return ret;
	ret = zones_op_record_add(st, apex, &rr, &what, err, sizeof err);
	free(rr.owner);
	free(rr.rdata);
	return ret;
}

static int rec_del(const char *zone, const char *owner, const char *type)
{
	const uint8_t *apex = N(zone);
	uint8_t on[ZONES_NAME_MAX];
	if (zones_name_parse(owner, apex, on) < 0)
		return DNS_EPARSE;
	zones_name_lower(on);
	return zones_op_record_del(st, apex, on, zones_type_parse(type), NULL, 0, err, sizeof err);
}

static uint64_t gen_of(const char *zone)
{
	dns_state_txn_t *txn;
	zones_settings_t s = { 0 };
	if (dns_state_read_begin(st, &txn))
		return 0;
	if (zones_store_settings_get(txn, N(zone), &s))
		s.gen = 0;
	dns_state_read_end(txn);
	return s.gen;
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted lines joined by '\n' (malloc'd). */
static char *join_sorted(char **lines, size_t n)
{
	qsort(lines, n, sizeof *lines, strp_cmp);
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(lines[i]) + 1;
	char *out = malloc(len), *p = out;
	*p = 0;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "\n" : "", lines[i]);
	return out;
}

/* The generated records of a zone: what zones_store_load gives beyond the static ones. */
static char *generated(const char *zone)
{
	const uint8_t *apex = N(zone);
	zones_content_t all, stat;
	zones_content_init(&all, apex);
	zones_content_init(&stat, apex);
	dns_state_txn_t *txn;
	if (dns_state_read_begin(st, &txn))
		return strdup("(no transaction)");
	int r1 = zones_store_load(txn, apex, &all), r2 = zones_store_load_static(txn, apex, &stat);
	dns_state_read_end(txn);
	if (r1 || r2)
		return strdup("(load failed)");
	char **lines = calloc(all.n + 1, sizeof *lines);
	size_t n = 0;
	bool *used = calloc(stat.n + 1, sizeof *used);
	for (size_t i = 0; i < all.n; i++) {
		const zones_rr_t *a = &all.rr[i];
		char *line = malloc(8192);
		zones_rr_print(a, line, 8192);
		/* static ones by owner, type and RDATA: zones_store_load may lower the TTL of
		 * a static TXT RRset that shares its name with a generated one */
		bool is_static = false;
		for (size_t k = 0; k < stat.n && !is_static; k++) {
			const zones_rr_t *b = &stat.rr[k];
			if (!used[k] && a->type == b->type && a->rdlen == b->rdlen &&
			    zones_name_cmp(a->owner, b->owner) == 0 &&
			    memcmp(a->rdata, b->rdata, a->rdlen) == 0)
				used[k] = is_static = true;
		}
		if (is_static)
			free(line);
		else
			lines[n++] = line;
	}
	char *out = join_sorted(lines, n);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	free(used);
	zones_content_deinit(&all);
	zones_content_deinit(&stat);
	return out;
}

/* The expected set: "OWNER TTL TYPE RDATA" lines, printed as the zone prints them. */
static char *expected(const char *zone, const char *const *recs, size_t n)
{
	const uint8_t *apex = N(zone);
	char **lines = calloc(n + 1, sizeof *lines);
	for (size_t i = 0; i < n; i++) {
		char owner[300], ttl[16], type[16];
		int used = 0;
		if (sscanf(recs[i], "%299s %15s %15s %n", owner, ttl, type, &used) != 3) {
			lines[i] = strdup("(bad expectation)");
			continue;
		}
		zones_rr_t rr;
		char e[300];
		lines[i] = malloc(8192);
		if (zones_rr_parse(apex, owner, ttl, type, recs[i] + used, &rr, e, sizeof e)) {
			snprintf(lines[i], 8192, "(unparsable expectation %s: %s)", recs[i], e);
			continue;
		}
		zones_rr_print(&rr, lines[i], 8192);
		free(rr.owner);
		free(rr.rdata);
	}
	char *out = join_sorted(lines, n);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return out;
}

/* A TXT RDATA in presentation form: quoted strings of at most 255 octets. */
static void txt_pres(const char *text, char *out, size_t len)
{
	size_t tl = strlen(text), o = 0;
	for (size_t p = 0; p < tl || p == 0; p += 255) {
		size_t n = tl - p > 255 ? 255 : tl - p;
		o += (size_t)snprintf(out + o, len - o, "%s\"%.*s\"", p ? " " : "", (int)n,
		                      text + p);
		if (tl == 0)
			break;
	}
}

#define MAXREC 64
typedef struct {
	char *r[MAXREC];
	size_t n;
} recs_t;

static void __attribute__((format(printf, 2, 3))) rec(recs_t *rs, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (rs->n < MAXREC && vasprintf(&rs->r[rs->n], fmt, ap) >= 0)
		rs->n++;
	va_end(ap);
}

static void recs_free(recs_t *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->r[i]);
	rs->n = 0;
}

/* The DKIM TXT records of a domain's stored keys. */
static int dkim_recs(const char *domain, uint32_t ttl, recs_t *rs)
{
	dns_state_txn_t *txn;
	mailcore_key_t *k = calloc(16, sizeof *k);
	if (dns_state_read_begin(st, &txn)) {
		free(k);
		return -1;
	}
	int n = mailcore_keys_load(txn, N(domain), k, 16);
	dns_state_read_end(txn);
	for (int i = 0; i < n; i++) {
		char text[1200], pres[1300];
		mailcore_key_txt(&k[i], text, sizeof text);
		txt_pres(text, pres, sizeof pres);
		rec(rs, "%s._domainkey.%s. %u TXT %s", k[i].selector, domain, ttl, pres);
	}
	free(k);
	return n;
}

static void check_zone(const char *zone, recs_t *rs, const char *what)
{
	char *want = expected(zone, (const char *const *)rs->r, rs->n), *got = generated(zone);
	is_str(got, want, "%s: generated records of %s", what, zone);
	free(want);
	free(got);
}

/* The whole state a failed operation must leave alone. */
typedef struct {
	uint8_t *b;
	size_t n, cap;
} dump_t;

static int dump_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	dump_t *d = arg;
	if (d->n + kl + vl + 8 > d->cap) {
		d->cap = 2 * (d->cap + kl + vl + 8);
		d->b = realloc(d->b, d->cap);
	}
	dns_put32(d->b + d->n, (uint32_t)kl);
	memcpy(d->b + d->n + 4, k, kl);
	d->n += 4 + kl;
	dns_put32(d->b + d->n, (uint32_t)vl);
	memcpy(d->b + d->n + 4, v, vl);
	d->n += 4 + vl;
	return 0;
}

static dump_t dump(void)
{
	dump_t d = { 0 };
	dns_state_txn_t *txn;
	if (dns_state_read_begin(st, &txn))
		return d;
	static const dns_db_t dbs[] = { DNS_DB_MAIL, DNS_DB_GENERATED, DNS_DB_ZONES,
		                        DNS_DB_RECORDS };
	for (size_t i = 0; i < sizeof dbs / sizeof *dbs; i++) {
		uint8_t sep[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, (uint8_t)i };
		dump_one(sep, 8, sep, 0, &d);
		if (dns_state_scan(txn, dbs[i], NULL, 0, dump_one, &d))
			d.n = 0;
	}
	dns_state_read_end(txn);
	return d;
}

static bool dump_same(dump_t *a, dump_t *b)
{
	bool same = a->n && a->n == b->n && memcmp(a->b, b->b, a->n) == 0;
	free(a->b);
	free(b->b);
	return same;
}

static size_t count_prefix(dns_db_t db, const uint8_t *prefix)
{
	dump_t d = { 0 };
	dns_state_txn_t *txn;
	size_t n = 0;
	if (dns_state_read_begin(st, &txn))
		return 9999;
	if (dns_state_scan(txn, db, prefix, zones_name_len(prefix, ZONES_NAME_MAX), dump_one, &d))
		n = 9999;
	dns_state_read_end(txn);
	/* count entries in the dump */
	for (size_t o = 0; o < d.n; n++) {
		o += 4 + dns_get32(d.b + o);
		o += 4 + dns_get32(d.b + o);
	}
	free(d.b);
	return n;
}

/* apply callbacks: copy a template (host) or run an edit (domain) */
static int host_apply(mailcore_host_t *h, void *arg, char *e, size_t el)
{
	(void)e;
	(void)el;
	const mailcore_host_t *t = arg;
	uint8_t name[ZONES_NAME_MAX];
	memcpy(name, h->name, sizeof name);
	*h = *t;
	memcpy(h->name, name, sizeof name);
	return 0;
}

typedef struct {
	void (*fn)(mailcore_domain_t *d);
} edit_t;

static int dom_apply(mailcore_domain_t *d, void *arg, char *e, size_t el)
{
	(void)e;
	(void)el;
	const edit_t *ed = arg;
	if (ed->fn)
		ed->fn(d);
	return 0;
}

static int host_op(mailcore_op_t op, const char *name, const mailcore_host_t *t)
{
	return mailcore_op_host(st, op, N(name), host_apply, (void *)t, err, sizeof err);
}

static int dom_op(mailcore_op_t op, const char *name, void (*fn)(mailcore_domain_t *d))
{
	const uint8_t *names[1] = { N(name) };
	edit_t ed = { fn };
	return mailcore_op_domain(st, op, names, 1, dom_apply, &ed, err, sizeof err);
}

static void ed_none(mailcore_domain_t *d)
{
	(void)d;
}

static void ed_same(mailcore_domain_t *d)
{
	d->dmarc = MAILCORE_DMARC_QUARANTINE;
	d->ttl = 3600;
	d->dkim_algs = MAILCORE_DKIM_RSA | MAILCORE_DKIM_ED25519;
}

static void ed_dmarc(mailcore_domain_t *d)
{
	d->dmarc = MAILCORE_DMARC_REJECT;
	d->dmarc_strict = true;
	snprintf(d->rua, sizeof d->rua, "mailto:dmarc@example.net");
	snprintf(d->ruf, sizeof d->ruf, "mailto:fail@example.com");
}

static void ed_full(mailcore_domain_t *d)
{
	d->ttl = 600;
	d->nmx = 1;
	setname(d->mx[0], "mx1.example.com");
	d->spf_mode = MAILCORE_SPF_IP;
	d->spf_soft = true;
	snprintf(d->spf_extra, sizeof d->spf_extra, "ip4:198.51.100.0/24");
	d->sts = MAILCORE_STS_ENFORCE;
	snprintf(d->tlsrpt, sizeof d->tlsrpt, "mailto:tls@example.com");
	setname(d->clients, "imap.example.com");
	setname(d->autoconfig, "web.example.com");
	snprintf(d->caa, sizeof d->caa, "letsencrypt.org");
	snprintf(d->caa_iodef, sizeof d->caa_iodef, "mailto:sec@example.com");
}

static void ed_no_tlsrpt(mailcore_domain_t *d)
{
	d->tlsrpt[0] = 0;
}

static void ed_tlsrpt(mailcore_domain_t *d)
{
	snprintf(d->tlsrpt, sizeof d->tlsrpt, "mailto:tls@example.com");
}

static void ed_org(mailcore_domain_t *d)
{
	d->dkim_algs = MAILCORE_DKIM_ED25519;
	snprintf(d->rua, sizeof d->rua, "mailto:reports@example.com");
}

static void ed_ed25519_only(mailcore_domain_t *d)
{
	d->dkim_algs = MAILCORE_DKIM_ED25519;
}

static mailcore_host_t mx1;

static void hosts_recs(recs_t *rs)
{
	rec(rs, "mx1.example.com. 3600 A 192.0.2.10");
	rec(rs, "mx1.example.com. 3600 AAAA 2001:db8::10");
	rec(rs, "mx1.example.com. 3600 TXT \"v=spf1 a -all\"");
	rec(rs, "_25._tcp.mx1.example.com. 3600 TLSA 3 1 1 "
	        "1111111111111111111111111111111111111111111111111111111111111111");
	rec(rs, "_25._tcp.mx1.example.com. 3600 TLSA 3 1 1 "
	        "2222222222222222222222222222222222222222222222222222222222222222");
}

static void sts_id_of(const char *text, char id[33])
{
	uint8_t md[32];
	unsigned ml = 0;
	EVP_Digest(text, strlen(text), md, &ml, EVP_sha256(), NULL);
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
}

static void test_texts(void)
{
	mailcore_domain_t d;
	mailcore_host_t h[2];
	char out[600], id[33], id2[33], want_id[33];
	mailcore_domain_defaults(&d, N("example.com"));
	mailcore_host_defaults(&h[0], N("mx1.example.com"));
	v4(&h[0], "192.0.2.10");
	v6(&h[0], "2001:db8::10");
	mailcore_host_defaults(&h[1], N("mx2.example.net"));
	v4(&h[1], "198.51.100.7");
	v4(&h[1], "198.51.100.8");

	is_int(mailcore_spf_text(&d, h, 2, out, sizeof out), 0, "SPF text");
	is_str(out, "v=spf1 mx -all", "SPF default");
	d.spf_mode = MAILCORE_SPF_IP;
	mailcore_spf_text(&d, h, 2, out, sizeof out);
	is_str(out, "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 ip4:198.51.100.7 ip4:198.51.100.8 -all",
	       "SPF ip: every address of every MX host");
	d.nmx = 1;
	setname(d.mx[0], "mx2.example.net");
	snprintf(d.spf_extra, sizeof d.spf_extra, "include:_spf.example.org");
	d.spf_soft = true;
	mailcore_spf_text(&d, h, 2, out, sizeof out);
	is_str(out, "v=spf1 ip4:198.51.100.7 ip4:198.51.100.8 include:_spf.example.org ~all",
	       "SPF ip of the named MX, extras before a soft all");
	d.spf_mode = MAILCORE_SPF_MX;
	mailcore_spf_text(&d, h, 2, out, sizeof out);
	is_str(out, "v=spf1 mx include:_spf.example.org ~all", "SPF mx with extras, soft");
	d.no_mail = true;
	mailcore_spf_text(&d, h, 2, out, sizeof out);
	is_str(out, "v=spf1 -all", "no mail: v=spf1 -all");
	d.no_mail = false;
	is_int(mailcore_spf_text(&d, h, 2, out, 10), DNS_ESPACE, "SPF into 10 octets: DNS_ESPACE");

	mailcore_domain_defaults(&d, N("example.com"));
	d.sts = MAILCORE_STS_ENFORCE;
	is_int(mailcore_sts_policy(&d, h, 2, out, sizeof out, id), 0, "MTA-STS policy");
	const char *pol = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"
	                  "mx: mx2.example.net\r\nmax_age: 604800\r\n";
	is_str(out, pol, "policy text: CRLF lines, every MX without the final dot");
	sts_id_of(pol, want_id);
	is_str(id, want_id, "id: the first 16 octets of the text's SHA-256, in hex");
	ok(strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32, "id: 32 hex digits");
	d.dmarc = MAILCORE_DMARC_REJECT; /* not in the policy */
	mailcore_sts_policy(&d, h, 2, out, sizeof out, id2);
	is_str(id2, id, "a change outside the policy keeps the id");
	d.sts = MAILCORE_STS_TESTING;
	d.sts_max_age = 86400;
	d.nmx = 1;
	setname(d.mx[0], "mx1.example.com");
	mailcore_sts_policy(&d, h, 2, out, sizeof out, id2);
	is_str(out, "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n",
	       "testing, one named MX, one day");
	ok(strcmp(id2, id) != 0, "the text changed: so did the id");
	sts_id_of(out, want_id);
	is_str(id2, want_id, "...to the digest of the new text");
	d.sts = MAILCORE_STS_OFF;
	mailcore_sts_policy(&d, h, 2, out, sizeof out, id2);
	is_str(out, "version: STSv1\r\nmode: none\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n",
	       "off: mode none (what a withdrawn policy says, RFC 8461 8.3)");
	is_int(mailcore_sts_policy(&d, h, 2, out, 20, id2), DNS_ESPACE,
	       "policy into 20 octets: DNS_ESPACE");
}

/* every created key counts as served by dnsd and the secondaries */
static bool probe_yes(const mailcore_key_t *k, const uint8_t *apex, void *arg)
{
	(void)k;
	(void)apex;
	++*(int *)arg;
	return true;
}

static int key_states(const char *domain, mailcore_key_t *k, int max)
{
	dns_state_txn_t *txn;
	if (dns_state_read_begin(st, &txn))
		return -1;
	int n = mailcore_keys_load(txn, N(domain), k, (size_t)max);
	dns_state_read_end(txn);
	return n;
}

static void test_ops(void)
{
	recs_t rs = { 0 };
	dump_t before, after;
	bool same;
	char id[33], pres[200];

	zones_hook_set(mailcore_zone_hook);
	is_int(zone_add("example.com"), 0, "zone example.com added");
	is_int(zone_add("example.net"), 0, "zone example.net added");
	is_int(zone_add("example.org"), 0, "zone example.org added");
	char *g = generated("example.com");
	is_str(g, "", "no mail state: nothing generated");
	free(g);

	/* a mail host in example.com */
	mailcore_host_defaults(&mx1, N("mx1.example.com"));
	v4(&mx1, "192.0.2.10");
	v6(&mx1, "2001:db8::10");
	snprintf(mx1.cert[0], sizeof mx1.cert[0], "/nonexistent/cur.pem");
	snprintf(mx1.cert[1], sizeof mx1.cert[1], "/nonexistent/next.pem");
	memset(mx1.spki[0], 0x11, 32);
	memset(mx1.spki[1], 0x22, 32);
	uint64_t g0 = gen_of("example.com");
	is_int(host_op(MAILCORE_OP_ADD, "mx1.example.com", &mx1), 0, "mail host added");
	ok(gen_of("example.com") > g0, "its zone's generation went up");
	hosts_recs(&rs);
	check_zone("example.com", &rs, "host");
	recs_free(&rs);
	is_int(host_op(MAILCORE_OP_ADD, "mx1.example.com", &mx1), DNS_EEXIST, "added again: "
	       "DNS_EEXIST");
	is_str(err, "mail host mx1.example.com. already exists", "...saying so");
	mailcore_host_t bare;
	mailcore_host_defaults(&bare, N("x"));
	is_int(host_op(MAILCORE_OP_ADD, "mx9.example.com", &bare), DNS_EINVAL,
	       "host in a hosted zone without addresses: DNS_EINVAL");
	is_str(err, "mail host mx9.example.com. is in the hosted zone example.com.: give its "
	       "addresses (--addr), they are published from here", "...saying why");
	g0 = gen_of("example.com");
	is_int(host_op(MAILCORE_OP_SET, "mx1.example.com", &mx1), 0, "host set to the same");
	is_int(gen_of("example.com"), g0, "no change: the generation stays");

	/* a mail domain with the defaults */
	g0 = gen_of("example.com");
	is_int(dom_op(MAILCORE_OP_ADD, "example.com", NULL), 0, "mail domain example.com added");
	ok(gen_of("example.com") > g0, "generation went up");
	mailcore_key_t keys[16];
	int nk = key_states("example.com", keys, 16);
	is_int(nk, 2, "two DKIM keys made");
	char date[16];
	time_t ct = (time_t)(nk > 0 ? keys[0].created : 0);
	struct tm tm;
	gmtime_r(&ct, &tm);
	strftime(date, sizeof date, "%Y%m%d", &tm);
	char sel_ed[40], sel_rsa[40];
	snprintf(sel_ed, sizeof sel_ed, "%s-ed25519", date);
	snprintf(sel_rsa, sizeof sel_rsa, "%s-rsa", date);
	ok(nk == 2 && strcmp(keys[0].selector, sel_ed) == 0 &&
	       strcmp(keys[1].selector, sel_rsa) == 0 && keys[0].state == MAILCORE_KEY_CREATED &&
	       keys[1].state == MAILCORE_KEY_CREATED,
	   "selectors %s and %s, both created (got %s, %s)", sel_ed, sel_rsa,
	   nk > 0 ? keys[0].selector : "", nk > 1 ? keys[1].selector : "");
	rec(&rs, "example.com. 3600 MX 10 mx1.example.com.");
	rec(&rs, "example.com. 3600 TXT \"v=spf1 mx -all\"");
	rec(&rs, "_dmarc.example.com. 3600 TXT \"v=DMARC1; p=quarantine\"");
	dkim_recs("example.com", 3600, &rs);
	hosts_recs(&rs);
	check_zone("example.com", &rs, "default domain");
	recs_free(&rs);
	is_int(dom_op(MAILCORE_OP_ADD, "example.com", NULL), DNS_EEXIST, "added again: DNS_EEXIST");
	is_str(err, "mail domain example.com. already exists", "...saying so");
	is_int(dom_op(MAILCORE_OP_ADD, "example.invalid", NULL), DNS_ENOZONE,
	       "a domain outside every zone: DNS_ENOZONE");
	is_str(err, "mail domain example.invalid. is not inside any hosted zone (add the zone "
	       "first: dnsctl zone add)", "...saying what to do");
	is_int(dom_op(MAILCORE_OP_SET, "example.net", NULL), DNS_ENOMAIL, "set of a domain that "
	       "does not exist: DNS_ENOMAIL");
	is_str(err, "no mail domain example.net.", "...saying so");

	/* changes and non-changes */
	g0 = gen_of("example.com");
	is_int(dom_op(MAILCORE_OP_SET, "example.com", ed_none), 0, "set with no edit");
	is_int(gen_of("example.com"), g0, "no-op: generation unchanged");
	is_int(dom_op(MAILCORE_OP_SET, "example.com", ed_same), 0, "set to the values it has");
	is_int(gen_of("example.com"), g0, "same settings again: generation unchanged");
	is_int(key_states("example.com", keys, 16), 2, "and no new keys");
	uint64_t gnet = gen_of("example.net");
	is_int(dom_op(MAILCORE_OP_SET, "example.com", ed_dmarc), 0, "DMARC reject, reports");
	ok(gen_of("example.com") > g0, "generation of example.com went up");
	ok(gen_of("example.net") > gnet, "so did example.net's: it holds the report authorisation");
	rec(&rs, "example.com. 3600 MX 10 mx1.example.com.");
	rec(&rs, "example.com. 3600 TXT \"v=spf1 mx -all\"");
	rec(&rs, "_dmarc.example.com. 3600 TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@example.net; "
	         "ruf=mailto:fail@example.com; adkim=s; aspf=s\"");
	dkim_recs("example.com", 3600, &rs);
	hosts_recs(&rs);
	check_zone("example.com", &rs, "DMARC");
	recs_free(&rs);
	rec(&rs, "example.com._report._dmarc.example.net. 3600 TXT \"v=DMARC1\"");
	check_zone("example.net", &rs, "DMARC report authorisation");
	recs_free(&rs);
	g0 = gen_of("example.com");
	gnet = gen_of("example.net");
	is_int(dom_op(MAILCORE_OP_SET, "example.com", ed_dmarc), 0, "the same DMARC again");
	ok(gen_of("example.com") == g0 && gen_of("example.net") == gnet,
	   "no-op: neither generation moves");

	/* everything a domain can generate */
	is_int(dom_op(MAILCORE_OP_SET, "example.com", ed_full), 0, "every option set: %s", err);
	sts_id_of("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmax_age: 604800\r\n",
	          id);
	rec(&rs, "example.com. 600 MX 10 mx1.example.com.");
	rec(&rs, "example.com. 600 TXT \"v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 "
	         "ip4:198.51.100.0/24 ~all\"");
	rec(&rs, "_dmarc.example.com. 600 TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@example.net; "
	         "ruf=mailto:fail@example.com; adkim=s; aspf=s\"");
	dkim_recs("example.com", 600, &rs);
	rec(&rs, "_mta-sts.example.com. 600 TXT \"v=STSv1; id=%s\"", id);
	rec(&rs, "_smtp._tls.example.com. 600 TXT \"v=TLSRPTv1; rua=mailto:tls@example.com\"");
	rec(&rs, "_submissions._tcp.example.com. 600 SRV 0 1 465 imap.example.com.");
	rec(&rs, "_submission._tcp.example.com. 600 SRV 0 1 587 imap.example.com.");
	rec(&rs, "_imaps._tcp.example.com. 600 SRV 0 1 993 imap.example.com.");
	rec(&rs, "_imap._tcp.example.com. 600 SRV 0 0 0 .");
	rec(&rs, "_pop3s._tcp.example.com. 600 SRV 0 0 0 .");
	rec(&rs, "_pop3._tcp.example.com. 600 SRV 0 0 0 .");
	rec(&rs, "autoconfig.example.com. 600 CNAME web.example.com.");
	rec(&rs, "autodiscover.example.com. 600 CNAME web.example.com.");
	rec(&rs, "_autodiscover._tcp.example.com. 600 SRV 0 1 443 web.example.com.");
	rec(&rs, "example.com. 600 CAA 0 issue \"letsencrypt.org\"");
	rec(&rs, "example.com. 600 CAA 0 iodef \"mailto:sec@example.com\"");
	hosts_recs(&rs);
	check_zone("example.com", &rs, "every option");
	recs_free(&rs);
	test_texts();

	/* static records against generated ones */
	before = dump();
	is_int(rec_add("example.com", "@", "MX", "5 other.example.net."), DNS_ECONFLICT,
	       "static MX at the mail domain: DNS_ECONFLICT");
	is_str(err, "example.com. MX record conflicts with the MX of mail domain example.com.",
	       "...naming both");
	is_int(rec_add("example.com", "@", "TXT", "\"v=spf1 -all\""), DNS_ECONFLICT,
	       "static SPF at the mail domain: DNS_ECONFLICT");
	is_str(err, "example.com. TXT record conflicts with the SPF of mail domain example.com.",
	       "...naming both");
	is_int(rec_add("example.com", "_dmarc", "TXT", "\"hello\""), DNS_ECONFLICT,
	       "any static TXT at _dmarc: DNS_ECONFLICT");
	is_str(err, "_dmarc.example.com. TXT record conflicts with the DMARC of mail domain "
	       "example.com.", "...naming both");
	is_int(rec_add("example.com", "autoconfig", "A", "192.0.2.80"), DNS_ECONFLICT,
	       "static A beside a generated CNAME: DNS_ECONFLICT");
	ok(strstr(err, "autoconfig.example.com.") && strstr(err, "mail domain example.com."),
	   "...naming both: %s", err);
	is_int(rec_add("example.com", "mx1", "CNAME", "web.example.com."), DNS_ECONFLICT,
	       "static CNAME at a mail host: DNS_ECONFLICT");
	ok(strstr(err, "mx1.example.com. CNAME") && strstr(err, "mail host mx1.example.com."),
	   "...naming both: %s", err);
	after = dump();
	same = dump_same(&before, &after);
	ok(same, "refused records change nothing in the state");
	g0 = gen_of("example.com");
	is_int(rec_add("example.com", "@", "TXT", "\"google-site-verification=abc\""), 0,
	       "a static TXT that is not SPF may share the name: %s", err);
	ok(gen_of("example.com") > g0, "it changed the zone");
	g = generated("example.com");
	ok(strstr(g, "google-site-verification") == NULL, "(it is static, not generated)");
	free(g);

	/* a domain change that would collide: refused, nothing changed */
	is_int(dom_op(MAILCORE_OP_SET, "example.com", ed_no_tlsrpt), 0, "TLS-RPT off");
	is_int(rec_add("example.com", "_smtp._tls", "TXT",
	               "\"v=TLSRPTv1; rua=mailto:x@example.net\""),
	       0, "a static TLS-RPT record where the generated one was");
	before = dump();
	is_int(dom_op(MAILCORE_OP_SET, "example.com", ed_tlsrpt), DNS_ECONFLICT,
	       "TLS-RPT on again: DNS_ECONFLICT");
	is_str(err, "_smtp._tls.example.com. TXT of the static records conflicts with the TLS-RPT "
	       "of mail domain example.com.", "...naming both");
	after = dump();
	same = dump_same(&before, &after);
	ok(same, "the refused change left mail, generated, zones and "
	   "records as they were");
	/* a new domain colliding with a static record */
	is_int(rec_add("example.org", "@", "MX", "10 mail.example.net."), 0, "static MX in "
	       "example.org");
	before = dump();
	is_int(dom_op(MAILCORE_OP_ADD, "example.org", ed_org), DNS_ECONFLICT,
	       "mail domain example.org over it: DNS_ECONFLICT");
	is_str(err, "example.org. MX of the static records conflicts with the MX of mail domain "
	       "example.org.", "...naming both");
	after = dump();
	same = dump_same(&before, &after);
	ok(same, "the refused domain left no trace (no domain, no keys, no "
	   "records)");

	/* removing a zone that holds a mail domain */
	is_int(rec_del("example.org", "@", "MX"), 0, "static MX removed");
	is_int(dom_op(MAILCORE_OP_ADD, "example.org", ed_org), 0,
	       "mail domain example.org added: %s", err);
	g = generated("example.com");
	ok(strstr(g, "example.org._report._dmarc.example.com.") != NULL,
	   "its report authorisation is in example.com");
	free(g);
	before = dump();
	int ret = zones_op_remove(st, N("example.org"));
	ok(ret != 0, "removing the zone of a mail domain is refused (got %d: %s)", ret,
	   zones_op_error());
	after = dump();
	same = dump_same(&before, &after);
	ok(same, "...and changes nothing");
	if (ret == 0 && zone_add("example.org") != 0)
		printf("# could not put example.org back\n");
	is_int(dom_op(MAILCORE_OP_REMOVE, "example.org", NULL), 0, "mail domain removed");
	is_int(key_states("example.org", keys, 16), 0, "with its keys");
	g = generated("example.com");
	ok(strstr(g, "example.org._report._dmarc") == NULL,
	   "its report authorisation left example.com");
	free(g);
	g = generated("example.org");
	is_str(g, "", "nothing generated in example.org any more");
	free(g);
	is_int(zones_op_remove(st, N("example.org")), 0, "then the zone goes: %s",
	       zones_op_error());
	is_int(gen_of("example.org"), 0, "zone gone");
	is_int(count_prefix(DNS_DB_GENERATED, N("example.org")), 0, "no generated records left");
	is_int(count_prefix(DNS_DB_RECORDS, N("example.org")), 0, "no static records left");

	/* generated records follow zones */
	mailcore_host_t sub;
	mailcore_host_defaults(&sub, N("x"));
	v4(&sub, "192.0.2.20");
	is_int(host_op(MAILCORE_OP_ADD, "mx.sub.example.com", &sub), 0, "host mx.sub.example.com");
	g = generated("example.com");
	ok(strstr(g, "mx.sub.example.com.\t3600\tIN\tA\t192.0.2.20") != NULL,
	   "its A record is in example.com");
	free(g);
	g0 = gen_of("example.com");
	is_int(zone_add("sub.example.com"), 0, "zone sub.example.com added");
	g = generated("example.com");
	ok(strstr(g, "mx.sub.example.com") == NULL, "the host's records left example.com");
	free(g);
	ok(gen_of("example.com") > g0, "example.com's generation went up");
	rec(&rs, "mx.sub.example.com. 3600 A 192.0.2.20");
	rec(&rs, "mx.sub.example.com. 3600 TXT \"v=spf1 a -all\"");
	check_zone("sub.example.com", &rs, "moved host");
	recs_free(&rs);
	is_int(zones_op_remove(st, N("sub.example.com")), 0, "zone sub.example.com removed: %s",
	       zones_op_error());
	g = generated("example.com");
	ok(strstr(g, "mx.sub.example.com.\t3600\tIN\tA\t192.0.2.20") != NULL,
	   "the host's A record is back in example.com");
	free(g);
	is_int(count_prefix(DNS_DB_GENERATED, N("sub.example.com")), 0,
	       "nothing left under the removed zone");

	/* the DKIM timer through the state, with its clock and probe injected */
	mailcore_domain_t d;
	dns_state_txn_t *txn;
	if (dns_state_read_begin(st, &txn) == 0) {
		if (mailcore_domain_get(txn, N("example.com"), &d))
			d.ttl = 0;
		dns_state_read_end(txn);
	}
	nk = key_states("example.com", keys, 16);
	int64_t t = 0, next = 0;
	for (int i = 0; i < nk; i++)
		t = keys[i].created > t ? keys[i].created : t;
	int probes = 0;
	is_int(mailcore_dkim_tick(st, t + 10, probe_yes, &probes, &next), 0, "tick: keys served");
	is_int(probes, 2, "both created keys probed");
	nk = key_states("example.com", keys, 16);
	ok(nk == 2 && keys[0].state == MAILCORE_KEY_PUBLISHED &&
	       keys[1].state == MAILCORE_KEY_PUBLISHED,
	   "both published");
	is_int(next, t + 10 + d.ttl, "next tick: one TTL (%u s) later", d.ttl);
	probes = 0;
	is_int(mailcore_dkim_tick(st, t + 10 + d.ttl, probe_yes, &probes, &next), 0, "tick");
	nk = key_states("example.com", keys, 16);
	ok(nk == 2 && keys[0].state == MAILCORE_KEY_ACTIVE &&
	       keys[1].state == MAILCORE_KEY_ACTIVE && probes == 0,
	   "both active; nothing probed");
	is_int(next, t + 10 + d.ttl + d.dkim_rotate, "next tick: the rotation");
	/* RSA out of the policy: it retires now (real time), then revokes, then goes */
	is_int(dom_op(MAILCORE_OP_SET, "example.com", ed_ed25519_only), 0, "DKIM Ed25519 only");
	nk = key_states("example.com", keys, 16);
	ok(nk == 2 && keys[1].state == MAILCORE_KEY_RETIRED, "the RSA key retired");
	int64_t r = nk == 2 ? keys[1].retired : 0;
	is_int(mailcore_dkim_tick(st, r + 7 * DAY, probe_yes, &probes, &next), 0, "tick a week on");
	nk = key_states("example.com", keys, 16);
	ok(nk == 2 && keys[1].state == MAILCORE_KEY_REVOKED, "the RSA key revoked");
	txt_pres("v=DKIM1; k=rsa; p=", pres, sizeof pres);
	g = generated("example.com");
	char want_line[300];
	snprintf(want_line, sizeof want_line, "%s._domainkey.example.com.\t600\tIN\tTXT\t%s",
	         sel_rsa, pres);
	ok(strstr(g, want_line) != NULL, "its TXT now has an empty p=");
	free(g);
	is_int(mailcore_dkim_tick(st, r + 14 * DAY, probe_yes, &probes, &next), 0,
	       "tick another week on");
	nk = key_states("example.com", keys, 16);
	is_int(nk, 1, "the revoked RSA key is removed from the state");
	g = generated("example.com");
	ok(strstr(g, sel_rsa) == NULL, "and its TXT from the zone");
	free(g);
}

int main(void)
{
	dns_log_level_set(DNS_LOG_WARNING); /* the DKIM timer's progress is not news here */
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_mailstate.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	char dir[128];
	dns_state_t *sa;
	snprintf(dir, sizeof dir, "%s/store", tmpdir);
	if (dns_state_open(dir, false, &sa)) {
		printf("Bail out! cannot open %s\n", dir);
		return 1;
	}
	test_roundtrip(sa);
	test_schema(sa);
	int each[2] = { 0, 0 };
	is_int(dns_state_write(sa, each_bad_txn, each), 1, "damaged values in a listing");
	is_int(each[0], DNS_ESCHEMA, "domain_each over a damaged domain: DNS_ESCHEMA");
	is_int(each[1], DNS_ESCHEMA, "host_each over a host of version 2: DNS_ESCHEMA");
	dns_state_close(sa);

	snprintf(dir, sizeof dir, "%s/ops", tmpdir);
	if (dns_state_open(dir, false, &st)) {
		printf("Bail out! cannot open %s\n", dir);
		return 1;
	}
	test_ops();
	dns_state_close(st);

	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return tap_done();
}
