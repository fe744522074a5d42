/* SPDX-License-Identifier: MIT */
/*
 * dnsctl check DOMAIN: is this mail domain healthy? Everything the mail
 * state implies is asked of dnsd and of every secondary and compared with
 * what the state says, record set by record set; then what DNS cannot show:
 * DKIM public keys against their private keys, TLSA against the certificate
 * files on disk, SPF against the RFC 7208 limits, and the serials.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "mailcore/mailcore_int.h"

static void add(mailcore_report_t *rep, bool ok, const char *what, const char *server,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(mailcore_report_t *rep, bool ok, const char *what, const char *server,
                const char *fmt, ...)
{
	if (rep->n == rep->cap) {
		size_t nc = rep->cap ? 2 * rep->cap : 32;
		mailcore_finding_t *f = realloc(rep->f, nc * sizeof *f);
		if (!f)
			return; /* the report is shorter; problems are still counted */
		rep->f = f;
		rep->cap = nc;
	}
	if (!ok)
		rep->problems++;
	mailcore_finding_t *f = &rep->f[rep->n++];
	f->ok = ok;
	snprintf(f->what, sizeof f->what, "%s", what);
	snprintf(f->server, sizeof f->server, "%s", server ? server : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof f->text, fmt, ap);
	va_end(ap);
}

void mailcore_report_free(mailcore_report_t *rep)
{
	free(rep->f);
	memset(rep, 0, sizeof *rep);
}

/* A short label for a finding, from the tag ("SPF of mail domain x" -> "SPF"). */
static void what_of(const char *src, char *out, size_t len)
{
	const char *of = strstr(src, " of ");
	const char *fr = strstr(src, " for ");
	const char *cut = of && (!fr || of < fr) ? of : fr;
	snprintf(out, len, "%.*s", cut ? (int)(cut - src) : (int)strlen(src), src);
}

static int rd_cmp(const void *a, const void *b)
{
	const zones_rr_t *x = a, *y = b;
	int c = memcmp(x->rdata, y->rdata, x->rdlen < y->rdlen ? x->rdlen : y->rdlen);
	return c ? c : (x->rdlen > y->rdlen) - (x->rdlen < y->rdlen);
}

/* One RR set: expected RRs [i, j) of \p exp against what \p srv answers. */
static void check_rrset(mailcore_report_t *rep, const zones_content_t *exp, size_t i, size_t j,
                        const char *what, const mailcore_server_t *srv, const char *sname)
{
	const zones_rr_t *rr = &exp->rr[i];
	char owner[1024], tn[16], line[700];
	zones_name_print(rr->owner, owner, sizeof owner);
	zones_type_name(rr->type, tn);
	mailcore_answer_t a;
	if (mailcore_query(srv, rr->owner, rr->type, 2000, &a) != 0 || a.rcode < 0) {
		add(rep, false, what, sname, "%s %s: no answer", owner, tn);
		return;
	}
	if (a.rcode != 0 || !a.aa) {
		add(rep, false, what, sname, "%s %s: %s%s", owner, tn,
		    a.rcode == 3 ? "NXDOMAIN" : a.rcode == 5 ? "REFUSED" : a.rcode ? "error" : "answered",
		    a.aa ? "" : " (not authoritative)");
		mailcore_answer_free(&a);
		return;
	}
	/* compare as sets: static records may share the RRset (TXT at the apex) */
	size_t missing = 0, extra_spf = 0;
	const zones_rr_t *miss = NULL;
	for (size_t k = i; k < j; k++) {
		bool found = false;
		for (size_t m = 0; m < a.n && !found; m++)
			found = a.rdlen[m] == exp->rr[k].rdlen &&
			        memcmp(a.rdata[m], exp->rr[k].rdata, a.rdlen[m]) == 0;
		if (!found && !missing++)
			miss = &exp->rr[k];
	}
	/* generated sets are whole (only TXT may also hold static records):
	 * anything more is stale or foreign */
	size_t extra = 0;
	for (size_t m = 0; m < a.n; m++) {
		bool known = false;
		for (size_t k = i; k < j && !known; k++)
			known = a.rdlen[m] == exp->rr[k].rdlen &&
			        memcmp(a.rdata[m], exp->rr[k].rdata, a.rdlen[m]) == 0;
		if (known)
			continue;
		if (rr->type != ZONES_T_TXT)
			extra++;
		else if (a.rdlen[m] > 7 && strncmp((const char *)a.rdata[m] + 1, "v=spf1", 6) == 0 &&
		         strncmp(what, "SPF", 3) == 0)
			extra_spf++;
		else if (strncmp(what, "SPF", 3) != 0 && strncmp(what, "HELO", 4) != 0)
			extra++;
	}
	if (missing) {
		zones_rr_print(miss, line, sizeof line);
		add(rep, false, what, sname, "missing: %s%s", line,
		    missing > 1 ? " (and more)" : "");
	} else if (extra || extra_spf) {
		add(rep, false, what, sname, "%s %s: %zu record(s) served that the mail state does "
		    "not have%s", owner, tn, extra + extra_spf,
		    extra_spf ? " (a second SPF record: RFC 7208 3.2 permerror)" : "");
	} else {
		char short_[200];
		zones_rr_print(rr, line, sizeof line);
		snprintf(short_, sizeof short_, "%s", line);
		if (strlen(line) > 120)
			strcpy(short_ + 117, "...");
		add(rep, true, what, sname, "%s%s", short_, j - i > 1 ? " (and the rest of the set)" : "");
	}
	mailcore_answer_free(&a);
}

