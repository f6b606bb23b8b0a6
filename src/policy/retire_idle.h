/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How stale the table is, for the audit's one dump: an idle-age histogram per
 * governing timeout, and per timeout how many entries `ctwarden retire
 * --timeout T=FLOOR` would delete (the same rule, each timeout shortened to
 * its floor). And the list of values a timeout may have held, shared with
 * the retire command. Pure. */
#ifndef CTW_POLICY_RETIRE_IDLE_H
#define CTW_POLICY_RETIRE_IDLE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/conf.h"
#include "base/ct_entry.h"
#include "base/timeouts.h"
#include "policy/retire.h"

struct ctw_table_idle {
	struct ctw_idle_histogram hist;
	uint32_t known_s[CTW_TO__COUNT][CTW_RETIRE_KNOWN_MAX];
	unsigned n_known[CTW_TO__COUNT];
	uint32_t floor_s[CTW_TO__COUNT];
	bool have_rule[CTW_TO__COUNT];
	struct ctw_retire_rule rule[CTW_TO__COUNT];   /* timeout t shortened to its floor */
	uint64_t beyond_floor[CTW_TO__COUNT];       /* entries that rule would delete */
};

/* Every value a timeout may have held, into out[0..*n): the value now, the
 * original before ctwarden changed it (0: none known), the daemon's steps
 * from the original (halving down to the floor, doubling back up from it)
 * and was[]. More values only make the rule keep more: it takes the
 * smallest that covers an entry's time left. -ENOSPC when they do not fit
 * (CTW_RETIRE_KNOWN_MAX). */
int ctw_retire_known_values(uint32_t *out, unsigned *n, uint64_t now_s, uint64_t original_s, uint64_t floor_s,
			    const uint32_t *was, unsigned n_was);

/* From the timeouts in force (have[t], now_s[t]) and the config's floors and
 * exclusions. A timeout whose value now differs from the kernel default is
 * taken to have started there (the audit reads no state file). */
void ctw_table_idle_init(struct ctw_table_idle *ti, const bool have[CTW_TO__COUNT],
			 const uint64_t now_s[CTW_TO__COUNT], const struct ctw_config *c);
void ctw_table_idle_add(struct ctw_table_idle *ti, const struct ctw_ct_entry *e);

#endif
