/* SPDX-License-Identifier: MIT */
/*
 * mailcore/dkim.c: the DKIM timing (mailcore_dkim_plan), a pure function of
 * the keys, the policy, the time and what is served. The life of a domain is
 * simulated over a year with an injected clock, applying each plan the way
 * dnsd's timer does (tick_txn), and the lifecycle rules are checked at every
 * step; then the corner cases one by one.
 */
#include <stdarg.h>
#include <stdlib.h>
#include "tests/tap.h"
#include "mailcore/mailcore.h"

#define MINUTE 60
#define HOUR 3600
#define DAY 86400
#define T0 1767225600 /* 2026-01-01 00:00:00 UTC */
#define MAXK 16       /* keys the plan looks at */
#define RSA MAILCORE_DKIM_RSA
#define ED MAILCORE_DKIM_ED25519
#define BOTH (RSA | ED)

static uint8_t apex[ZONES_NAME_MAX];

static void domain(mailcore_domain_t *d, uint8_t algs)
{
	mailcore_domain_defaults(d, apex);
	d->dkim_algs = algs;
}

/* The plan never reads key material: bare keys are enough. */
static void key(mailcore_key_t *k, uint8_t alg, int state, int64_t created, const char *sel)
{
	memset(k, 0, sizeof *k);
	memcpy(k->domain, apex, zones_name_len(apex, ZONES_NAME_MAX));
	snprintf(k->selector, sizeof k->selector, "%s", sel);
	k->alg = alg;
	k->state = (uint8_t)state;
	k->created = created;
}

static int count(const mailcore_key_t *k, size_t n, int alg, int state)
{
	int c = 0;
	for (size_t i = 0; i < n; i++)
		c += k[i].alg == alg && k[i].state == state;
	return c;
}

static bool any_drop(const mailcore_dkim_plan_t *p)
{
	for (int i = 0; i < MAXK; i++)
		if (p->drop[i])
			return true;
	return false;
}

static bool quiet(const mailcore_dkim_plan_t *p)
{
	return !p->changed && !p->create && !any_drop(p);
}

static const bool none[MAXK];
static const bool all[MAXK] = { true, true, true, true, true, true, true, true,
	                        true, true, true, true, true, true, true, true };

/* ---- the simulation ----------------------------------------------------------------- */

typedef struct {
	const char *name;
	uint8_t algs;
	uint32_t ttl, rotate, retire, revoke;
	int64_t days, step;          /* how long, and the timer's longest sleep */
	int64_t maxdelay;            /* a new key is served 1 min .. maxdelay after creation */
	/* seconds after T0 during which nothing gets served (a secondary is down) */
	int64_t outage_from, outage_to;
	uint8_t never;               /* algorithms whose keys are never served */
	int gen_min, gen_max;        /* activations per served algorithm */
	unsigned seed;
} sim_t;

typedef struct {
	uint8_t alg;
	int64_t created, serve_at, published, active, retired, revoked, dropped;
} life_t;

enum {
	I_ONE, I_SERVED, I_PUBLISH, I_ACTIVATE, I_GAP, I_RETIRE, I_REVOKE, I_DROP, I_ORDER,
	I_CREATE, I_NEXT, I_WAIT, I_CHANGED, I_IDEM, I_EARLIEST, I_MAX, NINV
};

static const char *const inv_what[NINV] = {
	[I_ONE] = "(a) never more than one active key per algorithm",
	[I_SERVED] = "(c) a key not seen served stays created",
	[I_PUBLISH] = "a served created key becomes published, at the time it is seen",
	[I_ACTIVATE] = "(b) a key becomes active exactly one TTL after it was published",
	[I_GAP] = "(d) after its first activation an algorithm always has one active key",
	[I_RETIRE] = "an active key retires exactly when its successor becomes active",
	[I_REVOKE] = "(e) a retired key is revoked exactly dkim_retire after retiring",
	[I_DROP] = "(e) a revoked key is dropped exactly dkim_revoke after revocation",
	[I_ORDER] = "states only move forward",
	[I_CREATE] = "a successor is asked for exactly when due, and only one at a time",
	[I_NEXT] = "(g) plan.next is in the future",
	[I_WAIT] = "plan.waiting says whether a created key waits",
	[I_CHANGED] = "plan.changed says whether a key changed state",
	[I_IDEM] = "planning again at the same time changes nothing",
	[I_EARLIEST] = "(g) plan.next is the earliest event: nothing at next-1, something at next",
	[I_MAX] = "the key count stays bounded (below what mc_keys_create accepts)",
};

typedef struct {
	int bad;
	char first[400];
} inv_t;

static inv_t inv[NINV];
static int64_t sim_now;

