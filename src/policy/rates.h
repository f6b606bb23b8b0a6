/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Event rates and the time until the table is full. Pure: the caller passes
 * the clock and the cumulative event counters; no I/O, no globals.
 *
 *	ctw_rates_init(&r, CTW_RATES_TAU_US);
 *	on every event batch or poll:
 *		ctw_rates_update(&r, now_us, counts.new, counts.destroy);
 *	on every poll (and after an overrun), with the kernel's count:
 *		ctw_rates_anchor(&r, count, counts.new, counts.destroy);
 *	between polls:
 *		count = ctw_rates_derived_count(&r, counts.new, counts.destroy);
 *		secs = ctw_rates_time_to_full_s(&r, count, max);
 *
 * Rates are exponentially weighted moving averages with time constant tau,
 * weighted by the length of each interval, so that they do not depend on how
 * often the caller samples. */
#ifndef CTW_RATES_H
#define CTW_RATES_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

/* About one second of memory: fast enough for a flood, smooth enough for a poll. */
#define CTW_RATES_TAU_US 1000000ULL
/* Time to full when the table is not growing. */
#define CTW_RATES_NEVER INFINITY

struct ctw_rates {
	uint64_t tau_us;
	bool have_sample;       /* a first (time, counters) was seen */
	bool have_rate;         /* at least one interval was measured */
	uint64_t last_us;
	uint64_t last_new, last_destroy;
	double new_per_s, destroy_per_s;

	/* The derived count: the kernel's count at the anchor plus events since. */
	bool anchored;
	uint64_t anchor_count;
	uint64_t anchor_new, anchor_destroy;
};

/* tau_us 0 takes CTW_RATES_TAU_US. */
void ctw_rates_init(struct ctw_rates *r, uint64_t tau_us);

/* Feed cumulative counters at monotonic time now_us. A sample at the same or
 * an earlier time waits for the next one; counters that went back (a new
 * event socket) restart the measurement but keep the smoothed rates. */
void ctw_rates_update(struct ctw_rates *r, uint64_t now_us, uint64_t total_new, uint64_t total_destroy);

/* Smoothed rates, 0 before the first measured interval. */
double ctw_rates_new_per_s(const struct ctw_rates *r);
double ctw_rates_destroy_per_s(const struct ctw_rates *r);
/* new/s - destroy/s; may be negative. */
double ctw_rates_growth_per_s(const struct ctw_rates *r);
bool ctw_rates_have_rate(const struct ctw_rates *r);

/* Seconds until count reaches max at the current growth: 0 when count >= max,
 * CTW_RATES_NEVER when max is 0 (unlimited) or the table is not growing. */
double ctw_rates_time_to_full_s(const struct ctw_rates *r, uint64_t count, uint64_t max);

/* Re-anchor the derived count on the kernel's count (every poll, and after an
 * overrun: events were lost, and entries made before the subscription never
 * send a DESTROY). */
void ctw_rates_anchor(struct ctw_rates *r, uint64_t real_count, uint64_t total_new, uint64_t total_destroy);

/* anchor count + NEW - DESTROY since the anchor, never below 0; the count
 * passed to the last anchor when nothing happened since; 0 when not anchored. */
uint64_t ctw_rates_derived_count(const struct ctw_rates *r, uint64_t total_new, uint64_t total_destroy);

#endif
