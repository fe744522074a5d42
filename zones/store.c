/* SPDX-License-Identifier: MIT */
/*
 * Zones in the LMDB state (DESIGN.md section 3).
 *
 * records: key = apex | owner labels below the apex | 0x00 | type (BE16),
 *          value = TTL (BE32) then (RDLENGTH BE16, RDATA)* in canonical order.
 * Wire names are prefix-free, so one zone's keys are exactly those that
 * start with its apex; the relative owner keeps keys under LMDB's 511-octet
 * limit (at most 255 + 255 - apex + 3).
 * zones:   key = apex, value = version 1: gen u64, created i64, policy len u8 + bytes.
 * served:  key = apex, value = version 1: serial u32, gen u64, digest[32], updated i64.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "zones/zones.h"

#define SETTINGS_V1 1
#define SETTINGS_V2 2
#define SERVED_V1 1

/* Version 2 adds the zone's transfer ACL and NOTIFY targets after the policy:
 * each a length BE16 and the text. Version 1 values read as empty ones. */
size_t zones_rrset_key(const uint8_t *apex, const uint8_t *owner, uint16_t type,
                       uint8_t key[2 * ZONES_NAME_MAX + 3])
{
	size_t al = zones_name_len(apex, ZONES_NAME_MAX), ol = zones_name_len(owner, ZONES_NAME_MAX);
	memcpy(key, apex, al);
	memcpy(key + al, owner, ol - al);
	key[ol] = 0;
	dns_put16(key + ol + 1, type);
	return ol + 3;
}

static int settings_parse(const uint8_t *v, size_t vl, zones_settings_t *out)
{
	if (vl < 18 || (v[0] != SETTINGS_V1 && v[0] != SETTINGS_V2) || vl < 18u + v[17] ||
	    v[17] >= sizeof out->policy || (v[0] == SETTINGS_V1 && vl != 18u + v[17]))
		return DNS_ESCHEMA;
	memset(out, 0, sizeof *out);
	out->gen = dns_get64(v + 1);
	out->created = (int64_t)dns_get64(v + 9);
	memcpy(out->policy, v + 18, v[17]);
	if (v[0] == SETTINGS_V1)
		return 0;
	size_t o = 18u + v[17];
	char *texts[2] = { out->transfer, out->notify };
	for (int i = 0; i < 2; i++) {
		if (o + 2 > vl)
			return DNS_ESCHEMA;
		size_t l = dns_get16(v + o);
		if (l >= sizeof out->transfer || o + 2 + l > vl || memchr(v + o + 2, 0, l))
			return DNS_ESCHEMA;
		memcpy(texts[i], v + o + 2, l);
		o += 2 + l;
	}
	return o == vl ? 0 : DNS_ESCHEMA;
}

int zones_store_settings_get(dns_state_txn_t *txn, const uint8_t *apex, zones_settings_t *out)
{
	const uint8_t *v;
	size_t vl;
	int ret = dns_state_get(txn, DNS_DB_ZONES, apex, zones_name_len(apex, ZONES_NAME_MAX),
	                        (const void **)&v, &vl);
	if (ret == DNS_ENOENT)
		return DNS_ENOZONE;
	if (ret)
		return ret;
	return settings_parse(v, vl, out);
}

int zones_store_settings_put(dns_state_txn_t *txn, const uint8_t *apex, const zones_settings_t *s)
{
	uint8_t v[18 + sizeof s->policy + 4 + sizeof s->transfer + sizeof s->notify];
	size_t pl = strnlen(s->policy, sizeof s->policy - 1);
	size_t tl = strnlen(s->transfer, sizeof s->transfer - 1);
	size_t nl = strnlen(s->notify, sizeof s->notify - 1);
	/* version 1 while there is nothing of version 2: older readers keep working */
	v[0] = tl || nl ? SETTINGS_V2 : SETTINGS_V1;
	dns_put64(v + 1, s->gen);
	dns_put64(v + 9, (uint64_t)s->created);
	v[17] = (uint8_t)pl;
	memcpy(v + 18, s->policy, pl);
	size_t o = 18 + pl;
	if (v[0] == SETTINGS_V2) {
		dns_put16(v + o, (uint16_t)tl);
		memcpy(v + o + 2, s->transfer, tl);
		o += 2 + tl;
		dns_put16(v + o, (uint16_t)nl);
		memcpy(v + o + 2, s->notify, nl);
		o += 2 + nl;
	}
	return dns_state_put(txn, DNS_DB_ZONES, apex, zones_name_len(apex, ZONES_NAME_MAX), v, o);
}

