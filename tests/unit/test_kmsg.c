/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel log parsing: records, table-full texts of every era, accounting, reading. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "skip_because.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/kmsg.h"
#include "kernel/knobs.h"

#define NETNS_FULL "nf_conntrack: nf_conntrack: table full in netns 4026532177, dropping packet"

static int parse_str(const char *s, struct ctw_kmsg_record *rec)
{
	return ctw_kmsg_parse_record(s, strlen(s), rec);
}

static void text_is(const struct ctw_kmsg_record *rec, const char *want)
{
	assert_int_equal(rec->text_len, strlen(want));
	assert_memory_equal(rec->text, want, rec->text_len);
}

static void parse_fields(void **state)
{
	struct ctw_kmsg_record rec;

	(void)state;
	assert_int_equal(parse_str("4,345,578515901,-;" NETNS_FULL "\n", &rec), 0);
	assert_int_equal(rec.facility, 0);
	assert_int_equal(rec.level, 4);
	assert_int_equal(rec.seq, 345);
	assert_int_equal(rec.usec, 578515901);
	assert_int_equal(rec.flags, '-');
	text_is(&rec, NETNS_FULL);

	/* PRIO 12 = facility 1 (user), level 4 */
	assert_int_equal(parse_str("12,355,581907336,-;hello\n", &rec), 0);
	assert_int_equal(rec.facility, 1);
	assert_int_equal(rec.level, 4);
}

static void parse_extra_fields_and_dictionary(void **state)
{
	struct ctw_kmsg_record rec;

	(void)state;
	assert_int_equal(parse_str("6,7,8,-,caller=T123,x=y;net text\n", &rec), 0);
	text_is(&rec, "net text");
	assert_int_equal(parse_str("6,194,290104,-;acpi PNP0A08:00: _OSC: ok\n"
				   " SUBSYSTEM=acpi\n DEVICE=+acpi:PNP0A08:00\n", &rec), 0);
	text_is(&rec, "acpi PNP0A08:00: _OSC: ok");
	assert_int_equal(rec.seq, 194);
	/* last dictionary line without its newline */
	assert_int_equal(parse_str("6,1,2,-;t\n SUBSYSTEM=acpi", &rec), 0);
	text_is(&rec, "t");
}

static void parse_text_edges(void **state)
{
	struct ctw_kmsg_record rec;

	(void)state;
	assert_int_equal(parse_str("6,1,2,-;no newline at end", &rec), 0);
	text_is(&rec, "no newline at end");
	assert_int_equal(parse_str("6,1,2,-;\n", &rec), 0);
	assert_int_equal(rec.text_len, 0);
	assert_int_equal(parse_str("6,1,2,-;", &rec), 0);
	assert_int_equal(rec.text_len, 0);
	/* escapes are kept as the kernel wrote them; ';' and ',' in text are text */
	assert_int_equal(parse_str("6,90,240412,-;rcu: \\x09RCU a;b,c\n", &rec), 0);
	text_is(&rec, "rcu: \\x09RCU a;b,c");
	/* a NUL byte in the text does not end it */
	assert_int_equal(ctw_kmsg_parse_record("6,1,2,-;a\0b\n", 12, &rec), 0);
	assert_int_equal(rec.text_len, 3);
	/* continuation flags of pre-5.10 kernels */
	assert_int_equal(parse_str("4,1,2,c;start", &rec), 0);
	assert_int_equal(rec.flags, 'c');
	assert_int_equal(parse_str("4,1,2,+;more", &rec), 0);
	assert_int_equal(rec.flags, '+');
	/* the largest numbers that fit */
	assert_int_equal(parse_str("4294967295,18446744073709551615,18446744073709551615,-;x", &rec), 0);
	assert_int_equal(rec.seq, UINT64_MAX);
	assert_int_equal(rec.usec, UINT64_MAX);
	assert_int_equal(rec.facility, 4294967295u >> 3);
}

