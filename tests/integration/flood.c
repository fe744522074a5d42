/* SPDX-License-Identifier: MIT */
/*
 * flood - malformed DNS traffic for tests/integration/flood.sh.
 *
 *   flood udp PORT COUNT [SEED]   COUNT datagrams to 127.0.0.1:PORT in sendmmsg
 *                                 batches from 8 source ports (so every
 *                                 SO_REUSEPORT worker gets some); every answer
 *                                 is read back and parsed (tests/fuzz/msgcheck.h)
 *   flood tcp PORT CONNS [SEED]   CONNS connections open at once, each sending
 *                                 garbage, partial length prefixes, short or
 *                                 unread pipelined messages, then closed
 *                                 (half of them with a reset)
 *   flood slow PORT CONNS PID     CONNS connections that pipeline queries with
 *                                 large answers as fast as dnsd reads them and
 *                                 never read an answer; prints dnsd's (PID)
 *                                 VmRSS before, while they are open, after
 *
 * Prints one line of key=value figures; exits 0 unless it could not run.
 * Only ever talks to 127.0.0.1; the count is bounded by the arguments.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "../fuzz/msgcheck.h"

#define BATCH 64
#define NSOCK 8
#define PMAX 700
#define WINDOW 4096 /* answers we wait for before sending more */

static uint64_t rng;

static uint32_t rnd(void)
{
	/* xorshift64*: reproducible from the seed */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

static uint32_t below(uint32_t n) { return n ? rnd() % n : 0; }

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static const char *names[] = {
	"www.example.test", "example.test", "x.wild.example.test", "c1.example.test",
	"a.b.dname.example.test", "big-txt.example.test", "huge-txt.example.test",
	"x.sub.example.test", "www.child.example.test", "80.2.0.192.in-addr.arpa",
	"www.target.test", "nope.example.test", "example.org", "loop1.example.test",
	"big.example.test", "x.dname-long.example.test", "MiXeD.CaSe.example.test",
};
static const uint16_t types[] = { 1, 2, 5, 6, 15, 16, 28, 33, 43, 48, 255, 252, 251, 0, 65535, 41 };

/* A name in wire form. \retval its length */
static size_t name_put(uint8_t *p, const char *s)
{
	size_t o = 0;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		p[o++] = (uint8_t)l;
		memcpy(p + o, s, l);
		o += l;
		s += l + (dot ? 1 : 0);
	}
	p[o++] = 0;
	return o;
}

static size_t opt_put(uint8_t *p, unsigned bufsize, uint32_t ttl, bool cookie)
{
	p[0] = 0;
	put16(p + 1, 41);
	put16(p + 3, bufsize);
	p[5] = (uint8_t)(ttl >> 24);
	p[6] = (uint8_t)(ttl >> 16);
	p[7] = (uint8_t)(ttl >> 8);
	p[8] = (uint8_t)ttl;
	size_t o = 11;
	if (cookie) {
		put16(p + o, 10);
		put16(p + o + 2, 8);
		for (int i = 0; i < 8; i++)
			p[o + 4 + i] = (uint8_t)rnd();
		o += 12;
	}
	put16(p + 9, (unsigned)(o - 11));
	return o;
}

/* A well-formed query, with EDNS half of the time. */
static size_t query(uint8_t *p)
{
	put16(p, rnd() & 0xffff);
	put16(p + 2, below(2) ? 0x0100 : 0);
	put16(p + 4, 1);
	put16(p + 6, 0);
	put16(p + 8, 0);
	put16(p + 10, 0);
	size_t o = 12 + name_put(p + 12, names[below(sizeof names / sizeof *names)]);
	put16(p + o, types[below(sizeof types / sizeof *types - 1)]);
	put16(p + o + 2, 1);
	o += 4;
	if (below(2)) {
		put16(p + 10, 1);
		o += opt_put(p + o, 512 + below(4000), below(2) ? 0x8000 : 0, below(4) == 0);
	}
	return o;
}

enum { K_RANDOM, K_TRUNC, K_FLIP, K_LABELS, K_LOOP, K_OPT, K_QR, K_HEADER, K_VALID, K_N };

