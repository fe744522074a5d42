/* SPDX-License-Identifier: MIT */
/*
 * dnsctl's mail verbs. Each is one LMDB write transaction that changes the
 * mail state, creates or retires DKIM keys as the policy asks, and
 * regenerates the records of the zones concerned: all of it or nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mailcore/mailcore_int.h"

void mailcore_domain_defaults(mailcore_domain_t *d, const uint8_t *name)
{
	memset(d, 0, sizeof *d);
	memcpy(d->name, name, zones_name_len(name, ZONES_NAME_MAX));
	d->ttl = 3600;
	d->dmarc = MAILCORE_DMARC_QUARANTINE;
	d->sts_max_age = 604800; /* one week, RFC 8461 3.2 allows up to a year */
	d->dkim_algs = MAILCORE_DKIM_RSA | MAILCORE_DKIM_ED25519; /* RFC 8463 8: sign with both */
	d->dkim_rotate = 90 * 86400;
	d->dkim_retire = 7 * 86400;
	d->dkim_revoke = 7 * 86400;
}

void mailcore_host_defaults(mailcore_host_t *h, const uint8_t *name)
{
	memset(h, 0, sizeof *h);
	memcpy(h->name, name, zones_name_len(name, ZONES_NAME_MAX));
	h->pref = 10;
	h->ttl = 3600;
}

/* A growing list of zone apexes to render again. */
typedef struct {
	uint8_t (*t)[ZONES_NAME_MAX];
	size_t n, cap;
} tlist_t;

/* Add the zone holding \p name, if any. \retval 1 added, 0 none, < 0 error */
static int tlist_zone_of(dns_state_txn_t *txn, tlist_t *tl, const uint8_t *name)
{
	if (tl->n == tl->cap) {
		size_t nc = tl->cap ? 2 * tl->cap : 8;
		void *p = realloc(tl->t, nc * sizeof *tl->t);
		if (!p)
			return DNS_ENOMEM;
		tl->t = p;
		tl->cap = nc;
	}
	int ret = mailcore_zone_of(txn, name, tl->t[tl->n]);
	if (ret == DNS_ENOZONE)
		return 0;
	if (ret)
		return ret;
	tl->n++;
	return 1;
}

/* Render the listed zones again. */
static int tlist_sync(dns_state_txn_t *txn, tlist_t *tl, char *err, size_t errlen)
{
	int ret = 0;
	if (tl->n) {
		const uint8_t **tp = malloc(tl->n * sizeof *tp);
		if (!tp)
			return DNS_ENOMEM;
		for (size_t i = 0; i < tl->n; i++)
			tp[i] = tl->t[i];
		ret = mailcore_sync(txn, tp, tl->n, err, errlen);
		free(tp);
	}
	free(tl->t);
	tl->t = NULL;
	tl->n = tl->cap = 0;
	return ret;
}

/* The zones holding the report domains of a rua/ruf list. */
static int tlist_reports(dns_state_txn_t *txn, tlist_t *tl, const char *list)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		char one[MAILCORE_TEXT];
		snprintf(one, sizeof one, "%.*s", (int)len, p);
		p += len + (p[len] == ',');
		uint8_t rd[ZONES_NAME_MAX];
		int ret = mailcore_addr_domain(one, rd) == 0 ? tlist_zone_of(txn, tl, rd) : 0;
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Bring a domain's keys in line with its policy now (no key is seen served
 * yet: that is the DKIM timer's job in dnsd). */
