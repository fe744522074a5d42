/* SPDX-License-Identifier: MIT */
/*
 * DNS over TCP (RFC 7766) on the main libuv loop: two-octet length framing
 * (RFC 1035 4.2.2), pipelined queries answered as they arrive, an idle
 * timeout, a connection limit, and backpressure when a client stops reading.
 */
#include <stdlib.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include "dnsd/server_int.h"

#define RBUF (2 + 65535)
#define WQ_MAX (256 * 1024) /* stop reading while this much is unsent */

typedef struct conn {
	uv_tcp_t h;
	uv_timer_t idle;
	struct dnsd_tcp *t;
	uint8_t *rbuf;
	size_t rlen;
	bool reading, closing;
	int closes_pending;
	dnsd_query_in_t q;
	/* an outgoing zone transfer (RFC 5936 4.2: its messages follow one
	 * another on the connection; queries after it wait) */
	dnsd_xfr_req_t xreq;
	dnsd_xfr_t x;
	zones_snapshot_t *pinned;  /* the snapshot holding x's zone */
	bool xfr_active, xfr_soa_only;
	dns_buf_t ixfr;   /* IXFR from the journal: the RRs to send */
	size_t ixfr_off;
	bool ixfr_mode;
	char peer[INET6_ADDRSTRLEN + 8];
	uint64_t xfr_started;
} conn_t;

typedef struct {
	uv_tcp_t h;
	struct dnsd_tcp *t;
} listener_t;

struct dnsd_tcp {
	uv_loop_t *loop;
	dnsd_config_t *conf;
	dnsd_epoch_t *ep;
	dns_state_t *st;  /* the IXFR journal */
	listener_t *ls;
	unsigned nls;
	unsigned nconns;
	dnsd_engine_t eng;
	uint8_t *out; /* 2 + 65535: one answer at a time on this thread */
};

typedef struct {
	uv_write_t req;
	uint8_t data[];
} wreq_t;

static void xfr_end(conn_t *c)
{
	dns_buf_deinit(&c->ixfr);
	c->ixfr_mode = false;
	if (c->pinned)
		c->pinned->pins--; /* dnsd_epoch_reclaim may free it now */
	c->pinned = NULL;
	c->xfr_active = false;
}

static void conn_closed(uv_handle_t *h)
{
	conn_t *c = h->data;
	if (--c->closes_pending == 0) {
		if (c->xfr_active) {
			char zn[1024];
			zones_name_print(c->x.z->apex, zn, sizeof zn);
			dns_log_warning("transfer of zone %s to %s: connection closed after %" PRIu64
			                " messages", zn, c->peer, c->x.msgs);
		}
		xfr_end(c);
		c->t->nconns--;
		free(c->rbuf);
		free(c);
	}
}

static void conn_close(conn_t *c)
{
	if (c->closing)
		return;
	c->closing = true;
	c->closes_pending = 2;
	uv_close((uv_handle_t *)&c->idle, conn_closed);
	uv_close((uv_handle_t *)&c->h, conn_closed);
}

static void idle_fired(uv_timer_t *tm)
{
	conn_close(tm->data); /* RFC 7766 6.2.3 */
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	conn_t *c = h->data;
	buf->base = (char *)c->rbuf + c->rlen;
	buf->len = RBUF - c->rlen;
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void process(conn_t *c);
static void xfr_pump(conn_t *c);

static void write_done(uv_write_t *req, int status)
{
	conn_t *c = req->handle->data;
	free(req->data);
	if (status < 0) {
		conn_close(c);
		return;
	}
	if (c->xfr_active && !c->closing &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&c->h) < WQ_MAX / 2)
		xfr_pump(c);
	if (!c->reading && !c->closing && !c->xfr_active &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&c->h) < WQ_MAX / 2) {
		process(c); /* what was read before the pause first */
		if (!c->closing && uv_stream_get_write_queue_size((uv_stream_t *)&c->h) <= WQ_MAX) {
			c->reading = true;
			uv_read_start((uv_stream_t *)&c->h, alloc_cb, read_cb);
		}
	}
}

