/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the kernel log parsers: one /dev/kmsg record, its classification, a
 * buffer of records, and the syslog(2) READ_ALL format (one line, a buffer). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_account(const struct ctw_table_full *s)
{
	uint64_t in_netns = 0;

	if (s->n_netns > CTW_KMSG_MAX_NETNS || (s->records && s->first_usec > s->last_usec))
		abort();
	for (unsigned i = 0; i < s->n_netns; i++) {
		const struct ctw_table_full_netns *n = &s->netns[i];

		/* each netns's span lies inside the whole span */
		if (n->records == 0 || n->first_usec > n->last_usec ||
		    n->first_usec < s->first_usec || n->last_usec > s->last_usec)
			abort();
		in_netns += n->records;
	}
	if (in_netns > s->records)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct ctw_kmsg_record rec;
	struct ctw_table_full s;
	uint64_t inode;
	size_t plen;
	int r;

	if (ctw_kmsg_parse_record(buf, size, &rec) == 0) {
		/* the text lies inside the record and is one line */
		if (rec.text < buf || rec.text + rec.text_len > buf + size ||
		    memchr(rec.text, '\n', rec.text_len))
			abort();
		if (ctw_kmsg_classify(&rec, &inode) != CTW_KMSG_TABLE_FULL && inode != 0)
			abort();
	}
	(void)ctw_kmsg_classify_text(buf, size, &inode);

	memset(&s, 0, sizeof(s));
	ctw_table_full_add_buffer(&s, buf, size);
	check_account(&s);

	r = ctw_kmsg_parse_syslog_line(buf, size, &rec, &plen);
	if (r != 0 && r != -EINVAL && r != -ENOMSG)
		abort();
	/* the prefix and the text make up the line */
	if (r == 0 && (rec.text != buf + plen || plen + rec.text_len != size || rec.flags != '-'))
		abort();

	memset(&s, 0, sizeof(s));
	ctw_table_full_add_syslog(&s, buf, size);
	check_account(&s);
	return 0;
}
