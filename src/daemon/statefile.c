/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state file: original knob values, saved atomically. */
#include "daemon/statefile.h"
#include "base/log.h"

#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#define STATE_FILE_MAX CTW_STATE_FILE_MAX


/* ---- what a state may hold -------------------------------------------- */

int ctw_state_knob_by_name(const char *name)
{
	for (int id = 0; id < CTW_KNOB__COUNT; id++)
		if (id != CTW_KNOB_COUNT && strcmp(ctw_knob_sysctl_name((enum ctw_knob)id), name) == 0)
			return id;
	return -1;
}

/* The ranges the kernel's sysctl handlers accept (6.x), so a value that passes
 * here is one the kernel would take back. */
int ctw_state_check_value(enum ctw_knob id, uint64_t value, char *why, size_t whylen)
{
	uint64_t lo = 1, hi;

	switch (id) {
	case CTW_KNOB_MAX:
		/* proc_dointvec_minmax, int. 0 meant "unlimited" up to 6.18 and is
		 * refused after: never a value to put back. */
		hi = INT32_MAX;
		if (value == 0) {
			ctw_set_err(why, whylen, "must be at least 1 (0 would mean an unlimited table, or be refused)");
			return -ERANGE;
		}
		break;
	case CTW_KNOB_BUCKETS:
		/* nf_conntrack_hash_resize: 0 is EINVAL; the table is an array of
		 * 8-byte heads, at most INT_MAX bytes (nf_ct_alloc_hashtable). */
		hi = INT32_MAX / 8;
		break;
	case CTW_KNOB_EXPECT_MAX:
		hi = INT32_MAX;  /* proc_dointvec_minmax from 1 */
		break;
	case CTW_KNOB_COUNT:
		ctw_set_err(why, whylen, "is read-only");
		return -ERANGE;
	default:
		hi = CTW_STATE_TIMEOUT_MAX;
		break;
	}
	if (value < lo || value > hi) {
		ctw_set_err(why, whylen, "must be from %" PRIu64 " to %" PRIu64, lo, hi);
		return -ERANGE;
	}
	return 0;
}

/* A namespace's name as ctw_netns_scan gives it: a /run/netns file name
 * (letters, digits, '.', '_', '-'; not "." or "..") or "pid N". */