static void reply(conn_t *c, const uint8_t *msg, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)msg, (unsigned)len);
	int n = uv_try_write((uv_stream_t *)&c->h, &b, 1);
	if (n == (int)len)
		return;
	if (n < 0 && n != UV_EAGAIN) {
		conn_close(c);
		return;
	}
	size_t done = n > 0 ? (size_t)n : 0;
	wreq_t *w = malloc(sizeof *w + len - done);
	if (!w) {
		conn_close(c);
		return;
	}
	memcpy(w->data, msg + done, len - done);
	w->req.data = w;
	b = uv_buf_init((char *)w->data, (unsigned)(len - done));
	if (uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, write_done)) {
		free(w);
		conn_close(c);
	}
}

/* A refused or unauthorised transfer request is logged (who asked for what). */
void dnsd_xfr_refusal_log(const uint8_t *ans, size_t len, const char *peer)
{
	unsigned rc = len >= 12 ? (ans[3] & 0xf) : 0;
	if (rc != 5 && rc != 9)
		return;
	size_t o = 12;
	while (o < len && ans[o] && ans[o] < 64)
		o += 1u + ans[o];
	if (o + 5 > len || ans[o] || dns_get16(ans + 4) != 1)
		return;
	uint16_t qt = dns_get16(ans + o + 1);
	if (qt != ZONES_T_AXFR && qt != ZONES_T_IXFR)
		return;
	char zn[1024];
	zones_name_print(ans + 12, zn, sizeof zn);
	dns_log_warning("%s of zone %s from %s: %s", qt == ZONES_T_AXFR ? "AXFR" : "IXFR", zn,
	                peer, rc == 5 ? "REFUSED (not allowed by the transfer ACL)"
	                              : "NOTAUTH (no such zone, or a TSIG error)");
}

/* RFC 1982 3.2: is a at or after b? */
static bool serial_ge(uint32_t a, uint32_t b)
{
	return a == b || (int32_t)(a - b) > 0;
}

static void xfr_start(conn_t *c, zones_snapshot_t *snap)
{
	snap->pins++;
	c->pinned = snap;
	c->xfr_active = true;
	c->xfr_started = dns_now_ms();
	dnsd_xfr_init(&c->x, c->xreq.zone, c->q.data, c->q.len);
	c->x.edns = c->xreq.edns;
	c->x.expire = c->xreq.expire;
	c->x.expire_val = c->xreq.expire_val;
	c->x.udp_max = c->xreq.udp_max;
	/* RFC 1995 4: a client that is up to date gets the SOA alone */
	c->xfr_soa_only = c->xreq.qtype == ZONES_T_IXFR && c->xreq.has_serial &&
	                  serial_ge(c->xreq.serial, c->xreq.zone->serial);
	/* RFC 1995 4: the differences from the journal when it reaches back to
	 * the client's serial, else the whole zone */
	dns_buf_init(&c->ixfr);
	c->ixfr_off = 0;
	c->ixfr_mode = c->xreq.qtype == ZONES_T_IXFR && c->xreq.has_serial && !c->xfr_soa_only &&
	               dnsd_journal_ixfr(c->t->st, c->xreq.zone->apex, c->xreq.serial,
	                                 c->xreq.zone->serial, &c->ixfr) == 0;
	if (!c->ixfr_mode)
		dns_buf_deinit(&c->ixfr);
	if (c->xfr_soa_only)
		c->x.phase = DNSD_XFR_LAST_SOA; /* one message: the SOA */
}

