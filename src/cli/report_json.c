/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The audit for scripts: one JSON object (json-c). A value that is not known
 * is null, never 0, so a consumer can tell "none" from "could not read". */
#include "cli/report.h"

#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdio.h>

#include "base/conf.h"
#include "kernel/ct_top.h"
#include "policy/retire_idle.h"
#include "policy/attribution.h"
#include "policy/findings.h"
#include "kernel/host.h"
#include "policy/bounds.h"
#include "base/timeouts.h"

/* Values json-c takes ownership of; NULL (JSON null) passes through. Any
 * allocation failure is caught once at the end by checking the tree. */
static struct json_object *u64_or_null(bool known, uint64_t v)
{
	return known ? json_object_new_uint64(v) : NULL;
}

/* A number printed with a fixed count of decimals ("69.8", not 69.799999...). */
static struct json_object *fixed(double v, int decimals)
{
	char s[320];  /* the widest %f of a double */

	snprintf(s, sizeof(s), "%.*f", decimals, v);
	return json_object_new_double_s(v, s);
}

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	return json_object_object_add(o, key, v);
}

static struct json_object *memory_object(const struct ctw_host *h)
{
	const struct ctw_memory *m = &h->memory;
	struct json_object *o = json_object_new_object();
	bool have = h->have_memory, ram = have && m->memtotal_bytes > 0;

	if (!o)
		return NULL;
	add(o, "object_size", u64_or_null(have, m->object_size));
	add(o, "object_size_estimated", have ? json_object_new_boolean(m->object_size_estimated) : NULL);
	add(o, "bytes_now", u64_or_null(have && h->have_count, m->bytes_now));
	add(o, "bytes_at_max", u64_or_null(have && h->have_max && h->max > 0, m->bytes_at_max));
	add(o, "percent_of_ram_at_max", ram && h->have_max && h->max > 0 ? fixed(m->percent_of_ram_at_max, 2) : NULL);
	add(o, "memtotal", u64_or_null(ram, m->memtotal_bytes));
	return o;
}

static struct json_object *counters_object(const struct ctw_host *h)
{
	const struct ctw_counters *ct = &h->stats.counters;
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	for (int i = 0; i < CTW_CTR__COUNT; i++)
		add(o, ctw_counter_name((enum ctw_counter)i),
		    u64_or_null(h->have_stats && (ct->present & (1u << i)), ct->value[i]));
	return o;
}

static struct json_object *time_or_null(const struct ctw_host *h, bool known, uint64_t usec)
{
	char s[40];

	if (!known || !ctw_format_kmsg_time(&h->kmsg_clock, usec, true, s, sizeof(s)))
		return NULL;
	return json_object_new_string(s);
}

static struct json_object *table_full_object(const struct ctw_host *h)
{
	const struct ctw_table_full *t = &h->table_full;
	struct json_object *o = json_object_new_object(), *ns = NULL;
	bool have = h->have_kmsg;
	struct ctw_attr_netns self_ns;
	bool earlier;

	/* Records naming this netns's inode that an earlier netns logged
	 * (policy/attribution.h): "earlier", not "self". */
	ctw_attr_netns_of_host(h, &self_ns);
	earlier = ctw_table_full_earlier(t, &self_ns) > 0;

	if (!o)
		return NULL;
	if (have) {
		ns = json_object_new_array();
		for (unsigned i = 0; ns && i < t->n_netns && i < CTW_KMSG_MAX_NETNS; i++) {
			const struct ctw_table_full_netns *n = &t->netns[i];
			struct json_object *e = json_object_new_object();
			bool same = n->inode != 0 && n->inode == h->self_netns_inode;

			if (!e)
				continue;
			add(e, "inode", u64_or_null(n->inode != 0, n->inode));
			add(e, "records", json_object_new_uint64(n->records));
			add(e, "self", json_object_new_boolean(same && !earlier));
			add(e, "earlier", json_object_new_boolean(same && earlier));
			json_object_array_add(ns, e);
		}
	}
	add(o, "read", json_object_new_boolean(have));
	add(o, "not_read_because", h->kmsg_not_needed ? json_object_new_string("no_own_drops") :
				   !have ? json_object_new_string("unreadable") : NULL);
	add(o, "records", u64_or_null(have, t->records));
	add(o, "expect_records", u64_or_null(have, t->expect_records));
	add(o, "first", time_or_null(h, have && t->records > 0, t->first_usec));
	add(o, "last", time_or_null(h, have && t->records > 0, t->last_usec));
	add(o, "netns", ns);
	add(o, "ignored_spoofed", u64_or_null(have, t->ignored_spoofed));
	add(o, "lost_records", u64_or_null(have, t->lost_records));
	return o;
}

