/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The audit report: human text for 80 columns, JSON (json-c), and Prometheus
 * metrics (the text exposition format, base/prom.h). */
#ifndef CTW_REPORT_H
#define CTW_REPORT_H

#include <stdio.h>

struct ctw_host;
struct ctw_config;
struct ctw_findings;
struct ctw_prom;

void ctw_report_text(FILE *out, const struct ctw_host *h, const struct ctw_config *c,
		     const struct ctw_findings *f);
/* 0 or -ENOMEM / -EIO. */
int ctw_report_json(FILE *out, const struct ctw_host *h, const struct ctw_config *c,
		    const struct ctw_findings *f);

/* What the Prometheus form needs beyond the snapshot. */
struct ctw_report_prom_meta {
	const char *version;     /* ctwarden_build_info{version} */
	const char *netns;       /* the netns label: "host", a /run/netns name, "docker <id>", "pid N" */
	double poll_time;        /* Unix time the snapshot was read, in seconds */
	double poll_duration;    /* seconds reading it took */
};

/* The metrics into p (pure): 0, or the builder's error (base/prom.h). */
int ctw_report_prom_build(struct ctw_prom *p, const struct ctw_host *h, const struct ctw_config *c,
			  const struct ctw_findings *f, const struct ctw_report_prom_meta *m);
/* Built then written whole: 0, the builder's error, or -EIO. */
int ctw_report_prometheus(FILE *out, const struct ctw_host *h, const struct ctw_config *c,
			  const struct ctw_findings *f, const struct ctw_report_prom_meta *m);

#endif
