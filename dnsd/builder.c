/* SPDX-License-Identifier: MIT */
/*
 * The zone builder: turns committed state into compiled zones.  It is the
 * only writer of serials (DESIGN.md section 1): when a zone's content
 * changed, its serial goes up, and the new serial is committed before the
 * zone is served, so a restart never serves an older serial for newer data.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dnsd/builder_int.h"

typedef struct {
	uint8_t apex[ZONES_NAME_MAX];
	uint64_t gen;
	uint32_t next_refresh; /* signed zones: when signatures fall due (0: never) */
	zones_czone_t *zone;   /* one reference held by the builder */
	bool seen;
} entry_t;

struct dnsd_builder {
	dns_state_t *st;
	const keymgr_policies_t *policies;
	entry_t *e;
	size_t n, cap;
	uint64_t generation;
	dns_tsig_key_t *tsig; /* the state's TSIG keys, as last read */
	size_t ntsig;
	size_t journal_max;   /* bytes of IXFR journal per zone; 0: no journal */
	bool journal_all;     /* the configuration lets someone transfer every zone */
	uint8_t catalog[ZONES_NAME_MAX]; /* RFC 9432 catalog zone, or catalog[0] == 0 */
	zones_czone_t *catalog_zone;     /* one reference held by the builder */
};

void dnsd_builder_catalog(dnsd_builder_t *b, const uint8_t *name)
{
	memcpy(b->catalog, name, zones_name_len(name, ZONES_NAME_MAX));
}

void dnsd_builder_journal(dnsd_builder_t *b, size_t maxbytes, bool all)
{
	b->journal_max = maxbytes;
	b->journal_all = all;
}

int dnsd_builder_new(dns_state_t *st, const keymgr_policies_t *policies, dnsd_builder_t **out)
{
	dnsd_builder_t *b = calloc(1, sizeof *b);
	if (!b)
		return DNS_ENOMEM;
	b->st = st;
	b->policies = policies;
	*out = b;
	return 0;
}

static void entry_drop(entry_t *e)
{
	if (e->zone && --e->zone->refs == 0)
		zones_czone_free(e->zone);
	e->zone = NULL;
}

void dnsd_builder_free(dnsd_builder_t *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		entry_drop(&b->e[i]);
	if (b->catalog_zone && --b->catalog_zone->refs == 0)
		zones_czone_free(b->catalog_zone);
	free(b->e);
	if (b->tsig)
		memset(b->tsig, 0, b->ntsig * sizeof *b->tsig);
	free(b->tsig);
	free(b);
}

static int entry_cmp(const void *a, const void *b)
{
	return zones_name_cmp(((const entry_t *)a)->apex, ((const entry_t *)b)->apex);
}

static entry_t *entry_find(dnsd_builder_t *b, const uint8_t *apex)
{
	if (b->n == 0)
		return NULL;
	entry_t key;
	memcpy(key.apex, apex, zones_name_len(apex, ZONES_NAME_MAX));
	return bsearch(&key, b->e, b->n, sizeof *b->e, entry_cmp);
}

/* A zone whose settings generation moved on, to be rebuilt. */
typedef struct {
	uint8_t apex[ZONES_NAME_MAX];
	uint64_t gen;
	char policy[64];
	zones_czone_t *zone;
	zones_served_t served;
	bool write_served;
	bool is_signed;
	char transfer[512], notify[512]; /* the zone's own transfer settings */
	dnsd_signing_t sign;
	uint32_t next_refresh; /* kept from sign, which is freed once persisted */
} job_t;

typedef struct {
	dnsd_builder_t *b;
	uint32_t now;
	uint64_t write_id;
	size_t from, to; /* the jobs served_write persists */
	job_t *jobs;
	size_t njobs, capjobs;
	int err;
} scan_t;

static int scan_zone(const uint8_t *apex, const zones_settings_t *s, void *arg)
{
	scan_t *sc = arg;
	entry_t *e = entry_find(sc->b, apex);
	if (e) {
		e->seen = true;
		/* unchanged, and no signature due for refresh: keep it */
		if (e->gen == s->gen && !(e->next_refresh && sc->now >= e->next_refresh))
			return 0;
	}
	if (sc->njobs == sc->capjobs) {
		size_t cap = sc->capjobs ? sc->capjobs * 2 : 16;
		job_t *j = realloc(sc->jobs, cap * sizeof *j);
		if (!j)
			return DNS_ENOMEM;
		sc->jobs = j;
		sc->capjobs = cap;
	}
	job_t *j = &sc->jobs[sc->njobs++];
	memset(j, 0, sizeof *j);
	memcpy(j->apex, apex, zones_name_len(apex, ZONES_NAME_MAX));
	j->gen = s->gen;
	memcpy(j->policy, s->policy, sizeof j->policy);
	memcpy(j->transfer, s->transfer, sizeof j->transfer);
	memcpy(j->notify, s->notify, sizeof j->notify);
	return 0;
}

