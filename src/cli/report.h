/* The audit report: human text for 80 columns, and JSON (json-c). */
#ifndef CTW_REPORT_H
#define CTW_REPORT_H

#include <stdio.h>

struct ctw_host;
struct ctw_config;
struct ctw_findings;

void ctw_report_text(FILE *out, const struct ctw_host *h, const struct ctw_config *c,
		     const struct ctw_findings *f);
/* 0 or -ENOMEM / -EIO. */
int ctw_report_json(FILE *out, const struct ctw_host *h, const struct ctw_config *c,
		    const struct ctw_findings *f);

#endif
