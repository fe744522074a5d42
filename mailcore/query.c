/* SPDX-License-Identifier: MIT */
/*
 * Asking servers what they serve: dnsctl check, and the DKIM timer's test
 * that a new key is published everywhere. Plain non-recursive queries
 * (RD clear) to one server, UDP with TCP when truncated (RFC 7766 5).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <ldns/ldns.h>
#include "mailcore/mailcore_int.h"

int mailcore_server_parse(const char *s, mailcore_server_t *out)
{
	memset(out, 0, sizeof *out);
	return dns_server_parse(s, out->addr, sizeof out->addr, &out->port);
}

void mailcore_answer_free(mailcore_answer_t *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->rdata[i]);
	a->n = 0;
}

int mailcore_query(const mailcore_server_t *srv, const uint8_t *name, uint16_t type,
                   int timeout_ms, mailcore_answer_t *out)
{
	memset(out, 0, sizeof *out);
	out->rcode = -1;
	ldns_resolver *res = ldns_resolver_new();
	if (!res)
		return DNS_ENOMEM;
	ldns_rdf *ns = ldns_rdf_new_frm_str(strchr(srv->addr, ':') ? LDNS_RDF_TYPE_AAAA
	                                                            : LDNS_RDF_TYPE_A, srv->addr);
	ldns_rdf *qn = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, zones_name_len(name, ZONES_NAME_MAX),
	                                     name);
	int ret = 0;
	if (!ns || !qn || ldns_resolver_push_nameserver(res, ns) != LDNS_STATUS_OK) {
		ret = DNS_ENOMEM;
		goto out;
	}
	ldns_resolver_set_port(res, srv->port);
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_dnssec(res, false);
	ldns_resolver_set_fallback(res, true); /* TCP when truncated */
	ldns_resolver_set_retry(res, 2);
	ldns_resolver_set_timeout(res, (struct timeval){ timeout_ms / 1000,
	                                                 (timeout_ms % 1000) * 1000 });
	ldns_pkt *pkt = NULL;
	if (ldns_resolver_send(&pkt, res, qn, type, LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK || !pkt)
		goto out; /* no answer: rcode stays -1 */
	out->rcode = ldns_pkt_get_rcode(pkt);
	out->aa = ldns_pkt_aa(pkt);
	ldns_rr_list *an = ldns_pkt_answer(pkt);
	ldns_buffer *b = ldns_buffer_new(512);
	for (size_t i = 0; b && i < ldns_rr_list_rr_count(an) && out->n < 64; i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) != type ||
		    ldns_dname_compare(ldns_rr_owner(rr), qn) != 0)
			continue;
		ldns_buffer_clear(b);
		if (ldns_rr_rdata2buffer_wire(b, rr) != LDNS_STATUS_OK)
			continue;
		size_t len = ldns_buffer_position(b);
		uint8_t *rd = malloc(len ? len : 1);
		if (!rd) {
			ret = DNS_ENOMEM;
			break;
		}
		memcpy(rd, ldns_buffer_begin(b), len);
		zones_rdata_canonical(type, rd, len);
		out->rdata[out->n] = rd;
		out->rdlen[out->n++] = (uint16_t)len;
		out->ttl = ldns_rr_ttl(rr);
	}
	ldns_buffer_free(b);
	ldns_pkt_free(pkt);
out:
	ldns_rdf_deep_free(qn);
	ldns_resolver_deep_free(res); /* frees the pushed nameserver copy */
	ldns_rdf_deep_free(ns);
	return ret;
}

int mailcore_soa_serial(const mailcore_server_t *srv, const uint8_t *apex, int timeout_ms,
                        uint32_t *serial)
{
	mailcore_answer_t a;
	if (mailcore_query(srv, apex, ZONES_T_SOA, timeout_ms, &a) != 0)
		return 1;
	int ret = a.rcode < 0 ? -1 : 1;
	/* an authoritative answer with the SOA: MNAME, RNAME, then the serial */
	if (a.rcode == 0 && a.aa && a.n == 1) {
		size_t o = zones_name_len(a.rdata[0], a.rdlen[0]);
		size_t o2 = o ? zones_name_len(a.rdata[0] + o, a.rdlen[0] - o) : 0;
		if (o && o2 && o + o2 + 4 <= a.rdlen[0]) {
			*serial = dns_get32(a.rdata[0] + o + o2);
			ret = 0;
		}
	}
	mailcore_answer_free(&a);
	return ret;
}

void mailcore_server_local(mailcore_server_t *s)
{
	if (!strcmp(s->addr, "0.0.0.0"))
		snprintf(s->addr, sizeof s->addr, "127.0.0.1");
	else if (!strcmp(s->addr, "::"))
		snprintf(s->addr, sizeof s->addr, "::1");
}