/* Free the jobs; their compiled zones too unless they were taken. */
static void jobs_free(scan_t *sc, bool zones_too)
{
	for (size_t i = 0; i < sc->njobs; i++) {
		if (zones_too)
			zones_czone_free(sc->jobs[i].zone);
		dnsd_signing_deinit(&sc->jobs[i].sign);
	}
	free(sc->jobs);
}

/* RFC 1982 serial arithmetic: is a "after" b? */
static bool serial_gt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

static void job_build(dnsd_builder_t *b, dns_state_txn_t *txn, job_t *j,
                      const keymgr_policies_t *ps, uint32_t now)
{
	char name[1024];
	zones_name_print(j->apex, name, sizeof name);
	zones_content_t c;
	zones_content_init(&c, j->apex);
	int ret = zones_store_load(txn, j->apex, &c);
	if (ret == 0)
		ret = zones_content_validate(&c);
	uint8_t digest[32];
	if (ret == 0)
		ret = zones_content_digest(&c, j->policy, digest); /* signing on/off changes it too */
	if (ret) {
		dns_log_error("zone %s: cannot load from the state: %s%s%s", name, dns_strerror(ret),
		              c.err[0] ? ": " : "", c.err);
		zones_content_deinit(&c);
		return;
	}
	uint32_t file_serial = 0;
	(void)zones_content_serial_get(&c, &file_serial);
	zones_served_t sv;
	ret = zones_store_served_get(txn, j->apex, &sv);
	bool have = ret == 0;
	uint32_t serial;
	if (have && memcmp(sv.digest, digest, 32) == 0 && !serial_gt(file_serial, sv.serial)) {
		serial = sv.serial; /* same content: same serial, also across restarts */
		j->served = sv;
	} else {
		/* changed (or new, or re-added after a remove: the served serial
		 * outlives the zone): one step up, or the operator's serial if it is
		 * ahead (an import with a higher serial is how operators ask for one) */
		serial = have ? sv.serial + 1 : file_serial;
		if (have && serial_gt(file_serial, serial))
			serial = file_serial;
		memcpy(j->served.digest, digest, 32);
		j->served.updated = (int64_t)time(NULL);
	}
	bool changed = !have || serial != sv.serial;
	j->served.serial = serial;
	j->served.gen = j->gen;
	j->write_served = !have || sv.serial != serial || sv.gen != j->gen ||
	                  memcmp(sv.digest, digest, 32) != 0;
	ret = zones_content_serial_set(&c, serial);
	if (ret == 0 && j->policy[0]) {
		const keymgr_policy_t *p = keymgr_policy_find(ps, j->policy);
		if (!p) {
			dns_log_error("zone %s: DNSSEC policy '%s' is not in the configuration (add "
			              "[policy %s] or change the zone's policy); %s", name, j->policy,
			              j->policy, have ? "keeping the version served before" : "not served");
			zones_content_deinit(&c);
			return;
		}
		j->is_signed = true;
		ret = dnsd_signing_prepare(txn, j->apex, p, now, &j->sign);
		if (ret == 0)
			ret = dnsd_signing_run(&j->sign, &c, p, now);
		if (ret == 0 && !changed && j->sign.stats.signed_new > 0) {
			/* same records, new signatures (refresh, new keys): the served zone
			 * changed, so its serial goes up; the SOA is signed again */
			j->served.serial = ++serial;
			j->served.updated = (int64_t)time(NULL);
			size_t fresh = j->sign.stats.signed_new;
			if ((ret = zones_content_serial_set(&c, serial)) == 0)
				ret = dnsd_signing_run(&j->sign, &c, p, now);
			j->sign.stats.signed_new += fresh;
		}
		if (j->sign.stats.signed_new || j->sign.keys_new)
			j->write_served = true;
		if (ret == 0)
			dns_log_debug("zone %s: %zu RRsets signed, %zu new signatures, %zu reused", name,
			              j->sign.stats.rrsets, j->sign.stats.signed_new, j->sign.stats.reused);
	}
	if (ret == 0)
		ret = zones_czone_build(&c, serial, &j->zone);
	if (ret)
		dns_log_error("zone %s: cannot compile: %s", name, dns_strerror(ret));
	if (ret == 0) {
		const char *why;
		j->zone->ext = dnsd_zone_xfr_new(j->transfer, j->notify, &why);
		j->zone->ext_free = dnsd_zone_xfr_free;
		if (why)
			dns_log_error("zone %s: transfer settings '%s' / '%s': %s (the configuration's "
			              "apply)", name, j->transfer, j->notify, why);
	}
	/* RFC 1995: what changed since the last serial, for IXFR, when anyone may
	 * transfer the zone */
	bool transferable = b->journal_all || (j->transfer[0] && strcmp(j->transfer, "none"));
	if (ret == 0 && b->journal_max && transferable && (!have || serial != sv.serial)) {
		size_t out = 0, in = 0;
		int jr = dnsd_journal_update(b->st, &c, serial, b->journal_max, &out, &in);
		if (jr)
			dns_log_error("zone %s: journal not updated (IXFR falls back to AXFR): %s",
			              name, dns_strerror(jr));
		else if (have)
			dns_log_debug("zone %s: serial %u: %zu records out, %zu in", name, serial, out,
			              in);
	}
	zones_content_deinit(&c);
}

