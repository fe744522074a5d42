/* SPDX-License-Identifier: MIT */
/* dnsctl key list|ds ZONE: the DNSSEC keys dnsd made for a zone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tools/ctl.h"

/* The one ZONE argument of "key VERB ZONE", and that zone's keys and settings. */
static int keys_load(ctl_t *ctl, int argc, char **argv, const char *verb,
                     uint8_t apex[ZONES_NAME_MAX], keymgr_key_t **keys, size_t *n,
                     zones_settings_t *sp)
{
	*keys = NULL;
	*n = 0;
	if (argc != 1)
		return ctl_fail("key %s: expected ZONE (see dnsctl key %s --help)", verb, verb);
	dns_state_t *st;
	if (ctl_zone_arg(argv[0], apex) || ctl_state_existing(ctl, &st))
		return 1;
	dns_state_txn_t *txn;
	int ret = dns_state_read_begin(st, &txn);
	if (ret)
		return ctl_fail("cannot read state: %s", dns_strerror(ret));
	zones_settings_t s;
	char an[1024];
	zones_name_print(apex, an, sizeof an);
	ret = zones_store_settings_get(txn, apex, &s);
	*sp = s;
	if (ret == 0)
		ret = keymgr_store_load(txn, apex, keys, n);
	dns_state_read_end(txn);
	if (ret == DNS_ENOZONE)
		return ctl_fail("zone %s does not exist", an);
	if (ret)
		return ctl_fail("zone %s: %s", an, dns_strerror(ret));
	if (*n == 0 && s.policy[0])
		fprintf(stderr, "dnsctl: note: zone %s: no keys yet: dnsd makes them when it first "
		                "signs the zone\n", an);
	else if (*n == 0)
		fprintf(stderr, "dnsctl: note: zone %s is not signed (--dnssec off)\n", an);
	return 0;
}

static const char *role_name(uint8_t r)
{
	return r == KEYMGR_ROLE_KSK ? "KSK" : r == KEYMGR_ROLE_ZSK ? "ZSK" : "CSK";
}

/* RFC 7583 3.1: the latest event that has happened names the state */
static const char *key_state(const keymgr_key_t *k, int64_t now)
{
	static const struct { keymgr_time_t t; const char *name; } order[] = {
		{ KEYMGR_T_REMOVED, "removed" }, { KEYMGR_T_DEAD, "dead" },
		{ KEYMGR_T_REVOKED, "revoked" }, { KEYMGR_T_RETIRED, "retired" },
		{ KEYMGR_T_ACTIVE, "active" },   { KEYMGR_T_READY, "ready" },
		{ KEYMGR_T_PUBLISHED, "published" },
	};
	for (size_t i = 0; i < sizeof order / sizeof *order; i++)
		if (k->t[order[i].t] && k->t[order[i].t] <= now)
			return order[i].name;
	return "generated";
}

static void timestr(int64_t t, char *out, size_t len)
{
	ctl_timestr(t, out, len);
	if (!out[0])
		snprintf(out, len, "-");
}

static int key_list(ctl_t *ctl, int argc, char **argv)
{
	uint8_t apex[ZONES_NAME_MAX];
	keymgr_key_t *keys;
	size_t n;
	zones_settings_t s;
	if (keys_load(ctl, argc, argv, "list", apex, &keys, &n, &s))
		return 1;
	static const char *ev[KEYMGR_T_COUNT] = { "generated", "published", "ready", "active",
		                                  "retired", "dead", "removed", "revoked",
		                                  "ds_submitted", "ds_seen" };
	int64_t now = (int64_t)time(NULL);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const keymgr_key_t *k = &keys[i];
		json_t *o = json_pack("{s:I, s:i, s:s, s:i, s:s, s:s}", "id", (json_int_t)k->id, "tag",
		                      k->tag, "algorithm", keymgr_alg_name(k->algorithm), "algorithm_number",
		                      k->algorithm, "role", role_name(k->role), "state",
		                      key_state(k, now));
		for (int e = 0; e < KEYMGR_T_COUNT; e++) {
			char t[32];
			timestr(k->t[e], t, sizeof t);
			json_object_set_new(o, ev[e], k->t[e] ? json_string(t) : json_null());
		}
		json_array_append_new(arr, o);
	}
	if (ctl->json) {
		ctl_json_print(arr);
	} else {
		if (n)
			printf("%-6s %-6s %-16s %-4s %-10s %-21s %s\n", "id", "tag", "algorithm", "role",
			       "state", "published", "active");
		for (size_t i = 0; i < n; i++) {
			char p[32], a[32];
			timestr(keys[i].t[KEYMGR_T_PUBLISHED], p, sizeof p);
			timestr(keys[i].t[KEYMGR_T_ACTIVE], a, sizeof a);
			printf("%-6u %-6u %-16s %-4s %-10s %-21s %s\n", keys[i].id, keys[i].tag,
			       keymgr_alg_name(keys[i].algorithm), role_name(keys[i].role),
			       key_state(&keys[i], now), p, a);
		}
		json_decref(arr);
	}
	keymgr_keys_free(keys, n);
	return 0;
}

