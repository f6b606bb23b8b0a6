/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctwarden status: reading status.json back (strict about types, lenient
 * about keys it does not know), for the status command and the tests. */
#include "output/status.h"
#include "output/status_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

/* ---- JSON in ------------------------------------------------------------ */

struct parse {
	char *err;
	size_t errlen;
};

/* Look a key up: 1 present (non-null), 0 absent or null, -1 wrong type
 * (err set). */
static int get(struct parse *p, struct json_object *o, const char *where, const char *key,
	       enum json_type type, struct json_object **v)
{
	if (!json_object_object_get_ex(o, key, v) || !*v)
		return 0;
	if (json_object_is_type(*v, type))
		return 1;
	/* An integer is a fine double ("5" for 5.0). */
	if (type == json_type_double && json_object_is_type(*v, json_type_int))
		return 1;
	ctw_set_err(p->err, p->errlen, "%s\"%s\" is not %s", where, key,
		type == json_type_int ? "an integer" : type == json_type_double ? "a number" :
		type == json_type_string ? "a string" : type == json_type_boolean ? "true or false" :
		type == json_type_array ? "an array" : "an object");
	return -1;
}

static bool need(struct parse *p, int r, const char *where, const char *key)
{
	if (r == 0)
		ctw_set_err(p->err, p->errlen, "%s\"%s\" is missing", where, key);
	return r > 0;
}

/* A non-negative integer; json-c saturates what does not fit in 64 bits. */
static int get_u64(struct parse *p, struct json_object *o, const char *where, const char *key, uint64_t *out)
{
	struct json_object *v;
	int r = get(p, o, where, key, json_type_int, &v);

	if (r <= 0)
		return r;
	if (json_object_get_int64(v) < 0 || json_object_get_uint64(v) == UINT64_MAX) {
		ctw_set_err(p->err, p->errlen, "%s\"%s\" is out of range", where, key);
		return -1;
	}
	*out = json_object_get_uint64(v);
	return 1;
}

static int get_double(struct parse *p, struct json_object *o, const char *where, const char *key, double *out)
{
	struct json_object *v;
	int r = get(p, o, where, key, json_type_double, &v);

	if (r <= 0)
		return r;
	*out = json_object_get_double(v);
	if (!isfinite(*out) || fabs(*out) > CTW_STATUS_NUMBER_MAX) {
		ctw_set_err(p->err, p->errlen, "%s\"%s\" is out of range", where, key);
		return -1;
	}
	return 1;
}

static int get_str(struct parse *p, struct json_object *o, const char *where, const char *key,
		   char *out, size_t size)
{
	struct json_object *v;
	int r = get(p, o, where, key, json_type_string, &v);

	if (r > 0)
		ctw_status_copy_str(out, size, json_object_get_string(v));
	return r;
}

static int get_time(struct parse *p, struct json_object *o, const char *where, const char *key, uint64_t *us)
{
	struct json_object *v;
	int r = get(p, o, where, key, json_type_string, &v);

	if (r > 0 && !ctw_status_parse_time(json_object_get_string(v), us)) {
		ctw_set_err(p->err, p->errlen, "%s\"%s\" is not an ISO 8601 UTC time", where, key);
		return -1;
	}
	return r;
}

static bool parse_decision(struct parse *p, struct json_object *o, struct ctw_status_decision *d)
{
	static const char where[] = "last_decisions: ";
	struct json_object *v;
	int r;

	if (!json_object_is_type(o, json_type_object)) {
		ctw_set_err(p->err, p->errlen, "last_decisions: an entry is not an object");
		return false;
	}
	if (!need(p, get_time(p, o, where, "at", &d->at_us), where, "at") ||
	    !need(p, get_str(p, o, where, "kind", d->kind, sizeof(d->kind)), where, "kind") ||
	    get_str(p, o, where, "knob", d->knob, sizeof(d->knob)) < 0 ||
	    !need(p, get_u64(p, o, where, "old", &d->old_value), where, "old") ||
	    !need(p, get_u64(p, o, where, "new", &d->new_value), where, "new") ||
	    get_str(p, o, where, "reason", d->reason, sizeof(d->reason)) < 0)
		return false;
	r = get(p, o, where, "applied", json_type_boolean, &v);
	if (!need(p, r, where, "applied"))
		return false;
	d->applied = json_object_get_boolean(v);
	return true;
}

