/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The HTTP endpoint ([metrics] listen): GET /metrics and GET /healthz for
 * Prometheus and the kubelet's probes, served by libmicrohttpd from the
 * caller's sd-event loop (MHD's epoll fd is one more io source, its timeout
 * one more timer: no thread of its own).
 *
 * It knows nothing of the daemon: what it serves comes from two callbacks.
 * metrics() returns the exposition as last rendered (the daemon renders it
 * once per change for the textfile and for this endpoint); it is copied into
 * each response, so a render during a slow send never mixes two versions.
 * health() says whether the caller is healthy, and if not, why (one line).
 * Both run inside the loop and must be cheap: a stuck loop cannot answer at
 * all, which a probe's timeout turns into the failure it is.
 *
 * Served: GET or HEAD of /metrics (200, or 503 before the first render) and
 * /healthz (200 "ok", or 503 and the reason); any other method 405, a
 * request with a body 413 (and the connection is closed), a path longer than
 * CTW_HTTP_PATH_MAX 414, any other path 404. Bounded: CTW_HTTP_CONNECTIONS
 * connections, CTW_HTTP_CONNECTIONS_PER_IP from one address, each closed
 * after CTW_HTTP_TIMEOUT_S idle seconds, CTW_HTTP_CONNECTION_MEMORY bytes for
 * a request's line and headers (more: libmicrohttpd answers 414 or 431). */
#ifndef CTW_HTTP_H
#define CTW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "base/conf_values.h"
#include "base/prom.h"

#define CTW_HTTP_CONNECTIONS 64
#define CTW_HTTP_CONNECTIONS_PER_IP 16
#define CTW_HTTP_TIMEOUT_S 10
#define CTW_HTTP_CONNECTION_MEMORY (16u << 10)
#define CTW_HTTP_PATH_MAX 256

struct ctw_http_ops {
	/* The exposition, or NULL while there is none (then 503). */
	const char *(*metrics)(void *userdata, size_t *len);
	/* true when healthy; else false with a one-line reason in reason. */
	bool (*health)(void *userdata, char *reason, size_t len);
	void *userdata;
};

/* What the endpoint counts, for its own metrics. Paths: /metrics, /healthz,
 * anything else; codes: the answers it gives. */
enum ctw_http_path { CTW_HTTP_METRICS, CTW_HTTP_HEALTHZ, CTW_HTTP_OTHER, CTW_HTTP_PATH__COUNT };
enum ctw_http_code {
	CTW_HTTP_200, CTW_HTTP_404, CTW_HTTP_405, CTW_HTTP_413, CTW_HTTP_414, CTW_HTTP_503, CTW_HTTP_CODE__COUNT
};
/* A request the handler saw that did not end with its answer sent. */
enum ctw_http_error {
	CTW_HTTP_ERR_TIMEOUT,       /* the connection timed out mid-request */
	CTW_HTTP_ERR_CLIENT_ABORT,  /* the client closed it before the answer was sent */
	CTW_HTTP_ERR_READ,          /* reading from the socket failed */
	CTW_HTTP_ERR_OTHER,         /* libmicrohttpd gave up on it (out of memory, a send error) */
	CTW_HTTP_ERR__COUNT
};

struct ctw_http_counts {
	uint64_t requests[CTW_HTTP_PATH__COUNT][CTW_HTTP_CODE__COUNT];
	uint64_t errors[CTW_HTTP_ERR__COUNT];
	unsigned connections;       /* open now */
};

struct ctw_http;

/* Listen on addr and serve from e. On failure -errno and err says what
 * failed, naming the address ("cannot listen on 127.0.0.1:9747: Address
 * already in use"). libmicrohttpd is loaded here, on first use. */
int ctw_http_start(struct ctw_http **out, const struct ctw_listen *addr, sd_event *e,
		   const struct ctw_http_ops *ops, char *err, size_t errlen);
/* Close every connection and the socket. NULL is fine. */
void ctw_http_stop(struct ctw_http *h);

const struct ctw_http_counts *ctw_http_counts(const struct ctw_http *h);
/* The address as configured ("127.0.0.1:9747"). */
const char *ctw_http_address(const struct ctw_http *h);
/* Its own families (requests, errors, connections) into p. */
void ctw_http_metrics(const struct ctw_http *h, struct ctw_prom *p);

/* Pure, for the tests: the answer the endpoint gives to a request, before
 * it looks at health or metrics: 405, 413, 414, 404, or 200 for a path it
 * serves; *path says which for the counters. */
enum ctw_http_code ctw_http_route(const char *method, const char *url, bool has_body, enum ctw_http_path *path);
unsigned ctw_http_code_number(enum ctw_http_code c);

#endif
