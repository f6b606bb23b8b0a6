/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's decisions and alerts: one structured journal entry each, with a
 * fixed MESSAGE_ID per kind (explained in systemd/ctwarden.catalog) and
 * CTWARDEN_* fields. Without journald the same entry is one readable line on a
 * stream (stderr):
 *   ctwarden: warning: table 85% full CTWARDEN_EVENT=usage_warning CTWARDEN_COUNT=850 ...
 *
 * Use:
 *   struct ctw_journal_entry e;
 *   ctw_journal_entry_init(&e, CTW_EV_MAX_RAISED, "raised %s from %lu to %lu", ...);
 *   ctw_journal_entry_set_knob(&e, "net.netfilter.nf_conntrack_max");
 *   ctw_journal_entry_set_old_new(&e, 65536, 131072);
 *   ctw_journal_emit(&journal, &e);
 */
#ifndef CTW_JOURNAL_H
#define CTW_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

#include "base/conf.h"

enum ctw_event {
	CTW_EV_STARTED,
	CTW_EV_RELOADED,
	CTW_EV_RELOAD_FAILED,
	CTW_EV_STOPPING,
	CTW_EV_DROPS_SEEN,         /* the kernel's drop counter went up */
	CTW_EV_USAGE_WARNING,
	CTW_EV_USAGE_CRITICAL,
	CTW_EV_USAGE_NORMAL,       /* back under the warning threshold */
	CTW_EV_MAX_RAISED,
	CTW_EV_MAX_LOWERED,
	CTW_EV_HASH_RESIZED,
	CTW_EV_TIMEOUT_SHORTENED,
	CTW_EV_TIMEOUT_RESTORED,
	CTW_EV_LIMIT_REACHED,      /* wanted to act, a configured limit said no */
	CTW_EV_ACTION_FAILED,      /* a write to the kernel failed */
	CTW_EV_TABLE_FULL,         /* "table full, dropping packet" in the kernel log */
	CTW_EV_NETNS_UNWATCHABLE,  /* a network namespace exists but cannot be watched */
	CTW_EV_OUTSIDE_CHANGE,     /* a managed knob holds a value ctwarden did not write */
	CTW_EV_ACTION_YIELDED,     /* an action not taken: the knob is the operator's */
	CTW_EV_RETIRE_PASS,        /* a retirement pass after a timeout step ended */
	CTW_EV__COUNT
};

/* The MESSAGE_IDs, 32 lowercase hex digits as journalctl MESSAGE_ID= takes them. */
#define CTW_MID_STARTED           "9ed117e50b844cdca4badb1bc88941dd"
#define CTW_MID_RELOADED          "c0fd6ad6d59c413cbeaf18b37903bd5a"
#define CTW_MID_RELOAD_FAILED     "1249a208ed96468590fa8f069c2b01cc"
#define CTW_MID_STOPPING          "0c2d006e565c4edfa5d984cefafeddd2"
#define CTW_MID_DROPS_SEEN        "cf184f83c92345899e6fe22ec89cd8f1"
#define CTW_MID_USAGE_WARNING     "5f566a1ebbb1491f9edea874a9e9726a"
#define CTW_MID_USAGE_CRITICAL    "0eb2dfc3bb674938bda164bb4201af06"
#define CTW_MID_USAGE_NORMAL      "c41e066ef26540ab831fc9402437b138"
#define CTW_MID_MAX_RAISED        "0f696f28c08846d0b21095c72d0a44e1"
#define CTW_MID_MAX_LOWERED       "9d8d34d58f914c8c94099f66fbd80ab6"
#define CTW_MID_HASH_RESIZED      "701c5ba11e184d4c950b801335558922"
#define CTW_MID_TIMEOUT_SHORTENED "0bace2c22f7d47cdb7c9d3f0de73d5a9"
#define CTW_MID_TIMEOUT_RESTORED  "7f5ab0f154484131b84a25c77971866d"
#define CTW_MID_LIMIT_REACHED     "5d157368d1d449209f6f8babfb81b531"
#define CTW_MID_ACTION_FAILED     "b48218a6a1bb42c4a8d054158d487b5f"
#define CTW_MID_TABLE_FULL        "df3b98528e764cfea34f99e171fdfc28"
#define CTW_MID_OUTSIDE_CHANGE    "3ef7e54f939a456fb1d4ecc451417fa4"
#define CTW_MID_ACTION_YIELDED    "e00ee0f8af104e0298620b80585d4971"
#define CTW_MID_NETNS_UNWATCHABLE "35eef459a03f4370aaaff0e10028a5d4"
#define CTW_MID_RETIRE_PASS       "e82d1bf9cfee40f492f86fd1ab6320c5"

