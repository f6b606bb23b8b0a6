/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy file: a table from (section, key) to a parser with its range,
 * a line reader that adds what the distro libinih lacks (line numbers, long
 * lines, continuation lines, empty sections), and the file checks of load.
 *
 * Syntax decisions (libinih is built with its defaults, which we cannot change):
 * - '#' and ';' start a comment at the start of a line (after optional blanks);
 *   ';' also ends a value when a blank precedes it ("1s ; one second");
 *   '#' inside a value is part of the value (and so usually an error).
 * - An indented key line would be appended to the previous value by libinih
 *   (multi-line values); we refuse indented lines instead of guessing.
 * - Only '=' separates a key from its value (libinih would also take ':').
 * - Names are case-sensitive; a section may be repeated, a key may not. */
#include "base/conf.h"

#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF_FILE_SIZE_MAX (1024 * 1024)
/* The largest timeout proc_dointvec_jiffies takes at HZ=1000 (INT_MAX / HZ). */
#define FLOOR_MAX_S 2147483

enum key_kind {
	KEY_MODE,
	KEY_PATH,
	KEY_DIRS,
	KEY_EVENTS,
	KEY_OUTSIDE,
	KEY_PATH_OR_EMPTY,
	KEY_DURATION,
	KEY_PERCENT,
	KEY_COUNT,      /* uint64_t or, with is_u32, uint32_t */
	KEY_SIZE,
	KEY_DECIMAL,
	KEY_BOOL,
	KEY_SHORTEN,
	KEY_FLOOR,      /* one per timeout, found through timeouts.h */
	KEY_MARKS,      /* VALUE[/MASK] ... */
	KEY_ZONES,      /* ZONE ... */
	KEY_LISTEN,     /* ADDRESS:PORT or empty */
};

struct key_def {
	const char *section;
	const char *name;
	enum key_kind kind;
	size_t offset;		/* of the field in struct ctw_config */
	uint64_t min, max;	/* durations (us), sizes, counts */
	double fmin, fmax;	/* percents, decimals */
	bool fmin_open;		/* fmin itself is not allowed */
	bool is_u32;
};

#define SEC 1000000ULL
#define DAY (86400 * SEC)
#define KEY(sec, key, k, field) .section = sec, .name = key, .kind = k, \
	.offset = offsetof(struct ctw_config, field)
#define INT_RANGE(lo, hi) .min = lo, .max = hi
#define PCT_RANGE(hi) .fmin = 0, .fmax = hi, .fmin_open = true