static void parse_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"hello world\n",
		"4,1,2;text\n",                 /* no flags */
		"4,1,2,;text\n",                /* empty flags */
		"4,1,2,x;text\n",               /* unknown flag */
		"4,1,2,--;text\n",              /* two flags */
		"4,,2,-;text\n",                /* empty seq */
		",1,2,-;text\n",                /* empty prio */
		"-4,1,2,-;text\n",              /* sign */
		"+4,1,2,-;text\n",
		" 4,1,2,-;text\n",              /* blank */
		"4, 1,2,-;text\n",
		"4,1,2,-",                      /* truncated header */
		"4,1,2,-,caller=T1",
		"4,1,2,-,caller=T1\n;text\n",   /* ';' not on the first line */
		"0x4,1,2,-;text\n",
		"4294967296,1,2,-;text\n",      /* PRIO overflows 32 bits */
		"4,18446744073709551616,2,-;text\n",  /* seq overflows 64 bits */
		"4,1,99999999999999999999999,-;text\n",
		"4,1,2,-;text\nnext record\n",  /* not one record */
		"4,1,2,-;text\n\n",
	};
	struct ctw_kmsg_record rec;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_str(bad[i], &rec) != -EINVAL)
			fail_msg("accepted malformed record #%zu: \"%s\"", i, bad[i]);
	}
	assert_int_equal(ctw_kmsg_parse_record(NULL, 5, &rec), -EINVAL);
}

struct text_case {
	const char *text;
	enum ctw_kmsg_kind kind;
	uint64_t inode;
};