static bool parse_decisions(struct parse *p, struct json_object *root, struct ctw_status *st)
{
	struct json_object *a;
	size_t n;
	int r = get(p, root, "", "last_decisions", json_type_array, &a);

	if (r <= 0)
		return r == 0;
	n = json_object_array_length(a);
	if (n > CTW_STATUS_DECISIONS)
		n = CTW_STATUS_DECISIONS;  /* the newest come first */
	/* Oldest first into the ring, so the newest ends up newest. */
	for (size_t i = n; i-- > 0;) {
		struct ctw_status_decision d = { 0 };

		if (!parse_decision(p, json_object_array_get_idx(a, i), &d))
			return false;
		ctw_status_push_decision(st, &d);
	}
	return true;
}

/* One entry of "retirements"; its counts are required, its names and times
 * may be null. */
static bool parse_retire(struct parse *p, struct json_object *o, struct ctw_status_retire *r)
{
	static const char where[] = "retirements: ";
	struct json_object *running, *dry;
	char netns[CTW_NETNS_NAME_MAX] = "";

	if (!json_object_is_type(o, json_type_object)) {
		ctw_set_err(p->err, p->errlen, "retirements: an entry is not an object");
		return false;
	}
	if (get_str(p, o, where, "netns", netns, sizeof(netns)) < 0 ||
	    get_u64(p, o, where, "inode", &r->inode) < 0 ||
	    get_str(p, o, where, "timeout", r->timeout, sizeof(r->timeout)) < 0 ||
	    !need(p, get_u64(p, o, where, "old_s", &r->old_s), where, "old_s") ||
	    !need(p, get_u64(p, o, where, "new_s", &r->new_s), where, "new_s") ||
	    !need(p, get(p, o, where, "running", json_type_boolean, &running), where, "running") ||
	    get(p, o, where, "dry_run", json_type_boolean, &dry) < 0 ||
	    get_str(p, o, where, "outcome", r->outcome, sizeof(r->outcome)) < 0 ||
	    get_time(p, o, where, "started_at", &r->started_at_us) < 0 ||
	    get_time(p, o, where, "ended_at", &r->ended_at_us) < 0 ||
	    !need(p, get_u64(p, o, where, "seen", &r->seen), where, "seen") ||
	    !need(p, get_u64(p, o, where, "deleted", &r->deleted), where, "deleted") ||
	    !need(p, get_u64(p, o, where, "retimed", &r->retimed), where, "retimed") ||
	    !need(p, get_u64(p, o, where, "skipped", &r->skipped), where, "skipped") ||
	    get_u64(p, o, where, "gone", &r->gone) < 0 ||
	    get_u64(p, o, where, "failed", &r->failed) < 0 ||
	    get_u64(p, o, where, "oldest_idle_s", &r->oldest_idle_s) < 0 ||
	    get_double(p, o, where, "duration_s", &r->duration_s) < 0 ||
	    get_double(p, o, where, "max_poll_gap_s", &r->max_poll_gap_s) < 0)
		return false;
	r->running = json_object_get_boolean(running);
	r->dry_run = dry && json_object_get_boolean(dry);
	ctw_status_copy_name(r->netns, sizeof(r->netns), netns);
	return true;
}

/* "retirements", newest last, as ctw_status_retire_put keeps them. */
static bool parse_retirements(struct parse *p, struct json_object *root, struct ctw_status *st)
{
	struct json_object *a;
	size_t n, first;
	int r = get(p, root, "", "retirements", json_type_array, &a);

	if (r <= 0)
		return r == 0;
	n = json_object_array_length(a);
	first = n > CTW_STATUS_RETIRE_MAX ? n - CTW_STATUS_RETIRE_MAX : 0;  /* keep the newest */
	for (size_t i = first; i < n; i++) {
		struct ctw_status_retire e = { 0 };

		if (!parse_retire(p, json_object_array_get_idx(a, i), &e))
			return false;
		st->retire[st->n_retire++] = e;
	}
	return true;
}

