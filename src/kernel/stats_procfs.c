/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/net/stat/nf_conntrack: a header of column names, then one row of
 * 8-digit hex u32 per possible CPU. Columns are found by name because kernels
 * renamed and reordered them (searched -> clashres, delete_list -> chainlength). */
#include "kernel/stats.h"
#include "kernel/knobs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PROCFS_STATS_RELPATH "proc/net/stat/nf_conntrack"
#define MAX_COLUMNS 64          /* 17 today; room for growth, bound for junk */
#define MAX_HEX_DIGITS 8        /* u32 */
#define READ_BUF_START 16384
#define READ_BUF_LIMIT (4u << 20) /* ~25k CPUs of rows */

enum { COL_IGNORED = -1, COL_ENTRIES = -2 };

/* Only names with the meaning we report; the old "searched" and "delete_list"
 * meant something else and stay unmapped, like any column we do not know. */
static const struct {
	const char *name;
	int column;
} column_names[] = {
	{ "entries", COL_ENTRIES },
	{ "found", CTW_CTR_FOUND },
	{ "invalid", CTW_CTR_INVALID },
	{ "insert", CTW_CTR_INSERT },
	{ "insert_failed", CTW_CTR_INSERT_FAILED },
	{ "drop", CTW_CTR_DROP },
	{ "early_drop", CTW_CTR_EARLY_DROP },
	{ "icmp_error", CTW_CTR_ERROR },
	{ "search_restart", CTW_CTR_SEARCH_RESTART },
	{ "clashres", CTW_CTR_CLASH_RESOLVE },
	{ "chainlength", CTW_CTR_CHAIN_TOOLONG },
};

struct span {
	const char *p;
	size_t len;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Next line of [*pos, end) without its '\n'; false at the end. A final '\n'
 * does not start another (empty) line. */
static bool next_line(const char **pos, const char *end, struct span *line)
{
	const char *nl;

	if (*pos >= end)
		return false;
	nl = memchr(*pos, '\n', (size_t)(end - *pos));
	line->p = *pos;
	line->len = (size_t)((nl ? nl : end) - *pos);
	*pos = nl ? nl + 1 : end;
	return true;
}

/* Next blank-separated word of *line, consumed from it; false when none left. */
static bool next_word(struct span *line, struct span *word)
{
	while (line->len && is_blank(*line->p)) {
		line->p++;
		line->len--;
	}
	if (!line->len)
		return false;
	word->p = line->p;
	while (line->len && !is_blank(*line->p)) {
		line->p++;
		line->len--;
	}
	word->len = (size_t)(line->p - word->p);
	return true;
}

static int column_of(const struct span *word)
{
	for (size_t i = 0; i < sizeof(column_names) / sizeof(column_names[0]); i++) {
		const char *n = column_names[i].name;

		if (strlen(n) == word->len && memcmp(n, word->p, word->len) == 0)
			return column_names[i].column;
	}
	return COL_IGNORED;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_hex_u32(const struct span *word, uint32_t *out)
{
	uint32_t v = 0;

	if (word->len == 0 || word->len > MAX_HEX_DIGITS)
		return -EINVAL;
	for (size_t i = 0; i < word->len; i++) {
		int d = hex_digit(word->p[i]);

		if (d < 0)
			return -EINVAL;
		v = (v << 4) | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/* Header words to column roles; sets a present bit for each counter found.
 * A counter named twice would be ambiguous: -EINVAL. */
static int parse_header(struct span line, int *columns, size_t *ncolumns,
			struct ctw_stats *st)
{
	bool have_entries_column = false;
	struct span word;
	size_t n = 0;

	while (next_word(&line, &word)) {
		int col = column_of(&word);

		if (n == MAX_COLUMNS)
			return -EINVAL;
		if (col >= 0) {
			if (st->counters.present & (1u << col))
				return -EINVAL;
			st->counters.present |= 1u << col;
		} else if (col == COL_ENTRIES) {
			if (have_entries_column)
				return -EINVAL;
			have_entries_column = true;
		}
		columns[n++] = col;
	}
	if (n == 0)
		return -EINVAL;
	*ncolumns = n;
	return 0;
}

static int parse_row(struct span line, const int *columns, size_t ncolumns,
		     struct ctw_stats *st)
{
	struct span word;
	size_t n = 0;

	while (next_word(&line, &word)) {
		uint32_t v;

		if (n == ncolumns || parse_hex_u32(&word, &v) < 0)
			return -EINVAL;
		if (columns[n] >= 0) {
			st->counters.value[columns[n]] += v;
		} else if (columns[n] == COL_ENTRIES && !st->have_entries) {
			/* The netns count, repeated on each row: take it once. */
			st->have_entries = true;
			st->entries = v;
		}
		n++;
	}
	if (n != ncolumns)
		return -EINVAL;
	st->counters.ncpu++;
	return 0;
}

int ctw_stats_parse_procfs(const char *buf, size_t len, struct ctw_stats *out)
{
	const char *pos = buf, *end = buf + len;
	int columns[MAX_COLUMNS];
	struct ctw_stats st;
	size_t ncolumns = 0;
	struct span line;
	int r;

	if (!buf && len)
		return -EINVAL;
	memset(&st, 0, sizeof(st));
	if (!next_line(&pos, end, &line))
		return -EINVAL;
	r = parse_header(line, columns, &ncolumns, &st);
	if (r < 0)
		return r;
	while (next_line(&pos, end, &line)) {
		r = parse_row(line, columns, ncolumns, &st);
		if (r < 0)
			return r;
	}
	st.source = CTW_STATS_PROCFS;
	*out = st;
	return 0;
}

/* Read the whole file, growing the buffer: one row per possible CPU. */
static ssize_t read_stats_file(const struct ctw_knobs *k, char **bufp)
{
	size_t size = READ_BUF_START;

	for (;;) {
		char *buf = malloc(size);
		ssize_t n;

		if (!buf)
			return -ENOMEM;
		n = ctw_root_read_file(k, PROCFS_STATS_RELPATH, buf, size);
		if (n >= 0) {
			*bufp = buf;
			return n;
		}
		free(buf);
		if (n != -EFBIG || size >= READ_BUF_LIMIT)
			return n;
		size *= 2;
	}
}

int ctw_stats_read_procfs(const struct ctw_knobs *k, struct ctw_stats *out)
{
	struct ctw_stats st;
	uint64_t max;
	char *buf;
	ssize_t n;
	int r;

	if (!k)
		return -EINVAL;
	n = read_stats_file(k, &buf);
	if (n < 0)
		return (int)n;
	r = ctw_stats_parse_procfs(buf, (size_t)n, &st);
	free(buf);
	if (r < 0)
		return r;
	/* The file has no max; the sysctl does, so both sources report the same. */
	if (ctw_knob_read(k, CTW_KNOB_MAX, &max) == 0) {
		st.have_max = true;
		st.max = max;
	}
	*out = st;
	return 0;
}