static int keys_apply(dns_state_txn_t *txn, const mailcore_domain_t *d, int64_t now,
                      uint8_t force)
{
	mailcore_key_t *keys = malloc(MC_MAX_KEYS * sizeof *keys);
	if (!keys)
		return DNS_ENOMEM;
	int n = mailcore_keys_load(txn, d->name, keys, MC_MAX_KEYS);
	int ret = n < 0 ? n : 0;
	if (ret == 0) {
		bool served[MC_MAX_KEYS] = { false };
		mailcore_dkim_plan_t plan;
		mailcore_dkim_plan(keys, (size_t)n, d, served, now, &plan);
		for (int i = 0; i < n && ret == 0; i++)
			ret = plan.drop[i] ? mailcore_key_del(txn, &keys[i])
			                   : plan.changed ? mailcore_key_put(txn, &keys[i]) : 0;
		ret = ret ? ret : mc_keys_create(txn, d, keys, (size_t)n, plan.create | force, now);
	}
	free(keys);
	return ret;
}

typedef struct {
	mailcore_op_t op;
	const uint8_t *const *names;
	size_t n;
	int (*dapply)(mailcore_domain_t *d, void *arg, char *err, size_t errlen);
	int (*happly)(mailcore_host_t *h, void *arg, char *err, size_t errlen);
	void *arg;
	char *err;
	size_t errlen;
	int64_t now;
} op_ctx_t;

static int domain_txn(dns_state_txn_t *txn, void *arg)
{
	op_ctx_t *o = arg;
	tlist_t tl = { 0 };
	int ret = 0;
	for (size_t i = 0; i < o->n && ret == 0; i++) {
		mailcore_domain_t d, old;
		char nm[1024];
		int g = mailcore_domain_get(txn, o->names[i], &old);
		mc_name(o->names[i], nm);
		if (g && g != DNS_ENOMAIL) {
			ret = g;
			break;
		}
		if (o->op == MAILCORE_OP_ADD && g == 0) {
			snprintf(o->err, o->errlen, "mail domain %s already exists", nm);
			ret = DNS_EEXIST;
			break;
		}
		if (o->op != MAILCORE_OP_ADD && g) {
			snprintf(o->err, o->errlen, "no mail domain %s", nm);
			ret = DNS_ENOMAIL;
			break;
		}
		/* the zones its records are in now and will be in (report
		 * authorisations may sit in another hosted zone) */
		if ((ret = tlist_zone_of(txn, &tl, o->names[i])) < 0)
			break;
		if (o->op == MAILCORE_OP_ADD && ret == 0) {
			snprintf(o->err, o->errlen, "mail domain %s is not inside any hosted zone "
			         "(add the zone first: dnsctl zone add)", nm);
			ret = DNS_ENOZONE;
			break;
		}
		if (g == 0 && ((ret = tlist_reports(txn, &tl, old.rua)) != 0 ||
		               (ret = tlist_reports(txn, &tl, old.ruf)) != 0))
			break;
		d = old;
		if (o->op == MAILCORE_OP_REMOVE) {
			ret = mc_domain_del(txn, o->names[i]);
			continue;
		}
		if (o->op == MAILCORE_OP_ADD)
			mailcore_domain_defaults(&d, o->names[i]);
		if ((ret = o->dapply(&d, o->arg, o->err, o->errlen)) != 0)
			break;
		for (size_t k = 0; k < d.nmx && ret == 0; k++) {
			mailcore_host_t h;
			if ((ret = mailcore_host_get(txn, d.mx[k], &h)) == DNS_ENOHOST) {
				char hn[1024];
				snprintf(o->err, o->errlen, "%s is not a mail host (add it first: "
				         "dnsctl mail host add %s --addr ...)", mc_name(d.mx[k], hn), hn);
			}
		}
		if (ret == 0 && (ret = tlist_reports(txn, &tl, d.rua)) == 0 &&
		    (ret = tlist_reports(txn, &tl, d.ruf)) == 0 &&
		    (ret = mailcore_domain_put(txn, &d)) == 0)
			ret = keys_apply(txn, &d, o->now, 0);
	}
	if (ret == 0)
		return tlist_sync(txn, &tl, o->err, o->errlen);
	free(tl.t);
	return ret;
}

