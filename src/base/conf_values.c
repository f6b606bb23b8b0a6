/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Strict parsers for config values: no sign, no spaces, no hex, no exponent,
 * no locale; overflow is an error, never a wrap or a clamp. */
#include "base/conf_values.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct unit {
	const char *suffix;
	uint64_t factor;
};

/* Suffixes are compared whole, so their order does not matter. */
static const struct unit duration_units[] = {
	{ "", 1000000 },		/* a bare number is seconds */
	{ "us", 1 },
	{ "ms", 1000 },
	{ "s", 1000000 },
	{ "min", 60 * 1000000ULL },
	{ "h", 3600 * 1000000ULL },
	{ "d", 86400 * 1000000ULL },
};

static const struct unit size_units[] = {
	{ "", 1 },
	{ "K", 1ULL << 10 }, { "KiB", 1ULL << 10 },
	{ "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
	{ "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
};

/* Leading decimal digits of s into *out; *end points past them. */
static int parse_digits(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	*end = p;
	return 0;
}

int ctw_parse_u64(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int r = parse_digits(s, &v, &end);

	if (r < 0)
		return r;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* An integer followed by exactly one of the units (whole-string match). */
static int parse_with_unit(const char *s, const struct unit *units, size_t n, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int r = parse_digits(s, &v, &end);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (v > UINT64_MAX / units[i].factor)
			return -ERANGE;
		*out = v * units[i].factor;
		return 0;
	}
	return -EINVAL;
}

int ctw_parse_duration_us(const char *s, uint64_t *out)
{
	return parse_with_unit(s, duration_units, sizeof(duration_units) / sizeof(duration_units[0]), out);
}

int ctw_parse_size(const char *s, uint64_t *out)
{
	return parse_with_unit(s, size_units, sizeof(size_units) / sizeof(size_units[0]), out);
}

/* "12.5" -> 12.5 computed as 125 / 10: exact integers divided, so the result is
 * the correctly rounded double, independent of the C locale. Mantissas above
 * 2^53 would not be exact and are refused as out of range. */
static int parse_decimal_prefix(const char *s, double *out, const char **rest)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
					1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	const uint64_t exact_max = 1ULL << 53;
	uint64_t mantissa = 0;
	unsigned frac_digits = 0;
	bool seen_dot = false, seen_digit = false;
	const char *p;

	for (p = s; (*p >= '0' && *p <= '9') || (*p == '.' && !seen_dot); p++) {
		if (*p == '.') {
			/* A digit must come before and after the dot: "5." and ".5" are typos. */
			if (!seen_digit || p[1] < '0' || p[1] > '9')
				return -EINVAL;
			seen_dot = true;
			continue;
		}
		seen_digit = true;
		mantissa = mantissa * 10 + (uint64_t)(*p - '0');
		if (mantissa > exact_max)
			return -ERANGE;
		if (seen_dot && ++frac_digits >= sizeof(pow10) / sizeof(pow10[0]))
			return -ERANGE;
	}
	if (!seen_digit)
		return -EINVAL;
	*out = (double)mantissa / pow10[frac_digits];
	*rest = p;
	return 0;
}

int ctw_parse_decimal(const char *s, double *out)
{
	const char *rest;
	double v;
	int r = parse_decimal_prefix(s, &v, &rest);

	if (r < 0)
		return r;
	if (*rest)
		return -EINVAL;
	*out = v;
	return 0;
}

int ctw_parse_percent(const char *s, double *out)
{
	const char *rest;
	double v;
	int r = parse_decimal_prefix(s, &v, &rest);

	if (r < 0)
		return r;
	if (strcmp(rest, "%") != 0)
		return -EINVAL;
	if (v > 100.0)
		return -ERANGE;
	*out = v;
	return 0;
}

int ctw_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "1" };
	static const char *const no[] = { "no", "false", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static void __attribute__((format(printf, 3, 4))) format_into(char *buf, size_t len, const char *fmt, ...);

int ctw_parse_listen(const char *s, struct ctw_listen *out, const char **why)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *start = s;
	struct ctw_listen l;
	uint64_t port;
	size_t n;

	memset(&l, 0, sizeof(l));
	if (strlen(s) >= sizeof(l.text)) {
		*why = "too long for an address and a port";
		return -EINVAL;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] != ':' && close[1] != '\0')) {
			*why = "an IPv6 address is written in brackets, then a colon and the port: [::1]:9747";
			return -EINVAL;
		}
		start = s + 1;
		n = (size_t)(close - start);
		colon = close[1] ? close + 1 : NULL;
		l.ipv6 = true;
	} else {
		colon = strrchr(s, ':');
		if (colon && memchr(s, ':', (size_t)(colon - s))) {
			*why = "an IPv6 address must be in brackets: [::1]:9747";
			return -EINVAL;
		}
		n = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (n == 0 || n >= sizeof(host)) {
		*why = "no address before the port (0.0.0.0 or [::] for every address)";
		return -EINVAL;
	}
	memcpy(host, start, n);
	host[n] = '\0';
	if (inet_pton(l.ipv6 ? AF_INET6 : AF_INET, host, l.addr) != 1) {
		*why = l.ipv6 ? "not an IPv6 address" : "not an IPv4 address (host names are not resolved)";
		return -EINVAL;
	}
	port = CTW_LISTEN_DEFAULT_PORT;
	if (colon && (ctw_parse_u64(colon + 1, &port) < 0 || port < 1 || port > 65535)) {
		*why = "the port must be a number from 1 to 65535";
		return -EINVAL;
	}
	l.port = (uint16_t)port;
	l.set = true;
	/* With the port, also when it was left out: messages name what is used. */
	format_into(l.text, sizeof(l.text), "%s%s%s:%u", l.ipv6 ? "[" : "", host, l.ipv6 ? "]" : "", l.port);
	*out = l;
	return 0;
}

/* vsnprintf: unlike snprintf it does not trip -Wformat-truncation=2 for a
 * caller-sized buffer, where truncation is the documented behaviour. */
static void __attribute__((format(printf, 3, 4))) format_into(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* The largest unit that divides the duration exactly, so that the text parses
 * back to the same value: 5400 s is "90min", 1500 ms stays "1500ms". */
void ctw_format_duration(uint64_t us, char *buf, size_t len)
{
	static const struct unit units[] = {
		{ "d", 86400 * 1000000ULL }, { "h", 3600 * 1000000ULL }, { "min", 60 * 1000000ULL },
		{ "s", 1000000 }, { "ms", 1000 }, { "us", 1 },
	};
	size_t i = 0;

	if (len == 0)
		return;
	if (us == 0) {
		format_into(buf, len, "%s", "0s");
		return;
	}
	while (us % units[i].factor != 0)
		i++;
	format_into(buf, len, "%" PRIu64 "%s", us / units[i].factor, units[i].suffix);
}
