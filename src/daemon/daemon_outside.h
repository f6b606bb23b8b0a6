/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Knobs changed outside ctwarden, as the running daemon sees them
 * (policy/outside.h decides; this says it and keeps the state file true). */
#ifndef CTW_DAEMON_OUTSIDE_H
#define CTW_DAEMON_OUTSIDE_H

#include <stdbool.h>

#include "daemon/manager.h"
#include "daemon/poller.h"

/* Compare the knobs read this round with what the daemon expects; say each
 * outside change once and make its value the knob's original for restore. */
void ctw_daemon_outside_observe(struct ctw_daemon *d, const struct ctw_poll *p);
/* May this action be carried out? If not, say so (once per knob and value). */
bool ctw_daemon_outside_allows(struct ctw_daemon *d, const struct ctw_decision *dec, enum ctw_knob knob);
/* The daemon wrote value into knob. */
void ctw_daemon_outside_wrote(struct ctw_daemon *d, enum ctw_knob knob, uint64_t value);
/* A reload: yielded knobs are managed again. */
void ctw_daemon_outside_forgive(struct ctw_daemon *d);
/* How many knobs the daemon yields now. */
unsigned ctw_daemon_outside_yielded(const struct ctw_daemon *d);

#endif