static const struct key_def keys[] = {
	{ KEY("daemon", "mode", KEY_MODE, mode) },
	{ KEY("daemon", "poll_interval", KEY_DURATION, poll_interval_us), INT_RANGE(10000, 3600 * SEC) },
	{ KEY("daemon", "state_dir", KEY_PATH, state_dir) },
	{ KEY("daemon", "runtime_dir", KEY_PATH, runtime_dir) },
	{ KEY("daemon", "alert_reminder", KEY_DURATION, alert_reminder_us), INT_RANGE(SEC, 7 * DAY) },
	{ KEY("daemon", "all_netns", KEY_BOOL, all_netns) },
	{ KEY("daemon", "netns_dirs", KEY_DIRS, netns_dirs) },
	{ KEY("daemon", "pod_log_dir", KEY_PATH_OR_EMPTY, pod_log_dir) },
	{ KEY("daemon", "events", KEY_EVENTS, events_scope) },
	{ KEY("daemon", "on_outside_change", KEY_OUTSIDE, outside_adopt) },
	{ KEY("thresholds", "warn", KEY_PERCENT, warn_pct), PCT_RANGE(100) },
	{ KEY("thresholds", "crit", KEY_PERCENT, crit_pct), PCT_RANGE(100) },
	{ KEY("thresholds", "high_water", KEY_PERCENT, high_water_pct), PCT_RANGE(100) },
	{ KEY("thresholds", "low_water", KEY_PERCENT, low_water_pct), PCT_RANGE(100) },
	{ KEY("thresholds", "low_water_hold", KEY_DURATION, low_water_hold_us), INT_RANGE(SEC, 7 * DAY) },
	{ KEY("limits", "max_ceiling", KEY_COUNT, max_ceiling), INT_RANGE(1024, 2147483647) },
	{ KEY("limits", "memory_budget", KEY_PERCENT, memory_budget_pct), PCT_RANGE(50) },
	{ KEY("limits", "buckets_ratio", KEY_DECIMAL, buckets_ratio), .fmin = 0.25, .fmax = 16 },
	{ KEY("limits", "resize_cooldown", KEY_DURATION, resize_cooldown_us), INT_RANGE(SEC, 7 * DAY) },
	{ KEY("limits", "allow_lower_max", KEY_BOOL, allow_lower_max) },
	{ KEY("timeouts", "shorten", KEY_SHORTEN, timeout_shorten) },
	{ KEY("timeouts", "retire", KEY_BOOL, retire) },
	{ KEY("timeouts", "retire_nat", KEY_BOOL, retire_nat) },
	{ KEY("timeouts", "retire_exclude_mark", KEY_MARKS, retire_exclude_mark) },
	{ KEY("timeouts", "retire_exclude_zone", KEY_ZONES, retire_exclude_zone) },
	{ KEY("events", "receive_buffer", KEY_SIZE, receive_buffer_bytes), INT_RANGE(64 << 10, 1 << 30) },
	{ KEY("events", "receive_buffer_max", KEY_SIZE, receive_buffer_max_bytes), INT_RANGE(64 << 10, 1 << 30) },
	{ KEY("events", "horizon", KEY_DURATION, horizon_us), INT_RANGE(SEC, 3600 * SEC) },
	{ KEY("events", "batch", KEY_COUNT, event_batch), INT_RANGE(1, 1000000), .is_u32 = true },
	{ KEY("metrics", "textfile", KEY_PATH_OR_EMPTY, metrics_textfile) },
	{ KEY("metrics", "interval", KEY_DURATION, metrics_interval_us), INT_RANGE(SEC, 3600 * SEC) },
	{ KEY("metrics", "listen", KEY_LISTEN, metrics_listen) },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const sections[] = { "daemon", "thresholds", "limits", "timeouts", "events", "metrics" };

/* Floors have no row in keys[]: their names come from timeouts.h. */
static const struct key_def floor_key = {
	KEY("timeouts", NULL, KEY_FLOOR, timeout_floor_s), INT_RANGE(SEC, FLOOR_MAX_S * SEC)
};

struct conf_parse {
	const char *name;		/* for messages */
	const char *pos, *end;		/* the reader's position in the text */
	const char *line;		/* the raw line inih is working on */
	size_t line_len;
	unsigned lineno;
	unsigned seen[N_KEYS + CTW_TO__COUNT];	/* line that set each key, 0 = not set */
	unsigned err_line;		/* 0 = no error yet */
	char *err;
	size_t errlen;
	struct ctw_config cfg;
};

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void ctw_config_defaults(struct ctw_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = CTW_MODE_ENFORCE;
	c->poll_interval_us = SEC;
	copy_str(c->state_dir, sizeof(c->state_dir), "/var/lib/ctwarden");
	copy_str(c->runtime_dir, sizeof(c->runtime_dir), "/run/ctwarden");
	c->alert_reminder_us = 3600 * SEC;
	c->all_netns = true;
	copy_str(c->netns_dirs[0], CTW_CONF_PATH_MAX, "/run/netns");
	copy_str(c->netns_dirs[1], CTW_CONF_PATH_MAX, "/var/run/docker/netns");
	c->n_netns_dirs = 2;
	copy_str(c->pod_log_dir, sizeof(c->pod_log_dir), "/var/log/pods");
	c->events_scope = CTW_EVENTS_ALL;
	c->metrics_interval_us = 15 * SEC;
	c->warn_pct = 75;
	c->crit_pct = 90;
	c->high_water_pct = 80;
	c->low_water_pct = 50;
	c->low_water_hold_us = 600 * SEC;
	c->max_ceiling = 1048576;
	c->memory_budget_pct = 5;
	c->buckets_ratio = 1;
	c->resize_cooldown_us = 600 * SEC;
	c->allow_lower_max = false;
	for (int t = 0; t < CTW_TO__COUNT; t++)
		c->timeout_floor_s[t] = ctw_timeout_info(t)->default_floor;
	c->timeout_shorten[CTW_TO_TCP_ESTABLISHED] = true;
	c->retire = true;
	c->receive_buffer_bytes = 8 << 20;
	c->receive_buffer_max_bytes = 64 << 20;
	c->horizon_us = 30 * SEC;
	c->event_batch = 2048;
	copy_str(c->source, sizeof(c->source), "(defaults)");
}

/* vsnprintf: unlike snprintf it does not trip -Wformat-truncation=2 for a
 * caller-sized buffer, where truncation is the documented behaviour. */
static void __attribute__((format(printf, 3, 4))) format_into(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Keep the first error in file order: the one a reader fixes first. */
static void __attribute__((format(printf, 3, 4)))
conf_error(struct conf_parse *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	size_t used;

	if (p->err_line && p->err_line <= line)
		return;
	p->err_line = line;
	if (p->errlen == 0)
		return;
	format_into(p->err, p->errlen, "%s:%u: ", p->name, line);
	used = strlen(p->err);
	va_start(ap, fmt);
	vsnprintf(p->err + used, p->errlen - used, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 4, 5)))
file_error(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
	va_list ap;
	size_t used;

	if (errlen == 0)
		return;
	format_into(err, errlen, "%s: ", path);
	used = strlen(err);
	va_start(ap, fmt);
	vsnprintf(err + used, errlen - used, fmt, ap);
	va_end(ap);
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

static bool known_section(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strlen(sections[i]) == len && memcmp(sections[i], name, len) == 0)
			return true;
	return false;
}

/* What libinih would accept silently or misread; 0 when the line may go on. */
static int check_line(struct conf_parse *p, const char *s, size_t len)
{
	const char *end = s + len, *q, *close;

	if (p->lineno == 1 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;	/* UTF-8 byte order mark, skipped by libinih too */
	for (q = s; q < end && is_blank(*q); q++)
		;
	if (q == end || *q == ';' || *q == '#')
		return 0;
	if (q > s) {
		conf_error(p, p->lineno, "indented line; continuation lines are not supported, "
			   "remove the leading blanks");
		return -EINVAL;
	}
	if (*q == '[') {
		close = memchr(q, ']', (size_t)(end - q));
		if (!close) {
			conf_error(p, p->lineno, "section header without a closing ']'");
			return -EINVAL;
		}
		if (!known_section(q + 1, (size_t)(close - q - 1))) {
			conf_error(p, p->lineno, "unknown section [%.*s] (known: [daemon], [thresholds], "
				   "[limits], [timeouts], [events], [metrics])", (int)(close - q - 1), q + 1);
			return -EINVAL;
		}
		for (q = close + 1; q < end && is_blank(*q); q++)
			;
		if (q < end && !(*q == ';' && is_blank(q[-1]))) {
			conf_error(p, p->lineno, "unexpected text after the section header");
			return -EINVAL;
		}
		return 0;
	}
	for (; q < end && *q != '=' && *q != ':'; q++)
		;
	if (q == end) {
		conf_error(p, p->lineno, "expected 'key = value' or a [section] header");
		return -EINVAL;
	}
	if (*q == ':') {
		conf_error(p, p->lineno, "use '=' between the key and its value");
		return -EINVAL;
	}
	return 0;
}

/* libinih's fgets-like reader over the text: counts lines and refuses what
 * fgets would split or truncate. Returning NULL ends the parse. */
static char *conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *p = stream;
	const char *nl;
	size_t len, max;

	if (p->err_line || p->pos >= p->end || num < 4)
		return NULL;
	nl = memchr(p->pos, '\n', (size_t)(p->end - p->pos));
	p->line = p->pos;
	len = (size_t)((nl ? nl : p->end) - p->pos);
	p->pos = nl ? nl + 1 : p->end;
	p->lineno++;
	if (len > 0 && p->line[len - 1] == '\r')
		len--;
	p->line_len = len;
	/* Room for the line, '\r' '\n' and '\0', as libinih's INI_MAX_LINE counts. */
	max = (size_t)num - 3;
	if (len > max) {
		conf_error(p, p->lineno, "line too long (%zu characters, at most %zu)", len, max);
		return NULL;
	}
	if (memchr(p->line, '\0', len)) {
		conf_error(p, p->lineno, "line contains a NUL byte");
		return NULL;
	}
	if (check_line(p, p->line, len) < 0)
		return NULL;
	memcpy(str, p->line, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

static const struct key_def *find_key(const char *section, const char *name, size_t *slot)
{
	int t;

	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0) {
			*slot = i;
			return &keys[i];
		}
	}
	if (strcmp(section, "timeouts") == 0 && (t = ctw_timeout_by_name(name)) >= 0) {
		*slot = N_KEYS + (size_t)t;
		return &floor_key;
	}
	return NULL;
}

/* Where a key belongs, to say so when it is misplaced. */
static const char *section_of(const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return keys[i].section;
	return ctw_timeout_by_name(name) >= 0 ? "timeouts" : NULL;
}

static void format_size(uint64_t bytes, char *buf, size_t len)
{
	static const struct { const char *suffix; unsigned shift; } units[] = {
		{ "GiB", 30 }, { "MiB", 20 }, { "KiB", 10 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (bytes && bytes % (1ULL << units[i].shift) == 0) {
			format_into(buf, len, "%" PRIu64 "%s", bytes >> units[i].shift, units[i].suffix);
			return;
		}
	}
	format_into(buf, len, "%" PRIu64, bytes);
}

static int set_path(struct conf_parse *p, const char *name, const char *value, char *dst)
{
	if (value[0] != '/') {
		conf_error(p, p->lineno, "%s = %s: must be an absolute path", name, value);
		return -EINVAL;
	}
	for (const char *c = value; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			conf_error(p, p->lineno, "%s: control character in the path", name);
			return -EINVAL;
		}
	}
	for (const char *c = value; (c = strstr(c, "/..")); c += 3) {
		if (c[3] == '/' || c[3] == '\0') {
			conf_error(p, p->lineno, "%s = %s: '..' is not allowed in the path", name, value);
			return -EINVAL;
		}
	}
	if (strlen(value) >= CTW_CONF_PATH_MAX) {
		conf_error(p, p->lineno, "%s: path too long (at most %d characters)", name, CTW_CONF_PATH_MAX - 1);
		return -EINVAL;
	}
	copy_str(dst, CTW_CONF_PATH_MAX, value);
	return 0;
}

/* One name of the shorten list into chosen[]; "none" is counted apart. */
static int shorten_item(struct conf_parse *p, const char *item, size_t len, bool *chosen, bool *none)
{
	char name[64];
	int t;

	if (len >= sizeof(name)) {
		conf_error(p, p->lineno, "shorten: unknown timeout '%.*s'", (int)len, item);
		return -EINVAL;
	}
	memcpy(name, item, len);
	name[len] = '\0';
	if (strcmp(name, "none") == 0) {
		*none = true;
		return 0;
	}
	t = ctw_timeout_by_name(name);
	if (t < 0) {
		conf_error(p, p->lineno, "shorten: unknown timeout '%s' (the names are the [timeouts] keys, "
			   "like tcp_timeout_established)", name);
		return -EINVAL;
	}
	if (chosen[t]) {
		conf_error(p, p->lineno, "shorten: '%s' is named twice", name);
		return -EINVAL;
	}
	chosen[t] = true;
	return 0;
}

/* "tcp_timeout_established, udp_timeout" or "none": names separated by commas
 * and/or blanks; an empty item between commas is a typo, not nothing. */
static int set_shorten(struct conf_parse *p, const char *value, bool *shorten)
{
	bool chosen[CTW_TO__COUNT] = { false };
	bool none = false, item_since_comma = false;
	int items = 0;

	for (const char *q = value;; ) {
		size_t len = strcspn(q, ", \t");

		if (len > 0) {
			if (shorten_item(p, q, len, chosen, &none) < 0)
				return -EINVAL;
			items++;
			item_since_comma = true;
			q += len;
		}
		if (*q == ',' || *q == '\0') {
			if (!item_since_comma) {
				conf_error(p, p->lineno, "shorten: empty item in the list");
				return -EINVAL;
			}
			item_since_comma = false;
		}
		if (*q == '\0')
			break;
		q++;
	}
	if (none && items > 1) {
		conf_error(p, p->lineno, "shorten: 'none' cannot be combined with timeout names");
		return -EINVAL;
	}
	memcpy(shorten, chosen, sizeof(chosen));
	return 0;
}

static int set_duration(struct conf_parse *p, const struct key_def *k, const char *name,
			const char *value, uint64_t *dst)
{
	char lo[32], hi[32];
	uint64_t us;
	int r = ctw_parse_duration_us(value, &us);

	if (r == -EINVAL) {
		conf_error(p, p->lineno, "%s = %s: not a duration (a whole number with ms, s, min, h or d, "
			   "like 100ms, 30s, 10min; a bare number is seconds)", name, value);
		return r;
	}
	if (k->kind == KEY_FLOOR && r == 0 && us % SEC != 0) {
		conf_error(p, p->lineno, "%s = %s: must be whole seconds", name, value);
		return -EINVAL;
	}
	if (r < 0 || us < k->min || us > k->max) {
		ctw_format_duration(k->min, lo, sizeof(lo));
		ctw_format_duration(k->max, hi, sizeof(hi));
		conf_error(p, p->lineno, "%s = %s: out of range (%s to %s)", name, value, lo, hi);
		return -ERANGE;
	}
	*dst = k->kind == KEY_FLOOR ? us / SEC : us;
	return 0;
}

static int set_number(struct conf_parse *p, const struct key_def *k, const char *name,
		      const char *value, void *dst)
{
	char lo[32], hi[32];
	uint64_t v;
	int r = k->kind == KEY_SIZE ? ctw_parse_size(value, &v) : ctw_parse_u64(value, &v);

	if (r == -EINVAL) {
		conf_error(p, p->lineno, "%s = %s: %s", name, value, k->kind == KEY_SIZE ?
			   "not a size (bytes, or a whole number with K, KiB, M, MiB, G or GiB)" :
			   "not a whole decimal number");
		return r;
	}
	if (r < 0 || v < k->min || v > k->max) {
		if (k->kind == KEY_SIZE) {
			format_size(k->min, lo, sizeof(lo));
			format_size(k->max, hi, sizeof(hi));
		} else {
			snprintf(lo, sizeof(lo), "%" PRIu64, k->min);
			snprintf(hi, sizeof(hi), "%" PRIu64, k->max);
		}
		conf_error(p, p->lineno, "%s = %s: out of range (%s to %s)", name, value, lo, hi);
		return -ERANGE;
	}
	if (k->is_u32)
		*(uint32_t *)dst = (uint32_t)v;
	else
		*(uint64_t *)dst = v;
	return 0;
}

static int set_fraction(struct conf_parse *p, const struct key_def *k, const char *name,
			const char *value, double *dst)
{
	bool pct = k->kind == KEY_PERCENT;
	double v;
	int r = pct ? ctw_parse_percent(value, &v) : ctw_parse_decimal(value, &v);

	if (r == -EINVAL) {
		conf_error(p, p->lineno, "%s = %s: %s", name, value, pct ?
			   "not a percent (a number with a '%' sign, like 80% or 12.5%)" :
			   "not a plain decimal number (like 1, 4 or 0.5)");
		return r;
	}
	if (r < 0 || v > k->fmax || v < k->fmin || (k->fmin_open && v == k->fmin)) {
		conf_error(p, p->lineno, "%s = %s: out of range (%s %g%s to %g%s)", name, value,
			   k->fmin_open ? "above" : "from", k->fmin, pct ? "%" : "", k->fmax, pct ? "%" : "");
		return -ERANGE;
	}
	*dst = v;
	return 0;
}

/* A list of absolute directories separated by spaces. */
static int set_dirs(struct conf_parse *p, const char *name, const char *value)
{
	char copy[CTW_NETNS_DIRS_MAX * CTW_CONF_PATH_MAX];
	char *save = NULL, *tok;
	unsigned n = 0;

	if (strlen(value) >= sizeof(copy)) {
		conf_error(p, p->lineno, "%s: too long", name);
		return -EINVAL;
	}
	copy_str(copy, sizeof(copy), value);
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == CTW_NETNS_DIRS_MAX) {
			conf_error(p, p->lineno, "%s: at most %d directories", name, CTW_NETNS_DIRS_MAX);
			return -EINVAL;
		}
		if (set_path(p, name, tok, p->cfg.netns_dirs[n]) < 0)
			return -EINVAL;
		n++;
	}
	p->cfg.n_netns_dirs = n;
	return 0;
}