int zones_store_touch(dns_state_txn_t *txn, const uint8_t *apex)
{
	zones_settings_t s;
	int ret = zones_store_settings_get(txn, apex, &s);
	if (ret)
		return ret;
	s.gen++;
	return zones_store_settings_put(txn, apex, &s);
}

struct list_ctx {
	int (*fn)(const uint8_t *apex, const zones_settings_t *s, void *arg);
	void *arg;
	dns_state_txn_t *txn;
};

static int list_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	struct list_ctx *lc = arg;
	if (zones_name_len(k, kl) != kl)
		return DNS_ESCHEMA;
	zones_settings_t s;
	int ret = settings_parse(v, vl, &s);
	if (ret)
		return ret;
	return lc->fn(k, &s, lc->arg);
}

int zones_store_list(dns_state_txn_t *txn,
                     int (*fn)(const uint8_t *apex, const zones_settings_t *s, void *arg), void *arg)
{
	struct list_ctx lc = { fn, arg, txn };
	return dns_state_scan(txn, DNS_DB_ZONES, NULL, 0, list_one, &lc);
}

struct load_ctx {
	zones_content_t *c;
	size_t apexlen;
};

static int load_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	struct load_ctx *lc = arg;
	uint8_t owner[ZONES_NAME_MAX];
	size_t rel = 0;
	const uint8_t *p = k + lc->apexlen, *end = k + kl;
	/* relative labels, then 0, then the type */
	while (p < end && *p) {
		if (*p > 63 || p + 1 + *p > end)
			return DNS_ESCHEMA;
		p += 1 + *p;
	}
	if (p + 3 != end)
		return DNS_ESCHEMA;
	rel = (size_t)(p - (k + lc->apexlen));
	if (rel + lc->apexlen > ZONES_NAME_MAX)
		return DNS_ESCHEMA;
	memcpy(owner, k + lc->apexlen, rel);
	memcpy(owner + rel, lc->c->apex, lc->apexlen);
	uint16_t type = dns_get16(p + 1);
	if (vl < 4)
		return DNS_ESCHEMA;
	uint32_t ttl = dns_get32(v);
	size_t o = 4;
	while (o < vl) {
		if (o + 2 > vl)
			return DNS_ESCHEMA;
		uint16_t rdlen = dns_get16(v + o);
		if (o + 2 + rdlen > vl)
			return DNS_ESCHEMA;
		int ret = zones_content_add(lc->c, owner, type, ttl, v + o + 2, rdlen, 0);
		if (ret)
			return ret;
		o += 2u + rdlen;
	}
	return 0;
}

int zones_store_load_static(dns_state_txn_t *txn, const uint8_t *apex, zones_content_t *c)
{
	struct load_ctx lc = { c, zones_name_len(apex, ZONES_NAME_MAX) };
	int ret = dns_state_scan(txn, DNS_DB_RECORDS, apex, lc.apexlen, load_one, &lc);
	if (ret == 0)
		zones_content_sort(c);
	return ret;
}

int zones_store_load(dns_state_txn_t *txn, const uint8_t *apex, zones_content_t *c)
{
	struct load_ctx lc = { c, zones_name_len(apex, ZONES_NAME_MAX) };
	int ret = dns_state_scan(txn, DNS_DB_RECORDS, apex, lc.apexlen, load_one, &lc);
	if (ret == 0)
		ret = zones_gen_load(txn, apex, c);
	if (ret)
		return ret;
	zones_content_sort(c);
	/* A static and a generated TXT RRset may meet at one name; RFC 2181 5.2
	 * wants one TTL per RRset: the lower, so neither is cached too long. */
	for (size_t i = 0; i < c->n;) {
		size_t j = i + 1;
		uint32_t ttl = c->rr[i].ttl;
		while (j < c->n && c->rr[j].type == c->rr[i].type &&
		       zones_name_cmp(c->rr[j].owner, c->rr[i].owner) == 0) {
			if (c->rr[j].ttl < ttl)
				ttl = c->rr[j].ttl;
			j++;
		}
		for (size_t k = i; k < j; k++)
			c->rr[k].ttl = ttl;
		i = j;
	}
	return 0;
}

