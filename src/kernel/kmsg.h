/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel log (/dev/kmsg): parse records, recognise conntrack table-full messages. */
#ifndef CTW_KMSG_H
#define CTW_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctw_knobs;

/* One /dev/kmsg record: "PRIO,SEQ,USEC,FLAGS[,...];TEXT\n[ KEY=VALUE\n]..." */
struct ctw_kmsg_record {
	unsigned facility;   /* PRIO >> 3; 0 = kernel */
	unsigned level;      /* PRIO & 7 */
	uint64_t seq;
	uint64_t usec;       /* since boot */
	char flags;          /* '-', 'c' (continuation starts) or '+' (fragment) */
	const char *text;    /* message line, not NUL-terminated, without dictionary lines */
	size_t text_len;
};

enum ctw_kmsg_kind { CTW_KMSG_OTHER, CTW_KMSG_TABLE_FULL, CTW_KMSG_EXPECT_FULL };

/* Parse one record (buf holds exactly one record, as one read() of /dev/kmsg returns).
 * 0 or -EINVAL for a malformed or truncated header. */
int ctw_kmsg_parse_record(const char *buf, size_t len, struct ctw_kmsg_record *rec);

/* Classify the text of a record. Only facility-0 records count: anything else
 * is user space writing to /dev/kmsg. *netns_inode gets the inode from
 * "in netns N", or 0 when the message names none. */
enum ctw_kmsg_kind ctw_kmsg_classify(const struct ctw_kmsg_record *rec, uint64_t *netns_inode);

/* Classify message text alone, whatever its facility (ctw_kmsg_classify adds
 * the facility and fragment checks). Every known variant of the table-full
 * and expectation-full texts matches; anything else is CTW_KMSG_OTHER. */
enum ctw_kmsg_kind ctw_kmsg_classify_text(const char *text, size_t len, uint64_t *netns_inode);

#define CTW_KMSG_MAX_NETNS 64

struct ctw_table_full_netns {
	uint64_t inode;      /* 0: the message named no netns (initial netns, or older kernel) */
	uint64_t records;
	uint64_t first_usec, last_usec;  /* oldest and newest of these records, since boot */
};

struct ctw_table_full {
	uint64_t records;          /* table-full records (all netns) */
	uint64_t expect_records;   /* "expectation table full" */
	uint64_t ignored_spoofed;  /* matching text but not from the kernel facility */
	uint64_t first_usec, last_usec;
	struct ctw_table_full_netns netns[CTW_KMSG_MAX_NETNS];
	unsigned n_netns;
	uint64_t lost_records;     /* EPIPE: overwritten before read */
	uint64_t malformed;        /* records that did not parse */
	uint64_t untimed;          /* syslog(2) lines without a timestamp (printk.time=0) */
};

/* Account one parsed record. first_usec/last_usec span the table-full
 * records only (not expectation-full ones); netns[] keeps CTW_KMSG_MAX_NETNS
 * distinct inodes: when a new one comes, the one heard from longest ago
 * gives up its slot, so the most recent are kept. Every record counts in
 * records. */
void ctw_table_full_add(struct ctw_table_full *s, const struct ctw_kmsg_record *rec);

/* Split a buffer holding several records (a fixture file, or a saved dump) and
 * account each. A record starts at a line that does not begin with a space. */
void ctw_table_full_add_buffer(struct ctw_table_full *s, const char *buf, size_t len);

/* The syslog(2) format (SYSLOG_ACTION_READ_ALL, what `dmesg -r` prints):
 * one line per line of a record, each with the record's prefix
 *   "<PRIO>[SECONDS.MICROS] TEXT"
 * where "[  T123]" or "[  C1]" follows the time on CONFIG_PRINTK_CALLER
 * kernels. PRIO keeps the facility, so user-space lines (facility != 0) are
 * told apart as in /dev/kmsg; the text is not escaped, so a record whose text
 * holds a newline becomes several lines with the same prefix.
 * Parse one line (without its newline): rec->seq is 0, rec->flags '-'.
 * *prefix_len gets the length of "<PRIO>[time][caller] ". 0; -ENOMSG when the
 * line carries no timestamp (printk.time=0); -EINVAL when malformed. */
int ctw_kmsg_parse_syslog_line(const char *line, size_t len, struct ctw_kmsg_record *rec, size_t *prefix_len);

/* Account a whole SYSLOG_ACTION_READ_ALL buffer. A line with the same prefix
 * as the line before it, when that line was no table-full message, continues
 * the same record (kernel text with a newline, possibly user-controlled): it
 * is no message of its own and is not classified. Lines without a timestamp
 * count in untimed and are not accounted. */
void ctw_table_full_add_syslog(struct ctw_table_full *s, const char *buf, size_t len);

/* Read the kernel log buffer in one syslog(2) SYSLOG_ACTION_READ_ALL call (the
 * live kernel only: not below a --root) and account it. -errno: -EPERM without
 * CAP_SYSLOG under kernel.dmesg_restrict=1 (as /dev/kmsg), -ENOMSG when some
 * line has no timestamp, -EOPNOTSUPP under a seccomp filter (which may kill
 * on syslog(2)); then *out is untouched and /dev/kmsg is the way. */
int ctw_kmsg_read_syslog(struct ctw_table_full *out);

/* Read the retained buffer of <root>/dev/kmsg (non-blocking, from the oldest
 * record, never blocks) and account it. -errno when it cannot be opened. */
int ctw_kmsg_read_retained(const struct ctw_knobs *k, struct ctw_table_full *out);

#endif