int mailcore_op_domain(dns_state_t *st, mailcore_op_t op, const uint8_t *const *names, size_t n,
                       int (*apply)(mailcore_domain_t *d, void *arg, char *err, size_t errlen),
                       void *arg, char *err, size_t errlen)
{
	op_ctx_t o = { .op = op, .names = names, .n = n, .dapply = apply, .arg = arg, .err = err,
	               .errlen = errlen, .now = (int64_t)time(NULL) };
	err[0] = 0;
	return dns_state_write(st, domain_txn, &o);
}

/* Every zone whose records can depend on a host: its own, and those of the
 * domains that use it (MX, SPF ip4/ip6, MTA-STS policy). */
struct users_ctx {
	const uint8_t *host;
	dns_state_txn_t *txn;
	uint8_t (*t)[ZONES_NAME_MAX];
	size_t n, cap;
};

static int users_one(const mailcore_domain_t *d, void *arg)
{
	struct users_ctx *u = arg;
	bool uses = d->nmx == 0;
	for (size_t k = 0; k < d->nmx; k++)
		uses |= zones_name_cmp(d->mx[k], u->host) == 0;
	if (!uses || d->no_mail)
		return 0;
	if (u->n == u->cap) {
		size_t nc = u->cap ? 2 * u->cap : 16;
		void *p = realloc(u->t, nc * sizeof *u->t);
		if (!p)
			return DNS_ENOMEM;
		u->t = p;
		u->cap = nc;
	}
	int ret = mailcore_zone_of(u->txn, d->name, u->t[u->n]);
	if (ret == 0)
		u->n++;
	return ret == DNS_ENOZONE ? 0 : ret;
}

static int users_named(const mailcore_domain_t *d, void *arg)
{
	struct users_ctx *u = arg;
	for (size_t k = 0; k < d->nmx; k++)
		if (zones_name_cmp(d->mx[k], u->host) == 0) {
			char nm[1024], hn[1024];
			snprintf((char *)u->t, 1200, "mail host %s is an MX of mail domain %s "
			         "(change that first: dnsctl mail domain set %s --mx ...)",
			         mc_name(u->host, hn), mc_name(d->name, nm), nm);
			return DNS_EINUSE;
		}
	return 0;
}

static int host_txn(dns_state_txn_t *txn, void *arg)
{
	op_ctx_t *o = arg;
	const uint8_t *name = o->names[0];
	mailcore_host_t h;
	char nm[1024];
	mc_name(name, nm);
	int ret = mailcore_host_get(txn, name, &h);
	if (ret && ret != DNS_ENOHOST)
		return ret;
	if (o->op == MAILCORE_OP_ADD && ret == 0) {
		snprintf(o->err, o->errlen, "mail host %s already exists", nm);
		return DNS_EEXIST;
	}
	if (o->op != MAILCORE_OP_ADD && ret) {
		snprintf(o->err, o->errlen, "no mail host %s", nm);
		return DNS_ENOHOST;
	}
	struct users_ctx u = { name, txn, NULL, 0, 0 };
	if (o->op == MAILCORE_OP_REMOVE) {
		char msg[1200];
		u.t = (void *)msg;
		ret = mailcore_domain_each(txn, users_named, &u);
		if (ret == DNS_EINUSE)
			snprintf(o->err, o->errlen, "%s", msg);
		u.t = NULL;
		if (ret == 0)
			ret = mc_host_del(txn, name);
	} else {
		if (o->op == MAILCORE_OP_ADD)
			mailcore_host_defaults(&h, name);
		if ((ret = o->happly(&h, o->arg, o->err, o->errlen)) != 0)
			return ret;
		uint8_t apex[ZONES_NAME_MAX];
		ret = mailcore_zone_of(txn, name, apex);
		if (ret == DNS_ENOZONE && h.n4 == 0 && h.n6 == 0) {
			snprintf(o->err, o->errlen, "mail host %s is outside every hosted zone: give its "
			         "addresses (--addr) so that SPF and checks can use them", nm);
			return DNS_EINVAL;
		}
		if (ret == 0 && h.n4 == 0 && h.n6 == 0) {
			char an[1024];
			snprintf(o->err, o->errlen, "mail host %s is in the hosted zone %s: give its "
			         "addresses (--addr), they are published from here", nm,
			         mc_name(apex, an));
			return DNS_EINVAL;
		}
		if (ret && ret != DNS_ENOZONE)
			return ret;
		ret = mailcore_host_put(txn, &h);
	}
	if (ret == 0)
		ret = mailcore_domain_each(txn, users_one, &u);
	if (ret == 0) {
		const uint8_t **tp = malloc((u.n + 1) * sizeof *tp);
		uint8_t own[ZONES_NAME_MAX];
		size_t nt = 0;
		if (!tp)
			ret = DNS_ENOMEM;
		for (size_t i = 0; i < u.n && tp; i++)
			tp[nt++] = u.t[i];
		if (tp && mailcore_zone_of(txn, name, own) == 0)
			tp[nt++] = own;
		if (ret == 0 && nt)
			ret = mailcore_sync(txn, tp, nt, o->err, o->errlen);
		free(tp);
	}
	free(u.t);
	return ret;
}

