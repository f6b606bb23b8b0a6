/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The status model as JSON (json-c), as status.json and `status --json` show it. */
#include "output/status.h"
#include "output/status_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

/* ---- JSON out ----------------------------------------------------------- */

/* json-c takes ownership of added values; NULL is JSON null. Keys are
 * literals added once each: no copy, no lookup (fewer allocations per write). */
static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add_ex(o, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY);
}

static struct json_object *fixed(bool known, double v, int decimals)
{
	char s[320];  /* the widest %f of a double */

	/* NaN and infinities are not JSON; a number too wide to be real neither. */
	if (!known || !isfinite(v) || fabs(v) > CTW_STATUS_NUMBER_MAX)
		return NULL;
	snprintf(s, sizeof(s), "%.*f", decimals, v);
	return json_object_new_double_s(v, s);
}

static struct json_object *u64_or_null(bool known, uint64_t v)
{
	return known ? json_object_new_uint64(v) : NULL;
}

static struct json_object *time_or_null(uint64_t us)
{
	char s[40];

	return us && ctw_status_format_time(us, s, sizeof(s)) ? json_object_new_string(s) : NULL;
}

static struct json_object *str_or_null(const char *s)
{
	return s[0] ? json_object_new_string(s) : NULL;
}

static struct json_object *decisions_json(const struct ctw_status *st)
{
	struct json_object *a = json_object_new_array();
	const struct ctw_status_decision *d;

	for (unsigned i = 0; a && (d = ctw_status_decision(st, i)); i++) {
		struct json_object *o = json_object_new_object();

		if (!o || json_object_array_add(a, o) < 0) {
			json_object_put(o);
			json_object_put(a);
			return NULL;
		}
		add(o, "at", time_or_null(d->at_us));
		add(o, "kind", json_object_new_string(d->kind));
		add(o, "knob", str_or_null(d->knob));
		add(o, "old", json_object_new_uint64(d->old_value));
		add(o, "new", json_object_new_uint64(d->new_value));
		add(o, "applied", json_object_new_boolean(d->applied));
		add(o, "reason", json_object_new_string(d->reason));
	}
	return a;
}

static struct json_object *top_json(const struct ctw_status_top *top)
{
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; a && i < top->n && i < CTW_STATUS_TOP_N; i++) {
		struct json_object *o = json_object_new_object();

		if (!o || json_object_array_add(a, o) < 0) {
			json_object_put(o);
			json_object_put(a);
			return NULL;
		}
		add(o, "key", json_object_new_string(top->t[i].key));
		add(o, "count", json_object_new_uint64(top->t[i].count));
		add(o, "percent", fixed(true, top->t[i].percent, 1));
	}
	return a;
}

static struct json_object *netns_json(const struct ctw_status *st)
{
	struct json_object *o;

	if (!st->fullest_netns[0] && !st->fullest_inode)
		return NULL;
	o = json_object_new_object();
	if (o) {
		add(o, "name", str_or_null(st->fullest_netns));
		add(o, "inode", u64_or_null(st->fullest_inode != 0, st->fullest_inode));
	}
	return o;
}

static struct json_object *rates_json(const struct ctw_status *st)
{
	struct json_object *o = json_object_new_object();

	if (o) {
		add(o, "new_per_s", fixed(st->have_rates, st->new_per_s, 1));
		add(o, "destroy_per_s", fixed(st->have_rates, st->destroy_per_s, 1));
		add(o, "growth_per_s", fixed(st->have_rates, st->growth_per_s, 1));
	}
	return o;
}

static struct json_object *events_json(const struct ctw_status *st)
{
	struct json_object *o = json_object_new_object();
	bool h = st->have_events;

	if (o) {
		add(o, "new", u64_or_null(h, st->events_new));
		add(o, "destroy", u64_or_null(h, st->events_destroy));
		add(o, "overruns", u64_or_null(h, st->events_overruns));
		add(o, "receive_buffer", u64_or_null(h, st->receive_buffer_bytes));
		add(o, "count", u64_or_null(h, st->events_count));
	}
	return o;
}

