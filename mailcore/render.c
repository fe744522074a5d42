/* SPDX-License-Identifier: MIT */
/*
 * The generated records (DESIGN.md section 6): what each mail domain and each
 * mail host puts into DNS. Rendering is a pure function of the stored mail
 * state, so the same state always gives the same records, and a sync only
 * writes (and bumps a zone's serial) when they differ from what is stored.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "mailcore/mailcore_int.h"

/* ---- small helpers ---------------------------------------------------------- */

size_t mc_base64(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	if (outlen < 4 * ((len + 2) / 3) + 1)
		return 0;
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

int mc_txt_rdata(const char *text, uint8_t *out, size_t outlen, uint16_t *rdlen)
{
	size_t tl = strlen(text), o = 0;
	/* an empty text is one empty string, not zero strings (RFC 1035 3.3.14) */
	for (size_t p = 0; p < tl || (tl == 0 && o == 0);) {
		size_t n = tl - p > 255 ? 255 : tl - p;
		if (o + 1 + n > outlen || o + 1 + n > 65535)
			return DNS_ESPACE;
		out[o++] = (uint8_t)n;
		memcpy(out + o, text + p, n);
		o += n;
		p += n;
		if (tl == 0)
			break;
	}
	*rdlen = (uint16_t)o;
	return 0;
}

int mailcore_txt_join(const uint8_t *rd, size_t len, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t p = 0; p < len;) {
		size_t n = rd[p];
		if (p + 1 + n > len || o + n + 1 > outlen)
			return -1;
		memcpy(out + o, rd + p + 1, n);
		o += n;
		p += 1 + n;
	}
	out[o] = 0;
	return (int)o;
}

int mailcore_addr_domain(const char *addr, uint8_t out[ZONES_NAME_MAX])
{
	const char *at = strrchr(addr, '@');
	if (!at || !at[1])
		return DNS_EINVAL;
	char dom[300];
	size_t n = strcspn(at + 1, ",!; ");
	if (n >= sizeof dom)
		return DNS_ENAMELEN;
	memcpy(dom, at + 1, n);
	dom[n] = 0;
	int ret = zones_name_parse(dom, NULL, out);
	if (ret < 0)
		return ret;
	zones_name_lower(out);
	return 0;
}

int mailcore_key_owner(const mailcore_key_t *k, uint8_t out[ZONES_NAME_MAX])
{
	char dom[1024], sel[1200];
	zones_name_print(k->domain, dom, sizeof dom);
	snprintf(sel, sizeof sel, "%s._domainkey.%s", k->selector, dom);
	int ret = zones_name_parse(sel, NULL, out);
	if (ret < 0)
		return ret;
	zones_name_lower(out);
	return 0;
}

/* ---- host list -------------------------------------------------------------- */

static int host_collect(const mailcore_host_t *h, void *arg)
{
	mailcore_hosts_t *hs = arg;
	if (hs->n == hs->cap) {
		size_t nc = hs->cap ? 2 * hs->cap : 16;
		mailcore_host_t *nh = realloc(hs->h, nc * sizeof *nh);
		if (!nh)
			return DNS_ENOMEM;
		hs->h = nh;
		hs->cap = nc;
	}
	hs->h[hs->n++] = *h;
	return 0;
}

int mailcore_hosts_load(dns_state_txn_t *txn, mailcore_hosts_t *hs)
{
	memset(hs, 0, sizeof *hs);
	return mailcore_host_each(txn, host_collect, hs);
}

void mailcore_hosts_free(mailcore_hosts_t *hs)
{
	free(hs->h);
	memset(hs, 0, sizeof *hs);
}

size_t mailcore_domain_mx(const mailcore_domain_t *d, const mailcore_host_t *all, size_t nall,
                          const mailcore_host_t **out)
{
	size_t n = 0;
	if (d->no_mail)
		return 0;
	for (size_t i = 0; i < nall && n < MAILCORE_MAX_MX; i++) {
		bool use = d->nmx == 0;
		for (size_t k = 0; k < d->nmx && !use; k++)
			use = zones_name_cmp(d->mx[k], all[i].name) == 0;
		if (use)
			out[n++] = &all[i];
	}
	return n;
}