static bool parse_top(struct parse *p, struct json_object *top, const char *key, struct ctw_status_top *out)
{
	char where[32];
	struct json_object *a;
	int r = get(p, top, "top: ", key, json_type_array, &a);

	if (r <= 0)
		return r == 0;
	snprintf(where, sizeof(where), "top.%s: ", key);
	for (size_t i = 0; i < json_object_array_length(a) && out->n < CTW_STATUS_TOP_N; i++) {
		struct json_object *o = json_object_array_get_idx(a, i);
		struct ctw_status_talker *t = &out->t[out->n];

		if (!json_object_is_type(o, json_type_object)) {
			ctw_set_err(p->err, p->errlen, "%san entry is not an object", where);
			return false;
		}
		if (!need(p, get_str(p, o, where, "key", t->key, sizeof(t->key)), where, "key") ||
		    !need(p, get_u64(p, o, where, "count", &t->count), where, "count") ||
		    get_double(p, o, where, "percent", &t->percent) < 0)
			return false;
		out->n++;
	}
	return true;
}

static bool parse_tops(struct parse *p, struct json_object *root, struct ctw_status *st)
{
	struct json_object *top;
	int r = get(p, root, "", "top", json_type_object, &top);

	if (r <= 0)
		return r == 0;
	return parse_top(p, top, "sources", &st->top_sources) &&
	       parse_top(p, top, "destinations", &st->top_destinations) &&
	       parse_top(p, top, "ports", &st->top_ports);
}

static bool parse_name(struct parse *p, struct json_object *root, const char *key,
		       const char *(*name)(int), int n, int *out)
{
	struct json_object *v;
	const char *s;

	if (!need(p, get(p, root, "", key, json_type_string, &v), "", key))
		return false;
	s = json_object_get_string(v);
	for (int i = 0; i < n; i++) {
		if (strcmp(s, name(i)) == 0) {
			*out = i;
			return true;
		}
	}
	ctw_set_err(p->err, p->errlen, "\"%s\" is not a known value", key);
	return false;
}

static const char *mode_name(int i)
{
	return ctw_status_mode_name((enum ctw_mode)i);
}

static const char *level_name(int i)
{
	return ctw_level_name((enum ctw_level)i);
}

static bool parse_header(struct parse *p, struct json_object *root, struct ctw_status *st)
{
	struct json_object *v;
	uint64_t pid, poll_ms = 0;
	int mode, level;

	if (!need(p, get(p, root, "", "version", json_type_int, &v), "", "version"))
		return false;
	if (json_object_get_int64(v) != CTW_STATUS_VERSION) {
		ctw_set_err(p->err, p->errlen, "\"version\" is %lld, this ctwarden reads %d",
			(long long)json_object_get_int64(v), CTW_STATUS_VERSION);
		return false;
	}
	if (!need(p, get_u64(p, root, "", "pid", &pid), "", "pid"))
		return false;
	if (pid == 0 || pid > INT32_MAX) {
		ctw_set_err(p->err, p->errlen, "\"pid\" is not a process id");
		return false;
	}
	st->pid = (pid_t)pid;
	if (!need(p, get_time(p, root, "", "updated_at", &st->updated_at_us), "", "updated_at") ||
	    get_time(p, root, "", "started_at", &st->started_at_us) < 0 ||
	    get_u64(p, root, "", "poll_interval_ms", &poll_ms) < 0 ||
	    !parse_name(p, root, "mode", mode_name, 2, &mode) ||
	    !parse_name(p, root, "level", level_name, 3, &level) ||
	    get_str(p, root, "", "config", st->config, sizeof(st->config)) < 0)
		return false;
	if (poll_ms > UINT64_MAX / 1000) {
		ctw_set_err(p->err, p->errlen, "\"poll_interval_ms\" is out of range");
		return false;
	}
	st->poll_interval_us = poll_ms * 1000;
	st->mode = (enum ctw_mode)mode;
	st->level = (enum ctw_level)level;
	return true;
}

static bool parse_table(struct parse *p, struct json_object *root, struct ctw_status *st)
{
	struct json_object *ns;
	uint64_t watched = 0;
	int r;

	if (!need(p, get_u64(p, root, "", "count", &st->count), "", "count") ||
	    !need(p, get_u64(p, root, "", "max", &st->max), "", "max") ||
	    get_u64(p, root, "", "buckets", &st->buckets) < 0 ||
	    get_u64(p, root, "", "drops", &st->drops) < 0 ||
	    get_u64(p, root, "", "netns_watched", &watched) < 0)
		return false;
	if (watched > UINT32_MAX) {
		ctw_set_err(p->err, p->errlen, "\"netns_watched\" is out of range");
		return false;
	}
	st->netns_watched = (unsigned)watched;
	r = get(p, root, "", "fullest_netns", json_type_object, &ns);
	if (r < 0)
		return false;
	if (r > 0 && (get_str(p, ns, "fullest_netns: ", "name", st->fullest_netns, sizeof(st->fullest_netns)) < 0 ||
		      get_u64(p, ns, "fullest_netns: ", "inode", &st->fullest_inode) < 0))
		return false;
	r = get_double(p, root, "", "time_to_full_s", &st->time_to_full_s);
	st->have_time_to_full = r > 0;
	return r >= 0;
}