static struct json_object *timeouts_object(const struct ctw_host *h)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	for (int i = 0; i < CTW_TO__COUNT; i++)
		add(o, ctw_timeout_info((enum ctw_timeout)i)->name, u64_or_null(h->have_timeout[i], h->timeout[i]));
	return o;
}

static struct json_object *limits_object(const struct ctw_host *h, const struct ctw_config *c)
{
	struct json_object *o = json_object_new_object();
	uint64_t objsize = h->have_memory && h->memory.object_size ? h->memory.object_size : CTW_OBJSIZE_ESTIMATE;
	uint64_t memtotal = h->have_memory ? h->memory.memtotal_bytes : 0;

	if (!o)
		return NULL;
	add(o, "max_ceiling", json_object_new_uint64(c->max_ceiling));
	add(o, "memory_budget_percent", json_object_new_double(c->memory_budget_pct));
	add(o, "max_allowed", json_object_new_uint64(ctw_max_allowed(c, objsize, memtotal, h->have_buckets ? h->buckets : 0)));
	add(o, "buckets_ratio", json_object_new_double(c->buckets_ratio));
	return o;
}

static struct json_object *sample_object(const struct ctw_host *h)
{
	const struct ctw_port_sample *p = &h->ports;
	struct json_object *o = json_object_new_object();
	bool top = p->taken && p->sampled > 0;
	const char *proto = p->top_proto == IPPROTO_UDP ? "udp" : p->top_proto == IPPROTO_TCP ? "tcp" : NULL;

	if (!o)
		return NULL;
	add(o, "taken", json_object_new_boolean(p->taken));
	add(o, "sampled", u64_or_null(p->taken, p->sampled));
	add(o, "top_protocol", top && proto ? json_object_new_string(proto) :
			       top ? json_object_new_int(p->top_proto) : NULL);
	add(o, "top_port", u64_or_null(top, p->top_port));
	add(o, "top_count", u64_or_null(top, p->top_count));
	return o;
}

static const struct {
	enum ctw_top_view view;
	const char *key;
} top_views[] = {
	{ CTW_TOP_SOURCE, "by_source" },
	{ CTW_TOP_DESTINATION, "by_destination" },
	{ CTW_TOP_DPORT, "by_dport" },
	{ CTW_TOP_PROTOCOL, "by_protocol" },
	{ CTW_TOP_TCP_STATE, "by_tcp_state" },
};

static struct json_object *top_rows(const struct ctw_top *t, enum ctw_top_view v, unsigned n)
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
		add(o, "percent", fixed(row[i].percent, 2));
		add(o, "error", json_object_new_uint64(row[i].error));
		json_object_array_add(a, o);
	}
	return a;
}

/* The same dump's idle ages by governing timeout (those with entries), and
 * what `ctwarden retire --timeout NAME=FLOOR` would delete. */
static struct json_object *idle_object(const struct ctw_host *h)
{
	static const char *const key[CTW_IDLE__COUNT] = { "under_1m", "under_1h", "under_1d", "over_1d", "unknown" };
	const struct ctw_table_idle *ti = h->idle;
	struct json_object *o;

	if (!ti || !(o = json_object_new_object()))
		return NULL;
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		struct json_object *one;
		uint64_t sum = 0;

		for (int b = 0; b < CTW_IDLE__COUNT; b++)
			sum += ti->hist.n[t][b];
		if (!sum || !(one = json_object_new_object()))
			continue;
		for (int b = 0; b < CTW_IDLE__COUNT; b++)
			add(one, key[b], json_object_new_uint64(ti->hist.n[t][b]));
		add(one, "floor_s", json_object_new_uint64(ti->floor_s[t]));
		add(one, "beyond_floor", ti->have_rule[t] ? json_object_new_uint64(ti->beyond_floor[t]) : NULL);
		add(o, ctw_timeout_info((enum ctw_timeout)t)->name, one);
	}
	return o;
}

