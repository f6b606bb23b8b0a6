/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Findings: what is wrong with this host's connection tracking and the exact
 * command that fixes it, computed with the same limits the daemon obeys. Pure. */
#ifndef CTW_FINDINGS_H
#define CTW_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctw_host;
struct ctw_kmsg_clock;
struct ctw_config;

/* Values are the monitoring-plugin exit codes. INFO findings do not raise the status. */
enum ctw_status { CTW_STATUS_OK = 0, CTW_STATUS_WARNING = 1, CTW_STATUS_CRITICAL = 2, CTW_STATUS_UNKNOWN = 3 };
enum ctw_severity { CTW_SEV_INFO, CTW_SEV_WARNING, CTW_SEV_CRITICAL, CTW_SEV_UNKNOWN };

#define CTW_MAX_FINDINGS 24

struct ctw_finding {
	enum ctw_severity severity;
	char code[40];        /* stable, for scripts: "usage_critical", "drops_seen", ... */
	char message[320];
	char remedy[1024];    /* exact commands, one per line; "" when none */
};

struct ctw_findings {
	struct ctw_finding item[CTW_MAX_FINDINGS];
	unsigned n;
	enum ctw_status status;
};

void ctw_findings_evaluate(const struct ctw_host *h, const struct ctw_config *c, struct ctw_findings *out);

/* Whether the audit should take its bounded table sample (the NOTRACK advice's
 * only input): when this namespace's own table calls for the advice, that is
 * its usage is at or above warn, or its own drop counter is not 0 (when that
 * counter is unknown: table-full records that may be its own), and it holds
 * enough entries for a dominant port to mean anything. Never because of
 * another namespace's records: the kernel log is shared, the table is not. */
bool ctw_findings_want_sample(const struct ctw_host *h, const struct ctw_config *c);

/* Whether the audit should read the kernel log (ctw_host_read_kernel_log).
 * The log says what no counter of this namespace does: which namespaces'
 * tables were full, and when. That concerns the host (its max is the one
 * every namespace is held to; the records name the namespaces) and a
 * namespace that dropped packets (when it did) or whose drop counter is
 * unknown (the records may be its own). Inside another namespace whose drop
 * counter is 0, none of the records is its own (a namespace logs "table
 * full" only with a drop: policy/attribution.h) and a neighbour's full table
 * is the host's to judge, so the log is not read: on a long log it costs more
 * than the rest of the audit. */
bool ctw_findings_want_kernel_log(const struct ctw_host *h);

const char *ctw_status_name(enum ctw_status s);     /* "OK", "WARNING", "CRITICAL", "UNKNOWN" */
const char *ctw_severity_name(enum ctw_severity s); /* "info", "warning", "critical", "unknown" */

/* How bad a severity is, for sorting and the status: info 0 < warning 1 <
 * unknown 2 < critical 3 (the usual monitoring order: a known critical
 * outranks not knowing). */
int ctw_severity_rank(enum ctw_severity s);

/* "512 B", "64.0 KiB", "1.5 MiB", "23.4 GiB". */
void ctw_format_bytes(uint64_t bytes, char *buf, size_t len);

/* Wall-clock time of a kernel-log timestamp (usec since boot) by the clock
 * the host snapshot read: "2024-05-01 10:00:00 UTC", or ISO 8601
 * "2024-05-01T10:00:00Z" when iso. false (and "") when the time is unknown. */
bool ctw_format_kmsg_time(const struct ctw_kmsg_clock *clk, uint64_t usec, bool iso, char *buf, size_t len);

#endif
