/* SPDX-License-Identifier: MIT */
/* Zone content: the editable list of RRs, its checks and its digest. */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "zones/zones.h"

void zones_content_init(zones_content_t *c, const uint8_t *apex)
{
	memset(c, 0, sizeof *c);
	memcpy(c->apex, apex, zones_name_len(apex, ZONES_NAME_MAX));
	zones_name_lower(c->apex);
}

void zones_content_deinit(zones_content_t *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->rr[i].owner); /* rdata shares the owner's allocation */
	free(c->rr);
	c->rr = NULL;
	c->n = c->cap = 0;
}

/* Lowercase the name at \p o of RDATA; \retval offset after it, or 0 if malformed. */
static size_t name_lower_at(uint8_t *rd, size_t len, size_t o)
{
	size_t l = o < len ? zones_name_len(rd + o, len - o) : 0;
	if (l)
		zones_name_lower(rd + o);
	return l ? o + l : 0;
}

/* Skip a <character-string> (RFC 1035 3.3). */
static size_t string_skip(const uint8_t *rd, size_t len, size_t o)
{
	return o < len && o + 1 + rd[o] <= len ? o + 1 + rd[o] : 0;
}

void zones_rdata_canonical(uint16_t type, uint8_t *rd, size_t len)
{
	/* RFC 4034 6.2 (with RFC 6840 5.1: not NSEC): the types whose RDATA names
	 * are lowercased in canonical form.  Names are case-insensitive, so we
	 * keep them that way: "MX 10 Mail" and "MX 10 mail" are one RR. */
	size_t o;
	switch (type) {
	case ZONES_T_NS: case 3: case 4: case ZONES_T_CNAME: case 7: case 8: case 9:
	case ZONES_T_PTR: case ZONES_T_DNAME:
		name_lower_at(rd, len, 0);
		break;
	case ZONES_T_SOA: case 14: case 17: /* SOA, MINFO, RP: two names */
		if ((o = name_lower_at(rd, len, 0)) != 0)
			name_lower_at(rd, len, o);
		break;
	case ZONES_T_MX: case 18: case 21: case 36: /* MX, AFSDB, RT, KX */
		name_lower_at(rd, len, 2);
		break;
	case 26: /* PX: preference, two names */
		if ((o = name_lower_at(rd, len, 2)) != 0)
			name_lower_at(rd, len, o);
		break;
	case ZONES_T_SRV:
		name_lower_at(rd, len, 6);
		break;
	case 35: /* NAPTR: order, preference, flags, services, regexp, replacement */
		o = string_skip(rd, len, 4);
		o = o ? string_skip(rd, len, o) : 0;
		o = o ? string_skip(rd, len, o) : 0;
		if (o)
			name_lower_at(rd, len, o);
		break;
	case ZONES_T_RRSIG: /* the signer's name */
		name_lower_at(rd, len, 18);
		break;
	}
}

int zones_content_add(zones_content_t *c, const uint8_t *owner, uint16_t type, uint32_t ttl,
                      const uint8_t *rdata, uint16_t rdlen, uint32_t line)
{
	size_t ol = zones_name_len(owner, ZONES_NAME_MAX);
	if (ol == 0)
		return DNS_ENAMELEN;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		zones_rr_t *r = realloc(c->rr, cap * sizeof *r);
		if (!r)
			return DNS_ENOMEM;
		c->rr = r;
		c->cap = cap;
	}
	uint8_t *mem = malloc(ol + rdlen + 1);
	if (!mem)
		return DNS_ENOMEM;
	memcpy(mem, owner, ol);
	zones_name_lower(mem);
	if (rdlen)
		memcpy(mem + ol, rdata, rdlen);
	zones_rdata_canonical(type, mem + ol, rdlen);
	c->rr[c->n++] = (zones_rr_t){ .owner = mem, .rdata = mem + ol, .ttl = ttl, .type = type,
	                              .rdlen = rdlen, .line = line };
	return 0;
}

static int rr_cmp(const void *pa, const void *pb)
{
	const zones_rr_t *a = pa, *b = pb;
	int c = zones_name_cmp(a->owner, b->owner);
	if (c)
		return c;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	/* RFC 4034 6.3: RRs within an RRset in canonical order of their RDATA */
	size_t m = a->rdlen < b->rdlen ? a->rdlen : b->rdlen;
	c = memcmp(a->rdata, b->rdata, m);
	if (c)
		return c;
	return (int)a->rdlen - (int)b->rdlen;
}

