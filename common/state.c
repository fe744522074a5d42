/* SPDX-License-Identifier: MIT */
/*
 * The state directory: one LMDB environment shared by dnsd and dnsctl
 * (DESIGN.md section 3).  LMDB serialises writers across processes with its
 * own lock and never blocks readers, so both programs simply open it.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lmdb.h>
#include "common/common.h"

/* Start with a 1 GiB map (sparse: costs no disk until used) and double it
 * when a write finds it full. */
#define STATE_MAP_INITIAL ((size_t)1 << 30)
#define STATE_MAP_MAX ((size_t)1 << 40)

static const char *const db_names[DNS_DB_COUNT] = {
	[DNS_DB_META] = "meta",
	[DNS_DB_ZONES] = "zones",
	[DNS_DB_RECORDS] = "records",
	[DNS_DB_SERVED] = "served",
	[DNS_DB_KEYS] = "keys",
	[DNS_DB_SIGS] = "sigs",
	[DNS_DB_GENERATED] = "generated",
	[DNS_DB_MAIL] = "mail",
	[DNS_DB_TSIG] = "tsig",
	[DNS_DB_XFR] = "xfr",
	[DNS_DB_JOURNAL] = "journal",
};

struct dns_state {
	MDB_env *env;
	MDB_dbi dbi[DNS_DB_COUNT];
	unsigned missing;  /*!< bit per database absent from a read-only older state */
	char dir[PATH_MAX];
	bool readonly;
};

struct dns_state_txn {
	dns_state_t *st;
	MDB_txn *txn;
};

static int dir_prepare(const char *dir, bool readonly)
{
	struct stat sb;
	if (stat(dir, &sb) != 0) {
		if (errno != ENOENT || readonly)
			return -errno;
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return -errno;
		if (stat(dir, &sb) != 0)
			return -errno;
	}
	if (!S_ISDIR(sb.st_mode))
		return -ENOTDIR;
	/* Private keys will live here: no one else may read it.  Our own
	 * directory is tightened (and the log says so); anyone else's refused. */
	if (sb.st_mode & 077) {
		if (readonly || sb.st_uid != geteuid() || chmod(dir, sb.st_mode & 0700) != 0)
			return DNS_EACCES;
		dns_log_warning("state %s: was accessible to others, now mode 0700", dir);
	}
	return 0;
}

static int schema_check(dns_state_t *st)
{
	MDB_txn *txn;
	int ret = mdb_txn_begin(st->env, NULL, st->readonly ? MDB_RDONLY : 0, &txn);
	if (ret)
		return ret;
	MDB_val k = { 6, "schema" }, v;
	ret = mdb_get(txn, st->dbi[DNS_DB_META], &k, &v);
	if (ret == MDB_NOTFOUND) {
		if (st->readonly) {
			mdb_txn_abort(txn);
			return 0;
		}
		uint8_t ver[4];
		dns_put32(ver, DNS_STATE_SCHEMA);
		v.mv_size = 4;
		v.mv_data = ver;
		ret = mdb_put(txn, st->dbi[DNS_DB_META], &k, &v, 0);
		if (ret) {
			mdb_txn_abort(txn);
			return ret;
		}
		return mdb_txn_commit(txn);
	}
	if (ret == 0 && v.mv_size == 4 && dns_get32(v.mv_data) == 1 && !st->readonly) {
		/* schema 1 -> 2 only added databases, which dbis_open created:
		 * mark the state so that an older binary refuses it rather than
		 * serving zones without their generated records */
		uint8_t ver[4];
		dns_put32(ver, DNS_STATE_SCHEMA);
		v.mv_size = 4;
		v.mv_data = ver;
		if ((ret = mdb_put(txn, st->dbi[DNS_DB_META], &k, &v, 0)) != 0) {
			mdb_txn_abort(txn);
			return ret;
		}
		return mdb_txn_commit(txn);
	}
	if (ret == 0 && (v.mv_size != 4 || (dns_get32(v.mv_data) != DNS_STATE_SCHEMA &&
	                                     !(st->readonly && dns_get32(v.mv_data) == 1))))
		ret = DNS_ESCHEMA;
	mdb_txn_abort(txn);
	return ret;
}

