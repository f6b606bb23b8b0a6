/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's Prometheus metrics: a node_exporter textfile ([metrics]
 * textfile), rewritten atomically when something changed (at most once per
 * round) and at least every [metrics] interval. Names, types and HELP come
 * from base/prom_metrics.h, the table the audit and the shipped rules use. */
#ifndef CTW_DAEMON_METRICS_H
#define CTW_DAEMON_METRICS_H

#include <stdint.h>

#include "daemon/manager.h"
#include "daemon/poller.h"

/* After a round: write the file if due. Failures are said once, then again
 * only after a success. */
void ctw_daemon_metrics_publish(struct ctw_daemon *d, const struct ctw_poll *p, uint64_t now_us);
/* A decision or event that the counters count ("max_raised", ...). */
void ctw_daemon_metrics_count(struct ctw_daemon *d, enum ctw_event kind);
void ctw_daemon_metrics_fini(struct ctw_daemon *d);

#endif
