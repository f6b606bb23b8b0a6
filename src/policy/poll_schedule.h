/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How often to poll one namespace. Hundreds of idle namespaces must stay
 * cheap, yet none may fill between two looks: the gap is the time the
 * fastest insert rate seen anywhere would need to take this namespace from
 * its count to high water, kept between the configured interval and a cap.
 * Pure. */
#ifndef CTW_POLL_SCHEDULE_H
#define CTW_POLL_SCHEDULE_H

#include <stdint.h>

/* A rate assumed before any was seen, entries/s: a busy host's normal. */
#define CTW_SCHEDULE_MIN_RATE 1000.0
/* At most this many configured intervals between two polls of a namespace. */
#define CTW_SCHEDULE_MAX_INTERVALS 30

/* Microseconds until the next poll of a namespace with count entries under
 * max (0 = unlimited), given the fastest growth seen (entries/s). */
uint64_t ctw_poll_gap_us(uint64_t count, uint64_t max, double high_water_pct, double fastest_rate,
			 uint64_t interval_us);

#endif
