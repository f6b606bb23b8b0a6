/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctwarden's metrics: one table of names, types, label names and HELP texts
 * for every writer (the daemon's textfile, `audit --format=prometheus`).
 * node_exporter's textfile collector refuses a metric whose HELP differs
 * between two files, and the rules and dashboard rely on the names, so no
 * writer spells them itself. The shipped contract is
 * contrib/prometheus/metrics.txt; a unit test keeps this table equal to it. */
#ifndef CTW_PROM_METRICS_H
#define CTW_PROM_METRICS_H

#include "base/prom.h"

enum ctw_metric {
	CTW_M_UP,
	CTW_M_BUILD_INFO,
	CTW_M_ENTRIES,
	CTW_M_LIMIT,
	CTW_M_USAGE_RATIO,
	CTW_M_TIME_TO_FULL,
	CTW_M_NEW_RATE,
	CTW_M_DESTROY_RATE,
	CTW_M_DROPS,
	CTW_M_EARLY_DROPS,
	CTW_M_EVENTS,
	CTW_M_EVENT_OVERRUNS,
	CTW_M_BUCKETS,
	CTW_M_KNOB_VALUE,
	CTW_M_KNOB_ORIGINAL,
	CTW_M_DECISIONS,
	CTW_M_LIMIT_REACHED,
	CTW_M_YIELDED_KNOBS,
	CTW_M_NETNS_WATCHED,
	CTW_M_NETNS_UNWATCHABLE,
	CTW_M_NETNS_POD,
	CTW_M_LAST_POLL,
	CTW_M_POLL_DURATION,
	CTW_M_AUDIT_STATUS,
	CTW_M_AUDIT_FINDINGS,
	CTW_M_HTTP_REQUESTS,
	CTW_M_HTTP_ERRORS,
	CTW_M_HTTP_CONNECTIONS,
	CTW_M_ENTRIES_RETIRED,
	CTW_M_RETIRE_DURATION,
	CTW_M__COUNT
};

struct ctw_metric_desc {
	const char *name;
	enum ctw_prom_type type;
	const char *labels;   /* label names in the order samples carry them, comma-separated; "" for none */
	const char *help;
};

/* NULL for an id out of range. */
const struct ctw_metric_desc *ctw_metric_desc(enum ctw_metric m);

/* Start m's family in p with its name, type and help. */
void ctw_prom_metric_family(struct ctw_prom *p, enum ctw_metric m);

#endif
