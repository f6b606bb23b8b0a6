/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The audit for a human: a headline, the numbers behind it, the findings worst
 * first with their commands, and what could not be read. Fits 80 columns;
 * commands are never wrapped so they can be copied as they are. */
#include "cli/report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "base/conf.h"
#include "kernel/ct_top.h"
#include "policy/retire_idle.h"
#include "policy/attribution.h"
#include "policy/findings.h"
#include "kernel/host.h"
#include "base/timeouts.h"

#define WIDTH 80
#define LABEL_INDENT 2
#define VALUE_COL 20     /* table values start here */
#define MSG_INDENT 4     /* finding messages */
#define CMD_INDENT 6     /* remedy commands */

/* Print text word-wrapped to WIDTH. The caller already printed up to column
 * col; continuation lines start at column indent. A word longer than the
 * line is printed whole rather than cut. */
static void wrap(FILE *out, int col, int indent, const char *text)
{
	bool first_word = true;

	for (;;) {
		int len;

		text += strspn(text, " \n");
		if (!*text)
			break;
		len = (int)strcspn(text, " \n");
		if (!first_word) {
			if (col + 1 + len > WIDTH) {
				fprintf(out, "\n%*s", indent, "");
				col = indent;
			} else {
				fputc(' ', out);
				col++;
			}
		}
		/* A token longer than a line (a deep path) is cut where the line
		 * ends and goes on, indented, on the next. */
		while (col + len > WIDTH && WIDTH - col > 0 && len > WIDTH - indent) {
			int room = WIDTH - col;

			fwrite(text, 1, (size_t)room, out);
			fprintf(out, "\n%*s", indent, "");
			col = indent;
			text += room;
			len -= room;
		}
		fwrite(text, 1, (size_t)len, out);
		col += len;
		text += len;
		first_word = false;
	}
	fputc('\n', out);
}

/* Append to a NUL-terminated buffer, truncating quietly (vsnprintf: the
 * truncation is intended here, unlike what -Wformat-truncation assumes). */
