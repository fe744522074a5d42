/* SPDX-License-Identifier: MIT */
/*
 * Presentation format (RFC 1035 5, RFC 3597 5) through ldns: master files in
 * and out, and single records from the command line.  ldns results are
 * converted to DNS_E* here and never leave this file.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ldns/ldns.h>
#include "zones/zones.h"

const char *zones_type_name(uint16_t type, char buf[16])
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);
	if (d && d->_name)
		snprintf(buf, 16, "%s", d->_name);
	else
		snprintf(buf, 16, "TYPE%u", type);
	return buf;
}

uint16_t zones_type_parse(const char *s)
{
	if (strncasecmp(s, "TYPE", 4) == 0 && s[4] >= '0' && s[4] <= '9') {
		char *end;
		unsigned long v = strtoul(s + 4, &end, 10);
		return (*end == '\0' && v > 0 && v <= 65535) ? (uint16_t)v : 0;
	}
	ldns_rr_type t = ldns_get_rr_type_by_name(s);
	/* ldns answers 0 for names it does not know */
	return (uint16_t)t;
}

/* ldns keeps each RDATA field in wire form; RDATA is their concatenation. */
static int rr_from_ldns(const ldns_rr *rr, uint8_t **rdata, uint16_t *rdlen)
{
	size_t len = 0;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
		len += ldns_rdf_size(ldns_rr_rdf(rr, i));
	if (len > 65535)
		return DNS_EMALF;
	uint8_t *d = malloc(len ? len : 1);
	if (!d)
		return DNS_ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		memcpy(d + o, ldns_rdf_data(f), ldns_rdf_size(f));
		o += ldns_rdf_size(f);
	}
	*rdata = d;
	*rdlen = (uint16_t)len;
	return 0;
}

static ldns_rr *rr_to_ldns(const uint8_t *owner, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                           uint16_t rdlen)
{
	size_t ol = zones_name_len(owner, ZONES_NAME_MAX);
	uint8_t *w = malloc(ol + 10 + rdlen);
	if (!w)
		return NULL;
	memcpy(w, owner, ol);
	dns_put16(w + ol, type);
	dns_put16(w + ol + 2, 1);
	dns_put32(w + ol + 4, ttl);
	dns_put16(w + ol + 8, rdlen);
	memcpy(w + ol + 10, rdata, rdlen);
	ldns_rr *rr = NULL;
	size_t pos = 0;
	ldns_status s = ldns_wire2rr(&rr, w, ol + 10 + rdlen, &pos, LDNS_SECTION_ANSWER);
	free(w);
	return s == LDNS_STATUS_OK ? rr : NULL;
}

static void rstrip(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

int zones_rr_print(const zones_rr_t *rr, char *out, size_t outlen)
{
	ldns_rr *l = rr_to_ldns(rr->owner, rr->type, rr->ttl, rr->rdata, rr->rdlen);
	char *s = l ? ldns_rr2str(l) : NULL;
	ldns_rr_free(l);
	if (!s) {
		/* RDATA ldns cannot print: RFC 3597 generic form is always valid */
		char owner[1024], tn[16];
		zones_name_print(rr->owner, owner, sizeof owner);
		int o = snprintf(out, outlen, "%s\t%u\tIN\t%s\t\\# %u ", owner, rr->ttl,
		                 zones_type_name(rr->type, tn), rr->rdlen);
		for (unsigned i = 0; i < rr->rdlen && o > 0 && (size_t)o + 3 < outlen; i++)
			o += snprintf(out + o, outlen - (size_t)o, "%02x", rr->rdata[i]);
		return 0;
	}
	rstrip(s);
	snprintf(out, outlen, "%s", s);
	free(s);
	return 0;
}

static int status_err(ldns_status s)
{
	switch (s) {
	case LDNS_STATUS_MEM_ERR: return DNS_ENOMEM;
	case LDNS_STATUS_DOMAINNAME_OVERFLOW:
	case LDNS_STATUS_LABEL_OVERFLOW: return DNS_ENAMELEN;
	case LDNS_STATUS_SYNTAX_TYPE_ERR: return DNS_ETYPE;
	default: return DNS_EPARSE;
	}
}

int zones_rr_parse(const uint8_t *apex, const char *owner, const char *ttl, const char *type,
                   const char *rdata, zones_rr_t *out, char *err, size_t errlen)
{
	uint8_t on[ZONES_NAME_MAX];
	int ol = zones_name_parse(owner, apex, on);
	if (ol < 0) {
		snprintf(err, errlen, "owner '%s': %s", owner, dns_strerror(ol));
		return ol;
	}
	char *end;
	unsigned long t = strtoul(ttl, &end, 10);
	if (*ttl == '\0' || *end != '\0' || t > 0x7fffffffUL) {
		snprintf(err, errlen, "TTL '%s': not a number from 0 to 2147483647 (RFC 2181 8)", ttl);
		return DNS_ETTL;
	}
	uint16_t tp = zones_type_parse(type);
	if (tp == 0) {
		snprintf(err, errlen, "type '%s': unknown record type", type);
		return DNS_ETYPE;
	}
	uint8_t *rd;
	uint16_t rdlen;
	int ret = zones_rdata_parse(apex, tp, rdata, &rd, &rdlen, err, errlen);
	if (ret)
		return ret;
	uint8_t *mem = malloc((size_t)ol);
	if (!mem) {
		free(rd);
		return DNS_ENOMEM;
	}
	memcpy(mem, on, (size_t)ol);
	zones_name_lower(mem);
	*out = (zones_rr_t){ .owner = mem, .rdata = rd, .ttl = (uint32_t)t, .type = tp, .rdlen = rdlen };
	return 0;
}

int zones_rdata_parse(const uint8_t *apex, uint16_t type, const char *rdata, uint8_t **out,
                      uint16_t *outlen, char *err, size_t errlen)
{
	char tn[16];
	zones_type_name(type, tn);
	if (strpbrk(rdata, "\n;")) {
		/* a newline or comment would let one argument smuggle in a second record */
		if (strchr(rdata, '\n') || !strchr(rdata, '"')) {
			snprintf(err, errlen, "%s RDATA '%s': newlines and comments are not allowed", tn,
			         rdata);
			return DNS_EPARSE;
		}
	}
	size_t len = strlen(rdata) + 64;
	char *line = malloc(len);
	if (!line)
		return DNS_ENOMEM;
	snprintf(line, len, ". 0 IN %s %s", tn, rdata);
	ldns_rdf *origin = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, zones_name_len(apex, 255), apex);
	ldns_rr *rr = NULL;
	ldns_status s = ldns_rr_new_frm_str(&rr, line, 0, origin, NULL);
	free(line);
	ldns_rdf_deep_free(origin);
	if (s != LDNS_STATUS_OK) {
		snprintf(err, errlen, "%s RDATA '%s': %s", tn, rdata, ldns_get_errorstr_by_id(s));
		return status_err(s);
	}
	int ret = rr_from_ldns(rr, out, outlen);
	ldns_rr_free(rr);
	if (ret == 0)
		zones_rdata_canonical(type, *out, *outlen);
	if (ret)
		snprintf(err, errlen, "%s RDATA '%s': %s", tn, rdata, dns_strerror(ret));
	return ret;
}

