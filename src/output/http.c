/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The HTTP endpoint (see http.h): libmicrohttpd in its external epoll mode,
 * driven by the caller's sd-event loop. */
#include "output/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "base/log.h"
#include "base/prom_metrics.h"

/* Below the poll timer: when both are due, the conntrack table comes first. */
#define HTTP_PRIORITY (SD_EVENT_PRIORITY_NORMAL + 10)
#define LISTEN_BACKLOG 64

struct ctw_http {
	struct MHD_Daemon *mhd;
	sd_event *event;
	sd_event_source *io, *timer;
	struct ctw_http_ops ops;
	struct ctw_listen addr;
	struct ctw_http_counts counts;
};

static const char *const path_label[CTW_HTTP_PATH__COUNT] = { "/metrics", "/healthz", "other" };
static const unsigned code_number[CTW_HTTP_CODE__COUNT] = { 200, 404, 405, 413, 414, 503 };
static const char *const error_label[CTW_HTTP_ERR__COUNT] = { "timeout", "client_abort", "read_error", "other" };

unsigned ctw_http_code_number(enum ctw_http_code c)
{
	return (unsigned)c < CTW_HTTP_CODE__COUNT ? code_number[c] : 500;
}

enum ctw_http_code ctw_http_route(const char *method, const char *url, bool has_body, enum ctw_http_path *path)
{
	*path = strcmp(url, "/metrics") == 0 ? CTW_HTTP_METRICS
		: strcmp(url, "/healthz") == 0 ? CTW_HTTP_HEALTHZ : CTW_HTTP_OTHER;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return CTW_HTTP_405;
	if (has_body)
		return CTW_HTTP_413;
	if (strlen(url) > CTW_HTTP_PATH_MAX)
		return CTW_HTTP_414;
	return *path == CTW_HTTP_OTHER ? CTW_HTTP_404 : CTW_HTTP_200;
}

/* Does the request announce a body? GET and HEAD have none; one that says
 * it has is refused rather than read. */
static bool announces_body(struct MHD_Connection *c)
{
	const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return true;
	return len && strcmp(len, "0") != 0;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code, const char *type, const char *body,
			      size_t len, bool copy, bool allow_header)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	r = MHD_create_response_from_buffer(len, (void *)body, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    (allow_header && MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ok = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);   /* the connection holds its own reference */
	return ok;
}

#define TEXT "text/plain; charset=utf-8"
#define EXPOSITION "text/plain; version=0.0.4; charset=utf-8"