static int served_write(dns_state_txn_t *txn, void *arg)
{
	scan_t *sc = arg;
	sc->write_id = dns_state_txn_id(txn);
	for (size_t i = sc->from; i < sc->to; i++) {
		job_t *j = &sc->jobs[i];
		if (!j->zone || !j->write_served)
			continue;
		/* the zone may have been removed since we read it */
		zones_settings_t s;
		int ret = zones_store_settings_get(txn, j->apex, &s);
		if (ret == DNS_ENOZONE)
			continue;
		if (ret || (ret = zones_store_served_put(txn, j->apex, &j->served)))
			return ret;
		if (j->is_signed && (ret = dnsd_signing_persist(txn, j->apex, &j->sign)) != 0)
			return ret;
	}
	return 0;
}

#define BATCH 64

/* Store the served serials (and keys and signatures) of jobs [from, to). */
static int batch_persist(dnsd_builder_t *b, scan_t *sc, uint64_t *seen, bool *any)
{
	bool need = false;
	for (size_t i = sc->from; i < sc->to; i++)
		need |= sc->jobs[i].zone && sc->jobs[i].write_served;
	int ret = 0;
	if (need) {
		ret = dns_state_write(b->st, served_write, sc);
		/* Our own write right after what we had seen includes nothing new; any
		 * other commit in between must be read again: not counted as seen. */
		if (ret == 0 && sc->write_id == *seen + 1)
			*seen = sc->write_id;
		*any = true;
	}
	for (size_t i = sc->from; i < sc->to; i++) {
		sc->jobs[i].next_refresh = sc->jobs[i].sign.next_refresh;
		dnsd_signing_deinit(&sc->jobs[i].sign);
	}
	return ret;
}

struct served_put {
	const uint8_t *apex;
	const zones_served_t *sv;
};

static int catalog_served_write(dns_state_txn_t *txn, void *arg)
{
	const struct served_put *sp = arg;
	return zones_store_served_put(txn, sp->apex, sp->sv);
}

/* Make the catalog zone again from the zone list; its serial goes up only
 * when its content changes (the served record keeps it across restarts). */