void zones_content_sort(zones_content_t *c)
{
	if (c->n < 2)
		return;
	qsort(c->rr, c->n, sizeof *c->rr, rr_cmp);
	size_t w = 1;
	for (size_t i = 1; i < c->n; i++) {
		if (rr_cmp(&c->rr[i], &c->rr[w - 1]) == 0) {
			free(c->rr[i].owner); /* duplicate RR: RFC 2181 5 */
			continue;
		}
		c->rr[w++] = c->rr[i];
	}
	c->n = w;
}

static void where(const zones_content_t *c, const zones_rr_t *rr, char *out, size_t len)
{
	char owner[1024], tn[16];
	zones_name_print(rr->owner, owner, sizeof owner);
	if (c->source && rr->line)
		snprintf(out, len, "%s:%u: %s %s", c->source, rr->line, owner,
		         zones_type_name(rr->type, tn));
	else
		snprintf(out, len, "%s %s", owner, zones_type_name(rr->type, tn));
}

static int fail(zones_content_t *c, const zones_rr_t *rr, int err, const char *why)
{
	char w[1200];
	where(c, rr, w, sizeof w);
	snprintf(c->err, sizeof c->err, "%s: %s", w, why ? why : dns_strerror(err));
	return err;
}

static bool type_storable(uint16_t t)
{
	/* meta types and pseudo-RRs never live in a zone (RFC 6895 3.1) */
	return t != 0 && t != ZONES_T_OPT && !(t >= 128 && t <= 255);
}

int zones_content_validate(zones_content_t *c)
{
	char an[1024];
	zones_name_print(c->apex, an, sizeof an);
	zones_content_sort(c);
	size_t soa = 0, apex_ns = 0;
	for (size_t i = 0; i < c->n; i++) {
		zones_rr_t *rr = &c->rr[i];
		if (!zones_name_is_sub(rr->owner, c->apex)) {
			char m[1100];
			snprintf(m, sizeof m, "owner is outside the zone %s", an);
			return fail(c, rr, DNS_EOUTOFZONE, m);
		}
		/* master files are our export format: ldns reads an owner of at most
		 * 255 characters, so a name whose escaped form is longer could not be
		 * imported again */
		char pres[1100];
		size_t wl = zones_name_len(rr->owner, ZONES_NAME_MAX);
		if (wl * 4 > 255 && (zones_name_print(rr->owner, pres, sizeof pres), strlen(pres) > 255))
			return fail(c, rr, DNS_ENAMELEN, "name too long in master-file form (over 255 "
			            "characters with escapes)");
		if (!type_storable(rr->type))
			return fail(c, rr, DNS_ETYPE, "this type cannot be stored in a zone");
		if (rr->ttl > 0x7fffffffu)
			return fail(c, rr, DNS_ETTL, NULL);
		bool at_apex = zones_name_cmp(rr->owner, c->apex) == 0;
		if (rr->type == ZONES_T_SOA) {
			if (!at_apex)
				return fail(c, rr, DNS_ENOSOA, "SOA is only allowed at the zone apex");
			if (++soa > 1)
				return fail(c, rr, DNS_ENOSOA, "more than one SOA record");
			if (rr->rdlen < 22)
				return fail(c, rr, DNS_EMALF, "SOA RDATA too short");
		}
		if (rr->type == ZONES_T_NS && at_apex)
			apex_ns++;
		if (rr->type == ZONES_T_DS && at_apex)
			return fail(c, rr, DNS_EAPEX, "DS belongs in the parent zone, not at the apex");
		/* RFC 2181 5.2: one TTL per RRset; like Knot and BIND, keep the first. */
		if (i > 0 && c->rr[i - 1].type == rr->type &&
		    zones_name_cmp(c->rr[i - 1].owner, rr->owner) == 0) {
			if ((rr->type == ZONES_T_CNAME || rr->type == ZONES_T_DNAME))
				return fail(c, rr, DNS_ESINGLETON, NULL);
			rr->ttl = c->rr[i - 1].ttl;
		}
	}
	/* RFC 2181 10.1 and RFC 4035 2.5: CNAME only beside RRSIG, NSEC, NSEC3.
	 * RFC 6672 2.4: no names below a DNAME. */
	const uint8_t *dname_owner = NULL;
	for (size_t i = 0; i < c->n;) {
		size_t j = i;
		bool cname = false, other = false;
		const zones_rr_t *cn = NULL, *ot = NULL;
		while (j < c->n && zones_name_cmp(c->rr[j].owner, c->rr[i].owner) == 0) {
			uint16_t t = c->rr[j].type;
			if (t == ZONES_T_CNAME) {
				cname = true;
				cn = &c->rr[j];
			} else if (t != ZONES_T_RRSIG && t != ZONES_T_NSEC && t != ZONES_T_NSEC3) {
				other = true;
				ot = &c->rr[j];
			}
			j++;
		}
		if (cname && other) {
			char tn[16], m[200];
			snprintf(m, sizeof m, "CNAME beside other data (%s) at the same name (RFC 2181 10.1)",
			         zones_type_name(ot->type, tn));
			return fail(c, cn, DNS_ECNAME, m);
		}
		if (dname_owner && zones_name_is_sub(c->rr[i].owner, dname_owner) &&
		    zones_name_cmp(c->rr[i].owner, dname_owner) != 0)
			return fail(c, &c->rr[i], DNS_EDNAME, "name below a DNAME (RFC 6672 2.4)");
		for (size_t k = i; k < j; k++)
			if (c->rr[k].type == ZONES_T_DNAME)
				dname_owner = c->rr[k].owner;
		i = j;
	}
	if (soa == 0) {
		snprintf(c->err, sizeof c->err, "%s%szone %s has no SOA record at its apex",
		         c->source ? c->source : "", c->source ? ": " : "", an);
		return DNS_ENOSOA;
	}
	if (apex_ns == 0) {
		snprintf(c->err, sizeof c->err, "%s%szone %s has no NS records at its apex",
		         c->source ? c->source : "", c->source ? ": " : "", an);
		return DNS_ENONS;
	}
	return 0;
}