/* Which optional fields an entry carries (struct ctw_journal_entry.has). */
enum ctw_journal_field {
	CTW_JF_COUNT   = 1u << 0,  /* CTWARDEN_COUNT: entries in the table */
	CTW_JF_MAX     = 1u << 1,  /* CTWARDEN_MAX: nf_conntrack_max */
	CTW_JF_BUCKETS = 1u << 2,  /* CTWARDEN_BUCKETS */
	CTW_JF_OLD     = 1u << 3,  /* CTWARDEN_OLD: a knob's value before */
	CTW_JF_NEW     = 1u << 4,  /* CTWARDEN_NEW: ... and after (or wanted) */
	CTW_JF_KNOB    = 1u << 5,  /* CTWARDEN_KNOB: sysctl name */
	CTW_JF_REASON  = 1u << 6,  /* CTWARDEN_REASON: why, one line */
	CTW_JF_MODE    = 1u << 7,  /* CTWARDEN_MODE: enforce|advise */
	CTW_JF_ERRNO   = 1u << 8,  /* CTWARDEN_ERRNO: positive errno number */
	CTW_JF_DROPS   = 1u << 9,  /* CTWARDEN_DROPS: packets dropped since the last report */
	CTW_JF_NETNS   = 1u << 10, /* CTWARDEN_NETNS: network namespace inode */
	CTW_JF_RETIRE  = 1u << 11, /* CTWARDEN_RETIRED_*: a retirement pass's counts */
};

#define CTW_JOURNAL_MESSAGE_MAX 512
#define CTW_JOURNAL_TEXT_MAX 256   /* knob and reason; longer text is cut */

/* What a retirement pass did (CTW_JF_RETIRE). */
struct ctw_journal_retire {
	uint64_t seen;             /* CTWARDEN_RETIRED_SEEN: entries the dump returned */
	uint64_t deleted;          /* CTWARDEN_RETIRED_DELETED (dry run: would be) */
	uint64_t retimed;          /* CTWARDEN_RETIRED_RETIMED (dry run: would be) */
	uint64_t skipped;          /* CTWARDEN_RETIRED_SKIPPED: kept, all reasons */
	uint64_t gone;             /* CTWARDEN_RETIRED_GONE: went away before their request */
	uint64_t failed;           /* CTWARDEN_RETIRED_FAILED: refused by the kernel */
	uint64_t oldest_idle_s;    /* CTWARDEN_RETIRED_OLDEST_IDLE: seconds */
	uint64_t duration_ms;      /* CTWARDEN_RETIRED_DURATION_MS */
	uint64_t max_poll_gap_ms;  /* CTWARDEN_RETIRED_MAX_POLL_GAP_MS: longest gap between poll rounds meanwhile */
	bool dry_run;              /* CTWARDEN_RETIRED_DRY_RUN: yes|no */
	char skipped_by[CTW_JOURNAL_TEXT_MAX];  /* CTWARDEN_RETIRED_SKIPPED_BY: "unacked=3 nat=1" */
	char top[CTW_JOURNAL_TEXT_MAX];         /* CTWARDEN_RETIRED_TOP_DESTINATIONS: "10.0.0.5 41%, ..." */
};

struct ctw_journal_entry {
	enum ctw_event kind;
	int priority;              /* syslog level; init sets the kind's default */
	char message[CTW_JOURNAL_MESSAGE_MAX];
	unsigned has;              /* enum ctw_journal_field bits */
	uint64_t count, max, buckets, old_value, new_value, drops, netns;
	char knob[CTW_JOURNAL_TEXT_MAX];
	char reason[CTW_JOURNAL_TEXT_MAX];
	enum ctw_mode mode;
	int err;                   /* positive errno */
	struct ctw_journal_retire retire;
};

/* Start an entry: no optional fields, the kind's default priority, and
 * MESSAGE from the format (one line; newlines become spaces). */
