/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Journal entries: the fields journald gets for each kind, and the line a
 * terminal gets instead. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "output/journal.h"

/* The value of KEY in the built fields, or NULL. */
static const char *field(const struct ctw_journal_fields *f, const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < f->n; i++) {
		const char *kv = f->iov[i].iov_base;
		size_t n = f->iov[i].iov_len;
		if (n > klen && memcmp(kv, key, klen) == 0 && kv[klen] == '=') {
			size_t vlen = n - klen - 1;
			if (vlen >= len)
				fail_msg("field %s is %zu bytes, longer than the test expects", key, vlen);
			memcpy(buf, kv + klen + 1, vlen);
			buf[vlen] = '\0';
			return buf;
		}
	}
	return NULL;
}

static void assert_field(const struct ctw_journal_fields *f, const char *key, const char *want)
{
	char buf[1024];
	const char *got = field(f, key, buf, sizeof(buf));

	if (!got)
		fail_msg("field %s missing", key);
	assert_string_equal(got, want);
}

/* An entry of each kind carrying every field its kind requires. */
static void complete_entry(struct ctw_journal_entry *e, enum ctw_event kind)
{
	unsigned need = ctw_event_required_fields(kind);

	ctw_journal_entry_init(e, kind, "test %s", ctw_event_name(kind));
	if (need & (CTW_JF_COUNT | CTW_JF_MAX))
		ctw_journal_entry_set_usage(e, 850, 1000);
	if (need & (CTW_JF_OLD | CTW_JF_NEW))
		ctw_journal_entry_set_old_new(e, 1, 2);
	if (need & CTW_JF_KNOB)
		ctw_journal_entry_set_knob(e, "net.netfilter.nf_conntrack_max");
	if (need & CTW_JF_REASON)
		ctw_journal_entry_set_reason(e, "because");
	if (need & CTW_JF_MODE)
		ctw_journal_entry_set_mode(e, CTW_MODE_ADVISE);
	if (need & CTW_JF_ERRNO)
		ctw_journal_entry_set_errno(e, -EACCES);
	if (need & CTW_JF_DROPS)
		ctw_journal_entry_set_drops(e, 7);
	if (need & CTW_JF_BUCKETS)
		ctw_journal_entry_set_buckets(e, 512);
	if (need & CTW_JF_NETNS)
		ctw_journal_entry_set_netns(e, 4026531840u);
	if (need & CTW_JF_RETIRE)
		ctw_journal_entry_set_retire(e, &(struct ctw_journal_retire){ .seen = 3, .deleted = 1 });
}

static void test_every_kind_has_a_distinct_id_and_name(void **state)
{
	for (int a = 0; a < CTW_EV__COUNT; a++) {
		const char *id = ctw_event_message_id(a);
		const char *name = ctw_event_name(a);

		assert_non_null(id);
		assert_non_null(name);
		assert_int_equal(strlen(id), 32);
		for (const char *c = id; *c; c++)
			assert_true(isxdigit((unsigned char)*c) && !isupper((unsigned char)*c));
		assert_non_null(ctw_priority_name(ctw_event_default_priority(a)));
		for (int b = 0; b < a; b++) {
			assert_string_not_equal(id, ctw_event_message_id(b));
			assert_string_not_equal(name, ctw_event_name(b));
		}
	}
	assert_null(ctw_event_name(CTW_EV__COUNT));
	assert_null(ctw_event_message_id((enum ctw_event)-1));
}

/* The published contract, written out by hand: the MESSAGE_IDs as
 * systemd/ctwarden.catalog documents them (operators filter on them with
 * journalctl MESSAGE_ID=..., they never change) and each kind's syslog
 * priority. Not read from the code under test: a kind added there without a
 * row here fails test_contract_has_every_kind. */