static void __attribute__((format(printf, 2, 3))) violate(int which, const char *fmt, ...)
{
	if (inv[which].bad++)
		return;
	va_list ap;
	va_start(ap, fmt);
	int o = snprintf(inv[which].first, sizeof inv[which].first, "t=T0+%.4fd: ",
	                 (double)(sim_now - T0) / DAY);
	vsnprintf(inv[which].first + o, sizeof inv[which].first - (size_t)o, fmt, ap);
	va_end(ap);
}

static uint64_t rng_state;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static bool in_outage(const sim_t *s, int64_t now)
{
	return s->outage_to > s->outage_from && now >= T0 + s->outage_from &&
	       now < T0 + s->outage_to;
}

static life_t life[4096];
static int nlife;

static int key_id(const mailcore_key_t *k)
{
	return atoi(k->selector + 1);
}

static void sim_create(const sim_t *s, mailcore_key_t *keys, size_t *n, uint8_t alg, int64_t now)
{
	if (*n >= MAXK || nlife >= (int)(sizeof life / sizeof *life)) {
		violate(I_MAX, "no room for a new key (%zu keys)", *n);
		return;
	}
	char sel[16];
	snprintf(sel, sizeof sel, "k%d", nlife);
	key(&keys[(*n)++], alg, MAILCORE_KEY_CREATED, now, sel);
	life_t *l = &life[nlife++];
	memset(l, 0, sizeof *l);
	l->alg = alg;
	l->created = now;
	l->serve_at = (s->never & alg) ? INT64_MAX
	                               : now + MINUTE + (int64_t)(rng() % (uint64_t)s->maxdelay);
}

/* The checks on one step: \p prev before the plan, \p keys after it. */
static void sim_check(const sim_t *s, const mailcore_domain_t *d, const mailcore_key_t *prev,
                      const mailcore_key_t *keys, size_t n, const bool *served,
                      const mailcore_dkim_plan_t *p, int64_t now, int64_t *first_active)
{
	bool changed = false, waiting = false;
	for (size_t i = 0; i < n; i++) {
		const mailcore_key_t *k = &keys[i];
		int ps = prev[i].state, ns = k->state;
		life_t *l = &life[key_id(k)];
		changed |= ps != ns;
		if (ns < ps)
			violate(I_ORDER, "%s went back from %s to %s", k->selector,
			        mailcore_key_state_name(ps), mailcore_key_state_name(ns));
		if (ps == MAILCORE_KEY_CREATED && !served[i] && ns != MAILCORE_KEY_CREATED)
			violate(I_SERVED, "%s became %s without being served", k->selector,
			        mailcore_key_state_name(ns));
		if (ps == MAILCORE_KEY_CREATED && served[i] && ns != MAILCORE_KEY_PUBLISHED)
			violate(I_PUBLISH, "%s served but %s", k->selector,
			        mailcore_key_state_name(ns));
		if (ps == MAILCORE_KEY_CREATED && ns == MAILCORE_KEY_PUBLISHED) {
			if (k->published != now)
				violate(I_PUBLISH, "%s published=%lld at %lld", k->selector,
				        (long long)k->published, (long long)now);
			l->published = now;
		}
		if (ns == MAILCORE_KEY_ACTIVE && ps != MAILCORE_KEY_ACTIVE) {
			if (ps != MAILCORE_KEY_PUBLISHED || k->active != now ||
			    k->published != l->published || now != l->published + d->ttl)
				violate(I_ACTIVATE,
				        "%s active at %lld (was %s, seen published %lld, TTL %u)",
				        k->selector, (long long)now, mailcore_key_state_name(ps),
				        (long long)l->published, d->ttl);
			l->active = now;
			if (!first_active[k->alg])
				first_active[k->alg] = now;
		}
		if (ps == MAILCORE_KEY_ACTIVE && ns >= MAILCORE_KEY_RETIRED) {
			bool successor = false;
			for (size_t j = 0; j < n; j++)
				successor |= j != i && keys[j].alg == k->alg &&
				             keys[j].state == MAILCORE_KEY_ACTIVE &&
				             keys[j].active == now;
			if (!successor || k->retired != now)
				violate(I_RETIRE,
				        "%s retired at %lld (retired=%lld) with%s a successor "
				        "becoming active",
				        k->selector, (long long)now, (long long)k->retired,
				        successor ? "" : "out");
			l->retired = now;
		}
		if (ps < MAILCORE_KEY_ACTIVE && ns >= MAILCORE_KEY_RETIRED)
			violate(I_RETIRE, "%s went from %s to %s", k->selector,
			        mailcore_key_state_name(ps), mailcore_key_state_name(ns));
		if (ns == MAILCORE_KEY_RETIRED && now >= k->retired + s->retire)
			violate(I_REVOKE, "%s still retired %lld s after retiring", k->selector,
			        (long long)(now - k->retired));
		if (ns == MAILCORE_KEY_REVOKED && ps != MAILCORE_KEY_REVOKED) {
			if (k->revoked != now || now != k->retired + s->retire)
				violate(I_REVOKE,
				        "%s revoked at %lld, retired at %lld, dkim_retire %u",
				        k->selector, (long long)now, (long long)k->retired,
				        s->retire);
			l->revoked = now;
		}
		if (p->drop[i]) {
			if (ns != MAILCORE_KEY_REVOKED || now != k->revoked + s->revoke)
				violate(I_DROP,
				        "%s (%s) dropped at %lld, revoked %lld, dkim_revoke %u",
				        k->selector, mailcore_key_state_name(ns), (long long)now,
				        (long long)k->revoked, s->revoke);
			l->dropped = now;
		} else if (ns == MAILCORE_KEY_REVOKED && now >= k->revoked + s->revoke) {
			violate(I_DROP, "%s kept %lld s after revocation", k->selector,
			        (long long)(now - k->revoked));
		}
		waiting |= !p->drop[i] && ns == MAILCORE_KEY_CREATED;
	}
	for (int alg = RSA; alg <= ED; alg <<= 1) {
		if (!(d->dkim_algs & alg)) {
			if (p->create & alg || count(keys, n, alg, MAILCORE_KEY_ACTIVE))
				violate(I_CREATE, "%s is out of the policy",
				        mailcore_alg_name(alg));
			continue;
		}
		int active = count(keys, n, alg, MAILCORE_KEY_ACTIVE);
		int pending = count(keys, n, alg, MAILCORE_KEY_CREATED) +
		              count(keys, n, alg, MAILCORE_KEY_PUBLISHED);
		if (active > 1)
			violate(I_ONE, "%d active %s keys", active, mailcore_alg_name(alg));
		if (first_active[alg] && active != 1)
			violate(I_GAP, "%d active %s keys", active, mailcore_alg_name(alg));
		if (pending > 1)
			violate(I_CREATE, "%d %s successors pending", pending,
			        mailcore_alg_name(alg));
		int64_t newest = -1;
		for (size_t i = 0; i < n; i++)
			if (keys[i].alg == alg && keys[i].state == MAILCORE_KEY_ACTIVE)
				newest = keys[i].active;
		bool due = pending == 0 && (newest < 0 || now >= newest + s->rotate);
		if (((p->create & alg) != 0) != due)
			violate(I_CREATE, "create %s=%d, pending %d, newest active %lld",
			        mailcore_alg_name(alg), (p->create & alg) != 0, pending,
			        (long long)newest);
	}
	if (p->next && p->next <= now)
		violate(I_NEXT, "next %lld is not after now %lld", (long long)p->next,
		        (long long)now);
	if (p->waiting != waiting)
		violate(I_WAIT, "waiting=%d, created keys waiting=%d", p->waiting, waiting);
	if (p->changed != changed)
		violate(I_CHANGED, "changed=%d, some key changed=%d", p->changed, changed);
}

