/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parse /dev/kmsg records and recognise conntrack table-full messages.
 *
 * A record, as one read() of /dev/kmsg returns it:
 *   "PRIO,SEQ,USEC,FLAGS[,FIELD...];TEXT\n"
 * optionally followed by dictionary lines " KEY=VALUE\n". The kernel escapes
 * control characters, non-ASCII bytes and '\\' in TEXT as \xNN, so TEXT never
 * holds a raw newline. Everything here works on buffers: no I/O.
 */
#include "kernel/kmsg.h"

#include <errno.h>
#include <string.h>

/* Prefixes the messages carry: pr_fmt adds KBUILD_MODNAME ": " to a text that
 * already starts with "nf_conntrack: " since 4.x; 2.4/2.6 used ip_conntrack. */
#define MAX_PREFIXES 2

static const char *const module_prefixes[] = { "nf_conntrack: ", "ip_conntrack: " };

/* An unsigned decimal: at least one digit, no sign, no blanks, no overflow. */
static int parse_u64(const char **pos, const char *end, uint64_t *out)
{
	const char *p = *pos;
	uint64_t v = 0;

	if (p >= end || *p < '0' || *p > '9')
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - digit) / 10)
			return -EINVAL;
		v = v * 10 + digit;
	}
	*pos = p;
	*out = v;
	return 0;
}

static int expect_char(const char **pos, const char *end, char c)
{
	if (*pos >= end || **pos != c)
		return -EINVAL;
	(*pos)++;
	return 0;
}

/* Whatever follows the text line must be dictionary lines (" KEY=VALUE"). */
static int check_dictionary(const char *p, const char *end)
{
	while (p < end) {
		const char *nl;

		if (*p != ' ')
			return -EINVAL;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

int ctw_kmsg_parse_record(const char *buf, size_t len, struct ctw_kmsg_record *rec)
{
	const char *p = buf, *end, *semi, *nl;
	uint64_t prio;
	int r;

	if (!buf || !rec || len == 0)
		return -EINVAL;
	end = buf + len;

	if ((r = parse_u64(&p, end, &prio)) < 0 || prio > UINT32_MAX ||
	    (r = expect_char(&p, end, ',')) < 0 ||
	    (r = parse_u64(&p, end, &rec->seq)) < 0 ||
	    (r = expect_char(&p, end, ',')) < 0 ||
	    (r = parse_u64(&p, end, &rec->usec)) < 0 ||
	    (r = expect_char(&p, end, ',')) < 0)
		return -EINVAL;

	/* '-' on kernels since 5.10 (the ring buffer joins continuations);
	 * older ones mark the start of a continued line 'c', a fragment '+'. */
	if (p >= end || (*p != '-' && *p != 'c' && *p != '+'))
		return -EINVAL;
	rec->flags = *p++;
	if (p >= end || (*p != ';' && *p != ','))
		return -EINVAL;

	/* Later kernels may append fields (",caller=T123"): skip to ';',
	 * which must come before the end of the first line. */
	semi = memchr(p, ';', (size_t)(end - p));
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!semi || (nl && nl < semi))
		return -EINVAL;

	rec->facility = (unsigned)prio >> 3;
	rec->level = (unsigned)prio & 7;
	rec->text = semi + 1;
	nl = memchr(rec->text, '\n', (size_t)(end - rec->text));
	rec->text_len = (size_t)((nl ? nl : end) - rec->text);
	if (nl && check_dictionary(nl + 1, end) < 0)
		return -EINVAL;
	return 0;
}

static bool eat(const char **p, const char *end, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(end - *p) < n || memcmp(*p, word, n) != 0)
		return false;
	*p += n;
	return true;
}

static bool eat_module_prefix(const char **p, const char *end)
{
	for (size_t i = 0; i < sizeof(module_prefixes) / sizeof(module_prefixes[0]); i++)
		if (eat(p, end, module_prefixes[i]))
			return true;
	return false;
}

enum ctw_kmsg_kind ctw_kmsg_classify_text(const char *text, size_t len, uint64_t *netns_inode)
{
	const char *p = text, *end;
	uint64_t inode = 0;
	unsigned prefixes = 0;

	if (netns_inode)
		*netns_inode = 0;
	if (!text)
		return CTW_KMSG_OTHER;
	end = text + len;