static int set_listen(struct conf_parse *p, const char *name, const char *value, struct ctw_listen *dst)
{
	const char *why;

	if (value[0] == '\0') {
		memset(dst, 0, sizeof(*dst));
		return 0;
	}
	if (ctw_parse_listen(value, dst, &why) < 0) {
		conf_error(p, p->lineno, "%s = %s: %s", name, value, why);
		return -EINVAL;
	}
	return 0;
}

/* One number of a mark or zone list: decimal or 0x hex, at most max. */
static int list_number(struct conf_parse *p, const char *name, const char *tok, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(tok, &end, 0);
	if (tok[0] == '-' || tok[0] == '+' || end == tok || *end != '\0' || errno || *out > max) {
		conf_error(p, p->lineno, "%s: '%s' is not a number from 0 to %" PRIu64 " (decimal or 0x hex)",
			   name, tok, max);
		return -EINVAL;
	}
	return 0;
}

/* retire_exclude_mark = 0x10 0x100/0xf00 ... (a mark matches when mark & MASK == VALUE;
 * MASK defaults to all bits); retire_exclude_zone = 1 2 ...; "none" for no entry. */
static int set_excludes(struct conf_parse *p, const struct key_def *k, const char *name, const char *value)
{
	char copy[512];
	char *save = NULL, *tok;
	unsigned n = 0;

	if (strlen(value) >= sizeof(copy)) {
		conf_error(p, p->lineno, "%s: too long", name);
		return -EINVAL;
	}
	copy_str(copy, sizeof(copy), value);
	if (strcmp(copy, "none") != 0)
		for (tok = strtok_r(copy, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
			uint64_t v, mask = UINT32_MAX;
			char *slash = strchr(tok, '/');

			if (n == CTW_RETIRE_EXCLUDES_MAX) {
				conf_error(p, p->lineno, "%s: at most %d items", name, CTW_RETIRE_EXCLUDES_MAX);
				return -EINVAL;
			}
			if (k->kind == KEY_ZONES) {
				if (list_number(p, name, tok, UINT16_MAX, &v) < 0)
					return -EINVAL;
				p->cfg.retire_exclude_zone[n++] = (uint16_t)v;
				continue;
			}
			if (slash) {
				*slash = '\0';
				if (list_number(p, name, slash + 1, UINT32_MAX, &mask) < 0)
					return -EINVAL;
			}
			if (list_number(p, name, tok, UINT32_MAX, &v) < 0)
				return -EINVAL;
			if ((v & mask) != v) {
				conf_error(p, p->lineno, "%s: %s has bits outside its mask 0x%" PRIx64 ": it can never match",
					   name, tok, mask);
				return -EINVAL;
			}
			p->cfg.retire_exclude_mark[n].value = (uint32_t)v;
			p->cfg.retire_exclude_mark[n++].mask = (uint32_t)mask;
		}
	if (k->kind == KEY_ZONES)
		p->cfg.n_retire_exclude_zone = n;
	else
		p->cfg.n_retire_exclude_mark = n;
	return 0;
}

static int set_value(struct conf_parse *p, const struct key_def *k, size_t slot, const char *name,
		     const char *value)
{
	char *field = (char *)&p->cfg + k->offset;

	switch (k->kind) {
	case KEY_MODE:
		if (strcmp(value, "enforce") == 0)
			p->cfg.mode = CTW_MODE_ENFORCE;
		else if (strcmp(value, "advise") == 0)
			p->cfg.mode = CTW_MODE_ADVISE;
		else {
			conf_error(p, p->lineno, "mode = %s: must be enforce or advise", value);
			return -EINVAL;
		}
		return 0;
	case KEY_PATH:
		return set_path(p, name, value, field);
	case KEY_PATH_OR_EMPTY:
		if (value[0] == '\0') {
			field[0] = '\0';
			return 0;
		}
		return set_path(p, name, value, field);
	case KEY_DIRS:
		return set_dirs(p, name, value);
	case KEY_OUTSIDE:
		if (strcmp(value, "yield") == 0 || strcmp(value, "adopt") == 0) {
			p->cfg.outside_adopt = value[0] == 'a';
			return 0;
		}
		conf_error(p, p->lineno, "on_outside_change = %s: must be yield or adopt", value);
		return -EINVAL;
	case KEY_EVENTS:
		if (strcmp(value, "all") == 0)
			p->cfg.events_scope = CTW_EVENTS_ALL;
		else if (strcmp(value, "own") == 0)
			p->cfg.events_scope = CTW_EVENTS_OWN;
		else if (strcmp(value, "none") == 0)
			p->cfg.events_scope = CTW_EVENTS_NONE;
		else {
			conf_error(p, p->lineno, "events = %s: must be all, own or none", value);
			return -EINVAL;
		}
		return 0;
	case KEY_DURATION:
		return set_duration(p, k, name, value, (uint64_t *)field);
	case KEY_FLOOR:
		return set_duration(p, k, name, value, &p->cfg.timeout_floor_s[slot - N_KEYS]);
	case KEY_COUNT:
	case KEY_SIZE:
		return set_number(p, k, name, value, field);
	case KEY_PERCENT:
	case KEY_DECIMAL:
		return set_fraction(p, k, name, value, (double *)field);
	case KEY_BOOL:
		if (ctw_parse_bool(value, (bool *)field) < 0) {
			conf_error(p, p->lineno, "%s = %s: must be yes or no (or true/false, 1/0)", name, value);
			return -EINVAL;
		}
		return 0;
	case KEY_SHORTEN:
		return set_shorten(p, value, p->cfg.timeout_shorten);
	case KEY_MARKS:
	case KEY_ZONES:
		return set_excludes(p, k, name, value);
	case KEY_LISTEN:
		return set_listen(p, name, value, (struct ctw_listen *)field);
	}
	return -EINVAL;
}

/* libinih's handler: nonzero to go on. */
static int conf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_parse *p = user;
	const struct key_def *k;
	const char *home;
	size_t slot;

	if (p->err_line)
		return 0;
	if (section[0] == '\0') {
		home = section_of(name);
		if (home)
			conf_error(p, p->lineno, "%s is outside a section (it belongs under [%s])", name, home);
		else
			conf_error(p, p->lineno, "%s is outside a section", name);
		return 0;
	}
	k = find_key(section, name, &slot);
	if (!k) {
		home = section_of(name);
		if (home)
			conf_error(p, p->lineno, "%s belongs under [%s], not [%s]", name, home, section);
		else
			conf_error(p, p->lineno, "unknown key '%s' in [%s]", name, section);
		return 0;
	}
	if (p->seen[slot]) {
		conf_error(p, p->lineno, "%s given twice (first on line %u)", name, p->seen[slot]);
		return 0;
	}
	if (value[0] == '\0' && k->kind != KEY_PATH_OR_EMPTY && k->kind != KEY_LISTEN) {
		conf_error(p, p->lineno, "%s has an empty value", name);
		return 0;
	}
	if (set_value(p, k, slot, name, value) < 0)
		return 0;
	p->seen[slot] = p->lineno;
	return 1;
}

