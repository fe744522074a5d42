/* SPDX-License-Identifier: MIT */
/*
 * The DKIM timer (DESIGN.md section 6): dnsd moves DKIM keys through their
 * lifecycle. It runs mailcore_dkim_tick on libuv's thread pool, since the
 * tick asks servers over the network and makes RSA keys, neither of which
 * may stall the main loop.
 *
 * A key counts as published when dnsd serves its TXT record (asked like any
 * resolver would, at our own listen address) and every configured secondary
 * serves the zone at that serial or later (RFC 1982 comparison) with the same
 * record.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dnsd/server_int.h"

struct dnsd_mailtimer {
	uv_loop_t *loop;
	dns_state_t *st;
	const dnsd_config_t *conf;
	uv_timer_t timer;
	uv_work_t work;
	bool busy, again, stopping;
	int64_t next;
	int ret;
	mailcore_server_t self;
	/* servers that did not answer in this round: not asked again until the
	 * next one, so a secondary that is down costs one timeout, not one per key */
	mailcore_server_t down[DNSD_MAX_SECONDARY + 1];
	unsigned ndown;
	mailcore_server_t was_down[DNSD_MAX_SECONDARY + 1]; /* last round's: logged already */
	unsigned nwas_down;
};

static bool is_down(const dnsd_mailtimer_t *mt, const mailcore_server_t *s)
{
	for (unsigned i = 0; i < mt->ndown; i++)
		if (mt->down[i].port == s->port && !strcmp(mt->down[i].addr, s->addr))
			return true;
	return false;
}

static void mark_down(dnsd_mailtimer_t *mt, const mailcore_server_t *s)
{
	if (mt->ndown < DNSD_MAX_SECONDARY + 1 && !is_down(mt, s)) {
		mt->down[mt->ndown++] = *s;
		bool known = false;
		for (unsigned i = 0; i < mt->nwas_down; i++)
			known |= mt->was_down[i].port == s->port && !strcmp(mt->was_down[i].addr, s->addr);
		if (!known)
			dns_log_info("DKIM timer: %s@%u does not answer; keys waiting for it stay "
		             "unpublished (asked again in the next round)", s->addr, s->port);
	}
}

/* Does \p srv serve the key's TXT record (its strings joined)? */
static bool serves_key(const mailcore_server_t *srv, const uint8_t *owner, const char *text)
{
	mailcore_answer_t a;
	if (mailcore_query(srv, owner, ZONES_T_TXT, 1500, &a) != 0)
		return false;
	bool found = false;
	char got[4200];
	for (size_t i = 0; i < a.n && !found && a.rcode == 0 && a.aa; i++)
		found = mailcore_txt_join(a.rdata[i], a.rdlen[i], got, sizeof got) >= 0 &&
		        strcmp(got, text) == 0;
	mailcore_answer_free(&a);
	return found;
}

static bool probe(const mailcore_key_t *k, const uint8_t *apex, void *arg)
{
	dnsd_mailtimer_t *mt = arg;
	uint8_t owner[ZONES_NAME_MAX];
	char text[4200];
	uint32_t serial, s2;
	if (mailcore_key_owner(k, owner) != 0 || mailcore_key_txt(k, text, sizeof text) != 0)
		return false;
	if (is_down(mt, &mt->self) || !serves_key(&mt->self, owner, text))
		return false;
	int r = mailcore_soa_serial(&mt->self, apex, 1500, &serial);
	if (r) {
		if (r < 0)
			mark_down(mt, &mt->self);
		return false;
	}
	/* the zone's secondaries: its own list (zone set --notify), else the config's */
	mailcore_server_t own[DNSD_MAX_SECONDARY];
	const mailcore_server_t *secs = mt->conf->secondary;
	unsigned nsec = mt->conf->nsecondary;
	dns_state_txn_t *txn;
	zones_settings_t zs;
	if (dns_state_read_begin(mt->st, &txn) == 0) {
		int sr = zones_store_settings_get(txn, apex, &zs);
		dns_state_read_end(txn);
		const char *why;
		dnsd_zone_xfr_t *zx = sr == 0 ? dnsd_zone_xfr_new("", zs.notify, &why) : NULL;
		if (zx && zx->has_notify) {
			nsec = 0;
			for (unsigned i = 0; i < zx->nnotify && nsec < DNSD_MAX_SECONDARY; i++, nsec++) {
				snprintf(own[nsec].addr, sizeof own[nsec].addr, "%s", zx->notify[i].addr);
				own[nsec].port = zx->notify[i].port;
			}
			secs = own;
		}
		dnsd_zone_xfr_free(zx);
	}
	for (unsigned i = 0; i < nsec; i++) {
		const mailcore_server_t *sec = &secs[i];
		if (is_down(mt, sec))
			return false;
		if ((r = mailcore_soa_serial(sec, apex, 1500, &s2)) != 0) {
			if (r < 0)
				mark_down(mt, sec);
			return false;
		}
		/* RFC 1982 3.2: s2 is at or after serial */
		if ((s2 != serial && (int32_t)(s2 - serial) < 0) || !serves_key(sec, owner, text))
			return false;
	}
	return true;
}

