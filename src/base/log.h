/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging for the CLI: readable lines on stderr. The daemon adds journald later. */
#ifndef CTW_LOG_H
#define CTW_LOG_H

#include <syslog.h>

/* level is a syslog priority (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG). */
void ctw_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctw_log_set_max_level(int level);

#include <stddef.h>
/* Fill a caller's error buffer (err may be NULL or errlen 0: then nothing):
 * code that does not log says what went wrong this way. */
void ctw_set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Append to the text buf[0..*used) of len bytes, cut to fit (always
 * terminated; *used stops at len - 1): for one-line summaries and files
 * built in a buffer. */
void ctw_appendf(char *buf, size_t len, size_t *used, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