static size_t slot_of(const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return i;
	return 0;
}

/* The line that made a pair contradictory: the later one the file set. */
static unsigned later_line(const struct conf_parse *p, const char *a, const char *b)
{
	unsigned la = p->seen[slot_of(a)], lb = p->seen[slot_of(b)];

	return la > lb ? la : lb;
}

static void check_contradictions(struct conf_parse *p)
{
	const struct ctw_config *c = &p->cfg;
	char lo[32], hi[32];

	if (c->warn_pct > c->crit_pct)
		conf_error(p, later_line(p, "warn", "crit"), "warn (%g%%) is above crit (%g%%)",
			   c->warn_pct, c->crit_pct);
	if (c->low_water_pct >= c->high_water_pct)
		conf_error(p, later_line(p, "low_water", "high_water"),
			   "low_water (%g%%) must be below high_water (%g%%)", c->low_water_pct, c->high_water_pct);
	if (c->receive_buffer_max_bytes < c->receive_buffer_bytes) {
		format_size(c->receive_buffer_max_bytes, hi, sizeof(hi));
		format_size(c->receive_buffer_bytes, lo, sizeof(lo));
		conf_error(p, later_line(p, "receive_buffer", "receive_buffer_max"),
			   "receive_buffer_max (%s) is below receive_buffer (%s)", hi, lo);
	}
}

