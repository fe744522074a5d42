/* SPDX-License-Identifier: MIT */
/* Client side of dnsd's control socket (see dnsd/control.c for the server). */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "common/common.h"

int dns_control_request(const char *dir, const char *cmd, char *reply, size_t len, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if ((size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s/control.sock", dir) >=
	    sizeof sa.sun_path)
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int ret = 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		ret = -errno;
		goto out;
	}
	char line[300];
	int n = snprintf(line, sizeof line, "%s\n", cmd);
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		ret = -EIO;
		goto out;
	}
	size_t got = 0;
	uint64_t deadline = dns_now_ms() + (uint64_t)timeout_ms;
	while (got + 1 < len) {
		uint64_t now = dns_now_ms();
		if (now >= deadline) {
			ret = -ETIMEDOUT;
			goto out;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			continue;
		ssize_t r = recv(fd, reply + got, len - 1 - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(reply, '\n', got))
			break;
	}
	reply[got] = 0;
	char *nl = strchr(reply, '\n');
	if (nl)
		*nl = 0;
	if (got == 0)
		ret = -EIO;
out:
	close(fd);
	return ret;
}
