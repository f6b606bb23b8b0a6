/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Container names from a process's cgroup path. */
#include "kernel/netns_name.h"

#include <stdio.h>
#include <string.h>

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* The id right after prefix in [p, end): at least 12 hex digits. */
static bool hex_id_after(const char *p, const char *end, const char *prefix, char *id, size_t idlen)
{
	size_t plen = strlen(prefix), n = 0;
	const char *q;

	for (q = p; q + plen <= end; q++) {
		if (memcmp(q, prefix, plen) != 0)
			continue;
		for (n = 0; q + plen + n < end && is_hex(q[plen + n]); n++)
			;
		if (n >= 12) {
			snprintf(id, idlen, "%.12s", q + plen);
			return true;
		}
	}
	return false;
}

/* A name made of [A-Za-z0-9._-] right after prefix, up to a '/' or the end. */
static bool word_after(const char *p, const char *end, const char *prefix, char *out, size_t outlen,
		       bool dash_to_underscore_uid)
{
	size_t plen = strlen(prefix), n;
	const char *q;

	for (q = p; q + plen <= end; q++) {
		if (memcmp(q, prefix, plen) != 0)
			continue;
		q += plen;
		for (n = 0; q + n < end && n + 1 < outlen; n++) {
			char c = q[n];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      c == '-' || c == '_' || (c == '.' && !dash_to_underscore_uid)))
				break;
			/* systemd escapes a pod UID's dashes as underscores. */
			out[n] = dash_to_underscore_uid && c == '_' ? '-' : c;
		}
		out[n] = '\0';
		return n > 0;
	}
	return false;
}

/* prefix + id, cut to fit. */
static void set_name(char *name, size_t namelen, const char *prefix, const char *id)
{
	size_t p = strlen(prefix), i = strlen(id);

	if (p >= namelen)
		p = namelen - 1;
	memcpy(name, prefix, p);
	if (i > namelen - 1 - p)
		i = namelen - 1 - p;
	memcpy(name + p, id, i);
	name[p + i] = '\0';
}

bool ctw_netns_name_from_cgroup(const char *text, size_t len, char *name, size_t namelen)
{
	const char *end = text + strnlen(text, len);
	char id[64];

	if (namelen == 0)
		return false;
	name[0] = '\0';
	/* A pod first: under kubepods, a docker-<id>.scope is one of its
	 * containers (cri-dockerd), and the pod is what the operator knows. */
	if (memmem(text, (size_t)(end - text), "kubepods", 8) && word_after(text, end, "-pod", id, sizeof(id), true))
		set_name(name, namelen, "pod ", id);
	else if (memmem(text, (size_t)(end - text), "kubepods", 8) && word_after(text, end, "/pod", id, sizeof(id), false))
		set_name(name, namelen, "pod ", id);
	else if (hex_id_after(text, end, "docker-", id, sizeof(id)) || hex_id_after(text, end, "/docker/", id, sizeof(id)))
		set_name(name, namelen, "docker ", id);
	else if (hex_id_after(text, end, "libpod-", id, sizeof(id)))
		set_name(name, namelen, "podman ", id);
	else if (word_after(text, end, "lxc.payload.", id, sizeof(id), false))
		set_name(name, namelen, "lxc ", id);
	return name[0] != '\0';
}

bool ctw_netns_name_pod(const char *name, char *ns, size_t nslen, char *pod, size_t podlen)
{
	const char *slash;
	size_t n;

	if (strncmp(name, "pod ", 4) != 0 || !(slash = strchr(name + 4, '/')))
		return false;
	n = (size_t)(slash - (name + 4));
	if (n == 0 || n >= nslen || slash[1] == '\0' || strlen(slash + 1) >= podlen)
		return false;
	memcpy(ns, name + 4, n);
	ns[n] = '\0';
	memcpy(pod, slash + 1, strlen(slash + 1) + 1);
	return true;
}