/* After applying: the plan of the new keys, now and just before/at next. */
static void sim_recheck(const mailcore_domain_t *d, const mailcore_key_t *keys, size_t n,
                        const mailcore_dkim_plan_t *p, int64_t now)
{
	mailcore_key_t tmp[MAXK];
	mailcore_dkim_plan_t q;
	memcpy(tmp, keys, n * sizeof *keys);
	mailcore_dkim_plan(tmp, n, d, none, now, &q);
	if (!quiet(&q) || q.next != p->next)
		violate(I_IDEM,
		        "again at the same time: changed=%d create=%d drop=%d next %lld/%lld",
		        q.changed, q.create, any_drop(&q), (long long)q.next, (long long)p->next);
	if (!p->next)
		return;
	if (p->next > now + 1) {
		memcpy(tmp, keys, n * sizeof *keys);
		mailcore_dkim_plan(tmp, n, d, none, p->next - 1, &q);
		if (!quiet(&q))
			violate(I_EARLIEST,
			        "something happens at next-1 (changed=%d create=%d drop=%d)",
			        q.changed, q.create, any_drop(&q));
	}
	memcpy(tmp, keys, n * sizeof *keys);
	mailcore_dkim_plan(tmp, n, d, none, p->next, &q);
	if (quiet(&q))
		violate(I_EARLIEST, "nothing happens at next %lld", (long long)p->next);
}

