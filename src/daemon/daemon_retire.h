/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Retirement in the daemon: after a timeout step in a namespace, one pass over
 * that namespace's table makes the new value true for the entries already
 * there (policy/retire.h decides per entry, kernel/ct_retire.h dumps and
 * acts). The kernel applies a changed timeout only when a packet refreshes
 * an entry, so without the pass a shortened timeout frees nothing idle.
 *
 * The pass runs from the loop in slices of at most CTW_RETIRE_SLICE_US, at
 * the loop's idle priority, so polls, events, the kernel-log watch and the
 * watchdog go on over a million-entry table. One pass per namespace: a new
 * step there supersedes the unfinished one. Each pass ends with one journal
 * entry (retire_pass), its counts in the metrics and in status.json.
 *
 *	every round, for each namespace's timeouts:  ctw_daemon_retire_note(w, t, value)
 *	a step carried out (or advised):              ctw_daemon_retire_due(w, dec, dry_run)
 *	then, the round's retirement stage:           ctw_daemon_retire_round(d, now)
 *	at exit:                                       ctw_daemon_retire_fini(d) */
#ifndef CTW_DAEMON_RETIRE_H
#define CTW_DAEMON_RETIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/manager.h"
#include "daemon/watcher.h"

/* Work per wakeup of a pass: the loop is never held longer than this. */
#define CTW_RETIRE_SLICE_US (5ULL * 1000)
/* A pass waiting on the kernel is stepped at least this often. */
#define CTW_RETIRE_KICK_US (100ULL * 1000)

/* A value timeout t held in w's namespace (read there, written there, or the
 * recorded original): the rule measures idle time against these. written_us:
 * when the daemon wrote it (CLOCK_MONOTONIC), 0 when it was read or recorded
 * (it may have been in force for any time before). */
void ctw_daemon_retire_note(struct ctw_watcher *w, enum ctw_timeout t, uint64_t value_s, uint64_t written_us);
/* The values an earlier run may have written are not known: the rule cannot
 * tell how idle the entries it left are, so t is not retired in w until
 * every entry refreshed before now_us has expired (max_s, the largest value
 * it may have held, later). */
void ctw_daemon_retire_history_unknown(struct ctw_watcher *w, enum ctw_timeout t, uint64_t now_us, uint64_t max_s);
/* A shortening in w was carried out (dry_run: only advised): its pass is due
 * at the round's retirement stage. */
void ctw_daemon_retire_due(struct ctw_watcher *w, const struct ctw_decision *dec, bool dry_run);

/* The round's retirement stage: start the due passes (superseding running
 * ones in the same namespace); passes of namespaces gone are closed. */
void ctw_daemon_retire_round(struct ctw_daemon *d, uint64_t now_us);
/* Passes running now. */
unsigned ctw_daemon_retire_running(const struct ctw_daemon *d);
/* Close every pass (at exit: each says it was cut short). */
void ctw_daemon_retire_fini(struct ctw_daemon *d);

#endif
