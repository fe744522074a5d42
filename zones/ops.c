/* SPDX-License-Identifier: MIT */
/*
 * The changes dnsctl makes, each one LMDB write transaction: either all of it
 * is committed or nothing is.  Every change bumps the zone's generation, which
 * is how dnsd learns which zones to rebuild.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "zones/zones.h"

static zones_hook_fn hook;
static char op_err[512];

void zones_hook_set(zones_hook_fn fn)
{
	hook = fn;
}

const char *zones_op_error(void)
{
	return op_err;
}

typedef struct {
	const zones_content_t *c;
	zones_content_t *mc; /* import: the records, editable */
	zones_content_t *const *many;
	size_t nmany, failed;
	const uint8_t *apex;
	const char *policy;
	const zones_rr_t *rr;
	const uint8_t *owner, *rdata;
	uint16_t type, rdlen;
	zones_change_t what;
	char *err;
	size_t errlen;
} op_t;

static int add_txn(dns_state_txn_t *txn, void *arg)
{
	op_t *op = arg;
	zones_settings_t s;
	int ret = zones_store_settings_get(txn, op->c->apex, &s);
	if (ret == 0)
		return DNS_EDUPZONE;
	if (ret != DNS_ENOZONE)
		return ret;
	memset(&s, 0, sizeof s);
	/* a zone added again continues the generations of its last served
	 * version, so "served" (served.gen == gen) never matches an old one */
	zones_served_t sv;
	s.gen = zones_store_served_get(txn, op->c->apex, &sv) == 0 ? sv.gen + 1 : 1;
	s.created = (int64_t)time(NULL);
	snprintf(s.policy, sizeof s.policy, "%s", op->policy ? op->policy : "");
	if ((ret = zones_store_settings_put(txn, op->c->apex, &s)) != 0 ||
	    (ret = zones_store_replace(txn, op->c)) != 0)
		return ret;
	return hook ? hook(txn, op->c->apex, false, op_err, sizeof op_err) : 0;
}

int zones_op_add(dns_state_t *st, const zones_content_t *c, const char *policy)
{
	op_t op = { .c = c, .policy = policy };
	op_err[0] = 0;
	return dns_state_write(st, add_txn, &op);
}

static int add_many_txn(dns_state_txn_t *txn, void *arg)
{
	op_t *op = arg;
	for (size_t i = 0; i < op->nmany; i++) {
		op->c = op->many[i];
		int ret = add_txn(txn, op);
		if (ret) {
			op->failed = i;
			return ret;
		}
	}
	return 0;
}

int zones_op_add_many(dns_state_t *st, zones_content_t *const *c, size_t n, const char *policy,
                      size_t *failed)
{
	op_t op = { .many = c, .nmany = n, .policy = policy };
	op_err[0] = 0;
	int ret = dns_state_write(st, add_many_txn, &op);
	*failed = op.failed;
	return ret;
}

static int import_txn(dns_state_txn_t *txn, void *arg)
{
	op_t *op = arg;
	int ret = zones_store_touch(txn, op->c->apex);
	if (ret || (ret = zones_gen_strip(txn, op->mc, &op->failed)) != 0 ||
	    (ret = zones_gen_check_content(txn, op->c, op_err, sizeof op_err)) != 0)
		return ret;
	return zones_store_replace(txn, op->c);
}

int zones_op_import(dns_state_t *st, zones_content_t *c, size_t *generated)
{
	op_t op = { .c = c, .mc = c };
	op_err[0] = 0;
	int ret = dns_state_write(st, import_txn, &op);
	*generated = op.failed;
	return ret;
}

static int policy_txn(dns_state_txn_t *txn, void *arg)
{
	op_t *op = arg;
	zones_settings_t s;
	int ret = zones_store_settings_get(txn, op->apex, &s);
	if (ret)
		return ret;
	snprintf(s.policy, sizeof s.policy, "%s", op->policy);
	s.gen++;
	return zones_store_settings_put(txn, op->apex, &s);
}

