/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One round of the policy engine, shared by policy_decide.c, policy_raise.c
 * and policy_timeouts.c: the round's view of the snapshot and the helper that
 * records a decision (policy_round.c). Private to src/policy/; the interface
 * is policy.h. */
#ifndef CTW_POLICY_ROUND_H
#define CTW_POLICY_ROUND_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"

/* What one round knows, computed once from the snapshot. */
struct round {
	const struct ctw_config *c;
	const struct ctw_snapshot *s;
	const struct ctw_policy_state *st;
	struct ctw_decisions *out;
	double usage;          /* percent of max, 0 when max is unlimited */
	uint64_t allowed;      /* largest max the policy allows */
	bool high;             /* usage >= high_water */
	bool dropping;         /* drops or early drops since the last snapshot */
	bool filling;          /* full sooner than the horizon at the current growth */
	double secs_to_full;
	bool pressure;
	bool at_limit;         /* pressure, and max cannot be raised */
	uint64_t max_after;    /* max once this round's raise or lower is done */
	char cause[96];        /* the pressure, for reasons */
};

static inline uint64_t elapsed(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/* Append a decision to the round's output (NULL when full). policy_round.c */
__attribute__((format(printf, 7, 8)))
struct ctw_decision *policy_add(struct round *r, enum ctw_decision_kind kind, int prio,
				enum ctw_target target, uint64_t old_value, uint64_t new_value,
				const char *fmt, ...);

/* policy_raise.c: raise or lower max, then resize the hash for the max after. */
void policy_decide_max(struct round *r);
void policy_decide_resize(struct round *r);
/* policy_timeouts.c: shorten one timeout at the limit, restore one when quiet. */
void policy_decide_timeouts(struct round *r);

#endif