/* Rates and events come as groups: known together or null together. */
static bool same_known(struct parse *p, const char *group, int a, int b, int c)
{
	if (a < 0 || b < 0 || c < 0)
		return false;  /* err says which */
	if ((a > 0) != (b > 0) || (a > 0) != (c > 0)) {
		ctw_set_err(p->err, p->errlen, "%s: not all known or all null", group);
		return false;
	}
	return true;
}

static bool parse_rates_events(struct parse *p, struct json_object *root, struct ctw_status *st)
{
	struct json_object *o;
	int r, a, b, c;

	r = get(p, root, "", "rates", json_type_object, &o);
	if (r < 0)
		return false;
	if (r > 0) {
		a = get_double(p, o, "rates: ", "new_per_s", &st->new_per_s);
		b = a < 0 ? a : get_double(p, o, "rates: ", "destroy_per_s", &st->destroy_per_s);
		c = b < 0 ? b : get_double(p, o, "rates: ", "growth_per_s", &st->growth_per_s);
		if (!same_known(p, "rates", a, b, c))
			return false;
		st->have_rates = a > 0;
	}
	r = get(p, root, "", "events", json_type_object, &o);
	if (r < 0)
		return false;
	if (r > 0) {
		a = get_u64(p, o, "events: ", "new", &st->events_new);
		b = a < 0 ? a : get_u64(p, o, "events: ", "destroy", &st->events_destroy);
		c = b < 0 ? b : get_u64(p, o, "events: ", "overruns", &st->events_overruns);
		if (!same_known(p, "events", a, b, c) ||
		    get_u64(p, o, "events: ", "receive_buffer", &st->receive_buffer_bytes) < 0 ||
		    get_u64(p, o, "events: ", "count", &st->events_count) < 0)
			return false;
		st->have_events = a > 0;
	}
	return true;
}

/* A namespace name: a string or null, that the model can hold as it is. */
static int get_name(struct parse *p, struct json_object *o, const char *where, const char *key,
		    char *out, size_t size)
{
	struct json_object *v;
	const char *s;
	int r = get(p, o, where, key, json_type_string, &v);

	if (r <= 0)
		return r;
	s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) >= size || strlen(s) >= size) {
		ctw_set_err(p->err, p->errlen, "%s\"%s\" is longer than %zu bytes", where, key, size - 1);
		return -1;
	}
	if (strlen(s) != (size_t)json_object_get_string_len(v) || !ctw_status_name_ok(s)) {  /* "\u0000" */
		ctw_set_err(p->err, p->errlen, "%s\"%s\" is not UTF-8 text without control characters",
				   where, key);
		return -1;
	}
	memcpy(out, s, strlen(s) + 1);
	return r;
}

/* An unsigned count that fits in unsigned. */
static int get_unsigned(struct parse *p, struct json_object *o, const char *where, const char *key, unsigned *out)
{
	uint64_t v;
	int r = get_u64(p, o, where, key, &v);

	if (r <= 0)
		return r;
	if (v > UINT32_MAX) {
		ctw_set_err(p->err, p->errlen, "%s\"%s\" is out of range", where, key);
		return -1;
	}
	*out = (unsigned)v;
	return 1;
}

static bool parse_netns_rates(struct parse *p, struct json_object *o, size_t i, struct ctw_status_netns *n)
{
	struct json_object *rates;
	char where[72], group[64];
	int r, a, b, c;

	snprintf(where, sizeof(where), "namespaces.list[%zu]: ", i);
	r = get(p, o, where, "rates", json_type_object, &rates);
	if (r <= 0)
		return r == 0;
	snprintf(group, sizeof(group), "namespaces.list[%zu].rates", i);
	snprintf(where, sizeof(where), "%s: ", group);
	a = get_double(p, rates, where, "new_per_s", &n->new_per_s);
	b = a < 0 ? a : get_double(p, rates, where, "destroy_per_s", &n->destroy_per_s);
	c = b < 0 ? b : get_double(p, rates, where, "growth_per_s", &n->growth_per_s);
	if (!same_known(p, group, a, b, c))
		return false;
	n->have_rates = a > 0;
	return true;
}

