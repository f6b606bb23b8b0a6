/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The facts the conntrack table's cost is computed from: parsers for
 * /proc/slabinfo and /proc/meminfo (pure, buffers need not be NUL-terminated)
 * and their reading under a root. The arithmetic is policy/budget.c. */
#include "kernel/memory.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/knobs.h"

/* A view of one line or token inside a caller's buffer. */
struct span {
	const char *p;
	size_t len;
};

static bool next_line(const char **cur, const char *end, struct span *line)
{
	const char *nl;

	if (*cur >= end)
		return false;
	nl = memchr(*cur, '\n', (size_t)(end - *cur));
	line->p = *cur;
	line->len = (size_t)((nl ? nl : end) - *cur);
	*cur = nl ? nl + 1 : end;
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool next_token(struct span *line, struct span *tok)
{
	while (line->len > 0 && is_blank(*line->p)) {
		line->p++;
		line->len--;
	}
	if (line->len == 0)
		return false;
	tok->p = line->p;
	while (line->len > 0 && !is_blank(*line->p)) {
		line->p++;
		line->len--;
	}
	tok->len = (size_t)(line->p - tok->p);
	return true;
}

static bool span_is(const struct span *s, const char *str)
{
	return s->len == strlen(str) && memcmp(s->p, str, s->len) == 0;
}

static bool span_starts(const struct span *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return s->len >= n && memcmp(s->p, prefix, n) == 0;
}

static int span_u64(const struct span *s, uint64_t *out)
{
	return s->len > 0 ? ctw_knob_parse_value(s->p, s->len, out) : -EINVAL;
}

int ctw_slabinfo_object_size(const char *buf, size_t len, uint64_t *objsize)
{
	const char *cur = buf, *end = buf + len;
	struct span line, tok;

	/* Only version 2.x has the column layout read below. */
	if (!buf || !next_line(&cur, end, &line) || !span_starts(&line, "slabinfo - version: 2."))
		return -EINVAL;
	while (next_line(&cur, end, &line)) {
		uint64_t v[3];

		if (!next_token(&line, &tok) || tok.p[0] == '#')
			continue;
		/* Exactly "nf_conntrack": not nf_conntrack_expect, nor the
		 * per-netns "nf_conntrack_<address>" caches of old kernels. */
		if (!span_is(&tok, "nf_conntrack"))
			continue;
		/* active_objs num_objs objsize */
		for (int i = 0; i < 3; i++)
			if (!next_token(&line, &tok) || span_u64(&tok, &v[i]) < 0)
				return -EINVAL;
		if (v[2] == 0)
			return -EINVAL;
		*objsize = v[2];
		return 0;
	}
	return -ENOENT;
}

int ctw_meminfo_total_bytes(const char *buf, size_t len, uint64_t *bytes)
{
	const char *cur = buf, *end = buf + len;
	struct span line, tok;
	uint64_t kib;

	if (!buf)
		return -EINVAL;
	while (next_line(&cur, end, &line)) {
		if (!next_token(&line, &tok) || !span_is(&tok, "MemTotal:"))
			continue;
		if (!next_token(&line, &tok) || span_u64(&tok, &kib) < 0)
			return -EINVAL;
		if (!next_token(&line, &tok) || !span_is(&tok, "kB") || next_token(&line, &tok))
			return -EINVAL;
		if (kib > UINT64_MAX / 1024)
			return -EINVAL;
		*bytes = kib * 1024;
		return 0;
	}
	return -ENOENT;
}

/* slabinfo has one row per cache (a few hundred, more with many memcgs):
 * grow the buffer until the file fits, up to a bound. *file_read tells a
 * missing row (-ENOENT from the parser) from a missing file. */
#define SLABINFO_START (64 * 1024)
#define SLABINFO_LIMIT (16 * 1024 * 1024)
#define MEMINFO_SIZE (16 * 1024)

/* SLUB's sysfs file holds the same number as slabinfo's objsize column (the
 * slot, s->size) in one 4-byte read; formatting all of slabinfo costs the
 * kernel ~0.25 ms, a quarter of a whole audit (docs/bench-audit.md). */
static int read_sysfs_slab_size(const struct ctw_knobs *k, uint64_t *objsize)
{
	char buf[32], *end;
	ssize_t n = ctw_root_read_file(k, "sys/kernel/slab/nf_conntrack/slab_size", buf, sizeof(buf) - 1);
	unsigned long long v;

	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v == 0)
		return -EINVAL;
	*objsize = v;
	return 0;
}

