/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table behind prom_metrics.h. Labels "netns" (the namespace's name as
 * kernel/netns.c gives it: "host", a /run/netns name, "docker <id>", "pid N")
 * and "netns_inode" (its inode in decimal) identify a network namespace. */
#include "base/prom_metrics.h"

#include <errno.h>

#define NS "netns,netns_inode"

static const struct ctw_metric_desc table[CTW_M__COUNT] = {
	[CTW_M_UP] = { "ctwarden_up", CTW_PROM_GAUGE, "",
		       "1 when the writer of these metrics (the daemon or the audit) is healthy." },
	[CTW_M_BUILD_INFO] = { "ctwarden_build_info", CTW_PROM_GAUGE, "version",
			       "Always 1; version is the ctwarden that wrote these metrics." },
	[CTW_M_ENTRIES] = { "ctwarden_conntrack_entries", CTW_PROM_GAUGE, NS,
			    "Entries in the namespace's conntrack table (nf_conntrack_count)." },
	[CTW_M_LIMIT] = { "ctwarden_conntrack_limit", CTW_PROM_GAUGE, NS,
			  "Entries the namespace's table may hold: nf_conntrack_max as checked there." },
	[CTW_M_USAGE_RATIO] = { "ctwarden_conntrack_usage_ratio", CTW_PROM_GAUGE, NS,
				"Entries divided by the limit, 0 to 1." },
	[CTW_M_TIME_TO_FULL] = { "ctwarden_conntrack_time_to_full_seconds", CTW_PROM_GAUGE, NS,
				 "Projected seconds until the table is full at the current growth; +Inf when not growing." },
	[CTW_M_NEW_RATE] = { "ctwarden_conntrack_new_per_second", CTW_PROM_GAUGE, NS,
			     "Smoothed rate of NEW conntrack events." },
	[CTW_M_DESTROY_RATE] = { "ctwarden_conntrack_destroy_per_second", CTW_PROM_GAUGE, NS,
				 "Smoothed rate of DESTROY conntrack events." },
	[CTW_M_DROPS] = { "ctwarden_conntrack_drops_total", CTW_PROM_COUNTER, NS,
			  "Packets dropped because no conntrack entry could be made (kernel \"drop\", summed over CPUs)." },
	[CTW_M_EARLY_DROPS] = { "ctwarden_conntrack_early_drops_total", CTW_PROM_COUNTER, NS,
				"Entries evicted early to make room in a full table (kernel \"early_drop\", summed over CPUs)." },
	[CTW_M_EVENTS] = { "ctwarden_conntrack_events_total", CTW_PROM_COUNTER, NS ",type",
			   "Conntrack events received, by type (new, destroy)." },
	[CTW_M_EVENT_OVERRUNS] = { "ctwarden_conntrack_event_overruns_total", CTW_PROM_COUNTER, NS,
				   "Times the event socket overran (ENOBUFS): events were lost." },
	[CTW_M_BUCKETS] = { "ctwarden_conntrack_buckets", CTW_PROM_GAUGE, "",
			    "Hash table buckets (nf_conntrack_buckets, global)." },
	[CTW_M_KNOB_VALUE] = { "ctwarden_knob_value", CTW_PROM_GAUGE, "knob,netns",
			       "Current value of a sysctl ctwarden manages (knob: its name without \"net.netfilter.\")." },
	[CTW_M_KNOB_ORIGINAL] = { "ctwarden_knob_original_value", CTW_PROM_GAUGE, "knob,netns",
				  "Value a sysctl had before ctwarden first changed it (only knobs it changed)." },
	[CTW_M_DECISIONS] = { "ctwarden_decisions_total", CTW_PROM_COUNTER, "kind",
			      "Changes ctwarden made or saw, by kind (max_raised, max_lowered, hash_resized, "
			      "timeout_shortened, timeout_restored, outside_change)." },
	[CTW_M_LIMIT_REACHED] = { "ctwarden_limit_reached", CTW_PROM_GAUGE, "",
				  "1 when ctwarden wants to raise nf_conntrack_max but max_ceiling or the memory budget stops it." },
	[CTW_M_YIELDED_KNOBS] = { "ctwarden_yielded_knobs", CTW_PROM_GAUGE, "",
				  "Knobs ctwarden stopped managing after someone else changed them." },
	[CTW_M_NETNS_WATCHED] = { "ctwarden_netns_watched", CTW_PROM_GAUGE, "",
				  "Network namespaces whose conntrack table ctwarden watches." },
	[CTW_M_NETNS_UNWATCHABLE] = { "ctwarden_netns_unwatchable", CTW_PROM_GAUGE, "",
				      "Network namespaces ctwarden found but could not watch." },
	[CTW_M_NETNS_POD] = { "ctwarden_netns_pod_info", CTW_PROM_GAUGE, NS ",pod_namespace,pod",
			      "Always 1; the Kubernetes pod a watched namespace belongs to (join on netns_inode)." },
	[CTW_M_LAST_POLL] = { "ctwarden_last_poll_timestamp_seconds", CTW_PROM_GAUGE, "",
			      "Unix time the values were last read." },
	[CTW_M_POLL_DURATION] = { "ctwarden_poll_duration_seconds", CTW_PROM_GAUGE, "",
				  "Seconds the last reading of the values took." },
	[CTW_M_AUDIT_STATUS] = { "ctwarden_audit_status", CTW_PROM_GAUGE, "",
				 "Verdict of ctwarden audit, as its exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN." },
	[CTW_M_AUDIT_FINDINGS] = { "ctwarden_audit_findings", CTW_PROM_GAUGE, "severity",
				   "Findings of ctwarden audit by severity (the audit shows each with its remedy)." },
	[CTW_M_HTTP_REQUESTS] = { "ctwarden_http_requests_total", CTW_PROM_COUNTER, "path,code",
				  "Requests the HTTP endpoint answered, by path (/metrics, /healthz, other) and status code." },
	[CTW_M_HTTP_ERRORS] = { "ctwarden_http_request_errors_total", CTW_PROM_COUNTER, "cause",
				"Requests of the HTTP endpoint that ended before their answer was sent, by cause "
				"(timeout, client_abort, read_error, other)." },
	[CTW_M_HTTP_CONNECTIONS] = { "ctwarden_http_connections", CTW_PROM_GAUGE, "",
				     "Connections open to the HTTP endpoint." },
	[CTW_M_ENTRIES_RETIRED] = { "ctwarden_entries_retired_total", CTW_PROM_COUNTER, NS ",timeout,action",
				    "Entries retirement passes deleted or retimed after a timeout was shortened, by timeout "
				    "and action (deleted, retimed)." },
	[CTW_M_RETIRE_DURATION] = { "ctwarden_retire_last_duration_seconds", CTW_PROM_GAUGE, NS,
				    "Seconds the namespace's last retirement pass took." },
};

const struct ctw_metric_desc *ctw_metric_desc(enum ctw_metric m)
{
	return (unsigned)m < CTW_M__COUNT ? &table[m] : NULL;
}

void ctw_prom_metric_family(struct ctw_prom *p, enum ctw_metric m)
{
	const struct ctw_metric_desc *d = ctw_metric_desc(m);

	if (!d) {
		if (!p->err)
			p->err = -EINVAL;
		return;
	}
	ctw_prom_family(p, d->name, d->type, d->help);
}