static void xfr_pump(conn_t *c)
{
	struct dnsd_tcp *t = c->t;
	while (c->xfr_active && !c->closing &&
	       uv_stream_get_write_queue_size((uv_stream_t *)&c->h) <= WQ_MAX) {
		size_t len = 0;
		int more;
		if (c->ixfr_mode) {
			size_t used = 0;
			more = dnsd_xfr_ixfr_next(&c->x, c->ixfr.data + c->ixfr_off,
			                          c->ixfr.len - c->ixfr_off, &used, t->out + 2, 65535,
			                          &len);
			c->ixfr_off += used;
			if (more == 0)
				more = c->ixfr_off < c->ixfr.len ? 1 : 0;
		} else {
			more = dnsd_xfr_axfr_next(&c->x, t->out + 2, 65535, &len);
		}
		char zn[1024];
		zones_name_print(c->x.z->apex, zn, sizeof zn);
		if (more < 0) {
			dns_log_error("transfer of zone %s to %s: %s (an RRset larger than a message)",
			              zn, c->peer, dns_strerror(more));
			xfr_end(c);
			conn_close(c);
			return;
		}
		/* RFC 8945 5.3.1: every message of the answer signed, in a chain */
		if (c->xreq.sign && dnsd_tsig_sign(t->out + 2, &len, 65535, &c->xreq.tsig,
		                                   (uint64_t)time(NULL)) != 0) {
			xfr_end(c);
			conn_close(c);
			return;
		}
		dns_put16(t->out, (uint16_t)len);
		reply(c, t->out, len + 2);
		uv_timer_again(&c->idle); /* a long transfer is not an idle connection */
		if (more == 0) {
			dns_log_info("%s of zone %s serial %u to %s%s: %" PRIu64 " messages, %" PRIu64
			             " records, %" PRIu64 " ms",
			             c->xfr_soa_only ? "IXFR (up to date)" :
			             c->ixfr_mode ? "IXFR" :
			             c->xreq.qtype == ZONES_T_IXFR ? "IXFR (as a full transfer)" : "AXFR",
			             zn, c->x.z->serial, c->peer, c->xreq.sign ? " (TSIG)" : "", c->x.msgs,
			             c->x.rrs, dns_now_ms() - c->xfr_started);
			xfr_end(c);
			/* queries that came after the transfer request */
			if (!c->closing)
				process(c);
			if (!c->closing && !c->reading &&
			    uv_stream_get_write_queue_size((uv_stream_t *)&c->h) <= WQ_MAX) {
				c->reading = true;
				uv_read_start((uv_stream_t *)&c->h, alloc_cb, read_cb);
			}
			return;
		}
	}
}

/* Answer the complete messages in the buffer, in order (RFC 7766 6.2.1.1:
 * pipelining), until the client has too many unread answers: then stop
 * reading, keep the rest, and go on when its answers drain (write_done). */
static void process(conn_t *c)
{
	struct dnsd_tcp *t = c->t;
	size_t o = 0;
	c->q.now = (uint32_t)time(NULL);
	c->q.xfr = &c->xreq;
	while (c->rlen - o >= 2 && !c->closing && !c->xfr_active) {
		if (uv_stream_get_write_queue_size((uv_stream_t *)&c->h) > WQ_MAX) {
			if (c->reading) {
				uv_read_stop((uv_stream_t *)&c->h);
				c->reading = false;
			}
			break;
		}
		size_t mlen = dns_get16(c->rbuf + o);
		if (c->rlen - o - 2 < mlen)
			break;
		c->q.data = c->rbuf + o + 2;
		c->q.len = mlen;
		size_t alen;
		const zones_snapshot_t *snap = atomic_load(&t->ep->current);
		int how = snap ? dnsd_engine_answer(&t->eng, snap, &c->q, t->out + 2, 65535, &alen)
		               : DNSD_DROP;
		if (how == DNSD_RESPOND) {
			dnsd_xfr_refusal_log(t->out + 2, alen, c->peer);
			dns_put16(t->out, (uint16_t)alen);
			reply(c, t->out, alen + 2);
		} else if (how == DNSD_XFR) {
			xfr_start(c, (zones_snapshot_t *)snap);
			o += 2 + mlen;
			break;
		} else if (mlen < 12) {
			conn_close(c); /* not DNS: RFC 7766 6.2.4 lets us close */
		}
		o += 2 + mlen;
	}
	if (c->closing)
		return;
	memmove(c->rbuf, c->rbuf + o, c->rlen - o);
	c->rlen -= o;
	if (c->xfr_active)
		xfr_pump(c);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	conn_t *c = s->data;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (nread == 0)
		return;
	c->rlen += (size_t)nread;
	uv_timer_again(&c->idle);
	process(c);
}