int ctw_config_parse_buffer(const char *name, const char *buf, size_t len, struct ctw_config *out,
			    char *err, size_t errlen)
{
	struct conf_parse *p;
	int r;

	if (errlen)
		err[0] = '\0';
	/* On the heap: the struct is a few KiB and the daemon may reload from a small stack. */
	p = calloc(1, sizeof(*p));
	if (!p) {
		file_error(err, errlen, name, "out of memory");
		return -ENOMEM;
	}
	p->name = name;
	p->pos = buf;
	p->end = buf + len;
	p->err = err;
	p->errlen = errlen;
	ctw_config_defaults(&p->cfg);

	r = ini_parse_stream(conf_reader, p, conf_handler, p);
	if (r > 0)
		conf_error(p, (unsigned)r, "syntax error (expected 'key = value' or a [section] header)");
	else if (r < 0 && !p->err_line)
		file_error(err, errlen, name, "out of memory");
	if (!p->err_line && r == 0)
		check_contradictions(p);

	if (p->err_line || r < 0) {
		r = p->err_line ? -EINVAL : -ENOMEM;
		free(p);
		return r;
	}
	copy_str(p->cfg.source, sizeof(p->cfg.source), name);
	memcpy(out, &p->cfg, sizeof(*out));
	free(p);
	return 0;
}

