/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Knobs changed outside ctwarden. A value the daemon did not write is the
 * operator's (or another tool's, e.g. kube-proxy's) decision: the daemon
 * never lowers it, and by default stops changing that knob until it is back
 * at the value the daemon had set (or the daemon is reloaded). Pure.
 *
 *	every round, for each managed knob:  r = ctw_claim_observe(&c, value, mode);
 *	before a write:                      if (!ctw_claim_allows(&c, new)) say, do not write;
 *	after a write that took:             ctw_claim_wrote(&c, new);
 *	on reload:                           ctw_claim_forgive(&c); */
#ifndef CTW_OUTSIDE_H
#define CTW_OUTSIDE_H

#include <stdbool.h>
#include <stdint.h>

enum ctw_outside_mode {
	CTW_OUTSIDE_YIELD,   /* stop changing the knob */
	CTW_OUTSIDE_ADOPT,   /* take the value as the new baseline, keep managing (never below it) */
};

struct ctw_knob_claim {
	bool known;              /* expected holds the value last written or read */
	uint64_t expected;
	bool wrote;              /* the daemon has written this knob ... */
	uint64_t ours;           /* ... this value, last */
	bool yielded;            /* hands off until the value is ours again, or a reload */
	bool operator_set;       /* an outside value was seen: never go below it */
	uint64_t operator_value;
};

enum ctw_outside_event {
	CTW_OUTSIDE_NONE,
	CTW_OUTSIDE_CHANGED,     /* a value the daemon did not write (say it once) */
	CTW_OUTSIDE_RETURNED,    /* a yielded knob holds the daemon's value again: managed again */
};

/* Compare the kernel's value now with what the daemon expects. */
enum ctw_outside_event ctw_claim_observe(struct ctw_knob_claim *c, uint64_t value, enum ctw_outside_mode mode);
/* May the daemon write value? Never into a yielded knob, never below an
 * operator's value. */
bool ctw_claim_allows(const struct ctw_knob_claim *c, uint64_t value);
/* The daemon wrote value and the kernel kept it. */
void ctw_claim_wrote(struct ctw_knob_claim *c, uint64_t value);
/* A reload: yielded knobs are managed again (the operator's floor stays). */
void ctw_claim_forgive(struct ctw_knob_claim *c);

#endif
