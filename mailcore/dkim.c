/* SPDX-License-Identifier: MIT */
/*
 * DKIM keys (RFC 6376, RFC 8463): generation, the lifecycle timing, the
 * timer dnsd runs, and the export an MTA signs with.
 *
 * The rule the lifecycle keeps: a key is offered for signing only once its
 * TXT record is served by dnsd and by every secondary and one TTL has
 * passed, so no verifier can hold a cached answer without it; a replaced key
 * stays published until mail signed with it has been delivered.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "mailcore/mailcore_int.h"

const char *mailcore_key_state_name(int state)
{
	static const char *const names[] = { "created", "published", "active", "retired",
	                                     "revoked" };
	return state >= 0 && state <= MAILCORE_KEY_REVOKED ? names[state] : "unknown";
}

const char *mailcore_alg_name(int alg)
{
	return alg == MAILCORE_DKIM_RSA ? "rsa" : alg == MAILCORE_DKIM_ED25519 ? "ed25519" : "?";
}

int mailcore_key_generate(const uint8_t *domain, int alg, int64_t now, mailcore_key_t *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->domain, domain, zones_name_len(domain, ZONES_NAME_MAX));
	out->alg = (uint8_t)alg;
	out->state = MAILCORE_KEY_CREATED;
	out->created = now;
	/* RSA-2048 (RFC 8301 3.2 wants at least 1024, 2048 is the usual floor
	 * now), Ed25519 per RFC 8463 */
	EVP_PKEY *pk = alg == MAILCORE_DKIM_RSA ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
	                                         : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pk)
		return DNS_ECRYPTO;
	int ret = 0;
	if (alg == MAILCORE_DKIM_RSA) {
		/* p= is the SubjectPublicKeyInfo (RFC 6376 3.6.1) */
		unsigned char *p = out->pub, *q = out->priv;
		int pl = i2d_PUBKEY(pk, NULL), ql = i2d_PrivateKey(pk, NULL);
		if (pl <= 0 || ql <= 0 || pl > (int)sizeof out->pub || ql > (int)sizeof out->priv ||
		    i2d_PUBKEY(pk, &p) != pl || i2d_PrivateKey(pk, &q) != ql)
			ret = DNS_ECRYPTO;
		out->publen = (uint16_t)pl;
		out->privlen = (uint16_t)ql;
	} else {
		/* p= is the raw 32-octet public key (RFC 8463 4) */
		size_t pl = 32, ql = 32;
		if (EVP_PKEY_get_raw_public_key(pk, out->pub, &pl) != 1 ||
		    EVP_PKEY_get_raw_private_key(pk, out->priv, &ql) != 1 || pl != 32 || ql != 32)
			ret = DNS_ECRYPTO;
		out->publen = 32;
		out->privlen = 32;
	}
	EVP_PKEY_free(pk);
	return ret;
}

/* ---- the timing: a pure function of (keys, policy, now, served) ------------- */

static void at(mailcore_dkim_plan_t *p, int64_t t)
{
	if (t > 0 && (p->next == 0 || t < p->next))
		p->next = t;
}