int zones_store_replace(dns_state_txn_t *txn, const zones_content_t *c)
{
	size_t al = zones_name_len(c->apex, ZONES_NAME_MAX);
	int ret = dns_state_del_prefix(txn, DNS_DB_RECORDS, c->apex, al);
	if (ret)
		return ret;
	dns_buf_t val;
	dns_buf_init(&val);
	for (size_t i = 0; i < c->n && ret == 0;) {
		/* one key per RRset: the content is sorted, so an RRset is a run */
		size_t j = i;
		val.len = 0;
		dns_buf_u32(&val, c->rr[i].ttl);
		while (j < c->n && c->rr[j].type == c->rr[i].type &&
		       zones_name_cmp(c->rr[j].owner, c->rr[i].owner) == 0) {
			dns_buf_u16(&val, c->rr[j].rdlen);
			dns_buf_append(&val, c->rr[j].rdata, c->rr[j].rdlen);
			j++;
		}
		uint8_t key[ZONES_NAME_MAX + 3 + ZONES_NAME_MAX];
		size_t ol = zones_name_len(c->rr[i].owner, ZONES_NAME_MAX);
		memcpy(key, c->apex, al);
		memcpy(key + al, c->rr[i].owner, ol - al);
		key[al + ol - al] = 0;
		dns_put16(key + ol + 1, c->rr[i].type);
		if (val.err)
			ret = val.err;
		else
			ret = dns_state_put(txn, DNS_DB_RECORDS, key, ol + 3, val.data, val.len);
		i = j;
	}
	dns_buf_deinit(&val);
	return ret;
}

int zones_store_remove(dns_state_txn_t *txn, const uint8_t *apex)
{
	/* The served serial stays: a zone added again under the same name must
	 * not go back in serial (RFC 1982), or secondaries would ignore it. */
	size_t al = zones_name_len(apex, ZONES_NAME_MAX);
	int ret = dns_state_del(txn, DNS_DB_ZONES, apex, al);
	if (ret == DNS_ENOENT)
		return DNS_ENOZONE;
	if (ret)
		return ret;
	if ((ret = dns_state_del_prefix(txn, DNS_DB_GENERATED, apex, al)) != 0 ||
	    (ret = dns_state_del_prefix(txn, DNS_DB_XFR, apex, al)) != 0 ||
	    (ret = dns_state_del_prefix(txn, DNS_DB_JOURNAL, apex, al)) != 0)
		return ret;
	return dns_state_del_prefix(txn, DNS_DB_RECORDS, apex, al);
}

int zones_store_served_get(dns_state_txn_t *txn, const uint8_t *apex, zones_served_t *out)
{
	const uint8_t *v;
	size_t vl;
	int ret = dns_state_get(txn, DNS_DB_SERVED, apex, zones_name_len(apex, ZONES_NAME_MAX),
	                        (const void **)&v, &vl);
	if (ret)
		return ret;
	if (vl != 53 || v[0] != SERVED_V1)
		return DNS_ESCHEMA;
	out->serial = dns_get32(v + 1);
	out->gen = dns_get64(v + 5);
	memcpy(out->digest, v + 13, 32);
	out->updated = (int64_t)dns_get64(v + 45);
	return 0;
}

int zones_store_served_put(dns_state_txn_t *txn, const uint8_t *apex, const zones_served_t *s)
{
	uint8_t v[53];
	v[0] = SERVED_V1;
	dns_put32(v + 1, s->serial);
	dns_put64(v + 5, s->gen);
	memcpy(v + 13, s->digest, 32);
	dns_put64(v + 45, (uint64_t)s->updated);
	return dns_state_put(txn, DNS_DB_SERVED, apex, zones_name_len(apex, ZONES_NAME_MAX), v,
	                     sizeof v);
}
