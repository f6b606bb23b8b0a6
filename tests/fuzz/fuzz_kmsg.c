/* Fuzz the kernel log parser: one record, its classification, and a buffer of records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct ctw_kmsg_record rec;
	struct ctw_table_full s;
	uint64_t inode, in_netns = 0;

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
	if (s.n_netns > CTW_KMSG_MAX_NETNS || (s.records && s.first_usec > s.last_usec))
		abort();
	for (unsigned i = 0; i < s.n_netns; i++)
		in_netns += s.netns[i].records;
	if (in_netns > s.records)
		abort();
	return 0;
}
