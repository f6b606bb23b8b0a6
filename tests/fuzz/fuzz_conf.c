/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the policy parser: any bytes must give 0 or a negative errno with a
 * terminated "NAME:LINE: ..." message, never a crash or a half-filled config. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctw_config c, before;
	char err[256];
	int r;

	memset(&c, 0xA5, sizeof(c));
	memcpy(&before, &c, sizeof(c));
	memset(err, 'x', sizeof(err));
	r = ctw_config_parse_buffer("fuzz", (const char *)data, size, &c, err, sizeof(err));
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if (r < 0) {
		if (memcmp(&c, &before, sizeof(c)) != 0 || strncmp(err, "fuzz", 4) != 0)
			abort();
		return 0;
	}
	if (r != 0 || err[0] != '\0' || strcmp(c.source, "fuzz") != 0)
		abort();
	/* What the daemon relies on after a successful parse. */
	if (c.warn_pct > c.crit_pct || c.low_water_pct >= c.high_water_pct ||
	    c.receive_buffer_max_bytes < c.receive_buffer_bytes || c.poll_interval_us < 10000 ||
	    c.state_dir[0] != '/' || c.runtime_dir[0] != '/')
		abort();
	/* An endpoint to listen on has a port and says it ("ADDRESS:PORT"). */
	if (c.metrics_listen.set && (c.metrics_listen.port == 0 || !strrchr(c.metrics_listen.text, ':') ||
				     !memchr(c.metrics_listen.text, '\0', sizeof(c.metrics_listen.text))))
		abort();
	return 0;
}