static void classify_every_era(void **state)
{
	static const struct text_case cases[] = {
		{ "ip_conntrack: table full, dropping packet.", CTW_KMSG_TABLE_FULL, 0 },
		{ "nf_conntrack: table full, dropping packet.", CTW_KMSG_TABLE_FULL, 0 },
		{ "nf_conntrack: table full, dropping packet", CTW_KMSG_TABLE_FULL, 0 },
		{ "nf_conntrack: nf_conntrack: table full, dropping packet", CTW_KMSG_TABLE_FULL, 0 },
		{ NETNS_FULL, CTW_KMSG_TABLE_FULL, 4026532177u },
		{ "nf_conntrack: table full in netns 4026531840, dropping packet", CTW_KMSG_TABLE_FULL, 4026531840u },
		{ "nf_conntrack: expectation table full", CTW_KMSG_EXPECT_FULL, 0 },
		{ "nf_conntrack: nf_conntrack: expectation table full", CTW_KMSG_EXPECT_FULL, 0 },
		/* look-alikes */
		{ "table full, dropping packet", CTW_KMSG_OTHER, 0 },
		{ "nf_conntrack: table full", CTW_KMSG_OTHER, 0 },
		{ "nf_conntrack: table full, dropping packe", CTW_KMSG_OTHER, 0 },
		{ "nf_conntrack: table full, dropping packet..", CTW_KMSG_OTHER, 0 },
		{ "nf_conntrack: table full, dropping packet, again", CTW_KMSG_OTHER, 0 },
		{ "nf_conntrack: table full in netns , dropping packet", CTW_KMSG_OTHER, 0 },
		{ "nf_conntrack: table full in netns 12x, dropping packet", CTW_KMSG_OTHER, 0 },
		{ "nf_conntrack: table full in netns 99999999999999999999, dropping packet", CTW_KMSG_OTHER, 0 },
		{ "nf_conntrack: table full in netns -5, dropping packet", CTW_KMSG_OTHER, 0 },
		{ "nf_conntrack: nf_conntrack: nf_conntrack: table full, dropping packet", CTW_KMSG_OTHER, 0 },
		{ "xt_recent: nf_conntrack: table full, dropping packet", CTW_KMSG_OTHER, 0 },
		{ "nf_conntrack:\\x20table full, dropping packet", CTW_KMSG_OTHER, 0 },
		{ "nf_conntrack: expectation table full!", CTW_KMSG_OTHER, 0 },
		{ "nf_conntrack: default automatic helper assignment has been turned off", CTW_KMSG_OTHER, 0 },
		{ "", CTW_KMSG_OTHER, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t inode = 77;
		enum ctw_kmsg_kind kind = ctw_kmsg_classify_text(cases[i].text, strlen(cases[i].text), &inode);

		if (kind != cases[i].kind || inode != cases[i].inode)
			fail_msg("\"%s\": kind %d inode %llu, want %d %llu", cases[i].text, kind,
				 (unsigned long long)inode, cases[i].kind, (unsigned long long)cases[i].inode);
	}
}

static void classify_record_needs_kernel_facility(void **state)
{
	struct ctw_kmsg_record rec;
	uint64_t inode;

	(void)state;
	assert_int_equal(parse_str("4,1,2,-;" NETNS_FULL "\n", &rec), 0);
	assert_int_equal(ctw_kmsg_classify(&rec, &inode), CTW_KMSG_TABLE_FULL);
	assert_int_equal(inode, 4026532177u);
	/* what "echo '<4>...' > /dev/kmsg" produces */
	assert_int_equal(parse_str("12,2,3,-;" NETNS_FULL "\n", &rec), 0);
	assert_int_equal(ctw_kmsg_classify(&rec, &inode), CTW_KMSG_OTHER);
	assert_int_equal(inode, 0);
	/* a fragment continues some other message */
	assert_int_equal(parse_str("4,3,4,+;" NETNS_FULL "\n", &rec), 0);
	assert_int_equal(ctw_kmsg_classify(&rec, &inode), CTW_KMSG_OTHER);
	/* a line that starts a continuation is a message */
	assert_int_equal(parse_str("4,3,4,c;nf_conntrack: expectation table full", &rec), 0);
	assert_int_equal(ctw_kmsg_classify(&rec, &inode), CTW_KMSG_EXPECT_FULL);
}

static void add_str(struct ctw_table_full *s, const char *str)
{
	struct ctw_kmsg_record rec;

	assert_int_equal(parse_str(str, &rec), 0);
	ctw_table_full_add(s, &rec);
}

static const struct ctw_table_full_netns *find_netns(const struct ctw_table_full *s, uint64_t inode)
{
	for (unsigned i = 0; i < s->n_netns; i++)
		if (s->netns[i].inode == inode)
			return &s->netns[i];
	return NULL;
}

static void add_counts_kinds_and_times(void **state)
{
	struct ctw_table_full s = { 0 };
	const struct ctw_table_full_netns *ns;

	(void)state;
	add_str(&s, "6,1,100,-;eth0: link up\n");
	assert_int_equal(s.records, 0);
	add_str(&s, "4,2,5000,-;nf_conntrack: nf_conntrack: table full, dropping packet\n");
	add_str(&s, "4,3,3000,-;" NETNS_FULL "\n");
	add_str(&s, "4,4,9000,-;" NETNS_FULL "\n");
	add_str(&s, "4,5,1000,-;nf_conntrack: expectation table full\n");
	add_str(&s, "12,6,500,-;" NETNS_FULL "\n");
	add_str(&s, "14,7,20000,-;nf_conntrack: expectation table full\n");
	add_str(&s, "4,8,30000,+;" NETNS_FULL "\n");

	assert_int_equal(s.records, 3);
	assert_int_equal(s.expect_records, 1);
	assert_int_equal(s.ignored_spoofed, 2);
	/* the span of table-full records, whatever order they came in */
	assert_int_equal(s.first_usec, 3000);
	assert_int_equal(s.last_usec, 9000);
	assert_int_equal(s.n_netns, 2);
	ns = find_netns(&s, 0);
	assert_non_null(ns);
	assert_int_equal(ns->records, 1);
	ns = find_netns(&s, 4026532177u);
	assert_non_null(ns);
	assert_int_equal(ns->records, 2);
	assert_int_equal(s.malformed, 0);
	assert_int_equal(s.lost_records, 0);
}

static void add_netns_limit(void **state)
{
	struct ctw_table_full s = { 0 };
	uint64_t kept = 0;
	char line[160];

	(void)state;
	/* 20 distinct netns, each twice in a row, in time order: 16 slots, all
	 * count; the 4 heard from longest ago (the first 4) lose theirs */
	for (unsigned i = 0; i < CTW_KMSG_MAX_NETNS + 4; i++) {
		for (unsigned round = 0; round < 2; round++) {
			snprintf(line, sizeof(line),
				 "4,%u,%u,-;nf_conntrack: nf_conntrack: table full in netns %u, dropping packet\n",
				 2 * i + round, 1000 + 2 * i + round, 4026532000u + i);
			add_str(&s, line);
		}
	}
	assert_int_equal(s.records, 2 * (CTW_KMSG_MAX_NETNS + 4));
	assert_int_equal(s.n_netns, CTW_KMSG_MAX_NETNS);
	for (unsigned i = 0; i < s.n_netns; i++) {
		assert_int_equal(s.netns[i].records, 2);
		kept += s.netns[i].records;
	}
	assert_int_equal(kept, 2 * CTW_KMSG_MAX_NETNS);
	/* the most recent keep their slots */
	assert_null(find_netns(&s, 4026532000u));
	assert_null(find_netns(&s, 4026532000u + 3));
	assert_non_null(find_netns(&s, 4026532000u + 4));
	assert_non_null(find_netns(&s, 4026532000u + CTW_KMSG_MAX_NETNS + 3));
	/* one that logs again stays: 4 is now the oldest, and an older record
	 * (a saved dump out of order) takes no slot */
	add_str(&s, "4,100,2000,-;nf_conntrack: nf_conntrack: table full in netns 4026532004, dropping packet\n");
	add_str(&s, "4,101,2001,-;nf_conntrack: nf_conntrack: table full in netns 4026532099, dropping packet\n");
	assert_non_null(find_netns(&s, 4026532004u));
	assert_null(find_netns(&s, 4026532005u));
	assert_non_null(find_netns(&s, 4026532099u));
	add_str(&s, "4,102,5,-;nf_conntrack: nf_conntrack: table full in netns 4026532098, dropping packet\n");
	assert_null(find_netns(&s, 4026532098u));
	assert_int_equal(s.records, 2 * (CTW_KMSG_MAX_NETNS + 4) + 3);
}

static void add_buffer_splits_records(void **state)
{
	static const char buf[] =
		"6,194,290104,-;acpi PNP0A08:00: _OSC: OS supports\n"
		" SUBSYSTEM=acpi\n"
		" DEVICE=+acpi:PNP0A08:00\n"
		"\n"
		"4,345,578515901,-;" NETNS_FULL "\n"
		" SUBSYSTEM=net\n"
		"garbage line\n"
		"4,346,578516017,-;nf_conntrack: table full, dropping packet.\n"
		"4,347,578516024,-,caller=C1;nf_conntrack: expectation table full\n"
		"12,355,581907336,-;nf_conntrack: nf_conntrack: table full, dropping packet\n"
		"4,348,578520000,-;" NETNS_FULL;  /* no newline at the end */
	static const char orphan[] = " A=1\n B=2\n4,1,2,-;" NETNS_FULL "\n";
	struct ctw_table_full s = { 0 };

	(void)state;
	ctw_table_full_add_buffer(&s, buf, sizeof(buf) - 1);
	assert_int_equal(s.records, 3);
	assert_int_equal(s.expect_records, 1);
	assert_int_equal(s.ignored_spoofed, 1);
	assert_int_equal(s.malformed, 1);
	assert_int_equal(s.first_usec, 578515901);
	assert_int_equal(s.last_usec, 578520000);
	assert_int_equal(find_netns(&s, 4026532177u)->records, 2);
	assert_int_equal(find_netns(&s, 0)->records, 1);

	/* a buffer that starts with dictionary lines: one malformed record */
	memset(&s, 0, sizeof(s));
	ctw_table_full_add_buffer(&s, orphan, strlen(orphan));
	assert_int_equal(s.malformed, 1);
	assert_int_equal(s.records, 1);
	memset(&s, 0, sizeof(s));
	ctw_table_full_add_buffer(&s, "", 0);
	ctw_table_full_add_buffer(&s, "\n\n\n", 3);
	assert_int_equal(s.records + s.malformed, 0);
}

/* Cut a real record at every byte: never a crash, and a table-full count only
 * when its whole text survived. */
static void truncation_at_every_byte(void **state)
{
	static const char full[] = "4,345,578515901,-,caller=T9;" NETNS_FULL "\n SUBSYSTEM=net\n";
	const size_t text_at = (size_t)(strchr(full, ';') - full) + 1;
	const size_t text_len = strlen(NETNS_FULL);

	(void)state;
	for (size_t len = 0; len <= sizeof(full) - 1; len++) {
		struct ctw_kmsg_record rec;
		struct ctw_table_full s = { 0 };
		/* a heap copy of exactly len bytes so ASan sees any over-read */
		char *cut = malloc(len ? len : 1);
		int r;

		assert_non_null(cut);
		memcpy(cut, full, len);
		r = ctw_kmsg_parse_record(cut, len, &rec);
		if (len < text_at) {
			assert_int_equal(r, -EINVAL);
		} else {
			size_t want = len - text_at < text_len ? len - text_at : text_len;

			assert_int_equal(r, 0);
			assert_int_equal(rec.text_len, want);
			assert_memory_equal(rec.text, NETNS_FULL, want);
			assert_int_equal(ctw_kmsg_classify(&rec, NULL),
					 want == text_len ? CTW_KMSG_TABLE_FULL : CTW_KMSG_OTHER);
		}
		ctw_table_full_add_buffer(&s, cut, len);
		assert_int_equal(s.records, len >= text_at + text_len ? 1 : 0);
		assert_int_equal(s.records + s.malformed + (len >= text_at && len < text_at + text_len), len ? 1 : 0);
		free(cut);
	}
}

static int open_root(const char *dir, struct ctw_knobs *k)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->root, sizeof(k->root), "%s", dir);
	k->root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return k->root_fd;
}

