/* SPDX-License-Identifier: GPL-2.0-or-later */
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

/* An address to listen on: "127.0.0.1:9747" or "[::1]:9747". Literal
 * addresses only (a host name would need a resolver at start-up, and could
 * change under a running daemon); port 1 to 65535, CTW_LISTEN_DEFAULT_PORT
 * when none is given ("127.0.0.1", "[::1]"). 9747 is in the exporters'
 * range and used by none of the node agents beside it (node_exporter 9100,
 * kube-proxy 10249/10256, node-problem-detector 20256/20257, Cilium
 * 9962/9879, Calico 9091/9099). */
#define CTW_LISTEN_DEFAULT_PORT 9747
#define CTW_LISTEN_TEXT_MAX 64
struct ctw_listen {
	bool set;                 /* false: no endpoint */
	bool ipv6;
	uint8_t addr[16];         /* network byte order: 4 bytes for IPv4, 16 for IPv6 */
	uint16_t port;
	char text[CTW_LISTEN_TEXT_MAX]; /* "ADDRESS:PORT", for messages */
};
/* 0, or -EINVAL with *why saying what is wrong (a constant string). */
int ctw_parse_listen(const char *s, struct ctw_listen *out, const char **why);

/* Format a duration for humans ("1h", "30s", "100ms"). */
void ctw_format_duration(uint64_t us, char *buf, size_t len);

#endif