/* One packet of kind \p k into p (room PMAX). \retval its length */
static size_t packet(uint8_t *p, int k)
{
	size_t len, o;
	switch (k) {
	case K_RANDOM:
		len = below(601);
		for (size_t i = 0; i < len; i++)
			p[i] = (uint8_t)rnd();
		return len;
	case K_TRUNC:
		len = query(p);
		return below((uint32_t)len);
	case K_FLIP:
		len = query(p);
		for (unsigned n = 1 + below(8); n > 0; n--)
			p[below((uint32_t)len)] ^= (uint8_t)(1u << below(8));
		return len;
	case K_LABELS:
		query(p);
		put16(p + 10, 0);
		o = 12;
		switch (below(4)) {
		case 0: /* 127 one-octet labels: 255 octets, legal */
			for (int i = 0; i < 127; i++) {
				p[o++] = 1;
				p[o++] = 'a' + (char)below(26);
			}
			p[o++] = 0;
			break;
		case 1: /* 250 labels: far over 255 octets */
			for (int i = 0; i < 250; i++) {
				p[o++] = 1;
				p[o++] = 'z';
			}
			p[o++] = 0;
			break;
		case 2: /* label lengths 64..191: reserved label types */
			for (int i = 0; i < 20; i++) {
				p[o++] = (uint8_t)(64 + below(128));
				p[o++] = 'x';
			}
			break;
		default: /* labels that never end */
			while (o < 12 + 400) {
				p[o] = 63;
				memset(p + o + 1, 'q', 63);
				o += 64;
			}
			return o;
		}
		put16(p + o, 1);
		put16(p + o + 2, 1);
		return o + 4;
	case K_LOOP:
		len = query(p);
		o = 12;
		switch (below(4)) {
		case 0: /* the question name points to itself */
			p[12] = 0xc0;
			p[13] = 12;
			put16(p + 14, 1);
			put16(p + 16, 1);
			return 18;
		case 1: /* an answer record whose owner points to itself */
			put16(p + 6, 1);
			put16(p + 10, 0);
			len = 12 + name_put(p + 12, "www.example.test") + 4;
			p[len] = 0xc0 | (uint8_t)(len >> 8);
			p[len + 1] = (uint8_t)len;
			memset(p + len + 2, 0, 10);
			return len + 12;
		case 2: /* two pointers pointing at each other */
			put16(p + 8, 1);
			put16(p + 10, 0);
			len = 12 + name_put(p + 12, "www.example.test") + 4;
			p[len] = 0xc0;
			p[len + 1] = (uint8_t)(len + 2);
			p[len + 2] = 0xc0;
			p[len + 3] = (uint8_t)len;
			memset(p + len + 4, 0, 10);
			return len + 14;
		default: /* a pointer past the end of the message */
			put16(p + 6, 1);
			put16(p + 10, 0);
			len = 12 + name_put(p + 12, "www.example.test") + 4;
			p[len] = 0xff;
			p[len + 1] = 0xff;
			memset(p + len + 2, 0, 10);
			return len + 12;
		}
	case K_OPT: {
		/* the question of a real query, then a bad OPT record */
		query(p);
		size_t qe = 12;
		while (p[qe])
			qe += 1u + p[qe];
		len = qe + 5;
		put16(p + 6, 0);
		put16(p + 8, 0);
		put16(p + 10, 1);
		uint8_t *op = p + len;
		size_t ol = opt_put(op, below(65536), rnd(), below(2));
		switch (below(8)) {
		case 0: /* RDLENGTH past the end */
			put16(op + 9, 200 + below(1000));
			break;
		case 1: /* an option longer than the RDATA */
			put16(op + 9, 4);
			put16(op + 11, 3);
			put16(op + 13, 100);
			ol = 15;
			break;
		case 2: /* two OPTs */
			memcpy(op + ol, op, ol);
			ol *= 2;
			put16(p + 10, 2);
			break;
		case 3: /* OPT in the answer section */
			put16(p + 6, 1);
			put16(p + 10, 0);
			break;
		case 4: /* not owned by the root: a pointer to the question name */
			ol = 1 + opt_put(op + 1, below(65536), 0, false);
			op[0] = 0xc0;
			op[1] = 12;
			break;
		case 5: /* a cookie of a bad length */
			put16(op + 9, 4 + 41);
			put16(op + 11, 10);
			put16(op + 13, below(41));
			for (int i = 0; i < 41; i++)
				op[15 + i] = (uint8_t)rnd();
			ol = 11 + 4 + 41;
			break;
		case 6: /* keepalive with a value over UDP, NSID with data */
			put16(op + 9, 6 + 8);
			put16(op + 11, 11);
			put16(op + 13, 2);
			put16(op + 15, 100);
			put16(op + 17, 3);
			put16(op + 19, 4);
			memcpy(op + 21, "nsid", 4);
			ol = 25;
			break;
		default: /* version, extended rcode and flags at random (BADVERS) */
			break;
		}
		return len + ol;
	}
	case K_QR:
		len = query(p);
		p[2] |= 0x80; /* a response: must never be answered */
		if (below(2))
			p[3] = (uint8_t)rnd();
		return len;
	case K_HEADER:
		len = query(p);
		put16(p + 2, rnd() & 0x7fff);
		if (below(2))
			put16(p + 4, below(4));
		if (below(2))
			put16(p + 6, below(2) ? 65535 : below(4));
		if (below(2))
			put16(p + 8, below(4));
		if (below(4) == 0) {
			size_t qe = 12;
			while (qe < len && p[qe] && p[qe] < 64)
				qe += 1u + p[qe];
			if (qe + 5 <= len)
				/* class ANY, CH, 0.. */
				put16(p + qe + 3, below(2) ? 255 : below(5));
		}
		return len;
	default:
		return query(p);
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sockaddr_in target(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

typedef struct {
	uint64_t answered, bad, refused_sends;
	const char *first_bad;
} rx_t;

/* Read every answer waiting on \p fd; check the header of each. */
static void drain(int fd, rx_t *rx)
{
	static uint8_t buf[BATCH][4096];
	struct iovec iov[BATCH];
	struct mmsghdr mm[BATCH];
	for (;;) {
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ buf[i], sizeof buf[i] };
			mm[i] = (struct mmsghdr){
				.msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		int n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno == ECONNREFUSED) {
				rx->refused_sends++;
				continue;
			}
			return;
		}
		for (int i = 0; i < n; i++) {
			unsigned l = mm[i].msg_len;
			msgcheck_query_t ri;
			rx->answered++;
			/* a response that parses, at most 512 octets without EDNS
			 * (RFC 1035 4.2.1) and our default EDNS size (1232) with it */
			const char *e = mc_walk(buf[i], l, true, &ri, NULL);
			if (!e && !(buf[i][2] & 0x80))
				e = "QR not set";
			if (!e && (l > 1232 || (!ri.nopt && l > 512)))
				e = "longer than the UDP payload size";
			if (e) {
				rx->bad++;
				if (!rx->first_bad)
					rx->first_bad = e;
			}
		}
	}
}

static int flood_udp(int port, uint64_t count)
{
	struct sockaddr_in to = target(port);
	int fds[NSOCK];
	for (int i = 0; i < NSOCK; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fds[i] < 0) {
			perror("socket");
			return 1;
		}
		int rb = 8 << 20;
		setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
		if (connect(fds[i], (struct sockaddr *)&to, sizeof to)) {
			perror("connect");
			return 1;
		}
	}
	static uint8_t pk[BATCH][PMAX];
	struct iovec iov[BATCH];
	struct mmsghdr mm[BATCH];
	uint64_t sent = 0, expected = 0, kinds[K_N] = { 0 }, eagain = 0;
	rx_t rx = { 0 };
	double t0 = now_s();
	for (uint64_t b = 0; sent < count; b++) {
		int fd = fds[b % NSOCK];
		unsigned n = count - sent < BATCH ? (unsigned)(count - sent) : BATCH;
		uint64_t exp_batch = 0;
		for (unsigned i = 0; i < n; i++) {
			int k = (int)below(K_N);
			size_t l = packet(pk[i], k);
			kinds[k]++;
			/* dnsd answers every message with a header and QR clear */
			if (l >= 12 && !(pk[i][2] & 0x80))
				exp_batch++;
			iov[i] = (struct iovec){ pk[i], l };
			mm[i] = (struct mmsghdr){
				.msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		unsigned done = 0;
		while (done < n) {
			int k = sendmmsg(fd, mm + done, n - done, 0);
			if (k < 0) {
				if (errno == EAGAIN || errno == ENOBUFS) {
					eagain++;
					struct pollfd pf = { fd, POLLOUT, 0 };
					poll(&pf, 1, 10);
					continue;
				}
				if (errno == ECONNREFUSED) {
					rx.refused_sends++; /* nobody listens any more (ICMP) */
					continue;
				}
				perror("sendmmsg");
				return 1;
			}
			done += (unsigned)k;
		}
		sent += n;
		expected += exp_batch;
		for (int i = 0; i < NSOCK; i++)
			drain(fds[i], &rx);
		/* keep at most WINDOW answers outstanding, so that what the kernel
		 * drops is little and dnsd's work is what we measure */
		for (int waits = 0; expected - rx.answered > WINDOW && waits < 20; waits++) {
			struct pollfd pf[NSOCK];
			for (int i = 0; i < NSOCK; i++)
				pf[i] = (struct pollfd){ fds[i], POLLIN, 0 };
			poll(pf, NSOCK, 1);
			for (int i = 0; i < NSOCK; i++)
				drain(fds[i], &rx);
		}
		if (rx.refused_sends > 1000)
			break;
	}
	/* the last answers */
	for (double end = now_s() + 1.0; now_s() < end && rx.answered < expected;) {
		struct pollfd pf[NSOCK];
		for (int i = 0; i < NSOCK; i++)
			pf[i] = (struct pollfd){ fds[i], POLLIN, 0 };
		poll(pf, NSOCK, 50);
		for (int i = 0; i < NSOCK; i++)
			drain(fds[i], &rx);
	}
	double dt = now_s() - t0;
	printf("sent=%llu expected_answers=%llu answered=%llu bad_answers=%llu refused=%llu "
	       "send_waits=%llu seconds=%.2f pps=%.0f kinds=",
	       (unsigned long long)sent, (unsigned long long)expected,
	       (unsigned long long)rx.answered, (unsigned long long)rx.bad,
	       (unsigned long long)rx.refused_sends, (unsigned long long)eagain, dt, sent / dt);
	for (int k = 0; k < K_N; k++)
		printf("%s%llu", k ? "," : "", (unsigned long long)kinds[k]);
	if (rx.first_bad)
		printf(" first_bad=\"%s\"", rx.first_bad);
	printf("\n");
	for (int i = 0; i < NSOCK; i++)
		close(fds[i]);
	return 0;
}

static void send_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n <= 0)
			return; /* the server closed or its window is full: fine */
		p += n;
		len -= (size_t)n;
	}
}