static void simulate(const sim_t *s)
{
	mailcore_domain_t d;
	domain(&d, s->algs);
	d.ttl = s->ttl;
	d.dkim_rotate = s->rotate;
	d.dkim_retire = s->retire;
	d.dkim_revoke = s->revoke;
	memset(inv, 0, sizeof inv);
	nlife = 0;
	rng_state = 0x9e3779b97f4a7c15ull ^ s->seed;
	mailcore_key_t keys[MAXK], prev[MAXK];
	size_t n = 0;
	int64_t first_active[ED + 1] = { 0 };
	int64_t end = T0 + s->days * DAY;
	long steps = 0;
	for (int64_t now = T0; now <= end; steps++) {
		sim_now = now;
		bool served[MAXK];
		for (size_t i = 0; i < n; i++)
			served[i] = keys[i].state == MAILCORE_KEY_CREATED && !in_outage(s, now) &&
			            now >= life[key_id(&keys[i])].serve_at;
		memcpy(prev, keys, n * sizeof *keys);
		mailcore_dkim_plan_t p;
		mailcore_dkim_plan(keys, n, &d, served, now, &p);
		sim_check(s, &d, prev, keys, n, served, &p, now, first_active);
		/* apply it as tick_txn does: drop, then create at now */
		size_t w = 0;
		for (size_t i = 0; i < n; i++)
			if (!p.drop[i])
				keys[w++] = keys[i];
		n = w;
		for (int alg = RSA; alg <= ED; alg <<= 1)
			if (p.create & alg)
				sim_create(s, keys, &n, (uint8_t)alg, now);
		if (n > MAXK - 2)
			violate(I_MAX, "%zu keys", n);
		sim_recheck(&d, keys, n, &p, now);
		/* the timer wakes at next, or polls a waiting key (dnsd: every 2 s) */
		int64_t nt = now + s->step;
		if (p.next && p.next < nt)
			nt = p.next;
		for (size_t i = 0; i < n; i++) {
			int64_t sa = life[key_id(&keys[i])].serve_at;
			if (keys[i].state == MAILCORE_KEY_CREATED && sa > now && sa < nt)
				nt = sa;
		}
		if (s->outage_to > s->outage_from && now < T0 + s->outage_to &&
		    T0 + s->outage_to < nt)
			nt = T0 + s->outage_to;
		now = nt > now ? nt : now + 1; /* (a plan.next in the past is reported above) */
	}
	for (int i = 0; i < NINV; i++) {
		ok(inv[i].bad == 0, "%s: %s", s->name, inv_what[i]);
		if (inv[i].bad)
			printf("#   %d violations, the first: %s\n", inv[i].bad, inv[i].first);
	}
	/* (f) rotation: generations and their spacing */
	for (int alg = RSA; alg <= ED; alg <<= 1) {
		if (!(s->algs & alg))
			continue;
		const char *an = mailcore_alg_name(alg);
		int gens = 0, bad_spacing = 0, bad_tail = 0, created = 0;
		const life_t *last = NULL;
		for (int i = 0; i < nlife; i++) {
			const life_t *l = &life[i];
			if (l->alg != alg)
				continue;
			created++;
			if (!l->active)
				continue;
			gens++;
			if (last &&
			    (l->created != last->active + s->rotate ||
			     l->active != l->published + s->ttl || last->retired != l->active))
				bad_spacing++;
			if (last && last->revoked && last->revoked != last->retired + s->retire)
				bad_tail++;
			if (last && last->dropped && last->dropped != last->revoked + s->revoke)
				bad_tail++;
			last = l;
		}
		if (s->never & alg) {
			ok(gens == 0 && created == 1,
			   "%s: %s never served: one key made, never active (made %d, active %d)",
			   s->name, an, created, gens);
			continue;
		}
		ok(gens >= s->gen_min && gens <= s->gen_max,
		   "%s: (f) %s: %d generations over %lld days (expected %d-%d)", s->name, an, gens,
		   (long long)s->days, s->gen_min, s->gen_max);
		ok(bad_spacing == 0,
		   "%s: %s: each successor made at active+rotate, active one TTL after "
		   "publication, the old key retired at that moment (%d wrong)",
		   s->name, an, bad_spacing);
		ok(bad_tail == 0, "%s: %s: retired -> revoked -> dropped on time (%d wrong)",
		   s->name, an, bad_tail);
	}
	printf("# %s: %ld steps, %d keys made\n", s->name, steps, nlife);
}

/* ---- corner cases ------------------------------------------------------------------- */

static void test_start(void)
{
	mailcore_domain_t d;
	mailcore_dkim_plan_t p;
	domain(&d, BOTH);
	mailcore_dkim_plan(NULL, 0, &d, none, T0, &p);
	is_int(p.create, BOTH, "no keys: a key per algorithm is asked for");
	ok(!p.changed && !p.waiting && p.next == 0 && !any_drop(&p),
	   "no keys: nothing else (changed=%d waiting=%d next=%lld)", p.changed, p.waiting,
	   (long long)p.next);
	domain(&d, ED);
	mailcore_dkim_plan(NULL, 0, &d, none, T0, &p);
	is_int(p.create, ED, "ed25519 only: one key");
	domain(&d, 0);
	mailcore_dkim_plan(NULL, 0, &d, none, T0, &p);
	ok(quiet(&p) && p.next == 0 && !p.waiting, "DKIM off, no keys: nothing to do");
}

