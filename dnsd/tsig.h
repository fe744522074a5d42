/* SPDX-License-Identifier: MIT */
/**
 * \file
 * \brief TSIG (RFC 8945): verify signed requests, sign their responses (also
 * the multi-message responses of AXFR/IXFR), and the client side for NOTIFY.
 *
 * Bytes in, bytes out: no sockets, no libuv, no ldns; the HMACs are OpenSSL 3's.
 * Nothing here keeps state between calls except in the caller's
 * dnsd_tsig_ctx_t, so every function is thread-safe as long as a context is
 * used by one thread at a time. The key array passed to dnsd_tsig_verify()
 * must outlive the context, which points into it. Secrets never go to logs
 * (this module does not log at all: the caller logs what it decides).
 *
 * Every message given to these functions is treated as hostile: names are
 * read with a bounded decompressor (pointers only backwards, 255 octets at
 * most), every length is checked against the message, and nothing is read
 * outside [msg, msg + msglen).
 *
 * The key type and the algorithm ids are those of the key store
 * (dns_tsig_key_t, DNS_TSIG_* in common/common.h), so keys read with
 * dns_tsig_get()/dns_tsig_each() are passed here as they are.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/common.h"

/** Algorithm ids: the same values as the key store's DNS_TSIG_*. */
enum {
	DNSD_TSIG_SHA256 = DNS_TSIG_SHA256, /*!< the default */
	DNSD_TSIG_SHA384 = DNS_TSIG_SHA384,
	DNSD_TSIG_SHA512 = DNS_TSIG_SHA512,
	DNSD_TSIG_SHA224 = DNS_TSIG_SHA224, /*!< verification only: keys are not created with it */
	DNSD_TSIG_SHA1 = DNS_TSIG_SHA1,     /*!< verification only: keys are not created with it */
};

/**
 * A key: name (lowercase wire format), algorithm (DNSD_TSIG_*), secret.
 * The same type as the key store's, fields: name[255], alg, secret[128], secretlen.
 */
typedef dns_tsig_key_t dnsd_tsig_key_t;

/** TSIG error codes (RFC 8945 3, the Error field; the response RCODE is then NOTAUTH). */
enum {
	DNSD_TSIG_BADSIG = 16,
	DNSD_TSIG_BADKEY = 17,
	DNSD_TSIG_BADTIME = 18,
	DNSD_TSIG_BADTRUNC = 22,
};

/** The Fudge we put in what we sign (RFC 8945 10 recommends 300 seconds). */
#define DNSD_TSIG_FUDGE 300

/** A TSIG verification failed; the reason is in dnsd_tsig_ctx_t.error. */
#define DNSD_TSIG_EFAIL (-1100)

/** \brief "hmac-sha256" (final dot optional, any case) -> DNSD_TSIG_*; -1 when unknown. */
int dnsd_tsig_alg_parse(const char *name);
/** \brief DNSD_TSIG_* -> "hmac-sha256" (as in the TSIG RR, RFC 8945 6, without the final dot);
 * NULL when unknown. */
const char *dnsd_tsig_alg_name(int alg);

/** State of one TSIG exchange: a request and its (possibly multi-message) response. */
typedef struct {
	const dnsd_tsig_key_t *key; /*!< NULL: no TSIG, or one with an unknown key (BADKEY) */
	uint8_t mac[64];       /*!< the request's MAC, then the last MAC signed or verified
	                            (the chaining of RFC 8945 5.3.1) */
	uint16_t maclen;       /*!< 0 when the request's MAC did not validate */
	uint16_t error;        /*!< 0 or DNSD_TSIG_BADSIG, BADKEY, BADTIME, BADTRUNC */
	uint16_t orig_id;      /*!< Original ID of the request's TSIG */
	uint64_t time_signed;  /*!< the request's Time Signed (48 bits), for BADTIME answers */
	uint16_t fudge;        /*!< the request's Fudge (ours is always DNSD_TSIG_FUDGE) */
	uint32_t nsigned;      /*!< messages of the response signed (or verified) so far */
	uint8_t keyname[255];  /*!< the request's key name as it appeared (case kept), wire */
	uint8_t algname[255];  /*!< the request's algorithm name as it appeared, wire */
} dnsd_tsig_ctx_t;

/**
 * \brief Find and check the TSIG RR of a request (server side, RFC 8945 5.2).
 *
 * The message is walked to its end; a TSIG RR must be the last RR of the
 * additional section and end the message (RFC 8945 5.1, 5.2): one anywhere
 * else, or octets after it, make the message malformed.
 *
 * Checks, in the order of RFC 8945 5.2: a key of that name (compared
 * case-insensitively) and algorithm in \p keys (5.2.1, else BADKEY); the MAC
 * (5.2.2, else BADSIG), whose size must lie between the larger of 10 and half
 * the hash size and the hash size (5.2.2.1, else malformed); the time: \p now
 * within Time Signed +- Fudge (5.2.3, else BADTIME); no truncation: our local
 * policy accepts only full-length MACs (5.2.4, else BADTRUNC). The Time Signed
 * of earlier requests is not remembered (the SHOULD of 5.2.3 is not done).
 *
 * \param msg, msglen  the request as received (not modified)
 * \param keys, nkeys  the keys we know; \p ctx->key points into this array
 * \param now          unix time in seconds
 * \param ctx          filled in every case that returns 0 or DNSD_TSIG_EFAIL
 * \param tsig_off     the message without its TSIG RR ends here: parse msg[0, *tsig_off)
 *                     (equals \p msglen when there is no TSIG)
 * \param arcount      ARCOUNT without the TSIG RR (the header's when there is none)
 * \retval 0  no TSIG (\p ctx->key NULL), or a valid one (\p ctx->key set, error 0,
 *            ctx->mac the request's MAC)
 * \retval DNSD_TSIG_EFAIL  \p ctx->error says why; answer NOTAUTH and sign it with
 *            dnsd_tsig_sign(), which makes what RFC 8945 5.3.2 asks: BADKEY (ctx->key
 *            NULL) and BADSIG: an unsigned TSIG; BADTIME, BADTRUNC: signed (the request
 *            MAC did validate), BADTIME with our time in Other Data.
 * \retval DNS_EMALF  the message or its TSIG RR is malformed: answer FORMERR, unsigned
 * \retval DNS_ECRYPTO  OpenSSL failed (answer SERVFAIL)
 */
