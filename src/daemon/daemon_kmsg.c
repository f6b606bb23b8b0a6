/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's kernel-log watch: /dev/kmsg opened at its end, so only new
 * records count. A table-full record is a CRITICAL journal entry naming the
 * netns, and the policy is evaluated at once instead of at the next poll. */
#include "daemon/daemon_kmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "kernel/kmsg.h"
#include "base/log.h"
#include "policy/attribution.h"
#include "daemon/daemon_round.h"

/* Per wakeup: how many records mention each netns (bursts come in tens). */
struct kmsg_burst {
	uint64_t inode[CTW_KMSG_MAX_NETNS];
	uint64_t records[CTW_KMSG_MAX_NETNS];
	uint64_t last_usec[CTW_KMSG_MAX_NETNS];   /* the newest record's time since boot */
	unsigned n;
	uint64_t expect;
};

static void burst_add(struct kmsg_burst *b, uint64_t inode, uint64_t usec)
{
	for (unsigned i = 0; i < b->n; i++) {
		if (b->inode[i] == inode) {
			b->records[i]++;
			if (usec > b->last_usec[i])
				b->last_usec[i] = usec;
			return;
		}
	}
	if (b->n < CTW_KMSG_MAX_NETNS) {
		b->inode[b->n] = inode;
		b->last_usec[b->n] = usec;
		b->records[b->n++] = 1;
	}
}

/* Is a record naming this watcher's inode really its own? The kernel reuses
 * inodes: a namespace that has not dropped a packet since the record did
 * not log it (policy/attribution.h). */
static enum ctw_attribution attribute(const struct ctw_watcher *w, uint64_t inode, uint64_t usec)
{
	struct ctw_attr_record rec = { inode, usec };
	struct ctw_attr_netns ns = { .inode = w->ref.inode };

	ns.have_drop = ctw_watcher_peek_drops(w, &ns.drop) == 0;
	ns.have_drop_then = w->have_prev;
	ns.drop_then = w->prev.value[CTW_CTR_DROP];
	ns.then_usec = w->counters_at_us;   /* CLOCK_MONOTONIC, the kernel log's clock */
	return ctw_attribute_record(&rec, &ns);
}

/* A name for the operator: "ctw-test-1", "docker 1a2b3c4d5e6f", "pid 1234",
 * "host"; the watcher of that netns (NULL when not watched). */
static const char *netns_name(struct ctw_daemon *d, uint64_t inode, char *buf, size_t len,
			      struct ctw_watcher **watcher)
{
	const struct ctw_unwatchable *u;
	uint64_t now;

	*watcher = NULL;
	if (inode == 0) {
		*watcher = ctw_poller_own(&d->poller);
		return "the initial netns";
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		struct ctw_watcher *w = ctw_poller_find(&d->poller, inode);

		if (w) {
			*watcher = w;
			snprintf(buf, len, "%s", w->ref.name);
			return buf;
		}
		u = ctw_poller_find_unwatchable(&d->poller, inode);
		if (u) {
			snprintf(buf, len, "%s (which ctwarden cannot watch: %s)", u->name, strerror(-u->err));
			return buf;
		}
		/* A netns made since the last scan: look again once. */
		sd_event_now(d->event, CLOCK_MONOTONIC, &now);
		ctw_poller_rescan(&d->poller, now);
	}
	return "a namespace ctwarden has not found (gone since, or not visible from here)";
}

static void report_burst(struct ctw_daemon *d, const struct kmsg_burst *b)
{
	char name[CTW_NETNS_NAME_MAX + 128], top[256];

	for (unsigned i = 0; i < b->n; i++) {
		struct ctw_journal_entry e;
		struct ctw_watcher *w;
		const char *what = netns_name(d, b->inode[i], name, sizeof(name), &w);

		top[0] = '\0';
		if (w && b->inode[i] && attribute(w, b->inode[i], b->last_usec[i]) == CTW_ATTR_EARLIER) {
			ctw_journal_entry_init(&e, CTW_EV_TABLE_FULL,
					       "kernel: conntrack table full in netns inode %" PRIu64 ": %" PRIu64
					       " record(s) of an earlier namespace with that inode (%s has it now and "
					       "dropped nothing since)", b->inode[i], b->records[i], w->ref.name);
			e.priority = LOG_NOTICE;
			ctw_journal_entry_set_netns(&e, b->inode[i]);
			ctw_journal_entry_set_mode(&e, d->cfg.mode);
			ctw_journal_entry_set_reason(&e, "nf_conntrack: table full, dropping packet");
			ctw_journal_emit(&d->journal, &e);
			continue;
		}
		if (w) {
			ctw_watcher_top_line(w, top, sizeof(top));
			ctw_poller_wake(&d->poller, w);   /* read it in the round that follows */
		}

		ctw_journal_entry_init(&e, CTW_EV_TABLE_FULL,
				       "kernel: conntrack table full, dropping packets in %s (netns inode %" PRIu64
				       "): %" PRIu64 " record(s)%s%s", what,
				       b->inode[i], b->records[i], top[0] ? "; " : "", top);
		e.priority = LOG_CRIT;
		if (b->inode[i])
			ctw_journal_entry_set_netns(&e, b->inode[i]);
		ctw_journal_entry_set_mode(&e, d->cfg.mode);
		ctw_journal_entry_set_reason(&e, "nf_conntrack: table full, dropping packet");
		ctw_journal_emit(&d->journal, &e);
	}
}

static int on_kmsg(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct ctw_daemon *d = userdata;
	struct kmsg_burst burst = { 0 };
	char buf[8192];
	uint64_t now;

	for (int i = 0; i < 1024; i++) {
		struct ctw_kmsg_record rec;
		uint64_t inode = 0;
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EPIPE)
			continue;   /* records overwritten before we read them */
		if (n <= 0)
			break;
		if (ctw_kmsg_parse_record(buf, (size_t)n, &rec) < 0)
			continue;
		switch (ctw_kmsg_classify(&rec, &inode)) {
		case CTW_KMSG_TABLE_FULL:
			burst_add(&burst, inode, rec.usec);
			break;
		case CTW_KMSG_EXPECT_FULL:
			burst.expect++;
			break;
		default:
			break;
		}
	}
	if (burst.n == 0)
		return 0;
	report_burst(d, &burst);
	/* Act now, within the limits, rather than at the next poll. */
	sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	ctw_daemon_poll_round(d, now);
	return 0;
}

int ctw_daemon_watch_kmsg(struct ctw_daemon *d)
{
	struct stat st;
	int fd, r;

	fd = openat(d->knobs.root_fd, "dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ctw_log(LOG_WARNING, "cannot watch the kernel log (%s/dev/kmsg: %s): table-full messages are not seen "
			"at once; the drop counters still are", strcmp(d->knobs.root, "/") ? d->knobs.root : "",
			strerror(errno));
		return 0;
	}
	/* A fixture tree's regular file has no "new records". */
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return 0;
	}
	r = sd_event_add_io(d->event, &d->kmsg_source, fd, EPOLLIN, on_kmsg, d);
	if (r < 0) {
		close(fd);
		return r;
	}
	sd_event_source_set_io_fd_own(d->kmsg_source, true);
	return 0;
}
