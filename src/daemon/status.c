/* The daemon's status file: the model, its JSON (json-c) and atomic writes. */
#include "daemon/status.h"
#include "daemon/status_internal.h"
#include "base/fileio.h"

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

#define US_PER_S 1000000ULL
#define TMP_SUFFIX ".tmp"
/* Pretty: the file is also read by people (cat, --json). */
#define STATUS_JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

void ctw_status_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Copy with truncation; dst is always terminated, and a UTF-8 character is
 * never cut in two (the JSON reader would refuse the result). */
void ctw_status_copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	if (src[n] != '\0')
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- the model ---------------------------------------------------------- */

void ctw_status_init(struct ctw_status *st, pid_t pid, uint64_t started_at_us)
{
	memset(st, 0, sizeof(*st));
	st->pid = pid;
	st->started_at_us = started_at_us;
	st->updated_at_us = started_at_us;
}

void ctw_status_push_decision(struct ctw_status *st, const struct ctw_status_decision *d)
{
	struct ctw_status_decision *slot = &st->decisions[st->next_decision % CTW_STATUS_DECISIONS];

	slot->at_us = d->at_us;
	ctw_status_copy_str(slot->kind, sizeof(slot->kind), d->kind);
	ctw_status_copy_str(slot->knob, sizeof(slot->knob), d->knob);
	slot->old_value = d->old_value;
	slot->new_value = d->new_value;
	slot->applied = d->applied;
	ctw_status_copy_str(slot->reason, sizeof(slot->reason), d->reason);
	st->next_decision = (st->next_decision + 1) % CTW_STATUS_DECISIONS;
	if (st->n_decisions < CTW_STATUS_DECISIONS)
		st->n_decisions++;
}

void ctw_status_add_decision(struct ctw_status *st, uint64_t at_us, const struct ctw_decision *d, bool applied)
{
	struct ctw_status_decision sd = {
		.at_us = at_us,
		.old_value = d->old_value,
		.new_value = d->new_value,
		.applied = applied,
	};

	ctw_status_copy_str(sd.kind, sizeof(sd.kind), ctw_decision_kind_name(d->kind));
	ctw_status_copy_str(sd.knob, sizeof(sd.knob), ctw_decision_target_name(d));
	ctw_status_copy_str(sd.reason, sizeof(sd.reason), d->reason);
	ctw_status_push_decision(st, &sd);
}

const struct ctw_status_decision *ctw_status_decision(const struct ctw_status *st, unsigned i)
{
	unsigned n = st->n_decisions < CTW_STATUS_DECISIONS ? st->n_decisions : CTW_STATUS_DECISIONS;

	if (i >= n)
		return NULL;
	/* next_decision - 1 is the newest; add the ring size to stay unsigned. */
	return &st->decisions[(st->next_decision % CTW_STATUS_DECISIONS + CTW_STATUS_DECISIONS - 1 - i) %
			      CTW_STATUS_DECISIONS];
}

void ctw_status_top_add(struct ctw_status_top *top, const char *key, uint64_t count, double percent)
{
	struct ctw_status_talker *t;

	if (top->n >= CTW_STATUS_TOP_N)
		return;
	t = &top->t[top->n++];
	ctw_status_copy_str(t->key, sizeof(t->key), key);
	t->count = count;
	t->percent = percent;
}

const char *ctw_status_mode_name(enum ctw_mode mode)
{
	return mode == CTW_MODE_ADVISE ? "advise" : "enforce";
}

uint64_t ctw_status_stale_after_us(uint64_t poll_interval_us)
{
	uint64_t polls = poll_interval_us > UINT64_MAX / CTW_STATUS_STALE_POLLS ? UINT64_MAX
									     : poll_interval_us * CTW_STATUS_STALE_POLLS;

	return polls > CTW_STATUS_STALE_MIN_US ? polls : CTW_STATUS_STALE_MIN_US;
}

bool ctw_status_is_stale(const struct ctw_status *st, uint64_t now_us)
{
	return now_us > st->updated_at_us &&
	       now_us - st->updated_at_us > ctw_status_stale_after_us(st->poll_interval_us);
}

/* ---- time --------------------------------------------------------------- */

bool ctw_status_format_time(uint64_t us, char *buf, size_t len)
{
	time_t secs = (time_t)(us / US_PER_S);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&secs, &tm))
		return false;
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return false;
	return (size_t)snprintf(buf + n, len - n, ".%03uZ", (unsigned)(us % US_PER_S / 1000)) < len - n;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool ctw_status_parse_time(const char *s, uint64_t *us)
{
	/* Exactly YYYY-MM-DDTHH:MM:SS[.fraction]Z; strptime alone would take
	 * spaces and short fields. */
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	struct tm tm = { 0 };
	uint64_t frac = 0, scale = US_PER_S;
	const char *p;
	time_t secs;

	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !is_digit(s[i]) : s[i] != shape[i])
			return false;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p != s + sizeof(shape) - 1)
		return false;
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return false;
		for (; is_digit(*p); p++) {
			if (scale == 1)
				return false;  /* finer than a microsecond */
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	}
	if (p[0] != 'Z' || p[1] != '\0')
		return false;
	secs = timegm(&tm);
	if (secs < 0)
		return false;
	*us = (uint64_t)secs * US_PER_S + frac;
	return true;
}

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

