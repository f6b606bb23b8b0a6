/* Carries the policy's decisions out on the kernel: remembers each knob's
 * original value in the state file before its first change, writes, reads
 * back, and backs off from a knob whose writes fail. */
#ifndef CTW_ACTUATOR_H
#define CTW_ACTUATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/knobs.h"
#include "daemon/statefile.h"

/* Retry a failing knob after 1 s, doubling up to 5 min. */
#define CTW_BACKOFF_MIN_US (1000ULL * 1000)
#define CTW_BACKOFF_MAX_US (300ULL * 1000 * 1000)

struct ctw_backoff {
	unsigned failures;
	uint64_t next_try_us;
	int last_err;          /* the errno last reported, so a failure is said once */
};

struct ctw_actuator {
	const struct ctw_knobs *knobs;
	struct ctw_state state;
	struct ctw_backoff backoff[CTW_KNOB__COUNT];
};

/* Load the state file under state_dir. -errno with err "FILE: ..." when it
 * cannot be trusted (the daemon must not start and overwrite originals). */
int ctw_actuator_init(struct ctw_actuator *a, const struct ctw_knobs *k, const char *state_dir,
		      char *err, size_t errlen);

enum ctw_apply_result {
	CTW_APPLY_DONE,        /* written and read back */
	CTW_APPLY_BACKOFF,     /* not tried: the knob is backing off after a failure */
	CTW_APPLY_FAILED,      /* tried and failed; *err says why */
};

/* Set knob id from old_value to value. On CTW_APPLY_FAILED, *errnum is the
 * errno and *first_report tells whether this failure differs from the last
 * one reported for the knob (log only then). */
enum ctw_apply_result ctw_actuator_apply(struct ctw_actuator *a, enum ctw_knob id, uint64_t old_value,
					 uint64_t value, uint64_t now_us, int *errnum, bool *first_report,
					 char *err, size_t errlen);

/* Put every recorded knob back to its original value and forget it. Calls
 * report(name, original, result errno or 0) for each. 0 when all went back,
 * else the first -errno (the failed ones stay recorded). */
int ctw_actuator_restore_all(struct ctw_actuator *a,
			     void (*report)(const char *name, uint64_t original, int err, void *userdata),
			     void *userdata, char *err, size_t errlen);

/* The knob whose sysctl name this is, or -1. */
int ctw_knob_by_sysctl_name(const char *name);

#endif
