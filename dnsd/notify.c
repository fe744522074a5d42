/* SPDX-License-Identifier: MIT */
/*
 * NOTIFY (RFC 1996) to the secondaries of the configuration, on the main
 * libuv loop: whenever a zone's serial changes, each secondary gets a NOTIFY
 * (signed with its key, RFC 8945), sent again with back-off until it answers
 * (RFC 1996 3.6). What each secondary last acknowledged is kept for
 * "dnsctl zone show".
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dnsd/server_int.h"

#define MAX_TRIES 12      /* 2 s doubling to 5 min: about half an hour of trying */
#define RETRY_FIRST 2000
#define RETRY_MAX 300000

typedef struct {
	uint8_t apex[ZONES_NAME_MAX];
	dnsd_remote_t srv;     /* where, and the key to sign with */
	uint32_t serial;       /* to announce */
	bool pending;
	unsigned tries;
	uint64_t next_ms;
	uint16_t id;
	dnsd_tsig_ctx_t tsig;  /* of the NOTIFY in flight (its key is a copy, below) */
	dnsd_tsig_key_t key;
	bool sign;
	uint32_t acked_serial; /* last serial the secondary acknowledged */
	int64_t acked_at;
} target_t;

struct dnsd_notify {
	uv_loop_t *loop;
	const dnsd_config_t *conf;
	dnsd_epoch_t *ep;
	uv_udp_t udp4, udp6;
	bool have4, have6;
	uv_timer_t timer;
	target_t *t;
	size_t n, cap;
	bool stopping;
	dnsd_remote_t conf_remotes[DNSD_MAX_SECONDARY]; /* the config's secondary lines */
};

static bool same_remote(const dnsd_remote_t *a, const dnsd_remote_t *b)
{
	return a->port == b->port && !strcmp(a->addr, b->addr);
}

static target_t *target_get(dnsd_notify_t *nf, const uint8_t *apex, const dnsd_remote_t *srv,
                            bool create)
{
	for (size_t i = 0; i < nf->n; i++)
		if (same_remote(&nf->t[i].srv, srv) && zones_name_cmp(nf->t[i].apex, apex) == 0)
			return &nf->t[i];
	if (!create)
		return NULL;
	if (nf->n == nf->cap) {
		size_t nc = nf->cap ? 2 * nf->cap : 64;
		target_t *p = realloc(nf->t, nc * sizeof *p);
		if (!p)
			return NULL;
		nf->t = p;
		nf->cap = nc;
	}
	target_t *t = &nf->t[nf->n++];
	memset(t, 0, sizeof *t);
	memcpy(t->apex, apex, zones_name_len(apex, ZONES_NAME_MAX));
	t->srv = *srv;
	return t;
}

static bool sockaddr_of(const dnsd_remote_t *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, s->addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(s->port);
		return true;
	}
	if (inet_pton(AF_INET6, s->addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(s->port);
		return true;
	}
	return false;
}