void mailcore_dkim_plan(mailcore_key_t *keys, size_t n, const mailcore_domain_t *d,
                        const bool *served, int64_t now, mailcore_dkim_plan_t *out)
{
	memset(out, 0, sizeof *out);
	int64_t ttl = d->ttl;
	for (size_t i = 0; i < n && i < 16; i++) {
		mailcore_key_t *k = &keys[i];
		bool wanted = (d->dkim_algs & k->alg) != 0;
		switch (k->state) {
		case MAILCORE_KEY_CREATED:
			if (!wanted) {
				out->drop[i] = true; /* never used: nothing can depend on it */
			} else if (served[i]) {
				k->state = MAILCORE_KEY_PUBLISHED;
				k->published = now;
				out->changed = true;
			}
			break;
		case MAILCORE_KEY_PUBLISHED:
		case MAILCORE_KEY_ACTIVE:
			if (!wanted) {
				k->state = MAILCORE_KEY_RETIRED;
				k->retired = now;
				out->changed = true;
			} else if (k->state == MAILCORE_KEY_PUBLISHED && now >= k->published + ttl) {
				/* RFC 6376 3.6.2.1 verifiers cache the TXT for its TTL:
				 * only after it may the key sign */
				k->state = MAILCORE_KEY_ACTIVE;
				k->active = now;
				out->changed = true;
			}
			break;
		default:
			break;
		}
	}
	/* one active key per algorithm: the newest; the others retire now */
	for (size_t i = 0; i < n && i < 16; i++) {
		mailcore_key_t *k = &keys[i];
		if (k->state != MAILCORE_KEY_ACTIVE)
			continue;
		for (size_t j = 0; j < n && j < 16; j++) {
			mailcore_key_t *o = &keys[j];
			if (j == i || o->state != MAILCORE_KEY_ACTIVE || o->alg != k->alg)
				continue;
			bool newer = o->active > k->active ||
			             (o->active == k->active && o->created > k->created) ||
			             (o->active == k->active && o->created == k->created && j > i);
			if (newer) {
				k->state = MAILCORE_KEY_RETIRED;
				k->retired = now;
				out->changed = true;
				break;
			}
		}
	}
	for (size_t i = 0; i < n && i < 16; i++) {
		mailcore_key_t *k = &keys[i];
		if (k->state == MAILCORE_KEY_RETIRED && now >= k->retired + (int64_t)d->dkim_retire) {
			k->state = MAILCORE_KEY_REVOKED; /* RFC 6376 3.6.1: empty p= */
			k->revoked = now;
			out->changed = true;
		}
		if (k->state == MAILCORE_KEY_REVOKED && now >= k->revoked + (int64_t)d->dkim_revoke)
			out->drop[i] = true;
	}
	/* what comes next, and which algorithms need a (successor) key */
	for (int alg = MAILCORE_DKIM_RSA; alg <= MAILCORE_DKIM_ED25519; alg <<= 1) {
		if (!(d->dkim_algs & alg))
			continue;
		bool pending = false;
		int64_t newest_active = -1;
		for (size_t i = 0; i < n && i < 16; i++) {
			if (keys[i].alg != alg || out->drop[i])
				continue;
			if (keys[i].state <= MAILCORE_KEY_PUBLISHED)
				pending = true;
			if (keys[i].state == MAILCORE_KEY_ACTIVE && keys[i].active > newest_active)
				newest_active = keys[i].active;
		}
		if (pending)
			continue;
		if (newest_active < 0 || now >= newest_active + (int64_t)d->dkim_rotate)
			out->create |= (uint8_t)alg;
		else
			at(out, newest_active + (int64_t)d->dkim_rotate);
	}
	for (size_t i = 0; i < n && i < 16; i++) {
		const mailcore_key_t *k = &keys[i];
		if (out->drop[i])
			continue;
		if (k->state == MAILCORE_KEY_CREATED)
			out->waiting = true;
		else if (k->state == MAILCORE_KEY_PUBLISHED)
			at(out, k->published + ttl);
		else if (k->state == MAILCORE_KEY_RETIRED)
			at(out, k->retired + (int64_t)d->dkim_retire);
		else if (k->state == MAILCORE_KEY_REVOKED)
			at(out, k->revoked + (int64_t)d->dkim_revoke);
	}
}

/* New keys for the algorithms in \p mask, with dated selectors (RFC 6376
 * 3.1 leaves naming to us; a date tells an operator which key is which). */