static const struct {
	const char *name;
	const char *id;
	int priority;
} contract[CTW_EV__COUNT] = {
	[CTW_EV_STARTED]           = { "started", "9ed117e50b844cdca4badb1bc88941dd", 6 },           /* info */
	[CTW_EV_RELOADED]          = { "reloaded", "c0fd6ad6d59c413cbeaf18b37903bd5a", 6 },          /* info */
	[CTW_EV_RELOAD_FAILED]     = { "reload_failed", "1249a208ed96468590fa8f069c2b01cc", 3 },     /* err */
	[CTW_EV_STOPPING]          = { "stopping", "0c2d006e565c4edfa5d984cefafeddd2", 6 },          /* info */
	[CTW_EV_DROPS_SEEN]        = { "drops_seen", "cf184f83c92345899e6fe22ec89cd8f1", 3 },        /* err */
	[CTW_EV_USAGE_WARNING]     = { "usage_warning", "5f566a1ebbb1491f9edea874a9e9726a", 4 },     /* warning */
	[CTW_EV_USAGE_CRITICAL]    = { "usage_critical", "0eb2dfc3bb674938bda164bb4201af06", 2 },    /* crit */
	[CTW_EV_USAGE_NORMAL]      = { "usage_normal", "c41e066ef26540ab831fc9402437b138", 5 },      /* notice */
	[CTW_EV_MAX_RAISED]        = { "max_raised", "0f696f28c08846d0b21095c72d0a44e1", 5 },        /* notice */
	[CTW_EV_MAX_LOWERED]       = { "max_lowered", "9d8d34d58f914c8c94099f66fbd80ab6", 5 },       /* notice */
	[CTW_EV_HASH_RESIZED]      = { "hash_resized", "701c5ba11e184d4c950b801335558922", 5 },      /* notice */
	[CTW_EV_TIMEOUT_SHORTENED] = { "timeout_shortened", "0bace2c22f7d47cdb7c9d3f0de73d5a9", 5 }, /* notice */
	[CTW_EV_TIMEOUT_RESTORED]  = { "timeout_restored", "7f5ab0f154484131b84a25c77971866d", 5 },  /* notice */
	[CTW_EV_LIMIT_REACHED]     = { "limit_reached", "5d157368d1d449209f6f8babfb81b531", 4 },     /* warning */
	[CTW_EV_ACTION_FAILED]     = { "action_failed", "b48218a6a1bb42c4a8d054158d487b5f", 3 },     /* err */
	[CTW_EV_TABLE_FULL]        = { "table_full", "df3b98528e764cfea34f99e171fdfc28", 3 },        /* err */
	[CTW_EV_NETNS_UNWATCHABLE] = { "netns_unwatchable", "35eef459a03f4370aaaff0e10028a5d4", 4 }, /* warning */
	[CTW_EV_OUTSIDE_CHANGE]    = { "outside_change", "3ef7e54f939a456fb1d4ecc451417fa4", 5 },    /* notice */
	[CTW_EV_RETIRE_PASS]       = { "retire_pass", "e82d1bf9cfee40f492f86fd1ab6320c5", 5 },       /* notice */
	[CTW_EV_ACTION_YIELDED]    = { "action_yielded", "e00ee0f8af104e0298620b80585d4971", 4 },    /* warning */
};

static void test_contract_has_every_kind(void **state)
{
	for (int k = 0; k < CTW_EV__COUNT; k++)
		if (!contract[k].name)
			fail_msg("event kind %d (%s) has no row in this test's contract: add its MESSAGE_ID from "
				 "systemd/ctwarden.catalog and its priority by hand", k, ctw_event_name(k));
}

static void test_ids_are_the_published_constants(void **state)
{
	for (int k = 0; k < CTW_EV__COUNT; k++) {
		if (!contract[k].name)
			continue;   /* test_contract_has_every_kind says which */
		assert_string_equal(ctw_event_name(k), contract[k].name);
		assert_string_equal(ctw_event_message_id(k), contract[k].id);
		assert_int_equal(ctw_event_default_priority(k), contract[k].priority);
	}
	assert_string_equal(ctw_event_message_id(CTW_EV_MAX_RAISED), CTW_MID_MAX_RAISED);
}