static void send_one(dnsd_notify_t *nf, target_t *t, uint64_t now_ms)
{
	const dnsd_remote_t *srv = &t->srv;
	char zn[1024];
	zones_name_print(t->apex, zn, sizeof zn);
	/* RFC 1996 3.7: opcode NOTIFY, AA, the zone's SOA as the question */
	uint8_t msg[1024];
	uint16_t id;
	if (dns_random_bytes(&id, sizeof id) != 0)
		id = (uint16_t)now_ms;
	t->id = id;
	dns_put16(msg, id);
	dns_put16(msg + 2, (4 << 11) | 0x0400);
	dns_put16(msg + 4, 1);
	memset(msg + 6, 0, 6);
	size_t al = zones_name_len(t->apex, ZONES_NAME_MAX), len = 12;
	memcpy(msg + len, t->apex, al);
	len += al;
	dns_put16(msg + len, ZONES_T_SOA);
	dns_put16(msg + len + 2, 1);
	len += 4;
	if (t->sign && dnsd_tsig_sign_request(msg, &len, sizeof msg, &t->key, (uint64_t)time(NULL),
	                                      &t->tsig) != 0) {
		dns_log_error("NOTIFY of zone %s to %s@%u: cannot sign it", zn, srv->addr, srv->port);
		t->pending = false;
		return;
	}
	struct sockaddr_storage ss;
	if (!sockaddr_of(srv, &ss))
		return;
	uv_udp_t *u = ss.ss_family == AF_INET ? (nf->have4 ? &nf->udp4 : NULL)
	                                      : (nf->have6 ? &nf->udp6 : NULL);
	uv_buf_t b = uv_buf_init((char *)msg, (unsigned)len);
	if (!u || uv_udp_try_send(u, &b, 1, (const struct sockaddr *)&ss) < 0)
		dns_log_debug("NOTIFY of zone %s to %s@%u: not sent", zn, srv->addr, srv->port);
	t->tries++;
	uint64_t delay = (uint64_t)RETRY_FIRST << (t->tries - 1);
	t->next_ms = now_ms + (delay > RETRY_MAX ? RETRY_MAX : delay);
	if (t->tries == 1)
		dns_log_info("NOTIFY of zone %s serial %u to %s@%u%s", zn, t->serial, srv->addr,
		             srv->port, t->sign ? " (TSIG)" : "");
}

static void arm(dnsd_notify_t *nf);

static void timer_cb(uv_timer_t *tm)
{
	dnsd_notify_t *nf = tm->data;
	uint64_t now = dns_now_ms();
	for (size_t i = 0; i < nf->n; i++) {
		target_t *t = &nf->t[i];
		if (!t->pending || t->next_ms > now)
			continue;
		if (t->tries >= MAX_TRIES) {
			char zn[1024];
			const dnsd_remote_t *srv = &t->srv;
			zones_name_print(t->apex, zn, sizeof zn);
			dns_log_error("NOTIFY of zone %s serial %u to %s@%u: no answer after %u tries; "
			              "the secondary will see the change at its next refresh", zn,
			              t->serial, srv->addr, srv->port, t->tries);
			t->pending = false;
			continue;
		}
		send_one(nf, t, now);
	}
	arm(nf);
}

static void arm(dnsd_notify_t *nf)
{
	if (nf->stopping)
		return;
	uint64_t now = dns_now_ms(), next = 0;
	for (size_t i = 0; i < nf->n; i++)
		if (nf->t[i].pending && (!next || nf->t[i].next_ms < next))
			next = nf->t[i].next_ms;
	if (next)
		uv_timer_start(&nf->timer, timer_cb, next > now ? next - now : 0, 0);
	else
		uv_timer_stop(&nf->timer);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	static char rbuf[4096];
	(void)h;
	(void)suggested;
	buf->base = rbuf;
	buf->len = sizeof rbuf;
}

