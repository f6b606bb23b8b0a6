/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state file: the ORIGINAL value of every knob the daemon has changed, so
 * that "restore" (and a restart after a crash) can put the host back as it was.
 * <state_dir>/state.json, mode 0600, replaced atomically on every save:
 *   {"version":2,"boot_id":"0b5c...","originals":{"net.netfilter.nf_conntrack_max":
 *      {"value":65536,"changed_at":1700000000}},
 *    "netns":[{"name":"ctw-a","inode":4026532177,"path":"/run/netns/ctw-a",
 *      "originals":{"net.netfilter.nf_conntrack_udp_timeout":{"value":30,"changed_at":1700000000}}}]}
 * Version 1 files (no boot_id, no netns) still load.
 *
 * Originals are true for one boot only: after a reboot the kernel starts from
 * its boot values, so a state from another boot is discarded by the daemon
 * and refused by restore (boot_id, from /proc/sys/kernel/random/boot_id).
 *
 * The file cannot lie: only knobs ctwarden manages, by exact sysctl name,
 * each value within the kernel's range for that knob (ctw_state_check_value);
 * only per-netns knobs (timeouts) in a netns entry; no key twice in an
 * object; owned by root or the running user and not writable by group or
 * others, in a directory with the same rules.
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

#include "kernel/knobs.h"
#include "kernel/netns.h"

#define CTW_STATE_FILE_NAME "state.json"
#define CTW_STATE_VERSION 2
#define CTW_STATE_MAX_ENTRIES 64   /* far more than there are knobs */
#define CTW_STATE_NAME_MAX 128     /* "net.netfilter.nf_conntrack_tcp_timeout_established" fits */
#define CTW_STATE_PATH_MAX 4096
#define CTW_STATE_BOOT_ID_LEN 36   /* "0b5c8f2e-1d4a-4c3b-9e7f-123456789abc" */
#define CTW_STATE_NETNS_MAX 256    /* namespaces with originals (a busy Kubernetes node has ~110 pods) */
#define CTW_STATE_NETNS_PATH_MAX 96
#define CTW_STATE_FILE_MAX (1024 * 1024)  /* 256 namespaces x every timeout take ~550 KiB */

/* The largest timeout any kernel takes: proc_dointvec_jiffies refuses more
 * than INT_MAX / HZ seconds, and HZ is at most 1000 (24.8 days). */
#define CTW_STATE_TIMEOUT_MAX 2147483ULL

struct ctw_state_original {
	char name[CTW_STATE_NAME_MAX];  /* sysctl name */
	uint64_t value;                 /* the value before the daemon's first change */
	time_t changed_at;              /* when that first change was recorded (Unix time) */
};

struct ctw_state_netns_original {
	enum ctw_knob knob;             /* a per-netns knob (a timeout) */
	uint64_t value;
	time_t changed_at;
};

/* One namespace's originals, keyed by name AND inode: inodes are reused
 * after a namespace goes away, names are reused too; both matching is the
 * same namespace. */
struct ctw_state_netns {
	char name[CTW_NETNS_NAME_MAX];          /* "ctw-a" or "pid 1234" */
	uint64_t inode;
	char path[CTW_STATE_NETNS_PATH_MAX];    /* /run/netns/NAME or /proc/PID/ns/net */
	size_t n;
	struct ctw_state_netns_original originals[CTW_TO__COUNT];
};

struct ctw_state {
	char dir[CTW_STATE_PATH_MAX];
	char path[CTW_STATE_PATH_MAX];            /* dir + "/state.json", for messages */
	char boot_id[CTW_STATE_BOOT_ID_LEN + 1];  /* the boot the originals belong to; "" unknown */
	int version;                              /* of the file loaded (0: none) */
	time_t mtime;                             /* of the file loaded (0: none) */
	size_t n;
	struct ctw_state_original originals[CTW_STATE_MAX_ENTRIES];  /* [0, n), in record order */
	size_t n_netns;
	struct ctw_state_netns netns[CTW_STATE_NETNS_MAX];           /* [0, n_netns) */
};

