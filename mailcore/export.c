/* SPDX-License-Identifier: MIT */
/*
 * dnsctl mail dkim export DIR: the active keys, for the MTA's signer, so it
 * signs with exactly the keys DNS publishes (and only once they are).
 *
 * DIR/keys/<domain>.<selector>.key   0600; RSA: PEM (PKCS#1, what OpenDKIM and
 *                                     dkimpy read), Ed25519: base64 of the
 *                                     32-octet seed (RFC 8463, OpenDKIM 2.11)
 * DIR/KeyTable, DIR/SigningTable     OpenDKIM (SigningTable as refile patterns)
 * DIR/rspamd-selectors.map, DIR/rspamd-paths.map   rspamd dkim_signing maps
 *                                     (RSA key when there is one: one key per
 *                                     domain in these maps)
 * Files are written to a temporary name and renamed, so a reader never sees
 * half a file; keys no longer active are deleted from DIR/keys.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "mailcore/mailcore_int.h"

typedef struct {
	dns_buf_t keytable, signing, rsel, rpath;
	char dir[PATH_MAX];
	char (*files)[300]; /* key files written, to keep */
	size_t nfiles, capfiles;
	size_t nkeys;
	dns_state_txn_t *txn;
	char *err;
	size_t errlen;
} exp_t;

static void buf_str(dns_buf_t *b, const char *s)
{
	dns_buf_append(b, s, strlen(s));
}

/* Write \p len bytes to DIR/name atomically with \p mode. */
static int file_put(exp_t *e, const char *name, const void *data, size_t len, mode_t mode)
{
	char path[PATH_MAX + 400], tmp[PATH_MAX + 410];
	snprintf(path, sizeof path, "%s/%s", e->dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(e->err, e->errlen, "%s: %s", tmp, strerror(errno));
		return -errno;
	}
	int ret = 0;
	if (fchmod(fd, mode) != 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) != 0)
		ret = -errno;
	if (close(fd) != 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) != 0)
		ret = -errno;
	if (ret) {
		snprintf(e->err, e->errlen, "%s: %s", path, strerror(-ret));
		unlink(tmp);
	}
	return ret;
}

/* The private key file's text. */
static int key_text(const mailcore_key_t *k, char *out, size_t len)
{
	if (k->alg == MAILCORE_DKIM_ED25519)
		return mc_base64(k->priv, k->privlen, out, len) ? 0 : DNS_ESPACE;
	const unsigned char *p = k->priv;
	EVP_PKEY *pk = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, k->privlen);
	BIO *bio = BIO_new(BIO_s_mem());
	int ret = DNS_ECRYPTO;
	if (pk && bio && PEM_write_bio_PrivateKey_traditional(bio, pk, NULL, NULL, 0, NULL, NULL)) {
		char *data;
		long n = BIO_get_mem_data(bio, &data);
		if (n > 0 && (size_t)n < len) {
			memcpy(out, data, (size_t)n);
			out[n] = 0;
			ret = 0;
		} else {
			ret = DNS_ESPACE;
		}
	}
	BIO_free_all(bio); /* its memory held the key: BIO_s_mem frees, cleanse first */
	EVP_PKEY_free(pk);
	return ret;
}

static int export_domain(const mailcore_domain_t *d, void *arg)
{
	exp_t *e = arg;
	mailcore_key_t *keys = malloc(MC_MAX_KEYS * sizeof *keys);
	if (!keys)
		return DNS_ENOMEM;
	int n = mailcore_keys_load(e->txn, d->name, keys, MC_MAX_KEYS);
	int ret = n < 0 ? n : 0;
	char dn[1024];
	mc_name(d->name, dn);
	dn[strlen(dn) - 1] = 0;
	bool mapped = false;
	/* RSA first: the rspamd maps take the first key of a domain */
	for (int pass = 0; pass < 2 && ret == 0; pass++)
		for (int i = 0; i < n && ret == 0; i++) {
			mailcore_key_t *k = &keys[i];
			if (k->state != MAILCORE_KEY_ACTIVE ||
			    (pass == 0) != (k->alg == MAILCORE_DKIM_RSA))
				continue;
			char name[300], path[PATH_MAX + 400], line[PATH_MAX + 1200], text[2400];
			snprintf(name, sizeof name, "%s.%s.key", dn, k->selector);
			if (e->nfiles == e->capfiles) {
				size_t nc = e->capfiles ? 2 * e->capfiles : 64;
				void *p = realloc(e->files, nc * sizeof *e->files);
				if (!p) {
					ret = DNS_ENOMEM;
					break;
				}
				e->files = p;
				e->capfiles = nc;
			}
			snprintf(e->files[e->nfiles++], 300, "%s", name);
			snprintf(path, sizeof path, "keys/%s", name);
			if ((ret = key_text(k, text, sizeof text)) != 0)
				break;
			ret = file_put(e, path, text, strlen(text), 0600);
			OPENSSL_cleanse(text, sizeof text);
			if (ret)
				break;
			snprintf(path, sizeof path, "%s/keys/%s", e->dir, name);
			snprintf(line, sizeof line, "%s._domainkey.%s %s:%s:%s\n", k->selector, dn, dn,
			         k->selector, path);
			buf_str(&e->keytable, line);
			snprintf(line, sizeof line, "*@%s %s._domainkey.%s\n", dn, k->selector, dn);
			buf_str(&e->signing, line);
			if (!mapped) {
				snprintf(line, sizeof line, "%s %s\n", dn, k->selector);
				buf_str(&e->rsel, line);
				snprintf(line, sizeof line, "%s %s\n", dn, path);
				buf_str(&e->rpath, line);
				mapped = true;
			}
			e->nkeys++;
		}
	for (int i = 0; i < MC_MAX_KEYS; i++)
		OPENSSL_cleanse(keys[i].priv, sizeof keys[i].priv);
	free(keys);
	return ret;
}