/* The DKIM public key in the state is the one of the private key. */
static void check_keys(mailcore_report_t *rep, dns_state_txn_t *txn, const mailcore_domain_t *d)
{
	mailcore_key_t *keys = malloc(MC_MAX_KEYS * sizeof *keys);
	if (!keys)
		return;
	int n = mailcore_keys_load(txn, d->name, keys, MC_MAX_KEYS);
	uint8_t active = 0;
	for (int i = 0; i < n; i++) {
		mailcore_key_t *k = &keys[i];
		char what[96];
		snprintf(what, sizeof what, "DKIM %s", k->selector);
		uint8_t pub[600];
		size_t pl = sizeof pub;
		bool match = false;
		if (k->alg == MAILCORE_DKIM_ED25519) {
			EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, k->priv,
			                                            k->privlen);
			match = pk && EVP_PKEY_get_raw_public_key(pk, pub, &pl) == 1 && pl == k->publen &&
			        memcmp(pub, k->pub, pl) == 0;
			EVP_PKEY_free(pk);
		} else {
			const unsigned char *p = k->priv;
			EVP_PKEY *pk = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, k->privlen);
			unsigned char *q = pub;
			int l = pk ? i2d_PUBKEY(pk, NULL) : -1;
			match = l > 0 && l <= (int)sizeof pub && i2d_PUBKEY(pk, &q) == l &&
			        (size_t)l == k->publen && memcmp(pub, k->pub, (size_t)l) == 0;
			EVP_PKEY_free(pk);
		}
		OPENSSL_cleanse(k->priv, sizeof k->priv);
		if (!match)
			add(rep, false, what, "state", "the published key is not the private key's");
		else
			add(rep, true, what, "state", "%s key, %s; matches its private key",
			    mailcore_alg_name(k->alg), mailcore_key_state_name(k->state));
		if (k->state == MAILCORE_KEY_ACTIVE)
			active |= k->alg;
	}
	for (int alg = MAILCORE_DKIM_RSA; alg <= MAILCORE_DKIM_ED25519; alg <<= 1) {
		if (!(d->dkim_algs & alg) || (active & alg))
			continue;
		bool pending = false;
		for (int i = 0; i < n; i++)
			pending |= keys[i].alg == alg && keys[i].state <= MAILCORE_KEY_PUBLISHED;
		char what[64];
		snprintf(what, sizeof what, "DKIM %s", mailcore_alg_name(alg));
		/* a key on its way is normal right after a domain is added */
		add(rep, pending, what, "state", pending ? "no active key yet: one is waiting to be "
		    "served everywhere and one TTL" : "no key at all (is dnsd running?)");
	}
	free(keys);
}

/* TLSA: the certificate files on disk still have the keys the records show. */
static void check_certs(mailcore_report_t *rep, const mailcore_host_t *h)
{
	for (int c = 0; c < 2; c++) {
		if (!h->cert[c][0])
			continue;
		char what[300], hn[1024], err[600];
		snprintf(what, sizeof what, "TLSA %s", mc_name(h->name, hn));
		uint8_t spki[32];
		if (mailcore_cert_spki(h->cert[c], spki, err, sizeof err) != 0)
			add(rep, false, what, "files", "%s", err);
		else if (memcmp(spki, h->spki[c], 32) != 0)
			add(rep, false, what, "files", "%s certificate %s has a new key: the TLSA record "
			    "is stale (run: dnsctl mail tls refresh)", c ? "next" : "current", h->cert[c]);
		else
			add(rep, true, what, "files", "%s certificate %s matches the TLSA record",
			    c ? "next" : "current", h->cert[c]);
	}
}

