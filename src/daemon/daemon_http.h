/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's side of the HTTP endpoint (output/http.h): it serves the
 * exposition daemon_metrics.c renders (one render, two outlets: the
 * textfile and /metrics) and answers /healthz from the poll rounds. */
#ifndef CTW_DAEMON_HTTP_H
#define CTW_DAEMON_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/manager.h"

/* /healthz is 503 once the last good round is older than this many poll
 * intervals (and never sooner than CTW_HEALTH_STALE_MIN_US): a round late
 * by a few intervals on a busy host is not yet a failure. */
#define CTW_HEALTH_STALE_ROUNDS 3
#define CTW_HEALTH_STALE_MIN_US 1000000ULL

/* [metrics] listen set: listen and serve from d's loop. 0 (also when off),
 * or -errno after saying why, naming the address. */
int ctw_daemon_http_start(struct ctw_daemon *d);
/* A reload does not move the endpoint: a changed listen is said to take
 * effect at the next start. Call before the new config replaces d->cfg. */
void ctw_daemon_http_reload(struct ctw_daemon *d, const struct ctw_config *fresh);
void ctw_daemon_http_stop(struct ctw_daemon *d);

/* What /healthz says at now_us (CLOCK_MONOTONIC): true, or false and a
 * one-line reason. */
bool ctw_daemon_healthy(const struct ctw_daemon *d, uint64_t now_us, char *reason, size_t len);

#endif
