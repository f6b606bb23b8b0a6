/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Event rates: interval-weighted EWMAs and the projection to a full table. */
#include "policy/rates.h"

void ctw_rates_init(struct ctw_rates *r, uint64_t tau_us)
{
	*r = (struct ctw_rates){ .tau_us = tau_us ? tau_us : CTW_RATES_TAU_US };
}

/* e^-x for x >= 0 without libm: halve x until the series converges fast,
 * then square back (relative error about 1e-12, plenty for a rate). */
static double exp_neg(double x)
{
	double y, e;
	int halvings = 0;

	if (x > 700.0)
		return 0.0;
	for (y = x; y > 1.0 / 1024; y /= 2)
		halvings++;
	e = 1.0 - y * (1.0 - y / 2 * (1.0 - y / 3 * (1.0 - y / 4 * (1.0 - y / 5))));
	while (halvings-- > 0)
		e *= e;
	return e;
}

/* Move the average toward the rate over this interval; an interval as long as
 * tau weighs 1 - 1/e whether it came as one sample or as a thousand. */
static double smooth(double avg, double interval_rate, double alpha)
{
	return avg + alpha * (interval_rate - avg);
}

static void rebase(struct ctw_rates *r, uint64_t now_us, uint64_t total_new, uint64_t total_destroy)
{
	r->have_sample = true;
	r->last_us = now_us;
	r->last_new = total_new;
	r->last_destroy = total_destroy;
}

void ctw_rates_update(struct ctw_rates *r, uint64_t now_us, uint64_t total_new, uint64_t total_destroy)
{
	double dt, new_rate, destroy_rate, alpha;

	if (!r->have_sample || total_new < r->last_new || total_destroy < r->last_destroy) {
		rebase(r, now_us, total_new, total_destroy);
		return;
	}
	if (now_us <= r->last_us)
		return;  /* no time passed: the events count in the next interval */

	dt = (double)(now_us - r->last_us) / 1e6;
	new_rate = (double)(total_new - r->last_new) / dt;
	destroy_rate = (double)(total_destroy - r->last_destroy) / dt;
	if (!r->have_rate) {
		/* The first interval is the best estimate there is: no warm-up from 0. */
		r->new_per_s = new_rate;
		r->destroy_per_s = destroy_rate;
		r->have_rate = true;
	} else {
		alpha = 1.0 - exp_neg(dt * 1e6 / (double)r->tau_us);
		r->new_per_s = smooth(r->new_per_s, new_rate, alpha);
		r->destroy_per_s = smooth(r->destroy_per_s, destroy_rate, alpha);
	}
	rebase(r, now_us, total_new, total_destroy);
}

double ctw_rates_new_per_s(const struct ctw_rates *r)
{
	return r->have_rate ? r->new_per_s : 0.0;
}

double ctw_rates_destroy_per_s(const struct ctw_rates *r)
{
	return r->have_rate ? r->destroy_per_s : 0.0;
}

double ctw_rates_growth_per_s(const struct ctw_rates *r)
{
	return ctw_rates_new_per_s(r) - ctw_rates_destroy_per_s(r);
}

bool ctw_rates_have_rate(const struct ctw_rates *r)
{
	return r->have_rate;
}

double ctw_rates_time_to_full_s(const struct ctw_rates *r, uint64_t count, uint64_t max)
{
	double growth = ctw_rates_growth_per_s(r);

	if (max == 0)
		return CTW_RATES_NEVER;
	if (count >= max)
		return 0.0;
	if (!(growth > 0.0))
		return CTW_RATES_NEVER;
	return (double)(max - count) / growth;
}

void ctw_rates_anchor(struct ctw_rates *r, uint64_t real_count, uint64_t total_new, uint64_t total_destroy)
{
	r->anchored = true;
	r->anchor_count = real_count;
	r->anchor_new = total_new;
	r->anchor_destroy = total_destroy;
}

uint64_t ctw_rates_derived_count(const struct ctw_rates *r, uint64_t total_new, uint64_t total_destroy)
{
	uint64_t up, down;

	if (!r->anchored)
		return 0;
	/* Counters behind the anchor (a new socket) add nothing. */
	up = total_new > r->anchor_new ? total_new - r->anchor_new : 0;
	down = total_destroy > r->anchor_destroy ? total_destroy - r->anchor_destroy : 0;
	if (r->anchor_count + up <= down)
		return 0;
	return r->anchor_count + up - down;
}