static void read_fixture_tree(void **state)
{
	struct ctw_knobs k;
	struct ctw_table_full s = { 0 };
	const struct ctw_table_full_netns *ns;

	(void)state;
	assert_true(open_root(CTW_FIXTURES "/kmsg/root", &k) >= 0);
	assert_int_equal(ctw_kmsg_read_retained(&k, &s), 0);
	/* what dmesg showed on the real kernel: 10 records from one netns,
	 * two written by root with echo (facility 1) */
	assert_int_equal(s.records, 10);
	assert_int_equal(s.ignored_spoofed, 2);
	assert_int_equal(s.expect_records, 0);
	assert_int_equal(s.malformed, 0);
	assert_int_equal(s.first_usec, 578515901);
	assert_int_equal(s.last_usec, 578516069);
	assert_int_equal(s.n_netns, 1);
	ns = find_netns(&s, 4026532177u);
	assert_non_null(ns);
	assert_int_equal(ns->records, 10);
	close(k.root_fd);
}

struct tmp_root {
	char dir[64];
	char dev[96];
	char kmsg[128];
};

static void tmp_root_make(struct tmp_root *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/ctw-test-kmsg-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->dev, sizeof(t->dev), "%s/dev", t->dir);
	snprintf(t->kmsg, sizeof(t->kmsg), "%s/dev/kmsg", t->dir);
	assert_int_equal(mkdir(t->dev, 0700), 0);
}