/* RFC 1996 4.7: the answer has the same ID, QR set, opcode NOTIFY. */
static void recv_cb(uv_udp_t *u, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
	dnsd_notify_t *nf = u->data;
	(void)flags;
	if (n < 12 || !from)
		return;
	const uint8_t *m = (const uint8_t *)buf->base;
	uint16_t f = dns_get16(m + 2);
	if (!(f & 0x8000) || ((f >> 11) & 0xf) != 4)
		return;
	char addr[INET6_ADDRSTRLEN];
	uint16_t port;
	if (from->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)from)->sin_addr, addr, sizeof addr);
		port = ntohs(((const struct sockaddr_in *)from)->sin_port);
	} else {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)from)->sin6_addr, addr, sizeof addr);
		port = ntohs(((const struct sockaddr_in6 *)from)->sin6_port);
	}
	for (size_t i = 0; i < nf->n; i++) {
		target_t *t = &nf->t[i];
		const dnsd_remote_t *srv = &t->srv;
		if (!t->pending || t->id != dns_get16(m) || srv->port != port)
			continue;
		struct sockaddr_storage want;
		char wa[INET6_ADDRSTRLEN];
		if (!sockaddr_of(srv, &want) ||
		    !inet_ntop(want.ss_family, want.ss_family == AF_INET ?
		                   (void *)&((struct sockaddr_in *)&want)->sin_addr :
		                   (void *)&((struct sockaddr_in6 *)&want)->sin6_addr, wa, sizeof wa) ||
		    strcmp(wa, addr) != 0)
			continue;
		char zn[1024];
		zones_name_print(t->apex, zn, sizeof zn);
		if (t->sign && dnsd_tsig_verify_response(m, (size_t)n, &t->tsig,
		                                         (uint64_t)time(NULL)) != 0) {
			dns_log_warning("NOTIFY of zone %s to %s@%u: the answer's TSIG does not verify",
			                zn, addr, port);
			return; /* keep trying: a forged answer must not stop us */
		}
		unsigned rc = f & 0xf;
		if (rc != 0) {
			dns_log_warning("NOTIFY of zone %s to %s@%u: answered with rcode %u", zn, addr,
			                port, rc);
			t->pending = false; /* it said no: trying again will not change that */
			return;
		}
		t->pending = false;
		t->acked_serial = t->serial;
		t->acked_at = (int64_t)time(NULL);
		dns_log_debug("NOTIFY of zone %s serial %u acknowledged by %s@%u", zn, t->serial,
		              addr, port);
		arm(nf);
		return;
	}
}

int dnsd_notify_start(uv_loop_t *loop, const dnsd_config_t *conf, dnsd_epoch_t *ep,
                      dnsd_notify_t **out)
{
	dnsd_notify_t *nf = calloc(1, sizeof *nf);
	if (!nf)
		return DNS_ENOMEM;
	nf->loop = loop;
	nf->conf = conf;
	nf->ep = ep;
	for (unsigned i = 0; i < conf->nsecondary; i++) {
		dnsd_remote_t *r = &nf->conf_remotes[i];
		snprintf(r->addr, sizeof r->addr, "%s", conf->secondary[i].addr);
		r->port = conf->secondary[i].port;
		memcpy(r->key, conf->secondary_key[i], sizeof r->key);
	}
	uv_timer_init(loop, &nf->timer);
	nf->timer.data = nf;
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	/* both families: zones may name secondaries of their own (zone set --notify) */
	bool want4 = true, want6 = true;
	if (want4 && uv_udp_init(loop, &nf->udp4) == 0) {
		nf->udp4.data = nf;
		nf->have4 = uv_udp_bind(&nf->udp4, (const struct sockaddr *)&a4, 0) == 0 &&
		            uv_udp_recv_start(&nf->udp4, alloc_cb, recv_cb) == 0;
	}
	if (want6 && uv_udp_init(loop, &nf->udp6) == 0) {
		nf->udp6.data = nf;
		nf->have6 = uv_udp_bind(&nf->udp6, (const struct sockaddr *)&a6, 0) == 0 &&
		            uv_udp_recv_start(&nf->udp6, alloc_cb, recv_cb) == 0;
	}
	*out = nf;
	return 0;
}

/* The key named on a secondary's line, from the snapshot (the state's keys). */
static bool key_find(const zones_snapshot_t *snap, const uint8_t *name, dnsd_tsig_key_t *out)
{
	for (uint32_t i = 0; snap && i < snap->ntsig; i++)
		if (zones_name_cmp(snap->tsig[i].name, name) == 0) {
			*out = snap->tsig[i];
			return true;
		}
	return false;
}

/* The secondaries of zone \p z: its own list (zone set --notify), else the config's. */
static unsigned remotes_of(const dnsd_notify_t *nf, const zones_czone_t *z,
                           const dnsd_remote_t **list)
{
	const dnsd_zone_xfr_t *zx = z->ext;
	if (zx && zx->has_notify) {
		*list = zx->notify;
		return zx->nnotify;
	}
	*list = nf->conf_remotes;
	return nf->conf->nsecondary;
}

