/* SPDX-License-Identifier: MIT */
/*
 * The main loop: opens the state, builds the first snapshot, starts the UDP
 * workers, TCP and the control socket, then watches the state for commits
 * (DESIGN.md section 3: polling the last transaction id catches changes from
 * any writer, the control socket makes them immediate) and handles signals:
 * SIGHUP re-reads the config, SIGTERM/SIGINT stop.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dnsd/server_int.h"

typedef struct {
	uv_loop_t *loop;
	dnsd_config_t *conf;
	dns_state_t *st;
	dnsd_builder_t *builder;
	dnsd_epoch_t ep;
	dnsd_udp_t *udp;
	dnsd_tcp_t *tcp;
	dnsd_control_t *control;
	dnsd_mailtimer_t *mail;
	dnsd_notify_t *notify;
	uv_timer_t poll;
	uv_signal_t sig_term, sig_int, sig_hup;
	uint64_t last_txn;
	uint64_t retry_at; /* after a failed rebuild: when to try again */
	time_t started;
} server_t;

static int rebuild(server_t *s, uint64_t *seen)
{
	zones_snapshot_t *snap = NULL;
	uint64_t t0 = dns_now_ms();
	int ret = dnsd_builder_update(s->builder, &snap, seen);
	if (ret) {
		dns_log_error("cannot update zones from %s: %s (still serving the previous data)",
		              dns_state_dir(s->st), dns_strerror(ret));
		return ret;
	}
	if (snap) {
		/* before publishing: the old snapshot may be freed by it */
		dnsd_notify_changes(s->notify, atomic_load(&s->ep.current), snap);
		if ((ret = dnsd_epoch_publish(&s->ep, snap)) != 0) {
			zones_snapshot_free(snap);
			return ret;
		}
		dns_log_debug("snapshot %" PRIu64 " published: %u zones in %" PRIu64 " ms",
		              snap->generation, snap->nzones, dns_now_ms() - t0);
	}
	return 0;
}

/* Rebuild if anything was committed since we last looked, or if the last
 * rebuild failed (then at most every 5 seconds, so the log is not flooded). */
static int refresh(server_t *s)
{
	uint64_t txn = dns_state_last_txnid(s->st), now = dns_now_ms();
	if (txn == s->last_txn && !(s->retry_at && now >= s->retry_at))
		return 0;
	uint64_t seen = 0;
	int ret = rebuild(s, &seen);
	dnsd_mailtimer_kick(s->mail);
	/* what the build included (our own serial write after it is no change);
	 * anything committed meanwhile differs from this and is picked up next */
	s->last_txn = ret ? txn : seen;
	s->retry_at = ret ? now + 5000 : 0;
	if (ret == 0 && seen != dns_state_last_txnid(s->st))
		return refresh(s); /* a commit raced with the build: include it now */
	return ret;
}

static void poll_cb(uv_timer_t *t)
{
	server_t *s = t->data;
	dnsd_epoch_reclaim(&s->ep);
	/* signatures falling due are refreshed like a change (RFC 4035 2: zones
	 * stay signed) */
	uint32_t due = dnsd_builder_next_due(s->builder);
	if (due && (uint32_t)time(NULL) >= due && !s->retry_at)
		s->last_txn = 0;
	(void)refresh(s);
}

static void reload(server_t *s, char *out, size_t len)
{
	dnsd_config_t fresh;
	char err[1200];
	const dnsd_config_t *c = s->conf;
	if (dnsd_config_defaults(&fresh) ||
	    dnsd_config_load(&fresh, c->config_path, c->config_required, err, sizeof err)) {
		dns_log_error("reload: %s (keeping the running configuration)", err);
		snprintf(out, len, "error: %s", err);
		dnsd_config_deinit(&fresh);
		return;
	}
	dnsd_config_deinit(&fresh);
	/* What changes live: logging.  Listen addresses, workers and the engine
	 * settings (read by the workers without locks) need a restart. */
	s->conf->log_level = c->debug_forced ? DNS_LOG_DEBUG : fresh.log_level;
	dns_log_level_set(s->conf->log_level);
	dns_log_info("configuration reloaded from %s (log-level applied; other settings "
	             "apply at the next start)", c->config_path);
	s->last_txn = 0; /* and look at the state again */
	(void)refresh(s);
	snprintf(out, len, "ok");
}