static void tmp_root_remove(struct tmp_root *t)
{
	struct stat st;

	if (lstat(t->kmsg, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			rmdir(t->kmsg);
		else
			unlink(t->kmsg);
	}
	rmdir(t->dev);
	rmdir(t->dir);
}

static void read_errors_and_device_path(void **state)
{
	struct tmp_root t;
	struct ctw_knobs k;
	struct ctw_table_full s = { 0 };

	(void)state;
	tmp_root_make(&t);
	assert_true(open_root(t.dir, &k) >= 0);
	assert_int_equal(ctw_kmsg_read_retained(&k, &s), -ENOENT);

	assert_int_equal(mkdir(t.kmsg, 0700), 0);
	assert_int_equal(ctw_kmsg_read_retained(&k, &s), -ENODEV);
	assert_int_equal(rmdir(t.kmsg), 0);

	/* a character device that has no records: nothing counted, no error */
	assert_int_equal(symlink("/dev/null", t.kmsg), 0);
	assert_int_equal(ctw_kmsg_read_retained(&k, &s), 0);
	assert_int_equal(s.records + s.malformed + s.lost_records, 0);

	assert_int_equal(ctw_kmsg_read_retained(NULL, &s), -EINVAL);
	close(k.root_fd);
	tmp_root_remove(&t);
}

/* The real kernel log, where this user may read it (root, or dmesg_restrict=0). */
static void read_real_kmsg(void **state)
{
	struct ctw_knobs k;
	struct ctw_table_full s = { 0 };
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int r;

	(void)state;
	if (fd < 0)
		skip_because("this user may not read /dev/kmsg: %s", strerror(errno));
	close(fd);
	assert_true(open_root("/", &k) >= 0);
	r = ctw_kmsg_read_retained(&k, &s);
	close(k.root_fd);
	assert_int_equal(r, 0);
	/* every record the kernel writes parses */
	assert_int_equal(s.malformed, 0);
	if (s.records)
		assert_true(s.first_usec <= s.last_usec);
}

/* ---- the syslog(2) READ_ALL format --------------------------------------- */

static int parse_syslog(const char *s, struct ctw_kmsg_record *rec, size_t *plen)
{
	return ctw_kmsg_parse_syslog_line(s, strlen(s), rec, plen);
}

static void syslog_line_fields(void **state)
{
	struct ctw_kmsg_record rec;
	size_t plen;

	(void)state;
	assert_int_equal(parse_syslog("<4>[  606.337259] " NETNS_FULL, &rec, &plen), 0);
	assert_int_equal(rec.facility, 0);
	assert_int_equal(rec.level, 4);
	assert_int_equal(rec.usec, 606337259);
	assert_int_equal(rec.seq, 0);
	assert_int_equal(rec.flags, '-');
	assert_int_equal(plen, strlen("<4>[  606.337259] "));
	text_is(&rec, NETNS_FULL);

	/* what `echo '<4>nf_conntrack: table full...' > /dev/kmsg` came back as */
	assert_int_equal(parse_syslog("<12>[  895.992826] nf_conntrack: table full, dropping packet", &rec, NULL), 0);
	assert_int_equal(rec.facility, 1);
	assert_int_equal(rec.level, 4);
	assert_int_equal(ctw_kmsg_classify(&rec, NULL), CTW_KMSG_OTHER);

	/* CONFIG_PRINTK_CALLER: "[%6s]" after the time */
	assert_int_equal(parse_syslog("<6>[    1.000001][    T1] eth0: up", &rec, &plen), 0);
	text_is(&rec, "eth0: up");
	assert_int_equal(rec.usec, 1000001);
	assert_int_equal(parse_syslog("<4>[12345678.000000][  C123] x", &rec, NULL), 0);
	text_is(&rec, "x");
	assert_int_equal(rec.usec, 12345678000000ULL);
	/* a bracket in the text after the time is text */
	assert_int_equal(parse_syslog("<4>[    0.000000] [Firmware Bug]: TSC", &rec, NULL), 0);
	text_is(&rec, "[Firmware Bug]: TSC");
	assert_int_equal(parse_syslog("<4>[    0.000000] ", &rec, NULL), 0);
	assert_int_equal(rec.text_len, 0);
	/* local7.debug */
	assert_int_equal(parse_syslog("<191>[    2.000000] y", &rec, NULL), 0);
	assert_int_equal(rec.facility, 23);
	assert_int_equal(rec.level, 7);
}

static void syslog_line_untimed_and_malformed(void **state)
{
	static const char *const untimed[] = {
		"<4>nf_conntrack: table full, dropping packet",  /* printk.time=0 */
		"<4>[Firmware Bug]: TSC",
		"<4>[    1.00000] five digits",
		"<4>[    1.0000000] seven digits",
		"<4>[ 1234567890123.000000] too many seconds",
		"<4>[   -1.000000] sign",
		"<4>",
	};
	static const char *const malformed[] = {
		"4>[    1.000000] x", "<4[    1.000000] x", "<>[    1.000000] x", "<x>[    1.000000] x",
		"<4>[    1.000000]x", "<4>[    1.000000]", "<4294967296>[    1.000000] x",
		"<4>[    1.000000] two\nlines", "<", "[    1.000000] x",
	};
	struct ctw_kmsg_record rec;

	(void)state;
	for (size_t i = 0; i < sizeof(untimed) / sizeof(untimed[0]); i++)
		assert_int_equal(parse_syslog(untimed[i], &rec, NULL), -ENOMSG);
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		assert_int_equal(parse_syslog(malformed[i], &rec, NULL), -EINVAL);
	assert_int_equal(ctw_kmsg_parse_syslog_line("<4>[ 1.000000] x", 0, &rec, NULL), -EINVAL);
	assert_int_equal(ctw_kmsg_parse_syslog_line(NULL, 3, &rec, NULL), -EINVAL);
}

static void syslog_buffer_accounting(void **state)
{
	static const char buf[] =
		"<6>[    5.000000] eth0: link up\n"
		"<4>[    6.000000] " NETNS_FULL "\n"
		/* a burst: two records in the same microsecond both count */
		"<4>[    7.000000] " NETNS_FULL "\n"
		"<4>[    7.000000] " NETNS_FULL "\n"
		"\n"
		"<4>[    8.000000] nf_conntrack: expectation table full\n"
		"<12>[    9.000000] " NETNS_FULL "\n"
		/* user text with a newline, printed by the kernel: the second line
		 * carries the kernel's prefix but is no kernel message */
		"<6>[   10.000000] process 'x\n"
		"<6>[   10.000000] nf_conntrack: table full, dropping packet\n"
		"garbage\n"
		"<4>nf_conntrack: table full, dropping packet\n"
		"<4>[   11.000000] nf_conntrack: nf_conntrack: table full, dropping packet";  /* no final newline */
	struct ctw_table_full s = { 0 };
	const struct ctw_table_full_netns *ns;

	(void)state;
	ctw_table_full_add_syslog(&s, buf, sizeof(buf) - 1);
	assert_int_equal(s.records, 4);
	assert_int_equal(s.expect_records, 1);
	assert_int_equal(s.ignored_spoofed, 1);
	assert_int_equal(s.malformed, 1);
	assert_int_equal(s.untimed, 1);
	assert_int_equal(s.first_usec, 6000000);
	assert_int_equal(s.last_usec, 11000000);
	assert_int_equal(s.n_netns, 2);
	ns = find_netns(&s, 4026532177u);
	assert_non_null(ns);
	assert_int_equal(ns->records, 3);
	assert_int_equal(ns->first_usec, 6000000);
	assert_int_equal(ns->last_usec, 7000000);
	ns = find_netns(&s, 0);
	assert_non_null(ns);
	assert_int_equal(ns->records, 1);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf;

	assert_non_null(f);
	buf = malloc(1 << 20);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 20, f);
	assert_true(*len < 1 << 20);
	fclose(f);
	return buf;
}

