/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Retirement passes in the daemon: started by the round after a timeout step,
 * stepped in slices from the loop, told once when they end. */
#include "daemon/daemon_retire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>

#include "base/log.h"
#include "kernel/ct_retire.h"
#include "kernel/knobs.h"
#include "kernel/netns.h"
#include "output/journal.h"
#include "output/status.h"
#include "policy/retire.h"

#define RETIRE_TOP_CAPACITY 64
/* A bit per hashed entry id this pass retimed (128 KiB, whatever the table):
 * a retimed entry looks refreshed under the new value, so if the dump shows
 * it again (a resize meanwhile) it is judged without the new value's age.
 * A collision only makes the rule more careful. */
#define RETIMED_BITS (1u << 20)
#define RETIRE_TOP_SHOWN 3

enum outcome { OUTCOME_DONE, OUTCOME_SUPERSEDED, OUTCOME_FAILED, OUTCOME_STOPPED };

static const char *const outcome_names[] = {
	[OUTCOME_DONE] = "done", [OUTCOME_SUPERSEDED] = "superseded",
	[OUTCOME_FAILED] = "failed", [OUTCOME_STOPPED] = "stopped",
};

struct ctw_retire_run {
	struct ctw_daemon *d;
	struct ctw_netns_ref ref;       /* a copy: the watcher may go while the pass runs */
	enum ctw_timeout timeout;
	uint64_t old_s, new_s;
	bool dry_run;
	struct ctw_retire_rule rule;       /* with new_s's age, when it is brand new */
	struct ctw_retire_rule rule_plain; /* without: for entries this pass retimed already */
	uint64_t new_since_us;             /* new_s in force since (CLOCK_MONOTONIC), 0: unknown */
	uint64_t *retimed;                 /* RETIMED_BITS: ids (hashed) this pass retimed */
	struct ctw_ct_retire *pass;
	struct ctw_top top;
	bool top_ready;
	uint64_t started_us;            /* CLOCK_MONOTONIC */
	uint64_t started_wall_us;
	uint64_t worst_gap_us;          /* longest gap between poll rounds while it ran */
	unsigned slices;
	sd_event_source *io, *more, *kick;
};

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- what the round tells us ------------------------------------------- */

void ctw_daemon_retire_note(struct ctw_watcher *w, enum ctw_timeout t, uint64_t value_s, uint64_t written_us)
{
	uint8_t *n;

	if ((unsigned)t >= CTW_TO__COUNT || value_s == 0 || value_s > UINT32_MAX)
		return;
	n = &w->n_timeout_known[t];
	/* Known already: it keeps the earlier (or unknown) start. */
	for (unsigned i = 0; i < *n; i++)
		if (w->timeout_known_s[t][i] == value_s)
			return;
	if (*n == CTW_RETIRE_KNOWN_MAX) {
		/* A value left out could make an entry look idler than it is. */
		w->retire_not_before_us[t] = UINT64_MAX;
		return;
	}
	w->timeout_known_since_us[t][*n] = written_us;
	w->timeout_known_s[t][(*n)++] = (uint32_t)value_s;
}

void ctw_daemon_retire_history_unknown(struct ctw_watcher *w, enum ctw_timeout t, uint64_t now_us, uint64_t max_s)
{
	uint64_t until = now_us + max_s * 1000000;

	if ((unsigned)t < CTW_TO__COUNT && until > w->retire_not_before_us[t])
		w->retire_not_before_us[t] = until;
}

void ctw_daemon_retire_due(struct ctw_watcher *w, const struct ctw_decision *dec, bool dry_run)
{
	if (dec->kind != CTW_DEC_SHORTEN_TIMEOUT || dec->target != CTW_TARGET_TIMEOUT)
		return;
	w->retire_due = true;
	w->retire_due_dry_run = dry_run;
	w->retire_due_timeout = dec->timeout;
	w->retire_due_old_s = dec->old_value;
	w->retire_due_new_s = dec->new_value;
}

/* ---- ending a pass ----------------------------------------------------- */

