/* Strict parsers and formatters for config values (durations, sizes, percents). */
#ifndef CTW_CONF_VALUES_H
#define CTW_CONF_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Strict value parsers, 0 or -EINVAL / -ERANGE. */
int ctw_parse_duration_us(const char *s, uint64_t *out);  /* 100ms 30s 10min 1h 2d (and us); bare number = seconds */
int ctw_parse_percent(const char *s, double *out);        /* "80%" or "12.5%" -> 80.0 / 12.5 */
int ctw_parse_u64(const char *s, uint64_t *out);          /* decimal only */
int ctw_parse_size(const char *s, uint64_t *out);         /* bytes; K KiB M MiB G GiB = powers of 1024 */
int ctw_parse_decimal(const char *s, double *out);        /* "4" "0.25": plain non-negative decimal */
int ctw_parse_bool(const char *s, bool *out);             /* yes/no true/false 1/0 */

/* Format a duration for humans ("1h", "30s", "100ms"). */
void ctw_format_duration(uint64_t us, char *buf, size_t len);

#endif