static void catalog_update(dnsd_builder_t *b)
{
	char name[1024];
	zones_name_print(b->catalog, name, sizeof name);
	if (entry_find(b, b->catalog)) {
		dns_log_error("catalog zone %s: a hosted zone has that name; no catalog served", name);
		if (b->catalog_zone && --b->catalog_zone->refs == 0)
			zones_czone_free(b->catalog_zone);
		b->catalog_zone = NULL; /* the hosted zone is served instead */
		return;
	}
	dns_state_txn_t *txn;
	zones_content_t c;
	zones_content_init(&c, b->catalog);
	zones_served_t sv, nsv;
	uint8_t digest[32];
	bool have = false;
	int ret = dns_state_read_begin(b->st, &txn);
	if (ret == 0) {
		ret = dnsd_catalog_content(txn, b->catalog, &c);
		have = zones_store_served_get(txn, b->catalog, &sv) == 0;
		dns_state_read_end(txn);
	}
	if (ret == 0)
		ret = zones_content_digest(&c, "catalog", digest);
	memset(&nsv, 0, sizeof nsv);
	memcpy(nsv.digest, digest, 32);
	nsv.serial = have ? sv.serial : 1;
	nsv.updated = have ? sv.updated : (int64_t)time(NULL);
	bool changed = !have || memcmp(sv.digest, digest, 32) != 0;
	if (have && changed) {
		nsv.serial = sv.serial + 1;
		nsv.updated = (int64_t)time(NULL);
	}
	zones_czone_t *z = NULL;
	if (ret == 0)
		ret = zones_content_serial_set(&c, nsv.serial);
	if (ret == 0 && changed) {
		struct served_put sp = { b->catalog, &nsv };
		ret = dns_state_write(b->st, catalog_served_write, &sp);
	}
	if (ret == 0 && changed && b->journal_max) {
		size_t out, in;
		if (dnsd_journal_update(b->st, &c, nsv.serial, b->journal_max, &out, &in) != 0)
			dns_log_error("catalog zone %s: journal not updated", name);
	}
	if (ret == 0)
		ret = zones_czone_build(&c, nsv.serial, &z);
	zones_content_deinit(&c);
	if (ret) {
		dns_log_error("catalog zone %s: %s (the previous version stays)", name,
		              dns_strerror(ret));
		return;
	}
	z->refs = 1;
	if (b->catalog_zone && --b->catalog_zone->refs == 0)
		zones_czone_free(b->catalog_zone);
	b->catalog_zone = z;
	if (changed)
		dns_log_info("catalog zone %s: serial %u, %zu member zones", name, nsv.serial, b->n);
}

struct tsig_load {
	dns_tsig_key_t *k;
	size_t n, cap;
};

static int tsig_one(const dns_tsig_key_t *k, void *arg)
{
	struct tsig_load *tl = arg;
	if (tl->n == tl->cap) {
		size_t nc = tl->cap ? 2 * tl->cap : 8;
		dns_tsig_key_t *p = realloc(tl->k, nc * sizeof *p);
		if (!p)
			return DNS_ENOMEM;
		tl->k = p;
		tl->cap = nc;
	}
	tl->k[tl->n++] = *k;
	return 0;
}

/* The TSIG keys travel with the snapshot; a change of keys alone makes a new one. */
static int tsig_refresh(dnsd_builder_t *b, dns_state_txn_t *txn, bool *changed)
{
	struct tsig_load tl = { 0 };
	int ret = dns_tsig_each(txn, tsig_one, &tl);
	if (ret) {
		free(tl.k);
		return ret;
	}
	*changed = tl.n != b->ntsig ||
	           (tl.n && memcmp(tl.k, b->tsig, tl.n * sizeof *tl.k) != 0);
	if (b->tsig)
		memset(b->tsig, 0, b->ntsig * sizeof *b->tsig);
	free(b->tsig);
	b->tsig = tl.k;
	b->ntsig = tl.n;
	return 0;
}

