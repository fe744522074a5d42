/* SPDX-License-Identifier: MIT */
/* dnsctl internals: the command table and what every command gets. */
#pragma once

#include <jansson.h>
#include "keymgr/keymgr.h"
#include "mailcore/mailcore.h"
#include "dnsd/engine.h"

typedef struct {
	const char *config;
	const char *state_dir;
	bool json;
	dns_state_t *st; /* opened on first use by ctl_state() */
	char cfg_state[1024];        /* state-dir from the config file */
	keymgr_policies_t policies;  /* "default" and the config's [policy NAME] */
	char listen[80];             /* the config's first listen address (dnsctl check) */
	mailcore_server_t secondary[16]; /* the config's secondaries */
	size_t nsecondary;
} ctl_t;

typedef struct {
	const char *group, *verb; /* verb NULL: the group is the whole command */
	int (*run)(ctl_t *ctl, int argc, char **argv);
	const char *args;  /* synopsis after "dnsctl GROUP VERB" */
	const char *help;  /* what it does, and its options */
} ctl_cmd_t;

extern const ctl_cmd_t ctl_zone_cmds[];
extern const ctl_cmd_t ctl_record_cmds[];
extern const ctl_cmd_t ctl_server_cmds[];
extern const ctl_cmd_t ctl_key_cmds[];
extern const ctl_cmd_t ctl_mail_cmds[];
extern const ctl_cmd_t ctl_mailhost_cmds[];
extern const ctl_cmd_t ctl_dkim_cmds[];
extern const ctl_cmd_t ctl_check_cmds[];
extern const ctl_cmd_t ctl_tsig_cmds[];

/** \brief A domain name argument (absolute with or without the final dot, not the
 * root), lowercased; prints "CMD: WHAT 'S': why". \retval 0 or 1 */
int ctl_name_arg(const char *cmd, const char *what, const char *s, uint8_t out[ZONES_NAME_MAX]);
/** \brief "30", "30s", "15m", "12h", "90d" -> seconds, at least \p min. \retval 0 or 1 */
int ctl_duration_arg(const char *cmd, const char *opt, const char *v, uint32_t min, uint32_t *out);
/** \brief ISO 8601 UTC time, or "" for 0. */
void ctl_timestr(int64_t t, char *out, size_t len);
/** The value of option argv[*i] (advancing *i), or NULL after printing why. */
const char *ctl_opt_value(int argc, char **argv, int *i, const char *cmd);

/** Tell a running dnsd the state changed; returns once it serves the change. */
void ctl_notify(ctl_t *ctl);

/** Open the state (creating it) or say why not; \retval 0 or exit code */
int ctl_state(ctl_t *ctl, dns_state_t **st);
/** The same for commands that only read: a missing state is an error. */
int ctl_state_existing(ctl_t *ctl, dns_state_t **st);
/** Print "dnsctl: MESSAGE" to stderr; returns 1 (the exit code for errors) */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Parse a zone name argument; prints the error. \retval 0 or 1 */
int ctl_zone_arg(const char *s, uint8_t apex[ZONES_NAME_MAX]);
/**
 * \brief What a list command does: \p collect fills a JSON array in one read
 * transaction (returning > 0 after printing its own error, < 0 for a state
 * error); with --json the array is printed (its one element when \p one), else
 * \p line prints each element. \retval the exit code
 */
int ctl_list(ctl_t *ctl, int (*collect)(dns_state_txn_t *txn, json_t *arr, void *arg), void *arg,
             bool one, void (*line)(json_t *row));
/** Print \p j as JSON on stdout and free it. */
void ctl_json_print(json_t *j);
/** Is argv[i] --help/-h anywhere? */
bool ctl_wants_help(int argc, char **argv);
void ctl_cmd_usage(const ctl_cmd_t *c, FILE *f);