/* null unless --top dumped the table. Counts with error > 0 are upper bounds. */
static struct json_object *top_object(const struct ctw_host *h)
{
	const struct ctw_ct_top *t = h->top;
	struct json_object *o, *exact;

	if (!t)
		return NULL;
	o = json_object_new_object();
	exact = json_object_new_object();
	if (!o || !exact) {
		json_object_put(o);
		json_object_put(exact);
		return NULL;
	}
	add(o, "entries", json_object_new_uint64(t->entries));
	add(o, "capacity", json_object_new_uint64(t->top.dim[0].capacity));
	add(o, "interrupted", json_object_new_boolean(t->interrupted));
	for (size_t v = 0; v < sizeof(top_views) / sizeof(top_views[0]); v++) {
		add(o, top_views[v].key, top_rows(&t->top, top_views[v].view, h->top_n));
		add(exact, top_views[v].key, json_object_new_boolean(ctw_top_exact(&t->top, top_views[v].view)));
	}
	add(o, "exact", exact);
	add(o, "idle", idle_object(h));
	return o;
}

static struct json_object *findings_array(const struct ctw_findings *f)
{
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; a && i < f->n && i < CTW_MAX_FINDINGS; i++) {
		const struct ctw_finding *x = &f->item[i];
		struct json_object *o = json_object_new_object();

		if (!o)
			continue;
		add(o, "severity", json_object_new_string(ctw_severity_name(x->severity)));
		add(o, "code", json_object_new_string(x->code));
		add(o, "message", json_object_new_string(x->message));
		add(o, "remedy", json_object_new_string(x->remedy));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *notes_array(const struct ctw_host *h)
{
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; a && i < h->n_notes && i < CTW_MAX_NOTES; i++)
		json_object_array_add(a, json_object_new_string(h->notes[i]));
	return a;
}

static struct json_object *build(const struct ctw_host *h, const struct ctw_config *c,
				 const struct ctw_findings *f)
{
	struct json_object *o = json_object_new_object();
	bool usage = h->loaded && h->have_count && h->have_max && h->max > 0;

	if (!o)
		return NULL;
	add(o, "status", json_object_new_string(ctw_status_name(f->status)));
	add(o, "loaded", json_object_new_boolean(h->loaded));
	add(o, "count", u64_or_null(h->have_count, h->count));
	add(o, "max", u64_or_null(h->have_max, h->max));
	add(o, "buckets", u64_or_null(h->have_buckets, h->buckets));
	add(o, "usage_percent", usage ? fixed(ctw_host_usage_pct(h), 1) : NULL);
	add(o, "init_netns", json_object_new_boolean(h->global_writable));
	add(o, "memory", memory_object(h));
	add(o, "counters", counters_object(h));
	add(o, "counters_source",
	    json_object_new_string(h->have_stats ? ctw_stats_source_name(h->stats.source) : "none"));
	add(o, "table_full", table_full_object(h));
	add(o, "timeouts", timeouts_object(h));
	add(o, "limits", limits_object(h, c));
	add(o, "sample", sample_object(h));
	add(o, "top", top_object(h));
	add(o, "findings", findings_array(f));
	add(o, "notes", notes_array(h));
	return o;
}

/* Objects whose value must never be null: a null there means an allocation failed. */
static bool complete(struct json_object *o)
{
	static const char *const required[] = { "status", "init_netns", "memory", "counters",
						"counters_source", "table_full", "timeouts", "limits",
						"sample", "findings", "notes" };
	struct json_object *v;

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!json_object_object_get_ex(o, required[i], &v) || !v)
			return false;
	return true;
}

int ctw_report_json(FILE *out, const struct ctw_host *h, const struct ctw_config *c,
		    const struct ctw_findings *f)
{
	struct json_object *o = build(h, c, f), *v;
	const char *s;
	int r = 0;

	if (o && h->top && (!json_object_object_get_ex(o, "top", &v) || !v)) {
		json_object_put(o);
		return -ENOMEM;
	}
	if (!o || !complete(o)) {
		json_object_put(o);
		return -ENOMEM;
	}
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		r = -ENOMEM;
	else if (fputs(s, out) == EOF || fputc('\n', out) == EOF || fflush(out) == EOF)
		r = -EIO;
	json_object_put(o);
	return r;
}