/* Real keys from mailcore_key_generate go through the same life. */
static void test_generated(void)
{
	mailcore_key_t k[2];
	is_int(mailcore_key_generate(apex, RSA, T0, &k[0]), 0, "RSA key generated");
	is_int(mailcore_key_generate(apex, ED, T0, &k[1]), 0, "Ed25519 key generated");
	ok(k[0].state == MAILCORE_KEY_CREATED && k[0].created == T0 && k[0].alg == RSA &&
	       k[0].published == 0 && k[0].active == 0,
	   "a new key is created at now, nothing else set");
	ok(k[0].publen > 250 && k[0].publen < 300 && k[0].privlen > 1100,
	   "RSA-2048: SubjectPublicKeyInfo and PKCS#8 (%u, %u octets)", k[0].publen, k[0].privlen);
	ok(k[1].publen == 32 && k[1].privlen == 32, "Ed25519: 32-octet public key and seed");
	ok(zones_name_cmp(k[1].domain, apex) == 0, "the key names its domain");
	mailcore_domain_t d;
	mailcore_dkim_plan_t p;
	domain(&d, BOTH);
	bool served[2] = { true, false };
	mailcore_dkim_plan(k, 2, &d, served, T0 + 5, &p);
	ok(k[0].state == MAILCORE_KEY_PUBLISHED && k[0].published == T0 + 5 &&
	   k[1].state == MAILCORE_KEY_CREATED, "the served one is published, the other waits");
	ok(p.changed && p.waiting && p.create == 0 && p.next == T0 + 5 + 3600,
	   "changed, waiting, nothing to create, next = published + TTL");
	mailcore_dkim_plan(k, 2, &d, all, T0 + 5 + 3600, &p);
	ok(k[0].state == MAILCORE_KEY_ACTIVE && k[0].active == T0 + 3605 &&
	   k[1].state == MAILCORE_KEY_PUBLISHED && k[1].published == T0 + 3605,
	   "one TTL later: the RSA key is active, the Ed25519 one published");
	is_int(p.next, T0 + 2 * 3600 + 5, "next: the Ed25519 key's activation (before the RSA "
	       "rotation)");
}

static void test_published_waits(void)
{
	mailcore_domain_t d;
	mailcore_dkim_plan_t p;
	mailcore_key_t k[2];
	domain(&d, RSA);
	d.ttl = 7200;
	key(&k[0], RSA, MAILCORE_KEY_PUBLISHED, T0, "a");
	k[0].published = T0 + 100;
	mailcore_dkim_plan(k, 1, &d, none, T0 + 100 + 7199, &p);
	ok(k[0].state == MAILCORE_KEY_PUBLISHED && quiet(&p),
	   "published, one second short of the TTL: stays published, nothing changes");
	is_int(p.next, T0 + 100 + 7200, "next = published + TTL");
	ok(!p.waiting, "a published key does not need probing");
	mailcore_dkim_plan(k, 1, &d, all, T0 + 100, &p);
	ok(k[0].state == MAILCORE_KEY_PUBLISHED && k[0].published == T0 + 100 && !p.changed,
	   "served again: published time unchanged");
	mailcore_dkim_plan(k, 1, &d, none, T0 + 100 + 7200, &p);
	ok(k[0].state == MAILCORE_KEY_ACTIVE && k[0].active == T0 + 7300 && p.changed,
	   "at published + TTL: active");
	is_int(p.next, T0 + 7300 + (int64_t)d.dkim_rotate, "then next = active + dkim_rotate");
	/* a TTL change applies to the waiting key: the published record's TTL is what counts */
	key(&k[0], RSA, MAILCORE_KEY_PUBLISHED, T0, "a");
	k[0].published = T0;
	d.ttl = 300;
	mailcore_dkim_plan(k, 1, &d, none, T0 + 299, &p);
	ok(k[0].state == MAILCORE_KEY_PUBLISHED && p.next == T0 + 300,
	   "TTL 300: still published at 299 s, next at 300 s");
	/* a created key with the TTL zero: published now, active at the next look */
	key(&k[0], ED, MAILCORE_KEY_CREATED, T0, "z");
	domain(&d, ED);
	d.ttl = 0;
	mailcore_dkim_plan(k, 1, &d, all, T0 + 10, &p);
	ok(k[0].state == MAILCORE_KEY_PUBLISHED && p.next == T0 + 10,
	   "TTL 0: published, never active in the same look (next = now, not in the past)");
}

