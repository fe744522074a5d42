/* SPDX-License-Identifier: MIT */
/*
 * The catalog zone (RFC 9432, version 2): a zone listing the hosted zones,
 * so secondaries that consume it learn new mail domains and forget removed
 * ones without being configured for each. dnsd makes it from the zone list
 * at every change of membership; it is served, transferred (AXFR/IXFR),
 * notified and journalled like any zone.
 *
 *   CATALOG.                 SOA invalid. invalid. SERIAL 3600 600 2147483646 0
 *   CATALOG.                 NS  invalid.                (RFC 9432 4.1)
 *   version.CATALOG.         TXT "2"                     (RFC 9432 4.2.1)
 *   ID.zones.CATALOG.        PTR member.zone.            (RFC 9432 4.2.2)
 * A member's ID is a digest of its name and of when it was added, so a zone
 * removed and added again gets a new one (RFC 9432 5.4: a reset).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include "dnsd/builder_int.h"

struct member_ctx {
	zones_content_t *c;
	const uint8_t *catalog;
	int err;
};

static int member_one(const uint8_t *apex, const zones_settings_t *s, void *arg)
{
	struct member_ctx *mc = arg;
	if (zones_name_cmp(apex, mc->catalog) == 0)
		return 0;
	size_t al = zones_name_len(apex, ZONES_NAME_MAX);
	uint8_t in[ZONES_NAME_MAX + 8], md[32];
	unsigned mdl = 0;
	memcpy(in, apex, al);
	dns_put64(in + al, (uint64_t)s->created);
	if (!EVP_Digest(in, al + 8, md, &mdl, EVP_sha256(), NULL))
		return DNS_ECRYPTO;
	/* ID.zones.CATALOG: a 16-hex-digit label */
	uint8_t owner[ZONES_NAME_MAX];
	size_t cl = zones_name_len(mc->catalog, ZONES_NAME_MAX);
	if (17 + 6 + cl > ZONES_NAME_MAX)
		return DNS_ENAMELEN;
	owner[0] = 16;
	for (int i = 0; i < 8; i++)
		snprintf((char *)owner + 1 + 2 * i, 3, "%02x", md[i]);
	memcpy(owner + 17, "\5zones", 6);
	memcpy(owner + 23, mc->catalog, cl);
	return zones_content_add(mc->c, owner, ZONES_T_PTR, 0, apex, (uint16_t)al, 0);
}

int dnsd_catalog_content(dns_state_txn_t *txn, const uint8_t *catalog, zones_content_t *c)
{
	static const uint8_t invalid[] = "\7invalid";
	uint8_t soa[2 * 9 + 20];
	size_t il = sizeof invalid; /* with the root label */
	memcpy(soa, invalid, il);
	memcpy(soa + il, invalid, il);
	uint8_t *t = soa + 2 * il;
	dns_put32(t, 1);          /* serial: the builder sets it */
	dns_put32(t + 4, 3600);   /* refresh: NOTIFY does the work */
	dns_put32(t + 8, 600);
	dns_put32(t + 12, 2147483646);
	dns_put32(t + 16, 0);
	int ret = zones_content_add(c, catalog, ZONES_T_SOA, 0, soa, (uint16_t)(2 * il + 20), 0);
	if (ret == 0)
		ret = zones_content_add(c, catalog, ZONES_T_NS, 0, invalid, (uint16_t)il, 0);
	uint8_t vowner[ZONES_NAME_MAX];
	size_t cl = zones_name_len(catalog, ZONES_NAME_MAX);
	if (ret == 0 && 8 + cl > ZONES_NAME_MAX)
		ret = DNS_ENAMELEN;
	if (ret == 0) {
		memcpy(vowner, "\7version", 8);
		memcpy(vowner + 8, catalog, cl);
		ret = zones_content_add(c, vowner, ZONES_T_TXT, 0, (const uint8_t *)"\0012", 2, 0);
	}
	struct member_ctx mc = { c, catalog, 0 };
	if (ret == 0)
		ret = zones_store_list(txn, member_one, &mc);
	if (ret == 0)
		zones_content_sort(c);
	return ret;
}