static void ctl_notify(void *arg, char *out, size_t len)
{
	server_t *s = arg;
	int ret = refresh(s);
	const zones_snapshot_t *snap = atomic_load(&s->ep.current);
	if (ret)
		snprintf(out, len, "error: %s", dns_strerror(ret));
	else
		snprintf(out, len, "ok generation %" PRIu64 " zones %u", snap ? snap->generation : 0,
		         snap ? snap->nzones : 0);
}

static void ctl_status(void *arg, char *out, size_t len)
{
	server_t *s = arg;
	dnsd_engine_stats_t st = { 0 };
	dnsd_udp_stats(s->udp, &st);
	dnsd_tcp_stats(s->tcp, &st);
	const zones_snapshot_t *snap = atomic_load(&s->ep.current);
	snprintf(out, len,
	         "{\"version\": \"%s\", \"uptime\": %lld, \"zones\": %u, \"generation\": %" PRIu64
	         ", \"queries\": %" PRIu64 ", \"noerror\": %" PRIu64 ", \"nxdomain\": %" PRIu64
	         ", \"refused\": %" PRIu64 ", \"formerr\": %" PRIu64 ", \"notimp\": %" PRIu64
	         ", \"other_rcode\": %" PRIu64 ", \"truncated\": %" PRIu64 ", \"dropped\": %" PRIu64
	         ", \"tcp_clients\": %u}",
	         PACKAGE_VERSION, (long long)(time(NULL) - s->started), snap ? snap->nzones : 0,
	         snap ? snap->generation : 0, st.queries, st.noerror, st.nxdomain, st.refused,
	         st.formerr, st.notimp, st.servfail, st.truncated, st.dropped,
	         dnsd_tcp_clients(s->tcp));
}

static void ctl_reload(void *arg, char *out, size_t len)
{
	reload(arg, out, len);
}

static void ctl_zone(void *arg, const char *zone, char *out, size_t len)
{
	server_t *s = arg;
	uint8_t apex[ZONES_NAME_MAX];
	int al = zones_name_parse(zone, NULL, apex);
	if (al < 0) {
		snprintf(out, len, "error: bad zone name");
		return;
	}
	zones_name_lower(apex);
	const zones_snapshot_t *snap = atomic_load(&s->ep.current);
	const zones_czone_t *z = snap ? zones_snapshot_get(snap, apex, (size_t)al,
	                                                   zones_name_hash(apex, (size_t)al)) : NULL;
	char st[15000];
	dnsd_notify_status(s->notify, apex, st, sizeof st);
	snprintf(out, len, "{\"served\": %s, \"serial\": %u, \"secondaries\": %s}",
	         z ? "true" : "false", z ? z->serial : 0, st);
}