static void __attribute__((format(printf, 3, 4))) put(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void row(FILE *out, const char *label, const char *value)
{
	int n = fprintf(out, "%*s%-*s", LABEL_INDENT, "", VALUE_COL - LABEL_INDENT - 1, label);

	fputc(' ', out);
	wrap(out, n + 1, VALUE_COL, value);
}

static void row_entries(FILE *out, const struct ctw_host *h)
{
	char v[160] = "";

	if (h->have_count)
		put(v, sizeof(v), "%" PRIu64, h->count);
	else
		put(v, sizeof(v), "unknown");
	if (!h->have_max)
		put(v, sizeof(v), " of an unknown max");
	else if (h->max == 0)
		put(v, sizeof(v), ", no max (unlimited)");
	else if (!h->have_count)
		put(v, sizeof(v), " of %" PRIu64 " max", h->max);
	else
		put(v, sizeof(v), " of %" PRIu64 " max (%.1f%%)", h->max, ctw_host_usage_pct(h));
	row(out, "entries", v);
}

static void row_buckets(FILE *out, const struct ctw_host *h, const struct ctw_config *c)
{
	char v[160] = "";

	if (!h->have_buckets)
		put(v, sizeof(v), "unknown");
	else if (h->have_max && h->max > 0 && h->buckets > 0)
		put(v, sizeof(v), "%" PRIu64 " (%.1f entries per bucket at max, target %g)",
		    h->buckets, (double)h->max / (double)h->buckets, c->buckets_ratio);
	else
		put(v, sizeof(v), "%" PRIu64, h->buckets);
	row(out, "buckets", v);
}

static void row_memory(FILE *out, const struct ctw_host *h)
{
	const struct ctw_memory *m = &h->memory;
	char now[32], at_max[32], ram[32], v[256] = "";

	if (!h->have_memory) {
		row(out, "memory", "unknown");
		return;
	}
	ctw_format_bytes(m->bytes_now, now, sizeof(now));
	ctw_format_bytes(m->bytes_at_max, at_max, sizeof(at_max));
	put(v, sizeof(v), "%s now, %s at max", now, at_max);
	if (m->memtotal_bytes) {
		ctw_format_bytes(m->memtotal_bytes, ram, sizeof(ram));
		put(v, sizeof(v), " (%.1f%% of %s RAM)", m->percent_of_ram_at_max, ram);
	} else {
		put(v, sizeof(v), " (RAM size unknown)");
	}
	put(v, sizeof(v), "; entry %" PRIu64 " B%s", m->object_size,
	    m->object_size_estimated ? " (estimated)" : "");
	row(out, "memory", v);
}

static void row_counters(FILE *out, const struct ctw_host *h)
{
	const struct ctw_counters *ct = &h->stats.counters;
	char v[512] = "";

	if (!h->have_stats) {
		row(out, "counters", "unknown");
		return;
	}
	/* The source goes in the value: "counters (netlink)" overflows the label column. */
	bool first = true;

	put(v, sizeof(v), "(%s)", ctw_stats_source_name(h->stats.source));
	for (int i = 0; i < CTW_CTR__COUNT; i++) {
		if (!(ct->present & (1u << i)))
			continue;
		put(v, sizeof(v), "%s%s %" PRIu64, first ? " " : ", ", ctw_counter_name((enum ctw_counter)i),
		    ct->value[i]);
		first = false;
	}
	if (first)
		put(v, sizeof(v), " none reported");
	row(out, "counters", v);
}

static void row_kmsg(FILE *out, const struct ctw_host *h)
{
	const struct ctw_table_full *t = &h->table_full;
	char first[40], last[40], v[768] = "";
	struct ctw_attr_netns self;
	bool earlier;

	ctw_attr_netns_of_host(h, &self);
	earlier = ctw_table_full_earlier(t, &self) > 0;
	if (h->kmsg_not_needed) {
		row(out, "kernel log", "not read: this netns dropped nothing, others are the host's");
		return;
	}
	if (!h->have_kmsg) {
		row(out, "kernel log", "unreadable");
		return;
	}
	put(v, sizeof(v), "%" PRIu64 " table-full, %" PRIu64 " expectation-full records",
	    t->records, t->expect_records);
	if (t->records && ctw_format_kmsg_time(&h->kmsg_clock, t->first_usec, false, first, sizeof(first)) &&
	    ctw_format_kmsg_time(&h->kmsg_clock, t->last_usec, false, last, sizeof(last)))
		put(v, sizeof(v), ", %s to %s", first, last);
	for (unsigned i = 0; i < t->n_netns && i < CTW_KMSG_MAX_NETNS; i++) {
		const struct ctw_table_full_netns *n = &t->netns[i];

		if (n->inode == 0)
			put(v, sizeof(v), "; no netns named: %" PRIu64, n->records);
		else
			put(v, sizeof(v), "; netns %" PRIu64 "%s: %" PRIu64, n->inode,
			    n->inode != h->self_netns_inode ? "" : earlier ? " (an earlier netns)" : " (this)",
			    n->records);
	}
	if (t->lost_records)
		put(v, sizeof(v), "; %" PRIu64 " records lost (overwritten)", t->lost_records);
	if (t->ignored_spoofed)
		put(v, sizeof(v), "; %" PRIu64 " ignored (not from the kernel)", t->ignored_spoofed);
	row(out, "kernel log", v);
}

/* Established always (it matters most); the others when they differ from the kernel default. */
static void rows_timeouts(FILE *out, const struct ctw_host *h)
{
	for (int i = 0; i < CTW_TO__COUNT; i++) {
		const struct ctw_timeout_info *ti = ctw_timeout_info((enum ctw_timeout)i);
		char v[128] = "", human[32];

		if (!h->have_timeout[i]) {
			if (i == CTW_TO_TCP_ESTABLISHED)
				row(out, ti->name, "unreadable");
			continue;
		}
		if (i != CTW_TO_TCP_ESTABLISHED && h->timeout[i] == ti->kernel_default)
			continue;
		human[0] = '\0';
		if (h->timeout[i] >= 60)  /* "30 s = 30s" says nothing */
			ctw_format_duration(h->timeout[i] * 1000000u, human, sizeof(human));
		put(v, sizeof(v), "%" PRIu64 " s%s%s (%s)", h->timeout[i], human[0] ? " = " : "", human,
		    h->timeout[i] == ti->kernel_default ? "kernel default" : "changed");
		/* Long names (tcp_timeout_unacknowledged) take the whole label column. */
		if (strlen(ti->name) >= VALUE_COL - LABEL_INDENT - 1) {
			fprintf(out, "%*s%s\n", LABEL_INDENT, "", ti->name);
			fprintf(out, "%*s", VALUE_COL, "");
			wrap(out, VALUE_COL, VALUE_COL, v);
		} else {
			row(out, ti->name, v);
		}
	}
}

static void row_sample(FILE *out, const struct ctw_host *h)
{
	const struct ctw_port_sample *p = &h->ports;
	char v[160] = "";

	if (!p->taken)
		return;
	if (p->sampled == 0) {
		row(out, "sample", "no entries");
		return;
	}
	put(v, sizeof(v), "%" PRIu64 " entries; top: %s port %u, %" PRIu64 " (%.0f%%)", p->sampled,
		 p->top_proto == IPPROTO_UDP ? "udp" : p->top_proto == IPPROTO_TCP ? "tcp" : "proto", p->top_port, p->top_count,
		 100.0 * (double)p->top_count / (double)p->sampled);
	row(out, "sample", v);
}

#define TOP_KEY_WIDTH 39     /* an IPv6 address */

static const struct {
	enum ctw_top_view view;
	const char *label;
} top_views[] = {
	{ CTW_TOP_SOURCE, "by source" },
	{ CTW_TOP_DESTINATION, "by destination" },
	{ CTW_TOP_DPORT, "by dest. port" },
	{ CTW_TOP_PROTOCOL, "by protocol" },
	{ CTW_TOP_TCP_STATE, "by TCP state" },
};

/* key, count (~ when an upper bound), percent: 78 columns at most. */
static void print_top(FILE *out, const struct ctw_host *h)
{
	const struct ctw_ct_top *t = h->top;
	struct ctw_top_row row[100];
	unsigned n = h->top_n < 100 ? h->top_n : 100;
	uint64_t worst_error = 0;

	fprintf(out, "\nWho fills the table (one dump: %" PRIu64 " entries)\n", t->entries);
	for (size_t v = 0; v < sizeof(top_views) / sizeof(top_views[0]); v++) {
		unsigned got = ctw_top_list(&t->top, top_views[v].view, row, n);

		fprintf(out, "%*s%-*s ", LABEL_INDENT, "", VALUE_COL - LABEL_INDENT - 1, top_views[v].label);
		if (got == 0)
			fputs("none\n", out);
		for (unsigned i = 0; i < got; i++) {
			char count[24] = "";

			put(count, sizeof(count), "%s%" PRIu64, row[i].error ? "~" : "", row[i].count);
			if (row[i].error > worst_error)
				worst_error = row[i].error;
			fprintf(out, "%*s%-*s %10s %5.1f%%\n", i ? VALUE_COL : 0, "", TOP_KEY_WIDTH,
				row[i].key, count, row[i].percent);
		}
	}
	if (worst_error) {
		char note[200] = "";

		put(note, sizeof(note), "~: an upper bound, over by at most %" PRIu64 " (each list keeps"
		    " the %u most counted keys).", worst_error, t->top.dim[0].capacity);
		fprintf(out, "%*s", LABEL_INDENT, "");
		wrap(out, LABEL_INDENT, LABEL_INDENT, note);
	}
}

/* One row per governing timeout with entries: its idle ages, and what
 * `ctwarden retire --timeout NAME=FLOOR` would delete. */
static void print_idle(FILE *out, const struct ctw_host *h)
{
	static const char *const label[CTW_IDLE__COUNT] = { "<1min", "<1h", "<1d", ">=1d", "unknown" };
	const struct ctw_table_idle *ti = h->idle;

	fputs("\nIdle age (same dump; from the time left and the values the timeout held)\n", out);
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		uint64_t sum = 0;
		char line[256] = "";

		for (int b = 0; b < CTW_IDLE__COUNT; b++)
			sum += ti->hist.n[t][b];
		if (!sum)
			continue;
		for (int b = 0; b < CTW_IDLE__COUNT; b++)
			put(line, sizeof(line), "%s%s %" PRIu64, b ? ", " : "", label[b], ti->hist.n[t][b]);
		fprintf(out, "%*s%s\n", LABEL_INDENT, "", ctw_timeout_info((enum ctw_timeout)t)->name);
		fprintf(out, "%*s%s\n", VALUE_COL, "", line);
		if (ti->have_rule[t])
			fprintf(out, "%*sidle past its %" PRIu32 " s floor: %" PRIu64 "\n", VALUE_COL, "", ti->floor_s[t],
				ti->beyond_floor[t]);
	}
}