static void test_policy_removal(void)
{
	mailcore_domain_t d;
	mailcore_dkim_plan_t p;
	mailcore_key_t k[5];
	domain(&d, RSA); /* Ed25519 was taken out of the policy */
	key(&k[0], RSA, MAILCORE_KEY_ACTIVE, T0, "rsa");
	k[0].published = T0 + 10;
	k[0].active = T0 + 3610;
	key(&k[1], ED, MAILCORE_KEY_ACTIVE, T0, "ed");
	k[1].published = T0 + 10;
	k[1].active = T0 + 3610;
	key(&k[2], ED, MAILCORE_KEY_CREATED, T0 + DAY, "ed-new");
	key(&k[3], ED, MAILCORE_KEY_PUBLISHED, T0 + DAY, "ed-pub");
	k[3].published = T0 + DAY + 5;
	key(&k[4], ED, MAILCORE_KEY_RETIRED, T0, "ed-old");
	k[4].retired = T0 + DAY;
	int64_t now = T0 + 2 * DAY;
	mailcore_dkim_plan(k, 5, &d, all, now, &p);
	ok(k[1].state == MAILCORE_KEY_RETIRED && k[1].retired == now,
	   "alg out of the policy: its active key retires now");
	ok(p.drop[2] && k[2].state == MAILCORE_KEY_CREATED,
	   "its created key is dropped (never used), even though served");
	ok(k[3].state == MAILCORE_KEY_RETIRED && !p.drop[3],
	   "its published key retires (verifiers may have cached it)");
	ok(k[4].state == MAILCORE_KEY_RETIRED && k[4].retired == T0 + DAY && !p.drop[4],
	   "its retired key goes on retiring on schedule");
	ok(k[0].state == MAILCORE_KEY_ACTIVE && !p.drop[0], "the other algorithm is untouched");
	ok(p.create == 0, "no new key for the removed algorithm");
	ok(p.changed && !p.waiting, "changed; nothing waits");
	is_int(p.next, T0 + DAY + d.dkim_retire, "next: the old retired key's revocation");
	/* and on to the end, event by event: the removed algorithm's keys all go */
	size_t n = 5;
	for (int i = 0; i < 20 && p.next; i++) {
		size_t w = 0;
		for (size_t j = 0; j < n; j++)
			if (!p.drop[j])
				k[w++] = k[j];
		n = w;
		int64_t t = p.next;
		if (t > now + 40 * DAY)
			break;
		mailcore_dkim_plan(k, n, &d, none, t, &p);
	}
	ok(count(k, n, ED, MAILCORE_KEY_ACTIVE) + count(k, n, ED, MAILCORE_KEY_RETIRED) +
	   count(k, n, ED, MAILCORE_KEY_REVOKED) == 0 && n == 1,
	   "weeks later only the RSA key is left (%zu keys)", n);
	/* DKIM off: every key retires, nothing is created */
	domain(&d, 0);
	key(&k[0], RSA, MAILCORE_KEY_ACTIVE, T0, "rsa");
	k[0].active = T0;
	key(&k[1], ED, MAILCORE_KEY_CREATED, T0, "ed");
	mailcore_dkim_plan(k, 2, &d, all, T0 + HOUR, &p);
	ok(k[0].state == MAILCORE_KEY_RETIRED && p.drop[1] && p.create == 0 && !p.waiting,
	   "DKIM off: the active key retires, the created one is dropped, nothing is created");
	/* the algorithm comes back: a fresh key, the retired one is not revived */
	domain(&d, BOTH);
	k[1] = k[0];
	mailcore_dkim_plan(k, 1, &d, all, T0 + 2 * HOUR, &p);
	ok(k[0].state == MAILCORE_KEY_RETIRED && p.create == BOTH,
	   "DKIM on again: the retired key stays retired, new keys are asked for");
}