static void close_any(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void signal_cb(uv_signal_t *h, int signum)
{
	server_t *s = h->data;
	if (signum == SIGHUP) {
		char out[1300];
		reload(s, out, sizeof out);
		return;
	}
	dns_log_info("stopping (signal %d)", signum);
	dnsd_mailtimer_stop(s->mail);
	dnsd_notify_stop(s->notify);
	dnsd_control_stop(s->control);
	dnsd_tcp_stop(s->tcp);
	uv_walk(s->loop, close_any, NULL);
}

int dnsd_server_run(dnsd_config_t *conf)
{
	server_t s = { .conf = conf, .started = time(NULL) };
	int ret = dns_state_open(conf->state_dir, false, &s.st);
	if (ret) {
		dns_log_error("cannot open state %s: %s", conf->state_dir, dns_strerror(ret));
		return ret;
	}
	if ((ret = dnsd_epoch_init(&s.ep, dnsd_udp_threads(conf))) != 0 ||
	    (ret = dnsd_builder_new(s.st, &conf->policies, &s.builder)) != 0) {
		dns_state_close(s.st);
		return ret;
	}
	/* RFC 1995: for zones someone may transfer, keep what changed for IXFR */
	dnsd_builder_journal(s.builder, conf->journal_max, conf->engine.nacl > 0);
	if (conf->catalog[0])
		dnsd_builder_catalog(s.builder, conf->catalog);
	uint64_t t0 = dns_now_ms();
	s.last_txn = 0;
	if ((ret = refresh(&s)) != 0)
		goto out;
	const zones_snapshot_t *snap = atomic_load(&s.ep.current);
	dns_log_info("%u zones ready in %" PRIu64 " ms", snap ? snap->nzones : 0, dns_now_ms() - t0);
	if (!snap) {
		zones_snapshot_t *empty;
		if ((ret = zones_snapshot_new(NULL, 0, 0, &empty)) != 0)
			goto out;
		if ((ret = dnsd_epoch_publish(&s.ep, empty)) != 0) {
			zones_snapshot_free(empty);
			goto out;
		}
	}
	s.loop = uv_default_loop();
	if ((ret = dnsd_tcp_start(s.loop, conf, &s.ep, s.st, &s.tcp)) != 0 ||
	    (ret = dnsd_udp_start(conf, &s.ep, 0, &s.udp)) != 0)
		goto out_loop;
	dnsd_control_ops_t ops = { ctl_notify, ctl_status, ctl_reload, ctl_zone, &s };
	if ((ret = dnsd_control_start(s.loop, conf->state_dir, &ops, &s.control)) != 0)
		goto out_loop;
	for (unsigned i = 0; i < conf->nlisten; i++)
		dns_log_info("listening on %s (UDP and TCP)", conf->listen[i].text);
	if ((ret = dnsd_mailtimer_start(s.loop, s.st, conf, &s.mail)) != 0 ||
	    (ret = dnsd_notify_start(s.loop, conf, &s.ep, &s.notify)) != 0)
		goto out_loop;
	/* a zone may have changed while dnsd was stopped: tell every secondary
	 * what we serve now (RFC 1996 3.5; BIND does the same at start) */
	dnsd_notify_changes(s.notify, NULL, atomic_load(&s.ep.current));
	uv_timer_init(s.loop, &s.poll);
	s.poll.data = &s;
	uv_timer_start(&s.poll, poll_cb, conf->poll_ms, conf->poll_ms);
	uv_signal_t *sigs[] = { &s.sig_term, &s.sig_int, &s.sig_hup };
	int nums[] = { SIGTERM, SIGINT, SIGHUP };
	for (int i = 0; i < 3; i++) {
		uv_signal_init(s.loop, sigs[i]);
		sigs[i]->data = &s;
		uv_signal_start(sigs[i], signal_cb, nums[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	dns_log_info("dnsd %s started, state %s", PACKAGE_VERSION, conf->state_dir);
	uv_run(s.loop, UV_RUN_DEFAULT);
	ret = 0;
out_loop:
	if (ret && s.loop) {
		dnsd_mailtimer_stop(s.mail);
		dnsd_notify_stop(s.notify);
		dnsd_control_stop(s.control);
		dnsd_tcp_stop(s.tcp);
		uv_walk(s.loop, close_any, NULL);
		uv_run(s.loop, UV_RUN_DEFAULT);
	}
	dnsd_udp_stop(s.udp);
	dnsd_tcp_free(s.tcp);
	dnsd_control_free(s.control);
	dnsd_mailtimer_free(s.mail);
	dnsd_notify_free(s.notify);
	if (s.loop)
		uv_loop_close(s.loop);
out:
	dnsd_builder_free(s.builder);
	dnsd_epoch_deinit(&s.ep);
	dns_state_close(s.st);
	if (ret == 0)
		dns_log_info("dnsd stopped");
	return ret;
}
