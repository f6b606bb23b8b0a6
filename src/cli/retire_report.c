/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `ctwarden retire`'s report: text lines and JSON, one namespace at a time
 * (each is printed when its pass ends, so nothing is kept per namespace). */
#include "cli/retire_report.h"

#include <inttypes.h>
#include <string.h>

static const char *const reason_text[CTW_RETIRE_REASON__COUNT] = {
	[CTW_RETIRE_OTHER_TIMEOUT] = "another timeout",
	[CTW_RETIRE_WITHIN_NEW] = "within the new value",
	[CTW_RETIRE_OFFLOADED] = "offloaded or no timeout",
	[CTW_RETIRE_DYING] = "dying",
	[CTW_RETIRE_NAT] = "NATed",
	[CTW_RETIRE_EXCLUDED] = "excluded by mark or zone",
	[CTW_RETIRE_UNACKED] = "TCP data unacknowledged",
	[CTW_RETIRE_SPECIAL_WINDOW] = "within the special TCP timeouts",
	[CTW_RETIRE_UNKNOWN_HISTORY] = "more time left than any known value",
};

static const char *const bucket_key[CTW_RETIRE_BUCKETS] = { "under_1m", "under_1h", "under_1d", "over_1d" };
static const char *const bucket_text[CTW_RETIRE_BUCKETS] = { "<1min", "<1h", "<1d", ">=1d" };

unsigned ctw_retire_bucket(uint32_t idle_s)
{
	if (idle_s < 60)
		return 0;
	if (idle_s < 3600)
		return 1;
	if (idle_s < 86400)
		return 2;
	return 3;
}

static void print_top(FILE *out, const char *label, const struct ctw_top *t, enum ctw_top_view v, unsigned n)
{
	struct ctw_top_row row[100];
	unsigned got = ctw_top_list(t, v, row, n < 100 ? n : 100);

	if (!got)
		return;
	fprintf(out, "  %s:", label);
	for (unsigned i = 0; i < got; i++)
		fprintf(out, "%s %s %" PRIu64 "%s", i ? "," : "", row[i].key, row[i].count, row[i].error ? " (at most)" : "");
	fputc('\n', out);
}

void ctw_retire_print_text(FILE *out, const struct ctw_retire_run *run, const struct ctw_retire_ns *ns)
{
	const struct ctw_retire_report *r = &ns->rep;
	uint64_t kept = 0;

	fprintf(out, "netns %s (inode %" PRIu64 "): %s %" PRIu64 "s -> %" PRIu64 "s", ns->ref.name, ns->ref.inode,
		run->timeout, ns->before_s, run->value_s);
	if (ns->set_written)
		fputs(" (written)", out);
	else if (run->set && run->dry_run)
		fputs(" (dry run: --set would write it)", out);
	else if (!run->set)
		fputs(" (sysctl unchanged: --set writes it)", out);
	fputc('\n', out);
	if (ns->err && !r->seen) {
		fprintf(out, "  not handled: %s\n", ns->err_text);
		return;
	}
	if (run->dry_run)
		fprintf(out, "  dry run: would delete %" PRIu64 ", retime %" PRIu64, r->deleted, r->retimed);
	else
		fprintf(out, "  deleted %" PRIu64 ", retimed %" PRIu64, r->deleted, r->retimed);
	if (!run->dry_run)
		fprintf(out, ", gone meanwhile %" PRIu64 ", failed %" PRIu64, r->gone, r->failed);
	fprintf(out, " (of %" PRIu64 " entries of the protocol, one dump in %.3f s)\n", r->seen, ns->seconds);
	for (int i = 0; i < CTW_RETIRE_REASON__COUNT; i++)
		kept += r->kept[i];
	if (kept) {
		bool first = true;

		fprintf(out, "  kept %" PRIu64 ":", kept);
		for (int i = 0; i < CTW_RETIRE_REASON__COUNT; i++) {
			if (!r->kept[i])
				continue;
			fprintf(out, "%s %" PRIu64 " %s", first ? "" : ",", r->kept[i], reason_text[i]);
			first = false;
		}
		fputc('\n', out);
	}
	if (r->deleted + r->retimed) {
		fprintf(out, "  idle age of what %s:", run->dry_run ? "would go" : "was retired (requests)");
		for (int b = 0; b < CTW_RETIRE_BUCKETS; b++)
			fprintf(out, "%s %s %" PRIu64, b ? "," : "", bucket_text[b], ns->bucket[b]);
		fprintf(out, "; oldest %" PRIu32 " s\n", r->oldest_idle_s);
	}
	if (ns->top && run->top_n) {
		print_top(out, "top sources", ns->top, CTW_TOP_SOURCE, run->top_n);
		print_top(out, "top destinations", ns->top, CTW_TOP_DESTINATION, run->top_n);
		print_top(out, "top ports", ns->top, CTW_TOP_DPORT, run->top_n);
	}
	if (r->interrupted)
		fputs("  the table changed during the dump: entries added since were not looked at\n", out);
	if (ns->err)
		fprintf(out, "  error: %s\n", ns->err_text);
}

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static struct json_object *top_json(const struct ctw_top *t, enum ctw_top_view v, unsigned n)
{
	struct json_object *a = json_object_new_array();
	struct ctw_top_row row[100];
	unsigned got = ctw_top_list(t, v, row, n < 100 ? n : 100);

	for (unsigned i = 0; a && i < got; i++) {
		struct json_object *o = json_object_new_object();

		if (!o)
			continue;
		add(o, "key", json_object_new_string(row[i].key));
		add(o, "count", json_object_new_uint64(row[i].count));
		add(o, "error", json_object_new_uint64(row[i].error));
		json_object_array_add(a, o);
	}
	return a;
}

