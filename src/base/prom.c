/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Building a Prometheus text exposition in memory (see prom.h). */
#include "base/prom.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_CAP 4096

void ctw_prom_init(struct ctw_prom *p)
{
	memset(p, 0, sizeof(*p));
	p->limit = CTW_PROM_MAX_BYTES;
}

void ctw_prom_free(struct ctw_prom *p)
{
	free(p->buf);
	free(p->names);
	ctw_prom_init(p);
}

void ctw_prom_reset(struct ctw_prom *p)
{
	p->len = 0;
	if (p->buf)
		p->buf[0] = '\0';
	p->err = 0;
	p->family[0] = '\0';
	p->names_len = 0;
}

int ctw_prom_error(const struct ctw_prom *p)
{
	return p->err;
}

const char *ctw_prom_text(const struct ctw_prom *p)
{
	return p->buf ? p->buf : "";
}

static void fail(struct ctw_prom *p, int err)
{
	if (!p->err)
		p->err = err;
}

/* Room for n more bytes and the NUL. */
static bool reserve(struct ctw_prom *p, size_t n)
{
	size_t need, cap;
	char *b;

	if (p->err)
		return false;
	if (n > p->limit || p->len + n + 1 > p->limit) {
		fail(p, -E2BIG);
		return false;
	}
	need = p->len + n + 1;
	if (need <= p->cap)
		return true;
	cap = p->cap ? p->cap : INITIAL_CAP;
	while (cap < need)
		cap *= 2;
	if (cap > p->limit)
		cap = p->limit;
	b = realloc(p->buf, cap);
	if (!b) {
		fail(p, -ENOMEM);
		return false;
	}
	p->buf = b;
	p->cap = cap;
	return true;
}