/* ---- files -------------------------------------------------------------- */

int ctw_status_path(const char *runtime_dir, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", runtime_dir, CTW_STATUS_FILE_NAME);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int write_all(int fd, const char *text, size_t len)
{
	/* The trailing newline goes with the text, in one call. */
	struct iovec iov[2] = { { (void *)text, len }, { (void *)"\n", 1 } };
	size_t left = len + 1;

	while (left > 0) {
		ssize_t n = writev(fd, iov, 2);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		left -= (size_t)n;
		for (int i = 0; i < 2 && n > 0; i++) {
			size_t take = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;

			iov[i].iov_base = (char *)iov[i].iov_base + take;
			iov[i].iov_len -= take;
			n -= (ssize_t)take;
		}
	}
	return 0;
}

static int open_temp(const char *runtime_dir, const char *tmp)
{
	int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW;
	int fd = open(tmp, flags, 0644);

	if (fd < 0 && errno == ENOENT) {
		int r = ctw_mkdir_p(runtime_dir, 0755);

		if (r < 0)
			return r;
		fd = open(tmp, flags, 0644);
	}
	if (fd < 0)
		return -errno;
	/* Readable by an unprivileged `ctwarden status` whatever the umask. */
	if (fchmod(fd, 0644) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int ctw_status_write(const char *runtime_dir, const struct ctw_status *st)
{
	char path[CTW_CONF_PATH_MAX + sizeof(CTW_STATUS_FILE_NAME) + 1];
	char tmp[sizeof(path) + sizeof(TMP_SUFFIX) + 1];
	struct json_object *root;
	const char *text;
	size_t len;
	int fd, r;

	r = ctw_status_path(runtime_dir, path, sizeof(path));
	if (r < 0)
		return r;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s%s", runtime_dir, CTW_STATUS_FILE_NAME, TMP_SUFFIX) >=
	    sizeof(tmp))
		return -ENAMETOOLONG;
	root = ctw_status_to_json(st);
	if (!root)
		return -ENOMEM;
	text = json_object_to_json_string_length(root, STATUS_JSON_FLAGS, &len);
	if (!text) {
		json_object_put(root);
		return -ENOMEM;
	}
	fd = open_temp(runtime_dir, tmp);
	if (fd < 0) {
		json_object_put(root);
		return fd;
	}
	r = write_all(fd, text, len);
	json_object_put(root);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int ctw_status_remove(const char *runtime_dir)
{
	char path[CTW_CONF_PATH_MAX + sizeof(CTW_STATUS_FILE_NAME) + 1];
	int r = ctw_status_path(runtime_dir, path, sizeof(path));

	if (r < 0)
		return r;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int ctw_status_load(const char *path, struct ctw_status *out, char *text, size_t textlen,
		    char *err, size_t errlen)
{
	struct stat st;
	size_t limit;
	ssize_t n;
	int fd, r;

	memset(out, 0, sizeof(*out));
	if (textlen < 2)
		return -EINVAL;
	/* Read one byte more than allowed to tell "exactly full" from "too big". */
	limit = textlen - 1 < CTW_STATUS_FILE_MAX + 1 ? textlen - 1 : CTW_STATUS_FILE_MAX + 1;
	fd = ctw_open_untrusted(AT_FDCWD, path, 0, &st);  /* a FIFO must not hang "status" */
	if (fd == -EINVAL) {
		ctw_status_set_err(err, errlen, "not a regular file (%s)", ctw_file_kind(st.st_mode));
		return fd;
	}
	if (fd < 0) {
		r = fd;
		ctw_status_set_err(err, errlen, "cannot open: %s", strerror(-r));
		return r;
	}
	n = ctw_read_all(fd, text, limit);
	close(fd);
	if (n < 0) {
		ctw_status_set_err(err, errlen, "cannot read: %s", strerror((int)-n));
		text[0] = '\0';
		return (int)n;
	}
	if ((size_t)n == limit) {
		ctw_status_set_err(err, errlen, "larger than %zu bytes", limit - 1);
		text[0] = '\0';
		return -EFBIG;
	}
	text[n] = '\0';
	return ctw_status_parse(text, (size_t)n, out, err, errlen);
}
