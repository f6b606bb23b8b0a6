/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pod names from /var/log/pods/<namespace>_<name>_<uid>. */
#include "kernel/pod_name.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>

/* Namespaces are DNS labels (a-z, 0-9, '-', at most 63); pod names DNS
 * subdomains (also '.', at most 253). Neither holds '_', which is what makes
 * the kubelet's "<namespace>_<name>_<uid>" unambiguous. */
static bool dns_name(const char *s, size_t len, size_t max, bool dots)
{
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (dots && c == '.')))
			return false;
	}
	return true;
}

static bool copy_out(char *dst, size_t dstlen, const char *src, size_t len)
{
	if (len >= dstlen)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

bool ctw_pod_log_entry_match(const char *entry, size_t len, const char *uid, char *ns, size_t nslen, char *pod,
			     size_t podlen)
{
	const char *first, *last;
	size_t uidlen = strlen(uid);

	len = strnlen(entry, len);
	first = memchr(entry, '_', len);
	if (!first || uidlen == 0)
		return false;
	last = memrchr(entry, '_', len);
	if (last == first)
		return false;
	/* The UID must be the whole last part: no prefix or suffix matches. */
	if ((size_t)(entry + len - (last + 1)) != uidlen || memcmp(last + 1, uid, uidlen) != 0)
		return false;
	if (!dns_name(entry, (size_t)(first - entry), 63, false) ||
	    !dns_name(first + 1, (size_t)(last - first - 1), 253, true))
		return false;
	return copy_out(ns, nslen, entry, (size_t)(first - entry)) &&
	       copy_out(pod, podlen, first + 1, (size_t)(last - first - 1));
}

int ctw_pod_lookup(const char *log_dir, const char *uid, char *ns, size_t nslen, char *pod, size_t podlen)
{
	struct dirent *de;
	DIR *dir = opendir(log_dir);
	int r = -ENOENT;

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (ctw_pod_log_entry_match(de->d_name, strlen(de->d_name), uid, ns, nslen, pod, podlen)) {
			r = 0;
			break;
		}
	}
	closedir(dir);
	return r;
}
