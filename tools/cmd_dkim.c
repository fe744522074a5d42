/* SPDX-License-Identifier: MIT */
/* dnsctl mail dkim list|rotate|export: the DKIM keys the mail core rotates. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "tools/ctl.h"

/* ---- DKIM ---------------------------------------------------------------------------- */

struct dkim_list_ctx {
	dns_state_txn_t *txn;
	json_t *arr;
	int ret;
};

static int dkim_list_domain(const mailcore_domain_t *d, void *arg)
{
	struct dkim_list_ctx *lc = arg;
	mailcore_key_t *keys = malloc(16 * sizeof *keys);
	if (!keys)
		return DNS_ENOMEM;
	int n = mailcore_keys_load(lc->txn, d->name, keys, 16);
	char nm[1024], t[5][32];
	zones_name_print(d->name, nm, sizeof nm);
	for (int i = 0; i < n; i++) {
		mailcore_key_t *k = &keys[i];
		ctl_timestr(k->created, t[0], sizeof t[0]);
		ctl_timestr(k->published, t[1], sizeof t[1]);
		ctl_timestr(k->active, t[2], sizeof t[2]);
		ctl_timestr(k->retired, t[3], sizeof t[3]);
		ctl_timestr(k->revoked, t[4], sizeof t[4]);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "domain", nm, "selector", k->selector,
		                      "algorithm", mailcore_alg_name(k->alg), "state",
		                      mailcore_key_state_name(k->state));
		static const char *const ev[] = { "created", "published", "active", "retired",
		                                   "revoked" };
		for (int e = 0; e < 5; e++)
			json_object_set_new(o, ev[e], t[e][0] ? json_string(t[e]) : json_null());
		json_array_append_new(lc->arr, o);
	}
	memset(keys, 0, 16 * sizeof *keys); /* private keys */
	free(keys);
	return n < 0 ? n : 0;
}

struct keys_ctx {
	const char *arg;
	const uint8_t *only; /* one domain, or NULL: all */
};

static int keys_collect(dns_state_txn_t *txn, json_t *arr, void *arg)
{
	const struct keys_ctx *kc = arg;
	struct dkim_list_ctx lc = { txn, arr, 0 };
	if (!kc->only)
		return mailcore_domain_each(txn, dkim_list_domain, &lc);
	mailcore_domain_t d;
	int ret = mailcore_domain_get(txn, kc->only, &d);
	if (ret == DNS_ENOMAIL)
		return ctl_fail("no mail domain %s", kc->arg);
	return ret ? ret : dkim_list_domain(&d, &lc);
}

static void key_line(json_t *row)
{
#define S(k) (json_string_value(json_object_get(row, k)) ? json_string_value(json_object_get(row, k)) : "-")
	printf("%s %s %s %s created %s published %s active %s retired %s revoked %s\n",
	       S("domain"), S("selector"), S("algorithm"), S("state"), S("created"),
	       S("published"), S("active"), S("retired"), S("revoked"));
#undef S
}

static int mail_dkim_list(ctl_t *ctl, int argc, char **argv)
{
	uint8_t name[ZONES_NAME_MAX];
	if (argc > 1)
		return ctl_fail("mail dkim list: expected at most one DOMAIN");
	if (argc == 1 && ctl_name_arg("mail dkim list", "domain", argv[0], name))
		return 1;
	struct keys_ctx kc = { argc ? argv[0] : NULL, argc ? name : NULL };
	return ctl_list(ctl, keys_collect, &kc, false, key_line);
}

static int mail_dkim_rotate(ctl_t *ctl, int argc, char **argv)
{
	uint8_t name[ZONES_NAME_MAX];
	if (argc != 1)
		return ctl_fail("mail dkim rotate: expected DOMAIN");
	dns_state_t *st;
	if (ctl_name_arg("mail dkim rotate", "domain", argv[0], name) || ctl_state(ctl, &st))
		return 1;
	char err[1200];
	int r = mailcore_op_dkim_rotate(st, name, err, sizeof err);
	if (r)
		return ctl_fail("%s", err[0] ? err : dns_strerror(r));
	ctl_notify(ctl);
	printf("new DKIM keys published for %s; dnsd activates them once every server serves "
	       "them and their TTL has passed\n", argv[0]);
	return 0;
}

static int mail_dkim_export(ctl_t *ctl, int argc, char **argv)
{
	if (argc != 1)
		return ctl_fail("mail dkim export: expected DIR");
	dns_state_t *st;
	if (ctl_state_existing(ctl, &st))
		return 1;
	char err[1400];
	size_t n = 0;
	int r = mailcore_dkim_export(st, argv[0], &n, err, sizeof err);
	if (r)
		return ctl_fail("mail dkim export: %s", err[0] ? err : dns_strerror(r));
	if (ctl->json)
		ctl_json_print(json_pack("{s:s, s:I}", "dir", argv[0], "keys", (json_int_t)n));
	else
		printf("%zu active DKIM key%s written to %s\n", n, n == 1 ? "" : "s", argv[0]);
	return 0;
}

const ctl_cmd_t ctl_dkim_cmds[] = {
	{ "mail", "dkim list", mail_dkim_list, "[DOMAIN] [--json]",
	  "List DKIM keys: selector, algorithm, state (created, published, active, retired,\n"
	  "revoked) and when each state began." },
	{ "mail", "dkim rotate", mail_dkim_rotate, "DOMAIN",
	  "Start a DKIM rollover now: new keys are published; the old ones retire when the\n"
	  "new ones become active." },
	{ "mail", "dkim export", mail_dkim_export, "DIR",
	  "Write the active DKIM keys for the MTA: DIR/keys/DOMAIN.SELECTOR.key (0600),\n"
	  "DIR/KeyTable and DIR/SigningTable for OpenDKIM (SigningTable as refile), and\n"
	  "DIR/rspamd-selectors.map and DIR/rspamd-paths.map for rspamd's dkim_signing.\n"
	  "Keys no longer active are deleted from DIR/keys. Run it from a timer (or after\n"
	  "mail dkim list shows a change) and reload the signer." },
	{ NULL, NULL, NULL, NULL, NULL }
};