static int flood_tcp(int port, unsigned conns)
{
	struct sockaddr_in to = target(port);
	int *fds = calloc(conns, sizeof *fds);
	if (!fds)
		return 1;
	unsigned opened = 0, failed = 0, closed_by_server = 0;
	static uint8_t buf[70000];
	double t0 = now_s();
	for (unsigned i = 0; i < conns; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&to, sizeof to)) {
			failed++;
			if (fds[i] >= 0)
				close(fds[i]);
			fds[i] = -1;
			continue;
		}
		opened++;
		int one = 1;
		setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		size_t len = 0, l;
		switch (i % 8) {
		case 0: /* nothing at all */
			break;
		case 1: /* half a length prefix */
			buf[0] = (uint8_t)rnd();
			len = 1;
			break;
		case 2: /* a 65535-octet message that never comes */
			put16(buf, 65535);
			for (len = 2; len < 102; len++)
				buf[len] = (uint8_t)rnd();
			break;
		case 3: /* garbage */
			len = 1 + below(2000);
			for (size_t k = 0; k < len; k++)
				buf[k] = (uint8_t)rnd();
			break;
		case 4: /* an empty message: not DNS */
			put16(buf, 0);
			len = 2;
			break;
		case 5: /* a real query, then a frame of garbage */
			l = query(buf + 2);
			put16(buf, (unsigned)l);
			len = 2 + l;
			l = below(600);
			put16(buf + len, (unsigned)l);
			for (size_t k = 0; k < l; k++)
				buf[len + 2 + k] = (uint8_t)rnd();
			len += 2 + l;
			break;
		case 6: /* 50 pipelined queries whose answers are never read */
			for (int q = 0; q < 50; q++) {
				l = packet(buf + len + 2, below(2) ? K_VALID : (int)below(K_N));
				put16(buf + len, (unsigned)l);
				len += 2 + l;
			}
			break;
		default: /* a message shorter than a header */
			put16(buf, 11);
			memset(buf + 2, 0, 11);
			len = 13;
			break;
		}
		send_all(fds[i], buf, len);
	}
	usleep(200000);
	for (unsigned i = 0; i < conns; i++) {
		if (fds[i] < 0)
			continue;
		/* did the server close this one already (RFC 7766 6.2.4)? */
		char c;
		struct pollfd pf = { fds[i], POLLIN, 0 };
		if (poll(&pf, 1, 0) == 1 && (pf.revents & (POLLHUP | POLLERR)))
			closed_by_server++;
		else if (poll(&pf, 1, 0) == 1 && recv(fds[i], &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
			closed_by_server++;
		if (i % 2) {
			/* a reset instead of a FIN */
			struct linger lg = { 1, 0 };
			setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		}
		close(fds[i]);
	}
	printf("conns=%u opened=%u failed=%u closed_by_server=%u seconds=%.2f\n", conns, opened,
	       failed, closed_by_server, now_s() - t0);
	free(fds);
	return 0;
}

static long rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Clients that never read: what dnsd queues for them must stay bounded
 * (tcp.c stops reading a connection above WQ_MAX unsent octets). */
static int flood_slow(int port, unsigned conns, int pid)
{
	struct sockaddr_in to = target(port);
	int *fds = calloc(conns, sizeof *fds);
	static uint8_t chunk[65536];
	if (!fds)
		return 1;
	/* one query for the 12 large TXT records of huge-txt.example.test, repeated */
	uint8_t q[64];
	size_t ql = 12 + name_put(q + 14, "huge-txt.example.test");
	memset(q + 2, 0, 12);
	put16(q + 6, 1);
	put16(q + 2 + ql, 16);
	put16(q + 4 + ql, 1);
	ql += 4;
	put16(q, (unsigned)ql);
	size_t fl = ql + 2, cl = (sizeof chunk / fl) * fl;
	for (size_t o = 0; o < cl; o += fl)
		memcpy(chunk + o, q, fl);
	long before = rss_kb(pid);
	unsigned opened = 0;
	for (unsigned i = 0; i < conns; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		int small = 4096;
		setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
		if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&to, sizeof to)) {
			if (fds[i] >= 0)
				close(fds[i]);
			fds[i] = -1;
			continue;
		}
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		opened++;
	}
	/* send until dnsd stops reading every connection (or 3 s have passed) */
	uint64_t bytes = 0;
	double end = now_s() + 3.0;
	for (bool progress = true; progress && now_s() < end;) {
		progress = false;
		for (unsigned i = 0; i < conns; i++) {
			if (fds[i] < 0)
				continue;
			ssize_t n = send(fds[i], chunk, cl, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0) {
				bytes += (uint64_t)n;
				progress = true;
			}
		}
		if (!progress) {
			usleep(200000); /* dnsd may still be working through what it read */
			for (unsigned i = 0; i < conns && !progress; i++)
				if (fds[i] >= 0 &&
				    send(fds[i], chunk, cl, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
					progress = true;
		}
	}
	usleep(300000);
	long held = rss_kb(pid);
	for (unsigned i = 0; i < conns; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	usleep(500000);
	long after = rss_kb(pid);
	printf("conns=%u opened=%u query_bytes=%llu rss_before=%ld rss_held=%ld rss_after=%ld "
	       "per_conn_kb=%ld\n", conns, opened, (unsigned long long)bytes, before, held, after,
	       opened ? (held - before) / (long)opened : 0);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: flood udp PORT COUNT [SEED] | "
		                "flood tcp PORT CONNS [SEED] | flood slow PORT CONNS PID\n");
		return 2;
	}
	int port = atoi(argv[2]);
	unsigned long long n = strtoull(argv[3], NULL, 10);
	rng = 88172645463325252ull;
	if (argc > 4)
		rng = strtoull(argv[4], NULL, 10) * 0x9e3779b97f4a7c15ull + 1;
	if (port <= 0 || port > 65535 || n == 0 || n > 100000000ull) {
		fprintf(stderr, "flood: bad port or count\n");
		return 2;
	}
	if (!strcmp(argv[1], "udp"))
		return flood_udp(port, n);
	if (!strcmp(argv[1], "tcp"))
		return flood_tcp(port, n > 5000 ? 5000 : (unsigned)n);
	if (!strcmp(argv[1], "slow") && argc > 4)
		return flood_slow(port, n > 1000 ? 1000 : (unsigned)n, atoi(argv[4]));
	fprintf(stderr, "flood: mode is udp, tcp or slow\n");
	return 2;
}