/* ---- texts ---------------------------------------------------------------------- */

int mailcore_spf_text(const mailcore_domain_t *d, const mailcore_host_t *hosts, size_t nhosts,
                      char *out, size_t len)
{
	/* RFC 7505 4.2 (via RFC 7208): a domain that sends no mail says so */
	if (d->no_mail)
		return snprintf(out, len, "v=spf1 -all") >= (int)len ? DNS_ESPACE : 0;
	size_t o = (size_t)snprintf(out, len, "v=spf1");
	if (d->spf_mode == MAILCORE_SPF_MX) {
		o += (size_t)snprintf(out + o, len - o, " mx");
	} else {
		const mailcore_host_t *mx[MAILCORE_MAX_MX];
		size_t n = mailcore_domain_mx(d, hosts, nhosts, mx);
		for (size_t i = 0; i < n && o < len; i++) {
			char a[INET6_ADDRSTRLEN];
			for (size_t k = 0; k < mx[i]->n4 && o < len; k++)
				o += (size_t)snprintf(out + o, len - o, " ip4:%s",
				                      inet_ntop(AF_INET, mx[i]->a4[k], a, sizeof a));
			for (size_t k = 0; k < mx[i]->n6 && o < len; k++)
				o += (size_t)snprintf(out + o, len - o, " ip6:%s",
				                      inet_ntop(AF_INET6, mx[i]->a6[k], a, sizeof a));
		}
	}
	if (o < len && d->spf_extra[0])
		o += (size_t)snprintf(out + o, len - o, " %s", d->spf_extra);
	if (o < len)
		o += (size_t)snprintf(out + o, len - o, " %sall", d->spf_soft ? "~" : "-");
	return o < len ? 0 : DNS_ESPACE;
}