/* A real SYSLOG_ACTION_READ_ALL result (tests/fixtures/kmsg/README.md). */
static void syslog_fixture(void **state)
{
	struct ctw_table_full s = { 0 };
	const struct ctw_table_full_netns *ns;
	size_t len;
	char *buf = slurp(CTW_FIXTURES "/kmsg/syslog/read-all.txt", &len);

	(void)state;
	ctw_table_full_add_syslog(&s, buf, len);
	free(buf);
	assert_int_equal(s.records, 30);
	assert_int_equal(s.ignored_spoofed, 2);
	assert_int_equal(s.malformed + s.untimed, 0);
	assert_int_equal(s.first_usec, 606337259);
	assert_int_equal(s.last_usec, 640927320);
	assert_int_equal(s.n_netns, 1);
	ns = find_netns(&s, 4026532176u);
	assert_non_null(ns);
	assert_int_equal(ns->records, 30);
}

/* Write records of the /dev/kmsg format as READ_ALL formats them. */
static size_t kmsg_to_syslog(const char *in, size_t len, char *out, size_t cap)
{
	const char *p = in, *end = in + len;
	size_t o = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct ctw_kmsg_record rec;

		if (*p != ' ' && eol > p && ctw_kmsg_parse_record(p, (size_t)(eol - p), &rec) == 0) {
			int n = snprintf(out + o, cap - o, "<%u>[%5lu.%06lu] %.*s\n",
					 rec.facility << 3 | rec.level, (unsigned long)(rec.usec / 1000000),
					 (unsigned long)(rec.usec % 1000000), (int)rec.text_len, rec.text);
			assert_true(n > 0 && (size_t)n < cap - o);
			o += (size_t)n;
		}
		p = nl ? nl + 1 : end;
	}
	return o;
}

