/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Each namespace's timeouts, shortened and restored inside it. */
#include "daemon/daemon_timeouts.h"

#include <string.h>

#include "daemon/daemon_retire.h"
#include "kernel/knob_fd.h"

static bool any_shortened(const struct ctw_watcher *w)
{
	for (int t = 0; t < CTW_TO__COUNT; t++)
		if (w->tpol.shortened[t])
			return true;
	return false;
}

/* What a restart must remember: timeouts shortened before it, from the state
 * file. The values that earlier run wrote are lost: retirement waits until
 * the entries they governed have expired. */
static void seed(struct ctw_daemon *d, struct ctw_watcher *w, uint64_t now_us)
{
	ctw_policy_state_init(&w->tpol);
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		const char *name = ctw_knob_sysctl_name(CTW_KNOB_TIMEOUT(t));
		char key[CTW_NETNS_NAME_MAX];
		uint64_t original;
		int r;

		ctw_state_netns_key(w->ref.path, key, sizeof(key));
		r = w->opts.own ? ctw_state_get_original(&d->actuator.state, name, &original)
				: ctw_state_netns_get(&d->actuator.state, key, w->ref.inode, name, &original);

		if (r == 0) {
			uint64_t longest = original > ctw_timeout_info(t)->kernel_default ? original
											 : ctw_timeout_info(t)->kernel_default;

			w->tpol.shortened[t] = true;
			w->tpol.original_s[t] = original;
			ctw_daemon_retire_note(w, t, original, 0);
			ctw_daemon_retire_history_unknown(w, t, now_us, longest);
		}
	}
	w->tpol_ready = true;
}

struct read_ctx {
	const struct ctw_daemon *d;
	struct ctw_snapshot *s;
};

/* Runs inside the namespace: its own timeouts. */
static int read_here(void *userdata)
{
	struct read_ctx *c = userdata;

	for (int t = 0; t < CTW_TO__COUNT; t++)
		if (c->d->cfg.timeout_shorten[t])
			c->s->have_timeout[t] = ctw_knob_read(&c->d->knobs, CTW_KNOB_TIMEOUT(t), &c->s->timeout_s[t]) == 0;
	return 0;
}

/* Only namespaces restore can find again (/run/netns, /proc/PID) get their
 * timeouts changed: an original ctwarden could not put back is not taken. */
static bool restorable(const struct ctw_watcher *w)
{
	return w->opts.own || ctw_state_netns_path_valid(w->ref.path);
}

static void one(struct ctw_daemon *d, struct ctw_watcher *w, const struct ctw_snapshot *global,
		const struct ctw_poll *p, struct ctw_ns_decisions *out)
{
	struct ctw_snapshot s = *global;
	struct ctw_watcher_summary sum;
	struct ctw_decisions decided;

	if (!w->tpol_ready)
		seed(d, w, global->now_us);
	ctw_watcher_summary(w, global->max, &sum);
	s.count = w->count;
	s.growth_per_s = sum.growth_per_s;
	if (w != p->fullest)
		s.drops = s.early_drops = 0;   /* the round's drops are the pressured one's */
	memset(s.have_timeout, 0, sizeof(s.have_timeout));
	if (w->opts.own) {
		memcpy(s.have_timeout, p->have_timeout, sizeof(s.have_timeout));
		memcpy(s.timeout_s, p->timeout_s, sizeof(s.timeout_s));
	} else {
		struct read_ctx c = { d, &s };

		if (ctw_netns_enter(&w->ref, read_here, &c) < 0)
			return;
	}
	/* Every value seen in force is one entries may have been refreshed with. */
	for (int t = 0; t < CTW_TO__COUNT; t++)
		if (s.have_timeout[t])
			ctw_daemon_retire_note(w, t, s.timeout_s[t], 0);
	ctw_policy_observe(&w->tpol, &d->cfg, &s);
	ctw_policy_decide(&d->cfg, &s, &w->tpol, &decided);
	for (size_t i = 0; i < decided.n && out->n < CTW_NS_DECISIONS_MAX; i++)
		/* Max, hash and alerts are the global round's business. */
		if (decided.d[i].target == CTW_TARGET_TIMEOUT)
			out->d[out->n++] = (struct ctw_ns_decision){ .w = w, .snap = s, .dec = decided.d[i] };
}

/* Whether later rounds must visit w even when it is not the most pressed
 * (it has timeouts to restore). */
void ctw_daemon_timeouts_note(struct ctw_daemon *d, struct ctw_watcher *w)
{
	ctw_poller_set_tended(&d->poller, w, w->tpol_ready && any_shortened(w));
}

static void visit(struct ctw_daemon *d, struct ctw_watcher *w, const struct ctw_snapshot *global,
		  const struct ctw_poll *p, struct ctw_ns_decisions *out)
{
	if (out->n < CTW_NS_DECISIONS_MAX && restorable(w))
		one(d, w, global, p, out);
	ctw_daemon_timeouts_note(d, w);   /* seeded from the state file: it may have some */
}

/* Only the namespaces that can act: the most pressed, our own until it is
 * seeded, and those with shortened timeouts (the poller's tended list), so
 * idle namespaces cost nothing here. */
void ctw_daemon_timeouts_decide(struct ctw_daemon *d, const struct ctw_snapshot *global, const struct ctw_poll *p,
				struct ctw_ns_decisions *out)
{
	struct ctw_watcher *own = ctw_poller_own(&d->poller);
	struct ctw_watcher *unseeded = own != p->fullest && !own->tpol_ready ? own : NULL;

	out->n = 0;
	if (p->fullest)
		visit(d, p->fullest, global, p, out);
	if (unseeded)
		visit(d, unseeded, global, p, out);
	/* Backwards: a watcher leaving the list is replaced by one already visited. */
	for (unsigned i = d->poller.n_tended; i-- > 0;) {
		struct ctw_watcher *w = d->poller.tended[i];

		if (i < d->poller.n_tended && w != p->fullest && w != unseeded)
			visit(d, w, global, p, out);
	}
}
