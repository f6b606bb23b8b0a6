/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy's timeout steps: at the limit, halve one timeout per step
 * (floors kept, tcp_timeout_established first); after a quiet spell, double
 * the last shortened one back up to its original. Pure; called by
 * ctw_policy_decide() (policy_decide.c). */
#include "policy/policy_round.h"

#include <syslog.h>

static uint64_t floor_of(const struct ctw_config *c, enum ctw_timeout t)
{
	return c->timeout_floor_s[t] ? c->timeout_floor_s[t] : 1;
}

static uint64_t timeout_step_us(const struct ctw_config *c)
{
	return c->poll_interval_us > CTW_POLICY_TIMEOUT_STEP_MIN_US ?
		c->poll_interval_us : CTW_POLICY_TIMEOUT_STEP_MIN_US;
}

/* Halve the first shortenable timeout above its floor, in table order
 * (tcp_timeout_established first). */
static void shorten_one(struct round *r)
{
	const struct ctw_config *c = r->c;
	const struct ctw_snapshot *s = r->s;

	for (int t = 0; t < CTW_TO__COUNT; t++) {
		uint64_t cur = s->timeout_s[t], floor = floor_of(c, t), next;
		struct ctw_decision *d;

		if (!c->timeout_shorten[t] || !s->have_timeout[t] || cur <= floor)
			continue;
		next = cur / 2 > floor ? cur / 2 : floor;
		d = policy_add(r, CTW_DEC_SHORTEN_TIMEOUT, LOG_NOTICE, CTW_TARGET_TIMEOUT, cur, next,
			"%s, max at its limit %llu: shorten %s %llus -> %llus (floor %llus)", r->cause,
			(unsigned long long)r->allowed, ctw_timeout_info(t)->name, (unsigned long long)cur,
			(unsigned long long)next, (unsigned long long)floor);
		if (d)
			d->timeout = t;
		return;
	}
}

/* Double back the last shortened timeout in table order, up to its original. */
static void restore_one(struct round *r)
{
	const struct ctw_config *c = r->c;
	const struct ctw_snapshot *s = r->s;
	char hold[32];

	ctw_format_duration(c->low_water_hold_us, hold, sizeof(hold));
	for (int t = CTW_TO__COUNT - 1; t >= 0; t--) {
		uint64_t cur = s->timeout_s[t], orig = r->st->original_s[t], next;
		struct ctw_decision *d;

		if (!r->st->shortened[t] || !s->have_timeout[t] || cur >= orig)
			continue;
		next = cur > orig / 2 ? orig : cur * 2;
		if (next < floor_of(c, t))
			next = floor_of(c, t) < orig ? floor_of(c, t) : orig;
		d = policy_add(r, CTW_DEC_RESTORE_TIMEOUT, LOG_NOTICE, CTW_TARGET_TIMEOUT, cur, next,
			"usage under low_water %g%% for %s: restore %s %llus -> %llus (original %llus)",
			c->low_water_pct, hold, ctw_timeout_info(t)->name, (unsigned long long)cur,
			(unsigned long long)next, (unsigned long long)orig);
		if (d)
			d->timeout = t;
		return;
	}
}

void policy_decide_timeouts(struct round *r)
{
	const struct ctw_policy_state *st = r->st;
	uint64_t now = r->s->now_us;

	if (st->timeout_stepped && elapsed(now, st->last_timeout_step_us) < timeout_step_us(r->c))
		return;
	if (r->at_limit)
		shorten_one(r);
	else if (!r->pressure && st->under_low && elapsed(now, st->under_low_since_us) >= r->c->low_water_hold_us)
		restore_one(r);
}
