/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Carrying out the policy's decisions, and their journal entries. */
#ifndef CTW_DAEMON_CARRY_H
#define CTW_DAEMON_CARRY_H

#include <stdbool.h>

#include "daemon/manager.h"
#include "daemon/watcher.h"

/* Carry out one decision (write it, or only say it: alerts, advise mode)
 * and journal it, naming the namespace under pressure (fullest). in: the
 * namespace a timeout decision is for, NULL for our own. Returns whether the
 * kernel now has the new value. */
bool ctw_daemon_carry_out(struct ctw_daemon *d, const struct ctw_decision *dec, const struct ctw_snapshot *s,
			  const struct ctw_watcher *fullest, struct ctw_watcher *in);
/* The knob a decision writes, and the journal event that says it. */
enum ctw_knob ctw_decision_knob(const struct ctw_decision *dec);
enum ctw_event ctw_decision_event(enum ctw_decision_kind kind);

#endif
