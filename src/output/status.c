/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's status: the model (decisions ring, top lists, staleness) and its time format. */
#include "output/status.h"
#include "output/status_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define US_PER_S 1000000ULL


/* Copy with truncation; dst is always terminated, and a UTF-8 character is
 * never cut in two (the JSON reader would refuse the result). */
void ctw_status_copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	if (src[n] != '\0')
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The length of the UTF-8 character at s (1-4) with its code point, or 0 when
 * the bytes there are not one (overlong, surrogate, beyond U+10FFFF, cut). */
static size_t utf8_char(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;  /* also stops at the terminating NUL */
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

bool ctw_status_name_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (*p) {
		size_t n = utf8_char(p, &cp);

		if (n == 0 || is_control(cp))
			return false;
		p += n;
	}
	return true;
}

void ctw_status_copy_name(char *dst, size_t size, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t len = 0;
	uint32_t cp;

	while (*p) {
		size_t n = utf8_char(p, &cp);
		bool ok = n > 0 && !is_control(cp);
		size_t out = ok ? n : 1;

		if (len + out > size - 1)
			break;
		if (ok)
			memcpy(dst + len, p, n);
		else
			dst[len] = '?';
		len += out;
		p += n > 0 ? n : 1;
	}
	dst[len] = '\0';
}

/* ---- the model ---------------------------------------------------------- */

void ctw_status_init(struct ctw_status *st, pid_t pid, uint64_t started_at_us)
{
	memset(st, 0, sizeof(*st));
	st->pid = pid;
	st->started_at_us = started_at_us;
	st->updated_at_us = started_at_us;
}

void ctw_status_push_decision(struct ctw_status *st, const struct ctw_status_decision *d)
{
	struct ctw_status_decision *slot = &st->decisions[st->next_decision % CTW_STATUS_DECISIONS];

	slot->at_us = d->at_us;
	ctw_status_copy_str(slot->kind, sizeof(slot->kind), d->kind);
	ctw_status_copy_str(slot->knob, sizeof(slot->knob), d->knob);
	slot->old_value = d->old_value;
	slot->new_value = d->new_value;
	slot->applied = d->applied;
	ctw_status_copy_str(slot->reason, sizeof(slot->reason), d->reason);
	st->next_decision = (st->next_decision + 1) % CTW_STATUS_DECISIONS;
	if (st->n_decisions < CTW_STATUS_DECISIONS)
		st->n_decisions++;
}

void ctw_status_add_decision(struct ctw_status *st, uint64_t at_us, const struct ctw_decision *d, bool applied)
{
	struct ctw_status_decision sd = {
		.at_us = at_us,
		.old_value = d->old_value,
		.new_value = d->new_value,
		.applied = applied,
	};

	ctw_status_copy_str(sd.kind, sizeof(sd.kind), ctw_decision_kind_name(d->kind));
	ctw_status_copy_str(sd.knob, sizeof(sd.knob), ctw_decision_target_name(d));
	ctw_status_copy_str(sd.reason, sizeof(sd.reason), d->reason);
	ctw_status_push_decision(st, &sd);
}

const struct ctw_status_decision *ctw_status_decision(const struct ctw_status *st, unsigned i)
{
	unsigned n = st->n_decisions < CTW_STATUS_DECISIONS ? st->n_decisions : CTW_STATUS_DECISIONS;

	if (i >= n)
		return NULL;
	/* next_decision - 1 is the newest; add the ring size to stay unsigned. */
	return &st->decisions[(st->next_decision % CTW_STATUS_DECISIONS + CTW_STATUS_DECISIONS - 1 - i) %
			      CTW_STATUS_DECISIONS];
}

void ctw_status_top_add(struct ctw_status_top *top, const char *key, uint64_t count, double percent)
{
	struct ctw_status_talker *t;

	if (top->n >= CTW_STATUS_TOP_N)
		return;
	t = &top->t[top->n++];
	ctw_status_copy_str(t->key, sizeof(t->key), key);
	t->count = count;
	t->percent = percent;
}

void ctw_status_netns_clear(struct ctw_status *st)
{
	memset(st->netns, 0, sizeof(st->netns));
	st->n_netns = 0;
}