static void print_findings(FILE *out, const struct ctw_findings *f)
{
	fputs("\nFindings\n", out);
	if (f->n == 0)
		fputs("  none: nothing to fix\n", out);
	for (unsigned i = 0; i < f->n; i++) {
		const struct ctw_finding *x = &f->item[i];
		const char *line = x->remedy;
		char sev[16] = "";

		put(sev, sizeof(sev), "%s", ctw_severity_name(x->severity));
		for (char *s = sev; *s; s++)
			*s = (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
		fprintf(out, "\n  %s %s\n%*s", sev, x->code, MSG_INDENT, "");
		wrap(out, MSG_INDENT, MSG_INDENT, x->message);
		while (*line) {
			size_t len = strcspn(line, "\n");

			fprintf(out, "%*s%.*s\n", CMD_INDENT, "", (int)len, line);
			line += len;
			if (*line == '\n')
				line++;
		}
	}
}

void ctw_report_text(FILE *out, const struct ctw_host *h, const struct ctw_config *c,
		     const struct ctw_findings *f)
{
	fprintf(out, "ctwarden audit: %s\n", ctw_status_name(f->status));
	if (h->loaded) {
		fprintf(out, "\nTable%s\n", h->global_writable ? "" : " (not the initial network namespace)");
		row_entries(out, h);
		row_buckets(out, h, c);
		row_memory(out, h);
		row_counters(out, h);
		row_kmsg(out, h);
		rows_timeouts(out, h);
		if (!h->top)  /* the dump below says it better */
			row_sample(out, h);
		if (h->top)
			print_top(out, h);
		if (h->idle)
			print_idle(out, h);
	}
	print_findings(out, f);
	if (h->n_notes) {
		fputs("\nCould not read\n", out);
		for (unsigned i = 0; i < h->n_notes && i < CTW_MAX_NOTES; i++) {
			fputs("  - ", out);
			wrap(out, 4, 4, h->notes[i]);
		}
	}
}