void ctw_journal_entry_init(struct ctw_journal_entry *e, enum ctw_event kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ctw_journal_entry_set_usage(struct ctw_journal_entry *e, uint64_t count, uint64_t max);
void ctw_journal_entry_set_buckets(struct ctw_journal_entry *e, uint64_t buckets);
void ctw_journal_entry_set_old_new(struct ctw_journal_entry *e, uint64_t old_value, uint64_t new_value);
void ctw_journal_entry_set_knob(struct ctw_journal_entry *e, const char *sysctl_name);
void ctw_journal_entry_set_reason(struct ctw_journal_entry *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ctw_journal_entry_set_mode(struct ctw_journal_entry *e, enum ctw_mode mode);
/* err: positive or negative errno, stored positive. */
void ctw_journal_entry_set_errno(struct ctw_journal_entry *e, int err);
void ctw_journal_entry_set_drops(struct ctw_journal_entry *e, uint64_t drops);
void ctw_journal_entry_set_netns(struct ctw_journal_entry *e, uint64_t netns_inode);
/* A retirement pass's counts (copied; text fields cut to fit). */
void ctw_journal_entry_set_retire(struct ctw_journal_entry *e, const struct ctw_journal_retire *r);

/* "max_raised"; NULL for an unknown kind. */
const char *ctw_event_name(enum ctw_event kind);
/* The MESSAGE_ID (CTW_MID_*); NULL for an unknown kind. */
const char *ctw_event_message_id(enum ctw_event kind);
/* LOG_INFO for started, LOG_CRIT for usage_critical, ... */
int ctw_event_default_priority(enum ctw_event kind);
/* The fields an entry of this kind must carry (the catalog text uses them). */
unsigned ctw_event_required_fields(enum ctw_event kind);
/* "warning" for LOG_WARNING; NULL outside 0..7. */
const char *ctw_priority_name(int priority);

/* The entry as journal fields, "KEY=value" each, in this order: MESSAGE,
 * MESSAGE_ID, PRIORITY, SYSLOG_IDENTIFIER, CTWARDEN_EVENT, then the optional
 * fields present. Pure. */
#define CTW_JOURNAL_FIELDS_MAX 28
struct ctw_journal_fields {
	size_t n;
	struct iovec iov[CTW_JOURNAL_FIELDS_MAX];  /* point into text; no NUL counted */
	char text[4096];
};
/* 0, or -EINVAL for an unknown kind, a priority outside 0..7, or a field the
 * kind requires that is missing (see ctw_event_required_fields). */
int ctw_journal_build_fields(const struct ctw_journal_entry *e, struct ctw_journal_fields *out);

/* The stream form: "ctwarden: <priority>: MESSAGE CTWARDEN_EVENT=... KEY=VALUE..."
 * (values with spaces or quotes are double-quoted), newline-terminated.
 * Returns the length written into buf (cut to fit) or -EINVAL as above. Pure. */
int ctw_journal_format_line(const struct ctw_journal_entry *e, char *buf, size_t len);

/* Where entries go. */
enum ctw_journal_sink {
	CTW_JOURNAL_AUTO,      /* journald if its socket exists or $JOURNAL_STREAM is set */
	CTW_JOURNAL_JOURNALD,
	CTW_JOURNAL_STREAM,
};

#define CTW_JOURNAL_SOCKET "/run/systemd/journal/socket"

struct ctw_journal {
	enum ctw_journal_sink sink;  /* JOURNALD or STREAM once opened */
	FILE *stream;                /* the stream sink, and the fallback when journald refuses */
};

/* Decide the sink for AUTO. socket_path and journal_stream ($JOURNAL_STREAM,
 * may be NULL) are parameters so tests can point them elsewhere. Pure but for
 * one access(2). */
enum ctw_journal_sink ctw_journal_pick_sink(const char *socket_path, const char *journal_stream);

/* Set up: want AUTO decides from CTW_JOURNAL_SOCKET and the environment.
 * stream is where lines go (stderr when NULL). */
void ctw_journal_init(struct ctw_journal *j, enum ctw_journal_sink want, FILE *stream);

/* Emit one entry. 0; -EINVAL for an invalid entry (nothing emitted); -errno
 * when journald refused it (the line then went to the stream instead) or the
 * stream write failed. */
int ctw_journal_emit(struct ctw_journal *j, const struct ctw_journal_entry *e);

#endif
