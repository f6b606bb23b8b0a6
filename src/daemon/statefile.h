/* The state file: the ORIGINAL value of every knob the daemon has changed, so
 * that "restore" (and a restart after a crash) can put the host back as it was.
 * <state_dir>/state.json, mode 0600, replaced atomically on every save:
 *   {"version":1,"originals":{"net.netfilter.nf_conntrack_max":{"value":65536,"changed_at":1700000000}}}
 *
 * The rule that makes restarts safe: before the first write to a knob,
 *   ctw_state_record_original(s, name, current_value); ctw_state_save(s, ...);
 * and only then write. Recording an already recorded knob is a no-op, so a
 * restarted daemon never mistakes its own tuned value for the original. */
#ifndef CTW_STATEFILE_H
#define CTW_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CTW_STATE_FILE_NAME "state.json"
#define CTW_STATE_VERSION 1
#define CTW_STATE_MAX_ENTRIES 64   /* far more than there are knobs */
#define CTW_STATE_NAME_MAX 128     /* "net.netfilter.nf_conntrack_tcp_timeout_established" fits */
#define CTW_STATE_PATH_MAX 4096

struct ctw_state_original {
	char name[CTW_STATE_NAME_MAX];  /* sysctl name */
	uint64_t value;                 /* the value before the daemon's first change */
	time_t changed_at;              /* when that first change was recorded (Unix time) */
};

struct ctw_state {
	char dir[CTW_STATE_PATH_MAX];
	char path[CTW_STATE_PATH_MAX];            /* dir + "/state.json", for messages */
	size_t n;
	struct ctw_state_original originals[CTW_STATE_MAX_ENTRIES];  /* [0, n), in record order */
};

/* Load <state_dir>/state.json. A missing file (or directory) gives an empty
 * state. A file that cannot be trusted is refused, never replaced: -EBADMSG
 * (not our JSON), -EPERM (writable by group or others), -EFBIG, or -errno from
 * reading; err gets "FILE: what is wrong". *s is usable (empty) only on 0. */
int ctw_state_load(struct ctw_state *s, const char *state_dir, char *err, size_t errlen);

bool ctw_state_has_original(const struct ctw_state *s, const char *name);
/* 0 with *value set, or -ENOENT. */
int ctw_state_get_original(const struct ctw_state *s, const char *name, uint64_t *value);

/* Remember name's original value, stamped with the current time. 1 if
 * recorded, 0 if the knob already had one (kept, value ignored); -EINVAL for
 * an empty name or one with characters a sysctl name does not have,
 * -ENAMETOOLONG, -ENOSPC when full, -ERANGE above INT64_MAX. In memory only:
 * call ctw_state_save before writing the knob. */
int ctw_state_record_original(struct ctw_state *s, const char *name, uint64_t value);

/* Forget a knob (after its original was put back). 0 or -ENOENT. In memory only. */
int ctw_state_remove(struct ctw_state *s, const char *name);

/* Write the state atomically: a temp file in the same directory (0600),
 * fsync, rename over state.json, fsync the directory. Creates the directory
 * (0700) if missing. On failure the previous file is intact and no temp file
 * is left; -errno and err gets "FILE: what failed". */
int ctw_state_save(const struct ctw_state *s, char *err, size_t errlen);

/* Forget everything and delete state.json (a missing file is fine). 0 or -errno. */
int ctw_state_clear(struct ctw_state *s, char *err, size_t errlen);

/* The JSON text of a state, NUL-terminated, for save and for "status" output.
 * Returns the length or -ENOBUFS. Pure. */
int ctw_state_format(const struct ctw_state *s, char *buf, size_t len);

/* Parse state JSON text into s->originals (dir and path untouched). 0 or
 * -EBADMSG with err saying what is wrong (without the file name). Pure (fuzzed). */
int ctw_state_parse(struct ctw_state *s, const char *text, size_t len, char *err, size_t errlen);

#endif
