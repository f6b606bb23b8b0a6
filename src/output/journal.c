/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Structured journal entries for the daemon's decisions and alerts. */
#include "output/journal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#define USAGE (CTW_JF_COUNT | CTW_JF_MAX)
#define CHANGE (CTW_JF_OLD | CTW_JF_NEW | CTW_JF_KNOB)
#define DECISION (CHANGE | CTW_JF_REASON)

static const struct event_kind {
	const char *name;
	const char *message_id;
	int priority;
	unsigned required;
} event_kinds[CTW_EV__COUNT] = {
	[CTW_EV_STARTED]           = { "started", CTW_MID_STARTED, LOG_INFO, CTW_JF_MODE },
	[CTW_EV_RELOADED]          = { "reloaded", CTW_MID_RELOADED, LOG_INFO, CTW_JF_MODE },
	[CTW_EV_RELOAD_FAILED]     = { "reload_failed", CTW_MID_RELOAD_FAILED, LOG_ERR, CTW_JF_REASON },
	[CTW_EV_STOPPING]          = { "stopping", CTW_MID_STOPPING, LOG_INFO, 0 },
	[CTW_EV_DROPS_SEEN]        = { "drops_seen", CTW_MID_DROPS_SEEN, LOG_ERR, CTW_JF_DROPS },
	[CTW_EV_USAGE_WARNING]     = { "usage_warning", CTW_MID_USAGE_WARNING, LOG_WARNING, USAGE },
	[CTW_EV_USAGE_CRITICAL]    = { "usage_critical", CTW_MID_USAGE_CRITICAL, LOG_CRIT, USAGE },
	[CTW_EV_USAGE_NORMAL]      = { "usage_normal", CTW_MID_USAGE_NORMAL, LOG_NOTICE, USAGE },
	[CTW_EV_MAX_RAISED]        = { "max_raised", CTW_MID_MAX_RAISED, LOG_NOTICE, DECISION },
	[CTW_EV_MAX_LOWERED]       = { "max_lowered", CTW_MID_MAX_LOWERED, LOG_NOTICE, DECISION },
	[CTW_EV_HASH_RESIZED]      = { "hash_resized", CTW_MID_HASH_RESIZED, LOG_NOTICE, CHANGE },
	[CTW_EV_TIMEOUT_SHORTENED] = { "timeout_shortened", CTW_MID_TIMEOUT_SHORTENED, LOG_NOTICE, DECISION },
	[CTW_EV_TIMEOUT_RESTORED]  = { "timeout_restored", CTW_MID_TIMEOUT_RESTORED, LOG_NOTICE, CHANGE },
	[CTW_EV_LIMIT_REACHED]     = { "limit_reached", CTW_MID_LIMIT_REACHED, LOG_WARNING, CTW_JF_REASON },
	[CTW_EV_ACTION_FAILED]     = { "action_failed", CTW_MID_ACTION_FAILED, LOG_ERR, CTW_JF_ERRNO | CTW_JF_KNOB },
	[CTW_EV_TABLE_FULL]        = { "table_full", CTW_MID_TABLE_FULL, LOG_ERR, 0 },
	[CTW_EV_NETNS_UNWATCHABLE] = { "netns_unwatchable", CTW_MID_NETNS_UNWATCHABLE, LOG_WARNING, CTW_JF_REASON },
	[CTW_EV_OUTSIDE_CHANGE]    = { "outside_change", CTW_MID_OUTSIDE_CHANGE, LOG_NOTICE, CHANGE },
	[CTW_EV_ACTION_YIELDED]    = { "action_yielded", CTW_MID_ACTION_YIELDED, LOG_WARNING, CHANGE },
	[CTW_EV_RETIRE_PASS]       = { "retire_pass", CTW_MID_RETIRE_PASS, LOG_NOTICE,
				       CHANGE | CTW_JF_NETNS | CTW_JF_RETIRE },
};

static const struct event_kind *event_kind(enum ctw_event kind)
{
	if ((unsigned)kind >= CTW_EV__COUNT)
		return NULL;
	return &event_kinds[kind];
}

const char *ctw_event_name(enum ctw_event kind)
{
	const struct event_kind *k = event_kind(kind);
	return k ? k->name : NULL;
}