/* A namespace name as the reader accepts it (the model's are clean already,
 * unless set by hand). */
static struct json_object *name_or_null(const char *s)
{
	char clean[CTW_NETNS_NAME_MAX];

	ctw_status_copy_name(clean, sizeof(clean), s);
	return str_or_null(clean);
}

static struct json_object *netns_entry_json(const struct ctw_status *st, const struct ctw_status_netns *n)
{
	struct json_object *o = json_object_new_object(), *rates, *ev = NULL;

	if (!o)
		return NULL;
	rates = json_object_new_object();
	if (n->have_events)
		ev = json_object_new_object();
	if (!rates || (n->have_events && !ev)) {
		json_object_put(rates);
		json_object_put(ev);
		json_object_put(o);
		return NULL;
	}
	add(o, "name", name_or_null(n->name));
	add(o, "inode", u64_or_null(n->inode != 0, n->inode));
	add(o, "entries", json_object_new_uint64(n->count));
	add(o, "usage_percent", fixed(st->max != 0, st->max ? 100.0 * (double)n->count / (double)st->max : 0, 1));
	add(rates, "new_per_s", fixed(n->have_rates, n->new_per_s, 1));
	add(rates, "destroy_per_s", fixed(n->have_rates, n->destroy_per_s, 1));
	add(rates, "growth_per_s", fixed(n->have_rates, n->growth_per_s, 1));
	add(o, "rates", rates);
	add(o, "time_to_full_s", fixed(n->have_time_to_full, n->time_to_full_s, 1));
	add(o, "drops", json_object_new_uint64(n->drops));
	add(o, "early_drops", json_object_new_uint64(n->early_drops));
	if (ev) {
		add(ev, "new", json_object_new_uint64(n->events_new));
		add(ev, "destroy", json_object_new_uint64(n->events_destroy));
		add(ev, "overruns", json_object_new_uint64(n->events_overruns));
	}
	add(o, "events", ev);
	return o;
}

