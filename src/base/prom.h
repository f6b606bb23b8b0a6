/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Prometheus text exposition format (version 0.0.4), as node_exporter's
 * textfile collector and promtool read it: a growable buffer of metric
 * families, each a HELP and a TYPE line followed by its samples.
 *
 *   struct ctw_prom p;
 *   ctw_prom_init(&p);
 *   ctw_prom_family(&p, "ctwarden_up", CTW_PROM_GAUGE, "1 when the writer is healthy.");
 *   ctw_prom_sample(&p, NULL, 0, 1);
 *   if (ctw_prom_error(&p) == 0) ... ctw_prom_text(&p), p.len ...
 *   ctw_prom_free(&p);
 *
 * Building is pure (no I/O, no clock). Numbers go through printf/strtod in
 * the C locale: ctwarden never calls setlocale(). The first error (an invalid
 * name, a sample before any family, out of memory) sticks: later calls do
 * nothing and ctw_prom_error() returns it, so a caller checks once at the
 * end and never writes half an exposition. Nothing here knows ctwarden's
 * metrics: the audit and the daemon both build with it.
 *
 * ctw_prom_write_file() (prom_file.c) is the only I/O: it replaces a file
 * atomically, so a scrape reads the old file or the new one, never a mix. */
#ifndef CTW_PROM_H
#define CTW_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ctw_prom_type { CTW_PROM_GAUGE, CTW_PROM_COUNTER, CTW_PROM_UNTYPED };

/* The buffer never grows past this: an exposition bigger than 16 MiB is a
 * bug (unbounded labels), reported as -E2BIG rather than eating memory. */
#define CTW_PROM_MAX_BYTES (16u << 20)

struct ctw_prom {
	char *buf;             /* NUL-terminated text, len bytes; NULL until something is written */
	size_t len, cap;
	size_t limit;          /* growth bound, CTW_PROM_MAX_BYTES by default */
	int err;               /* first error (negative errno), 0 while all is well */
	char family[128];      /* the family samples go to ("" before the first) */
	char *names;           /* every family declared so far, NUL-separated */
	size_t names_len, names_cap;
};

/* One label: name="value". The value may hold any bytes but NUL; it is escaped. */
struct ctw_prom_label {
	const char *name;
	const char *value;
};

void ctw_prom_init(struct ctw_prom *p);
void ctw_prom_free(struct ctw_prom *p);
/* Empty the text and forget the error, keeping the memory (a daemon rebuilds each poll). */
void ctw_prom_reset(struct ctw_prom *p);

/* Start a family: "# HELP name help" (help escaped) and "# TYPE name type".
 * Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and be at most 127 bytes (else
 * -EINVAL); a family declared twice is -EEXIST (the format wants each
 * family's lines together, once). */
void ctw_prom_family(struct ctw_prom *p, const char *name, enum ctw_prom_type type, const char *help);

/* A sample of the current family. Label names must match [a-zA-Z_][a-zA-Z0-9_]*
 * and not start with "__" (reserved); else -EINVAL. n may be 0 (labels NULL). */
void ctw_prom_sample(struct ctw_prom *p, const struct ctw_prom_label *labels, size_t n, double value);
/* The same for an integer, printed exactly (a double would round above 2^53). */
void ctw_prom_sample_u64(struct ctw_prom *p, const struct ctw_prom_label *labels, size_t n, uint64_t value);

/* 0, or the first error: -EINVAL (a bad name or no family yet), -EEXIST
 * (a family declared again), -ENOMEM, -E2BIG (past limit). */
int ctw_prom_error(const struct ctw_prom *p);
/* The text so far ("" when none). */
const char *ctw_prom_text(const struct ctw_prom *p);

/* Pure helpers, exposed for the tests and other writers. */
/* A sample value as the format spells it: "+Inf", "-Inf", "NaN", integers
 * without a fraction or exponent ("262144", "-3"), otherwise the shortest
 * decimal that reads back as the same double ("0.95", "1.5e-07"). Returns
 * buf; len >= CTW_PROM_NUMBER_LEN always suffices. */
#define CTW_PROM_NUMBER_LEN 32
const char *ctw_prom_format_double(double v, char *buf, size_t len);
bool ctw_prom_valid_metric_name(const char *name);
bool ctw_prom_valid_label_name(const char *name);

/* Replace path with data atomically and durably: a temp file in the same
 * directory (".NAME.XXXXXX", which the textfile collector ignores: it reads
 * only *.prom), written in full, mode 0644 whatever the umask, fsync'ed,
 * renamed over path, and the directory fsync'ed. On failure -errno is
 * returned, *step (when not NULL) says what failed ("creating a temp file",
 * "writing the temp file", ...) and no temp file is left; path is untouched
 * unless only the last step, "syncing the directory", failed (the new
 * content is then in place but may not survive a crash). */
int ctw_prom_write_file(const char *path, const char *data, size_t len, const char **step);

#endif
