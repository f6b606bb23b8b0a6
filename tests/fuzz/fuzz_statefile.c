/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz the state file parser: whatever is in state.json, parsing must not
 * crash; what it accepts must be a state that cannot lie (only knobs
 * ctwarden manages, each in range, only per-netns knobs in a namespace,
 * paths ctwarden may open), and it must format and parse back to the same
 * state. A duplicated key is refused: accepted text never holds more keys
 * than the state it gave (checked by re-parsing with the key doubled). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/statefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_sane(const struct ctw_state *s)
{
	for (size_t i = 0; i < s->n; i++) {
		int id = ctw_state_knob_by_name(s->originals[i].name);

		if (id < 0 || ctw_state_check_value((enum ctw_knob)id, s->originals[i].value, NULL, 0) < 0)
			abort();
	}
	if (s->boot_id[0] && !ctw_state_boot_id_valid(s->boot_id))
		abort();
	for (size_t i = 0; i < s->n_netns; i++) {
		const struct ctw_state_netns *ns = &s->netns[i];

		if (!ctw_state_netns_path_valid(ns->path) || ns->inode == 0 || ns->n > CTW_TO__COUNT)
			abort();
		for (size_t j = 0; j < ns->n; j++)
			if (ctw_knob_scope(ns->originals[j].knob) != CTW_SCOPE_NETNS || ns->originals[j].knob == CTW_KNOB_COUNT ||
			    ctw_state_check_value(ns->originals[j].knob, ns->originals[j].value, NULL, 0) < 0)
				abort();
	}
}

static void check_same(const struct ctw_state *a, const struct ctw_state *b)
{
	if (a->n != b->n || a->n_netns != b->n_netns || strcmp(a->boot_id, b->boot_id) != 0)
		abort();
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->originals[i].name, b->originals[i].name) != 0 ||
		    a->originals[i].value != b->originals[i].value ||
		    a->originals[i].changed_at != b->originals[i].changed_at)
			abort();
	for (size_t i = 0; i < a->n_netns; i++) {
		const struct ctw_state_netns *x = &a->netns[i], *y = &b->netns[i];

		if (strcmp(x->name, y->name) || strcmp(x->path, y->path) || x->inode != y->inode || x->n != y->n)
			abort();
		for (size_t j = 0; j < x->n; j++)
			if (x->originals[j].knob != y->originals[j].knob || x->originals[j].value != y->originals[j].value ||
			    x->originals[j].changed_at != y->originals[j].changed_at)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctw_state s, again;
	static char text[CTW_STATE_FILE_MAX];
	char err[256];
	int n;

	if (ctw_state_parse(&s, (const char *)data, size, err, sizeof(err)) < 0)
		return 0;
	check_sane(&s);
	n = ctw_state_format(&s, text, sizeof(text));
	if (n < 0)
		abort();
	if (ctw_state_parse(&again, text, (size_t)n, err, sizeof(err)) < 0)
		abort();
	check_same(&s, &again);
	/* The same text with its first original written twice must be refused. */
	if (s.n > 0) {
		const char *key = strstr(text, "\"originals\":{");
		size_t at, klen;
		const char *entry, *end;

		if (!key)
			abort();
		entry = key + strlen("\"originals\":{");
		end = strchr(entry, '}');  /* the first entry's own object closes here */
		if (!end)
			abort();
		at = (size_t)(entry - text);
		klen = (size_t)(end + 1 - entry);
		if ((size_t)n + klen + 1 < sizeof(text)) {
			memmove(text + at + klen + 1, text + at, (size_t)n - at + 1);
			text[at + klen] = ',';
			if (ctw_state_parse(&again, text, (size_t)n + klen + 1, err, sizeof(err)) != -EBADMSG ||
			    !strstr(err, "appears twice"))
				abort();
		}
	}
	return 0;
}
