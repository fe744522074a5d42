/* SPDX-License-Identifier: MIT */
/* Epoch-based reclamation of snapshots (quiescent-state, RCU style). */
#include <stdlib.h>
#include "dnsd/server_int.h"

int dnsd_epoch_init(dnsd_epoch_t *e, unsigned nreaders)
{
	e->readers = calloc(nreaders ? nreaders : 1, sizeof *e->readers);
	if (!e->readers)
		return DNS_ENOMEM;
	e->nreaders = nreaders;
	atomic_store(&e->current, NULL);
	atomic_store(&e->epoch, 1);
	e->retired = NULL;
	return 0;
}

void dnsd_epoch_deinit(dnsd_epoch_t *e)
{
	/* readers are stopped: everything may go */
	zones_snapshot_free(atomic_exchange(&e->current, NULL));
	while (e->retired) {
		dnsd_retired_t *r = e->retired;
		e->retired = r->next;
		zones_snapshot_free(r->snap);
		free(r);
	}
	free(e->readers);
}

int dnsd_epoch_publish(dnsd_epoch_t *e, zones_snapshot_t *s)
{
	dnsd_retired_t *r = malloc(sizeof *r);
	if (!r)
		return DNS_ENOMEM;
	zones_snapshot_t *old = atomic_exchange(&e->current, s);
	/* readers that entered before this increment may hold old */
	r->epoch = atomic_fetch_add(&e->epoch, 1) + 1;
	if (!old) {
		free(r);
		return 0;
	}
	r->snap = old;
	r->next = e->retired;
	e->retired = r;
	dnsd_epoch_reclaim(e);
	return 0;
}

void dnsd_epoch_reclaim(dnsd_epoch_t *e)
{
	uint64_t min = UINT64_MAX;
	for (unsigned i = 0; i < e->nreaders; i++) {
		uint64_t a = atomic_load(&e->readers[i].active);
		if (a && a < min)
			min = a;
	}
	dnsd_retired_t **pp = &e->retired;
	while (*pp) {
		dnsd_retired_t *r = *pp;
		if (r->epoch <= min && r->snap->pins == 0) {
			*pp = r->next;
			zones_snapshot_free(r->snap);
			free(r);
		} else {
			pp = &r->next;
		}
	}
}
