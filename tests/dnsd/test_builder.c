/* SPDX-License-Identifier: MIT */
/* dnsd/builder.c with signing: keys made once, signatures kept across
 * restarts, a change re-signs only what it touches, serials follow. */
#include <stdlib.h>
#include <unistd.h>
#include "tests/tap.h"
#include "dnsd/dnsd.h"

static dns_state_t *st;
static uint8_t apex[ZONES_NAME_MAX];

/* every stored signature, concatenated, to compare runs */
typedef struct { dns_buf_t b; size_t n; } dump_t;
static int dump_one(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl, void *arg)
{
	dump_t *d = arg;
	dns_buf_u16(&d->b, (uint16_t)kl);
	dns_buf_append(&d->b, k, kl);
	dns_buf_u16(&d->b, (uint16_t)vl);
	dns_buf_append(&d->b, v, vl);
	d->n++;
	return 0;
}

static void dump(dump_t *d, dns_db_t db)
{
	dns_buf_init(&d->b);
	d->n = 0;
	dns_state_txn_t *txn;
	if (dns_state_read_begin(st, &txn) == 0) {
		if (dns_state_scan(txn, db, apex, zones_name_len(apex, 255), dump_one, d)) {}
		dns_state_read_end(txn);
	}
}

static uint32_t served_serial(void)
{
	dns_state_txn_t *txn;
	zones_served_t sv = { 0 };
	if (dns_state_read_begin(st, &txn) == 0) {
		if (zones_store_served_get(txn, apex, &sv)) {}
		dns_state_read_end(txn);
	}
	return sv.serial;
}

static const zones_czone_t *build(dnsd_builder_t *b, zones_snapshot_t **keep)
{
	zones_snapshot_t *snap = NULL;
	uint64_t seen;
	if (dnsd_builder_update(b, &snap, &seen) || !snap)
		return NULL;
	zones_snapshot_free(*keep);
	*keep = snap;
	return snap->nzones ? snap->zones[0] : NULL;
}

/* answer count of "NAME A" against the snapshot, with or without DO */
static int answers(const zones_snapshot_t *snap, const char *name, uint16_t type, bool do_bit)
{
	uint8_t q[300] = { 0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1 };
	int n = zones_name_parse(name, NULL, q + 12);
	size_t o = 12 + (size_t)n;
	dns_put16(q + o, type);
	dns_put16(q + o + 2, 1);
	o += 4;
	uint8_t opt[11] = { 0, 0, 41, 0x04, 0xd0, 0, 0, do_bit ? 0x80 : 0, 0, 0, 0 };
	memcpy(q + o, opt, 11);
	o += 11;
	static uint8_t resp[65535];
	static dnsd_engine_conf_t conf = { .udp_max = 1232 };
	dnsd_engine_t eng = { .conf = &conf };
	dnsd_query_in_t in = { .data = q, .len = o, .tcp = true, .addrlen = 4 };
	size_t len;
	if (dnsd_engine_answer(&eng, snap, &in, resp, sizeof resp, &len) != DNSD_RESPOND)
		return -1;
	return dns_get16(resp + 6) * 100 + dns_get16(resp + 8);
}

