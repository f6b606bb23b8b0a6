/* Read the retained kernel log (<root>/dev/kmsg) and account table-full records. */
#include "kernel/kmsg.h"
#include "kernel/knobs.h"

#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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

/* printk stamps records with local_clock() (sched_clock), not with a POSIX
 * clock. On hardware whose sched_clock keeps running in suspend (x86 with a
 * nonstop TSC: servers and VMs) it tracks CLOCK_BOOTTIME; CLOCK_MONOTONIC
 * would shift every record after a suspend early by the time slept. Where
 * sched_clock stops in suspend neither clock is exact. With no suspend both
 * agree. BOOTTIME is also what "dmesg -T" uses, so times match what an admin
 * sees there. */
time_t ctw_kmsg_usec_to_wall(uint64_t usec)
{
	struct timespec real, boot;
	int64_t real_us, boot_us;

	if (clock_gettime(CLOCK_REALTIME, &real) < 0 ||
	    clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
		return (time_t)-1;
	real_us = (int64_t)real.tv_sec * 1000000 + real.tv_nsec / 1000;
	boot_us = (int64_t)boot.tv_sec * 1000000 + boot.tv_nsec / 1000;
	/* A stamp from the future (clock skew, bogus input) means "now". */
	if (usec > (uint64_t)boot_us)
		usec = (uint64_t)boot_us;
	return (time_t)((real_us - boot_us + (int64_t)usec) / 1000000);
}