/* The same log read either way gives the same account. */
static void syslog_same_as_kmsg_fixture(void **state)
{
	struct ctw_table_full a, b;
	size_t len, slen;
	char *buf = slurp(CTW_FIXTURES "/kmsg/root/dev/kmsg", &len);
	char *sbuf = malloc(2 << 20);

	(void)state;
	memset(&a, 0, sizeof(a));   /* padding too: compared with memcmp */
	memset(&b, 0, sizeof(b));
	assert_non_null(sbuf);
	slen = kmsg_to_syslog(buf, len, sbuf, 2 << 20);
	ctw_table_full_add_buffer(&a, buf, len);
	ctw_table_full_add_syslog(&b, sbuf, slen);
	free(buf);
	free(sbuf);
	assert_int_equal(a.records, 10);
	assert_memory_equal(&a, &b, sizeof(a));
}

/* The live kernel: one syslog(2) call and /dev/kmsg agree (a record logged
 * between the reads makes a third read the judge). */
static void syslog_same_as_kmsg_live(void **state)
{
	struct ctw_knobs k;
	struct ctw_table_full a, b, c;
	int r;

	(void)state;
	memset(&b, 0, sizeof(b));
	r = ctw_kmsg_read_syslog(&b);
	if (r == -EPERM)
		skip_because("syslog(2) refused to this user (dmesg_restrict, no CAP_SYSLOG)");
	if (r == -ENOMSG)
		skip_because("the kernel log has lines without a timestamp (printk.time=0): ENOMSG");
	assert_int_equal(r, 0);
	assert_true(open_root("/", &k) >= 0);
	memset(&a, 0, sizeof(a));
	memset(&c, 0, sizeof(c));
	assert_int_equal(ctw_kmsg_read_retained(&k, &a), 0);
	memset(&b, 0, sizeof(b));
	assert_int_equal(ctw_kmsg_read_syslog(&b), 0);
	assert_int_equal(ctw_kmsg_read_retained(&k, &c), 0);
	close(k.root_fd);
	assert_int_equal(b.malformed + b.untimed, 0);
	a.lost_records = c.lost_records = 0;   /* no such thing in one snapshot */
	if (memcmp(&a, &b, sizeof(a)) != 0)
		assert_memory_equal(&c, &b, sizeof(c));
}

