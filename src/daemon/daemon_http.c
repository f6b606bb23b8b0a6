/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The endpoint wired to the daemon: /metrics from the rendered exposition,
 * /healthz from the poll rounds. */
#include "daemon/daemon_http.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "base/log.h"
#include "base/prom.h"
#include "output/http.h"

bool ctw_daemon_healthy(const struct ctw_daemon *d, uint64_t now_us, char *reason, size_t len)
{
	uint64_t stale_us = CTW_HEALTH_STALE_ROUNDS * d->cfg.poll_interval_us;

	if (stale_us < CTW_HEALTH_STALE_MIN_US)
		stale_us = CTW_HEALTH_STALE_MIN_US;
	if (d->poll_failing) {
		snprintf(reason, len, "cannot read the conntrack count or max: %s", strerror(-d->poll_error));
		return false;
	}
	if (!d->last_good_poll_us) {
		snprintf(reason, len, "starting: no poll round has finished yet");
		return false;
	}
	if (now_us > d->last_good_poll_us && now_us - d->last_good_poll_us > stale_us) {
		snprintf(reason, len, "the last good poll round was %.1f s ago (poll_interval %.3g s)",
			 (double)(now_us - d->last_good_poll_us) / 1e6, (double)d->cfg.poll_interval_us / 1e6);
		return false;
	}
	return true;
}

static bool on_health(void *userdata, char *reason, size_t len)
{
	struct ctw_daemon *d = userdata;
	uint64_t now = 0;

	sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	return ctw_daemon_healthy(d, now, reason, len);
}

static const char *on_metrics(void *userdata, size_t *len)
{
	struct ctw_daemon *d = userdata;

	if (!d->metrics_ready || !d->metrics_good)
		return NULL;
	*len = d->metrics.len;
	return ctw_prom_text(&d->metrics);
}

int ctw_daemon_http_start(struct ctw_daemon *d)
{
	const struct ctw_http_ops ops = { .metrics = on_metrics, .health = on_health, .userdata = d };
	char err[512];
	int r;

	if (!d->cfg.metrics_listen.set)
		return 0;
	r = ctw_http_start(&d->http, &d->cfg.metrics_listen, d->event, &ops, err, sizeof(err));
	if (r < 0) {
		ctw_log(LOG_ERR, "%s; not starting (see [metrics] listen in %s)", err, d->cfg.source);
		d->fatal_said = true;
		return r;
	}
	ctw_log(LOG_INFO, "serving /metrics and /healthz on %s", d->cfg.metrics_listen.text);
	return 0;
}

void ctw_daemon_http_reload(struct ctw_daemon *d, const struct ctw_config *fresh)
{
	const char *running = d->http ? ctw_http_address(d->http) : "";
	const char *wanted = fresh->metrics_listen.set ? fresh->metrics_listen.text : "";

	if (strcmp(running, wanted) != 0)
		ctw_log(LOG_NOTICE, "[metrics] listen changed from \"%s\" to \"%s\": it takes effect when ctwarden "
			"is restarted; the endpoint stays as it is", running, wanted);
}

void ctw_daemon_http_stop(struct ctw_daemon *d)
{
	ctw_http_stop(d->http);
	d->http = NULL;
}