struct xfr_set {
	const uint8_t *apex;
	const char *transfer, *notify;
};

static int xfr_txn(dns_state_txn_t *txn, void *arg)
{
	struct xfr_set *x = arg;
	zones_settings_t s;
	int ret = zones_store_settings_get(txn, x->apex, &s);
	if (ret)
		return ret;
	if (x->transfer)
		snprintf(s.transfer, sizeof s.transfer, "%s", x->transfer);
	if (x->notify)
		snprintf(s.notify, sizeof s.notify, "%s", x->notify);
	s.gen++;
	return zones_store_settings_put(txn, x->apex, &s);
}

int zones_op_xfr_set(dns_state_t *st, const uint8_t *apex, const char *transfer,
                     const char *notify)
{
	struct xfr_set x = { apex, transfer, notify };
	return dns_state_write(st, xfr_txn, &x);
}

int zones_op_policy_set(dns_state_t *st, const uint8_t *apex, const char *policy)
{
	op_t op = { .apex = apex, .policy = policy };
	return dns_state_write(st, policy_txn, &op);
}

static int remove_txn(dns_state_txn_t *txn, void *arg)
{
	op_t *op = arg;
	int ret = zones_store_remove(txn, op->apex);
	if (ret)
		return ret;
	return hook ? hook(txn, op->apex, true, op_err, sizeof op_err) : 0;
}

int zones_op_remove(dns_state_t *st, const uint8_t *apex)
{
	op_t op = { .apex = apex };
	op_err[0] = 0;
	return dns_state_write(st, remove_txn, &op);
}

/* Write back the one RRset (owner, type) of \p c, or delete its key if empty. */
static int rrset_store(dns_state_txn_t *txn, const zones_content_t *c, const uint8_t *owner,
                       uint16_t type)
{
	uint8_t key[2 * ZONES_NAME_MAX + 3];
	size_t kl = zones_rrset_key(c->apex, owner, type, key), ol = kl - 3;
	dns_buf_t v;
	dns_buf_init(&v);
	for (size_t i = 0; i < c->n; i++) {
		const zones_rr_t *rr = &c->rr[i];
		if (rr->type != type || zones_name_cmp(rr->owner, owner) != 0)
			continue;
		if (v.len == 0)
			dns_buf_u32(&v, rr->ttl);
		dns_buf_u16(&v, rr->rdlen);
		dns_buf_append(&v, rr->rdata, rr->rdlen);
	}
	int ret = v.err;
	if (ret == 0 && v.len)
		ret = dns_state_put(txn, DNS_DB_RECORDS, key, ol + 3, v.data, v.len);
	else if (ret == 0)
		ret = dns_state_del(txn, DNS_DB_RECORDS, key, ol + 3);
	dns_buf_deinit(&v);
	return ret == DNS_ENOENT ? 0 : ret;
}

static int record_add_txn(dns_state_txn_t *txn, void *arg)
{
	op_t *op = arg;
	zones_content_t c;
	zones_content_init(&c, op->apex);
	zones_settings_t s;
	int ret = zones_store_settings_get(txn, op->apex, &s);
	if (ret == 0)
		ret = zones_store_load_static(txn, op->apex, &c);
	if (ret)
		goto out;
	const zones_rr_t *rr = op->rr;
	op->what = ZONES_CHANGED;
	bool ttl_differs = false;
	for (size_t i = 0; i < c.n; i++) {
		zones_rr_t *x = &c.rr[i];
		if (x->type != rr->type || zones_name_cmp(x->owner, rr->owner) != 0)
			continue;
		if (x->ttl != rr->ttl)
			ttl_differs = true;
		x->ttl = rr->ttl; /* RFC 2181 5.2: one TTL per RRset */
		if (x->rdlen == rr->rdlen && memcmp(x->rdata, rr->rdata, rr->rdlen) == 0)
			op->what = ZONES_UNCHANGED;
	}
	if (op->what == ZONES_UNCHANGED && !ttl_differs)
		goto out;
	if (op->what == ZONES_UNCHANGED)
		op->what = ZONES_TTL_CHANGED;
	else if ((ret = zones_gen_check_static(txn, op->apex, rr, op->err, op->errlen)) != 0)
		goto out;
	else if ((ret = zones_content_add(&c, rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen, 0)))
		goto out;
	if ((ret = zones_content_validate(&c)) != 0) {
		snprintf(op->err, op->errlen, "%s", c.err);
		goto out;
	}
	if ((ret = rrset_store(txn, &c, rr->owner, rr->type)) == 0)
		ret = zones_store_touch(txn, op->apex);
out:
	zones_content_deinit(&c);
	return ret;
}