/* Under a seccomp filter (even one allowing everything) syslog(2) is not
 * tried: a filter that leaves it out would kill the audit. */
static void syslog_not_under_seccomp(void **state)
{
	struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	struct sock_fprog prog = { .len = 1, .filter = allow };
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ctw_table_full s;

		memset(&s, 0, sizeof(s));
		s.records = 42;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
			_exit(77);
		/* refused, and *out untouched */
		_exit(ctw_kmsg_read_syslog(&s) == -EOPNOTSUPP && s.records == 42 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip_because("no seccomp filter could be installed here");
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_fields),
		cmocka_unit_test(parse_extra_fields_and_dictionary),
		cmocka_unit_test(parse_text_edges),
		cmocka_unit_test(parse_malformed),
		cmocka_unit_test(classify_every_era),
		cmocka_unit_test(classify_record_needs_kernel_facility),
		cmocka_unit_test(add_counts_kinds_and_times),
		cmocka_unit_test(add_netns_limit),
		cmocka_unit_test(add_buffer_splits_records),
		cmocka_unit_test(truncation_at_every_byte),
		cmocka_unit_test(read_fixture_tree),
		cmocka_unit_test(read_errors_and_device_path),
		cmocka_unit_test(read_real_kmsg),
		cmocka_unit_test(syslog_line_fields),
		cmocka_unit_test(syslog_line_untimed_and_malformed),
		cmocka_unit_test(syslog_buffer_accounting),
		cmocka_unit_test(syslog_fixture),
		cmocka_unit_test(syslog_same_as_kmsg_fixture),
		cmocka_unit_test(syslog_same_as_kmsg_live),
		cmocka_unit_test(syslog_not_under_seccomp),
	};
	return cmocka_run_group_tests_name("kmsg", tests, NULL, NULL);
}
