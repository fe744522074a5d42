/* SPDX-License-Identifier: MIT */
/* Earlier signatures by (owner, covered type), for reuse across signing runs. */
#include <stdlib.h>
#include <string.h>
#include "keymgr/keymgr_int.h"

static uint32_t key_hash(const uint8_t *owner, uint16_t type)
{
	return zones_name_hash(owner, zones_name_len(owner, ZONES_NAME_MAX)) ^ type * 0x9e3779b1u;
}

int keymgr_sigcache_new(keymgr_sigcache_t **out)
{
	keymgr_sigcache_t *c = calloc(1, sizeof *c);
	if (!c)
		return DNS_ENOMEM;
	c->nbuckets = 1024;
	c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
	if (!c->buckets) {
		free(c);
		return DNS_ENOMEM;
	}
	*out = c;
	return 0;
}

static void entry_free(sigentry_t *e)
{
	free(e->sig.rdata);
	free(e->owner);
	free(e);
}

void keymgr_sigcache_free(keymgr_sigcache_t *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nbuckets; i++)
		for (sigentry_t *e = c->buckets[i], *nx; e; e = nx) {
			nx = e->next;
			entry_free(e);
		}
	free(c->buckets);
	free(c);
}

static int grow(keymgr_sigcache_t *c)
{
	size_t nb = c->nbuckets * 2;
	sigentry_t **b = calloc(nb, sizeof *b);
	if (!b)
		return DNS_ENOMEM;
	for (size_t i = 0; i < c->nbuckets; i++)
		for (sigentry_t *e = c->buckets[i], *nx; e; e = nx) {
			nx = e->next;
			size_t k = e->hash & (nb - 1);
			e->next = b[k];
			b[k] = e;
		}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = nb;
	return 0;
}

int keymgr_sigcache_add(keymgr_sigcache_t *c, const uint8_t *owner, uint16_t type,
                        const keymgr_sig_t *sig)
{
	if (c->n >= c->nbuckets && grow(c))
		return DNS_ENOMEM;
	sigentry_t *e = calloc(1, sizeof *e);
	size_t ol = zones_name_len(owner, ZONES_NAME_MAX);
	if (!e || !(e->owner = malloc(ol)) || !(e->sig.rdata = malloc(sig->rdlen ? sig->rdlen : 1))) {
		if (e) {
			free(e->owner);
			free(e);
		}
		return DNS_ENOMEM;
	}
	memcpy(e->owner, owner, ol);
	zones_name_lower(e->owner);
	e->type = type;
	uint8_t *rd = e->sig.rdata;
	e->sig = *sig;
	e->sig.rdata = rd;
	memcpy(rd, sig->rdata, sig->rdlen);
	e->hash = key_hash(e->owner, type);
	size_t k = e->hash & (c->nbuckets - 1);
	e->next = c->buckets[k];
	c->buckets[k] = e;
	c->n++;
	return 0;
}

sigentry_t *keymgr_sigcache_find(keymgr_sigcache_t *c, const uint8_t *owner, uint16_t type,
                                 uint16_t tag, uint8_t alg)
{
	uint32_t h = key_hash(owner, type);
	size_t ol = zones_name_len(owner, ZONES_NAME_MAX);
	for (sigentry_t *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->next)
		if (e->hash == h && e->type == type && e->sig.tag == tag && e->sig.algorithm == alg &&
		    memcmp(e->owner, owner, ol) == 0)
			return e;
	return NULL;
}

void keymgr_sigcache_sweep(keymgr_sigcache_t *c)
{
	for (size_t i = 0; i < c->nbuckets; i++) {
		sigentry_t **pp = &c->buckets[i];
		while (*pp) {
			sigentry_t *e = *pp;
			if (!e->used) {
				*pp = e->next;
				entry_free(e);
				c->n--;
			} else {
				e->used = false;
				pp = &e->next;
			}
		}
	}
}

int keymgr_sigcache_foreach(const keymgr_sigcache_t *c,
                            int (*fn)(const uint8_t *owner, uint16_t type, const keymgr_sig_t *sig,
                                      void *arg),
                            void *arg)
{
	for (size_t i = 0; i < c->nbuckets; i++)
		for (const sigentry_t *e = c->buckets[i]; e; e = e->next) {
			int ret = fn(e->owner, e->type, &e->sig, arg);
			if (ret)
				return ret;
		}
	return 0;
}

uint32_t keymgr_sigcache_next_refresh(const keymgr_sigcache_t *c, uint32_t refresh)
{
	uint32_t next = 0;
	for (size_t i = 0; i < c->nbuckets; i++)
		for (const sigentry_t *e = c->buckets[i]; e; e = e->next) {
			uint32_t due = e->sig.expiration > refresh ? e->sig.expiration - refresh : 0;
			if (!next || due < next)
				next = due;
		}
	return next;
}