/* Load <state_dir>/state.json. A missing file (or directory) gives an empty
 * state. A file that cannot be trusted is refused, never replaced: -EBADMSG
 * (not our JSON, an unknown knob, a value out of range, a key twice), -EPERM
 * (file or directory owned by another user, or writable by group or others),
 * -EINVAL (not a regular file: a FIFO never hangs the load), -EFBIG, or -errno
 * from reading; err gets "FILE: what is wrong". *s is usable (empty) only on 0. */
int ctw_state_load(struct ctw_state *s, const char *state_dir, char *err, size_t errlen);

/* Nothing recorded, neither global nor in a namespace. */
bool ctw_state_empty(const struct ctw_state *s);
/* Global and per-netns originals together. */
size_t ctw_state_count(const struct ctw_state *s);

bool ctw_state_has_original(const struct ctw_state *s, const char *name);
/* 0 with *value set, or -ENOENT. */
int ctw_state_get_original(const struct ctw_state *s, const char *name, uint64_t *value);

/* Remember name's original value, stamped with the current time. 1 if
 * recorded, 0 if the knob already had one (kept, value ignored); -EINVAL for
 * a name that is not a knob ctwarden writes, -ERANGE for a value outside the
 * knob's range (ctw_state_check_value), -ENOSPC when full. In memory only:
 * call ctw_state_save before writing the knob. */
int ctw_state_record_original(struct ctw_state *s, const char *name, uint64_t value);

/* Forget a knob (after its original was put back). 0 or -ENOENT. In memory only. */
int ctw_state_remove(struct ctw_state *s, const char *name);

/* The same for a knob inside a network namespace (name AND inode; path is how
 * to open it: "/run/netns/NAME" or "/proc/PID/ns/net"). Only per-netns knobs
 * (ctw_knob_scope CTW_SCOPE_NETNS, not the count). record: 1, 0 (already
 * recorded), -EINVAL (bad name, path or knob), -ERANGE, -ENOSPC. */
int ctw_state_netns_record(struct ctw_state *s, const char *ns_name, uint64_t inode, const char *path,
			   const char *knob_name, uint64_t value);
int ctw_state_netns_get(const struct ctw_state *s, const char *ns_name, uint64_t inode, const char *knob_name,
			uint64_t *value);
/* Forget one knob of a namespace (the entry goes when it is empty). 0 or -ENOENT. */
int ctw_state_netns_remove(struct ctw_state *s, const char *ns_name, uint64_t inode, const char *knob_name);
/* The name a namespace's entry is kept under: the one its path gives ("NAME"
 * for /run/netns/NAME, "pid N" for /proc/N/ns/net), not the name shown,
 * which may change when a pod is recognized in it. "" for another path. */
void ctw_state_netns_key(const char *path, char *key, size_t keylen);
/* Forget a whole namespace (it is gone). 0 or -ENOENT. */
int ctw_state_netns_forget(struct ctw_state *s, const char *ns_name, uint64_t inode);

/* Is this a path ctwarden may open as a namespace: "/run/netns/NAME" with a
 * valid name, or "/proc/PID/ns/net"? Pure. */
bool ctw_state_netns_path_valid(const char *path);
/* A boot ID as the kernel prints it (36 characters, lowercase hex and dashes). Pure. */
bool ctw_state_boot_id_valid(const char *id);

/* The knob a state may record under this exact sysctl name (every knob
 * ctwarden writes; not the count), or -1. Pure. */
int ctw_state_knob_by_name(const char *name);
/* Is value within the kernel's range for knob id? 0, or -ERANGE with why
 * ("must be at least 1: 0 would mean unlimited"). Pure. */
int ctw_state_check_value(enum ctw_knob id, uint64_t value, char *why, size_t whylen);

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

/* Parse state JSON text (version 1 or 2) into s (dir and path untouched). 0
 * or -EBADMSG with err saying what is wrong and where (without the file
 * name). Pure (fuzzed). */
int ctw_state_parse(struct ctw_state *s, const char *text, size_t len, char *err, size_t errlen);

#endif