static bool valid_netns_component(const char *name, size_t len)
{
	if (len == 0 || len >= CTW_NETNS_NAME_MAX || (len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool all_digits(const char *s, size_t len)
{
	if (len == 0 || len > 10 || s[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool ctw_state_netns_path_valid(const char *path)
{
	static const char run[] = "/run/netns/", proc[] = "/proc/", tail[] = "/ns/net";
	size_t len = strlen(path);

	if (strncmp(path, run, sizeof(run) - 1) == 0)
		return valid_netns_component(path + sizeof(run) - 1, len - (sizeof(run) - 1));
	if (strncmp(path, proc, sizeof(proc) - 1) == 0 && len > sizeof(proc) - 1 + sizeof(tail) - 1 &&
	    strcmp(path + len - (sizeof(tail) - 1), tail) == 0)
		return all_digits(path + sizeof(proc) - 1, len - (sizeof(proc) - 1) - (sizeof(tail) - 1));
	return false;
}

/* The name must be the one the path gives: "X" for /run/netns/X, "pid N" for
 * /proc/N/ns/net. */
static bool netns_name_matches_path(const char *name, const char *path)
{
	char expect[CTW_STATE_NETNS_PATH_MAX + 8];
	unsigned long pid;

	if (!ctw_state_netns_path_valid(path))
		return false;
	if (strncmp(path, "/run/netns/", 11) == 0)
		return strcmp(name, path + 11) == 0;
	if (sscanf(path, "/proc/%lu/ns/net", &pid) != 1)
		return false;
	snprintf(expect, sizeof(expect), "pid %lu", pid);
	return strcmp(name, expect) == 0;
}

void ctw_state_netns_key(const char *path, char *key, size_t keylen)
{
	unsigned long pid;

	if (strncmp(path, "/run/netns/", 11) == 0)
		snprintf(key, keylen, "%s", path + 11);
	else if (sscanf(path, "/proc/%lu/ns/net", &pid) == 1)
		snprintf(key, keylen, "pid %lu", pid);
	else if (keylen)
		key[0] = '\0';
}

bool ctw_state_boot_id_valid(const char *id)
{
	if (strlen(id) != CTW_STATE_BOOT_ID_LEN)
		return false;
	for (size_t i = 0; i < CTW_STATE_BOOT_ID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? id[i] != '-' : !((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	}
	return true;
}

/* ---- global originals -------------------------------------------------- */

static struct ctw_state_original *find(const struct ctw_state *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->originals[i].name, name) == 0)
			return (struct ctw_state_original *)&s->originals[i];
	return NULL;
}

bool ctw_state_empty(const struct ctw_state *s)
{
	return s->n == 0 && s->n_netns == 0;
}

size_t ctw_state_count(const struct ctw_state *s)
{
	size_t n = s->n;

	for (size_t i = 0; i < s->n_netns; i++)
		n += s->netns[i].n;
	return n;
}

bool ctw_state_has_original(const struct ctw_state *s, const char *name)
{
	return find(s, name) != NULL;
}

int ctw_state_get_original(const struct ctw_state *s, const char *name, uint64_t *value)
{
	const struct ctw_state_original *o = find(s, name);

	if (!o)
		return -ENOENT;
	*value = o->value;
	return 0;
}

/* Shared by record and parse: checks everything but duplicates. */
static int add_original(struct ctw_state *s, const char *name, uint64_t value, time_t changed_at)
{
	struct ctw_state_original *o;
	int id = ctw_state_knob_by_name(name);

	if (id < 0)
		return -EINVAL;
	if (ctw_state_check_value((enum ctw_knob)id, value, NULL, 0) < 0)
		return -ERANGE;
	if (s->n >= CTW_STATE_MAX_ENTRIES)
		return -ENOSPC;
	o = &s->originals[s->n++];
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->value = value;
	o->changed_at = changed_at;
	return 0;
}

int ctw_state_record_original(struct ctw_state *s, const char *name, uint64_t value)
{
	int r;

	if (find(s, name))
		return 0;  /* the first original is the true one */
	r = add_original(s, name, value, time(NULL));
	return r < 0 ? r : 1;
}

int ctw_state_remove(struct ctw_state *s, const char *name)
{
	struct ctw_state_original *o = find(s, name);
	size_t i;

	if (!o)
		return -ENOENT;
	i = (size_t)(o - s->originals);
	memmove(o, o + 1, (s->n - i - 1) * sizeof(*o));
	s->n--;
	return 0;
}

/* ---- per-namespace originals ------------------------------------------- */

static struct ctw_state_netns *find_netns(const struct ctw_state *s, const char *ns_name, uint64_t inode)
{
	for (size_t i = 0; i < s->n_netns; i++)
		if (s->netns[i].inode == inode && strcmp(s->netns[i].name, ns_name) == 0)
			return (struct ctw_state_netns *)&s->netns[i];
	return NULL;
}

static struct ctw_state_netns_original *find_in_netns(const struct ctw_state_netns *ns, enum ctw_knob id)
{
	for (size_t i = 0; i < ns->n; i++)
		if (ns->originals[i].knob == id)
			return (struct ctw_state_netns_original *)&ns->originals[i];
	return NULL;
}

static int netns_knob(const char *knob_name)
{
	int id = ctw_state_knob_by_name(knob_name);

	return id >= 0 && ctw_knob_scope((enum ctw_knob)id) == CTW_SCOPE_NETNS ? id : -1;
}

static struct ctw_state_netns *add_netns(struct ctw_state *s, const char *ns_name, uint64_t inode,
					 const char *path)
{
	struct ctw_state_netns *ns;

	if (inode == 0 || !netns_name_matches_path(ns_name, path) || s->n_netns >= CTW_STATE_NETNS_MAX)
		return NULL;
	ns = &s->netns[s->n_netns++];
	memset(ns, 0, sizeof(*ns));
	snprintf(ns->name, sizeof(ns->name), "%s", ns_name);
	snprintf(ns->path, sizeof(ns->path), "%s", path);
	ns->inode = inode;
	return ns;
}

static int add_netns_original(struct ctw_state_netns *ns, int id, uint64_t value, time_t changed_at)
{
	struct ctw_state_netns_original *o;

	if (id < 0)
		return -EINVAL;
	if (ctw_state_check_value((enum ctw_knob)id, value, NULL, 0) < 0)
		return -ERANGE;
	if (ns->n >= CTW_TO__COUNT)
		return -ENOSPC;
	o = &ns->originals[ns->n++];
	o->knob = (enum ctw_knob)id;
	o->value = value;
	o->changed_at = changed_at;
	return 0;
}

int ctw_state_netns_record(struct ctw_state *s, const char *ns_name, uint64_t inode, const char *path,
			   const char *knob_name, uint64_t value)
{
	struct ctw_state_netns *ns = find_netns(s, ns_name, inode);
	int id = netns_knob(knob_name), r;
	bool added = false;

	if (id < 0)
		return -EINVAL;
	if (ns && find_in_netns(ns, (enum ctw_knob)id))
		return 0;
	if (!ns) {
		if (inode == 0 || !netns_name_matches_path(ns_name, path))
			return -EINVAL;
		ns = add_netns(s, ns_name, inode, path);
		if (!ns)
			return -ENOSPC;
		added = true;
	}
	r = add_netns_original(ns, id, value, time(NULL));
	if (r < 0 && added)
		s->n_netns--;
	return r < 0 ? r : 1;
}

int ctw_state_netns_get(const struct ctw_state *s, const char *ns_name, uint64_t inode, const char *knob_name,
			uint64_t *value)
{
	const struct ctw_state_netns *ns = find_netns(s, ns_name, inode);
	int id = netns_knob(knob_name);
	const struct ctw_state_netns_original *o;

	if (!ns || id < 0 || !(o = find_in_netns(ns, (enum ctw_knob)id)))
		return -ENOENT;
	*value = o->value;
	return 0;
}

int ctw_state_netns_forget(struct ctw_state *s, const char *ns_name, uint64_t inode)
{
	struct ctw_state_netns *ns = find_netns(s, ns_name, inode);
	size_t i;

	if (!ns)
		return -ENOENT;
	i = (size_t)(ns - s->netns);
	memmove(ns, ns + 1, (s->n_netns - i - 1) * sizeof(*ns));
	s->n_netns--;
	return 0;
}

int ctw_state_netns_remove(struct ctw_state *s, const char *ns_name, uint64_t inode, const char *knob_name)
{
	struct ctw_state_netns *ns = find_netns(s, ns_name, inode);
	int id = netns_knob(knob_name);
	struct ctw_state_netns_original *o;
	size_t i;

	if (!ns || id < 0 || !(o = find_in_netns(ns, (enum ctw_knob)id)))
		return -ENOENT;
	i = (size_t)(o - ns->originals);
	memmove(o, o + 1, (ns->n - i - 1) * sizeof(*o));
	ns->n--;
	if (ns->n == 0)
		ctw_state_netns_forget(s, ns_name, inode);
	return 0;
}

/* ---- JSON ------------------------------------------------------------- */

static json_object *original_json(uint64_t value, time_t changed_at)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "value", json_object_new_int64((int64_t)value));
	json_object_object_add(o, "changed_at", json_object_new_int64((int64_t)changed_at));
	return o;
}

static json_object *state_json(const struct ctw_state *s)
{
	json_object *root = json_object_new_object();
	json_object *originals = json_object_new_object();
	json_object *netns = json_object_new_array();

	if (!root || !originals || !netns) {
		json_object_put(root);
		json_object_put(originals);
		json_object_put(netns);
		return NULL;
	}
	json_object_object_add(root, "version", json_object_new_int(CTW_STATE_VERSION));
	if (s->boot_id[0])
		json_object_object_add(root, "boot_id", json_object_new_string(s->boot_id));
	json_object_object_add(root, "originals", originals);
	json_object_object_add(root, "netns", netns);
	for (size_t i = 0; i < s->n; i++)
		json_object_object_add(originals, s->originals[i].name,
				       original_json(s->originals[i].value, s->originals[i].changed_at));
	for (size_t i = 0; i < s->n_netns; i++) {
		const struct ctw_state_netns *ns = &s->netns[i];
		json_object *e = json_object_new_object(), *o = json_object_new_object();

		if (!e || !o) {
			json_object_put(e);
			json_object_put(o);
			json_object_put(root);
			return NULL;
		}
		json_object_object_add(e, "name", json_object_new_string(ns->name));
		json_object_object_add(e, "inode", json_object_new_int64((int64_t)ns->inode));
		json_object_object_add(e, "path", json_object_new_string(ns->path));
		json_object_object_add(e, "originals", o);
		for (size_t j = 0; j < ns->n; j++)
			json_object_object_add(o, ctw_knob_sysctl_name(ns->originals[j].knob),
					       original_json(ns->originals[j].value, ns->originals[j].changed_at));
		json_object_array_add(netns, e);
	}
	return root;
}

int ctw_state_format(const struct ctw_state *s, char *buf, size_t len)
{
	json_object *root = state_json(s);
	const char *text;
	size_t n;
	int r = -ENOMEM;

	if (!root)
		return r;
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		goto out;
	n = strlen(text);
	r = -ENOBUFS;
	if (n + 2 > len || n + 1 > INT32_MAX)
		goto out;
	memcpy(buf, text, n);
	buf[n++] = '\n';
	buf[n] = '\0';
	r = (int)n;
out:
	json_object_put(root);
	return r;
}

/* json-c merges a repeated key silently (the last one wins), so a state with
 * "nf_conntrack_max" twice would parse as if the first never existed; the
 * object json-c hands back cannot tell. The check therefore runs on the raw
 * text, after json-c has accepted it in strict mode (no comments, no single
 * quotes) and after ctw_state_parse refused every backslash (ctwarden never
 * writes an escape). In such text three facts show the structure without
 * parsing it again: a '"' opens or closes a string; outside strings '{' and
 * '[' open a container and '}' and ']' close one; and the string just before
 * a ':' is a key of the innermost open object. The scan keeps, per open
 * object, the keys seen so far and reports a key seen twice. json-c did the
 * parsing (and its depth limit bounds ours); this only counts keys. */
#define KEYS_PER_OBJECT_MAX 256
static int find_duplicate_key(const char *text, size_t len, char *err, size_t errlen)
{
	struct key { size_t off, len; } *keys;
	size_t start[JSON_TOKENER_DEFAULT_DEPTH + 1], nkeys = 0, str_off = 0, str_len = 0;
	unsigned depth = 0;
	bool in_str = false;
	int r = 0;

	size_t colons = 1;

	for (size_t i = 0; i < len; i++)
		colons += text[i] == ':';
	keys = malloc(colons * sizeof(*keys));  /* at most one key per ':' */
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < len && r == 0; i++) {
		char c = text[i];

		if (in_str) {
			if (c == '"') {
				in_str = false;
				str_len = i - str_off;
			}
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			str_off = i + 1;
			break;
		case '{':
		case '[':
			if (depth > JSON_TOKENER_DEFAULT_DEPTH) {
				ctw_set_err(err, errlen, "nested too deeply");
				r = -EBADMSG;
				break;
			}
			start[depth++] = nkeys;
			break;
		case '}':
		case ']':
			if (depth > 0)
				nkeys = start[--depth];
			break;
		case ':':
			if (depth == 0)
				break;
			for (size_t k = start[depth - 1]; k < nkeys; k++) {
				if (keys[k].len == str_len && memcmp(text + keys[k].off, text + str_off, str_len) == 0) {
					ctw_set_err(err, errlen, "\"%.*s\" appears twice in the same object (byte %zu)",
						(int)(str_len < CTW_STATE_NAME_MAX ? str_len : CTW_STATE_NAME_MAX),
						text + str_off, str_off - 1);
					r = -EBADMSG;
					break;
				}
			}
			if (r == 0 && nkeys - start[depth - 1] >= KEYS_PER_OBJECT_MAX) {
				ctw_set_err(err, errlen, "more than %d keys in one object", KEYS_PER_OBJECT_MAX);
				r = -EBADMSG;
			}
			if (r == 0)
				keys[nkeys++] = (struct key){ str_off, str_len };
			break;
		default:
			break;
		}
	}
	free(keys);
	return r;
}

static bool get_int64(json_object *obj, const char *key, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*out = json_object_get_int64(v);
	/* json-c saturates integers that do not fit int64. */
	return *out >= 0 && *out != INT64_MAX;
}

/* Only the keys named (a NULL-terminated list): an unknown key is something
 * ctwarden did not write. */
static bool only_keys(json_object *obj, const char *const *allowed, const char **bad)
{
	json_object_object_foreach(obj, key, val) {
		bool ok = false;

		(void)val;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(key, *a) == 0;
		if (!ok) {
			*bad = key;
			return false;
		}
	}
	return true;
}

/* {"value":N,"changed_at":T}; where says which entry, for messages. */
static int parse_entry(json_object *entry, const char *where, const char *name, int id, int64_t *value,
		       int64_t *changed_at, char *err, size_t errlen)
{
	static const char *const keys[] = { "value", "changed_at", NULL };
	const char *bad = NULL;
	char why[128];

	if (id < 0) {
		ctw_set_err(err, errlen, "%s\"%.*s\" is not a knob ctwarden manages", where, CTW_STATE_NAME_MAX, name);
		return -EBADMSG;
	}
	if (!json_object_is_type(entry, json_type_object) || !get_int64(entry, "value", value) ||
	    !get_int64(entry, "changed_at", changed_at)) {
		ctw_set_err(err, errlen, "%s\"%.*s\" needs \"value\" and \"changed_at\" as non-negative integers",
			where, CTW_STATE_NAME_MAX, name);
		return -EBADMSG;
	}
	if (!only_keys(entry, keys, &bad)) {
		ctw_set_err(err, errlen, "%s\"%.*s\" has an unknown key \"%.*s\"", where, CTW_STATE_NAME_MAX, name,
			CTW_STATE_NAME_MAX, bad);
		return -EBADMSG;
	}
	if (ctw_state_check_value((enum ctw_knob)id, (uint64_t)*value, why, sizeof(why)) < 0) {
		ctw_set_err(err, errlen, "%s\"%.*s\" value %" PRId64 " out of range: %s", where, CTW_STATE_NAME_MAX,
			name, *value, why);
		return -EBADMSG;
	}
	return 0;
}

static int parse_originals(struct ctw_state *s, json_object *originals, char *err, size_t errlen)
{
	json_object_object_foreach(originals, name, entry) {
		int64_t value, changed_at;
		int r = parse_entry(entry, "", name, ctw_state_knob_by_name(name), &value, &changed_at, err, errlen);

		if (r < 0)
			return r;
		if (find(s, name)) {
			ctw_set_err(err, errlen, "\"%.*s\" appears twice", CTW_STATE_NAME_MAX, name);
			return -EBADMSG;
		}
		r = add_original(s, name, (uint64_t)value, (time_t)changed_at);
		if (r < 0) {
			ctw_set_err(err, errlen, "\"%.*s\": %s", CTW_STATE_NAME_MAX, name,
				r == -ENOSPC ? "too many knobs" : strerror(-r));
			return -EBADMSG;
		}
	}
	return 0;
}

static int parse_netns_entry(struct ctw_state *s, json_object *e, size_t idx, char *err, size_t errlen)
{
	static const char *const keys[] = { "name", "inode", "path", "originals", NULL };
	json_object *jname, *jpath, *originals;
	struct ctw_state_netns *ns;
	const char *name, *path, *bad = NULL;
	char where[CTW_NETNS_NAME_MAX + 48];
	int64_t inode;

	if (!json_object_is_type(e, json_type_object) ||
	    !json_object_object_get_ex(e, "name", &jname) || !json_object_is_type(jname, json_type_string) ||
	    !json_object_object_get_ex(e, "path", &jpath) || !json_object_is_type(jpath, json_type_string) ||
	    !get_int64(e, "inode", &inode) || inode == 0 ||
	    !json_object_object_get_ex(e, "originals", &originals) ||
	    !json_object_is_type(originals, json_type_object)) {
		ctw_set_err(err, errlen, "netns entry %zu needs \"name\", \"path\", \"inode\" and \"originals\"", idx);
		return -EBADMSG;
	}
	if (!only_keys(e, keys, &bad)) {
		ctw_set_err(err, errlen, "netns entry %zu has an unknown key \"%.*s\"", idx, CTW_STATE_NAME_MAX, bad);
		return -EBADMSG;
	}
	name = json_object_get_string(jname);
	path = json_object_get_string(jpath);
	if (!netns_name_matches_path(name, path)) {
		ctw_set_err(err, errlen, "netns entry %zu: path \"%.*s\" is not /run/netns/NAME or /proc/PID/ns/net "
			"for the name \"%.*s\"", idx, CTW_STATE_NETNS_PATH_MAX, path, CTW_NETNS_NAME_MAX, name);
		return -EBADMSG;
	}
	if (find_netns(s, name, (uint64_t)inode)) {
		ctw_set_err(err, errlen, "netns \"%s\" (inode %" PRId64 ") appears twice", name, inode);
		return -EBADMSG;
	}
	ns = add_netns(s, name, (uint64_t)inode, path);
	if (!ns) {
		ctw_set_err(err, errlen, "more than %d namespaces", CTW_STATE_NETNS_MAX);
		return -EBADMSG;
	}
	snprintf(where, sizeof(where), "netns \"%s\": ", name);
	json_object_object_foreach(originals, knob, entry) {
		int64_t value, changed_at;
		int id = ctw_state_knob_by_name(knob), r;

		if (id >= 0 && netns_knob(knob) < 0) {
			ctw_set_err(err, errlen, "%s\"%.*s\" is one value for the whole host, not per namespace", where,
				CTW_STATE_NAME_MAX, knob);
			return -EBADMSG;
		}
		r = parse_entry(entry, where, knob, id, &value, &changed_at, err, errlen);
		if (r < 0)
			return r;
		r = add_netns_original(ns, id, (uint64_t)value, (time_t)changed_at);
		if (r < 0) {
			ctw_set_err(err, errlen, "%s\"%.*s\": %s", where, CTW_STATE_NAME_MAX, knob, strerror(-r));
			return -EBADMSG;
		}
	}
	return 0;
}

static int parse_root(struct ctw_state *s, json_object *root, char *err, size_t errlen)
{
	static const char *const keys_v1[] = { "version", "originals", NULL };
	static const char *const keys_v2[] = { "version", "boot_id", "originals", "netns", NULL };
	json_object *version, *originals, *boot_id, *netns;
	const char *bad = NULL;
	int64_t v;
	int r;

	if (!json_object_is_type(root, json_type_object)) {
		ctw_set_err(err, errlen, "not a JSON object");
		return -EBADMSG;
	}
	if (!json_object_object_get_ex(root, "version", &version) || !json_object_is_type(version, json_type_int) ||
	    ((v = json_object_get_int64(version)) != 1 && v != CTW_STATE_VERSION)) {
		ctw_set_err(err, errlen, "\"version\" is not 1 or %d", CTW_STATE_VERSION);
		return -EBADMSG;
	}
	s->version = (int)v;
	if (!only_keys(root, v == 1 ? keys_v1 : keys_v2, &bad)) {
		ctw_set_err(err, errlen, "unknown key \"%.*s\" in a version %d state", CTW_STATE_NAME_MAX, bad, (int)v);
		return -EBADMSG;
	}
	if (json_object_object_get_ex(root, "boot_id", &boot_id)) {
		if (!json_object_is_type(boot_id, json_type_string) ||
		    !ctw_state_boot_id_valid(json_object_get_string(boot_id))) {
			ctw_set_err(err, errlen, "\"boot_id\" is not a boot ID (36 characters of lowercase hex and dashes)");
			return -EBADMSG;
		}
		snprintf(s->boot_id, sizeof(s->boot_id), "%s", json_object_get_string(boot_id));
	}
	if (!json_object_object_get_ex(root, "originals", &originals) ||
	    !json_object_is_type(originals, json_type_object)) {
		ctw_set_err(err, errlen, "\"originals\" is missing or not an object");
		return -EBADMSG;
	}
	r = parse_originals(s, originals, err, errlen);
	if (r < 0 || !json_object_object_get_ex(root, "netns", &netns))
		return r;
	if (!json_object_is_type(netns, json_type_array)) {
		ctw_set_err(err, errlen, "\"netns\" is not an array");
		return -EBADMSG;
	}
	for (size_t i = 0; i < json_object_array_length(netns) && r == 0; i++)
		r = parse_netns_entry(s, json_object_array_get_idx(netns, i), i, err, errlen);
	return r;
}

static size_t parse_end(struct json_tokener *tok)
{
#if JSON_C_VERSION_NUM >= ((0 << 16) | (15 << 8))
	return json_tokener_get_parse_end(tok);
#else
	return (size_t)tok->char_offset;
#endif
}

static void reset(struct ctw_state *s)
{
	s->n = 0;
	s->n_netns = 0;
	s->boot_id[0] = '\0';
	s->version = 0;
}

int ctw_state_parse(struct ctw_state *s, const char *text, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	json_object *root = NULL;
	enum json_tokener_error jerr;
	int r = -EBADMSG;

	reset(s);
	if (len > CTW_STATE_FILE_MAX) {
		ctw_set_err(err, errlen, "larger than %d bytes", CTW_STATE_FILE_MAX);
		return -EBADMSG;
	}
	/* ctwarden writes no escapes and no NUL: without them every string is
	 * the bytes between two quotes, which find_duplicate_key relies on. */
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\\' || text[i] == '\0') {
			ctw_set_err(err, errlen, "%s at byte %zu (ctwarden never writes one)",
				text[i] ? "a backslash escape" : "a NUL byte", i);
			return -EBADMSG;
		}
	}
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!root || jerr != json_tokener_success) {
		/* A truncated file (json_tokener_continue) is as bad as junk. */
		ctw_set_err(err, errlen, "not valid JSON (%s at byte %zu)",
			jerr == json_tokener_continue ? "unexpected end" : json_tokener_error_desc(jerr),
			parse_end(tok));
		goto out;
	}
	for (size_t i = parse_end(tok); i < len; i++) {
		if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r') {
			ctw_set_err(err, errlen, "unexpected data after the JSON object at byte %zu", i);
			goto out;
		}
	}
	r = find_duplicate_key(text, parse_end(tok), err, errlen);
	if (r == 0)
		r = parse_root(s, root, err, errlen);
