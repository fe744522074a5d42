/* SPDX-License-Identifier: MIT */
/*
 * AXFR messages (dnsd/xfr.c) of real zones: a signed one built by the
 * builder and an unsigned one, parsed back with ldns. The transfer must hold
 * exactly the zone as served (zone export's content), SOA first and last, every
 * message a valid DNS message under 16 KiB with ID, QR, AA and the question.
 */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>
#include "dnsd/dnsd.h"
#include "tests/tap.h"

static dns_state_t *st;

/* Every RR of a transfer, each printed canonically, sorted. */
typedef struct {
	char **rr;
	size_t n, cap;
} rrlist_t;

static void add(rrlist_t *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->rr = realloc(l->rr, l->cap * sizeof *l->rr);
	}
	l->rr[l->n++] = strdup(s);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *rr_text(ldns_rr *rr)
{
	ldns_rr2canonical(rr);
	char *s = ldns_rr2str(rr);
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
	return s;
}

/* Run a transfer of \p z; check the message framing; collect its RRs. */
static int transfer(const zones_czone_t *z, const char *apex, rrlist_t *out, char *first,
                    char *last, size_t *msgs)
{
	uint8_t q[512];
	ldns_pkt *qp = ldns_pkt_query_new(ldns_dname_new_frm_str(apex), LDNS_RR_TYPE_AXFR,
	                                  LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_id(qp, 0x1234);
	uint8_t *wire;
	size_t wl;
	ldns_pkt2wire(&wire, qp, &wl);
	memcpy(q, wire, wl);
	free(wire);
	ldns_pkt_free(qp);
	dnsd_xfr_t x;
	dnsd_xfr_init(&x, z, q, wl);
	static uint8_t buf[65535];
	int more = 1, bad = 0;
	*msgs = 0;
	char *prev = NULL;
	while (more == 1) {
		size_t len;
		more = dnsd_xfr_axfr_next(&x, buf, sizeof buf, &len);
		if (more < 0)
			return more;
		(*msgs)++;
		ldns_pkt *p = NULL;
		if (len > 16384 || ldns_wire2pkt(&p, buf, len) != LDNS_STATUS_OK) {
			bad++;
			continue;
		}
		if (ldns_pkt_id(p) != 0x1234 || !ldns_pkt_qr(p) || !ldns_pkt_aa(p) ||
		    ldns_pkt_get_rcode(p) != 0 || ldns_pkt_qdcount(p) != 1)
			bad++;
		ldns_rr_list *an = ldns_pkt_answer(p);
		for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
			char *s = rr_text(ldns_rr_list_rr(an, i));
			if (*msgs == 1 && i == 0)
				snprintf(first, 4096, "%s", s);
			free(prev);
			prev = strdup(s);
			add(out, s);
			free(s);
		}
		ldns_pkt_free(p);
	}
	snprintf(last, 4096, "%s", prev ? prev : "");
	free(prev);
	return bad;
}

/* The zone as served, from the state (what zone export prints). */
static void served(const char *apex_s, const keymgr_policies_t *ps, rrlist_t *out)
{
	uint8_t apex[ZONES_NAME_MAX];
	(void)zones_name_parse(apex_s, NULL, apex);
	zones_content_t c;
	zones_content_init(&c, apex);
	zones_settings_t s;
	bool sv;
	if (keymgr_zone_load_served(st, apex, ps, (uint32_t)time(NULL), &c, &s, &sv) == 0) {
		for (size_t i = 0; i < c.n; i++) {
			char line[70000];
			zones_rr_print(&c.rr[i], line, sizeof line);
			ldns_rr *rr;
			if (ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL) == LDNS_STATUS_OK) {
				char *t = rr_text(rr);
				add(out, t);
				free(t);
				ldns_rr_free(rr);
			}
		}
	}
	zones_content_deinit(&c);
}