void dnsd_notify_changes(dnsd_notify_t *nf, const zones_snapshot_t *old,
                         const zones_snapshot_t *snap)
{
	if (!nf || nf->stopping || !snap)
		return;
	uint64_t now = dns_now_ms();
	for (uint32_t i = 0; i < snap->nzones; i++) {
		const zones_czone_t *z = snap->zones[i];
		const zones_czone_t *was = old ? zones_snapshot_get(old, z->apex, z->apexlen,
		                                                    zones_name_hash(z->apex, z->apexlen))
		                               : NULL;
		/* RFC 1996 3.5: when the serial changes (a new zone counts) */
		if (was && was->serial == z->serial)
			continue;
		const dnsd_remote_t *rl;
		unsigned nr = remotes_of(nf, z, &rl);
		/* secondaries no longer in the zone's list are forgotten */
		for (size_t k = 0; k < nf->n;) {
			bool keep = zones_name_cmp(nf->t[k].apex, z->apex) != 0;
			for (unsigned s = 0; s < nr && !keep; s++)
				keep = same_remote(&nf->t[k].srv, &rl[s]);
			if (keep) {
				k++;
				continue;
			}
			memset(&nf->t[k].key, 0, sizeof nf->t[k].key);
			nf->t[k] = nf->t[--nf->n];
		}
		for (unsigned s = 0; s < nr; s++) {
			target_t *t = target_get(nf, z->apex, &rl[s], true);
			if (!t)
				return;
			t->srv = rl[s];
			t->serial = z->serial;
			t->pending = true;
			t->tries = 0;
			t->next_ms = now;
			t->sign = rl[s].key[0] != 0;
			if (t->sign && !key_find(snap, rl[s].key, &t->key)) {
				char kn[1024], zn[1024];
				zones_name_print(rl[s].key, kn, sizeof kn);
				zones_name_print(z->apex, zn, sizeof zn);
				dns_log_error("NOTIFY of zone %s to %s@%u: no TSIG key %s in the state "
				              "(dnsctl tsig add %s)", zn, rl[s].addr, rl[s].port, kn, kn);
				t->pending = false;
			}
		}
	}
	arm(nf);
}

void dnsd_notify_status(dnsd_notify_t *nf, const uint8_t *apex, char *out, size_t len)
{
	size_t o = (size_t)snprintf(out, len, "[");
	bool first = true;
	for (size_t i = 0; nf && i < nf->n && o < len; i++) {
		const target_t *t = &nf->t[i];
		if (zones_name_cmp(t->apex, apex) != 0)
			continue;
		o += (size_t)snprintf(out + o, len - o,
		                      "%s{\"secondary\": \"%s@%u\", \"notify_serial\": %u, "
		                      "\"pending\": %s, \"tries\": %u, \"acked_serial\": %u, "
		                      "\"acked_at\": %lld}", first ? "" : ", ", t->srv.addr, t->srv.port,
		                      t->serial, t->pending ? "true" : "false", t->tries,
		                      t->acked_serial, (long long)t->acked_at);
		first = false;
	}
	if (o < len)
		snprintf(out + o, len - o, "]");
}

void dnsd_notify_stop(dnsd_notify_t *nf)
{
	if (!nf)
		return;
	nf->stopping = true;
	uv_timer_stop(&nf->timer);
	if (nf->have4)
		uv_udp_recv_stop(&nf->udp4);
	if (nf->have6)
		uv_udp_recv_stop(&nf->udp6);
}

void dnsd_notify_free(dnsd_notify_t *nf)
{
	if (!nf)
		return;
	for (size_t i = 0; i < nf->n; i++)
		memset(&nf->t[i].key, 0, sizeof nf->t[i].key);
	free(nf->t);
	free(nf);
}