const char *ctw_event_message_id(enum ctw_event kind)
{
	const struct event_kind *k = event_kind(kind);
	return k ? k->message_id : NULL;
}

int ctw_event_default_priority(enum ctw_event kind)
{
	const struct event_kind *k = event_kind(kind);
	return k ? k->priority : LOG_ERR;
}

unsigned ctw_event_required_fields(enum ctw_event kind)
{
	const struct event_kind *k = event_kind(kind);
	return k ? k->required : 0;
}

const char *ctw_priority_name(int priority)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
	};
	if (priority < 0 || priority > LOG_DEBUG)
		return NULL;
	return names[priority];
}

/* Entries are single lines: control characters (newlines) become spaces. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

void ctw_journal_entry_init(struct ctw_journal_entry *e, enum ctw_event kind, const char *fmt, ...)
{
	va_list ap;

	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->priority = ctw_event_default_priority(kind);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	one_line(e->message);
}

void ctw_journal_entry_set_usage(struct ctw_journal_entry *e, uint64_t count, uint64_t max)
{
	e->count = count;
	e->max = max;
	e->has |= CTW_JF_COUNT | CTW_JF_MAX;
}

void ctw_journal_entry_set_buckets(struct ctw_journal_entry *e, uint64_t buckets)
{
	e->buckets = buckets;
	e->has |= CTW_JF_BUCKETS;
}

void ctw_journal_entry_set_old_new(struct ctw_journal_entry *e, uint64_t old_value, uint64_t new_value)
{
	e->old_value = old_value;
	e->new_value = new_value;
	e->has |= CTW_JF_OLD | CTW_JF_NEW;
}

void ctw_journal_entry_set_knob(struct ctw_journal_entry *e, const char *sysctl_name)
{
	snprintf(e->knob, sizeof(e->knob), "%s", sysctl_name);
	one_line(e->knob);
	e->has |= CTW_JF_KNOB;
}

void ctw_journal_entry_set_reason(struct ctw_journal_entry *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	one_line(e->reason);
	e->has |= CTW_JF_REASON;
}

void ctw_journal_entry_set_mode(struct ctw_journal_entry *e, enum ctw_mode mode)
{
	e->mode = mode;
	e->has |= CTW_JF_MODE;
}

void ctw_journal_entry_set_errno(struct ctw_journal_entry *e, int err)
{
	e->err = err < 0 ? -err : err;
	e->has |= CTW_JF_ERRNO;
}

void ctw_journal_entry_set_drops(struct ctw_journal_entry *e, uint64_t drops)
{
	e->drops = drops;
	e->has |= CTW_JF_DROPS;
}

void ctw_journal_entry_set_netns(struct ctw_journal_entry *e, uint64_t netns_inode)
{
	e->netns = netns_inode;
	e->has |= CTW_JF_NETNS;
}

void ctw_journal_entry_set_retire(struct ctw_journal_entry *e, const struct ctw_journal_retire *r)
{
	e->retire = *r;
	e->retire.skipped_by[sizeof(e->retire.skipped_by) - 1] = '\0';
	e->retire.top[sizeof(e->retire.top) - 1] = '\0';
	one_line(e->retire.skipped_by);
	one_line(e->retire.top);
	e->has |= CTW_JF_RETIRE;
}

static const char *mode_name(enum ctw_mode mode)
{
	return mode == CTW_MODE_ADVISE ? "advise" : "enforce";
}

static int add_field(struct ctw_journal_fields *out, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int add_field(struct ctw_journal_fields *out, size_t *used, const char *fmt, ...)
{
	size_t room = sizeof(out->text) - *used;
	va_list ap;
	int n;

	if (out->n >= CTW_JOURNAL_FIELDS_MAX)
		return -ENOBUFS;
	va_start(ap, fmt);
	n = vsnprintf(out->text + *used, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -ENOBUFS;
	out->iov[out->n].iov_base = out->text + *used;
	out->iov[out->n].iov_len = (size_t)n;
	out->n++;
	*used += (size_t)n + 1;
	return 0;
}

/* Text fields are bounded by their arrays even if a caller filled them by hand. */
#define BOUNDED(field) (int)strnlen((field), sizeof(field)), (field)