int zones_op_record_add(dns_state_t *st, const uint8_t *apex, const zones_rr_t *rr,
                        zones_change_t *what, char *err, size_t errlen)
{
	op_t op = { .apex = apex, .rr = rr, .err = err, .errlen = errlen };
	err[0] = 0;
	if (!zones_name_is_sub(rr->owner, apex)) {
		char o[1024], a[1024];
		zones_name_print(rr->owner, o, sizeof o);
		zones_name_print(apex, a, sizeof a);
		snprintf(err, errlen, "%s is outside the zone %s", o, a);
		return DNS_EOUTOFZONE;
	}
	int ret = dns_state_write(st, record_add_txn, &op);
	*what = op.what;
	return ret;
}

static int record_del_txn(dns_state_txn_t *txn, void *arg)
{
	op_t *op = arg;
	zones_content_t c;
	zones_content_init(&c, op->apex);
	zones_settings_t s;
	int ret = zones_store_settings_get(txn, op->apex, &s);
	if (ret == 0)
		ret = zones_store_load_static(txn, op->apex, &c);
	if (ret)
		goto out;
	size_t w = 0, removed = 0;
	for (size_t i = 0; i < c.n; i++) {
		zones_rr_t *x = &c.rr[i];
		bool match = x->type == op->type && zones_name_cmp(x->owner, op->owner) == 0 &&
		             (!op->rdata || (x->rdlen == op->rdlen &&
		                             memcmp(x->rdata, op->rdata, op->rdlen) == 0));
		if (match) {
			free(x->owner);
			removed++;
		} else {
			c.rr[w++] = *x;
		}
	}
	c.n = w;
	if (removed == 0) {
		ret = DNS_ENORECORD;
		goto out;
	}
	if ((ret = zones_content_validate(&c)) != 0) {
		snprintf(op->err, op->errlen, "%s", c.err);
		goto out;
	}
	if ((ret = rrset_store(txn, &c, op->owner, op->type)) == 0)
		ret = zones_store_touch(txn, op->apex);
out:
	zones_content_deinit(&c);
	return ret;
}

int zones_op_record_del(dns_state_t *st, const uint8_t *apex, const uint8_t *owner, uint16_t type,
                        const uint8_t *rdata, uint16_t rdlen, char *err, size_t errlen)
{
	op_t op = { .apex = apex, .owner = owner, .type = type, .rdata = rdata, .rdlen = rdlen,
	            .err = err, .errlen = errlen };
	err[0] = 0;
	return dns_state_write(st, record_del_txn, &op);
}

int zones_op_load_served(dns_state_t *st, const uint8_t *apex, zones_content_t *c,
                         zones_settings_t *settings, zones_served_t *sv, bool *served)
{
	dns_state_txn_t *txn;
	int ret = dns_state_read_begin(st, &txn);
	if (ret)
		return ret;
	*served = false;
	ret = zones_store_settings_get(txn, apex, settings);
	if (ret == 0)
		ret = zones_store_load(txn, apex, c);
	if (ret == 0) {
		int r2 = zones_store_served_get(txn, apex, sv);
		if (r2 == 0 && sv->gen == settings->gen) {
			*served = true;
			ret = zones_content_serial_set(c, sv->serial);
		} else if (r2 != 0 && r2 != DNS_ENOENT) {
			ret = r2;
		}
	}
	dns_state_read_end(txn);
	return ret;
}
