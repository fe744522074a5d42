/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdatomic.h>
#include <syslog.h>
#include <time.h>
#include "common/common.h"

static _Atomic int log_level = DNS_LOG_INFO;
static bool log_syslog;
static const char *log_tool; /* set: plain "tool: level: message" lines */

void dns_log_init(const char *ident, dns_log_level_t level, bool use_syslog)
{
	log_level = level;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void dns_log_init_tool(const char *ident)
{
	log_tool = ident;
	log_level = DNS_LOG_WARNING;
}

void dns_log_level_set(dns_log_level_t level) { log_level = level; }
dns_log_level_t dns_log_level_get(void) { return (dns_log_level_t)log_level; }

void dns_log(dns_log_level_t level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	if ((int)level > log_level)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (log_syslog) {
		syslog(prio[level], "%s", msg);
		return;
	}
	if (log_tool) {
		fprintf(stderr, "%s: %s: %s\n", log_tool, names[level], msg);
		return;
	}
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	/* one fprintf per line so concurrent threads do not interleave within a line */
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s: %s\n", tm.tm_year + 1900,
	        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
	        names[level], msg);
}
