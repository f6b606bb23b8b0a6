/* The status model as JSON (json-c), as status.json and `status --json` show it. */
#include "daemon/status.h"
#include "daemon/status_internal.h"

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
	     add_container(top, "ports", top_json(&st->top_ports));
	if (!ok) {
		json_object_put(root);
		return NULL;
	}
	return root;
}
