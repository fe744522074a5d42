/* SPDX-License-Identifier: MIT */
/*
 * What the SPF checker may know without the network: the records of the
 * zones we host, static and generated, as the state holds them now (inside
 * the write transaction that is about to commit them).
 */
#include <string.h>
#include <strings.h>
#include "mailcore/mailcore_int.h"

mailcore_spf_found_t mc_spf_lookup(const char *name, int type, const char **txt, size_t *count,
                                   void *arg)
{
	mc_spf_ctx_t *sc = arg;
	uint8_t owner[ZONES_NAME_MAX], apex[ZONES_NAME_MAX];
	if (txt)
		*txt = NULL;
	*count = 0;
	if (zones_name_parse(name, NULL, owner) < 0)
		return MAILCORE_SPF_FOREIGN;
	zones_name_lower(owner);
	if (mailcore_zone_of(sc->txn, owner, apex) != 0)
		return MAILCORE_SPF_FOREIGN;
	zones_content_t c;
	zones_content_init(&c, apex);
	if (zones_lookup(sc->txn, apex, owner, (uint16_t)type, &c) != 0) {
		zones_content_deinit(&c);
		return MAILCORE_SPF_FOREIGN; /* unreadable: do not judge */
	}
	/* RFC 7208 4.6.4: no answer records is a void lookup (wildcards and
	 * delegations below us are not followed here: counted as found) */
	mailcore_spf_found_t res = c.n ? MAILCORE_SPF_FOUND : MAILCORE_SPF_VOID;
	*count = c.n;
	if (type == ZONES_T_TXT && txt) {
		for (size_t i = 0; i < c.n; i++) {
			int l = mailcore_txt_join(c.rr[i].rdata, c.rr[i].rdlen, sc->txt, sizeof sc->txt);
			/* RFC 7208 4.5: the record starts "v=spf1" then space or end */
			if (l >= 6 && strncasecmp(sc->txt, "v=spf1", 6) == 0 &&
			    (l == 6 || sc->txt[6] == ' ')) {
				*txt = sc->txt;
				break;
			}
		}
	}
	zones_content_deinit(&c);
	return res;
}