static zones_rr_t *soa_find(const zones_content_t *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->rr[i].type == ZONES_T_SOA && zones_name_cmp(c->rr[i].owner, c->apex) == 0 &&
		    c->rr[i].rdlen >= 22)
			return &c->rr[i];
	return NULL;
}

/* The serial sits 20 octets before the end of SOA RDATA (RFC 1035 3.3.13). */
int zones_content_serial_get(const zones_content_t *c, uint32_t *serial)
{
	zones_rr_t *soa = soa_find(c);
	if (!soa)
		return DNS_ENOSOA;
	*serial = dns_get32(soa->rdata + soa->rdlen - 20);
	return 0;
}

int zones_content_serial_set(zones_content_t *c, uint32_t serial)
{
	zones_rr_t *soa = soa_find(c);
	if (!soa)
		return DNS_ENOSOA;
	dns_put32(soa->rdata + soa->rdlen - 20, serial);
	return 0;
}

int zones_content_digest(const zones_content_t *c, const char *extra, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md)
		return DNS_ENOMEM;
	int ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	if (ok && extra)
		ok = EVP_DigestUpdate(md, extra, strlen(extra) + 1);
	for (size_t i = 0; ok && i < c->n; i++) {
		const zones_rr_t *rr = &c->rr[i];
		uint8_t hdr[8];
		dns_put16(hdr, rr->type);
		dns_put32(hdr + 2, rr->ttl);
		dns_put16(hdr + 6, rr->rdlen);
		ok = EVP_DigestUpdate(md, rr->owner, zones_name_len(rr->owner, ZONES_NAME_MAX)) &&
		     EVP_DigestUpdate(md, hdr, sizeof hdr);
		if (!ok)
			break;
		if (rr->type == ZONES_T_SOA && rr->rdlen >= 22) {
			static const uint8_t zero[4];
			ok = EVP_DigestUpdate(md, rr->rdata, rr->rdlen - 20u) &&
			     EVP_DigestUpdate(md, zero, 4) &&
			     EVP_DigestUpdate(md, rr->rdata + rr->rdlen - 16, 16);
		} else {
			ok = EVP_DigestUpdate(md, rr->rdata, rr->rdlen);
		}
	}
	unsigned len = 0;
	ok = ok && EVP_DigestFinal_ex(md, out, &len);
	EVP_MD_CTX_free(md);
	return ok ? 0 : DNS_ECRYPTO;
}