int mailcore_op_host(dns_state_t *st, mailcore_op_t op, const uint8_t *name,
                     int (*apply)(mailcore_host_t *h, void *arg, char *err, size_t errlen),
                     void *arg, char *err, size_t errlen)
{
	const uint8_t *names[1] = { name };
	op_ctx_t o = { .op = op, .names = names, .n = 1, .happly = apply, .arg = arg, .err = err,
	               .errlen = errlen, .now = (int64_t)time(NULL) };
	err[0] = 0;
	return dns_state_write(st, host_txn, &o);
}

static int rotate_txn(dns_state_txn_t *txn, void *arg)
{
	op_ctx_t *o = arg;
	mailcore_domain_t d;
	char nm[1024];
	int ret = mailcore_domain_get(txn, o->names[0], &d);
	if (ret == DNS_ENOMAIL)
		snprintf(o->err, o->errlen, "no mail domain %s", mc_name(o->names[0], nm));
	if (ret)
		return ret;
	if (!d.dkim_algs) {
		snprintf(o->err, o->errlen, "mail domain %s has DKIM off", mc_name(d.name, nm));
		return DNS_EINVAL;
	}
	mailcore_key_t *keys = malloc(MC_MAX_KEYS * sizeof *keys);
	if (!keys)
		return DNS_ENOMEM;
	int n = mailcore_keys_load(txn, d.name, keys, MC_MAX_KEYS);
	uint8_t pending = 0;
	for (int i = 0; i < n; i++)
		if (keys[i].state <= MAILCORE_KEY_PUBLISHED)
			pending |= keys[i].alg;
	free(keys);
	if (n < 0)
		return n;
	if (pending & d.dkim_algs) {
		snprintf(o->err, o->errlen, "mail domain %s: a DKIM rollover is already under way "
		         "(see dnsctl mail dkim list)", mc_name(d.name, nm));
		return DNS_EEXIST;
	}
	if ((ret = keys_apply(txn, &d, o->now, d.dkim_algs)) != 0)
		return ret;
	uint8_t apex[ZONES_NAME_MAX];
	const uint8_t *tp[1] = { apex };
	if ((ret = mailcore_zone_of(txn, d.name, apex)) != 0)
		return ret;
	return mailcore_sync(txn, tp, 1, o->err, o->errlen);
}

int mailcore_op_dkim_rotate(dns_state_t *st, const uint8_t *domain, char *err, size_t errlen)
{
	const uint8_t *names[1] = { domain };
	op_ctx_t o = { .names = names, .n = 1, .err = err, .errlen = errlen,
	               .now = (int64_t)time(NULL) };
	err[0] = 0;
	return dns_state_write(st, rotate_txn, &o);
}

