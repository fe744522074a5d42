/* SPDX-License-Identifier: MIT */
/* dnsctl status, dnsctl reload: talk to the running dnsd over its control socket. */
#include <stdio.h>
#include <string.h>
#include "tools/ctl.h"

static int request(ctl_t *ctl, const char *cmd, char *reply, size_t len)
{
	int ret = dns_control_request(ctl->state_dir, cmd, reply, len, 10000);
	if (ret == -ENOENT || ret == -ECONNREFUSED)
		return ctl_fail("no dnsd is running on the state %s", ctl->state_dir);
	if (ret)
		return ctl_fail("dnsd on %s: %s", ctl->state_dir, dns_strerror(ret));
	if (strncmp(reply, "error", 5) == 0)
		return ctl_fail("dnsd: %s", reply);
	return 0;
}

static int status(ctl_t *ctl, int argc, char **argv)
{
	if (argc)
		return ctl_fail("status: unexpected argument '%s'", argv[0]);
	char reply[2048];
	if (request(ctl, "status", reply, sizeof reply))
		return 1;
	json_error_t jerr;
	json_t *j = json_loads(reply, 0, &jerr);
	if (!j)
		return ctl_fail("dnsd sent an unreadable status: %s", jerr.text);
	if (ctl->json) {
		ctl_json_print(j);
		return 0;
	}
	printf("dnsd %s running for %llds, serving %lld zones\n",
	       json_string_value(json_object_get(j, "version")),
	       (long long)json_integer_value(json_object_get(j, "uptime")),
	       (long long)json_integer_value(json_object_get(j, "zones")));
	const char *keys[] = { "queries", "noerror", "nxdomain", "refused", "formerr", "notimp",
		               "truncated", "dropped", "tcp_clients" };
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		printf("  %-12s %lld\n", keys[i],
		       (long long)json_integer_value(json_object_get(j, keys[i])));
	json_decref(j);
	return 0;
}

static int reload(ctl_t *ctl, int argc, char **argv)
{
	if (argc)
		return ctl_fail("reload: unexpected argument '%s'", argv[0]);
	char reply[2048];
	if (request(ctl, "reload", reply, sizeof reply))
		return 1;
	printf("dnsd reloaded its configuration\n");
	return 0;
}

const ctl_cmd_t ctl_server_cmds[] = {
	{ "status", NULL, status, "[--json]",
	  "Show whether dnsd runs on this state, how many zones it serves, and its counters." },
	{ "reload", NULL, reload, "",
	  "Make dnsd re-read its configuration file and the state (as SIGHUP does)." },
	{ NULL, NULL, NULL, NULL, NULL }
};