int mailcore_sts_policy(const mailcore_domain_t *d, const mailcore_host_t *hosts, size_t nhosts,
                        char *out, size_t len, char id[33])
{
	/* RFC 8461 3.2: CRLF line endings, "mx" once per host pattern */
	static const char *const mode[] = { "none", "testing", "enforce" };
	size_t o = (size_t)snprintf(out, len, "version: STSv1\r\nmode: %s\r\n",
	                            mode[d->sts > 2 ? 0 : d->sts]);
	const mailcore_host_t *mx[MAILCORE_MAX_MX];
	size_t n = mailcore_domain_mx(d, hosts, nhosts, mx);
	for (size_t i = 0; i < n && o < len; i++) {
		char nm[1024];
		zones_name_print(mx[i]->name, nm, sizeof nm);
		nm[strlen(nm) - 1] = 0; /* policy host names have no final dot */
		o += (size_t)snprintf(out + o, len - o, "mx: %s\r\n", nm);
	}
	if (o < len)
		o += (size_t)snprintf(out + o, len - o, "max_age: %u\r\n", d->sts_max_age);
	if (o >= len)
		return DNS_ESPACE;
	/* RFC 8461 3.1: id is 1-32 alphanumerics and must change when the
	 * policy does; a digest of the policy text changes exactly then */
	uint8_t md[32];
	unsigned mdl = 0;
	if (!EVP_Digest(out, o, md, &mdl, EVP_sha256(), NULL))
		return DNS_ECRYPTO;
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int mailcore_key_txt(const mailcore_key_t *k, char *out, size_t len)
{
	const char *kt = k->alg == MAILCORE_DKIM_RSA ? "rsa" : "ed25519";
	if (k->state == MAILCORE_KEY_REVOKED) /* RFC 6376 3.6.1: empty p= revokes */
		return snprintf(out, len, "v=DKIM1; k=%s; p=", kt) < (int)len ? 0 : DNS_ESPACE;
	char b64[900];
	if (!mc_base64(k->pub, k->publen, b64, sizeof b64))
		return DNS_ESPACE;
	return snprintf(out, len, "v=DKIM1; k=%s; p=%s", kt, b64) < (int)len ? 0 : DNS_ESPACE;
}

/* ---- the render context: target zones and their contents ------------------------ */

typedef struct {
	uint8_t apex[ZONES_NAME_MAX];
	zones_content_t g;
	bool wanted;
} target_t;

typedef struct {
	dns_state_txn_t *txn;
	target_t *t;          /* sorted by apex bytes */
	size_t nt;
	bool all;             /* every zone is a target */
	zones_gen_tag_t *tags;
	size_t ntags, captags;
	mailcore_hosts_t hosts;
	char *err;
	size_t errlen;
	/* domains rendered, for the SPF check after writing */
	uint8_t (*anc)[ZONES_NAME_MAX]; /* ancestors of the targets */
	size_t nanc;
	uint8_t (*spf_domains)[ZONES_NAME_MAX];
	size_t nspf, capspf;
	zones_content_t *collect; /* mailcore_render_domain: every hosted record goes here */
} render_t;

static int apex_cmp(const void *a, const void *b)
{
	const uint8_t *x = a, *y = b;
	size_t xl = zones_name_len(x, ZONES_NAME_MAX), yl = zones_name_len(y, ZONES_NAME_MAX);
	int c = memcmp(x, y, xl < yl ? xl : yl);
	return c ? c : (xl > yl) - (xl < yl);
}

static target_t *target_find(render_t *r, const uint8_t *apex)
{
	size_t lo = 0, hi = r->nt;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = apex_cmp(apex, r->t[mid].apex);
		if (c == 0)
			return &r->t[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int mailcore_zone_of(dns_state_txn_t *txn, const uint8_t *name, uint8_t apex[ZONES_NAME_MAX])
{
	/* the longest hosted suffix (RFC 1034 4.3.2 step 2) */
	for (const uint8_t *p = name;; p += 1 + *p) {
		zones_settings_t s;
		int ret = zones_store_settings_get(txn, p, &s);
		if (ret == 0) {
			memcpy(apex, p, zones_name_len(p, ZONES_NAME_MAX));
			return 0;
		}
		if (ret != DNS_ENOZONE)
			return ret;
		if (*p == 0)
			return DNS_ENOZONE;
	}
}

static int tag_add(render_t *r, uint8_t cls, const char *fmt, const uint8_t *name)
{
	if (r->ntags == r->captags) {
		size_t nc = r->captags ? 2 * r->captags : 64;
		zones_gen_tag_t *nt = realloc(r->tags, nc * sizeof *nt);
		if (!nt)
			return DNS_ENOMEM;
		r->tags = nt;
		r->captags = nc;
	}
	char nm[1024], buf[1200];
	snprintf(buf, sizeof buf, fmt, mc_name(name, nm));
	char *s = strdup(buf);
	if (!s)
		return DNS_ENOMEM;
	r->tags[r->ntags] = (zones_gen_tag_t){ s, cls };
	return (int)r->ntags++;
}

/* One generated RR: into the zone that holds \p owner, if that zone is a target. */
static int emit_wire(render_t *r, int tag, const uint8_t *owner, uint16_t type, uint32_t ttl,
                     const uint8_t *rd, uint16_t rdlen)
{
	uint8_t apex[ZONES_NAME_MAX];
	int ret = mailcore_zone_of(r->txn, owner, apex);
	if (ret == DNS_ENOZONE)
		return 0; /* lives in DNS we do not serve */
	if (ret)
		return ret;
	if (r->collect)
		return zones_content_add(r->collect, owner, type, ttl, rd, rdlen, (uint32_t)tag);
	target_t *t = target_find(r, apex);
	if (!t)
		return 0;
	return zones_content_add(&t->g, owner, type, ttl, rd, rdlen, (uint32_t)tag);
}

static int emit_text(render_t *r, int tag, const uint8_t *owner, uint16_t type, uint32_t ttl,
                     const char *text)
{
	uint8_t *rd = NULL;
	uint16_t rdlen = 0;
	int ret = zones_rdata_parse((const uint8_t *)"", type, text, &rd, &rdlen, r->err, r->errlen);
	if (ret == 0)
		ret = emit_wire(r, tag, owner, type, ttl, rd, rdlen);
	free(rd);
	return ret;
}

static int emit_txt(render_t *r, int tag, const uint8_t *owner, uint32_t ttl, const char *text)
{
	uint8_t rd[4400];
	uint16_t rdlen;
	int ret = mc_txt_rdata(text, rd, sizeof rd, &rdlen);
	return ret ? ret : emit_wire(r, tag, owner, ZONES_T_TXT, ttl, rd, rdlen);
}

/* "LABEL.<name>" as a wire name */
static int below(const char *label, const uint8_t *name, uint8_t out[ZONES_NAME_MAX])
{
	char nm[1024], full[1400];
	snprintf(full, sizeof full, "%s.%s", label, mc_name(name, nm));
	int ret = zones_name_parse(full, NULL, out);
	if (ret < 0)
		return ret;
	zones_name_lower(out);
	return 0;
}

/* ---- what a domain generates ----------------------------------------------------- */

static int render_domain(render_t *r, const mailcore_domain_t *d)
{
	const mailcore_host_t *mx[MAILCORE_MAX_MX];
	size_t nmx = mailcore_domain_mx(d, r->hosts.h, r->hosts.n, mx);
	uint8_t owner[ZONES_NAME_MAX];
	char text[4200], nm[1024];
	int tag, ret;

	if ((tag = tag_add(r, ZONES_GEN_EXCLUSIVE, "MX of mail domain %s", d->name)) < 0)
		return tag;
	if (d->no_mail) {
		/* RFC 7505 3: one MX, preference 0, root target */
		if ((ret = emit_text(r, tag, d->name, ZONES_T_MX, d->ttl, "0 .")))
			return ret;
	}
	for (size_t i = 0; i < nmx; i++) {
		snprintf(text, sizeof text, "%u %s", mx[i]->pref, mc_name(mx[i]->name, nm));
		if ((ret = emit_text(r, tag, d->name, ZONES_T_MX, d->ttl, text)))
			return ret;
	}
	if ((tag = tag_add(r, ZONES_GEN_SPF, "SPF of mail domain %s", d->name)) < 0)
		return tag;
	if ((ret = mailcore_spf_text(d, r->hosts.h, r->hosts.n, text, sizeof text)) ||
	    (ret = emit_txt(r, tag, d->name, d->ttl, text)))
		return ret;

	/* DMARC (RFC 7489 6.3); a domain without mail rejects everything */
	if ((tag = tag_add(r, ZONES_GEN_EXCLUSIVE, "DMARC of mail domain %s", d->name)) < 0)
		return tag;
	static const char *const pol[] = { "none", "quarantine", "reject" };
	size_t o = (size_t)snprintf(text, sizeof text, "v=DMARC1; p=%s",
	                            pol[d->no_mail ? 2 : d->dmarc > 2 ? 0 : d->dmarc]);
	if (d->rua[0])
		o += (size_t)snprintf(text + o, sizeof text - o, "; rua=%s", d->rua);
	if (d->ruf[0])
		o += (size_t)snprintf(text + o, sizeof text - o, "; ruf=%s", d->ruf);
	if (d->dmarc_strict)
		snprintf(text + o, sizeof text - o, "; adkim=s; aspf=s");
	if ((ret = below("_dmarc", d->name, owner)) || (ret = emit_txt(r, tag, owner, d->ttl, text)))
		return ret;
	/* RFC 7489 7.1: a report address in another domain needs that domain's
	 * consent, "<domain>._report._dmarc.<report domain> TXT v=DMARC1" */
	const char *lists[2] = { d->rua, d->ruf };
	uint8_t seen[2 * 8][ZONES_NAME_MAX];
	size_t nseen = 0;
	for (int l = 0; l < 2; l++) {
		for (const char *p = lists[l]; *p;) {
			size_t n = strcspn(p, ",");
			char one[MAILCORE_TEXT];
			snprintf(one, sizeof one, "%.*s", (int)n, p);
			p += n + (p[n] == ',');
			uint8_t rd[ZONES_NAME_MAX];
			if (mailcore_addr_domain(one, rd) != 0 || zones_name_is_sub(rd, d->name))
				continue;
			bool dup = false;
			for (size_t k = 0; k < nseen; k++)
				dup |= zones_name_cmp(seen[k], rd) == 0;
			if (dup || nseen == 16)
				continue;
			memcpy(seen[nseen++], rd, zones_name_len(rd, ZONES_NAME_MAX));
			char full[1400], dn[1024];
			snprintf(full, sizeof full, "%s_report._dmarc.%s", mc_name(d->name, dn),
			         mc_name(rd, nm));
			uint8_t auth[ZONES_NAME_MAX];
			if (zones_name_parse(full, NULL, auth) < 0)
				continue; /* too long a name: cannot be authorised this way */
			zones_name_lower(auth);
			if ((tag = tag_add(r, ZONES_GEN_EXCLUSIVE,
			                   "DMARC report authorisation for mail domain %s", d->name)) < 0)
				return tag;
			if ((ret = emit_txt(r, tag, auth, d->ttl, "v=DMARC1")))
				return ret;
		}
	}

	/* DKIM (RFC 6376 3.6.2.1): every key from created to revoked is published */
	mailcore_key_t *keys = malloc(MC_MAX_KEYS * sizeof *keys);
	if (!keys)
		return DNS_ENOMEM;
	int nk = mailcore_keys_load(r->txn, d->name, keys, MC_MAX_KEYS);
	ret = nk < 0 ? nk : 0;
	for (int i = 0; i < nk && ret == 0; i++) {
		if ((tag = tag_add(r, ZONES_GEN_EXCLUSIVE, "DKIM key of mail domain %s", d->name)) < 0)
			ret = tag;
		else if ((ret = mailcore_key_owner(&keys[i], owner)) == 0 &&
		         (ret = mailcore_key_txt(&keys[i], text, sizeof text)) == 0)
			ret = emit_txt(r, tag, owner, d->ttl, text);
	}
	free(keys);
	if (ret)
		return ret;

	/* MTA-STS (RFC 8461 3.1) and TLS reporting (RFC 8460 3) */
	if (d->sts != MAILCORE_STS_OFF && !d->no_mail) {
		char policy[2048], id[33];
		if ((tag = tag_add(r, ZONES_GEN_EXCLUSIVE, "MTA-STS of mail domain %s", d->name)) < 0)
			return tag;
		if ((ret = mailcore_sts_policy(d, r->hosts.h, r->hosts.n, policy, sizeof policy, id)))
			return ret;
		snprintf(text, sizeof text, "v=STSv1; id=%s", id);
		if ((ret = below("_mta-sts", d->name, owner)) ||
		    (ret = emit_txt(r, tag, owner, d->ttl, text)))
			return ret;
	}
	if (d->tlsrpt[0] && !d->no_mail) {
		if ((tag = tag_add(r, ZONES_GEN_EXCLUSIVE, "TLS-RPT of mail domain %s", d->name)) < 0)
			return tag;
		snprintf(text, sizeof text, "v=TLSRPTv1; rua=%s", d->tlsrpt);
		if ((ret = below("_smtp._tls", d->name, owner)) ||
		    (ret = emit_txt(r, tag, owner, d->ttl, text)))
			return ret;
	}

	/* Client services: RFC 6186 SRV, RFC 8314 5.1 (implicit TLS preferred,
	 * "0 0 0 ." = not offered, so clients do not fall back to cleartext) */
	if (d->clients[0] && !d->no_mail) {
		if ((tag = tag_add(r, ZONES_GEN_EXCLUSIVE, "client SRV of mail domain %s",
		                   d->name)) < 0)
			return tag;
		mc_name(d->clients, nm);
		static const struct { const char *svc; uint16_t port; } srv[] = {
			{ "_submissions._tcp", 465 }, { "_submission._tcp", 587 },
			{ "_imaps._tcp", 993 }, { "_imap._tcp", 0 },
			{ "_pop3s._tcp", 995 }, { "_pop3._tcp", 0 },
		};
		for (size_t i = 0; i < sizeof srv / sizeof srv[0]; i++) {
			bool offered = srv[i].port && (srv[i].port != 995 || d->pop3);
			if (offered)
				snprintf(text, sizeof text, "0 1 %u %s", srv[i].port, nm);
			else
				snprintf(text, sizeof text, "0 0 0 .");
			if ((ret = below(srv[i].svc, d->name, owner)) ||
			    (ret = emit_text(r, tag, owner, ZONES_T_SRV, d->ttl, text)))
				return ret;
		}
	}
	/* Thunderbird's autoconfig and Outlook's autodiscover look these up */
	if (d->autoconfig[0] && !d->no_mail) {
		if ((tag = tag_add(r, ZONES_GEN_EXCLUSIVE, "autoconfig of mail domain %s",
		                   d->name)) < 0)
			return tag;
		mc_name(d->autoconfig, nm);
		if ((ret = below("autoconfig", d->name, owner)) ||
		    (ret = emit_text(r, tag, owner, ZONES_T_CNAME, d->ttl, nm)) ||
		    (ret = below("autodiscover", d->name, owner)) ||
		    (ret = emit_text(r, tag, owner, ZONES_T_CNAME, d->ttl, nm)))
			return ret;
		snprintf(text, sizeof text, "0 1 443 %s", nm);
		if ((ret = below("_autodiscover._tcp", d->name, owner)) ||
		    (ret = emit_text(r, tag, owner, ZONES_T_SRV, d->ttl, text)))
			return ret;
	}
	/* CAA (RFC 8659): which CAs may issue certificates for the domain */
	if (d->caa[0]) {
		if ((tag = tag_add(r, ZONES_GEN_EXCLUSIVE, "CAA of mail domain %s", d->name)) < 0)
			return tag;
		for (const char *p = d->caa; *p;) {
			size_t n = strcspn(p, ",");
			snprintf(text, sizeof text, "0 issue \"%.*s\"", (int)n, p);
			p += n + (p[n] == ',');
			if (n && (ret = emit_text(r, tag, d->name, 257, d->ttl, text)))
				return ret;
		}
		if (d->caa_iodef[0]) {
			snprintf(text, sizeof text, "0 iodef \"%s\"", d->caa_iodef);
			if ((ret = emit_text(r, tag, d->name, 257, d->ttl, text)))
				return ret;
		}
	}
	return 0;
}

/* ---- what a host generates ---------------------------------------------------------- */

static int render_host(render_t *r, const mailcore_host_t *h)
{
	uint8_t owner[ZONES_NAME_MAX];
	int tag, ret;
	if ((tag = tag_add(r, ZONES_GEN_EXCLUSIVE, "addresses of mail host %s", h->name)) < 0)
		return tag;
	for (size_t i = 0; i < h->n4; i++)
		if ((ret = emit_wire(r, tag, h->name, ZONES_T_A, h->ttl, h->a4[i], 4)))
			return ret;
	for (size_t i = 0; i < h->n6; i++)
		if ((ret = emit_wire(r, tag, h->name, ZONES_T_AAAA, h->ttl, h->a6[i], 16)))
			return ret;
	/* RFC 7208 2.3: an SPF record for the HELO name. A host that is also a
	 * mail domain already has the domain's SPF, which then covers HELO. */
	mailcore_domain_t d;
	ret = mailcore_domain_get(r->txn, h->name, &d);
	if (ret == DNS_ENOMAIL) {
		if ((tag = tag_add(r, ZONES_GEN_SPF, "HELO SPF of mail host %s", h->name)) < 0)
			return tag;
		if ((ret = emit_txt(r, tag, h->name, h->ttl, "v=spf1 a -all")))
			return ret;
	} else if (ret) {
		return ret;
	}
	/* DANE (RFC 7672 3.1.1, RFC 6698 2.1): DANE-EE SPKI SHA-256 for the
	 * current and the next key, so a certificate change never breaks it */
	if ((tag = tag_add(r, ZONES_GEN_EXCLUSIVE, "TLSA of mail host %s", h->name)) < 0)
		return tag;
	if ((ret = below("_25._tcp", h->name, owner)))
		return ret;
	for (int c = 0; c < 2; c++) {
		if (!h->cert[c][0])
			continue;
		uint8_t rd[3 + 32] = { 3, 1, 1 };
		memcpy(rd + 3, h->spki[c], 32);
		if ((ret = emit_wire(r, tag, owner, 52, h->ttl, rd, sizeof rd)))
			return ret;
	}
	return 0;
}

/* ---- sync ------------------------------------------------------------------------------ */

static bool domain_relevant(render_t *r, const mailcore_domain_t *d)
{
	if (r->all)
		return true;
	uint8_t apex[ZONES_NAME_MAX];
	/* what a domain generates lies below it, except report authorisations:
	 * in its own zone, or in a target zone below it (d is an ancestor) */
	int zr = mailcore_zone_of(r->txn, d->name, apex);
	if (zr == DNS_ENOZONE || (zr == 0 && target_find(r, apex)))
		return true; /* outside every zone: sync_domain says so (a zone removed under it) */
	if (bsearch(d->name, r->anc, r->nanc, sizeof *r->anc, apex_cmp))
		return true;
	const char *lists[2] = { d->rua, d->ruf };
	for (int l = 0; l < 2; l++)
		for (const char *p = lists[l]; *p;) {
			size_t n = strcspn(p, ",");
			char one[MAILCORE_TEXT];
			snprintf(one, sizeof one, "%.*s", (int)n, p);
			p += n + (p[n] == ',');
			uint8_t rd[ZONES_NAME_MAX];
			if (mailcore_addr_domain(one, rd) == 0 && mailcore_zone_of(r->txn, rd, apex) == 0 &&
			    target_find(r, apex))
				return true;
		}
	return false;
}

/* Every proper ancestor of a target apex, sorted, for domain_relevant. */
static int ancestors_build(render_t *r)
{
	size_t cap = 0;
	for (size_t i = 0; i < r->nt; i++)
		cap += zones_name_labels(r->t[i].apex) + 1;
	r->anc = malloc((cap + 1) * sizeof *r->anc);
	if (!r->anc)
		return DNS_ENOMEM;
	for (size_t i = 0; i < r->nt; i++)
		for (const uint8_t *p = r->t[i].apex; *p;) {
			p += 1 + *p;
			memcpy(r->anc[r->nanc++], p, zones_name_len(p, ZONES_NAME_MAX));
		}
	if (r->nanc > 1)
		qsort(r->anc, r->nanc, sizeof *r->anc, apex_cmp);
	return 0;
}

static int sync_domain(const mailcore_domain_t *d, void *arg)
{
	render_t *r = arg;
	if (!domain_relevant(r, d))
		return 0;
	uint8_t apex[ZONES_NAME_MAX];
	int ret = mailcore_zone_of(r->txn, d->name, apex);
	if (ret == DNS_ENOZONE) {
		char nm[1024];
		snprintf(r->err, r->errlen, "mail domain %s is not inside any hosted zone",
		         mc_name(d->name, nm));
		return DNS_EOUTOFZONE;
	}
	if (ret || (ret = render_domain(r, d)) != 0)
		return ret;
	if (r->nspf == r->capspf) {
		size_t nc = r->capspf ? 2 * r->capspf : 16;
		void *n = realloc(r->spf_domains, nc * sizeof *r->spf_domains);
		if (!n)
			return DNS_ENOMEM;
		r->spf_domains = n;
		r->capspf = nc;
	}
	memcpy(r->spf_domains[r->nspf++], d->name, zones_name_len(d->name, ZONES_NAME_MAX));
	return 0;
}

static int target_add(render_t *r, const uint8_t *apex)
{
	if (r->nt % 64 == 0) {
		target_t *n = realloc(r->t, (r->nt + 64) * sizeof *n);
		if (!n)
			return DNS_ENOMEM;
		r->t = n;
	}
	target_t *t = &r->t[r->nt++];
	memset(t, 0, sizeof *t);
	memcpy(t->apex, apex, zones_name_len(apex, ZONES_NAME_MAX));
	zones_content_init(&t->g, apex);
	return 0;
}

static int list_zone(const uint8_t *apex, const zones_settings_t *s, void *arg)
{
	(void)s;
	return target_add(arg, apex);
}

static int target_sort_cmp(const void *a, const void *b)
{
	return apex_cmp(((const target_t *)a)->apex, ((const target_t *)b)->apex);
}

/* Check the SPF of every rendered domain against RFC 7208's limits, now that
 * the generated records are in the state its lookups read. */
static int spf_check_all(render_t *r)
{
	mc_spf_ctx_t *sc = malloc(sizeof *sc);
	if (!sc)
		return DNS_ENOMEM;
	sc->txn = r->txn;
	int ret = 0;
	for (size_t i = 0; i < r->nspf && ret == 0; i++) {
		mailcore_domain_t d;
		char text[4200], nm[1024], msg[600];
		if ((ret = mailcore_domain_get(r->txn, r->spf_domains[i], &d)) != 0)
			break;
		if (d.no_mail || (d.spf_mode == MAILCORE_SPF_MX && !d.spf_extra[0]))
			continue; /* "v=spf1 mx -all" and "v=spf1 -all" cannot break a limit */
		if ((ret = mailcore_spf_text(&d, r->hosts.h, r->hosts.n, text, sizeof text)) != 0)
			break;
		mc_name(d.name, nm);
		nm[strlen(nm) - 1] = 0;
		ret = mailcore_spf_check(nm, text, mc_spf_lookup, sc, NULL, msg, sizeof msg);
		if (ret)
			snprintf(r->err, r->errlen, "SPF of mail domain %s. refused: %s", nm, msg);
	}
	free(sc);
	return ret;
}

int mailcore_sync(dns_state_txn_t *txn, const uint8_t *const *apexes, size_t n, char *err,
                  size_t errlen)
{
	render_t r = { .txn = txn, .all = n == 0, .err = err, .errlen = errlen };
	int ret = mailcore_hosts_load(txn, &r.hosts);
	if (ret == 0 && n == 0)
		ret = zones_store_list(txn, list_zone, &r);
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = target_add(&r, apexes[i]);
	if (ret == 0) {
		if (r.nt > 1)
			qsort(r.t, r.nt, sizeof *r.t, target_sort_cmp);
		size_t w = 0;
		for (size_t i = 0; i < r.nt; i++) {
			if (w && apex_cmp(r.t[w - 1].apex, r.t[i].apex) == 0)
				zones_content_deinit(&r.t[i].g);
			else
				r.t[w++] = r.t[i];
		}
		r.nt = w;
	}
	if (ret == 0 && !r.all)
		ret = ancestors_build(&r);
	if (ret == 0)
		ret = mailcore_domain_each(txn, sync_domain, &r);
	for (size_t i = 0; i < r.hosts.n && ret == 0; i++)
		ret = render_host(&r, &r.hosts.h[i]);
	for (size_t i = 0; i < r.nt && ret == 0; i++) {
		bool changed = false;
		zones_settings_t s;
		if (zones_store_settings_get(txn, r.t[i].apex, &s) != 0)
			continue; /* a zone being removed: its records went with it */
		ret = zones_gen_replace(txn, r.t[i].apex, &r.t[i].g, r.tags, &changed, err, errlen);
		if (ret == 0 && changed)
			ret = zones_store_touch(txn, r.t[i].apex);
	}
	if (ret == 0)
		ret = spf_check_all(&r);
	for (size_t i = 0; i < r.nt; i++)
		zones_content_deinit(&r.t[i].g);
	for (size_t i = 0; i < r.ntags; i++)
		free((char *)r.tags[i].src);
	free(r.tags);
	free(r.t);
	free(r.spf_domains);
	free(r.anc);
	mailcore_hosts_free(&r.hosts);
	if (ret && !err[0])
		snprintf(err, errlen, "%s", dns_strerror(ret));
	return ret;
}

int mailcore_render_domain(dns_state_txn_t *txn, const mailcore_domain_t *d, zones_content_t *out,
                       mailcore_tags_t *tags, char *err, size_t errlen)
{
	render_t r = { .txn = txn, .err = err, .errlen = errlen, .collect = out };
	int ret = mailcore_hosts_load(txn, &r.hosts);
	if (ret == 0)
		ret = render_domain(&r, d);
	/* and the hosts it uses as MX: addresses, HELO SPF, TLSA */
	const mailcore_host_t *mx[MAILCORE_MAX_MX];
	size_t n = mailcore_domain_mx(d, r.hosts.h, r.hosts.n, mx);
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = render_host(&r, mx[i]);
	mailcore_hosts_free(&r.hosts);
	tags->tags = r.tags;
	tags->n = r.ntags;
	return ret;
}

void mailcore_tags_free(mailcore_tags_t *t)
{
	for (size_t i = 0; i < t->n; i++)
		free((char *)t->tags[i].src);
	free(t->tags);
	t->tags = NULL;
	t->n = 0;
}