static void work_cb(uv_work_t *w)
{
	dnsd_mailtimer_t *mt = w->data;
	/* said once while it stays down; again if it comes back and goes */
	memcpy(mt->was_down, mt->down, mt->ndown * sizeof *mt->down);
	mt->nwas_down = mt->ndown;
	mt->ndown = 0;
	mt->ret = mailcore_dkim_tick(mt->st, (int64_t)time(NULL), probe, mt, &mt->next);
}

static void timer_cb(uv_timer_t *t);

static void arm(dnsd_mailtimer_t *mt, uint64_t ms)
{
	if (!mt->stopping)
		uv_timer_start(&mt->timer, timer_cb, ms, 0);
}

static void after_cb(uv_work_t *w, int status)
{
	dnsd_mailtimer_t *mt = w->data;
	mt->busy = false;
	if (mt->stopping)
		return;
	if (status == 0 && mt->ret)
		dns_log_error("DKIM timer: %s", dns_strerror(mt->ret));
	/* at the next event, at most a minute from now (a clock step or a
	 * change dnsctl made is seen then at the latest) */
	int64_t now = (int64_t)time(NULL);
	uint64_t ms = 60000;
	if (mt->again)
		ms = 200;
	else if (mt->next > 0 && mt->next - now < 60)
		ms = mt->next <= now ? 200 : (uint64_t)(mt->next - now) * 1000;
	mt->again = false;
	arm(mt, ms);
}

static void timer_cb(uv_timer_t *t)
{
	dnsd_mailtimer_t *mt = t->data;
	if (mt->busy || mt->stopping)
		return;
	mt->busy = true;
	mt->work.data = mt;
	if (uv_queue_work(mt->loop, &mt->work, work_cb, after_cb) != 0) {
		mt->busy = false;
		arm(mt, 5000);
	}
}

int dnsd_mailtimer_start(uv_loop_t *loop, dns_state_t *st, const dnsd_config_t *conf,
                         dnsd_mailtimer_t **out)
{
	dnsd_mailtimer_t *mt = calloc(1, sizeof *mt);
	if (!mt)
		return DNS_ENOMEM;
	mt->loop = loop;
	mt->st = st;
	mt->conf = conf;
	/* ourselves, as a resolver would ask: a wildcard listen address means
	 * this machine, reachable on loopback */
	const dnsd_listen_t *l = &conf->listen[0];
	char addr[80];
	snprintf(addr, sizeof addr, "%s", l->text);
	if (mailcore_server_parse(addr, &mt->self) != 0)
		snprintf(mt->self.addr, sizeof mt->self.addr, "127.0.0.1");
	mailcore_server_local(&mt->self);
	uv_timer_init(loop, &mt->timer);
	mt->timer.data = mt;
	uv_timer_start(&mt->timer, timer_cb, 500, 0);
	*out = mt;
	return 0;
}

void dnsd_mailtimer_kick(dnsd_mailtimer_t *mt)
{
	if (!mt || mt->stopping)
		return;
	if (mt->busy)
		mt->again = true; /* look again right after this round */
	else
		arm(mt, 200);
}

void dnsd_mailtimer_stop(dnsd_mailtimer_t *mt)
{
	if (!mt)
		return;
	mt->stopping = true;
	uv_timer_stop(&mt->timer);
}

void dnsd_mailtimer_free(dnsd_mailtimer_t *mt)
{
	free(mt);
}
