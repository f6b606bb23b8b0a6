/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parse the kernel log in the syslog(2) format (SYSLOG_ACTION_READ_ALL, what
 * `dmesg -r` prints), the format one read of the whole buffer returns:
 *   "<PRIO>[SECONDS.MICROS] TEXT\n"
 * kernel/printk/printk.c info_print_prefix(): print_syslog() "<%u>", then
 * print_time() "[%5lu.%06lu]" when printk.time is on, then print_caller()
 * "[%6s]" ("T123" or "C1") on CONFIG_PRINTK_CALLER kernels, then one blank.
 * record_print_text() puts that prefix before every line of a record's text,
 * which is not escaped. Everything here works on buffers: no I/O.
 */
#include "kernel/kmsg.h"

#include <errno.h>
#include <string.h>

/* Digits of one unsigned decimal, at most max_digits of them. */
static int parse_digits(const char **pos, const char *end, unsigned max_digits, uint64_t *out)
{
	const char *p = *pos;
	uint64_t v = 0;
	unsigned n = 0;

	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (++n > max_digits)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (n == 0)
		return -EINVAL;
	*pos = p;
	*out = v;
	return 0;
}

static void skip_blanks(const char **pos, const char *end)
{
	while (*pos < end && **pos == ' ')
		(*pos)++;
}

/* "[%5lu.%06lu]": seconds (padded with blanks), a dot, exactly 6 digits. */
static int parse_time(const char **pos, const char *end, uint64_t *usec)
{
	const char *p = *pos, *frac;
	uint64_t sec, micro;

	if (p >= end || *p++ != '[')
		return -EINVAL;
	skip_blanks(&p, end);
	/* 12 digits of seconds: 31,000 years of uptime, no overflow in usec. */
	if (parse_digits(&p, end, 12, &sec) < 0 || p >= end || *p++ != '.')
		return -EINVAL;
	frac = p;
	if (parse_digits(&p, end, 6, &micro) < 0 || p - frac != 6 || p >= end || *p++ != ']')
		return -EINVAL;
	*usec = sec * 1000000 + micro;
	*pos = p;
	return 0;
}

/* CONFIG_PRINTK_CALLER: "[%6s]" of "T<pid>" or "C<cpu>". */
static void skip_caller(const char **pos, const char *end)
{
	const char *p = *pos;
	uint64_t id;

	if (p >= end || *p++ != '[')
		return;
	skip_blanks(&p, end);
	if (p >= end || (*p != 'T' && *p != 'C'))
		return;
	p++;
	if (parse_digits(&p, end, 10, &id) < 0 || p >= end || *p++ != ']')
		return;
	*pos = p;
}

int ctw_kmsg_parse_syslog_line(const char *line, size_t len, struct ctw_kmsg_record *rec, size_t *prefix_len)
{
	const char *p = line, *end;
	uint64_t prio, usec;

	if (!line || !rec || len == 0)
		return -EINVAL;
	end = line + len;
	if (memchr(line, '\n', len))
		return -EINVAL;
	/* PRIO is (facility << 3) | level; facilities go up to 23 (local7). */
	if (*p++ != '<' || parse_digits(&p, end, 10, &prio) < 0 || prio > UINT32_MAX ||
	    p >= end || *p++ != '>')
		return -EINVAL;
	memset(rec, 0, sizeof(*rec));
	rec->facility = (unsigned)prio >> 3;
	rec->level = (unsigned)prio & 7;
	rec->flags = '-';
	/* printk.time=0: no time at all; the text starts right after PRIO. */
	if (parse_time(&p, end, &usec) < 0)
		return -ENOMSG;
	rec->usec = usec;
	skip_caller(&p, end);
	if (p >= end || *p++ != ' ')
		return -EINVAL;
	rec->text = p;
	rec->text_len = (size_t)(end - p);
	if (prefix_len)
		*prefix_len = (size_t)(p - line);
	return 0;
}

void ctw_table_full_add_syslog(struct ctw_table_full *s, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	const char *prev_prefix = NULL;
	size_t prev_prefix_len = 0;
	bool prev_matched = false;

	if (!s || !buf)
		return;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct ctw_kmsg_record rec;
		size_t plen = 0;
		int r;

		if (eol == p) {          /* blank line: no record */
			p = eol + 1;
			continue;
		}
		r = ctw_kmsg_parse_syslog_line(p, (size_t)(eol - p), &rec, &plen);
		if (r == -ENOMSG) {
			s->untimed++;
			prev_prefix = NULL;
		} else if (r < 0) {
			s->malformed++;
			prev_prefix = NULL;
		} else {
			enum ctw_kmsg_kind kind;
			bool continued = prev_prefix && plen == prev_prefix_len &&
					 memcmp(p, prev_prefix, plen) == 0 && !prev_matched;

			/* A continuation line is no message: like a '+' fragment in /dev/kmsg. */
			if (continued)
				rec.flags = '+';
			kind = continued ? CTW_KMSG_OTHER : ctw_kmsg_classify_text(rec.text, rec.text_len, NULL);
			ctw_table_full_add(s, &rec);
			prev_matched = kind != CTW_KMSG_OTHER;
			prev_prefix = p;
			prev_prefix_len = plen;
		}
		p = nl ? nl + 1 : end;
	}
}