int mc_keys_create(dns_state_txn_t *txn, const mailcore_domain_t *d, const mailcore_key_t *have,
                   size_t nhave, uint8_t mask, int64_t now)
{
	for (int alg = MAILCORE_DKIM_RSA; alg <= MAILCORE_DKIM_ED25519; alg <<= 1) {
		if (!(mask & alg))
			continue;
		if (nhave >= MC_MAX_KEYS - 2)
			return DNS_ESPACE; /* keys are not being retired: something is stuck */
		mailcore_key_t k;
		int ret = mailcore_key_generate(d->name, alg, now, &k);
		if (ret)
			return ret;
		struct tm tm;
		time_t t = (time_t)now;
		gmtime_r(&t, &tm);
		char date[16];
		strftime(date, sizeof date, "%Y%m%d", &tm);
		for (int seq = 1;; seq++) {
			if (seq == 1)
				snprintf(k.selector, sizeof k.selector, "%s-%s", date, mailcore_alg_name(alg));
			else
				snprintf(k.selector, sizeof k.selector, "%s-%d-%s", date, seq,
				         mailcore_alg_name(alg));
			bool taken = false;
			for (size_t i = 0; i < nhave; i++)
				taken |= strcmp(have[i].selector, k.selector) == 0;
			if (!taken)
				break;
		}
		ret = mailcore_key_put(txn, &k);
		OPENSSL_cleanse(k.priv, sizeof k.priv);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- the timer dnsd runs ----------------------------------------------------------- */

typedef struct {
	uint8_t (*names)[ZONES_NAME_MAX];
	size_t n, cap;
} names_t;

static int name_collect(const mailcore_domain_t *d, void *arg)
{
	names_t *nl = arg;
	if (nl->n == nl->cap) {
		size_t nc = nl->cap ? 2 * nl->cap : 64;
		void *p = realloc(nl->names, nc * sizeof *nl->names);
		if (!p)
			return DNS_ENOMEM;
		nl->names = p;
		nl->cap = nc;
	}
	memcpy(nl->names[nl->n++], d->name, zones_name_len(d->name, ZONES_NAME_MAX));
	return 0;
}

typedef struct {
	const uint8_t *domain;
	int64_t now;
	char served[MC_MAX_KEYS][64]; /* selectors seen served everywhere */
	size_t nserved;
	int64_t next;
	bool waiting;
	int changes;
	char err[600];
} tick_ctx_t;

static int tick_txn(dns_state_txn_t *txn, void *arg)
{
	tick_ctx_t *tc = arg;
	mailcore_domain_t d;
	int ret = mailcore_domain_get(txn, tc->domain, &d);
	if (ret == DNS_ENOMAIL)
		return 0; /* removed meanwhile */
	if (ret)
		return ret;
	mailcore_key_t *keys = malloc(MC_MAX_KEYS * sizeof *keys);
	if (!keys)
		return DNS_ENOMEM;
	int n = mailcore_keys_load(txn, d.name, keys, MC_MAX_KEYS);
	ret = n < 0 ? n : 0;
	mailcore_dkim_plan_t plan;
	bool served[MC_MAX_KEYS] = { false };
	for (int i = 0; i < n; i++)
		for (size_t k = 0; k < tc->nserved; k++)
			served[i] |= strcmp(keys[i].selector, tc->served[k]) == 0;
	uint8_t before[MC_MAX_KEYS];
	for (int i = 0; i < n; i++)
		before[i] = keys[i].state;
	if (ret == 0) {
		mailcore_dkim_plan(keys, (size_t)n, &d, served, tc->now, &plan);
		tc->next = plan.next;
		tc->waiting = plan.waiting || plan.create;
		for (int i = 0; i < n && ret == 0; i++) {
			if (plan.drop[i])
				ret = mailcore_key_del(txn, &keys[i]);
			else if (plan.changed)
				ret = mailcore_key_put(txn, &keys[i]);
		}
		if (ret == 0 && plan.create)
			ret = mc_keys_create(txn, &d, keys, (size_t)n, plan.create, tc->now);
		bool any = plan.create != 0;
		for (int i = 0; i < n; i++)
			any |= plan.drop[i];
		tc->changes = plan.changed || any;
		char nm[1024];
		mc_name(d.name, nm);
		for (int i = 0; i < n && ret == 0; i++) {
			if (plan.drop[i])
				dns_log_info("DKIM %s %s: removed", nm, keys[i].selector);
			else if (keys[i].state != before[i])
				dns_log_info("DKIM %s %s: %s", nm, keys[i].selector,
				             mailcore_key_state_name(keys[i].state));
		}
		if (ret == 0 && plan.create)
			dns_log_info("DKIM %s: new key%s created (rotation)", nm,
			             plan.create == 3 ? "s" : "");
		/* a state change shows in DNS (revoked keys lose p=, dropped ones
		 * disappear, new ones appear): render the zone again */
		if (ret == 0 && tc->changes) {
			uint8_t apex[ZONES_NAME_MAX];
			const uint8_t *tp[1] = { apex };
			if ((ret = mailcore_zone_of(txn, d.name, apex)) == 0)
				ret = mailcore_sync(txn, tp, 1, tc->err, sizeof tc->err);
		}
	}
	for (int i = 0; i < MC_MAX_KEYS; i++)
		OPENSSL_cleanse(keys[i].priv, sizeof keys[i].priv);
	free(keys);
	return ret;
}

int mailcore_dkim_tick(dns_state_t *st, int64_t now, mailcore_probe_fn probe, void *arg,
                       int64_t *next)
{
	names_t nl = { 0 };
	dns_state_txn_t *txn;
	*next = 0;
	int ret = dns_state_read_begin(st, &txn);
	if (ret)
		return ret;
	ret = mailcore_domain_each(txn, name_collect, &nl);
	dns_state_read_end(txn);
	mailcore_key_t *keys = malloc(MC_MAX_KEYS * sizeof *keys);
	if (!keys)
		ret = DNS_ENOMEM;
	for (size_t i = 0; i < nl.n && ret == 0; i++) {
		/* the probe (network queries) runs outside any write transaction */
		tick_ctx_t *tc = calloc(1, sizeof *tc);
		if (!tc || (ret = dns_state_read_begin(st, &txn)) != 0) {
			free(tc);
			ret = ret ? ret : DNS_ENOMEM;
			break;
		}
		tc->domain = nl.names[i];
		tc->now = now;
		mailcore_domain_t d;
		int n = mailcore_keys_load(txn, nl.names[i], keys, MC_MAX_KEYS);
		uint8_t apex[ZONES_NAME_MAX];
		bool have_zone = mailcore_zone_of(txn, nl.names[i], apex) == 0;
		int dret = mailcore_domain_get(txn, nl.names[i], &d);
		dns_state_read_end(txn);
		if (n < 0 || dret) {
			free(tc);
			continue; /* removed meanwhile, or unreadable: the write path says why */
		}
		bool served[MC_MAX_KEYS] = { false };
		for (int k = 0; k < n; k++)
			if (keys[k].state == MAILCORE_KEY_CREATED && have_zone &&
			    probe(&keys[k], apex, arg)) {
				snprintf(tc->served[tc->nserved++], 64, "%s", keys[k].selector);
				served[k] = true;
			}
		/* most rounds change nothing: decide on what was read, and write
		 * (one transaction, fsynced) only when something is due */
		mailcore_dkim_plan_t plan;
		mailcore_dkim_plan(keys, (size_t)n, &d, served, now, &plan);
		bool due = plan.changed || plan.create;
		for (int k = 0; k < n; k++)
			due |= plan.drop[k];
		if (!due) {
			int64_t nx = plan.waiting ? now + 2 : plan.next;
			if (nx > 0 && (*next == 0 || nx < *next))
				*next = nx;
			free(tc);
			continue;
		}
		/* the keys were read before the probe and are read again in the
		 * write: "served" applies by selector, whatever changed between */
		ret = dns_state_write(st, tick_txn, tc);
		if (ret) {
			char nm[1024];
			dns_log_error("DKIM timer, mail domain %s: %s", mc_name(nl.names[i], nm),
			              tc->err[0] ? tc->err : dns_strerror(ret));
			free(tc);
			ret = 0; /* one broken domain does not stop the others */
			continue;
		}
		int64_t nx = tc->waiting ? now + 2 : tc->next;
		free(tc);
		if (nx > 0 && (*next == 0 || nx < *next))
			*next = nx;
	}
	if (keys)
		OPENSSL_cleanse(keys, MC_MAX_KEYS * sizeof *keys);
	free(keys);
	free(nl.names);
	return ret;
}
