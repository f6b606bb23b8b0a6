/* The state file: original knob values, saved atomically. */
#include "daemon/statefile.h"

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

#define STATE_FILE_MAX (64 * 1024)  /* a real one is a few KiB at most */

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Sysctl names ("net.netfilter.nf_conntrack_max"): dotted words, nothing
 * that could pass for a path or break a message. */
static bool valid_name(const char *name)
{
	char prev = '.';

	for (const char *c = name; *c; c++) {
		bool word = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			    (*c >= '0' && *c <= '9') || *c == '_' || *c == '-';
		if (!word && (*c != '.' || prev == '.'))
			return false;
		prev = *c;
	}
	return prev != '.';  /* also refuses "" */
}

static struct ctw_state_original *find(const struct ctw_state *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->originals[i].name, name) == 0)
			return (struct ctw_state_original *)&s->originals[i];
	return NULL;
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

	if (!valid_name(name))
		return -EINVAL;
	if (strlen(name) >= CTW_STATE_NAME_MAX)
		return -ENAMETOOLONG;
	if (value > INT64_MAX)
		return -ERANGE;  /* JSON integers are int64 in json-c */
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

/* ---- JSON ------------------------------------------------------------- */

int ctw_state_format(const struct ctw_state *s, char *buf, size_t len)
{
	json_object *root = json_object_new_object();
	json_object *originals = json_object_new_object();
	const char *text;
	size_t n;
	int r = -ENOMEM;

	if (!root || !originals)
		goto out;
	json_object_object_add(root, "version", json_object_new_int(CTW_STATE_VERSION));
	json_object_object_add(root, "originals", originals);
	for (size_t i = 0; i < s->n; i++) {
		json_object *o = json_object_new_object();

		if (!o)
			goto out_root;
		json_object_object_add(o, "value", json_object_new_int64((int64_t)s->originals[i].value));
		json_object_object_add(o, "changed_at", json_object_new_int64((int64_t)s->originals[i].changed_at));
		json_object_object_add(originals, s->originals[i].name, o);
	}
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text)
		goto out_root;
	n = strlen(text);
	if (n + 2 > len) {
		r = -ENOBUFS;
		goto out_root;
	}
	memcpy(buf, text, n);
	buf[n++] = '\n';
	buf[n] = '\0';
	r = (int)n;
out_root:
	json_object_put(root);
	return r;
out:
	json_object_put(root);
	json_object_put(originals);
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

static int parse_originals(struct ctw_state *s, json_object *originals, char *err, size_t errlen)
{
	json_object_object_foreach(originals, name, entry) {
		int64_t value, changed_at;
		int r;

		if (!json_object_is_type(entry, json_type_object) ||
		    !get_int64(entry, "value", &value) || !get_int64(entry, "changed_at", &changed_at)) {
			set_err(err, errlen, "\"%.*s\" needs \"value\" and \"changed_at\" as non-negative integers",
				CTW_STATE_NAME_MAX, name);
			return -EBADMSG;
		}
		if (find(s, name)) {
			set_err(err, errlen, "\"%.*s\" appears twice", CTW_STATE_NAME_MAX, name);
			return -EBADMSG;
		}
		r = add_original(s, name, (uint64_t)value, (time_t)changed_at);
		if (r == -ENOSPC) {
			set_err(err, errlen, "more than %d knobs", CTW_STATE_MAX_ENTRIES);
			return -EBADMSG;
		}
		if (r < 0) {
			set_err(err, errlen, "\"%.*s\" is not a sysctl name", CTW_STATE_NAME_MAX, name);
			return -EBADMSG;
		}
	}
	return 0;
}

static size_t parse_end(struct json_tokener *tok)
{
#if JSON_C_VERSION_NUM >= ((0 << 16) | (15 << 8))
	return json_tokener_get_parse_end(tok);
#else
	return (size_t)tok->char_offset;
#endif
}

