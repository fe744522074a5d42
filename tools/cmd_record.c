/* SPDX-License-Identifier: MIT */
/* dnsctl record ...: add and delete single records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tools/ctl.h"

static int record_add(ctl_t *ctl, int argc, char **argv)
{
	if (argc != 5)
		return ctl_fail("record add: expected ZONE OWNER TTL TYPE RDATA (see dnsctl record add "
		                "--help)");
	uint8_t apex[ZONES_NAME_MAX];
	dns_state_t *st;
	if (ctl_zone_arg(argv[0], apex))
		return 1;
	zones_rr_t rr;
	char err[1200];
	int ret = zones_rr_parse(apex, argv[1], argv[2], argv[3], argv[4], &rr, err, sizeof err);
	if (ret)
		return ctl_fail("record add: %s", err);
	if (ctl_state(ctl, &st)) {
		free(rr.owner);
		free(rr.rdata);
		return 1;
	}
	zones_change_t what;
	ret = zones_op_record_add(st, apex, &rr, &what, err, sizeof err);
	char line[70000];
	zones_rr_print(&rr, line, sizeof line);
	free(rr.owner);
	free(rr.rdata);
	char an[1024];
	zones_name_print(apex, an, sizeof an);
	if (ret == DNS_ENOZONE)
		return ctl_fail("zone %s does not exist", an);
	if (ret)
		return ctl_fail("record add: %s", err[0] ? err : dns_strerror(ret));
	if (what != ZONES_UNCHANGED)
		ctl_notify(ctl);
	if (ctl->json) {
		static const char *res[] = { [ZONES_CHANGED] = "added", [ZONES_UNCHANGED] = "unchanged",
			                     [ZONES_TTL_CHANGED] = "ttl-changed" };
		ctl_json_print(json_pack("{s:s, s:s, s:s}", "zone", an, "result", res[what], "record",
		                         line));
	} else if (what == ZONES_UNCHANGED)
		printf("unchanged, already present: %s\n", line);
	else if (what == ZONES_TTL_CHANGED)
		printf("TTL of the RRset changed: %s\n", line);
	else
		printf("added: %s\n", line);
	return 0;
}

static int record_del(ctl_t *ctl, int argc, char **argv)
{
	if (argc != 3 && argc != 4)
		return ctl_fail("record del: expected ZONE OWNER TYPE [RDATA]");
	uint8_t apex[ZONES_NAME_MAX], owner[ZONES_NAME_MAX];
	dns_state_t *st;
	if (ctl_zone_arg(argv[0], apex))
		return 1;
	int ol = zones_name_parse(argv[1], apex, owner);
	if (ol < 0)
		return ctl_fail("record del: owner '%s': %s", argv[1], dns_strerror(ol));
	zones_name_lower(owner);
	uint16_t type = zones_type_parse(argv[2]);
	if (!type)
		return ctl_fail("record del: unknown type '%s'", argv[2]);
	uint8_t *rd = NULL;
	uint16_t rl = 0;
	char err[1200];
	if (argc == 4 && zones_rdata_parse(apex, type, argv[3], &rd, &rl, err, sizeof err))
		return ctl_fail("record del: %s", err);
	if (ctl_state(ctl, &st)) {
		free(rd);
		return 1;
	}
	int ret = zones_op_record_del(st, apex, owner, type, rd, rl, err, sizeof err);
	free(rd);
	char an[1024], on[1024];
	zones_name_print(apex, an, sizeof an);
	zones_name_print(owner, on, sizeof on);
	if (ret == DNS_ENOZONE)
		return ctl_fail("zone %s does not exist", an);
	if (ret == DNS_ENORECORD)
		return ctl_fail("record del: no %s %s record%s in zone %s", on, argv[2],
		                argc == 4 ? " with that data" : "", an);
	if (ret)
		return ctl_fail("record del: %s", err[0] ? err : dns_strerror(ret));
	ctl_notify(ctl);
	return 0;
}

const ctl_cmd_t ctl_record_cmds[] = {
	{ "record", "add", record_add, "ZONE OWNER TTL TYPE RDATA",
	  "Add one record. OWNER is relative to ZONE unless it ends in a dot; @ is the apex.\n"
	  "RDATA is one argument in master-file format, e.g. '\"v=spf1 mx -all\"' for TXT\n"
	  "or '10 mail' for MX. The zone must stay valid (no CNAME beside other data,\n"
	  "no owner outside the zone); an RRset takes the TTL of the record last added\n"
	  "(RFC 2181 5.2). Example: dnsctl record add example.com www 3600 A 192.0.2.1" },
	{ "record", "del", record_del, "ZONE OWNER TYPE [RDATA]",
	  "Delete the record with RDATA, or without RDATA the whole RRset OWNER TYPE.\n"
	  "The SOA and the last NS at the apex cannot be deleted." },
	{ NULL, NULL, NULL, NULL, NULL }
};
