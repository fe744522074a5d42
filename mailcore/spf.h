/* SPDX-License-Identifier: MIT */
/**
 * \file
 * \brief Static checks of SPF records (RFC 7208) published in our zones.
 *
 * Temporary home of these declarations until they move into mailcore/mailcore.h.
 * The checker never queries the network: it asks a caller-supplied lookup about
 * names in zones we host and follows include:/redirect= only into those.
 * Thread-safe: no global state; the callback is called from the calling thread.
 */
#pragma once

#include <stddef.h>
#include <stdbool.h>

/* What a lookup of NAME/TYPE in our own zones found. */
typedef enum {
	/* name is not in a zone we host: cannot be followed */
	MAILCORE_SPF_FOREIGN = 0,
	/* hosted, and the lookup gives NXDOMAIN or no records (RFC 7208 4.6.4 void lookup) */
	MAILCORE_SPF_VOID = 1,
	/*
	 * hosted and has records; for TXT, *txt receives the SPF record text ("v=spf1 ..."
	 * already joined from its strings, or NULL if the TXT RRset holds no SPF record,
	 * which counts as VOID for include/redirect)
	 */
	MAILCORE_SPF_FOUND = 2,
} mailcore_spf_found_t;

/*
 * type is 16 (TXT), 1 (A), 28 (AAAA) or 15 (MX). For MX, *count receives the number of
 * MX RRs (else 1 for FOUND). *txt (TXT only) points to storage owned by the callback,
 * valid until the next call. The checker sets *txt = NULL and *count = 0 before each call.
 */
typedef mailcore_spf_found_t (*mailcore_spf_lookup_fn)(const char *name, int type,
							const char **txt, size_t *count,
							void *arg);

/**
 * \brief Check one SPF record. \p domain is the domain the record is published at
 * (used for relative "a"/"mx" and %{d}).
 *
 * Syntax is RFC 7208 section 12; limits are those of 4.6.4 (at most 10 terms that
 * query DNS, at most 2 void lookups, at most 10 MX RRs per "mx"), counted through
 * include:/redirect= targets that \p lookup finds in our zones. Terms after "all"
 * and a redirect= beside "all" are never evaluated (5.1, 6.1) and are not counted.
 *
 * \param domain  1-253 characters, a final dot allowed.
 * \param lookup  may be NULL: then nothing is looked up or followed.
 * \param err     may be NULL; "" on success, else one line (truncated to errlen):
 *                the include/redirect path as "in TERM: " per level, then the term at
 *                fault and the problem with its RFC section, e.g. "in include:_spf.x.net:
 *                a:y.x.net makes lookup 11 of at most 10 (RFC 7208 4.6.4)".
 * \param lookups_out  may be NULL; receives the DNS-querying terms counted, also on failure
 *                (then up to the term that failed).
 * \retval 0 when valid.
 * \retval DNS_EPARSE a syntax error, in this record or one included from our zones.
 * \retval DNS_EINVAL a limit is broken (lookups, void lookups, MX RRs, record over 4096
 *                characters, nesting over 10 levels, loop) or an include:/redirect=
 *                target in our zones has no SPF record (5.2, 6.1); also NULL arguments.
 * \retval DNS_ENOMEM
 */
int mailcore_spf_check(const char *domain, const char *record, mailcore_spf_lookup_fn lookup,
		       void *arg, unsigned *lookups_out, char *err, size_t errlen);
