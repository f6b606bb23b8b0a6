/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Saturating uint64_t arithmetic the limits and the budget share: never
 * wraps, never casts a double out of range (undefined). Header only. */
#ifndef CTW_U64_MATH_H
#define CTW_U64_MATH_H

#include <stdint.h>

/* 2^64 as a double: casts of values at or above it are undefined. */
#define CTW_U64_LIMIT_D 18446744073709551616.0

static inline uint64_t ctw_sat_add(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

static inline uint64_t ctw_sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* v rounded up to a multiple of granule (> 0); the largest multiple when that overflows. */
static inline uint64_t ctw_round_up(uint64_t v, uint64_t granule)
{
	uint64_t rem = v % granule;

	if (rem == 0)
		return v;
	if (v > UINT64_MAX - (granule - rem))
		return UINT64_MAX - UINT64_MAX % granule;
	return v + (granule - rem);
}

/* floor(d), saturated to [0, UINT64_MAX] (NaN gives 0); no libm needed. */
static inline uint64_t ctw_floor_u64(double d)
{
	if (!(d > 0.0))
		return 0;
	if (d >= CTW_U64_LIMIT_D)
		return UINT64_MAX;
	return (uint64_t)d;
}

/* ceil(d), saturated likewise. */
static inline uint64_t ctw_ceil_u64(double d)
{
	uint64_t u = ctw_floor_u64(d);

	return u < UINT64_MAX && (double)u < d ? u + 1 : u;
}

#endif