int ctw_journal_build_fields(const struct ctw_journal_entry *e, struct ctw_journal_fields *out)
{
	const struct event_kind *k = event_kind(e->kind);
	size_t used = 0;
	int r = 0;

	out->n = 0;
	if (!k || !ctw_priority_name(e->priority))
		return -EINVAL;
	if ((e->has & k->required) != k->required)
		return -EINVAL;

	r |= add_field(out, &used, "MESSAGE=%.*s", BOUNDED(e->message));
	r |= add_field(out, &used, "MESSAGE_ID=%s", k->message_id);
	r |= add_field(out, &used, "PRIORITY=%d", e->priority);
	r |= add_field(out, &used, "SYSLOG_IDENTIFIER=ctwarden");
	r |= add_field(out, &used, "CTWARDEN_EVENT=%s", k->name);
	if (e->has & CTW_JF_COUNT)
		r |= add_field(out, &used, "CTWARDEN_COUNT=%" PRIu64, e->count);
	if (e->has & CTW_JF_MAX)
		r |= add_field(out, &used, "CTWARDEN_MAX=%" PRIu64, e->max);
	if (e->has & CTW_JF_BUCKETS)
		r |= add_field(out, &used, "CTWARDEN_BUCKETS=%" PRIu64, e->buckets);
	if (e->has & CTW_JF_OLD)
		r |= add_field(out, &used, "CTWARDEN_OLD=%" PRIu64, e->old_value);
	if (e->has & CTW_JF_NEW)
		r |= add_field(out, &used, "CTWARDEN_NEW=%" PRIu64, e->new_value);
	if (e->has & CTW_JF_KNOB)
		r |= add_field(out, &used, "CTWARDEN_KNOB=%.*s", BOUNDED(e->knob));
	if (e->has & CTW_JF_REASON)
		r |= add_field(out, &used, "CTWARDEN_REASON=%.*s", BOUNDED(e->reason));
	if (e->has & CTW_JF_MODE)
		r |= add_field(out, &used, "CTWARDEN_MODE=%s", mode_name(e->mode));
	if (e->has & CTW_JF_ERRNO)
		r |= add_field(out, &used, "CTWARDEN_ERRNO=%d", e->err);
	if (e->has & CTW_JF_DROPS)
		r |= add_field(out, &used, "CTWARDEN_DROPS=%" PRIu64, e->drops);
	if (e->has & CTW_JF_NETNS)
		r |= add_field(out, &used, "CTWARDEN_NETNS=%" PRIu64, e->netns);
	if (e->has & CTW_JF_RETIRE) {
		const struct ctw_journal_retire *rt = &e->retire;

		r |= add_field(out, &used, "CTWARDEN_RETIRED_DELETED=%" PRIu64, rt->deleted);
		r |= add_field(out, &used, "CTWARDEN_RETIRED_RETIMED=%" PRIu64, rt->retimed);
		r |= add_field(out, &used, "CTWARDEN_RETIRED_SKIPPED=%" PRIu64, rt->skipped);
		r |= add_field(out, &used, "CTWARDEN_RETIRED_SKIPPED_BY=%.*s", BOUNDED(rt->skipped_by));
		r |= add_field(out, &used, "CTWARDEN_RETIRED_SEEN=%" PRIu64, rt->seen);
		r |= add_field(out, &used, "CTWARDEN_RETIRED_GONE=%" PRIu64, rt->gone);
		r |= add_field(out, &used, "CTWARDEN_RETIRED_FAILED=%" PRIu64, rt->failed);
		r |= add_field(out, &used, "CTWARDEN_RETIRED_OLDEST_IDLE=%" PRIu64, rt->oldest_idle_s);
		r |= add_field(out, &used, "CTWARDEN_RETIRED_DURATION_MS=%" PRIu64, rt->duration_ms);
		r |= add_field(out, &used, "CTWARDEN_RETIRED_MAX_POLL_GAP_MS=%" PRIu64, rt->max_poll_gap_ms);
		r |= add_field(out, &used, "CTWARDEN_RETIRED_DRY_RUN=%s", rt->dry_run ? "yes" : "no");
		r |= add_field(out, &used, "CTWARDEN_RETIRED_TOP_DESTINATIONS=%.*s", BOUNDED(rt->top));
	}
	/* Sizes are chosen so this cannot happen; never send a partial entry. */
	if (r) {
		out->n = 0;
		return -ENOBUFS;
	}
	return 0;
}

