/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Read the retained kernel log (<root>/dev/kmsg) and account table-full records. */
#include "kernel/kmsg.h"
#include "kernel/knobs.h"

#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* One read() returns one whole record or fails EINVAL: the kernel formats up to
 * 8 KiB (PRINTKRB_RECORD_MAX) of header and text, plus dictionary lines. */
#define KMSG_RECORD_BUF (16 * 1024)
/* The retained buffer is at most a few MiB; a cap keeps a log flood arriving
 * faster than we read from keeping us here. */
#define KMSG_MAX_READS (4u << 20)
/* A fixture or saved dump: more than this is not a kernel log buffer. */
#define KMSG_FILE_MAX ((size_t)64 << 20)

/* After EPIPE the kernel moved our position to the oldest record still held;
 * the jump in sequence numbers says how many we lost (at least one). */
static uint64_t lost_after_gap(bool have_last, uint64_t last_seq, uint64_t seq)
{
	if (have_last && seq > last_seq + 1)
		return seq - last_seq - 1;
	return 1;
}

static int read_device(int fd, struct ctw_table_full *out)
{
	char buf[KMSG_RECORD_BUF];
	bool have_last = false, after_gap = false;
	uint64_t last_seq = 0;

	/* SEEK_DATA: the oldest record since the last "dmesg -C", as dmesg shows.
	 * Where that fails, open() already placed us at the oldest record. */
	(void)lseek(fd, 0, SEEK_DATA);

	for (unsigned reads = 0; reads < KMSG_MAX_READS; reads++) {
		struct ctw_kmsg_record rec;
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			if (errno == EPIPE) {
				after_gap = true;
				continue;
			}
			return -errno;
		}
		if (n == 0)
			return 0;
		if (ctw_kmsg_parse_record(buf, (size_t)n, &rec) < 0) {
			out->malformed++;
			continue;
		}
		if (after_gap)
			out->lost_records += lost_after_gap(have_last, last_seq, rec.seq);
		after_gap = false;
		have_last = true;
		last_seq = rec.seq;
		ctw_table_full_add(out, &rec);
	}
	return 0;
}

/* A regular file in a fixture tree: several records, as cat /dev/kmsg wrote them. */
static int read_file(int fd, struct ctw_table_full *out)
{
	size_t cap = 64 * 1024, len = 0;
	char *buf = malloc(cap);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *bigger;

			if (cap >= KMSG_FILE_MAX) {
				r = -EFBIG;
				goto out;
			}
			bigger = realloc(buf, cap * 2);
			if (!bigger) {
				r = -ENOMEM;
				goto out;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	ctw_table_full_add_buffer(out, buf, len);
out:
	free(buf);
	return r;
}

/* syslog(2) actions (linux/syslog.h is not a uapi header everywhere). */
#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_SIZE_BUFFER 10
/* READ_ALL drops the OLDEST records that do not fit. The formatted text is
 * the stored text plus a prefix of about 20 bytes per line: twice the buffer
 * size holds it unless the lines are tiny; a result this close to the end of
 * our buffer may have lost records, so we read again with twice the room. */
#define SYSLOG_SLACK (64 * 1024)
#define SYSLOG_MAX ((size_t)256 << 20)

int ctw_kmsg_read_syslog(struct ctw_table_full *out)
{
	struct ctw_table_full s;
	size_t cap;
	char *buf = NULL;
	int size, n;

	if (!out)
		return -EINVAL;
	/* Under a seccomp filter (a hardened unit or timer running the audit)
	 * syslog(2) is easily left out of an allow-list such as systemd's
	 * @system-service, and the default action kills the process: there,
	 * the /dev/kmsg reads (open, read) are the safe way. */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 0)
		return -EOPNOTSUPP;
	size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	if (size < 0)
		return -errno;
	for (cap = 2 * (size_t)size + SYSLOG_SLACK;; cap *= 2) {
		char *bigger = realloc(buf, cap);

		if (!bigger) {
			free(buf);
			return -ENOMEM;
		}
		buf = bigger;
		/* klogctl takes an int length. */
		n = klogctl(SYSLOG_ACTION_READ_ALL, buf, cap > INT32_MAX ? INT32_MAX : (int)cap);
		if (n < 0) {
			int e = errno;

			free(buf);
			return e == EINTR ? -EAGAIN : -e;
		}
		if ((size_t)n + SYSLOG_SLACK <= cap || cap * 2 > SYSLOG_MAX)
			break;
	}
	memset(&s, 0, sizeof(s));
	ctw_table_full_add_syslog(&s, buf, (size_t)n);
	free(buf);
	/* printk.time=0 (or toggled): records without a time cannot be placed. */
	if (s.untimed)
		return -ENOMSG;
	*out = s;
	return 0;
}

int ctw_kmsg_read_retained(const struct ctw_knobs *k, struct ctw_table_full *out)
{
	struct stat st;
	int fd, r;

	if (!k || !out)
		return -EINVAL;
	/* Unprivileged with kernel.dmesg_restrict=1 this fails EPERM. */
	fd = ctw_open_untrusted(k->root_fd, "dev/kmsg", CTW_OPEN_CHARDEV, &st);
	if (fd == -EINVAL)
		return -ENODEV;  /* a FIFO or directory in a fixture: not a log */
	if (fd < 0)
		return fd;
	if (S_ISCHR(st.st_mode))
		r = read_device(fd, out);
	else if (S_ISREG(st.st_mode))
		r = read_file(fd, out);
	else
		r = -ENODEV;
	close(fd);
	return r;
}