static int refresh_txn(dns_state_txn_t *txn, void *arg)
{
	op_ctx_t *o = arg;
	mailcore_hosts_t hs;
	int ret = mailcore_hosts_load(txn, &hs);
	for (size_t i = 0; i < hs.n && ret == 0; i++) {
		mailcore_host_t *h = &hs.h[i];
		bool changed = false;
		for (int c = 0; c < 2 && ret == 0; c++) {
			uint8_t spki[32];
			if (!h->cert[c][0])
				continue;
			char nm[1024], e[600];
			if ((ret = mailcore_cert_spki(h->cert[c], spki, e, sizeof e)) != 0) {
				snprintf(o->err, o->errlen, "mail host %s: %s", mc_name(h->name, nm), e);
				break;
			}
			changed |= memcmp(spki, h->spki[c], 32) != 0;
			memcpy(h->spki[c], spki, 32);
		}
		if (ret == 0 && changed)
			ret = mailcore_host_put(txn, h);
	}
	mailcore_hosts_free(&hs);
	/* TLSA records of every zone: cheap, and a sync writes only what differs */
	return ret ? ret : mailcore_sync(txn, NULL, 0, o->err, o->errlen);
}

int mailcore_op_tls_refresh(dns_state_t *st, char *err, size_t errlen)
{
	op_ctx_t o = { .err = err, .errlen = errlen };
	err[0] = 0;
	return dns_state_write(st, refresh_txn, &o);
}

static int any_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	(void)k, (void)kl, (void)v, (void)vl;
	*(bool *)arg = true;
	return 1;
}

/* Is there any mail domain or host at all? (zones come and go in bulk before
 * any mail is configured: then there is nothing to render) */
static int mail_any(dns_state_txn_t *txn, bool *any)
{
	*any = false;
	int ret = dns_state_scan(txn, DNS_DB_MAIL, "D", 1, any_one, any);
	if (ret == 0 && !*any)
		ret = dns_state_scan(txn, DNS_DB_MAIL, "H", 1, any_one, any);
	return ret;
}

struct orphan_ctx {
	dns_state_txn_t *txn;
	const uint8_t *apex;
	char *err;
	size_t errlen;
};

/* A mail domain left outside every zone by a zone removal. */
static int orphan_one(const mailcore_domain_t *d, void *arg)
{
	struct orphan_ctx *oc = arg;
	uint8_t apex[ZONES_NAME_MAX];
	if (!zones_name_is_sub(d->name, oc->apex) || mailcore_zone_of(oc->txn, d->name, apex) == 0)
		return 0;
	char zn[1024], dn[1024];
	snprintf(oc->err, oc->errlen, "cannot remove zone %s: mail domain %s is in it (remove the "
	         "mail domain first: dnsctl mail domain remove %s)", mc_name(oc->apex, zn),
	         mc_name(d->name, dn), dn);
	return DNS_EINUSE;
}

int mailcore_zone_hook(dns_state_txn_t *txn, const uint8_t *apex, bool removed, char *err,
                       size_t errlen)
{
	bool any;
	int r = mail_any(txn, &any);
	if (r || !any)
		return r;
	/* records of names at or below the zone move between it and the zone
	 * above it; both are rendered again */
	uint8_t parent[ZONES_NAME_MAX];
	const uint8_t *tp[2] = { apex, parent };
	size_t nt = 1;
	if (*apex && mailcore_zone_of(txn, apex + 1 + *apex, parent) == 0)
		nt = 2;
	if (removed) {
		struct orphan_ctx oc = { txn, apex, err, errlen };
		if ((r = mailcore_domain_each(txn, orphan_one, &oc)) != 0)
			return r;
	}
	return mailcore_sync(txn, tp, nt, err, errlen);
}
