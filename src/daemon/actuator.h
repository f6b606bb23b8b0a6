/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Carries the policy's decisions out on the kernel: remembers each knob's
 * original value in the state file before its first change, writes, reads
 * back, and backs off from a knob whose writes fail. */
#ifndef CTW_ACTUATOR_H
#define CTW_ACTUATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "kernel/knobs.h"
#include "kernel/netns.h"
#include "daemon/statefile.h"

/* Retry a failing knob after 1 s, doubling up to 5 min. */
#define CTW_BACKOFF_MIN_US (1000ULL * 1000)
#define CTW_BACKOFF_MAX_US (300ULL * 1000 * 1000)

struct ctw_backoff {
	unsigned failures;
	uint64_t next_try_us;
	int last_err;          /* the errno last reported, so a failure is said once */
};

struct ctw_actuator {
	const struct ctw_knobs *knobs;
	struct ctw_state state;
	struct ctw_backoff backoff[CTW_KNOB__COUNT];
	char boot_id[CTW_STATE_BOOT_ID_LEN + 1];        /* this boot's; "" when the root has none */
	/* The state file's originals belong to another boot (ctw_actuator_boot_same). */
	bool other_boot;
	char state_boot_id[CTW_STATE_BOOT_ID_LEN + 1];  /* the boot the file names; "" when it names none */
	/* Set by ctw_actuator_init when it discarded a state from another boot:
	 * how many originals went (global and per namespace). */
	size_t discarded;
};

/* Where the kernel says which boot this is, under the knobs' root. */
#define CTW_BOOT_ID_PATH "proc/sys/kernel/random/boot_id"

/* The daemon's start: load the state file under state_dir; a state from
 * another boot is discarded (deleted: after a reboot the kernel is at its
 * boot values, and those originals would be wrong), with a->discarded and
 * a->state_boot_id saying what went, for the one journal line the caller
 * writes. -errno with err "FILE: ..." when the file cannot be trusted (the
 * daemon must not start and overwrite originals) or cannot be discarded. */
int ctw_actuator_init(struct ctw_actuator *a, const struct ctw_knobs *k, const char *state_dir,
		      char *err, size_t errlen);
/* The same, but a state from another boot is kept as loaded and only
 * flagged (a->other_boot): for restore and persist, which refuse it. */
int ctw_actuator_load(struct ctw_actuator *a, const struct ctw_knobs *k, const char *state_dir,
		      char *err, size_t errlen);

/* This boot's ID from <root>/proc/sys/kernel/random/boot_id into buf
 * (CTW_STATE_BOOT_ID_LEN + 1 bytes); "" when absent or malformed. */
void ctw_boot_id_read(const struct ctw_knobs *k, char *buf, size_t len);

/* Do originals recorded as (state_boot_id, written at mtime) belong to the
 * boot (boot_id, started at boot_started, Unix time)? Both IDs known: they
 * must be equal. Otherwise (a version 1 file, a root without boot_id) the
 * file must have been written since this boot began. Pure. */
bool ctw_actuator_boot_same(const char *state_boot_id, time_t mtime, const char *boot_id, time_t boot_started);

/* A write failed: wait longer before the next try (1 s doubling to 5 min);
 * *first_report tells whether errnum differs from the last one said. */
void ctw_backoff_failed(struct ctw_backoff *b, uint64_t now_us, int errnum, bool *first_report);

enum ctw_apply_result {
	CTW_APPLY_DONE,        /* written and read back */
	CTW_APPLY_BACKOFF,     /* not tried: the knob is backing off after a failure */
	CTW_APPLY_FAILED,      /* tried and failed; *err says why */
};

/* Set knob id from old_value to value. On CTW_APPLY_FAILED, *errnum is the
 * errno and *first_report tells whether this failure differs from the last
 * one reported for the knob (log only then). */
