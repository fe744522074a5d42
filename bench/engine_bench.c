/* SPDX-License-Identifier: MIT */
/*
 * The query engine alone, in-process: answers every query of a genzones.py
 * corpus (queries.txt) against its zones, and prints nanoseconds per query.
 * No sockets, so it isolates lookup + response building; run it under
 * `valgrind --tool=callgrind` for instruction counts that do not depend on
 * what else the machine is doing.
 * usage: engine_bench CORPUS_DIR [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dnsd/engine.h"

static int load(const char *dir, zones_czone_t ***out, uint32_t *n)
{
	char path[4200], name[1100];
	snprintf(path, sizeof path, "%s/zones.list", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t cap = 1024;
	zones_czone_t **zs = malloc(cap * sizeof *zs);
	*n = 0;
	while (fscanf(f, "%1099s", name) == 1) {
		uint8_t apex[ZONES_NAME_MAX];
		char abs[1200];
		snprintf(abs, sizeof abs, "%s.", name);
		if (zones_name_parse(abs, NULL, apex) < 0)
			return -1;
		zones_content_t c;
		zones_content_init(&c, apex);
		snprintf(path, sizeof path, "%s/zones/%s.zone", dir, name);
		if (zones_content_load(&c, path)) {
			fprintf(stderr, "%s\n", c.err);
			return -1;
		}
		if (*n == cap)
			zs = realloc(zs, (cap *= 2) * sizeof *zs);
		if (zones_czone_build(&c, 1, &zs[*n]))
			return -1;
		(*n)++;
		zones_content_deinit(&c);
	}
	fclose(f);
	*out = zs;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: engine_bench CORPUS_DIR [ROUNDS]\n");
		return 2;
	}
	int rounds = argc > 2 ? atoi(argv[2]) : 20;
	zones_czone_t **zs;
	uint32_t nz;
	if (load(argv[1], &zs, &nz)) {
		fprintf(stderr, "cannot load the corpus\n");
		return 1;
	}
	zones_snapshot_t *snap;
	if (zones_snapshot_new(zs, nz, 1, &snap))
		return 1;
	char path[4200];
	snprintf(path, sizeof path, "%s/queries.txt", argv[1]);
	FILE *f = fopen(path, "r");
	if (!f)
		return 1;
	size_t nq = 0, cap = 4096;
	uint8_t (*qs)[300] = malloc(cap * sizeof *qs);
	uint16_t *ql = malloc(cap * sizeof *ql);
	char name[1100], type[32];
	while (fscanf(f, "%1099s %31s", name, type) == 2) {
		if (nq == cap) {
			cap *= 2;
			qs = realloc(qs, cap * sizeof *qs);
			ql = realloc(ql, cap * sizeof *ql);
		}
		uint8_t *q = qs[nq];
		memset(q, 0, 12);
		q[5] = 1;
		q[11] = 1; /* ARCOUNT: OPT with DO, as dnsperf -D sends */
		char abs[1200];
		snprintf(abs, sizeof abs, "%s.", name);
		int l = zones_name_parse(abs, NULL, q + 12);
		if (l < 0)
			continue;
		size_t o = 12 + (size_t)l;
		dns_put16(q + o, zones_type_parse(type));
		dns_put16(q + o + 2, 1);
		o += 4;
		uint8_t opt[11] = { 0, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 0 };
		memcpy(q + o, opt, 11);
		ql[nq++] = (uint16_t)(o + 11);
	}
	fclose(f);
	dnsd_engine_conf_t conf = { .udp_max = 1232 };
	dnsd_engine_t eng = { .conf = &conf };
	static uint8_t out[4096];
	dnsd_query_in_t in = { .addrlen = 4 };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t bytes = 0;
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < nq; i++) {
			size_t len;
			in.data = qs[i];
			in.len = ql[i];
			if (dnsd_engine_answer(&eng, snap, &in, out, sizeof out, &len) == DNSD_RESPOND)
				bytes += len;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	printf("%u zones, %zu queries x %d: %.1f ns/query, %.1f bytes/answer, "
	       "noerror %llu nxdomain %llu other %llu\n",
	       nz, nq, rounds, ns / ((double)nq * rounds), (double)bytes / ((double)nq * rounds),
	       (unsigned long long)eng.stats.noerror, (unsigned long long)eng.stats.nxdomain,
	       (unsigned long long)(eng.stats.queries - eng.stats.noerror - eng.stats.nxdomain));
	zones_snapshot_free(snap);
	free(zs);
	return 0;
}