/* The catalog documents exactly the contract's MESSAGE_IDs, each once. */
static void test_catalog_documents_every_id(void **state)
{
	char path[4096], line[1024];
	int seen[CTW_EV__COUNT] = { 0 };
	int headers = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/../../systemd/ctwarden.catalog", CTW_FIXTURES);
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char id[64];
		int found = 0;

		if (sscanf(line, "-- %63s", id) != 1)
			continue;
		headers++;
		for (int k = 0; k < CTW_EV__COUNT; k++) {
			if (contract[k].id && strcmp(id, contract[k].id) == 0) {
				seen[k]++;
				found = 1;
			}
		}
		if (!found)
			fail_msg("catalog id %s is not in this test's contract", id);
	}
	fclose(f);
	for (int k = 0; k < CTW_EV__COUNT; k++)
		if (contract[k].id && seen[k] != 1)
			fail_msg("%s (%s) has %d catalog entries", contract[k].name, contract[k].id, seen[k]);
	assert_int_equal(headers, CTW_EV__COUNT);
}

static void test_common_fields_of_every_kind(void **state)
{
	for (int k = 0; k < CTW_EV__COUNT; k++) {
		struct ctw_journal_entry e;
		struct ctw_journal_fields f;
		char want[64];

		if (!contract[k].name)
			continue;
		complete_entry(&e, k);
		assert_int_equal(ctw_journal_build_fields(&e, &f), 0);
		snprintf(want, sizeof(want), "test %s", contract[k].name);
		assert_field(&f, "MESSAGE", want);
		assert_field(&f, "MESSAGE_ID", contract[k].id);
		snprintf(want, sizeof(want), "%d", contract[k].priority);
		assert_field(&f, "PRIORITY", want);
		assert_field(&f, "SYSLOG_IDENTIFIER", "ctwarden");
		assert_field(&f, "CTWARDEN_EVENT", contract[k].name);
		/* Every field is KEY=value, never NUL-padded. */
		for (size_t i = 0; i < f.n; i++) {
			assert_non_null(memchr(f.iov[i].iov_base, '=', f.iov[i].iov_len));
			assert_null(memchr(f.iov[i].iov_base, '\0', f.iov[i].iov_len));
		}
	}
}

static void test_kind_specific_fields(void **state)
{
	struct ctw_journal_entry e;
	struct ctw_journal_fields f;
	char buf[64];

	complete_entry(&e, CTW_EV_USAGE_CRITICAL);
	assert_int_equal(ctw_journal_build_fields(&e, &f), 0);
	assert_field(&f, "PRIORITY", "2");  /* crit */
	assert_field(&f, "CTWARDEN_COUNT", "850");
	assert_field(&f, "CTWARDEN_MAX", "1000");
	assert_null(field(&f, "CTWARDEN_OLD", buf, sizeof(buf)));

	complete_entry(&e, CTW_EV_STARTED);
	assert_int_equal(ctw_journal_build_fields(&e, &f), 0);
	assert_field(&f, "CTWARDEN_MODE", "advise");
	assert_field(&f, "PRIORITY", "6");

	complete_entry(&e, CTW_EV_ACTION_FAILED);
	assert_int_equal(ctw_journal_build_fields(&e, &f), 0);
	assert_field(&f, "CTWARDEN_ERRNO", "13");  /* -EACCES given, stored positive */
	assert_field(&f, "PRIORITY", "3");

	complete_entry(&e, CTW_EV_DROPS_SEEN);
	assert_int_equal(ctw_journal_build_fields(&e, &f), 0);
	assert_field(&f, "CTWARDEN_DROPS", "7");
}