static const char *refusal(enum ctw_http_code code)
{
	switch (code) {
	case CTW_HTTP_404: return "not found: only /metrics and /healthz are served\n";
	case CTW_HTTP_405: return "method not allowed: only GET and HEAD\n";
	case CTW_HTTP_413: return "a request body is not accepted\n";
	case CTW_HTTP_414: return "path too long\n";
	default: return "\n";
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct ctw_http *h = cls;
	enum ctw_http_path path;
	enum ctw_http_code code;
	char reason[256];
	enum MHD_Result ok;

	/* The first call has the headers. A refusal goes out at once (with a
	 * body still unread, libmicrohttpd then closes the connection); an
	 * answer waits for the second call, when the request is complete, so
	 * the connection can be kept alive for the next scrape. */
	if (!*req_cls) {
		*req_cls = h;
		code = ctw_http_route(method, url, announces_body(c), &path);
		if (code == CTW_HTTP_200)
			return MHD_YES;
	} else {
		if (*upload_data_size) {   /* a body that announced none: refused in the first call */
			*upload_data_size = 0;
			return MHD_YES;
		}
		code = ctw_http_route(method, url, false, &path);
	}
	if (code != CTW_HTTP_200) {
		const char *body = refusal(code);

		ok = answer(c, code_number[code], TEXT, body, strlen(body), false, code == CTW_HTTP_405);
	} else if (path == CTW_HTTP_HEALTHZ) {
		reason[0] = '\0';
		if (h->ops.health(h->ops.userdata, reason, sizeof(reason) - 1)) {
			ok = answer(c, MHD_HTTP_OK, TEXT, "ok\n", 3, false, false);
		} else {
			size_t n = strnlen(reason, sizeof(reason) - 2);

			reason[n] = '\n';
			reason[n + 1] = '\0';
			code = CTW_HTTP_503;
			ok = answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT, reason, n + 1, true, false);
		}
	} else {
		size_t len = 0;
		const char *text = h->ops.metrics(h->ops.userdata, &len);

		if (text) {
			ok = answer(c, MHD_HTTP_OK, EXPOSITION, text, len, true, false);
		} else {
			static const char none[] = "no metrics yet: the first poll round has not finished\n";

			code = CTW_HTTP_503;
			ok = answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT, none, sizeof(none) - 1, false, false);
		}
	}
	h->counts.requests[path][code]++;
	return ok;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct ctw_http *h = cls;
	int e = -1;

	switch (toe) {
	case MHD_REQUEST_TERMINATED_COMPLETED_OK:
	case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
		break;
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: e = CTW_HTTP_ERR_TIMEOUT; break;
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT: e = CTW_HTTP_ERR_CLIENT_ABORT; break;
	case MHD_REQUEST_TERMINATED_READ_ERROR: e = CTW_HTTP_ERR_READ; break;
	default: e = CTW_HTTP_ERR_OTHER; break;
	}
	if (e >= 0)
		h->counts.errors[e]++;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct ctw_http *h = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		h->counts.connections++;
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && h->counts.connections > 0)
		h->counts.connections--;
}

/* libmicrohttpd's own complaints (a failed accept, a send error): details
 * for debugging, not decisions. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	ctw_log(LOG_DEBUG, "http: %s", msg);
}

/* After every MHD_run: wake again when libmicrohttpd says (a connection's
 * timeout, or at once when it has work left), else only on its epoll fd. */
static void rearm(struct ctw_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;
	uint64_t now;

	if (MHD_get_timeout(h->mhd, &ms) != MHD_YES) {
		sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
		return;
	}
	if (sd_event_now(h->event, CLOCK_MONOTONIC, &now) < 0)
		return;
	sd_event_source_set_time(h->timer, now + (uint64_t)ms * 1000);
	sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
}

static void run(struct ctw_http *h)
{
	MHD_run(h->mhd);
	rearm(h);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	run(userdata);
	return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	run(userdata);
	return 0;
}

/* The socket is ours, so a bind error is an errno the operator can read. */
static int open_socket(const struct ctw_listen *a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (a->ipv6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->addr, 16);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->addr, 4);
		len = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A restart must not wait for the last run's TIME_WAIT connections. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static const char *hint(int r)
{
	switch (r) {
	case -EADDRINUSE: return " (another process has this port)";
	case -EADDRNOTAVAIL: return " (no interface of this host has that address)";
	case -EACCES: return " (ports below 1024 need CAP_NET_BIND_SERVICE, which the unit does not give)";
	case -EAFNOSUPPORT:
	case -EPERM: return " (the unit's RestrictAddressFamilies= must allow AF_INET and AF_INET6)";
	default: return "";
	}
}