static bool parse_netns_events(struct parse *p, struct json_object *o, size_t i, struct ctw_status_netns *n)
{
	struct json_object *ev;
	char where[64];
	int r;

	snprintf(where, sizeof(where), "namespaces.list[%zu]: ", i);
	r = get(p, o, where, "events", json_type_object, &ev);
	if (r <= 0)
		return r == 0;
	snprintf(where, sizeof(where), "namespaces.list[%zu].events: ", i);
	if (!need(p, get_u64(p, ev, where, "new", &n->events_new), where, "new") ||
	    !need(p, get_u64(p, ev, where, "destroy", &n->events_destroy), where, "destroy") ||
	    !need(p, get_u64(p, ev, where, "overruns", &n->events_overruns), where, "overruns"))
		return false;
	n->have_events = true;
	return true;
}

static bool parse_netns(struct parse *p, struct json_object *o, size_t i, struct ctw_status_netns *n)
{
	char where[48];
	double usage;
	int r;

	snprintf(where, sizeof(where), "namespaces.list[%zu]: ", i);
	if (!json_object_is_type(o, json_type_object)) {
		ctw_set_err(p->err, p->errlen, "%snot an object", where);
		return false;
	}
	if (get_name(p, o, where, "name", n->name, sizeof(n->name)) < 0 ||
	    get_u64(p, o, where, "inode", &n->inode) < 0 ||
	    !need(p, get_u64(p, o, where, "entries", &n->count), where, "entries") ||
	    get_double(p, o, where, "usage_percent", &usage) < 0 ||  /* derived: checked, not kept */
	    !parse_netns_rates(p, o, i, n) ||
	    !need(p, get_u64(p, o, where, "drops", &n->drops), where, "drops") ||
	    !need(p, get_u64(p, o, where, "early_drops", &n->early_drops), where, "early_drops") ||
	    !parse_netns_events(p, o, i, n))
		return false;
	r = get_double(p, o, where, "time_to_full_s", &n->time_to_full_s);
	n->have_time_to_full = r > 0;
	return r >= 0;
}

static bool parse_netns_list(struct parse *p, struct json_object *ns, unsigned listed, struct ctw_status *st)
{
	static const char where[] = "namespaces: ";
	struct json_object *a;
	size_t len;

	if (!need(p, get(p, ns, where, "list", json_type_array, &a), where, "list"))
		return false;
	len = json_object_array_length(a);
	if (len != listed) {
		ctw_set_err(p->err, p->errlen, "namespaces: \"list\" has %zu entries, \"listed\" says %u",
				   len, listed);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		struct ctw_status_netns *n = &st->netns[i];

		if (!parse_netns(p, json_object_array_get_idx(a, i), i, n))
			return false;
		if (i > 0 && n->count > st->netns[i - 1].count) {
			ctw_set_err(p->err, p->errlen, "namespaces.list[%zu]: fuller than the one before "
					   "(the list goes fullest first)", i);
			return false;
		}
		st->n_netns = (unsigned)i + 1;
	}
	return true;
}

/* "yielded_knobs" (absent in older files): sysctl names only. */
static bool parse_yielded(struct parse *p, struct json_object *root, struct ctw_status *st)
{
	struct json_object *a;
	size_t n;
	int r = get(p, root, "", "yielded_knobs", json_type_array, &a);

	if (r <= 0)
		return r == 0;
	n = json_object_array_length(a);
	if (n > CTW_STATUS_YIELDED_MAX) {
		ctw_set_err(p->err, p->errlen, "\"yielded_knobs\" has %zu entries, at most %d", n,
				   CTW_STATUS_YIELDED_MAX);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(a, i);
		const char *k = v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
		size_t len = k ? strlen(k) : 0;

		if (!k || len == 0 || len >= CTW_STATUS_KNOB_MAX || len != (size_t)json_object_get_string_len(v) ||
		    strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789._") != len) {
			ctw_set_err(p->err, p->errlen, "\"yielded_knobs\"[%zu] is not a sysctl name", i);
			return false;
		}
		memcpy(st->yielded[i], k, len + 1);
	}
	st->n_yielded = (unsigned)n;
	return true;
}