static void put(struct ctw_prom *p, const char *s, size_t n)
{
	if (!reserve(p, n))
		return;
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void puts_(struct ctw_prom *p, const char *s)
{
	put(p, s, strlen(s));
}

/* s with each byte in specials written as a backslash escape: '\\' -> "\\\\",
 * '\n' -> "\\n", '"' -> "\\\"" (HELP text escapes only the first two). */
static void put_escaped(struct ctw_prom *p, const char *s, bool quote)
{
	const char *run = s;

	for (; *s; s++) {
		const char *esc = *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : quote && *s == '"' ? "\\\"" : NULL;

		if (!esc)
			continue;
		put(p, run, (size_t)(s - run));
		put(p, esc, 2);
		run = s + 1;
	}
	put(p, run, (size_t)(s - run));
}

static bool name_char(char c, bool first, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
	       (!first && c >= '0' && c <= '9');
}

static bool valid_name(const char *name, bool colon)
{
	if (!name || !name[0])
		return false;
	for (const char *c = name; *c; c++)
		if (!name_char(*c, c == name, colon))
			return false;
	return true;
}

bool ctw_prom_valid_metric_name(const char *name)
{
	return valid_name(name, true);
}

bool ctw_prom_valid_label_name(const char *name)
{
	return valid_name(name, false) && strncmp(name, "__", 2) != 0;
}

static bool declared(const struct ctw_prom *p, const char *name)
{
	for (size_t off = 0; off < p->names_len; off += strlen(p->names + off) + 1)
		if (strcmp(p->names + off, name) == 0)
			return true;
	return false;
}

static bool remember(struct ctw_prom *p, const char *name)
{
	size_t n = strlen(name) + 1, cap;
	char *b;

	if (p->names_len + n > p->names_cap) {
		cap = p->names_cap ? p->names_cap * 2 : 1024;
		while (cap < p->names_len + n)
			cap *= 2;
		b = realloc(p->names, cap);
		if (!b) {
			fail(p, -ENOMEM);
			return false;
		}
		p->names = b;
		p->names_cap = cap;
	}
	memcpy(p->names + p->names_len, name, n);
	p->names_len += n;
	return true;
}

static const char *type_name(enum ctw_prom_type t)
{
	switch (t) {
	case CTW_PROM_GAUGE:
		return "gauge";
	case CTW_PROM_COUNTER:
		return "counter";
	default:
		return "untyped";
	}
}

void ctw_prom_family(struct ctw_prom *p, const char *name, enum ctw_prom_type type, const char *help)
{
	if (p->err)
		return;
	if (!ctw_prom_valid_metric_name(name) || strlen(name) >= sizeof(p->family) ||
	    (type != CTW_PROM_GAUGE && type != CTW_PROM_COUNTER && type != CTW_PROM_UNTYPED)) {
		fail(p, -EINVAL);
		return;
	}
	if (declared(p, name)) {
		fail(p, -EEXIST);
		return;
	}
	if (!remember(p, name))
		return;
	snprintf(p->family, sizeof(p->family), "%s", name);
	if (help && help[0]) {
		puts_(p, "# HELP ");
		puts_(p, name);
		puts_(p, " ");
		put_escaped(p, help, false);
		puts_(p, "\n");
	}
	puts_(p, "# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type_name(type));
	puts_(p, "\n");
}

/* name{l1="v1",l2="v2"} up to the value. */
static bool sample_head(struct ctw_prom *p, const struct ctw_prom_label *labels, size_t n)
{
	if (p->err)
		return false;
	if (!p->family[0] || (n > 0 && !labels)) {
		fail(p, -EINVAL);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (!ctw_prom_valid_label_name(labels[i].name) || !labels[i].value) {
			fail(p, -EINVAL);
			return false;
		}
	puts_(p, p->family);
	for (size_t i = 0; i < n; i++) {
		puts_(p, i == 0 ? "{" : ",");
		puts_(p, labels[i].name);
		puts_(p, "=\"");
		put_escaped(p, labels[i].value, true);
		puts_(p, "\"");
	}
	puts_(p, n ? "} " : " ");
	return !p->err;
}

void ctw_prom_sample(struct ctw_prom *p, const struct ctw_prom_label *labels, size_t n, double value)
{
	char num[CTW_PROM_NUMBER_LEN];

	if (!sample_head(p, labels, n))
		return;
	puts_(p, ctw_prom_format_double(value, num, sizeof(num)));
	puts_(p, "\n");
}

void ctw_prom_sample_u64(struct ctw_prom *p, const struct ctw_prom_label *labels, size_t n, uint64_t value)
{
	char num[CTW_PROM_NUMBER_LEN];

	if (!sample_head(p, labels, n))
		return;
	snprintf(num, sizeof(num), "%" PRIu64, value);
	puts_(p, num);
	puts_(p, "\n");
}

const char *ctw_prom_format_double(double v, char *buf, size_t len)
{
	/* 2^63: every double below it in magnitude with no fraction fits int64_t. */
	const double int_max = 9223372036854775808.0;
	char s[CTW_PROM_NUMBER_LEN];  /* "-2.2250738585072014e-308" is the widest: 24 */
	size_t n;

	if (isnan(v)) {
		snprintf(s, sizeof(s), "NaN");
	} else if (isinf(v)) {
		snprintf(s, sizeof(s), "%s", v > 0 ? "+Inf" : "-Inf");
	} else if (v == 0) {
		snprintf(s, sizeof(s), "0");  /* also -0: "-0" reads back, but says nothing more */
	} else if (fabs(v) < int_max && v == trunc(v)) {
		snprintf(s, sizeof(s), "%" PRId64, (int64_t)v);
	} else {
		/* The fewest significant digits that read back as v (17 always do). */
		for (int digits = 1; digits <= 17; digits++) {
			snprintf(s, sizeof(s), "%.*g", digits, v);
			if (strtod(s, NULL) == v)
				break;
		}
	}
	if (len == 0)
		return buf;
	n = strnlen(s, sizeof(s) - 1);
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}