out:
	if (r < 0)
		reset(s);
	json_object_put(root);
	json_tokener_free(tok);
	return r;
}

/* ---- files ------------------------------------------------------------ */

static int set_paths(struct ctw_state *s, const char *state_dir)
{
	int n;

	n = snprintf(s->dir, sizeof(s->dir), "%s", state_dir);
	if (n < 0 || (size_t)n >= sizeof(s->dir))
		return -ENAMETOOLONG;
	n = snprintf(s->path, sizeof(s->path), "%s/%s", state_dir, CTW_STATE_FILE_NAME);
	if (n < 0 || (size_t)n >= sizeof(s->path))
		return -ENAMETOOLONG;
	return 0;
}

/* The same trust as the config (src/base/conf.c): the state decides what is
 * written into the kernel as root, so only root (or we) may have written it. */
static int check_trusted(const struct stat *st, const char *what, const char *path, char *err, size_t errlen)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		ctw_set_err(err, errlen, "%s: refusing a state %s owned by uid %u, not by root or the current user; "
			"run chown root %s", path, what, (unsigned)st->st_uid, path);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		ctw_set_err(err, errlen, "%s: refusing a state %s writable by group or others (mode %04o); "
			"run chmod go-w %s", path, what, (unsigned)(st->st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

int ctw_state_load(struct ctw_state *s, const char *state_dir, char *err, size_t errlen)
{
	char why[256] = "";
	struct stat st;
	char *text = NULL;
	ssize_t len;
	int dfd, fd, r;

	reset(s);
	s->mtime = 0;
	r = set_paths(s, state_dir);
	if (r < 0) {
		ctw_set_err(err, errlen, "%s/%s: path too long", state_dir, CTW_STATE_FILE_NAME);
		return r;
	}
	dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT)
		return 0;
	if (dfd < 0) {
		r = -errno;
		ctw_set_err(err, errlen, "%s: %s", s->dir, strerror(-r));
		return r;
	}
	if (fstat(dfd, &st) < 0) {
		r = -errno;
		ctw_set_err(err, errlen, "%s: %s", s->dir, strerror(-r));
		close(dfd);
		return r;
	}
	r = check_trusted(&st, "directory", s->dir, err, errlen);
	if (r < 0) {
		close(dfd);
		return r;
	}
	/* No symlinks, no FIFO: the file decides what gets written into the kernel. */
	fd = ctw_open_untrusted(dfd, CTW_STATE_FILE_NAME, CTW_OPEN_NOFOLLOW, &st);
	close(dfd);
	if (fd == -ENOENT)
		return 0;
	if (fd == -EINVAL) {
		ctw_set_err(err, errlen, "%s: not a regular file (%s)", s->path, ctw_file_kind(st.st_mode));
		return fd;
	}
	if (fd < 0) {
		ctw_set_err(err, errlen, "%s: %s", s->path, fd == -ELOOP ? "a symlink, refused" : strerror(-fd));
		return fd;
	}
	r = check_trusted(&st, "file", s->path, err, errlen);
	if (r < 0)
		goto out;
	if (st.st_size > STATE_FILE_MAX) {
		r = -EFBIG;
		ctw_set_err(err, errlen, "%s: larger than %d bytes, not a ctwarden state file", s->path, STATE_FILE_MAX);
		goto out;
	}
	text = malloc(STATE_FILE_MAX + 1);
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	len = ctw_read_all(fd, text, STATE_FILE_MAX + 1);
	if (len < 0) {
		r = (int)len;
		ctw_set_err(err, errlen, "%s: %s", s->path, strerror(-r));
		goto out;
	}
	if (len > STATE_FILE_MAX) {
		r = -EFBIG;
		ctw_set_err(err, errlen, "%s: larger than %d bytes, not a ctwarden state file", s->path, STATE_FILE_MAX);
		goto out;
	}
	r = ctw_state_parse(s, text, (size_t)len, why, sizeof(why));
	if (r < 0)
		ctw_set_err(err, errlen, "%s: %s; fix or remove it (it holds the original knob values)",
			s->path, why);
	else
		s->mtime = st.st_mtime;
out:
	free(text);
	close(fd);
	if (r < 0)
		reset(s);
	return r;
}

int ctw_state_save(const struct ctw_state *s, char *err, size_t errlen)
{
	const char *step = "formatting the state";
	char *text;
	int len, r;

	text = malloc(STATE_FILE_MAX);
	if (!text) {
		ctw_set_err(err, errlen, "%s: out of memory", s->path);
		return -ENOMEM;
	}
	len = ctw_state_format(s, text, STATE_FILE_MAX);
	r = len < 0 ? len : 0;
	if (r == 0) {
		step = "creating the directory";
		r = ctw_mkdir_p(s->dir, 0700);
	}
	/* mode 0600 whatever the umask; the old file stays until the rename. */
	if (r == 0)
		r = ctw_write_file_atomic(s->dir, CTW_STATE_FILE_NAME, text, (size_t)len, 0600, &step);
	free(text);
	if (r < 0)
		ctw_set_err(err, errlen, "%s: %s: %s", s->path, step, strerror(-r));
	return r;
}

int ctw_state_clear(struct ctw_state *s, char *err, size_t errlen)
{
	int dfd;

	s->n = 0;
	s->n_netns = 0;
	if (unlink(s->path) < 0) {
		int r = -errno;
		if (r == -ENOENT)
			return 0;
		ctw_set_err(err, errlen, "%s: cannot remove: %s", s->path, strerror(-r));
		return r;
	}
	dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