int zones_content_read(zones_content_t *c, const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		int e = -errno;
		snprintf(c->err, sizeof c->err, "%s: %s", path, dns_strerror(e));
		return e;
	}
	c->source = path;
	ldns_rdf *origin = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME,
	                                         zones_name_len(c->apex, ZONES_NAME_MAX), c->apex);
	ldns_rdf *prev = ldns_rdf_clone(origin);
	uint32_t default_ttl = 3600;
	int line = 1, ret = 0;
	while (!feof(fp)) {
		ldns_rr *rr = NULL;
		int start = line;
		ldns_status s = ldns_rr_new_frm_fp_l(&rr, fp, &default_ttl, &origin, &prev, &line);
		if (s == LDNS_STATUS_SYNTAX_EMPTY || s == LDNS_STATUS_SYNTAX_TTL ||
		    s == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (s == LDNS_STATUS_SYNTAX_INCLUDE) {
			snprintf(c->err, sizeof c->err, "%s:%d: $INCLUDE is not supported", path, start);
			ret = DNS_EPARSE;
			break;
		}
		if (s != LDNS_STATUS_OK) {
			snprintf(c->err, sizeof c->err, "%s:%d: %s", path, start,
			         ldns_get_errorstr_by_id(s));
			ret = status_err(s);
			break;
		}
		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
			snprintf(c->err, sizeof c->err, "%s:%d: only class IN is served", path, start);
			ldns_rr_free(rr);
			ret = DNS_EPARSE;
			break;
		}
		uint8_t *rd;
		uint16_t rdlen;
		ret = rr_from_ldns(rr, &rd, &rdlen);
		if (ret == 0) {
			const ldns_rdf *o = ldns_rr_owner(rr);
			ret = zones_content_add(c, ldns_rdf_data(o), (uint16_t)ldns_rr_get_type(rr),
			                        ldns_rr_ttl(rr), rd, rdlen, (uint32_t)start);
			free(rd);
		}
		ldns_rr_free(rr);
		if (ret) {
			snprintf(c->err, sizeof c->err, "%s:%d: %s", path, start, dns_strerror(ret));
			break;
		}
	}
	if (ret == 0 && ferror(fp)) {
		ret = -EIO;
		snprintf(c->err, sizeof c->err, "%s: read error", path);
	}
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	fclose(fp);
	return ret;
}

int zones_content_write(const zones_content_t *c, FILE *out)
{
	char line[70000];
	/* RFC 1035 5.2: the SOA first */
	for (size_t i = 0; i < c->n; i++)
		if (c->rr[i].type == ZONES_T_SOA) {
			zones_rr_print(&c->rr[i], line, sizeof line);
			fprintf(out, "%s\n", line);
		}
	for (size_t i = 0; i < c->n; i++) {
		if (c->rr[i].type == ZONES_T_SOA)
			continue;
		zones_rr_print(&c->rr[i], line, sizeof line);
		fprintf(out, "%s\n", line);
	}
	return ferror(out) ? -EIO : 0;
}

int zones_content_load(zones_content_t *c, const char *path)
{
	int ret = zones_content_read(c, path);
	return ret ? ret : zones_content_validate(c);
}
