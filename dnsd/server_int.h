/* SPDX-License-Identifier: MIT */
/* Internal to dnsd's server: shared between server.c, udp.c, tcp.c and epoch.c. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>
#include "dnsd/dnsd.h"

/*
 * Snapshot publication (DESIGN.md section 4): readers load the current
 * snapshot through one atomic pointer after announcing the epoch they run in;
 * a replaced snapshot is freed once every reader is idle or in a later epoch.
 */
typedef struct {
	_Atomic uint64_t active; /* 0: holds no snapshot; else the epoch it entered */
	char pad[56];            /* one cache line per reader */
} dnsd_reader_t;

typedef struct retired {
	zones_snapshot_t *snap;
	uint64_t epoch;
	struct retired *next;
} dnsd_retired_t;

typedef struct {
	_Atomic(zones_snapshot_t *) current;
	_Atomic uint64_t epoch;
	dnsd_reader_t *readers;
	unsigned nreaders;
	dnsd_retired_t *retired;
} dnsd_epoch_t;

int dnsd_epoch_init(dnsd_epoch_t *e, unsigned nreaders);
void dnsd_epoch_deinit(dnsd_epoch_t *e);
/** Reader side: enter before loading the snapshot, leave when done with it. */
static inline const zones_snapshot_t *dnsd_epoch_enter(dnsd_epoch_t *e, unsigned reader)
{
	atomic_store(&e->readers[reader].active, atomic_load(&e->epoch));
	return atomic_load(&e->current);
}
static inline void dnsd_epoch_leave(dnsd_epoch_t *e, unsigned reader)
{
	atomic_store_explicit(&e->readers[reader].active, 0, memory_order_release);
}
/** Writer side (main thread): publish \p s, retire the old one. */
int dnsd_epoch_publish(dnsd_epoch_t *e, zones_snapshot_t *s);
/** Free retired snapshots no reader can hold any more. */
void dnsd_epoch_reclaim(dnsd_epoch_t *e);

/* UDP workers (udp.c): threads outside libuv, recvmmsg/sendmmsg. */
typedef struct dnsd_udp dnsd_udp_t;
int dnsd_udp_start(dnsd_config_t *conf, dnsd_epoch_t *ep, unsigned reader_base,
                   dnsd_udp_t **out);
void dnsd_udp_stop(dnsd_udp_t *u);
unsigned dnsd_udp_threads(const dnsd_config_t *conf);
void dnsd_udp_stats(dnsd_udp_t *u, dnsd_engine_stats_t *sum);

/* TCP (tcp.c): on the main libuv loop. */
typedef struct dnsd_tcp dnsd_tcp_t;
int dnsd_tcp_start(uv_loop_t *loop, dnsd_config_t *conf, dnsd_epoch_t *ep, dns_state_t *st,
                   dnsd_tcp_t **out);
void dnsd_tcp_stop(dnsd_tcp_t *t);
/** After the loop has run the close callbacks. */
void dnsd_tcp_free(dnsd_tcp_t *t);
void dnsd_tcp_stats(dnsd_tcp_t *t, dnsd_engine_stats_t *sum);
unsigned dnsd_tcp_clients(const dnsd_tcp_t *t);

/* Refuse an address another process is already bound to: with SO_REUSEPORT
 * a second bind would succeed silently and split the traffic. */
int dnsd_addr_check_free(const dnsd_listen_t *l, int socktype);

/* The control socket (control.c). Each op writes a one-line reply. */
typedef struct {
	void (*notify)(void *arg, char *reply, size_t len);
	void (*status)(void *arg, char *reply, size_t len);
	void (*reload)(void *arg, char *reply, size_t len);
	void (*zone)(void *arg, const char *zone, char *reply, size_t len);
	void *arg;
} dnsd_control_ops_t;
typedef struct dnsd_control dnsd_control_t;
int dnsd_control_start(uv_loop_t *loop, const char *dir, const dnsd_control_ops_t *ops,
                       dnsd_control_t **out);
void dnsd_control_stop(dnsd_control_t *c);

/** tcp.c: log a refused or unauthorised AXFR/IXFR answer (RFC 5936 4.3 refusals). */
void dnsd_xfr_refusal_log(const uint8_t *ans, size_t len, const char *peer);

/* ---- NOTIFY to the secondaries (notify.c) ---- */
typedef struct dnsd_notify dnsd_notify_t;
_mustcheck_ int dnsd_notify_start(uv_loop_t *loop, const dnsd_config_t *conf, dnsd_epoch_t *ep,
                                  dnsd_notify_t **out);
/** \brief A new snapshot is about to be served: NOTIFY for every serial that changed. */
void dnsd_notify_changes(dnsd_notify_t *nf, const zones_snapshot_t *old,
                         const zones_snapshot_t *snap);
/** \brief JSON array: per secondary, the serial announced and the last acknowledged. */
void dnsd_notify_status(dnsd_notify_t *nf, const uint8_t *apex, char *out, size_t len);
void dnsd_notify_stop(dnsd_notify_t *nf);
void dnsd_notify_free(dnsd_notify_t *nf);

/* ---- the DKIM timer (mailtimer.c) ---- */
typedef struct dnsd_mailtimer dnsd_mailtimer_t;
_mustcheck_ int dnsd_mailtimer_start(uv_loop_t *loop, dns_state_t *st, const dnsd_config_t *conf,
                                     dnsd_mailtimer_t **out);
/** \brief Something was committed: keys may have been created. */
void dnsd_mailtimer_kick(dnsd_mailtimer_t *mt);
void dnsd_mailtimer_stop(dnsd_mailtimer_t *mt);
/** \brief After the loop has ended (a round in progress has finished then). */
void dnsd_mailtimer_free(dnsd_mailtimer_t *mt);
/** After the loop has run the close callbacks. */
void dnsd_control_free(dnsd_control_t *c);
