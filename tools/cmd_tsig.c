/* SPDX-License-Identifier: MIT */
/*
 * dnsctl tsig add|list|show|remove: the TSIG keys (RFC 8945) that secondaries
 * use to authenticate zone transfers and NOTIFY. Secrets come from the CSPRNG
 * unless given; they are printed only by "tsig show", never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "tools/ctl.h"

static int key_name_arg(const char *cmd, const char *s, uint8_t out[255])
{
	char abs[600];
	size_t n = strlen(s);
	snprintf(abs, sizeof abs, "%s%s", s, n && s[n - 1] == '.' ? "" : ".");
	if (n == 0 || !strcmp(s, ".") || zones_name_parse(abs, NULL, out) < 0)
		return ctl_fail("%s: key name '%s' is not a valid domain name", cmd, s);
	zones_name_lower(out);
	return 0;
}

typedef struct {
	dns_tsig_key_t key;
	bool replace;
	char err[300];
} tsig_op_t;

static int add_txn(dns_state_txn_t *txn, void *arg)
{
	tsig_op_t *op = arg;
	dns_tsig_key_t old;
	int ret = dns_tsig_get(txn, op->key.name, &old);
	OPENSSL_cleanse(&old, sizeof old);
	if (ret == 0)
		return DNS_EEXIST;
	if (ret != DNS_ENOENT)
		return ret;
	return dns_tsig_put(txn, &op->key);
}

static int tsig_add(ctl_t *ctl, int argc, char **argv)
{
	const char *name = NULL, *alg = "hmac-sha256", *secret = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--alg")) {
			if (!(alg = ctl_opt_value(argc, argv, &i, "tsig add")))
				return 1;
		} else if (!strcmp(argv[i], "--secret")) {
			if (!(secret = ctl_opt_value(argc, argv, &i, "tsig add")))
				return 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return ctl_fail("tsig add: unknown option '%s' (see dnsctl tsig add --help)",
			                argv[i]);
		} else if (!name) {
			name = argv[i];
		} else {
			return ctl_fail("tsig add: unexpected argument '%s'", argv[i]);
		}
	}
	if (!name)
		return ctl_fail("tsig add: missing NAME (see dnsctl tsig add --help)");
	tsig_op_t op;
	memset(&op, 0, sizeof op);
	int a = dns_tsig_alg_parse(alg);
	/* RFC 8945 6: keys are made for the SHA-2 HMACs only */
	if (a != DNS_TSIG_SHA256 && a != DNS_TSIG_SHA384 && a != DNS_TSIG_SHA512)
		return ctl_fail("tsig add: --alg '%s': expected hmac-sha256, hmac-sha384 or "
		                "hmac-sha512", alg);
	if (key_name_arg("tsig add", name, op.key.name))
		return 1;
	op.key.alg = (uint8_t)a;
	size_t want = dns_tsig_alg_size(a);
	if (secret) {
		/* RFC 8945 6: at least half the digest length; longer than the
		 * HMAC block is hashed anyway, so at most 128 octets here */
		size_t sl = strlen(secret);
		uint8_t buf[200];
		int n = sl % 4 == 0 && sl <= 4 * 64 ? EVP_DecodeBlock(buf, (const unsigned char *)secret,
		                                                     (int)sl) : -1;
		if (n > 0)
			n -= (sl > 0 && secret[sl - 1] == '=') + (sl > 1 && secret[sl - 2] == '=');
		if (n < (int)(want / 2) || n > (int)sizeof op.key.secret)
			return ctl_fail("tsig add: --secret: expected base64 of %zu to %zu octets",
			                want / 2, sizeof op.key.secret);
		memcpy(op.key.secret, buf, (size_t)n);
		op.key.secretlen = (uint16_t)n;
		OPENSSL_cleanse(buf, sizeof buf);
	} else {
		if (dns_random_bytes(op.key.secret, want) != 0)
			return ctl_fail("tsig add: no random bytes for the secret");
		op.key.secretlen = (uint16_t)want;
	}
	dns_state_t *st;
	if (ctl_state(ctl, &st))
		return 1;
	int ret = dns_state_write(st, add_txn, &op);
	OPENSSL_cleanse(&op.key.secret, sizeof op.key.secret);
	char kn[1024];
	zones_name_print(op.key.name, kn, sizeof kn);
	if (ret == DNS_EEXIST)
		return ctl_fail("tsig key %s already exists (remove it first to replace it)", kn);
	if (ret)
		return ctl_fail("tsig add: %s", dns_strerror(ret));
	ctl_notify(ctl);
	if (ctl->json)
		ctl_json_print(json_pack("{s:s, s:s}", "key", kn, "algorithm", dns_tsig_alg_name(a)));
	else
		printf("tsig key %s added (%s); print its secret with: dnsctl tsig show %s\n", kn,
		       dns_tsig_alg_name(a), kn);
	return 0;
}