static int key_ds(ctl_t *ctl, int argc, char **argv)
{
	uint8_t apex[ZONES_NAME_MAX];
	keymgr_key_t *keys;
	size_t n;
	zones_settings_t s;
	if (keys_load(ctl, argc, argv, "ds", apex, &keys, &n, &s))
		return 1;
	const keymgr_policy_t *p = keymgr_policy_find(&ctl->policies, s.policy);
	char an[1024];
	zones_name_print(apex, an, sizeof an);
	if (!s.policy[0]) {
		keymgr_keys_free(keys, n);
		return ctl_fail("zone %s is not signed (--dnssec off): no DS to give the parent", an);
	}
	json_t *arr = json_array();
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; i < n; i++) {
		keymgr_key_t *k = &keys[i];
		/* what the parent needs: the keys that sign the DNSKEY RRset */
		if (k->role == KEYMGR_ROLE_ZSK || !k->t[KEYMGR_T_PUBLISHED] ||
		    (k->t[KEYMGR_T_REMOVED] && k->t[KEYMGR_T_REMOVED] <= now))
			continue;
		uint8_t dk[700], ds[100];
		int dl = keymgr_key_dnskey(k, dk, sizeof dk);
		int sl = dl > 0 ? keymgr_ds(apex, dk, (size_t)dl, 2, ds, sizeof ds) : -1;
		if (sl < 0)
			continue;
		char hex[200] = "";
		for (int j = 4; j < sl; j++)
			snprintf(hex + 2 * (j - 4), sizeof hex - 2 * (size_t)(j - 4), "%02X", ds[j]);
		zones_rr_t rr = { .owner = apex, .rdata = dk, .ttl = p ? p->dnskey_ttl : 3600,
			          .type = ZONES_T_DNSKEY,
			          .rdlen = (uint16_t)dl };
		char line[2000];
		zones_rr_print(&rr, line, sizeof line);
		if (ctl->json) {
			json_array_append_new(arr, json_pack("{s:i, s:i, s:i, s:s, s:s, s:s}", "key_tag",
			                                     k->tag, "algorithm", k->algorithm,
			                                     "digest_type", 2, "digest", hex, "ds",
			                                     "", "dnskey", line));
			char dsl[400];
			snprintf(dsl, sizeof dsl, "%s\tIN\tDS\t%u %u 2 %s", an, k->tag, k->algorithm, hex);
			json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "ds",
			                    json_string(dsl));
		} else {
			printf("%s\tIN\tDS\t%u %u 2 %s\n", an, k->tag, k->algorithm, hex);
			printf("%s\n", line);
		}
	}
	if (ctl->json)
		ctl_json_print(arr);
	else
		json_decref(arr);
	keymgr_keys_free(keys, n);
	return 0;
}

const ctl_cmd_t ctl_key_cmds[] = {
	{ "key", "list", key_list, "ZONE [--json]",
	  "List the zone's DNSSEC keys: id, key tag, algorithm, role (KSK, ZSK, CSK), state\n"
	  "(RFC 7583: published, ready, active, retired, ...) and when each event happened." },
	{ "key", "ds", key_ds, "ZONE [--json]",
	  "Print the DS records (SHA-256, RFC 4509) and the KSK/CSK DNSKEY records of the zone\n"
	  "in master-file form: what a registrar asks for to link the zone to its parent." },
	{ NULL, NULL, NULL, NULL, NULL }
};
