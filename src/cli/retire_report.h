/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `ctwarden retire` did (or would do) in one network namespace, and
 * its two forms: lines of text and one JSON object per namespace. */
#ifndef CTW_RETIRE_REPORT_H
#define CTW_RETIRE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "base/topk.h"
#include "kernel/ct_retire.h"
#include "kernel/netns.h"
#include "policy/retire.h"

/* Idle-age buckets of what was (or would be) retired: < 1 min, < 1 h,
 * < 1 day, >= 1 day (the audit's, without "unknown": the rule never
 * retires an entry whose idle time it cannot bound). */
#define CTW_RETIRE_BUCKETS 4

struct ctw_retire_ns {
	struct ctw_netns_ref ref;
	bool own;                   /* the caller's own namespace */
	int err;                    /* -errno when the namespace was not handled (whole or part) */
	char err_text[512];
	uint64_t before_s;          /* the timeout's value found there */
	bool set_written;           /* --set wrote the new value */
	uint32_t known_s[CTW_RETIRE_KNOWN_MAX];  /* the values the rule weighed */
	unsigned n_known;
	struct ctw_retire_report rep;
	uint64_t bucket[CTW_RETIRE_BUCKETS];     /* requests (or, dry run, would-be requests) by idle age */
	double seconds;             /* the pass's wall time */
	const struct ctw_top *top;  /* what was (or would be) retired */
};

struct ctw_retire_run {
	const char *timeout;        /* "tcp_timeout_established" */
	uint64_t value_s;
	bool dry_run, set;
	unsigned top_n;
};

/* Bucket index of an idle time. */
unsigned ctw_retire_bucket(uint32_t idle_s);

void ctw_retire_print_text(FILE *out, const struct ctw_retire_run *run, const struct ctw_retire_ns *ns);
/* One namespace as a JSON object (NULL on allocation failure). */
struct json_object *ctw_retire_ns_json(const struct ctw_retire_run *run, const struct ctw_retire_ns *ns);

#endif