static int list_one(const dns_tsig_key_t *k, void *arg)
{
	char kn[1024];
	zones_name_print(k->name, kn, sizeof kn);
	json_array_append_new(arg, json_pack("{s:s, s:s, s:I}", "key", kn, "algorithm",
	                                     dns_tsig_alg_name(k->alg), "bits",
	                                     (json_int_t)k->secretlen * 8));
	return 0;
}

static int tsig_collect(dns_state_txn_t *txn, json_t *arr, void *arg)
{
	(void)arg;
	return dns_tsig_each(txn, list_one, arr);
}

static void tsig_line(json_t *row)
{
	printf("%s %s %lld bits\n", json_string_value(json_object_get(row, "key")),
	       json_string_value(json_object_get(row, "algorithm")),
	       (long long)json_integer_value(json_object_get(row, "bits")));
}

static int tsig_list(ctl_t *ctl, int argc, char **argv)
{
	(void)argv;
	if (argc)
		return ctl_fail("tsig list: takes no arguments");
	return ctl_list(ctl, tsig_collect, NULL, false, tsig_line);
}

static int tsig_show(ctl_t *ctl, int argc, char **argv)
{
	uint8_t name[255];
	if (argc != 1)
		return ctl_fail("tsig show: expected NAME");
	dns_state_t *st;
	dns_state_txn_t *txn;
	if (key_name_arg("tsig show", argv[0], name) || ctl_state_existing(ctl, &st))
		return 1;
	dns_tsig_key_t k;
	int ret = dns_state_read_begin(st, &txn);
	if (ret == 0) {
		ret = dns_tsig_get(txn, name, &k);
		dns_state_read_end(txn);
	}
	char kn[1024];
	zones_name_print(name, kn, sizeof kn);
	if (ret == DNS_ENOENT)
		return ctl_fail("no tsig key %s", kn);
	if (ret)
		return ctl_fail("tsig show: %s", dns_strerror(ret));
	char b64[200];
	EVP_EncodeBlock((unsigned char *)b64, k.secret, k.secretlen);
	const char *an = dns_tsig_alg_name(k.alg);
	if (ctl->json)
		ctl_json_print(json_pack("{s:s, s:s, s:s}", "key", kn, "algorithm", an, "secret", b64));
	else
		/* the forms secondaries' configurations take */
		printf("key:       %s\nalgorithm: %s\nsecret:    %s\n\n"
		       "kdig/knsupdate:  -y %s:%s:%s\n"
		       "knot.conf:       key: [ { id: %s, algorithm: %s, secret: %s } ]\n"
		       "nsd.conf:        key:\n                   name: \"%s\"\n"
		       "                   algorithm: %s\n                   secret: \"%s\"\n"
		       "named.conf:      key \"%s\" { algorithm %s; secret \"%s\"; };\n",
		       kn, an, b64, an, kn, b64, kn, an, b64, kn, an, b64, kn, an, b64);
	OPENSSL_cleanse(&k, sizeof k);
	OPENSSL_cleanse(b64, sizeof b64);
	return 0;
}

static int del_txn(dns_state_txn_t *txn, void *arg)
{
	return dns_tsig_del(txn, arg);
}

static int tsig_remove(ctl_t *ctl, int argc, char **argv)
{
	uint8_t name[255];
	if (argc != 1)
		return ctl_fail("tsig remove: expected NAME");
	dns_state_t *st;
	if (key_name_arg("tsig remove", argv[0], name) || ctl_state(ctl, &st))
		return 1;
	int ret = dns_state_write(st, del_txn, name);
	char kn[1024];
	zones_name_print(name, kn, sizeof kn);
	if (ret == DNS_ENOENT)
		return ctl_fail("no tsig key %s", kn);
	if (ret)
		return ctl_fail("tsig remove: %s", dns_strerror(ret));
	ctl_notify(ctl);
	if (!ctl->json)
		printf("tsig key %s removed\n", kn);
	return 0;
}

const ctl_cmd_t ctl_tsig_cmds[] = {
	{ "tsig", "add", tsig_add, "NAME [--alg hmac-sha256|hmac-sha384|hmac-sha512] [--secret B64]",
	  "Create a TSIG key (RFC 8945) for secondaries: transfers and NOTIFY are signed\n"
	  "with it where the configuration names it. Without --secret, a secret of the\n"
	  "digest's length comes from the system's CSPRNG.\n"
	  "  --alg ALG      hmac-sha256 (default), hmac-sha384 or hmac-sha512\n"
	  "  --secret B64   use this secret (base64; at least half the digest length)" },
	{ "tsig", "list", tsig_list, "[--json]", "List the TSIG keys: name, algorithm, size." },
	{ "tsig", "show", tsig_show, "NAME [--json]",
	  "Print a key with its secret, and the lines that configure it in kdig, Knot, NSD\n"
	  "and BIND. The secret is sensitive: this is the only command that prints it." },
	{ "tsig", "remove", tsig_remove, "NAME", "Delete a TSIG key." },
	{ NULL, NULL, NULL, NULL, NULL }
};