static void test_change_carries_all_its_fields(void **state)
{
	struct ctw_journal_entry e;
	struct ctw_journal_fields f;

	ctw_journal_entry_init(&e, CTW_EV_MAX_RAISED, "raised %s from %d to %d", "nf_conntrack_max", 65536, 131072);
	ctw_journal_entry_set_knob(&e, "net.netfilter.nf_conntrack_max");
	ctw_journal_entry_set_old_new(&e, 65536, 131072);
	ctw_journal_entry_set_usage(&e, 60000, 65536);
	ctw_journal_entry_set_buckets(&e, 65536);
	ctw_journal_entry_set_reason(&e, "usage %d%% above high water", 91);
	ctw_journal_entry_set_mode(&e, CTW_MODE_ENFORCE);
	assert_int_equal(ctw_journal_build_fields(&e, &f), 0);
	assert_int_equal(f.n, 5 + 8);
	assert_field(&f, "MESSAGE", "raised nf_conntrack_max from 65536 to 131072");
	assert_field(&f, "MESSAGE_ID", "0f696f28c08846d0b21095c72d0a44e1");
	assert_field(&f, "PRIORITY", "5");
	assert_field(&f, "CTWARDEN_OLD", "65536");
	assert_field(&f, "CTWARDEN_NEW", "131072");
	assert_field(&f, "CTWARDEN_KNOB", "net.netfilter.nf_conntrack_max");
	assert_field(&f, "CTWARDEN_COUNT", "60000");
	assert_field(&f, "CTWARDEN_MAX", "65536");
	assert_field(&f, "CTWARDEN_BUCKETS", "65536");
	assert_field(&f, "CTWARDEN_REASON", "usage 91% above high water");
	assert_field(&f, "CTWARDEN_MODE", "enforce");
}

/* A retirement pass's entry: its counts as CTWARDEN_RETIRED_* fields, and the
 * stream line quotes the lists (they hold spaces). */
static void test_retire_pass_fields(void **state)
{
	struct ctw_journal_retire r = {
		.seen = 2500, .deleted = 1990, .retimed = 4, .skipped = 506, .gone = 0, .failed = 0,
		.oldest_idle_s = 61, .duration_ms = 37, .max_poll_gap_ms = 210, .dry_run = false,
		.skipped_by = "other_timeout=500 special_window=6", .top = "127.0.0.1 100%",
	};
	struct ctw_journal_entry e;
	struct ctw_journal_fields f;
	char line[2048];

	ctw_journal_entry_init(&e, CTW_EV_RETIRE_PASS, "retired");
	ctw_journal_entry_set_knob(&e, "net.netfilter.nf_conntrack_tcp_timeout_established");
	ctw_journal_entry_set_old_new(&e, 40, 20);
	ctw_journal_entry_set_netns(&e, 4026532177u);
	ctw_journal_entry_set_retire(&e, &r);
	assert_int_equal(ctw_journal_build_fields(&e, &f), 0);
	assert_field(&f, "MESSAGE_ID", "e82d1bf9cfee40f492f86fd1ab6320c5");
	assert_field(&f, "CTWARDEN_EVENT", "retire_pass");
	assert_field(&f, "PRIORITY", "5");
	assert_field(&f, "CTWARDEN_NETNS", "4026532177");
	assert_field(&f, "CTWARDEN_OLD", "40");
	assert_field(&f, "CTWARDEN_NEW", "20");
	assert_field(&f, "CTWARDEN_RETIRED_DELETED", "1990");
	assert_field(&f, "CTWARDEN_RETIRED_RETIMED", "4");
	assert_field(&f, "CTWARDEN_RETIRED_SKIPPED", "506");
	assert_field(&f, "CTWARDEN_RETIRED_SKIPPED_BY", "other_timeout=500 special_window=6");
	assert_field(&f, "CTWARDEN_RETIRED_SEEN", "2500");
	assert_field(&f, "CTWARDEN_RETIRED_OLDEST_IDLE", "61");
	assert_field(&f, "CTWARDEN_RETIRED_DURATION_MS", "37");
	assert_field(&f, "CTWARDEN_RETIRED_MAX_POLL_GAP_MS", "210");
	assert_field(&f, "CTWARDEN_RETIRED_DRY_RUN", "no");
	assert_field(&f, "CTWARDEN_RETIRED_TOP_DESTINATIONS", "127.0.0.1 100%");
	assert_true(ctw_journal_format_line(&e, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, " CTWARDEN_RETIRED_DELETED=1990 "));
	assert_non_null(strstr(line, " CTWARDEN_RETIRED_SKIPPED_BY=\"other_timeout=500 special_window=6\" "));
	/* Without its counts the entry is refused. */
	e.has &= ~CTW_JF_RETIRE;
	assert_int_equal(ctw_journal_build_fields(&e, &f), -EINVAL);
}

