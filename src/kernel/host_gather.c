/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Gather the audit's snapshot of this host. Each source that fails leaves a
 * note saying what and why; nothing here walks the whole table. */
#include "kernel/host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kernel/ct_sample.h"
#include "kernel/knobs.h"

void ctw_host_note(struct ctw_host *h, const char *fmt, ...)
{
	va_list ap;

	if (h->n_notes >= CTW_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(h->notes[h->n_notes++], CTW_NOTE_LEN, fmt, ap);
	va_end(ap);
}

double ctw_host_usage_pct(const struct ctw_host *h)
{
	if (!h->have_count || !h->have_max || h->max == 0)
		return 0.0;
	return 100.0 * (double)h->count / (double)h->max;
}

static bool read_knob(struct ctw_host *h, const struct ctw_knobs *k, enum ctw_knob id, uint64_t *out)
{
	int r = ctw_knob_read(k, id, out);

	if (r < 0) {
		ctw_host_note(h, "%s: %s", ctw_knob_path(k, id), strerror(-r));
		return false;
	}
	return true;
}

static void gather_sizes(struct ctw_host *h, const struct ctw_knobs *k)
{
	h->have_count = read_knob(h, k, CTW_KNOB_COUNT, &h->count);
	h->have_max = read_knob(h, k, CTW_KNOB_MAX, &h->max);
	h->have_buckets = read_knob(h, k, CTW_KNOB_BUCKETS, &h->buckets);
	for (int t = 0; t < CTW_TO__COUNT; t++) {
		/* Older kernels lack some timeouts (udp_timeout_stream, icmpv6 without IPv6):
		 * a missing one is not worth a note. */
		int r = ctw_knob_read(k, CTW_KNOB_TIMEOUT(t), &h->timeout[t]);
		h->have_timeout[t] = r == 0;
		if (r < 0 && r != -ENOENT)
			ctw_host_note(h, "%s: %s", ctw_knob_path(k, CTW_KNOB_TIMEOUT(t)), strerror(-r));
	}
}

static void gather_stats(struct ctw_host *h, const struct ctw_knobs *k, bool use_netlink)
{
	int r = ctw_stats_read(k, use_netlink, &h->stats);

	h->have_stats = r == 0;
	if (h->stats.note[0])
		ctw_host_note(h, "%s", h->stats.note);
	else if (r < 0)
		ctw_host_note(h, "statistics: %s", strerror(-r));
	/* The stats carry the count too: use it when the sysctl was unreadable. */
	if (h->have_stats && !h->have_count && h->stats.have_entries) {
		h->count = h->stats.entries;
		h->have_count = true;
	}
}

static void gather_memory(struct ctw_host *h, const struct ctw_knobs *k)
{
	char note[CTW_NOTE_LEN] = "";
	int r = ctw_memory_read(k, &h->memory, note, sizeof(note));

	if (note[0])
		ctw_host_note(h, "%s", note);
	h->have_memory = r == 0;
}

static void gather_kmsg_clock(struct ctw_kmsg_clock *clk)
{
	struct timespec real, boot;
	int64_t real_us, boot_us;

	if (clock_gettime(CLOCK_REALTIME, &real) < 0 || clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
		return;
	real_us = (int64_t)real.tv_sec * 1000000 + real.tv_nsec / 1000;
	boot_us = (int64_t)boot.tv_sec * 1000000 + boot.tv_nsec / 1000;
	clk->boot_wall_us = real_us - boot_us;
	clk->uptime_us = (uint64_t)boot_us;
	clk->known = true;
}

/* On the live kernel, one syslog(2) call returns the whole buffer (about 5x
 * cheaper than /dev/kmsg's one read() per record: docs/bench-audit.md); where
 * it is refused or the lines carry no time, /dev/kmsg says the same. */
void ctw_host_read_kernel_log(struct ctw_host *h, const struct ctw_knobs *k, bool live)
{
	int r = live ? ctw_kmsg_read_syslog(&h->table_full) : -ENOSYS;

	if (r < 0)
		r = ctw_kmsg_read_retained(k, &h->table_full);

	h->have_kmsg = r == 0;
	if (h->have_kmsg)
		gather_kmsg_clock(&h->kmsg_clock);
	if (r == -EPERM || r == -EACCES)
		ctw_host_note(h, "dev/kmsg: %s (kernel.dmesg_restrict=1 needs CAP_SYSLOG): "
			      "table-full messages not checked", strerror(-r));
	else if (r < 0)
		ctw_host_note(h, "dev/kmsg: %s: table-full messages not checked", strerror(-r));
}

void ctw_host_sample(struct ctw_host *h)
{
	int r = ctw_ct_sample_ports(&h->ports, CTW_SAMPLE_LIMIT);

	if (r < 0)
		ctw_host_note(h, "table sample over netlink: %s: no per-port advice", strerror(-r));
}

void ctw_host_gather(struct ctw_host *h, const struct ctw_knobs *k, bool use_netlink)
{
	struct stat st;

	memset(h, 0, sizeof(*h));
	if (fstatat(k->root_fd, "proc/self/ns/net", &st, 0) == 0)
		h->self_netns_inode = st.st_ino;
	h->loaded = ctw_knobs_conntrack_loaded(k);
	if (!h->loaded)
		return;
	h->global_writable = ctw_knobs_global_writable(k);
	gather_sizes(h, k);
	gather_stats(h, k, use_netlink);
	gather_memory(h, k);
}
