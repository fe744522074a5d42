/* SPDX-License-Identifier: MIT */
/*
 * Certificates for DANE (RFC 7672 3.1.1): TLSA "3 1 1" is the SHA-256 of the
 * certificate's SubjectPublicKeyInfo, so it survives renewals that keep the key.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "mailcore/mailcore_int.h"

int mailcore_cert_spki(const char *path, uint8_t out[32], char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		int e = errno;
		snprintf(err, errlen, "certificate %s: %s", path, strerror(e));
		return e == ENOENT ? DNS_ENOENT : -e;
	}
	X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (!x) {
		ERR_clear_error();
		snprintf(err, errlen, "certificate %s: no PEM certificate in it", path);
		return DNS_EPARSE;
	}
	int ret = 0;
	unsigned char *der = NULL;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	unsigned mdl = 0;
	if (len <= 0 || !EVP_Digest(der, (size_t)len, out, &mdl, EVP_sha256(), NULL) || mdl != 32) {
		ERR_clear_error();
		snprintf(err, errlen, "certificate %s: cannot read its public key", path);
		ret = DNS_EPARSE;
	}
	OPENSSL_free(der);
	X509_free(x);
	return ret;
}
