/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ctw-journal-emit: emit one journal entry of every kind through ctwarden's
 * journal module, each carrying every CTWARDEN_* field, so a test can check
 * what journald really stored.
 *
 * ctw-journal-emit [-s] [-k KIND] TAG
 *   -s       write to stderr instead of deciding the sink (journald if running)
 *   -k KIND  only this kind ("max_raised")
 *   TAG      goes into every MESSAGE ("test max_raised TAG") to find them again
 *
 * Field values (test-journal-fields.sh expects exactly these): COUNT 850,
 * MAX 1000, BUCKETS 1024, OLD 111, NEW 222, KNOB net.netfilter.nf_conntrack_max,
 * REASON "reason of KIND", MODE advise, ERRNO 13, DROPS 7, NETNS 4026531840,
 * RETIRED_DELETED 5, RETIRED_RETIMED 6, RETIRED_SKIPPED 7 (skipped_by
 * "unacked=7"), RETIRED_SEEN 18, RETIRED_OLDEST_IDLE 99, RETIRED_DURATION_MS 12,
 * RETIRED_MAX_POLL_GAP_MS 250,
 * RETIRED_DRY_RUN no, RETIRED_TOP_DESTINATIONS "127.0.0.1 100%". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/journal.h"

static void fill(struct ctw_journal_entry *e, enum ctw_event kind, const char *tag)
{
	const char *name = ctw_event_name(kind);

	ctw_journal_entry_init(e, kind, "test %s %s", name, tag);
	ctw_journal_entry_set_usage(e, 850, 1000);
	ctw_journal_entry_set_buckets(e, 1024);
	ctw_journal_entry_set_old_new(e, 111, 222);
	ctw_journal_entry_set_knob(e, "net.netfilter.nf_conntrack_max");
	ctw_journal_entry_set_reason(e, "reason of %s", name);
	ctw_journal_entry_set_mode(e, CTW_MODE_ADVISE);
	ctw_journal_entry_set_errno(e, -EACCES);
	ctw_journal_entry_set_drops(e, 7);
	ctw_journal_entry_set_netns(e, 4026531840u);
	ctw_journal_entry_set_retire(e, &(struct ctw_journal_retire){
		.seen = 18, .deleted = 5, .retimed = 6, .skipped = 7, .oldest_idle_s = 99, .duration_ms = 12, .max_poll_gap_ms = 250,
		.skipped_by = "unacked=7", .top = "127.0.0.1 100%" });
}

static int usage(void)
{
	fprintf(stderr, "usage: ctw-journal-emit [-s] [-k KIND] TAG\n");
	return 2;
}

int main(int argc, char **argv)
{
	enum ctw_journal_sink sink = CTW_JOURNAL_AUTO;
	const char *only = NULL;
	struct ctw_journal j;
	int opt, failed = 0, emitted = 0;

	while ((opt = getopt(argc, argv, "sk:")) != -1) {
		switch (opt) {
		case 's':
			sink = CTW_JOURNAL_STREAM;
			break;
		case 'k':
			only = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc - 1)
		return usage();

	ctw_journal_init(&j, sink, stderr);
	for (int k = 0; k < CTW_EV__COUNT; k++) {
		struct ctw_journal_entry e;
		int r;

		if (only && strcmp(only, ctw_event_name(k)) != 0)
			continue;
		fill(&e, k, argv[optind]);
		r = ctw_journal_emit(&j, &e);
		if (r < 0) {
			fprintf(stderr, "ctw-journal-emit: %s: %s\n", ctw_event_name(k), strerror(-r));
			failed++;
		}
		emitted++;
	}
	if (emitted == 0) {
		fprintf(stderr, "ctw-journal-emit: no kind named %s\n", only);
		return 2;
	}
	printf("%s %d\n", j.sink == CTW_JOURNAL_JOURNALD ? "journald" : "stream", emitted);
	return failed ? 1 : 0;
}