static bool parse_namespaces(struct parse *p, struct json_object *root, struct ctw_status *st)
{
	static const char where[] = "namespaces: ";
	struct json_object *ns, *pressure, *old;
	unsigned watched, listed;
	int r = get(p, root, "", "namespaces", json_type_object, &ns);

	if (r <= 0)
		return r == 0;
	if (!need(p, get_unsigned(p, ns, where, "watched", &watched), where, "watched") ||
	    !need(p, get_unsigned(p, ns, where, "unwatchable", &st->netns_unwatchable), where, "unwatchable") ||
	    !need(p, get_u64(p, ns, where, "total_entries", &st->netns_total_entries), where, "total_entries") ||
	    !need(p, get_unsigned(p, ns, where, "listed", &listed), where, "listed"))
		return false;
	/* One number, written twice: the top-level key is the older one. */
	if (json_object_object_get_ex(root, "netns_watched", &old) && old && watched != st->netns_watched) {
		ctw_set_err(p->err, p->errlen, "namespaces: \"watched\" is %u, \"netns_watched\" %u",
				   watched, st->netns_watched);
		return false;
	}
	st->netns_watched = watched;
	if (listed > CTW_STATUS_NETNS_MAX || listed > watched) {
		ctw_set_err(p->err, p->errlen, "namespaces: \"listed\" is %u, more than %s (%u)", listed,
				   listed > CTW_STATUS_NETNS_MAX ? "a status lists" : "\"watched\"",
				   listed > CTW_STATUS_NETNS_MAX ? CTW_STATUS_NETNS_MAX : watched);
		return false;
	}
	r = get(p, ns, where, "pressure", json_type_object, &pressure);
	if (r < 0 ||
	    (r > 0 && (get_name(p, pressure, "namespaces.pressure: ", "name", st->pressure_netns,
				sizeof(st->pressure_netns)) < 0 ||
		       get_u64(p, pressure, "namespaces.pressure: ", "inode", &st->pressure_inode) < 0)))
		return false;
	return parse_netns_list(p, ns, listed, st);
}

static size_t parse_end(struct json_tokener *tok)
{
#if JSON_C_VERSION_NUM >= ((0 << 16) | (15 << 8))
	return json_tokener_get_parse_end(tok);
#else
	return (size_t)tok->char_offset;
#endif
}

/* The text as one JSON object: 0 with *root set, -EBADMSG (err set) or -ENOMEM. */
static int parse_object(struct parse *p, const char *text, size_t len, struct json_object **root)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	const char *why = NULL;
	size_t at = 0;

	*root = NULL;
	if (len > CTW_STATUS_FILE_MAX) {
		ctw_set_err(p->err, p->errlen, "larger than %d bytes", CTW_STATUS_FILE_MAX);
		return -EBADMSG;
	}
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!*root || jerr != json_tokener_success) {
		/* A truncated file (json_tokener_continue) is as bad as junk. */
		why = jerr == json_tokener_continue ? "unexpected end" : json_tokener_error_desc(jerr);
		at = parse_end(tok);
	} else {
		for (at = parse_end(tok); at < len && strchr(" \t\r\n", text[at]) && text[at]; at++)
			;
		if (at < len)
			why = "unexpected data after the object";
	}
	json_tokener_free(tok);
	if (why) {
		ctw_set_err(p->err, p->errlen, "not valid JSON (%s at byte %zu)", why, at);
	} else if (!json_object_is_type(*root, json_type_object)) {
		ctw_set_err(p->err, p->errlen, "not a JSON object");
		why = "";
	}
	if (why) {
		json_object_put(*root);
		*root = NULL;
		return -EBADMSG;
	}
	return 0;
}

int ctw_status_parse(const char *text, size_t len, struct ctw_status *out, char *err, size_t errlen)
{
	struct parse p = { .err = err, .errlen = errlen };
	struct json_object *root;
	bool ok;
	int r;

	memset(out, 0, sizeof(*out));
	r = parse_object(&p, text, len, &root);
	if (r < 0)
		return r;
	ok = parse_header(&p, root, out) && parse_table(&p, root, out) &&
	     parse_rates_events(&p, root, out) && parse_decisions(&p, root, out) && parse_tops(&p, root, out) &&
	     parse_namespaces(&p, root, out) && parse_yielded(&p, root, out) &&
	     parse_retirements(&p, root, out);
	json_object_put(root);
	if (!ok) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	return 0;
}