static void test_forced_rotation(void)
{
	mailcore_domain_t d;
	mailcore_dkim_plan_t p;
	mailcore_key_t k[3];
	domain(&d, RSA);
	key(&k[0], RSA, MAILCORE_KEY_ACTIVE, T0, "old");
	k[0].published = T0;
	k[0].active = T0 + HOUR;
	/* dnsctl mail dkim rotate, ten days in: a second key while the first is young */
	int64_t t1 = T0 + 10 * DAY;
	key(&k[1], RSA, MAILCORE_KEY_CREATED, t1, "new");
	mailcore_dkim_plan(k, 2, &d, none, t1 + 30, &p);
	ok(quiet(&p) && p.waiting && k[0].state == MAILCORE_KEY_ACTIVE,
	   "forced rotation: the old key stays active while the new one waits to be served");
	ok(p.next == 0, "no timed event while the successor waits (rotation is not due again): "
	   "next=%lld", (long long)p.next);
	bool s1[2] = { false, true };
	int64_t t2 = t1 + 2 * MINUTE;
	mailcore_dkim_plan(k, 2, &d, s1, t2, &p);
	ok(k[1].state == MAILCORE_KEY_PUBLISHED && k[1].published == t2 &&
	   k[0].state == MAILCORE_KEY_ACTIVE, "successor published; the old key still active");
	is_int(p.next, t2 + 3600, "next: the successor's activation");
	mailcore_dkim_plan(k, 2, &d, none, t2 + 3599, &p);
	ok(quiet(&p) && k[0].state == MAILCORE_KEY_ACTIVE,
	   "one second before: both as they were");
	mailcore_dkim_plan(k, 2, &d, none, t2 + 3600, &p);
	ok(k[1].state == MAILCORE_KEY_ACTIVE && k[1].active == t2 + 3600 &&
	   k[0].state == MAILCORE_KEY_RETIRED && k[0].retired == t2 + 3600,
	   "the old key retires exactly when the new one becomes active");
	is_int(p.next, t2 + 3600 + d.dkim_retire, "next: the old key's revocation");
	mailcore_dkim_plan(k, 2, &d, none, t2 + 3600 + d.dkim_retire, &p);
	ok(k[0].state == MAILCORE_KEY_REVOKED && k[0].revoked == t2 + 3600 + d.dkim_retire &&
	   !p.drop[0], "revoked after dkim_retire, still published (empty p=)");
	is_int(p.next, k[0].revoked + d.dkim_revoke, "next: its removal");
	mailcore_dkim_plan(k, 2, &d, none, k[0].revoked + d.dkim_revoke - 1, &p);
	ok(!p.drop[0] && quiet(&p), "one second before dkim_revoke is over: kept");
	mailcore_dkim_plan(k, 2, &d, none, k[0].revoked + d.dkim_revoke, &p);
	ok(p.drop[0] && !p.drop[1] && !p.changed,
	   "then dropped (and only dropped: no state change)");
	is_int(p.next, k[1].active + d.dkim_rotate, "next: the new key's own rotation");
	/* a rotation while a successor is already pending asks for nothing more */
	key(&k[0], RSA, MAILCORE_KEY_ACTIVE, T0, "old");
	k[0].active = T0;
	key(&k[1], RSA, MAILCORE_KEY_PUBLISHED, T0 + 100 * DAY, "succ");
	k[1].published = T0 + 100 * DAY;
	mailcore_dkim_plan(k, 2, &d, none, T0 + 100 * DAY + 60, &p);
	ok(p.create == 0 && k[0].state == MAILCORE_KEY_ACTIVE,
	   "overdue rotation with a successor published: no second successor");
	d.dkim_algs = BOTH;
	mailcore_dkim_plan(k, 2, &d, none, T0 + 100 * DAY + 60, &p);
	is_int(p.create, ED, "an algorithm added to the policy gets its first key");
}

static void test_two_active(void)
{
	mailcore_domain_t d;
	mailcore_dkim_plan_t p;
	mailcore_key_t k[3];
	domain(&d, BOTH);
	int64_t now = T0 + 30 * DAY;
	key(&k[0], RSA, MAILCORE_KEY_ACTIVE, T0, "older");
	k[0].active = T0 + HOUR;
	key(&k[1], RSA, MAILCORE_KEY_ACTIVE, T0, "newer");
	k[1].active = T0 + 2 * HOUR;
	key(&k[2], ED, MAILCORE_KEY_ACTIVE, T0, "ed");
	k[2].active = T0 + HOUR;
	mailcore_dkim_plan(k, 3, &d, none, now, &p);
	ok(k[0].state == MAILCORE_KEY_RETIRED && k[0].retired == now &&
	   k[1].state == MAILCORE_KEY_ACTIVE && k[2].state == MAILCORE_KEY_ACTIVE,
	   "two active RSA keys (corrupt state): the older retires now, the other stays");
	ok(p.changed && p.create == 0, "changed, no new key");
	/* listed the other way round: the same one retires */
	mailcore_key_t a = k[0], b = k[1];
	a.state = b.state = MAILCORE_KEY_ACTIVE;
	k[0] = b;
	k[1] = a;
	mailcore_dkim_plan(k, 2, &d, none, now, &p);
	ok(k[1].state == MAILCORE_KEY_RETIRED && k[0].state == MAILCORE_KEY_ACTIVE,
	   "order does not matter: the older (by active time) retires");
	/* same active time: the one created later stays */
	key(&k[0], ED, MAILCORE_KEY_ACTIVE, T0 + 5, "late");
	k[0].active = T0 + HOUR;
	key(&k[1], ED, MAILCORE_KEY_ACTIVE, T0, "early");
	k[1].active = T0 + HOUR;
	mailcore_dkim_plan(k, 2, &d, none, now, &p);
	ok(k[0].state == MAILCORE_KEY_ACTIVE && k[1].state == MAILCORE_KEY_RETIRED,
	   "same activation time: the earlier created one retires");
	/* all equal: exactly one stays */
	key(&k[0], ED, MAILCORE_KEY_ACTIVE, T0, "x");
	k[0].active = T0 + HOUR;
	k[1] = k[0];
	k[2] = k[0];
	mailcore_dkim_plan(k, 3, &d, none, now, &p);
	is_int(count(k, 3, ED, MAILCORE_KEY_ACTIVE), 1, "three identical active keys: one stays");
	is_int(count(k, 3, ED, MAILCORE_KEY_RETIRED), 2, "and two retire");
}