static int dbis_open(dns_state_t *st)
{
	MDB_txn *txn;
	int ret = mdb_txn_begin(st->env, NULL, st->readonly ? MDB_RDONLY : 0, &txn);
	if (ret)
		return ret;
	for (int i = 0; i < DNS_DB_COUNT; i++) {
		ret = mdb_dbi_open(txn, db_names[i], st->readonly ? 0 : MDB_CREATE, &st->dbi[i]);
		if (ret == MDB_NOTFOUND && st->readonly && i >= DNS_DB_GENERATED) {
			/* read-only view of a schema 1 state: these are empty */
			st->missing |= 1u << i;
			continue;
		}
		if (ret == MDB_NOTFOUND && st->readonly) {
			/* an empty, never-written state: readers see no data */
			mdb_txn_abort(txn);
			return DNS_ENOENT;
		}
		if (ret) {
			mdb_txn_abort(txn);
			return ret;
		}
	}
	return mdb_txn_commit(txn);
}

int dns_state_open(const char *dir, bool readonly, dns_state_t **out)
{
	int ret = dir_prepare(dir, readonly);
	if (ret)
		return ret;
	dns_state_t *st = calloc(1, sizeof *st);
	if (!st)
		return DNS_ENOMEM;
	snprintf(st->dir, sizeof st->dir, "%s", dir);
	st->readonly = readonly;
	if ((ret = mdb_env_create(&st->env)) ||
	    (ret = mdb_env_set_maxdbs(st->env, 16)) ||
	    (ret = mdb_env_set_maxreaders(st->env, 256)) ||
	    (ret = mdb_env_set_mapsize(st->env, STATE_MAP_INITIAL)))
		goto fail;
	/* MDB_NOTLS: read transactions are tied to our handles, not to threads. */
	unsigned flags = MDB_NOTLS | (readonly ? MDB_RDONLY : 0);
	ret = mdb_env_open(st->env, dir, flags, 0600);
	if (ret)
		goto fail;
	/* If another process grew the map, adopt its size. */
	MDB_envinfo info;
	mdb_env_info(st->env, &info);
	if (info.me_mapsize < STATE_MAP_INITIAL)
		mdb_env_set_mapsize(st->env, STATE_MAP_INITIAL);
	if ((ret = dbis_open(st)) || (ret = schema_check(st)))
		goto fail;
	*out = st;
	return 0;
fail:
	if (st->env)
		mdb_env_close(st->env);
	free(st);
	return ret;
}

void dns_state_close(dns_state_t *st)
{
	if (!st)
		return;
	mdb_env_close(st->env);
	free(st);
}

const char *dns_state_dir(const dns_state_t *st) { return st->dir; }

uint64_t dns_state_last_txnid(dns_state_t *st)
{
	MDB_envinfo info;
	if (mdb_env_info(st->env, &info) != 0)
		return 0;
	return info.me_last_txnid;
}

static int txn_begin(dns_state_t *st, unsigned flags, MDB_txn **txn)
{
	int ret = mdb_txn_begin(st->env, NULL, flags, txn);
	if (ret == MDB_MAP_RESIZED) {
		/* another process grew the map: adopt its size and retry */
		if ((ret = mdb_env_set_mapsize(st->env, 0)) != 0)
			return ret;
		ret = mdb_txn_begin(st->env, NULL, flags, txn);
	}
	return ret;
}

int dns_state_read_begin(dns_state_t *st, dns_state_txn_t **out)
{
	dns_state_txn_t *t = malloc(sizeof *t);
	if (!t)
		return DNS_ENOMEM;
	t->st = st;
	int ret = txn_begin(st, MDB_RDONLY, &t->txn);
	if (ret) {
		free(t);
		return ret;
	}
	*out = t;
	return 0;
}

uint64_t dns_state_txn_id(const dns_state_txn_t *txn)
{
	return (uint64_t)mdb_txn_id(txn->txn);
}

void dns_state_read_end(dns_state_txn_t *txn)
{
	if (!txn)
		return;
	mdb_txn_abort(txn->txn);
	free(txn);
}

static int map_grow(dns_state_t *st)
{
	MDB_envinfo info;
	int ret = mdb_env_info(st->env, &info);
	if (ret)
		return ret;
	if (info.me_mapsize >= STATE_MAP_MAX)
		return MDB_MAP_FULL;
	return mdb_env_set_mapsize(st->env, info.me_mapsize * 2);
}