/* "yielded_knobs": the knobs left to the operator, by sysctl name. */
static struct json_object *yielded_json(const struct ctw_status *st)
{
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; a && i < st->n_yielded && i < CTW_STATUS_YIELDED_MAX; i++) {
		struct json_object *s = json_object_new_string(st->yielded[i]);

		if (!s || json_object_array_add(a, s) < 0) {
			json_object_put(s);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

/* "namespaces": the totals, the one under pressure and the fullest few. */
static struct json_object *namespaces_json(const struct ctw_status *st)
{
	unsigned n = st->n_netns < CTW_STATUS_NETNS_MAX ? st->n_netns : CTW_STATUS_NETNS_MAX;
	struct json_object *o = json_object_new_object(), *a, *pressure = NULL;

	if (!o)
		return NULL;
	a = json_object_new_array();
	if (st->pressure_netns[0] || st->pressure_inode)
		pressure = json_object_new_object();
	if (!a || ((st->pressure_netns[0] || st->pressure_inode) && !pressure)) {
		json_object_put(a);
		json_object_put(o);
		return NULL;
	}
	add(o, "watched", json_object_new_uint64(st->netns_watched));
	add(o, "unwatchable", json_object_new_uint64(st->netns_unwatchable));
	add(o, "total_entries", json_object_new_uint64(st->netns_total_entries));
	add(o, "listed", json_object_new_uint64(n));
	if (pressure) {
		add(pressure, "name", name_or_null(st->pressure_netns));
		add(pressure, "inode", u64_or_null(st->pressure_inode != 0, st->pressure_inode));
	}
	add(o, "pressure", pressure);
	add(o, "list", a);
	for (unsigned i = 0; i < n; i++) {
		struct json_object *e = netns_entry_json(st, &st->netns[i]);

		if (!e || json_object_array_add(a, e) < 0) {
			json_object_put(e);
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* "retirements": the last pass of each namespace that had one, newest last. */
static struct json_object *retire_entry_json(const struct ctw_status_retire *r)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add(o, "netns", name_or_null(r->netns));
	add(o, "inode", u64_or_null(r->inode != 0, r->inode));
	add(o, "timeout", str_or_null(r->timeout));
	add(o, "old_s", json_object_new_uint64(r->old_s));
	add(o, "new_s", json_object_new_uint64(r->new_s));
	add(o, "running", json_object_new_boolean(r->running));
	add(o, "dry_run", json_object_new_boolean(r->dry_run));
	add(o, "outcome", str_or_null(r->outcome));
	add(o, "started_at", time_or_null(r->started_at_us));
	add(o, "ended_at", time_or_null(r->ended_at_us));
	add(o, "seen", json_object_new_uint64(r->seen));
	add(o, "deleted", json_object_new_uint64(r->deleted));
	add(o, "retimed", json_object_new_uint64(r->retimed));
	add(o, "skipped", json_object_new_uint64(r->skipped));
	add(o, "gone", json_object_new_uint64(r->gone));
	add(o, "failed", json_object_new_uint64(r->failed));
	add(o, "oldest_idle_s", json_object_new_uint64(r->oldest_idle_s));
	add(o, "duration_s", fixed(true, r->duration_s, 3));
	add(o, "max_poll_gap_s", fixed(true, r->max_poll_gap_s, 3));
	return o;
}

static struct json_object *retirements_json(const struct ctw_status *st)
{
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; a && i < st->n_retire && i < CTW_STATUS_RETIRE_MAX; i++) {
		struct json_object *e = retire_entry_json(&st->retire[i]);

		if (!e || json_object_array_add(a, e) < 0) {
			json_object_put(e);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

/* Containers must exist; a NULL one means an allocation failed. */
static bool add_container(struct json_object *root, const char *key, struct json_object *v)
{
	if (!v)
		return false;
	add(root, key, v);
	return true;
}

struct json_object *ctw_status_to_json(const struct ctw_status *st)
{
	struct json_object *root = json_object_new_object(), *top;
	bool ok;

	if (!root)
		return NULL;
	/* A scalar lost to a failed allocation shows as null; a lost container fails. */
	add(root, "version", json_object_new_int(CTW_STATUS_VERSION));
	add(root, "pid", json_object_new_int64(st->pid));
	add(root, "started_at", time_or_null(st->started_at_us));
	add(root, "updated_at", time_or_null(st->updated_at_us));
	add(root, "poll_interval_ms", json_object_new_uint64(st->poll_interval_us / 1000));
	add(root, "mode", json_object_new_string(ctw_status_mode_name(st->mode)));
	add(root, "level", json_object_new_string(ctw_level_name(st->level)));
	add(root, "config", str_or_null(st->config));
	add(root, "count", json_object_new_uint64(st->count));
	add(root, "max", json_object_new_uint64(st->max));
	add(root, "buckets", u64_or_null(st->buckets != 0, st->buckets));
	add(root, "usage_percent", fixed(st->max != 0, st->max ? 100.0 * (double)st->count / (double)st->max : 0, 1));
	add(root, "fullest_netns", netns_json(st));
	add(root, "netns_watched", json_object_new_uint64(st->netns_watched));
	add(root, "drops", json_object_new_uint64(st->drops));
	add(root, "time_to_full_s", fixed(st->have_time_to_full, st->time_to_full_s, 1));
	ok = add_container(root, "rates", rates_json(st)) &&
	     add_container(root, "events", events_json(st)) &&
	     add_container(root, "last_decisions", decisions_json(st));
	top = ok ? json_object_new_object() : NULL;
	ok = add_container(root, "top", top) &&
	     add_container(top, "sources", top_json(&st->top_sources)) &&
	     add_container(top, "destinations", top_json(&st->top_destinations)) &&
	     add_container(top, "ports", top_json(&st->top_ports)) &&
	     add_container(root, "namespaces", namespaces_json(st)) &&
	     add_container(root, "yielded_knobs", yielded_json(st)) &&
	     add_container(root, "retirements", retirements_json(st));
	if (!ok) {
		json_object_put(root);
		return NULL;
	}
	return root;
}