int dnsd_builder_update(dnsd_builder_t *b, zones_snapshot_t **snap, uint64_t *seen)
{
	*snap = NULL;
	for (size_t i = 0; i < b->n; i++)
		b->e[i].seen = false;
	dns_state_txn_t *txn;
	int ret = dns_state_read_begin(b->st, &txn);
	if (ret)
		return ret;
	scan_t sc = { .b = b, .now = (uint32_t)time(NULL) };
	*seen = dns_state_txn_id(txn);
	ret = zones_store_list(txn, scan_zone, &sc);
	bool keys_changed = false;
	if (ret == 0)
		ret = tsig_refresh(b, txn, &keys_changed);
	/* Built and persisted in batches: a batch's keys and signatures are
	 * stored and dropped before the next is signed, so a first start with
	 * many signed zones does not hold all their signatures at once. */
	bool any = false;
	for (size_t i = 0; ret == 0 && i < sc.njobs; i++) {
		job_build(b, txn, &sc.jobs[i], b->policies, sc.now);
		if (i % 256 == 255)
			dns_state_pages_release(b->st); /* keep a big first load out of RSS */
		if (i + 1 - sc.from == BATCH || i + 1 == sc.njobs) {
			sc.to = i + 1;
			ret = batch_persist(b, &sc, seen, &any);
			sc.from = sc.to;
		}
	}
	if (sc.njobs > 256)
		dns_state_pages_release(b->st);
	dns_state_read_end(txn);
	bool removed = false;
	for (size_t i = 0; i < b->n; i++)
		removed |= !b->e[i].seen;
	if (ret == 0 && sc.njobs == 0 && !removed && !keys_changed) {
		jobs_free(&sc, true);
		return 0;
	}
	if (ret) {
		jobs_free(&sc, true);
		return ret;
	}
	/* merge: removed zones go, rebuilt ones replace their entry, new ones join */
	size_t w = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (b->e[i].seen) {
			b->e[w++] = b->e[i];
		} else {
			char name[1024];
			zones_name_print(b->e[i].apex, name, sizeof name);
			dns_log_info("zone %s: removed", name);
			entry_drop(&b->e[i]);
		}
	}
	b->n = w;
	if (b->n + sc.njobs > b->cap) {
		size_t cap = (b->n + sc.njobs) * 2;
		entry_t *e = realloc(b->e, cap * sizeof *e);
		if (!e) {
			jobs_free(&sc, true);
			return DNS_ENOMEM;
		}
		b->e = e;
		b->cap = cap;
	}
	size_t added = 0, changed = 0;
	for (size_t i = 0; i < sc.njobs; i++) {
		job_t *j = &sc.jobs[i];
		entry_t *e = entry_find(b, j->apex);
		if (!j->zone) {
			/* failed: the previous version (if any) stays until the next change */
			if (e)
				e->gen = j->gen;
			continue;
		}
		j->zone->refs = 1;
		char name[1024];
		zones_name_print(j->apex, name, sizeof name);
		if (e) {
			if (e->zone && e->zone->serial != j->zone->serial)
				dns_log_info("zone %s: serving serial %u", name, j->zone->serial);
			entry_drop(e);
			e->zone = j->zone;
			e->gen = j->gen;
			e->next_refresh = j->next_refresh;
			changed++;
		} else {
			/* appended past the sorted part; sorted again below */
			entry_t *ne = &b->e[b->n + added++];
			memset(ne, 0, sizeof *ne);
			memcpy(ne->apex, j->apex, zones_name_len(j->apex, ZONES_NAME_MAX));
			ne->gen = j->gen;
			ne->zone = j->zone;
			ne->next_refresh = j->next_refresh;
			ne->seen = true;
			dns_log_debug("zone %s: loaded, serial %u", name, j->zone->serial);
		}
	}
	b->n += added;
	if (b->n > 1)
		qsort(b->e, b->n, sizeof *b->e, entry_cmp);
	jobs_free(&sc, false);
	if (added) {
		size_t mem = 0;
		for (size_t i = 0; i < b->n; i++)
			mem += b->e[i].zone ? b->e[i].zone->memsize : 0;
		dns_log_info("%zu zones loaded, %zu serving in all (%zu KiB compiled)", added, b->n,
		             mem / 1024);
	}
	/* the catalog follows the membership: zones added or removed */
	if (b->catalog[0] && (added || removed || !b->catalog_zone || entry_find(b, b->catalog)))
		catalog_update(b);
	zones_czone_t **zs = malloc((b->n + 1) * sizeof *zs);
	if (!zs)
		return DNS_ENOMEM;
	size_t nz = 0;
	for (size_t i = 0; i < b->n; i++)
		if (b->e[i].zone && (!b->catalog_zone ||
		                     zones_name_cmp(b->e[i].apex, b->catalog_zone->apex) != 0))
			zs[nz++] = b->e[i].zone;
	if (b->catalog_zone)
		zs[nz++] = b->catalog_zone;
	ret = zones_snapshot_new(zs, (uint32_t)nz, ++b->generation, snap);
	free(zs);
	if (ret == 0 && b->ntsig) {
		(*snap)->tsig = malloc(b->ntsig * sizeof *b->tsig);
		if (!(*snap)->tsig) {
			zones_snapshot_free(*snap);
			*snap = NULL;
			return DNS_ENOMEM;
		}
		memcpy((*snap)->tsig, b->tsig, b->ntsig * sizeof *b->tsig);
		(*snap)->ntsig = (uint32_t)b->ntsig;
	}
	(void)changed;
	return ret;
}

uint32_t dnsd_builder_next_due(const dnsd_builder_t *b)
{
	uint32_t next = 0;
	for (size_t i = 0; i < b->n; i++)
		if (b->e[i].next_refresh && (!next || b->e[i].next_refresh < next))
			next = b->e[i].next_refresh;
	return next;
}