_mustcheck_ int dnsd_tsig_verify(const uint8_t *msg, size_t msglen, const dnsd_tsig_key_t *keys,
                                 size_t nkeys, uint64_t now, dnsd_tsig_ctx_t *ctx,
                                 size_t *tsig_off, uint16_t *arcount);

/**
 * \brief Octets dnsd_tsig_sign() (or dnsd_tsig_sign_request()) will append for \p ctx:
 * keep this much room free when filling a message. 0 when \p ctx has nothing to sign.
 */
size_t dnsd_tsig_size(const dnsd_tsig_ctx_t *ctx);

/**
 * \brief Append a TSIG RR to a response in out[0, *len) (capacity \p cap), incrementing ARCOUNT.
 *
 * First message of a response (ctx->nsigned == 0), or any error answer: MAC over
 * the request MAC (when it validated) + the message + all TSIG variables
 * (RFC 8945 4.3.1-4.3.3). Later messages of a multi-message response (AXFR/IXFR
 * over TCP, 5.3.1): MAC over the previous MAC + the message + the timers only.
 * Every message is signed (we never use the 5.3.1 allowance of unsigned ones).
 * ctx->error BADKEY or BADSIG: an unsigned TSIG (MAC size 0) carrying the error,
 * with the request's key and algorithm names (5.3.2). BADTIME: signed, Other
 * Data = \p now in 6 octets (4.2, 5.2.3), Time Signed = the request's (as BIND
 * and Knot do: the client's time check passes, so it can check the MAC).
 * The Original ID is the response's ID. Updates ctx->mac, ctx->maclen, ctx->nsigned.
 * \retval 0
 * \retval DNS_ESPACE  no room for the TSIG RR (out is unchanged)
 * \retval DNS_EINVAL  \p ctx has no key and no error, or *len < 12
 * \retval DNS_ECRYPTO OpenSSL failed
 */
_mustcheck_ int dnsd_tsig_sign(uint8_t *out, size_t *len, size_t cap, dnsd_tsig_ctx_t *ctx,
                               uint64_t now);

/**
 * \brief Client side (dnsd sending NOTIFY): sign the request in msg[0, *len) with
 * \p key at \p now (Original ID = the message's ID) and set up \p ctx for
 * dnsd_tsig_verify_response(). \p key must outlive \p ctx.
 * \retval 0, DNS_ESPACE, DNS_EINVAL (unknown algorithm, bad key, *len < 12), DNS_ECRYPTO
 */
_mustcheck_ int dnsd_tsig_sign_request(uint8_t *msg, size_t *len, size_t cap,
                                       const dnsd_tsig_key_t *key, uint64_t now,
                                       dnsd_tsig_ctx_t *ctx);

/**
 * \brief Client side: verify a response to the request signed with \p ctx.
 *
 * Multi-message responses: call it for every message, in order; ctx->nsigned
 * tells which message comes next. The first (nsigned == 0) is checked with the
 * request MAC and all TSIG variables, the later ones with the previous message's
 * MAC and the timers (RFC 8945 5.3.1). Every message must carry a TSIG: the
 * 5.3.1 allowance of up to 99 unsigned messages between signed ones is not
 * supported (such a message is malformed, as an unsigned answer is, 5.4), which
 * is fine for what dnsd receives (NOTIFY answers: one message).
 * Checks of RFC 8945 5.4, as dnsd_tsig_verify() does them: the key name and
 * algorithm must be ctx->key's (else BADKEY), the MAC (BADSIG; malformed sizes
 * DNS_EMALF; truncated BADTRUNC), the time (BADTIME).
 * \retval 0  valid; ctx->mac is this message's MAC, ctx->nsigned incremented
 * \retval DNSD_TSIG_EFAIL  ctx->error says why. When the response's TSIG itself
 *         carries an error (the server rejected our request), that error is given
 *         as it is, unverified: it only tells the caller what to log.
 * \retval DNS_EMALF  malformed message or TSIG RR, or no TSIG RR at all
 * \retval DNS_EINVAL \p ctx holds no key
 * \retval DNS_ECRYPTO
 */
_mustcheck_ int dnsd_tsig_verify_response(const uint8_t *msg, size_t msglen,
                                          dnsd_tsig_ctx_t *ctx, uint64_t now);
