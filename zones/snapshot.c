/* SPDX-License-Identifier: MIT */
/* A set of compiled zones, looked up by apex. Built by one thread, read by many. */
#include <stdlib.h>
#include <string.h>
#include "zones/zones.h"

int zones_snapshot_new(zones_czone_t **zones, uint32_t n, uint64_t generation,
                       zones_snapshot_t **out)
{
	zones_snapshot_t *s = calloc(1, sizeof *s);
	if (!s)
		return DNS_ENOMEM;
	uint32_t size = 8;
	while (size < (uint64_t)n * 2)
		size <<= 1;
	s->zones = malloc((n ? n : 1) * sizeof *s->zones);
	s->table = malloc(size * sizeof *s->table);
	if (!s->zones || !s->table) {
		free(s->zones);
		free(s->table);
		free(s);
		return DNS_ENOMEM;
	}
	memset(s->table, 0xff, size * sizeof *s->table);
	s->tmask = size - 1;
	s->generation = generation;
	for (uint32_t i = 0; i < n; i++) {
		zones_czone_t *z = zones[i];
		z->refs++;
		s->zones[i] = z;
		uint32_t h = zones_name_hash(z->apex, z->apexlen);
		for (uint32_t k = h & s->tmask;; k = (k + 1) & s->tmask)
			if (s->table[k] == ZONES_NONE) {
				s->table[k] = i;
				break;
			}
	}
	s->nzones = n;
	*out = s;
	return 0;
}

void zones_snapshot_free(zones_snapshot_t *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->nzones; i++)
		if (--s->zones[i]->refs == 0)
			zones_czone_free(s->zones[i]);
	free(s->zones);
	free(s->table);
	if (s->tsig) {
		memset(s->tsig, 0, s->ntsig * sizeof *s->tsig); /* secrets */
		free(s->tsig);
	}
	free(s);
}
