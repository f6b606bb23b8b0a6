/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The adaptive poll gap of one namespace. */
#include "policy/poll_schedule.h"

#include <math.h>

uint64_t ctw_poll_gap_us(uint64_t count, uint64_t max, double high_water_pct, double fastest_rate,
			 uint64_t interval_us)
{
	double rate = fastest_rate > CTW_SCHEDULE_MIN_RATE ? fastest_rate : CTW_SCHEDULE_MIN_RATE;
	double cap = (double)interval_us * CTW_SCHEDULE_MAX_INTERVALS;
	double headroom, gap;

	if (max == 0 || !isfinite(rate))
		return interval_us;
	headroom = high_water_pct / 100.0 * (double)max - (double)count;
	if (headroom <= 0)
		return interval_us;
	gap = headroom / rate * 1e6;
	if (gap <= (double)interval_us)
		return interval_us;
	return gap >= cap ? (uint64_t)cap : (uint64_t)gap;
}
