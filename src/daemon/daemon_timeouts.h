/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Timeouts where the pressure is. Timeouts are per network namespace: the
 * namespace under pressure gets its own shortened (inside it), and each
 * namespace's are restored when its own usage stayed low; the host's are
 * never changed because a container is full. */
#ifndef CTW_DAEMON_TIMEOUTS_H
#define CTW_DAEMON_TIMEOUTS_H

#include "daemon/manager.h"
#include "daemon/poller.h"

/* One timeout decision for one namespace, with the snapshot it was made on. */
struct ctw_ns_decision {
	struct ctw_watcher *w;
	struct ctw_snapshot snap;
	struct ctw_decision dec;
};

/* At most this many per round: one step in the namespace under pressure and
 * restores in the namespaces that calmed down; the rest wait a round. */
#define CTW_NS_DECISIONS_MAX 32

struct ctw_ns_decisions {
	size_t n;
	struct ctw_ns_decision d[CTW_NS_DECISIONS_MAX];
};

/* After the round's global decisions (max, hash, alerts): the policy's
 * timeout decisions for the namespace under pressure and for every namespace
 * with timeouts still shortened. global: the round's snapshot, max updated.
 * Decides only; the round carries them out and commits each to its
 * namespace's policy state (w->tpol). */
void ctw_daemon_timeouts_decide(struct ctw_daemon *d, const struct ctw_snapshot *global, const struct ctw_poll *p,
				struct ctw_ns_decisions *out);
/* After a decision for w was committed: keep the poller's list of namespaces
 * with shortened timeouts (visited every round) true. */
void ctw_daemon_timeouts_note(struct ctw_daemon *d, struct ctw_watcher *w);

#endif