/* Whole file into memory, after the checks that make it trustworthy: it steers
 * kernel settings as root, so nobody but root (or us) may have written it. */
static int read_config_file(int fd, const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t have = 0;
	char *buf;

	if (fstat(fd, &st) < 0) {
		file_error(err, errlen, path, "%s", strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		file_error(err, errlen, path, "not a regular file");
		return -EINVAL;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		file_error(err, errlen, path, "refusing a config writable by group or others (mode %04o); "
			   "run chmod go-w %s", (unsigned)(st.st_mode & 07777), path);
		return -EPERM;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		file_error(err, errlen, path, "refusing a config owned by uid %u, not by root or the current "
			   "user; run chown root %s", (unsigned)st.st_uid, path);
		return -EPERM;
	}
	if (st.st_size > CONF_FILE_SIZE_MAX) {
		file_error(err, errlen, path, "too large (%jd bytes, at most %d)", (intmax_t)st.st_size,
			   CONF_FILE_SIZE_MAX);
		return -EFBIG;
	}
	/* One byte more than allowed tells a file that grew since fstat. */
	buf = malloc(CONF_FILE_SIZE_MAX + 1);
	if (!buf) {
		file_error(err, errlen, path, "out of memory");
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = read(fd, buf + have, CONF_FILE_SIZE_MAX + 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			file_error(err, errlen, path, "%s", strerror(e));
			free(buf);
			return -e;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > CONF_FILE_SIZE_MAX) {
			file_error(err, errlen, path, "too large (more than %d bytes)", CONF_FILE_SIZE_MAX);
			free(buf);
			return -EFBIG;
		}
	}
	*text = buf;
	*len = have;
	return 0;
}

int ctw_config_load(const char *path, bool must_exist, struct ctw_config *out, char *err, size_t errlen)
{
	size_t len = 0;
	char *text = NULL;
	struct stat st;
	int fd, r;

	if (errlen)
		err[0] = '\0';
	if (strlen(path) >= CTW_CONF_PATH_MAX) {
		file_error(err, errlen, path, "path too long (at most %d characters)", CTW_CONF_PATH_MAX - 1);
		return -ENAMETOOLONG;
	}
	/* A FIFO planted at the path must not hang us: see ctw_open_untrusted. */
	fd = ctw_open_untrusted(AT_FDCWD, path, 0, &st);
	if (fd == -EINVAL) {
		/* The kind is not named here: callers match this exact text. */
		file_error(err, errlen, path, "not a regular file");
		return fd;
	}
	if (fd < 0) {
		r = fd;
		if (r == -ENOENT && !must_exist) {
			ctw_config_defaults(out);
			return 0;
		}
		file_error(err, errlen, path, "%s", strerror(-r));
		return r;
	}
	r = read_config_file(fd, path, &text, &len, err, errlen);
	close(fd);
	if (r < 0)
		return r;
	r = ctw_config_parse_buffer(path, text, len, out, err, errlen);
	free(text);
	return r;
}