static void skipped_by(const struct ctw_retire_report *rep, char *buf, size_t len, uint64_t *total)
{
	size_t used = 0;

	buf[0] = '\0';
	*total = 0;
	for (int r = 0; r < CTW_RETIRE_REASON__COUNT; r++) {
		*total += rep->kept[r];
		if (rep->kept[r])
			ctw_appendf(buf, len, &used, "%s%s=%" PRIu64, used ? " " : "", ctw_retire_reason_name(r), rep->kept[r]);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

static void top_line(struct ctw_retire_run *run, char *buf, size_t len)
{
	struct ctw_top_row rows[RETIRE_TOP_SHOWN];
	unsigned n = run->top_ready ? ctw_top_list(&run->top, CTW_TOP_DESTINATION, rows, RETIRE_TOP_SHOWN) : 0;
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		ctw_appendf(buf, len, &used, "%s%s %.0f%%", i ? ", " : "", rows[i].key, rows[i].percent);
	if (!buf[0])
		snprintf(buf, len, "none");
}

static void status_record(struct ctw_retire_run *run, enum outcome outcome, bool running,
			  const struct ctw_retire_report *rep, uint64_t skipped, double duration_s)
{
	struct ctw_status_retire s;

	memset(&s, 0, sizeof(s));
	snprintf(s.netns, sizeof(s.netns), "%s", run->ref.name);
	s.inode = run->ref.inode;
	snprintf(s.timeout, sizeof(s.timeout), "%s", ctw_timeout_info(run->timeout)->name);
	s.old_s = run->old_s;
	s.new_s = run->new_s;
	s.running = running;
	s.dry_run = run->dry_run;
	snprintf(s.outcome, sizeof(s.outcome), "%s", running ? "running" : outcome_names[outcome]);
	s.started_at_us = run->started_wall_us;
	s.ended_at_us = running ? 0 : clock_us(CLOCK_REALTIME);
	if (rep) {
		s.seen = rep->seen;
		s.deleted = rep->deleted;
		s.retimed = rep->retimed;
		s.skipped = skipped;
		s.gone = rep->gone;
		s.failed = rep->failed;
		s.oldest_idle_s = rep->oldest_idle_s;
	}
	s.duration_s = duration_s;
	s.max_poll_gap_s = (double)run->worst_gap_us / 1e6;
	ctw_status_retire_put(&run->d->status_file, &s);
	run->d->status_dirty = true;
}

static void journal_pass(struct ctw_retire_run *run, enum outcome outcome, int err,
			 const struct ctw_retire_report *rep, uint64_t skipped, const char *by, uint64_t duration_us)
{
	struct ctw_daemon *d = run->d;
	const char *knob = ctw_knob_sysctl_name(CTW_KNOB_TIMEOUT(run->timeout));
	struct ctw_journal_retire jr;
	struct ctw_journal_entry e;
	char ended[96] = "";

	memset(&jr, 0, sizeof(jr));
	jr.seen = rep->seen;
	jr.deleted = rep->deleted;
	jr.retimed = rep->retimed;
	jr.skipped = skipped;
	jr.gone = rep->gone;
	jr.failed = rep->failed;
	jr.oldest_idle_s = rep->oldest_idle_s;
	jr.duration_ms = duration_us / 1000;
	jr.max_poll_gap_ms = run->worst_gap_us / 1000;
	jr.dry_run = run->dry_run;
	snprintf(jr.skipped_by, sizeof(jr.skipped_by), "%s", by);
	top_line(run, jr.top, sizeof(jr.top));

	if (outcome == OUTCOME_SUPERSEDED)
		snprintf(ended, sizeof(ended), " (cut short by a newer step)");
	else if (outcome == OUTCOME_STOPPED)
		snprintf(ended, sizeof(ended), " (cut short: ctwarden is stopping)");
	else if (outcome == OUTCOME_FAILED)
		snprintf(ended, sizeof(ended), " (failed: %s)", strerror(-err));
	ctw_journal_entry_init(&e, CTW_EV_RETIRE_PASS,
			       "%s in netns %s after %s %" PRIu64 " -> %" PRIu64 ": %" PRIu64 " %sdeleted, %" PRIu64
			       " %sretimed, %" PRIu64 " kept of %" PRIu64 " seen, oldest idle %" PRIu64 "s, %" PRIu64
			       " ms%s; top destinations: %s",
			       run->dry_run ? "advise: a retirement pass would retire entries" : "retired idle entries",
			       run->ref.name, knob, run->old_s, run->new_s, rep->deleted, run->dry_run ? "would be " : "",
			       rep->retimed, run->dry_run ? "would be " : "", skipped, rep->seen, (uint64_t)rep->oldest_idle_s,
			       duration_us / 1000, ended, jr.top);
	if (outcome == OUTCOME_FAILED)
		e.priority = LOG_WARNING;
	ctw_journal_entry_set_knob(&e, knob);
	ctw_journal_entry_set_old_new(&e, run->old_s, run->new_s);
	ctw_journal_entry_set_netns(&e, run->ref.inode);
	ctw_journal_entry_set_mode(&e, d->cfg.mode);
	ctw_journal_entry_set_reason(&e, "%s", outcome_names[outcome]);
	if (err < 0)
		ctw_journal_entry_set_errno(&e, err);
	ctw_journal_entry_set_retire(&e, &jr);
	ctw_journal_emit(&d->journal, &e);
}

static void run_free(struct ctw_retire_run *run)
{
	sd_event_source_disable_unref(run->io);
	sd_event_source_disable_unref(run->more);
	sd_event_source_disable_unref(run->kick);
	if (run->pass)
		ctw_ct_retire_close(run->pass);
	if (run->top_ready)
		ctw_top_free(&run->top);
	free(run->retimed);
	free(run);
}

static void forget(struct ctw_daemon *d, struct ctw_retire_run *run)
{
	for (unsigned i = 0; i < d->n_retire_runs; i++) {
		if (d->retire_runs[i] == run) {
			d->retire_runs[i] = d->retire_runs[--d->n_retire_runs];
			break;
		}
	}
}

static void finish(struct ctw_retire_run *run, enum outcome outcome, int err)
{
	struct ctw_daemon *d = run->d;
	const struct ctw_retire_report *rep = ctw_ct_retire_report(run->pass);
	uint64_t duration_us = clock_us(CLOCK_MONOTONIC) - run->started_us;
	struct ctw_watcher *w = ctw_poller_find(&d->poller, run->ref.inode);
	char by[CTW_JOURNAL_TEXT_MAX];
	uint64_t skipped;

	skipped_by(rep, by, sizeof(by), &skipped);
	journal_pass(run, outcome, err, rep, skipped, by, duration_us);
	status_record(run, outcome, false, rep, skipped, (double)duration_us / 1e6);
	if (w && !run->dry_run) {
		w->retired_deleted[run->timeout] += rep->deleted;
		w->retired_retimed[run->timeout] += rep->retimed;
		w->retire_touched[run->timeout] = true;
		w->have_retire_duration = true;
		w->retire_last_duration_s = (double)duration_us / 1e6;
		d->metrics_dirty = true;
	}
	/* The next round's gap counts for it too: it ran before that round. */
	d->retire_gap_inode = run->ref.inode;
	forget(d, run);
	run_free(run);
}

/* new_s's age as the rule takes it: whole seconds, rounded up, plus one
 * for the time between the kernel's dump of an entry and its decision. */
static void update_age(struct ctw_retire_run *run)
{
	uint64_t now = clock_us(CLOCK_MONOTONIC);

	if (!run->new_since_us || now < run->new_since_us) {
		run->rule.new_age_s = CTW_RETIRE_AGE_UNKNOWN;
		return;
	}
	run->rule.new_age_s = (uint32_t)((now - run->new_since_us + 999999) / 1000000 + 1);
}

/* ---- slices ------------------------------------------------------------ */

static void slice(struct ctw_retire_run *run)
{
	uint64_t t0 = clock_us(CLOCK_MONOTONIC), used;
	int r;

	update_age(run);
	r = ctw_ct_retire_step(run->pass, CTW_RETIRE_SLICE_US);

	run->slices++;
	if (r != 0) {
		finish(run, r > 0 ? OUTCOME_DONE : OUTCOME_FAILED, r < 0 ? r : 0);
		return;
	}
	/* A slice that used its budget has work in hand: go on at the next
	 * turn of the loop (after whatever else is pending). One that returned
	 * early waits for the kernel: the socket wakes it. */
	used = clock_us(CLOCK_MONOTONIC) - t0;
	sd_event_source_set_enabled(run->more, used * 2 >= CTW_RETIRE_SLICE_US ? SD_EVENT_ONESHOT : SD_EVENT_OFF);
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
	slice(ud);
	return 0;
}

static int on_more(sd_event_source *s, void *ud)
{
	slice(ud);
	return 0;
}

static int on_kick(sd_event_source *s, uint64_t usec, void *ud)
{
	struct ctw_retire_run *run = ud;

	/* Re-arm before the slice: the slice may end and free the pass. */
	sd_event_source_set_time_relative(s, CTW_RETIRE_KICK_US);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	slice(run);
	return 0;
}

static int attach(struct ctw_daemon *d, struct ctw_retire_run *run)
{
	int r;

	if ((r = sd_event_add_io(d->event, &run->io, ctw_ct_retire_fd(run->pass), EPOLLIN, on_readable, run)) < 0 ||
	    (r = sd_event_add_defer(d->event, &run->more, on_more, run)) < 0 ||
	    (r = sd_event_add_time_relative(d->event, &run->kick, CLOCK_MONOTONIC, CTW_RETIRE_KICK_US, 0, on_kick,
					    run)) < 0)
		return r;
	/* Idle priority: every other source of the loop goes first. */
	sd_event_source_set_priority(run->io, SD_EVENT_PRIORITY_IDLE);
	sd_event_source_set_priority(run->more, SD_EVENT_PRIORITY_IDLE);
	sd_event_source_set_priority(run->kick, SD_EVENT_PRIORITY_IDLE);
	return sd_event_source_set_enabled(run->more, SD_EVENT_ONESHOT);
}

/* ---- starting a pass --------------------------------------------------- */

static uint32_t id_bit(uint32_t id)
{
	/* Fibonacci hashing: kernel ids are sequential, spread them. */
	return (uint32_t)(((uint64_t)id * 0x9e3779b97f4a7c15ULL) >> 44) & (RETIMED_BITS - 1);
}

static void decide(void *ud, const struct ctw_ct_entry *e, struct ctw_retire_decision *out)
{
	struct ctw_retire_run *run = ud;
	uint32_t bit = id_bit(e->id);
	bool again = !run->retimed || !e->id || (run->retimed[bit / 64] >> (bit % 64) & 1);

	ctw_retire_decide(again ? &run->rule_plain : &run->rule, e, out);
	if (out->action == CTW_RETIRE_RETIME && run->retimed && e->id)
		run->retimed[bit / 64] |= 1ULL << (bit % 64);
}

/* The values the rule measures idle time against: all the namespace's
 * known ones but the new value and the kernel default (the rule adds them). */
static int rule_for(const struct ctw_daemon *d, const struct ctw_watcher *w, struct ctw_retire_run *run,
		    uint64_t special_s)
{
	enum ctw_timeout t = run->timeout;
	uint32_t known[CTW_RETIRE_KNOWN_MAX];
	size_t n = 0;
	int r;

	for (unsigned i = 0; i < w->n_timeout_known[t]; i++) {
		uint32_t v = w->timeout_known_s[t][i];

		if (v != run->new_s && v != ctw_timeout_info(t)->kernel_default && n < CTW_RETIRE_KNOWN_MAX)
			known[n++] = v;
	}
	/* The value it had before this step, even if the round never read it. */
	if (run->old_s <= UINT32_MAX && n < CTW_RETIRE_KNOWN_MAX) {
		bool have = false;

		for (size_t i = 0; i < n; i++)
			have |= known[i] == run->old_s;
		if (!have && run->old_s != run->new_s && run->old_s != ctw_timeout_info(t)->kernel_default)
			known[n++] = (uint32_t)run->old_s;
	}
	r = ctw_retire_rule_init(&run->rule, t, (uint32_t)run->new_s, known, n,
				 special_s > UINT32_MAX ? UINT32_MAX : (uint32_t)special_s, d->cfg.retire_nat);
	if (r == 0)
		r = ctw_retire_rule_exclude(&run->rule, &d->cfg);
	if (r < 0)
		return r;
	run->rule_plain = run->rule;
	update_age(run);
	return 0;
}

/* Runs inside the namespace: the special TCP timeouts in force there, the
 * rule, and the pass's sockets (they stay bound to it). */
struct open_ctx {
	const struct ctw_daemon *d;
	const struct ctw_watcher *w;
	struct ctw_retire_run *run;
	const char *failed;          /* which step failed */
};

static int open_here(void *ud)
{
	static const enum ctw_timeout special[] = { CTW_TO_TCP_UNACKNOWLEDGED, CTW_TO_TCP_MAX_RETRANS };
	struct open_ctx *c = ud;
	struct ctw_ct_retire_opts opts = {
		.l4proto = ctw_retire_l4proto(c->run->timeout),
		.dry_run = c->run->dry_run,
		.top = c->run->top_ready ? &c->run->top : NULL,
	};
	uint64_t special_s = 0;
	int r;

	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		uint64_t v;

		r = ctw_knob_read(&c->d->knobs, CTW_KNOB_TIMEOUT(special[i]), &v);
		if (r < 0) {
			c->failed = "cannot read tcp_timeout_unacknowledged / max_retrans there";
			return r;
		}
		if (v > special_s)
			special_s = v;
	}
	r = rule_for(c->d, c->w, c->run, special_s);
	if (r < 0) {
		c->failed = "the rule refused its known values";
		return r;
	}
	r = ctw_ct_retire_open(&c->run->pass, &opts, decide, c->run);
	if (r < 0)
		c->failed = "cannot open a retirement pass there";
	return r;
}

static struct ctw_retire_run *running_in(const struct ctw_daemon *d, uint64_t inode)
{
	for (unsigned i = 0; i < d->n_retire_runs; i++)
		if (d->retire_runs[i]->ref.inode == inode)
			return d->retire_runs[i];
	return NULL;
}

/* Since when new_s can have been in force: its first write, when the
 * daemon wrote it and knew it from nowhere else; a dry run's value was
 * never in force (unless known from before); 0: unknown. */
static uint64_t new_value_since(const struct ctw_watcher *w, enum ctw_timeout t, uint64_t new_s, bool dry_run,
				uint64_t now_us)
{
	for (unsigned i = 0; i < w->n_timeout_known[t]; i++)
		if (w->timeout_known_s[t][i] == new_s)
			return w->timeout_known_since_us[t][i];
	return dry_run ? now_us : 0;
}

static void forget_since(struct ctw_watcher *w, enum ctw_timeout t, uint64_t value_s)
{
	for (unsigned i = 0; i < w->n_timeout_known[t]; i++)
		if (w->timeout_known_s[t][i] == value_s)
			w->timeout_known_since_us[t][i] = 0;
}

static void not_started(const struct ctw_watcher *w, enum ctw_timeout t, const char *why, int err)
{
	ctw_log(LOG_WARNING, "not retiring %s entries in netns %s: %s%s%s; the shortened value applies "
		"as their packets refresh them", ctw_timeout_info(t)->name, w->ref.name, why, err ? ": " : "",
		err ? strerror(-err) : "");
}

static void start(struct ctw_daemon *d, struct ctw_watcher *w, uint64_t now_us)
{
	enum ctw_timeout t = w->retire_due_timeout;
	struct ctw_retire_run *run, *old;
	struct open_ctx c;
	uint32_t seed = 0x5eed ^ (uint32_t)w->ref.inode;
	int r;

	if (w->retire_due_dry_run) {
		/* Advise mode asks again every step: one dry run per advised value. */
		if (w->retire_advised_new_s[t] == w->retire_due_new_s)
			return;
		w->retire_advised_new_s[t] = w->retire_due_new_s;
	}
	if (now_us < w->retire_not_before_us[t]) {
		not_started(w, t, w->retire_not_before_us[t] == UINT64_MAX
				  ? "it held more values than ctwarden can keep track of"
				  : "an earlier run changed it and the values it wrote are not known, so idle times "
				    "cannot be told until the entries refreshed before this run expired", 0);
		return;
	}
	run = calloc(1, sizeof(*run));
	if (!run) {
		not_started(w, t, "out of memory", -ENOMEM);
		return;
	}
	run->d = d;
	run->ref = w->ref;
	run->timeout = t;
	run->old_s = w->retire_due_old_s;
	run->new_s = w->retire_due_new_s;
	run->dry_run = w->retire_due_dry_run;
	run->started_us = clock_us(CLOCK_MONOTONIC);
	run->started_wall_us = clock_us(CLOCK_REALTIME);
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = 0x5eed ^ (uint32_t)w->ref.inode;
	run->top_ready = ctw_top_init(&run->top, RETIRE_TOP_CAPACITY, seed) == 0;
	run->new_since_us = new_value_since(w, t, run->new_s, run->dry_run, run->started_us);
	/* Without the bitset every entry is judged without the age: careful, just slower to free. */
	run->retimed = run->new_since_us ? calloc(RETIMED_BITS / 64, sizeof(uint64_t)) : NULL;
	if (!run->retimed)
		run->new_since_us = 0;

	/* A newer step supersedes the pass still going here. */
	old = running_in(d, w->ref.inode);
	if (old)
		finish(old, OUTCOME_SUPERSEDED, 0);

	c = (struct open_ctx){ .d = d, .w = w, .run = run, .failed = "cannot enter it" };
	r = w->opts.own ? open_here(&c) : ctw_netns_enter(&w->ref, open_here, &c);
	if (r < 0) {
		not_started(w, t, c.failed, r);
		run_free(run);
		return;
	}
	if (d->n_retire_runs == d->cap_retire_runs) {
		unsigned cap = d->cap_retire_runs ? d->cap_retire_runs * 2 : 4;
		struct ctw_retire_run **grown = realloc(d->retire_runs, cap * sizeof(*grown));

		if (!grown) {
			not_started(w, t, "out of memory", -ENOMEM);
			run_free(run);
			return;
		}
		d->retire_runs = grown;
		d->cap_retire_runs = cap;
	}
	r = attach(d, run);
	if (r < 0) {
		not_started(w, t, "cannot put the pass on the event loop", r);
		run_free(run);
		return;
	}
	d->retire_runs[d->n_retire_runs++] = run;
	/* From now on entries may be retimed to new_s: a later pass for the
	 * same value cannot tell them by age. */
	if (!run->dry_run)
		forget_since(w, t, run->new_s);
	status_record(run, OUTCOME_DONE, true, NULL, 0, 0);
}

/* The round after a pass ended may be the late one: give its gap to the
 * ended pass's status record too. */
static void gap_to_ended(struct ctw_daemon *d, uint64_t gap_us)
{
	struct ctw_status *st = &d->status_file;

	for (unsigned i = 0; i < st->n_retire; i++) {
		struct ctw_status_retire *r = &st->retire[i];

		if (r->inode == d->retire_gap_inode && !r->running && (double)gap_us / 1e6 > r->max_poll_gap_s) {
			r->max_poll_gap_s = (double)gap_us / 1e6;
			d->status_dirty = true;
		}
	}
	d->retire_gap_inode = 0;
}

void ctw_daemon_retire_round(struct ctw_daemon *d, uint64_t now_us)
{
	/* How late this round is since the previous one, for the passes that
	 * ran in between. */
	if (d->last_round_us && now_us > d->last_round_us) {
		uint64_t gap = now_us - d->last_round_us;

		for (unsigned i = 0; i < d->n_retire_runs; i++)
			if (gap > d->retire_runs[i]->worst_gap_us)
				d->retire_runs[i]->worst_gap_us = gap;
		if (d->retire_gap_inode)
			gap_to_ended(d, gap);
	}
	d->last_round_us = now_us;

	for (unsigned i = 0; i < d->poller.n_watch; i++) {
		struct ctw_watcher *w = d->poller.watch[i];

		if (!w->retire_due)
			continue;
		w->retire_due = false;
		if (d->cfg.retire && d->live && d->event)
			start(d, w, now_us);
	}
}

unsigned ctw_daemon_retire_running(const struct ctw_daemon *d)
{
	return d->n_retire_runs;
}

void ctw_daemon_retire_fini(struct ctw_daemon *d)
{
	while (d->n_retire_runs)
		finish(d->retire_runs[d->n_retire_runs - 1], OUTCOME_STOPPED, 0);
	free(d->retire_runs);
	d->retire_runs = NULL;
	d->cap_retire_runs = 0;
}
