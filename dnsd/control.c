/* SPDX-License-Identifier: MIT */
/*
 * The control socket, STATEDIR/control.sock (mode 0600, DESIGN.md section 3):
 * one command line in, one reply line out, then the connection closes.
 *   notify  - the state changed: rebuild now; replies once the change is served
 *   status  - a JSON object with the serving state and counters
 *   reload  - as SIGHUP
 *   zone Z  - a JSON object: zone Z's serial served and its NOTIFY state
 * Only the owner of the state directory can connect (the directory is 0700).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "dnsd/server_int.h"

#define LINE_MAX_ 1100

struct dnsd_control {
	uv_pipe_t server;
	uv_loop_t *loop;
	dnsd_control_ops_t ops;
	char path[1100];
};

typedef struct {
	uv_pipe_t h;
	uv_timer_t timer;
	struct dnsd_control *ctl;
	char line[LINE_MAX_];
	size_t len;
	int pending;
	bool done;
} client_t;

typedef struct {
	uv_write_t req;
	char data[];
} cwrite_t;

static void client_freed(uv_handle_t *h)
{
	client_t *c = h->data;
	if (--c->pending == 0)
		free(c);
}

static void client_close(client_t *c)
{
	if (c->done)
		return;
	c->done = true;
	c->pending = 2;
	uv_close((uv_handle_t *)&c->timer, client_freed);
	uv_close((uv_handle_t *)&c->h, client_freed);
}

static void written(uv_write_t *req, int status)
{
	client_t *c = req->handle->data;
	free(req->data);
	client_close(c);
}

static void reply(client_t *c, const char *text)
{
	size_t n = strlen(text);
	cwrite_t *w = malloc(sizeof *w + n + 1);
	if (!w) {
		client_close(c);
		return;
	}
	memcpy(w->data, text, n);
	w->data[n] = '\n';
	w->req.data = w;
	uv_buf_t b = uv_buf_init(w->data, (unsigned)n + 1);
	uv_read_stop((uv_stream_t *)&c->h);
	if (uv_write(&w->req, (uv_stream_t *)&c->h, &b, 1, written)) {
		free(w);
		client_close(c);
	}
}

static void on_alloc(uv_handle_t *h, size_t s, uv_buf_t *buf)
{
	client_t *c = h->data;
	buf->base = c->line + c->len;
	buf->len = sizeof c->line - 1 - c->len;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	client_t *c = s->data;
	if (n < 0) {
		client_close(c);
		return;
	}
	c->len += (size_t)n;
	c->line[c->len] = 0;
	char *nl = strchr(c->line, '\n');
	if (!nl) {
		if (c->len >= sizeof c->line - 1)
			reply(c, "error: command too long");
		return;
	}
	*nl = 0;
	char out[16384];
	const dnsd_control_ops_t *ops = &c->ctl->ops;
	if (!strcmp(c->line, "notify"))
		ops->notify(ops->arg, out, sizeof out);
	else if (!strcmp(c->line, "status"))
		ops->status(ops->arg, out, sizeof out);
	else if (!strcmp(c->line, "reload"))
		ops->reload(ops->arg, out, sizeof out);
	else if (!strncmp(c->line, "zone ", 5))
		ops->zone(ops->arg, c->line + 5, out, sizeof out);
	else
		snprintf(out, sizeof out, "error: unknown command");
	reply(c, out);
}

static void on_timeout(uv_timer_t *t)
{
	client_close(t->data);
}

static void on_connect(uv_stream_t *server, int status)
{
	struct dnsd_control *ctl = server->data;
	if (status < 0)
		return;
	client_t *c = calloc(1, sizeof *c);
	if (!c)
		return;
	c->ctl = ctl;
	uv_pipe_init(ctl->loop, &c->h, 0);
	uv_timer_init(ctl->loop, &c->timer);
	c->h.data = c;
	c->timer.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->h)) {
		client_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_timeout, 5000, 0);
	uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read);
}

int dnsd_control_start(uv_loop_t *loop, const char *dir, const dnsd_control_ops_t *ops,
                       dnsd_control_t **out)
{
	struct dnsd_control *ctl = calloc(1, sizeof *ctl);
	if (!ctl)
		return DNS_ENOMEM;
	ctl->loop = loop;
	ctl->ops = *ops;
	snprintf(ctl->path, sizeof ctl->path, "%s/control.sock", dir);
	if (strlen(ctl->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		dns_log_error("state directory %s: path too long for its control socket (at most "
		              "%zu characters)", dir,
		              sizeof(((struct sockaddr_un *)0)->sun_path) - 1 - strlen("/control.sock"));
		free(ctl);
		return -ENAMETOOLONG;
	}
	/* Two dnsd on one state would both write serials: refuse.  A socket
	 * nobody answers on was left by a dnsd that died. */
	char r[64];
	if (dns_control_request(dir, "status", r, sizeof r, 2000) == 0) {
		dns_log_error("another dnsd is already serving the state %s", dir);
		free(ctl);
		return DNS_EEXIST;
	}
	unlink(ctl->path);
	uv_pipe_init(loop, &ctl->server, 0);
	ctl->server.data = ctl;
	mode_t old = umask(0077);
	int ret = uv_pipe_bind(&ctl->server, ctl->path);
	umask(old);
	if (ret == 0)
		ret = uv_listen((uv_stream_t *)&ctl->server, 16, on_connect);
	if (ret) {
		dns_log_error("control socket %s: %s", ctl->path, uv_strerror(ret));
		uv_close((uv_handle_t *)&ctl->server, NULL);
		*out = ctl;
		return ret;
	}
	chmod(ctl->path, 0600);
	*out = ctl;
	return 0;
}

void dnsd_control_stop(dnsd_control_t *ctl)
{
	if (!ctl)
		return;
	if (!uv_is_closing((uv_handle_t *)&ctl->server))
		uv_close((uv_handle_t *)&ctl->server, NULL);
	unlink(ctl->path);
}

void dnsd_control_free(dnsd_control_t *ctl)
{
	free(ctl);
}