	while (prefixes < MAX_PREFIXES && eat_module_prefix(&p, end))
		prefixes++;
	if (prefixes == 0)
		return CTW_KMSG_OTHER;
	/* 2.6-era texts end with a dot, later ones do not. */
	if (end > p && end[-1] == '.')
		end--;

	if (eat(&p, end, "expectation table full"))
		return p == end ? CTW_KMSG_EXPECT_FULL : CTW_KMSG_OTHER;
	if (!eat(&p, end, "table full"))
		return CTW_KMSG_OTHER;
	/* 6.18 names the netns by inode, except for the initial one. */
	if (eat(&p, end, " in netns ") && parse_u64(&p, end, &inode) < 0)
		return CTW_KMSG_OTHER;
	if (!eat(&p, end, ", dropping packet") || p != end)
		return CTW_KMSG_OTHER;
	if (netns_inode)
		*netns_inode = inode;
	return CTW_KMSG_TABLE_FULL;
}

enum ctw_kmsg_kind ctw_kmsg_classify(const struct ctw_kmsg_record *rec, uint64_t *netns_inode)
{
	if (netns_inode)
		*netns_inode = 0;
	/* User space writing to /dev/kmsg never gets facility 0; a '+'
	 * fragment continues another message, so its text is no message. */
	if (!rec || rec->facility != 0 || rec->flags == '+')
		return CTW_KMSG_OTHER;
	return ctw_kmsg_classify_text(rec->text, rec->text_len, netns_inode);
}

static void count_netns(struct ctw_table_full *s, uint64_t inode, uint64_t usec)
{
	for (unsigned i = 0; i < s->n_netns; i++) {
		struct ctw_table_full_netns *n = &s->netns[i];

		if (n->inode == inode) {
			n->records++;
			if (usec < n->first_usec)
				n->first_usec = usec;
			if (usec > n->last_usec)
				n->last_usec = usec;
			return;
		}
	}
	if (s->n_netns < CTW_KMSG_MAX_NETNS) {
		s->netns[s->n_netns++] = (struct ctw_table_full_netns){
			.inode = inode, .records = 1, .first_usec = usec, .last_usec = usec };
		return;
	}
	/* Full: the namespace heard from longest ago gives up its slot (its
	 * records stay in s->records). A host that ran many namespaces logs
	 * about more than the slots hold; the recent ones are those still
	 * alive, this audit's own among them. */
	unsigned oldest = 0;

	for (unsigned i = 1; i < s->n_netns; i++)
		if (s->netns[i].last_usec < s->netns[oldest].last_usec)
			oldest = i;
	if (s->netns[oldest].last_usec <= usec)
		s->netns[oldest] = (struct ctw_table_full_netns){
			.inode = inode, .records = 1, .first_usec = usec, .last_usec = usec };
}

void ctw_table_full_add(struct ctw_table_full *s, const struct ctw_kmsg_record *rec)
{
	enum ctw_kmsg_kind kind;
	uint64_t inode;

	if (!s || !rec || rec->flags == '+')
		return;
	kind = ctw_kmsg_classify_text(rec->text, rec->text_len, &inode);
	if (kind == CTW_KMSG_OTHER)
		return;
	if (rec->facility != 0) {
		s->ignored_spoofed++;
		return;
	}
	if (kind == CTW_KMSG_EXPECT_FULL) {
		s->expect_records++;
		return;
	}
	/* min/max rather than first/last seen: a saved dump may be out of order. */
	if (s->records == 0 || rec->usec < s->first_usec)
		s->first_usec = rec->usec;
	if (s->records == 0 || rec->usec > s->last_usec)
		s->last_usec = rec->usec;
	s->records++;
	count_netns(s, inode, rec->usec);
}

/* End of the record starting at p: its first line plus the dictionary lines
 * (lines starting with a space) after it. */
static const char *record_end(const char *p, const char *end)
{
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			return end;
		p = nl + 1;
		if (p >= end || *p != ' ')
			return p;
	}
}

void ctw_table_full_add_buffer(struct ctw_table_full *s, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	if (!s || !buf)
		return;
	while (p < end) {
		struct ctw_kmsg_record rec;
		const char *next;

		/* Blank lines separate nothing and are no record (hand-edited dumps). */
		if (*p == '\n') {
			p++;
			continue;
		}
		next = record_end(p, end);
		if (ctw_kmsg_parse_record(p, (size_t)(next - p), &rec) < 0)
			s->malformed++;
		else
			ctw_table_full_add(s, &rec);
		p = next;
	}
}