static bool needs_quotes(const char *v, size_t len)
{
	if (len == 0)
		return true;
	for (size_t i = 0; i < len; i++)
		if (v[i] == ' ' || v[i] == '"' || v[i] == '\\')
			return true;
	return false;
}

/* Append to buf, keeping it NUL-terminated and counting what did not fit. */
struct line {
	char *buf;
	size_t len, used;
};

static void line_putc(struct line *l, char c)
{
	if (l->used + 1 < l->len)
		l->buf[l->used] = c;
	l->used++;
}

static void line_put(struct line *l, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		line_putc(l, s[i]);
}

int ctw_journal_format_line(const struct ctw_journal_entry *e, char *buf, size_t len)
{
	struct ctw_journal_fields f;
	struct line l = { buf, len, 0 };
	const char *prio;
	int r;

	r = ctw_journal_build_fields(e, &f);
	if (r < 0)
		return r;
	if (len == 0)
		return -EINVAL;
	prio = ctw_priority_name(e->priority);
	line_put(&l, "ctwarden: ", 10);
	line_put(&l, prio, strlen(prio));
	line_put(&l, ": ", 2);
	line_put(&l, e->message, strnlen(e->message, sizeof(e->message)));
	/* The CTWARDEN_* fields, from the same list journald gets. */
	for (size_t i = 4; i < f.n; i++) {
		const char *kv = f.iov[i].iov_base;
		const char *eq = memchr(kv, '=', f.iov[i].iov_len);
		size_t klen = (size_t)(eq - kv);
		const char *v = eq + 1;
		size_t vlen = f.iov[i].iov_len - klen - 1;

		line_putc(&l, ' ');
		line_put(&l, kv, klen + 1);
		if (!needs_quotes(v, vlen)) {
			line_put(&l, v, vlen);
			continue;
		}
		line_putc(&l, '"');
		for (size_t c = 0; c < vlen; c++) {
			if (v[c] == '"' || v[c] == '\\')
				line_putc(&l, '\\');
			line_putc(&l, v[c]);
		}
		line_putc(&l, '"');
	}
	line_putc(&l, '\n');
	if (l.used >= len) {
		/* Cut: keep the newline so the next line starts clean. */
		l.used = len - 1;
		if (len >= 2)
			buf[len - 2] = '\n';
	}
	buf[l.used] = '\0';
	return (int)l.used;
}

enum ctw_journal_sink ctw_journal_pick_sink(const char *socket_path, const char *journal_stream)
{
	if (journal_stream && *journal_stream)
		return CTW_JOURNAL_JOURNALD;
	if (socket_path && access(socket_path, F_OK) == 0)
		return CTW_JOURNAL_JOURNALD;
	return CTW_JOURNAL_STREAM;
}

void ctw_journal_init(struct ctw_journal *j, enum ctw_journal_sink want, FILE *stream)
{
	if (want == CTW_JOURNAL_AUTO)
		want = ctw_journal_pick_sink(CTW_JOURNAL_SOCKET, getenv("JOURNAL_STREAM"));
	j->sink = want;
	j->stream = stream ? stream : stderr;
}

static int write_line(FILE *stream, const struct ctw_journal_entry *e)
{
	char line[CTW_JOURNAL_MESSAGE_MAX + 1024];
	int n = ctw_journal_format_line(e, line, sizeof(line));

	if (n < 0)
		return n;
	if (fwrite(line, 1, (size_t)n, stream) != (size_t)n || fflush(stream) != 0)
		return errno ? -errno : -EIO;
	return 0;
}

int ctw_journal_emit(struct ctw_journal *j, const struct ctw_journal_entry *e)
{
	struct ctw_journal_fields f;
	int r = ctw_journal_build_fields(e, &f);

	if (r < 0)
		return r;
	if (j->sink != CTW_JOURNAL_JOURNALD)
		return write_line(j->stream, e);
	r = sd_journal_sendv(f.iov, (int)f.n);
	if (r < 0) {
		/* An alert must not vanish because journald is away: say it on the stream. */
		write_line(j->stream, e);
		return r;
	}
	return 0;
}
