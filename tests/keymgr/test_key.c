/* SPDX-License-Identifier: MIT */
/* keymgr: keys, DNSKEY, key tag, DS and RRSIG, checked against ldns. */
#include <stdlib.h>
#include <unistd.h>
#include <ldns/ldns.h>
#include "tests/tap.h"
#include "keymgr/keymgr.h"

static ldns_rr *wire_rr(const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rd,
                        size_t rdlen)
{
	uint8_t w[2000];
	size_t ol = zones_name_len(owner, 255);
	memcpy(w, owner, ol);
	dns_put16(w + ol, type);
	dns_put16(w + ol + 2, 1);
	dns_put32(w + ol + 4, ttl);
	dns_put16(w + ol + 8, (uint16_t)rdlen);
	memcpy(w + ol + 10, rd, rdlen);
	ldns_rr *rr = NULL;
	size_t pos = 0;
	if (ldns_wire2rr(&rr, w, ol + 10 + rdlen, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		return NULL;
	return rr;
}

static keymgr_key_t *cur_key;
static const uint8_t *cur_apex;
static int put_txn(dns_state_txn_t *txn, void *arg)
{
	(void)arg;
	int ret = keymgr_store_remove_all(txn, cur_apex);
	return ret ? ret : keymgr_store_put(txn, cur_apex, cur_key);
}
static void check_alg(
uint8_t alg, const uint8_t *apex, dns_state_t *st)
{
	const char *an = keymgr_alg_name(alg);
	keymgr_key_t k;
	is_int(keymgr_key_generate(alg, KEYMGR_ROLE_KSK, 1, 1000, &k), 0, "%s: key generated", an);
	uint8_t dk[700];
	int dl = keymgr_key_dnskey(&k, dk, sizeof dk);
	ok(dl > 4, "%s: DNSKEY RDATA", an);
	ldns_rr *key_rr = wire_rr(apex, ZONES_T_DNSKEY, 3600, dk, (size_t)dl);
	ok(key_rr != NULL, "%s: ldns reads our DNSKEY", an);
	is_int(k.tag, ldns_calc_keytag(key_rr), "%s: key tag as ldns computes it", an);
	is_int(keymgr_key_flags(&k), 257, "%s: KSK has the SEP flag", an);

	uint8_t ds[100];
	int dsl = keymgr_ds(apex, dk, (size_t)dl, 2, ds, sizeof ds);
	ldns_rr *lds = ldns_key_rr2ds(key_rr, LDNS_SHA256);
	bool same = dsl == 36 && lds && ldns_rdf_size(ldns_rr_rdf(lds, 3)) == 32 &&
	            memcmp(ds + 4, ldns_rdf_data(ldns_rr_rdf(lds, 3)), 32) == 0;
	ok(same, "%s: DS SHA-256 as ldns computes it", an);
	is_int(keymgr_ds(apex, dk, (size_t)dl, 4, ds, sizeof ds), 52, "%s: DS SHA-384 length", an);
	ldns_rr_free(lds);

	/* sign an RRset, verify with ldns */
	uint8_t owner[255], a1[4] = { 192, 0, 2, 1 }, a2[4] = { 192, 0, 2, 2 };
	int ol = zones_name_parse("www", apex, owner);
	ok(ol > 0, "owner parsed");
	zones_rr_t rrs[2] = { { .owner = owner, .rdata = a2, .ttl = 300, .type = 1, .rdlen = 4 },
		              { .owner = owner, .rdata = a1, .ttl = 300, .type = 1, .rdlen = 4 } };
	keymgr_rrset_t set = { owner, 1, 300, rrs, 2 };
	uint8_t sig[1000];
	int sl = keymgr_sign(&k, apex, &set, 1700000000, 2100000000, sig, sizeof sig);
	ok(sl > 0, "%s: RRSIG made (%d octets)", an, sl);
	ldns_rr_list *rrset = ldns_rr_list_new(), *keys = ldns_rr_list_new();
	ldns_rr_list_push_rr(rrset, wire_rr(owner, 1, 300, a1, 4));
	ldns_rr_list_push_rr(rrset, wire_rr(owner, 1, 300, a2, 4));
	ldns_rr_list_push_rr(keys, key_rr);
	ldns_rr *rrsig = wire_rr(owner, ZONES_T_RRSIG, 300, sig, (size_t)sl);
	is_int(ldns_verify_rrsig_keylist_notime(rrset, rrsig, keys, NULL), LDNS_STATUS_OK,
	       "%s: ldns verifies the RRSIG", an);
	/* tampered data must fail */
	sig[sl - 1] ^= 1;
	ldns_rr *bad = wire_rr(owner, ZONES_T_RRSIG, 300, sig, (size_t)sl);
	ok(ldns_verify_rrsig_keylist_notime(rrset, bad, keys, NULL) != LDNS_STATUS_OK,
	   "%s: a flipped bit fails verification", an);
	ldns_rr_free(bad);
	ldns_rr_free(rrsig);

	/* stored and loaded back: the same key signs verifiably */
	cur_key = &k;
	cur_apex = apex;
	is_int(dns_state_write(st, put_txn, NULL), 0, "%s: key stored", an);
	dns_state_txn_t *txn;
	keymgr_key_t *loaded = NULL;
	size_t n = 0;
	if (dns_state_read_begin(st, &txn) == 0) {
		is_int(keymgr_store_load(txn, apex, &loaded, &n), 0, "%s: keys load", an);
		dns_state_read_end(txn);
	}
	is_int(n, 1, "%s: one key stored", an);
	if (n == 1) {
		is_int(loaded[0].tag, k.tag, "%s: loaded key has the same tag", an);
		sl = keymgr_sign(&loaded[0], apex, &set, 1700000000, 2100000000, sig, sizeof sig);
		rrsig = wire_rr(owner, ZONES_T_RRSIG, 300, sig, (size_t)sl);
		is_int(ldns_verify_rrsig_keylist_notime(rrset, rrsig, keys, NULL), LDNS_STATUS_OK,
		       "%s: the loaded key's RRSIG verifies", an);
		ldns_rr_free(rrsig);
	}
	keymgr_keys_free(loaded, n);
	ldns_rr_list_deep_free(rrset);
	ldns_rr_list_deep_free(keys);
	keymgr_key_deinit(&k);
}

int main(void)
{
	char dir[] = "/tmp/test_key.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	dns_state_t *st;
	is_int(dns_state_open(dir, false, &st), 0, "state opened");
	uint8_t apex[255];
	ok(zones_name_parse("Example.TEST.", NULL, apex) > 0, "apex parsed");
	uint8_t algs[] = { KEYMGR_ALG_ECDSAP256SHA256, KEYMGR_ALG_ED25519, KEYMGR_ALG_RSASHA256 };
	for (size_t i = 0; i < sizeof algs; i++)
		check_alg(algs[i], apex, st);
	dns_state_close(st);
	char cmd[100];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd)) {}
	return tap_done();
}