enum ctw_apply_result ctw_actuator_apply(struct ctw_actuator *a, enum ctw_knob id, uint64_t old_value,
					 uint64_t value, uint64_t now_us, int *errnum, bool *first_report,
					 char *err, size_t errlen);

/* The same for a per-namespace knob (a timeout) inside another network
 * namespace: its original goes to the state file under the namespace's name
 * and inode first, then the write happens inside it (setns and back).
 * b is the namespace's own backoff for that knob. */
enum ctw_apply_result ctw_actuator_apply_netns(struct ctw_actuator *a, const struct ctw_netns_ref *ref,
					       enum ctw_knob id, uint64_t old_value, uint64_t value, uint64_t now_us,
					       struct ctw_backoff *b, int *errnum, bool *first_report,
					       char *err, size_t errlen);

/* ---- restore, as a transaction (actuator_restore.c) ----------------------
 * ctw_restore_plan checks every original first and reads every knob's current
 * value; when any check fails nothing is written. ctw_restore_apply then
 * writes in a safe order; when a write fails, the knobs already written are
 * put back to the values read by the plan. */

struct ctw_restore_step {
	int ns;              /* index into state.netns, -1 for the host's own */
	enum ctw_knob knob;
	uint64_t from;       /* the value now (what a rollback writes) */
	uint64_t to;         /* the original */
	bool written;
};

#define CTW_RESTORE_STEPS_MAX (CTW_STATE_MAX_ENTRIES + CTW_STATE_NETNS_MAX * CTW_TO__COUNT)

struct ctw_restore_plan {
	size_t n;
	struct ctw_restore_step steps[CTW_RESTORE_STEPS_MAX];   /* in write order */
	size_t n_gone;
	int gone[CTW_STATE_NETNS_MAX];     /* namespaces that no longer exist: their originals are forgotten */
};

struct ctw_restore_opts {
	bool live;               /* the real kernel: namespaces can be entered */
	bool force;              /* restore max even below the live count */
	uint64_t live_count;     /* entries in the fullest namespace */
	const char *count_where; /* which one ("host", "netns ctw-a") */
	/* Progress and errors, one line each (no newline); error lines go to stderr. */
	void (*say)(bool error, const char *line, void *userdata);
	void *userdata;
};

/* Outcome of ctw_restore_apply, also restore's exit code. */
enum ctw_restore_result {
	CTW_RESTORE_OK = 0,           /* every original is back (or there was nothing to do) */
	CTW_RESTORE_ROLLED_BACK = 1,  /* a write failed; every knob already written was put back */
	CTW_RESTORE_REFUSED = 2,      /* a check failed before any write */
	CTW_RESTORE_PARTIAL = 4,      /* a write failed and so did putting back: the host is mixed */
};

/* The checks: the state belongs to this boot; every entry is a knob ctwarden
 * manages with a value in its range; max is not below opts->live_count
 * unless opts->force; every knob's current value can be read; namespaces
 * are entered only on the live root, and one whose path no longer leads to
 * its inode is gone (listed in plan->gone, said by the caller). 0, or
 * -errno with err naming the state file and the entry. Writes nothing. */
int ctw_restore_plan(struct ctw_actuator *a, const struct ctw_restore_opts *opts, struct ctw_restore_plan *plan,
		     char *err, size_t errlen);

/* "net.netfilter.nf_conntrack_udp_timeout in netns ctw-a (inode 4026532177)" or the plain name. */
const char *ctw_restore_step_name(const struct ctw_actuator *a, const struct ctw_restore_step *st, char *buf,
				  size_t len);

/* Carry a plan out, then forget the restored originals and the gone
 * namespaces (the state file is removed when nothing is left). */
enum ctw_restore_result ctw_restore_apply(struct ctw_actuator *a, const struct ctw_restore_opts *opts,
					  struct ctw_restore_plan *plan);

/* The knob whose sysctl name this is, or -1. */
int ctw_knob_by_sysctl_name(const char *name);

#endif