static int read_slab_objsize(const struct ctw_knobs *k, uint64_t *objsize, bool *file_read)
{
	size_t size = SLABINFO_START;
	int r;

	*file_read = false;
	if (read_sysfs_slab_size(k, objsize) == 0) {
		*file_read = true;
		return 0;
	}
	for (;;) {
		char *buf = malloc(size);
		ssize_t n;

		if (!buf)
			return -ENOMEM;
		n = ctw_root_read_file(k, "proc/slabinfo", buf, size);
		if (n >= 0)
			*file_read = true;
		r = n < 0 ? (int)n : ctw_slabinfo_object_size(buf, (size_t)n, objsize);
		free(buf);
		if (r != -EFBIG || size >= SLABINFO_LIMIT)
			return r;
		size *= 2;
	}
}

/* Append a "; "-separated part to the note. */
static void __attribute__((format(printf, 3, 4)))
note_add(char *note, size_t notelen, const char *fmt, ...)
{
	va_list ap;
	size_t used;
	int n;

	if (!note || notelen == 0)
		return;
	used = strnlen(note, notelen);
	if (used > 0 && used + 2 < notelen) {
		memcpy(note + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= notelen)
		return;
	va_start(ap, fmt);
	n = vsnprintf(note + used, notelen - used, fmt, ap);
	va_end(ap);
	if (n < 0)
		note[used] = '\0';
}

static void note_slab_estimate(const struct ctw_knobs *k, int err, bool file_read, char *note, size_t notelen)
{
	char path[sizeof(k->root) + 32];

	ctw_root_display_path(k, "proc/slabinfo", path, sizeof(path));
	if (file_read && err == -ENOENT)
		note_add(note, notelen, "object size estimated as %d B: %s: no nf_conntrack row (cache merged)",
			 CTW_OBJSIZE_ESTIMATE, path);
	else if (file_read)
		note_add(note, notelen, "object size estimated as %d B: %s: unexpected format",
			 CTW_OBJSIZE_ESTIMATE, path);
	else
		note_add(note, notelen, "object size estimated as %d B: %s: %s%s", CTW_OBJSIZE_ESTIMATE, path,
			 strerror(-err), err == -EACCES || err == -EPERM ? " (needs root)" : "");
}

int ctw_memory_read(const struct ctw_knobs *k, struct ctw_memory *m, char *note, size_t notelen)
{
	char path[sizeof(k->root) + 32];
	bool file_read;
	char *buf;
	ssize_t n;
	int r;

	memset(m, 0, sizeof(*m));
	if (note && notelen > 0)
		note[0] = '\0';

	/* An unreadable slabinfo is normal without root: estimate high, say so. */
	r = read_slab_objsize(k, &m->object_size, &file_read);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		m->object_size = CTW_OBJSIZE_ESTIMATE;
		m->object_size_estimated = true;
		note_slab_estimate(k, r, file_read, note, notelen);
	}

	buf = malloc(MEMINFO_SIZE);
	if (!buf)
		return -ENOMEM;
	n = ctw_root_read_file(k, "proc/meminfo", buf, MEMINFO_SIZE);
	r = n < 0 ? (int)n : ctw_meminfo_total_bytes(buf, (size_t)n, &m->memtotal_bytes);
	free(buf);
	if (r < 0) {
		m->memtotal_bytes = 0;
		ctw_root_display_path(k, "proc/meminfo", path, sizeof(path));
		note_add(note, notelen, "RAM size unknown: %s: %s", path,
			 n < 0 ? strerror(-r) : r == -ENOENT ? "no MemTotal line" : "malformed MemTotal line");
	}
	return 0;
}