static void test_missing_required_field_is_refused(void **state)
{
	int checked = 0;

	for (int k = 0; k < CTW_EV__COUNT; k++) {
		unsigned need = ctw_event_required_fields(k);
		for (unsigned bit = 1; bit <= CTW_JF_RETIRE; bit <<= 1) {
			struct ctw_journal_entry e;
			struct ctw_journal_fields f;

			if (!(need & bit))
				continue;
			complete_entry(&e, k);
			e.has &= ~bit;
			assert_int_equal(ctw_journal_build_fields(&e, &f), -EINVAL);
			assert_int_equal(f.n, 0);
			checked++;
		}
	}
	assert_true(checked >= 10);
}

static void test_invalid_entries_are_refused(void **state)
{
	struct ctw_journal_entry e;
	struct ctw_journal_fields f;
	char line[256];

	ctw_journal_entry_init(&e, CTW_EV_STOPPING, "bye");
	e.priority = 8;
	assert_int_equal(ctw_journal_build_fields(&e, &f), -EINVAL);
	e.priority = -1;
	assert_int_equal(ctw_journal_format_line(&e, line, sizeof(line)), -EINVAL);
	ctw_journal_entry_init(&e, CTW_EV__COUNT, "what");
	assert_int_equal(ctw_journal_build_fields(&e, &f), -EINVAL);
}

static void test_message_is_one_line(void **state)
{
	struct ctw_journal_entry e;
	struct ctw_journal_fields f;

	ctw_journal_entry_init(&e, CTW_EV_RELOAD_FAILED, "reload failed:\n%s", "x.conf:3: bad\tvalue");
	ctw_journal_entry_set_reason(&e, "line one\nline two");
	assert_int_equal(ctw_journal_build_fields(&e, &f), 0);
	assert_field(&f, "MESSAGE", "reload failed: x.conf:3: bad value");
	assert_field(&f, "CTWARDEN_REASON", "line one line two");
}

static void test_long_text_is_cut_not_overflowed(void **state)
{
	struct ctw_journal_entry e;
	struct ctw_journal_fields f;
	char big[2000];
	char buf[1024];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ctw_journal_entry_init(&e, CTW_EV_LIMIT_REACHED, "%s", big);
	ctw_journal_entry_set_reason(&e, "%s", big);
	ctw_journal_entry_set_knob(&e, big);
	assert_int_equal(ctw_journal_build_fields(&e, &f), 0);
	assert_int_equal(strlen(field(&f, "MESSAGE", buf, sizeof(buf))), CTW_JOURNAL_MESSAGE_MAX - 1);
	assert_int_equal(strlen(field(&f, "CTWARDEN_REASON", buf, sizeof(buf))), CTW_JOURNAL_TEXT_MAX - 1);
}

static void test_stream_line(void **state)
{
	struct ctw_journal j;
	struct ctw_journal_entry e;
	char *out = NULL;
	size_t outlen = 0;
	FILE *mem = open_memstream(&out, &outlen);

	assert_non_null(mem);
	ctw_journal_init(&j, CTW_JOURNAL_STREAM, mem);
	ctw_journal_entry_init(&e, CTW_EV_TIMEOUT_SHORTENED, "shortened tcp established timeout to %d s", 3600);
	ctw_journal_entry_set_knob(&e, "net.netfilter.nf_conntrack_tcp_timeout_established");
	ctw_journal_entry_set_old_new(&e, 432000, 3600);
	ctw_journal_entry_set_reason(&e, "table 95%% full, \"max\" at ceiling");
	assert_int_equal(ctw_journal_emit(&j, &e), 0);

	ctw_journal_entry_init(&e, CTW_EV_USAGE_WARNING, "table 85%% full");
	ctw_journal_entry_set_usage(&e, 850, 1000);
	assert_int_equal(ctw_journal_emit(&j, &e), 0);
	fclose(mem);
	assert_string_equal(out,
		"ctwarden: notice: shortened tcp established timeout to 3600 s"
		" CTWARDEN_EVENT=timeout_shortened CTWARDEN_OLD=432000 CTWARDEN_NEW=3600"
		" CTWARDEN_KNOB=net.netfilter.nf_conntrack_tcp_timeout_established"
		" CTWARDEN_REASON=\"table 95% full, \\\"max\\\" at ceiling\"\n"
		"ctwarden: warning: table 85% full CTWARDEN_EVENT=usage_warning CTWARDEN_COUNT=850 CTWARDEN_MAX=1000\n");
	free(out);
}