void ctw_status_netns_add(struct ctw_status *st, const struct ctw_status_netns *n)
{
	struct ctw_status_netns copy = *n;  /* n may be one of the list's own */
	char raw[sizeof(n->name) + 1];      /* terminated even if n->name is not */
	unsigned at = st->n_netns;

	memcpy(raw, n->name, sizeof(n->name));
	raw[sizeof(n->name)] = '\0';
	ctw_status_copy_name(copy.name, sizeof(copy.name), raw);
	/* After every one at least as full: equal counts keep their order. */
	while (at > 0 && st->netns[at - 1].count < copy.count)
		at--;
	if (at >= CTW_STATUS_NETNS_MAX)
		return;  /* full, and this one is the smallest */
	if (st->n_netns == CTW_STATUS_NETNS_MAX)
		st->n_netns--;  /* the smallest goes */
	memmove(&st->netns[at + 1], &st->netns[at], (st->n_netns - at) * sizeof(st->netns[0]));
	st->netns[at] = copy;
	st->n_netns++;
}

void ctw_status_set_pressure(struct ctw_status *st, const char *name, uint64_t inode)
{
	ctw_status_copy_name(st->pressure_netns, sizeof(st->pressure_netns), name ? name : "");
	st->pressure_inode = inode;
}

void ctw_status_retire_put(struct ctw_status *st, const struct ctw_status_retire *r)
{
	unsigned i;

	for (i = 0; i < st->n_retire && st->retire[i].inode != r->inode; i++)
		;
	if (i == st->n_retire && st->n_retire == CTW_STATUS_RETIRE_MAX)
		i = 0;   /* full: the oldest goes */
	else if (i == st->n_retire)
		st->n_retire++;
	/* Newest last: move the rest down over slot i. */
	memmove(&st->retire[i], &st->retire[i + 1], (st->n_retire - 1 - i) * sizeof(st->retire[0]));
	st->retire[st->n_retire - 1] = *r;
	ctw_status_copy_name(st->retire[st->n_retire - 1].netns, sizeof(r->netns), r->netns);
}

const char *ctw_status_mode_name(enum ctw_mode mode)
{
	return mode == CTW_MODE_ADVISE ? "advise" : "enforce";
}

uint64_t ctw_status_stale_after_us(uint64_t poll_interval_us)
{
	uint64_t polls = poll_interval_us > UINT64_MAX / CTW_STATUS_STALE_POLLS ? UINT64_MAX
									     : poll_interval_us * CTW_STATUS_STALE_POLLS;

	return polls > CTW_STATUS_STALE_MIN_US ? polls : CTW_STATUS_STALE_MIN_US;
}

bool ctw_status_is_stale(const struct ctw_status *st, uint64_t now_us)
{
	return now_us > st->updated_at_us &&
	       now_us - st->updated_at_us > ctw_status_stale_after_us(st->poll_interval_us);
}

/* ---- time --------------------------------------------------------------- */

bool ctw_status_format_time(uint64_t us, char *buf, size_t len)
{
	time_t secs = (time_t)(us / US_PER_S);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&secs, &tm))
		return false;
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return false;
	return (size_t)snprintf(buf + n, len - n, ".%03uZ", (unsigned)(us % US_PER_S / 1000)) < len - n;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool ctw_status_parse_time(const char *s, uint64_t *us)
{
	/* Exactly YYYY-MM-DDTHH:MM:SS[.fraction]Z; strptime alone would take
	 * spaces and short fields. */
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	struct tm tm = { 0 };
	uint64_t frac = 0, scale = US_PER_S;
	const char *p;
	time_t secs;

	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? !is_digit(s[i]) : s[i] != shape[i])
			return false;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p != s + sizeof(shape) - 1)
		return false;
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return false;
		for (; is_digit(*p); p++) {
			if (scale == 1)
				return false;  /* finer than a microsecond */
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	}
	if (p[0] != 'Z' || p[1] != '\0')
		return false;
	secs = timegm(&tm);
	if (secs < 0)
		return false;
	*us = (uint64_t)secs * US_PER_S + frac;
	return true;
}