static void test_retire_zero(void)
{
	mailcore_domain_t d;
	mailcore_dkim_plan_t p;
	mailcore_key_t k[2];
	domain(&d, ED);
	d.dkim_retire = 0;
	d.dkim_revoke = 0;
	key(&k[0], ED, MAILCORE_KEY_ACTIVE, T0, "old");
	k[0].active = T0;
	key(&k[1], ED, MAILCORE_KEY_PUBLISHED, T0 + DAY, "new");
	k[1].published = T0 + DAY;
	mailcore_dkim_plan(k, 2, &d, none, T0 + DAY + HOUR, &p);
	ok(k[1].state == MAILCORE_KEY_ACTIVE && k[0].state == MAILCORE_KEY_REVOKED && p.drop[0],
	   "retire 0, revoke 0: the old key goes in the same step its successor activates");
	ok(p.next == T0 + DAY + HOUR + d.dkim_rotate, "next: the rotation (%lld)",
	   (long long)p.next);
}

static void test_many_keys(void)
{
	/* more keys than the plan reads: no access beyond 16, the first 16 planned */
	mailcore_domain_t d;
	mailcore_dkim_plan_t p;
	mailcore_key_t k[20];
	domain(&d, ED);
	for (int i = 0; i < 20; i++) {
		char sel[8];
		snprintf(sel, sizeof sel, "r%d", i);
		key(&k[i], ED, MAILCORE_KEY_REVOKED, T0, sel);
		k[i].revoked = T0;
	}
	mailcore_dkim_plan(k, 20, &d, none, T0 + 30 * DAY, &p);
	int dropped = 0;
	for (int i = 0; i < MAXK; i++)
		dropped += p.drop[i];
	is_int(dropped, 16, "20 revoked keys: the 16 the plan reads are dropped");
}

int main(void)
{
	if (zones_name_parse("example.com.", NULL, apex) < 0)
		return 1;
	test_start();
	test_generated();
	test_published_waits();
	test_policy_removal();
	test_forced_rotation();
	test_two_active();
	test_retire_zero();
	test_many_keys();

	static const sim_t sims[] = {
		{ .name = "defaults, 400 days", .algs = BOTH, .ttl = 3600, .rotate = 90 * DAY,
		  .retire = 7 * DAY, .revoke = 7 * DAY, .days = 400, .step = HOUR,
		  .maxdelay = 6 * HOUR, .gen_min = 4, .gen_max = 5, .seed = 1 },
		{ .name = "secondary down days 85-110", .algs = BOTH, .ttl = 3600,
		  .rotate = 90 * DAY, .retire = 7 * DAY, .revoke = 7 * DAY, .days = 400,
		  .step = HOUR, .maxdelay = 2 * HOUR, .outage_from = 85 * DAY,
		  .outage_to = 110 * DAY, .gen_min = 4, .gen_max = 5, .seed = 2 },
		{ .name = "Ed25519 never served", .algs = BOTH, .ttl = 3600, .rotate = 90 * DAY,
		  .retire = 7 * DAY, .revoke = 7 * DAY, .days = 400, .step = HOUR,
		  .maxdelay = HOUR, .never = ED, .gen_min = 4, .gen_max = 5, .seed = 3 },
		{ .name = "fast: rotate 2d, retire 1d, revoke 12h, TTL 300", .algs = BOTH,
		  .ttl = 300, .rotate = 2 * DAY, .retire = DAY, .revoke = 12 * HOUR, .days = 90,
		  .step = 10 * MINUTE, .maxdelay = 3 * HOUR, .gen_min = 40, .gen_max = 46,
		  .seed = 4 },
		{ .name = "TTL longer than rotate", .algs = RSA, .ttl = 2 * DAY, .rotate = HOUR,
		  .retire = 3 * DAY, .revoke = DAY, .days = 60, .step = HOUR, .maxdelay = HOUR,
		  .gen_min = 25, .gen_max = 30, .seed = 5 },
		{ .name = "retire 0, revoke 0", .algs = ED, .ttl = 600, .rotate = 10 * DAY,
		  .retire = 0, .revoke = 0, .days = 100, .step = HOUR, .maxdelay = HOUR,
		  .gen_min = 10, .gen_max = 10, .seed = 6 },
	};
	for (size_t i = 0; i < sizeof sims / sizeof *sims; i++)
		simulate(&sims[i]);
	return tap_done();
}