int main(void)
{
	char dir[] = "/tmp/test_builder.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	is_int(dns_state_open(dir, false, &st), 0, "state opened");
	ok(zones_name_parse("example.test.", NULL, apex) > 0, "apex");
	zones_content_t c;
	zones_content_init(&c, apex);
	is_int(zones_content_load(&c, FUZZ_SRCDIR "/tests/integration/diffzones/example.test.zone"), 0,
	       "test zone loads");
	is_int(zones_op_add(st, &c, "default"), 0, "zone added with policy default");
	zones_content_deinit(&c);

	keymgr_policies_t ps;
	is_int(keymgr_policies_init(&ps), 0, "policies");
	dnsd_builder_t *b;
	is_int(dnsd_builder_new(st, &ps, &b), 0, "builder");
	zones_snapshot_t *snap = NULL;
	const zones_czone_t *z = build(b, &snap);
	ok(z != NULL, "signed zone built");
	if (!z)
		return tap_done();
	const zones_node_t *an = &z->nodes[z->apex_node];
	ok(zones_node_rrset(z, an, ZONES_T_DNSKEY) != NULL, "DNSKEY at the apex");
	ok(zones_node_rrset(z, an, ZONES_T_NSEC3PARAM) != NULL, "NSEC3PARAM at the apex");
	const zones_rrset_t *soa = zones_node_rrset(z, an, ZONES_T_SOA);
	ok(soa && soa->sig != ZONES_NONE && z->rrsets[soa->sig].type == ZONES_T_RRSIG,
	   "the SOA is linked to its RRSIG");
	is_int(answers(snap, "example.test.", ZONES_T_RRSIG, false) / 100 > 5, 1,
	       "qtype RRSIG at the apex: the RRSIGs of every RRset there");
	is_int(answers(snap, "www.example.test.", ZONES_T_A, false), 200, "A without DO: 2 answers");
	is_int(answers(snap, "www.example.test.", ZONES_T_A, true), 300, "A with DO: 2 answers + RRSIG");
	is_int(answers(snap, "example.test.", ZONES_T_DNSKEY, true), 300,
	       "DNSKEY with DO: 2 keys and the KSK's RRSIG");
	is_int(answers(snap, "sub.example.test.", ZONES_T_DS, true), 4, "DS at a delegation: NODATA, "
	       "SOA, NSEC3 and their RRSIGs in authority");
	is_int(answers(snap, "nope.example.test.", ZONES_T_A, true), 8, "NXDOMAIN: SOA and three "
	       "NSEC3 (closest encloser, next closer, wildcard), each with its RRSIG");
	uint32_t s1 = served_serial();
	ok(s1 == 2024010101, "first serial is the file's (%u)", s1);
	dump_t keys1, sigs1;
	dump(&keys1, DNS_DB_KEYS);
	dump(&sigs1, DNS_DB_SIGS);
	is_int(keys1.n, 2, "KSK and ZSK stored");
	ok(sigs1.n > 100, "signatures stored (%zu)", sigs1.n);
	dnsd_builder_free(b);

	/* a restart: a new builder over the same state re-signs nothing */
	is_int(dnsd_builder_new(st, &ps, &b), 0, "builder again (restart)");
	z = build(b, &snap);
	ok(z != NULL, "rebuilt");
	dump_t keys2, sigs2;
	dump(&keys2, DNS_DB_KEYS);
	dump(&sigs2, DNS_DB_SIGS);
	is_int(served_serial(), s1, "same serial after the restart");
	ok(keys2.b.len == keys1.b.len && !memcmp(keys2.b.data, keys1.b.data, keys1.b.len),
	   "the same keys");
	ok(sigs2.b.len == sigs1.b.len && !memcmp(sigs2.b.data, sigs1.b.data, sigs1.b.len),
	   "no signature made again (all %zu kept)", sigs2.n);

	/* one record changes: serial + 1, few signatures differ */
	zones_rr_t rr;
	char err[300];
	is_int(zones_rr_parse(apex, "newhost", "300", "A", "192.0.2.99", &rr, err, sizeof err), 0,
	       "record parsed");
	zones_change_t what;
	is_int(zones_op_record_add(st, apex, &rr, &what, err, sizeof err), 0, "record added");
	free(rr.owner);
	free(rr.rdata);
	z = build(b, &snap);
	ok(z != NULL, "rebuilt after the change");
	is_int(served_serial(), s1 + 1, "serial + 1");
	dump_t sigs3;
	dump(&sigs3, DNS_DB_SIGS);
	/* new: the A RRset, its NSEC3 and the NSEC3 before it, the SOA */
	ok(sigs3.n == sigs1.n + 2, "two more signatures (%zu -> %zu)", sigs1.n, sigs3.n);
	dnsd_builder_free(b);
	zones_snapshot_free(snap);
	keymgr_policies_deinit(&ps);
	dns_state_close(st);
	dns_buf_deinit(&keys1.b);
	dns_buf_deinit(&keys2.b);
	dns_buf_deinit(&sigs1.b);
	dns_buf_deinit(&sigs2.b);
	dns_buf_deinit(&sigs3.b);
	char cmd[100];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd)) {}
	return tap_done();
}
