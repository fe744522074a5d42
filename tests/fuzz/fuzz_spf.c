/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the SPF checker (mailcore/spf.c) on any record text an
 * operator could pass with --spf-extra, with a lookup that answers from a
 * small made-up set of hosted names (recursion, loops, void lookups).
 * Checks: no crash, no UB, the verdict is one of the documented codes and the
 * message one line.
 */
#include <stdlib.h>
#include <string.h>
#include "common/common.h"
#include "mailcore/spf.h"

static mailcore_spf_found_t lookup(const char *name, int type, const char **txt, size_t *count,
                                   void *arg)
{
	(void)arg;
	static const char *const recs[] = {
		"v=spf1 include:b.example.com a mx -all",
		"v=spf1 include:a.example.com ~all",
		"v=spf1 redirect=c.example.com",
		"v=spf1 a:x.example.com a:y.example.com a:z.example.com exists:%{i}.e.example.com -all",
		"v=spf1 ip4:192.0.2.0/24 -all",
	};
	size_t h = 5381;
	for (const char *p = name; *p; p++)
		h = h * 33 + (unsigned char)(*p | 0x20);
	*count = 1 + h % 12;
	if (txt)
		*txt = NULL;
	switch (h % 4) {
	case 0:
		return MAILCORE_SPF_FOREIGN;
	case 1:
		return MAILCORE_SPF_VOID;
	default:
		if (type == 16 && txt)
			*txt = recs[h % 5];
		return MAILCORE_SPF_FOUND;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char rec[5000], err[300];
	size_t n = size < sizeof rec - 1 ? size : sizeof rec - 1;
	memcpy(rec, data, n);
	rec[n] = 0;
	unsigned lookups = 0;
	int ret = mailcore_spf_check("example.com", rec, lookup, NULL, &lookups, err, sizeof err);
	if (ret != 0 && ret != DNS_EPARSE && ret != DNS_EINVAL && ret != DNS_ENOMEM)
		abort();
	if (memchr(err, 0, sizeof err) == NULL || strchr(err, '\n') || (ret && !err[0]))
		abort();
	return 0;
}