int mailcore_check(dns_state_t *st, const uint8_t *domain, const mailcore_server_t *primary,
                   const mailcore_server_t *secondaries, size_t nsec, mailcore_report_t *rep,
                   char *err, size_t errlen)
{
	memset(rep, 0, sizeof *rep);
	err[0] = 0;
	dns_state_txn_t *txn;
	int ret = dns_state_read_begin(st, &txn);
	if (ret)
		return ret;
	mailcore_domain_t d;
	zones_content_t exp;
	mailcore_tags_t tags = { 0 };
	uint8_t apex[ZONES_NAME_MAX];
	char nm[1024];
	zones_content_init(&exp, (const uint8_t *)"");
	if ((ret = mailcore_domain_get(txn, domain, &d)) != 0) {
		if (ret == DNS_ENOMAIL)
			snprintf(err, errlen, "no mail domain %s", mc_name(domain, nm));
		goto out;
	}
	if ((ret = mailcore_zone_of(txn, domain, apex)) != 0) {
		snprintf(err, errlen, "mail domain %s is not in any hosted zone", mc_name(domain, nm));
		goto out;
	}
	if ((ret = mailcore_render_domain(txn, &d, &exp, &tags, err, errlen)) != 0)
		goto out;
	zones_content_sort(&exp);

	/* serials: every server has the zone, and the secondaries are in step */
	size_t nsrv = 1 + nsec;
	char sname[17][80];
	const mailcore_server_t *srv[17];
	srv[0] = primary;
	for (size_t i = 0; i < nsec && i < 16; i++)
		srv[1 + i] = &secondaries[i];
	if (nsrv > 17)
		nsrv = 17;
	uint32_t pserial = 0;
	bool have_p = false;
	for (size_t s = 0; s < nsrv; s++) {
		snprintf(sname[s], sizeof sname[s], "%s%s@%u", s ? "secondary " : "dnsd ", srv[s]->addr,
		         srv[s]->port);
		uint32_t serial;
		if (mailcore_soa_serial(srv[s], apex, 2000, &serial) != 0) {
			add(rep, false, "serial", sname[s], "no authoritative SOA for %s",
			    mc_name(apex, nm));
			continue;
		}
		if (s == 0) {
			pserial = serial;
			have_p = true;
			add(rep, true, "serial", sname[s], "%s serial %u", mc_name(apex, nm), serial);
		} else if (have_p && serial != pserial) {
			add(rep, false, "serial", sname[s], "%s serial %u, dnsd has %u", mc_name(apex, nm),
			    serial, pserial);
		} else {
			add(rep, true, "serial", sname[s], "%s serial %u, in step", mc_name(apex, nm),
			    serial);
		}
	}
	/* every generated RRset, at every server */
	for (size_t i = 0; i < exp.n;) {
		size_t j = i;
		while (j < exp.n && exp.rr[j].type == exp.rr[i].type &&
		       zones_name_cmp(exp.rr[j].owner, exp.rr[i].owner) == 0)
			j++;
		qsort(exp.rr + i, j - i, sizeof *exp.rr, rd_cmp);
		char what[96];
		what_of(tags.tags[exp.rr[i].line].src, what, sizeof what);
		/* name the key or host: "DKIM 20261127-rsa", "TLSA mx1.example.com." */
		const uint8_t *o = exp.rr[i].owner;
		char on[1024], tn[16];
		if (strncmp(what, "DKIM", 4) == 0) {
			snprintf(what, sizeof what, "DKIM %.*s", o[0], (const char *)o + 1);
		} else if (exp.rr[i].type == 52) {
			snprintf(what, sizeof what, "TLSA %s", mc_name(o + 1 + o[0] + 1 + o[1 + o[0]], on));
		} else if (strncmp(what, "addresses", 9) == 0) {
			snprintf(what, sizeof what, "%s %s", zones_type_name(exp.rr[i].type, tn),
			         mc_name(o, on));
		} else if (strncmp(what, "HELO", 4) == 0) {
			snprintf(what, sizeof what, "HELO SPF %s", mc_name(o, on));
		}
		for (size_t s = 0; s < nsrv; s++)
			check_rrset(rep, &exp, i, j, what, srv[s], sname[s]);
		i = j;
	}
	check_keys(rep, txn, &d);
	mailcore_hosts_t hs;
	if (mailcore_hosts_load(txn, &hs) == 0) {
		const mailcore_host_t *mx[MAILCORE_MAX_MX];
		size_t n = mailcore_domain_mx(&d, hs.h, hs.n, mx);
		for (size_t i = 0; i < n; i++)
			check_certs(rep, mx[i]);
		if (!d.no_mail && n == 0)
			add(rep, false, "MX", "state", "the domain takes mail but has no mail host");
		/* SPF limits, with the zones as they are now */
		char text[4200], msg[600];
		mc_spf_ctx_t *sc = malloc(sizeof *sc);
		if (sc && mailcore_spf_text(&d, hs.h, hs.n, text, sizeof text) == 0) {
			sc->txn = txn;
			unsigned lookups = 0;
			mc_name(d.name, nm);
			int r = mailcore_spf_check(nm, text, mc_spf_lookup, sc, &lookups, msg, sizeof msg);
			if (r)
				add(rep, false, "SPF limits", "state", "%s", msg);
			else
				add(rep, true, "SPF limits", "state", "%u of at most 10 DNS lookups "
				    "(RFC 7208 4.6.4)", lookups);
		}
		free(sc);
		mailcore_hosts_free(&hs);
	}
out:
	dns_state_read_end(txn);
	zones_content_deinit(&exp);
	mailcore_tags_free(&tags);
	if (ret && !err[0])
		snprintf(err, errlen, "%s", dns_strerror(ret));
	return ret;
}