int ctw_state_parse(struct ctw_state *s, const char *text, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok;
	json_object *root, *version, *originals;
	enum json_tokener_error jerr;
	int r = -EBADMSG;

	s->n = 0;
	if (len > INT32_MAX) {
		set_err(err, errlen, "too large");
		return -EBADMSG;
	}
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!root || jerr != json_tokener_success) {
		/* A truncated file (json_tokener_continue) is as bad as junk. */
		set_err(err, errlen, "not valid JSON (%s at byte %zu)",
			jerr == json_tokener_continue ? "unexpected end" : json_tokener_error_desc(jerr),
			parse_end(tok));
		goto out;
	}
	for (size_t i = parse_end(tok); i < len; i++) {
		if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r') {
			set_err(err, errlen, "unexpected data after the JSON object at byte %zu", i);
			goto out;
		}
	}
	if (!json_object_is_type(root, json_type_object)) {
		set_err(err, errlen, "not a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(root, "version", &version) ||
	    !json_object_is_type(version, json_type_int) ||
	    json_object_get_int64(version) != CTW_STATE_VERSION) {
		set_err(err, errlen, "\"version\" is not %d", CTW_STATE_VERSION);
		goto out;
	}
	if (!json_object_object_get_ex(root, "originals", &originals) ||
	    !json_object_is_type(originals, json_type_object)) {
		set_err(err, errlen, "\"originals\" is missing or not an object");
		goto out;
	}
	r = parse_originals(s, originals, err, errlen);
out:
	if (r < 0)
		s->n = 0;
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

int ctw_state_load(struct ctw_state *s, const char *state_dir, char *err, size_t errlen)
{
	char why[256] = "";
	struct stat st;
	char *text = NULL;
	ssize_t len;
	int fd, r;

	s->n = 0;
	r = set_paths(s, state_dir);
	if (r < 0) {
		set_err(err, errlen, "%s/%s: path too long", state_dir, CTW_STATE_FILE_NAME);
		return r;
	}
	/* No symlinks: the file decides what gets written into the kernel. */
	fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		r = -errno;
		set_err(err, errlen, "%s: %s", s->path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		set_err(err, errlen, "%s: %s", s->path, strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EBADMSG;
		set_err(err, errlen, "%s: not a regular file", s->path);
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		r = -EPERM;
		set_err(err, errlen, "%s: writable by group or others (mode %04o), refusing to trust it",
			s->path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > STATE_FILE_MAX) {
		r = -EFBIG;
		set_err(err, errlen, "%s: larger than %d bytes, not a ctwarden state file", s->path, STATE_FILE_MAX);
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
		set_err(err, errlen, "%s: %s", s->path, strerror(-r));
		goto out;
	}
	if (len > STATE_FILE_MAX) {
		r = -EFBIG;
		set_err(err, errlen, "%s: larger than %d bytes, not a ctwarden state file", s->path, STATE_FILE_MAX);
		goto out;
	}
	r = ctw_state_parse(s, text, (size_t)len, why, sizeof(why));
	if (r < 0)
		set_err(err, errlen, "%s: %s; fix or remove it (it holds the original knob values)",
			s->path, why);
out:
	free(text);
	close(fd);
	if (r < 0)
		s->n = 0;
	return r;
}

static int open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		int r = ctw_mkdir_p(dir, 0700);

		if (r < 0)
			return r;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

int ctw_state_save(const struct ctw_state *s, char *err, size_t errlen)
{
	char text[STATE_FILE_MAX];
	char tmp[CTW_STATE_PATH_MAX + 32];
	const char *step;
	int len, dfd, fd = -1, r;

	len = ctw_state_format(s, text, sizeof(text));
	if (len < 0) {
		set_err(err, errlen, "%s: cannot format the state: %s", s->path, strerror(-len));
		return len;
	}
	dfd = open_dir(s->dir);
	if (dfd < 0) {
		set_err(err, errlen, "%s: cannot open the directory %s: %s", s->path, s->dir, strerror(-dfd));
		return dfd;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", s->dir, CTW_STATE_FILE_NAME) >= sizeof(tmp)) {
		r = -ENAMETOOLONG;
		step = "naming a temp file";
		goto fail;
	}
	step = "creating a temp file";
	fd = mkostemp(tmp, O_CLOEXEC);  /* mode 0600 whatever the umask */
	if (fd < 0) {
		r = -errno;
		tmp[0] = '\0';
		goto fail;
	}
	step = "writing the temp file";
	r = ctw_write_all(fd, text, (size_t)len);
	if (r < 0)
		goto fail;
	step = "syncing the temp file";
	if (fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	step = "closing the temp file";
	r = close(fd);
	fd = -1;
	if (r < 0) {
		r = -errno;
		goto fail;
	}
	step = "renaming the temp file over it";
	if (rename(tmp, s->path) < 0) {
		r = -errno;
		goto fail;
	}
	tmp[0] = '\0';
	/* Make the rename itself durable; the new content is in place either way. */
	step = "syncing the directory";
	if (fsync(dfd) < 0) {
		r = -errno;
		goto fail;
	}
	close(dfd);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (tmp[0])
		unlink(tmp);
	close(dfd);
	set_err(err, errlen, "%s: %s: %s", s->path, step, strerror(-r));
	return r;
}

int ctw_state_clear(struct ctw_state *s, char *err, size_t errlen)
{
	int dfd;

	s->n = 0;
	if (unlink(s->path) < 0) {
		int r = -errno;
		if (r == -ENOENT)
			return 0;
		set_err(err, errlen, "%s: cannot remove: %s", s->path, strerror(-r));
		return r;
	}
	dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}
