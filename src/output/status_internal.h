/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by status.c (model, JSON out, files) and status_parse.c. */
#ifndef CTW_STATUS_INTERNAL_H
#define CTW_STATUS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* Rates, shares and times beyond this are not real: written as null, refused when read. */
#define CTW_STATUS_NUMBER_MAX 1e15

#include "base/log.h"   /* ctw_set_err */
/* Copy, cutting only between UTF-8 characters. */
void ctw_status_copy_str(char *dst, size_t size, const char *src);
/* A namespace name as the status holds it: valid UTF-8 without control
 * characters (C0, DEL, C1). The copy cuts between characters to fit and puts
 * '?' for each invalid byte or control character. */
bool ctw_status_name_ok(const char *s);
void ctw_status_copy_name(char *dst, size_t size, const char *src);

#endif