/* Delete key files of keys that are no longer active. */
static void prune(exp_t *e)
{
	char kd[PATH_MAX + 10];
	snprintf(kd, sizeof kd, "%s/keys", e->dir);
	DIR *dir = opendir(kd);
	if (!dir)
		return;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".key") != 0)
			continue;
		bool keep = false;
		for (size_t i = 0; i < e->nfiles && !keep; i++)
			keep = strcmp(e->files[i], de->d_name) == 0;
		if (!keep) {
			char p[PATH_MAX + 300];
			snprintf(p, sizeof p, "%s/%s", kd, de->d_name);
			unlink(p);
		}
	}
	closedir(dir);
}

int mailcore_dkim_export(dns_state_t *st, const char *dir, size_t *nkeys, char *err,
                         size_t errlen)
{
	exp_t e = { .err = err, .errlen = errlen };
	err[0] = 0;
	*nkeys = 0;
	if (strlen(dir) >= PATH_MAX - 20) {
		snprintf(err, errlen, "%s: path too long", dir);
		return DNS_ENAMELEN;
	}
	char kd[PATH_MAX + 10];
	/* private keys: the directories are the owner's only; the tables name
	 * the key files by absolute path, as the signer runs elsewhere */
	if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || !realpath(dir, e.dir) ||
	    strlen(e.dir) >= sizeof e.dir - 20) {
		snprintf(err, errlen, "%s: %s", dir, errno ? strerror(errno) : "path too long");
		return errno ? -errno : DNS_ENAMELEN;
	}
	snprintf(kd, sizeof kd, "%s/keys", e.dir);
	if ((mkdir(kd, 0700) != 0 && errno != EEXIST) || chmod(kd, 0700) != 0) {
		snprintf(err, errlen, "%s: %s", kd, strerror(errno));
		return -errno;
	}
	dns_buf_init(&e.keytable);
	dns_buf_init(&e.signing);
	dns_buf_init(&e.rsel);
	dns_buf_init(&e.rpath);
	int ret = dns_state_read_begin(st, &e.txn);
	if (ret == 0) {
		ret = mailcore_domain_each(e.txn, export_domain, &e);
		dns_state_read_end(e.txn);
	}
	if (ret == 0)
		ret = e.keytable.err ? e.keytable.err : e.signing.err ? e.signing.err : e.rsel.err;
	if (ret == 0 && (ret = file_put(&e, "KeyTable", e.keytable.data, e.keytable.len, 0644)) == 0 &&
	    (ret = file_put(&e, "SigningTable", e.signing.data, e.signing.len, 0644)) == 0 &&
	    (ret = file_put(&e, "rspamd-selectors.map", e.rsel.data, e.rsel.len, 0644)) == 0)
		ret = file_put(&e, "rspamd-paths.map", e.rpath.data, e.rpath.len, 0644);
	if (ret == 0)
		prune(&e);
	dns_buf_deinit(&e.keytable);
	dns_buf_deinit(&e.signing);
	dns_buf_deinit(&e.rsel);
	dns_buf_deinit(&e.rpath);
	free(e.files);
	*nkeys = e.nkeys;
	if (ret && !err[0])
		snprintf(err, errlen, "%s", dns_strerror(ret));
	return ret;
}