int ctw_http_start(struct ctw_http **out, const struct ctw_listen *addr, sd_event *e,
		   const struct ctw_http_ops *ops, char *err, size_t errlen)
{
	const union MHD_DaemonInfo *info;
	struct ctw_http *h;
	int fd, r;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h) {
		ctw_set_err(err, errlen, "cannot listen on %s: %s", addr->text, strerror(ENOMEM));
		return -ENOMEM;
	}
	h->ops = *ops;
	h->addr = *addr;
	h->event = sd_event_ref(e);
	fd = open_socket(addr);
	if (fd < 0) {
		ctw_set_err(err, errlen, "cannot listen on %s: %s%s", addr->text, strerror(-fd), hint(fd));
		ctw_http_stop(h);
		return fd;
	}
	/* No MHD_USE_INTERNAL_POLLING_THREAD: MHD_run from our loop only. */
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (addr->ipv6 ? MHD_USE_IPv6 : 0), 0,
				  NULL, NULL, on_request, h,
				  MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)CTW_HTTP_CONNECTIONS,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)CTW_HTTP_CONNECTIONS_PER_IP,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CTW_HTTP_TIMEOUT_S,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CTW_HTTP_CONNECTION_MEMORY,
				  MHD_OPTION_STRICT_FOR_CLIENT, 1,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
				  MHD_OPTION_END);
	if (!h->mhd) {
		/* Whether a failed start closed the socket it was given is not
		 * documented: close it only if it is still open. */
		if (fcntl(fd, F_GETFD) >= 0)
			close(fd);
		r = -EIO;
		ctw_set_err(err, errlen, "cannot listen on %s: libmicrohttpd did not start (libmicrohttpd.so.12 "
			    "missing, or out of descriptors)", addr->text);
		ctw_http_stop(h);
		return r;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	r = info ? sd_event_add_io(e, &h->io, info->epoll_fd, EPOLLIN, on_io, h) : -EIO;
	if (r >= 0)
		r = sd_event_add_time(e, &h->timer, CLOCK_MONOTONIC, UINT64_MAX, 1000, on_timer, h);
	if (r >= 0)
		r = sd_event_source_set_priority(h->io, HTTP_PRIORITY);
	if (r >= 0)
		r = sd_event_source_set_priority(h->timer, HTTP_PRIORITY);
	if (r < 0) {
		ctw_set_err(err, errlen, "cannot listen on %s: cannot add it to the event loop: %s", addr->text,
			    strerror(-r));
		ctw_http_stop(h);
		return r;
	}
	rearm(h);
	*out = h;
	return 0;
}

void ctw_http_stop(struct ctw_http *h)
{
	if (!h)
		return;
	h->io = sd_event_source_disable_unref(h->io);
	h->timer = sd_event_source_disable_unref(h->timer);
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	h->event = sd_event_unref(h->event);
	free(h);
}

const struct ctw_http_counts *ctw_http_counts(const struct ctw_http *h)
{
	return &h->counts;
}

const char *ctw_http_address(const struct ctw_http *h)
{
	return h->addr.text;
}

void ctw_http_metrics(const struct ctw_http *h, struct ctw_prom *p)
{
	char code[12];
	struct ctw_prom_label l[2] = { { "path", NULL }, { "code", code } };

	ctw_prom_metric_family(p, CTW_M_HTTP_REQUESTS);
	for (int i = 0; i < CTW_HTTP_PATH__COUNT; i++) {
		for (int c = 0; c < CTW_HTTP_CODE__COUNT; c++) {
			uint64_t n = h->counts.requests[i][c];
			/* What a healthy endpoint answers is there from the start, so rate() works. */
			bool always = c == CTW_HTTP_200 && i != CTW_HTTP_OTHER;

			if (!n && !always)
				continue;
			l[0].value = path_label[i];
			snprintf(code, sizeof(code), "%u", code_number[c]);
			ctw_prom_sample_u64(p, l, 2, n);
		}
	}
	ctw_prom_metric_family(p, CTW_M_HTTP_ERRORS);
	for (int e = 0; e < CTW_HTTP_ERR__COUNT; e++) {
		const struct ctw_prom_label cause = { "cause", error_label[e] };

		ctw_prom_sample_u64(p, &cause, 1, h->counts.errors[e]);
	}
	ctw_prom_metric_family(p, CTW_M_HTTP_CONNECTIONS);
	ctw_prom_sample_u64(p, NULL, 0, h->counts.connections);
}