static bool same(rrlist_t *a, rrlist_t *b, const char *what)
{
	qsort(a->rr, a->n, sizeof *a->rr, cmp);
	qsort(b->rr, b->n, sizeof *b->rr, cmp);
	/* the SOA is in a transfer twice */
	size_t w = 0;
	for (size_t i = 0; i < a->n; i++)
		if (!w || strcmp(a->rr[w - 1], a->rr[i]) || !strstr(a->rr[i], "\tSOA\t"))
			a->rr[w++] = a->rr[i];
	a->n = w;
	bool eq = a->n == b->n;
	for (size_t i = 0; eq && i < a->n; i++)
		eq = strcmp(a->rr[i], b->rr[i]) == 0;
	if (!eq) {
		printf("# %s: transfer %zu RRs, served %zu\n", what, a->n, b->n);
		for (size_t i = 0, j = 0; (i < a->n || j < b->n) && i + j < 40;) {
			int c = i < a->n && j < b->n ? strcmp(a->rr[i], b->rr[j]) : i < a->n ? -1 : 1;
			if (c == 0) {
				i++, j++;
			} else if (c < 0) {
				printf("#  +xfr %s\n", a->rr[i++]);
			} else {
				printf("#  -srv %s\n", b->rr[j++]);
			}
		}
	}
	return eq;
}

static void one_zone(const zones_snapshot_t *snap, const keymgr_policies_t *ps, const char *apex_s)
{
	uint8_t apex[ZONES_NAME_MAX];
	int al = zones_name_parse(apex_s, NULL, apex);
	const zones_czone_t *z = snap ? zones_snapshot_get(snap, apex, (size_t)al,
	                                                   zones_name_hash(apex, (size_t)al)) : NULL;
	ok(z != NULL, "%s built", apex_s);
	if (!z)
		return;
	rrlist_t x = { 0 }, s = { 0 };
	char first[4096], last[4096];
	size_t msgs;
	is_int(transfer(z, apex_s, &x, first, last, &msgs), 0,
	       "%s: %zu messages, each valid, under 16 KiB, ID/QR/AA/question", apex_s, msgs);
	ok(strstr(first, "\tSOA\t") && !strcmp(first, last), "%s: SOA first and last", apex_s);
	served(apex_s, ps, &s);
	ok(s.n > 0 && same(&x, &s, apex_s), "%s: the transfer is the zone as served (%zu RRs)",
	   apex_s, s.n);
	for (size_t i = 0; i < x.n; i++)
		free(x.rr[i]);
	for (size_t i = 0; i < s.n; i++)
		free(s.rr[i]);
	free(x.rr);
	free(s.rr);
}

int main(void)
{
	char dir[] = "/tmp/test_xfr.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	is_int(dns_state_open(dir, false, &st), 0, "state opened");
	keymgr_policies_t ps;
	is_int(keymgr_policies_init(&ps), 0, "policies");
	const char *zones[][2] = {
		{ "example.test.", "default" }, { "other.test.", "" }, { "child.example.test.", "" },
	};
	for (size_t i = 0; i < 3; i++) {
		uint8_t apex[ZONES_NAME_MAX];
		zones_content_t c;
		char path[600];
		(void)zones_name_parse(zones[i][0], NULL, apex);
		zones_content_init(&c, apex);
		snprintf(path, sizeof path, "%s/tests/integration/diffzones/%szone", FUZZ_SRCDIR,
		         zones[i][0]);
		is_int(zones_content_load(&c, path), 0, "%s loads", zones[i][0]);
		is_int(zones_op_add(st, &c, zones[i][1]), 0, "%s added", zones[i][0]);
		zones_content_deinit(&c);
	}
	dnsd_builder_t *b;
	is_int(dnsd_builder_new(st, &ps, &b), 0, "builder");
	zones_snapshot_t *snap = NULL;
	uint64_t seen;
	is_int(dnsd_builder_update(b, &snap, &seen), 0, "snapshot built");
	for (size_t i = 0; i < 3 && snap; i++)
		one_zone(snap, &ps, zones[i][0]);
	zones_snapshot_free(snap);
	dnsd_builder_free(b);
	keymgr_policies_deinit(&ps);
	dns_state_close(st);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	(void)system(cmd);
	return tap_done();
}
