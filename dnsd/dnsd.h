/* SPDX-License-Identifier: MIT */
/**
 * \file
 * \brief The dnsd daemon: configuration, the zone builder and the server.
 *
 * The query engine (bytes in, bytes out) is declared in dnsd/engine.h and
 * has no dependency on libuv; everything else in dnsd/ runs the sockets,
 * timers and the state.
 */
#pragma once

#include <sys/socket.h>
#include "dnsd/engine.h"
#include "keymgr/keymgr.h"
#include "mailcore/mailcore.h"

#define DNSD_MAX_LISTEN 16
#define DNSD_MAX_SECONDARY 16
#define DNSD_CONFIG_DEFAULT "/etc/dnsd/dnsd.conf"

typedef struct {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char text[80]; /*!< as given, for messages */
} dnsd_listen_t;

/** Everything dnsd.conf can say (see doc/dnsd.conf.md and etc/dnsd.conf). */
typedef struct {
	char config_path[1024];    /*!< the file read at start and on reload */
	bool config_required;      /*!< given with -c: must exist */
	bool debug_forced;         /*!< -v: debug logging whatever the file says */
	char state_dir[1024];
	dnsd_listen_t listen[DNSD_MAX_LISTEN];
	unsigned nlisten;
	unsigned workers;          /*!< UDP worker threads per listen address; 0 = one per CPU */
	dns_log_level_t log_level;
	bool log_syslog;           /*!< without -f: syslog (default) or stderr */
	unsigned tcp_idle_ms;      /*!< RFC 7766 6.2.3 idle timeout */
	unsigned tcp_max_clients;
	unsigned poll_ms;          /*!< how often the state is checked for commits (100) */
	dnsd_engine_conf_t engine;
	keymgr_policies_t policies; /*!< built-in "default" plus [policy NAME] sections */
	mailcore_server_t secondary[DNSD_MAX_SECONDARY]; /*!< servers that copy every zone */
	uint8_t secondary_key[DNSD_MAX_SECONDARY][255]; /*!< TSIG key for NOTIFY, or "" */
	unsigned nsecondary;
	uint8_t catalog[255];      /*!< catalog zone name (RFC 9432), or catalog[0] == 0 */
	size_t journal_max;        /*!< IXFR journal bytes per zone (16 MiB) */
} dnsd_config_t;

/** \brief Defaults: state /var/lib/dnsd, listen on port 53 of all addresses.
 * \retval 0 or DNS_ENOMEM; dnsd_config_deinit frees what it holds */
_mustcheck_ int dnsd_config_defaults(dnsd_config_t *c);
void dnsd_config_deinit(dnsd_config_t *c);
/**
 * \brief Read a config file over the current values.
 * \param must_exist  false: a missing file is not an error (the default path)
 * \retval 0, or an error with \p err = "FILE:LINE: reason"
 */
_mustcheck_ int dnsd_config_load(dnsd_config_t *c, const char *path, bool must_exist, char *err,
                                 size_t errlen);
/** \brief Parse "ADDR@PORT", "ADDR" (port 53) or "[V6]:PORT" into \p out. */
_mustcheck_ int dnsd_listen_parse(const char *s, dnsd_listen_t *out);

/* ---- the builder: state -> compiled zones -> snapshot --------------------- */

typedef struct dnsd_builder dnsd_builder_t;

/** \param policies  must outlive the builder (the config's) */
_mustcheck_ int dnsd_builder_new(dns_state_t *st, const keymgr_policies_t *policies,
                                 dnsd_builder_t **out);
/** \brief Serve a catalog zone (RFC 9432) named \p name listing every zone. */
void dnsd_builder_catalog(dnsd_builder_t *b, const uint8_t *name);
/** \brief Keep an IXFR journal of \p maxbytes per zone: of every zone when \p all (the
 * configuration allows transfers), else of zones with their own transfer ACL. */
void dnsd_builder_journal(dnsd_builder_t *b, size_t maxbytes, bool all);
/** \brief When the next signed zone needs fresh signatures (unix time), 0: none. */
uint32_t dnsd_builder_next_due(const dnsd_builder_t *b);
void dnsd_builder_free(dnsd_builder_t *b);
/**
 * \brief Bring the compiled zones up to date with the committed state.
 * Zones whose generation did not change are reused as they are.  A zone that
 * fails to build keeps serving its last good version (and says so in the log).
 * Serials of changed zones are increased and persisted before anything is served.
 * \param seen  set to the last transaction id whose changes are now included
 *              (the state read, or our own serial write right after it)
 * \retval 0 with \p *snap a new snapshot (NULL if nothing changed), or an error
 */
_mustcheck_ int dnsd_builder_update(dnsd_builder_t *b, zones_snapshot_t **snap, uint64_t *seen);

/* ---- the IXFR journal (journal.c) ---- */
/** \brief Compare the served version \p c (serial \p serial) with the last one and
 * journal the difference, in one write transaction. */
_mustcheck_ int dnsd_journal_update(dns_state_t *st, const zones_content_t *c, uint32_t serial,
                                    size_t maxbytes, size_t *removed, size_t *added);
/** \brief The RRs of an IXFR answer from serial \p from to \p to (RFC 1995 4), as a run
 * for dnsd_xfr_ixfr_next. \retval 0, DNS_ENOENT (the journal does not reach it) */
_mustcheck_ int dnsd_journal_ixfr(dns_state_t *st, const uint8_t *apex, uint32_t from,
                                  uint32_t to, dns_buf_t *out);

/* ---- the server ---------------------------------------------------------------- */

/**
 * \brief Run dnsd until SIGTERM/SIGINT.
 * conf->config_path is read again on SIGHUP and `dnsctl reload`.
 * \retval 0 after a clean stop, or the startup error (already logged)
 */
int dnsd_server_run(dnsd_config_t *conf);