static void test_invalid_entry_writes_nothing(void **state)
{
	struct ctw_journal j;
	struct ctw_journal_entry e;
	char *out = NULL;
	size_t outlen = 0;
	FILE *mem = open_memstream(&out, &outlen);

	ctw_journal_init(&j, CTW_JOURNAL_STREAM, mem);
	ctw_journal_entry_init(&e, CTW_EV_MAX_LOWERED, "lowered");  /* no old/new/knob */
	assert_int_equal(ctw_journal_emit(&j, &e), -EINVAL);
	fclose(mem);
	assert_int_equal(outlen, 0);
	free(out);
}

static void test_line_cut_to_buffer(void **state)
{
	struct ctw_journal_entry e;
	char small[24];
	int n;

	ctw_journal_entry_init(&e, CTW_EV_STOPPING, "stopping on SIGTERM, restoring 3 knobs");
	n = ctw_journal_format_line(&e, small, sizeof(small));
	assert_int_equal(n, sizeof(small) - 1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(small[n - 1], '\n');
	assert_memory_equal(small, "ctwarden: info: stoppi", 22);
}

static void test_pick_sink(void **state)
{
	char dir[] = "/tmp/ctw-journal-XXXXXX";
	char sock[64];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/socket", dir);
	assert_int_equal(ctw_journal_pick_sink(sock, NULL), CTW_JOURNAL_STREAM);
	assert_int_equal(ctw_journal_pick_sink(sock, ""), CTW_JOURNAL_STREAM);
	/* Started by systemd with stdout/stderr connected to the journal. */
	assert_int_equal(ctw_journal_pick_sink(sock, "8:12345"), CTW_JOURNAL_JOURNALD);
	f = fopen(sock, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(ctw_journal_pick_sink(sock, NULL), CTW_JOURNAL_JOURNALD);
	unlink(sock);
	rmdir(dir);
}

static void test_explicit_sink_wins(void **state)
{
	struct ctw_journal j;

	ctw_journal_init(&j, CTW_JOURNAL_STREAM, NULL);
	assert_int_equal(j.sink, CTW_JOURNAL_STREAM);
	assert_ptr_equal(j.stream, stderr);
	ctw_journal_init(&j, CTW_JOURNAL_JOURNALD, stdout);
	assert_int_equal(j.sink, CTW_JOURNAL_JOURNALD);
	assert_ptr_equal(j.stream, stdout);
}

static void test_priority_names(void **state)
{
	assert_string_equal(ctw_priority_name(LOG_EMERG), "emerg");
	assert_string_equal(ctw_priority_name(LOG_ERR), "err");
	assert_string_equal(ctw_priority_name(LOG_WARNING), "warning");
	assert_string_equal(ctw_priority_name(LOG_DEBUG), "debug");
	assert_null(ctw_priority_name(8));
	assert_null(ctw_priority_name(-1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_has_a_distinct_id_and_name),
		cmocka_unit_test(test_contract_has_every_kind),
		cmocka_unit_test(test_ids_are_the_published_constants),
		cmocka_unit_test(test_catalog_documents_every_id),
		cmocka_unit_test(test_common_fields_of_every_kind),
		cmocka_unit_test(test_kind_specific_fields),
		cmocka_unit_test(test_change_carries_all_its_fields),
		cmocka_unit_test(test_retire_pass_fields),
		cmocka_unit_test(test_missing_required_field_is_refused),
		cmocka_unit_test(test_invalid_entries_are_refused),
		cmocka_unit_test(test_message_is_one_line),
		cmocka_unit_test(test_long_text_is_cut_not_overflowed),
		cmocka_unit_test(test_stream_line),
		cmocka_unit_test(test_invalid_entry_writes_nothing),
		cmocka_unit_test(test_line_cut_to_buffer),
		cmocka_unit_test(test_pick_sink),
		cmocka_unit_test(test_explicit_sink_wins),
		cmocka_unit_test(test_priority_names),
	};
	return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
