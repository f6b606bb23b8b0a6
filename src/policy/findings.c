/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Findings: the names, ranks and formats the audit's reports use (the
 * findings themselves are judged by ctw_findings_evaluate, findings_evaluate.c,
 * and the findings_*.c by topic). Pure: a kernel-log time is dated by the
 * clock the host snapshot read, never by reading one. */
#include "policy/findings.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "kernel/host.h"

const char *ctw_status_name(enum ctw_status s)
{
	switch (s) {
	case CTW_STATUS_OK: return "OK";
	case CTW_STATUS_WARNING: return "WARNING";
	case CTW_STATUS_CRITICAL: return "CRITICAL";
	case CTW_STATUS_UNKNOWN: break;
	}
	return "UNKNOWN";
}

const char *ctw_severity_name(enum ctw_severity s)
{
	switch (s) {
	case CTW_SEV_INFO: return "info";
	case CTW_SEV_WARNING: return "warning";
	case CTW_SEV_CRITICAL: return "critical";
	case CTW_SEV_UNKNOWN: break;
	}
	return "unknown";
}

int ctw_severity_rank(enum ctw_severity s)
{
	switch (s) {
	case CTW_SEV_INFO: return 0;
	case CTW_SEV_WARNING: return 1;
	case CTW_SEV_UNKNOWN: return 2;
	case CTW_SEV_CRITICAL: return 3;
	}
	return 2;
}

void ctw_format_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	unsigned i = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return;
	}
	v /= 1024.0;
	while (v >= 1024.0 && i + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024.0;
		i++;
	}
	snprintf(buf, len, "%.1f %s", v, unit[i]);
}

bool ctw_format_kmsg_time(const struct ctw_kmsg_clock *clk, uint64_t usec, bool iso, char *buf, size_t len)
{
	struct tm tm;
	time_t t;

	if (len)
		buf[0] = '\0';
	if (!clk->known)
		return false;
	if (usec > clk->uptime_us)
		usec = clk->uptime_us;
	t = (time_t)((clk->boot_wall_us + (int64_t)usec) / 1000000);
	if (t <= 0 || !gmtime_r(&t, &tm))
		return false;
	return strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC", &tm) > 0;
}