struct json_object *ctw_retire_ns_json(const struct ctw_retire_run *run, const struct ctw_retire_ns *ns)
{
	const struct ctw_retire_report *r = &ns->rep;
	struct json_object *o = json_object_new_object(), *kept, *buckets, *known, *top;

	if (!o)
		return NULL;
	add(o, "name", json_object_new_string(ns->ref.name));
	add(o, "inode", json_object_new_uint64(ns->ref.inode));
	add(o, "own", json_object_new_boolean(ns->own));
	add(o, "before_s", json_object_new_uint64(ns->before_s));
	add(o, "set_written", json_object_new_boolean(ns->set_written));
	known = json_object_new_array();
	for (unsigned i = 0; known && i < ns->n_known; i++)
		json_object_array_add(known, json_object_new_uint64(ns->known_s[i]));
	add(o, "known_s", known);
	add(o, "seen", json_object_new_uint64(r->seen));
	add(o, "deleted", json_object_new_uint64(r->deleted));
	add(o, "retimed", json_object_new_uint64(r->retimed));
	add(o, "gone", json_object_new_uint64(r->gone));
	add(o, "failed", json_object_new_uint64(r->failed));
	kept = json_object_new_object();
	for (int i = 0; kept && i < CTW_RETIRE_REASON__COUNT; i++)
		add(kept, ctw_retire_reason_name(i), json_object_new_uint64(r->kept[i]));
	add(o, "kept", kept);
	buckets = json_object_new_object();
	for (int b = 0; buckets && b < CTW_RETIRE_BUCKETS; b++)
		add(buckets, bucket_key[b], json_object_new_uint64(ns->bucket[b]));
	add(o, "idle_buckets", buckets);
	add(o, "oldest_idle_s", json_object_new_uint64(r->oldest_idle_s));
	add(o, "interrupted", json_object_new_boolean(r->interrupted));
	{
		char sec[320];   /* whatever the double: -Wformat-truncation */

		snprintf(sec, sizeof(sec), "%.3f", ns->seconds);
		add(o, "seconds", json_object_new_double_s(ns->seconds, sec));
	}
	if (ns->top && run->top_n) {
		top = json_object_new_object();
		if (top) {
			add(top, "sources", top_json(ns->top, CTW_TOP_SOURCE, run->top_n));
			add(top, "destinations", top_json(ns->top, CTW_TOP_DESTINATION, run->top_n));
			add(top, "ports", top_json(ns->top, CTW_TOP_DPORT, run->top_n));
		}
		add(o, "top", top);
	}
	add(o, "error", ns->err ? json_object_new_string(ns->err_text) : NULL);
	return o;
}