static void accept_cb(uv_stream_t *server, int status)
{
	listener_t *l = server->data;
	struct dnsd_tcp *t = l->t;
	if (status < 0)
		return;
	conn_t *c = calloc(1, sizeof *c);
	if (!c)
		return;
	c->t = t;
	uv_tcp_init(t->loop, &c->h);
	uv_timer_init(t->loop, &c->idle);
	c->h.data = c;
	c->idle.data = c;
	t->nconns++;
	c->closes_pending = 0;
	if (uv_accept(server, (uv_stream_t *)&c->h) != 0 || t->nconns > t->conf->tcp_max_clients ||
	    !(c->rbuf = malloc(RBUF))) {
		/* over the limit: RFC 7766 6.2.2 lets a server close at once */
		conn_close(c);
		return;
	}
	struct sockaddr_storage ss;
	int sl = sizeof ss;
	if (uv_tcp_getpeername(&c->h, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			memcpy(c->q.addr, &((struct sockaddr_in *)&ss)->sin_addr, 4);
			c->q.addrlen = 4;
		} else {
			memcpy(c->q.addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
			c->q.addrlen = 16;
		}
	}
	c->q.tcp = true;
	if (c->q.addrlen)
		inet_ntop(c->q.addrlen == 4 ? AF_INET : AF_INET6, c->q.addr, c->peer, sizeof c->peer);
	uv_tcp_nodelay(&c->h, 1);
	uv_timer_start(&c->idle, idle_fired, t->conf->tcp_idle_ms, t->conf->tcp_idle_ms);
	c->reading = true;
	uv_read_start((uv_stream_t *)&c->h, alloc_cb, read_cb);
}

int dnsd_tcp_start(uv_loop_t *loop, dnsd_config_t *conf, dnsd_epoch_t *ep, dns_state_t *st,
                   dnsd_tcp_t **out)
{
	struct dnsd_tcp *t = calloc(1, sizeof *t);
	if (!t)
		return DNS_ENOMEM;
	t->st = st;
	t->loop = loop;
	t->conf = conf;
	t->ep = ep;
	t->eng.conf = &conf->engine;
	t->out = malloc(2 + 65535);
	t->ls = calloc(conf->nlisten ? conf->nlisten : 1, sizeof *t->ls);
	if (!t->out || !t->ls) {
		free(t->out);
		free(t->ls);
		free(t);
		return DNS_ENOMEM;
	}
	int ret = 0;
	for (unsigned i = 0; i < conf->nlisten; i++) {
		const dnsd_listen_t *l = &conf->listen[i];
		if ((ret = dnsd_addr_check_free(l, SOCK_STREAM)) != 0) {
			dns_log_error("cannot listen on %s (TCP): %s", l->text, dns_strerror(ret));
			break;
		}
		listener_t *ls = &t->ls[t->nls];
		uv_tcp_init_ex(loop, &ls->h, l->addr.ss_family);
		ls->h.data = ls;
		ls->t = t;
		t->nls++;
		ret = uv_tcp_bind(&ls->h, (const struct sockaddr *)&l->addr,
		                  l->addr.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
		if (ret == 0)
			ret = uv_listen((uv_stream_t *)&ls->h, 256, accept_cb);
		if (ret) {
			dns_log_error("cannot listen on %s (TCP): %s", l->text, uv_strerror(ret));
			break;
		}
	}
	*out = t;
	return ret;
}

static void listener_closed(uv_handle_t *h) { (void)h; }

void dnsd_tcp_stop(dnsd_tcp_t *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->nls; i++)
		uv_close((uv_handle_t *)&t->ls[i].h, listener_closed);
}

void dnsd_tcp_free(dnsd_tcp_t *t)
{
	if (!t)
		return;
	free(t->ls);
	free(t->out);
	free(t);
}

void dnsd_tcp_stats(dnsd_tcp_t *t, dnsd_engine_stats_t *sum)
{
	if (!t)
		return;
	dnsd_engine_stats_add(sum, &t->eng.stats);
}

unsigned dnsd_tcp_clients(const dnsd_tcp_t *t)
{
	return t ? t->nconns : 0;
}
