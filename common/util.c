/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include "common/common.h"

uint64_t dns_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int dns_random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void dns_buf_init(dns_buf_t *b) { memset(b, 0, sizeof *b); }
void dns_buf_deinit(dns_buf_t *b) { free(b->data); memset(b, 0, sizeof *b); }

uint8_t *dns_buf_reserve(dns_buf_t *b, size_t n)
{
	if (b->err)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *d = realloc(b->data, cap);
		if (!d) {
			b->err = DNS_ENOMEM;
			return NULL;
		}
		b->data = d;
		b->cap = cap;
	}
	return b->data + b->len;
}

void dns_buf_append(dns_buf_t *b, const void *p, size_t n)
{
	uint8_t *d = dns_buf_reserve(b, n);
	if (d) {
		if (n)
			memcpy(d, p, n);
		b->len += n;
	}
}

void dns_buf_u8(dns_buf_t *b, uint8_t v) { dns_buf_append(b, &v, 1); }
void dns_buf_u16(dns_buf_t *b, uint16_t v) { uint8_t x[2]; dns_put16(x, v); dns_buf_append(b, x, 2); }
void dns_buf_u32(dns_buf_t *b, uint32_t v) { uint8_t x[4]; dns_put32(x, v); dns_buf_append(b, x, 4); }

int dns_server_parse(const char *s, char *addr, size_t addrlen, uint16_t *port)
{
	char host[80];
	const char *ps = NULL;
	*port = 53;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (size_t)(e - s - 1) >= sizeof host)
			return DNS_EINVAL;
		snprintf(host, sizeof host, "%.*s", (int)(e - s - 1), s + 1);
		if (e[1] == ':' || e[1] == '@')
			ps = e + 2;
		else if (e[1])
			return DNS_EINVAL;
	} else {
		const char *at = strchr(s, '@');
		if (strlen(s) >= sizeof host)
			return DNS_EINVAL;
		snprintf(host, sizeof host, "%.*s", at ? (int)(at - s) : (int)strlen(s), s);
		if (at)
			ps = at + 1;
	}
	uint8_t a[16];
	if (inet_pton(AF_INET, host, a) != 1 && inet_pton(AF_INET6, host, a) != 1)
		return DNS_EINVAL;
	if (ps) {
		char *end;
		long p = strtol(ps, &end, 10);
		if (!*ps || *end || p < 1 || p > 65535)
			return DNS_EINVAL;
		*port = (uint16_t)p;
	}
	if (strlen(host) >= addrlen)
		return DNS_EINVAL;
	snprintf(addr, addrlen, "%s", host);
	return 0;
}