int dns_state_write(dns_state_t *st, int (*fn)(dns_state_txn_t *txn, void *arg), void *arg)
{
	if (st->readonly)
		return DNS_EACCES;
	for (int attempt = 0; attempt < 16; attempt++) {
		dns_state_txn_t t = { .st = st };
		int ret = txn_begin(st, 0, &t.txn);
		if (ret)
			return ret;
		ret = fn(&t, arg);
		if (ret == 0)
			ret = mdb_txn_commit(t.txn);
		else
			mdb_txn_abort(t.txn);
		if (ret != MDB_MAP_FULL)
			return ret;
		/* No transaction of ours is open now, so the map may be resized. */
		if ((ret = map_grow(st)) != 0)
			return ret;
		dns_log_info("state %s: map grown, retrying the change", st->dir);
	}
	return MDB_MAP_FULL;
}

int dns_state_get(dns_state_txn_t *txn, dns_db_t db, const void *key, size_t klen,
                  const void **val, size_t *vlen)
{
	MDB_val k = { klen, (void *)key }, v;
	if (txn->st->missing & (1u << db))
		return DNS_ENOENT;
	int ret = mdb_get(txn->txn, txn->st->dbi[db], &k, &v);
	if (ret == MDB_NOTFOUND)
		return DNS_ENOENT;
	if (ret)
		return ret;
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 0;
}

int dns_state_put(dns_state_txn_t *txn, dns_db_t db, const void *key, size_t klen,
                  const void *val, size_t vlen)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	return mdb_put(txn->txn, txn->st->dbi[db], &k, &v, 0);
}

int dns_state_del(dns_state_txn_t *txn, dns_db_t db, const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key };
	int ret = mdb_del(txn->txn, txn->st->dbi[db], &k, NULL);
	return ret == MDB_NOTFOUND ? DNS_ENOENT : ret;
}

int dns_state_scan(dns_state_txn_t *txn, dns_db_t db, const void *prefix, size_t plen,
                   int (*fn)(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg),
                   void *arg)
{
	MDB_cursor *cur;
	if (txn->st->missing & (1u << db))
		return 0;
	int ret = mdb_cursor_open(txn->txn, txn->st->dbi[db], &cur);
	if (ret)
		return ret;
	MDB_val k = { plen, (void *)prefix }, v;
	ret = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
	while (ret == 0) {
		if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0))
			break;
		ret = fn(k.mv_data, k.mv_size, v.mv_data, v.mv_size, arg);
		if (ret != 0)
			break;
		ret = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (ret == MDB_NOTFOUND || ret > 0)
		ret = 0;
	return ret;
}

int dns_state_del_prefix(dns_state_txn_t *txn, dns_db_t db, const void *prefix, size_t plen)
{
	MDB_cursor *cur;
	int ret = mdb_cursor_open(txn->txn, txn->st->dbi[db], &cur);
	if (ret)
		return ret;
	MDB_val k = { plen, (void *)prefix }, v;
	ret = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (ret == 0 && k.mv_size >= plen && memcmp(k.mv_data, prefix, plen) == 0) {
		if ((ret = mdb_cursor_del(cur, 0)) != 0)
			break;
		k.mv_size = plen;
		k.mv_data = (void *)prefix;
		ret = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	}
	mdb_cursor_close(cur);
	return ret == MDB_NOTFOUND ? 0 : ret;
}

void dns_state_pages_release(dns_state_t *st)
{
	/* The map is read-only (no MDB_WRITEMAP): dropping our page table entries
	 * only makes later reads fault the pages back in from the page cache.
	 * LMDB does not tell where it mapped the file (me_mapaddr is only set
	 * with MDB_FIXEDMAP), so find the mapping of data.mdb in /proc. */
	char want[PATH_MAX + 16], real[PATH_MAX];
	if (!realpath(st->dir, real))
		return;
	snprintf(want, sizeof want, "%s/data.mdb", real);
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return;
	char line[PATH_MAX + 128];
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		char path[PATH_MAX + 16] = "";
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %4111s", &lo, &hi, path) == 3 &&
		    strcmp(path, want) == 0)
			(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
	}
	fclose(f);
}
