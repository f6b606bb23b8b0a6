/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz pod names from entries of the kubelet's /var/log/pods. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/netns_name.h"
#include "kernel/pod_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *uid = "0a1b2c3d-1111-2222-3333-444455556666";
	char ns[64], pod[256], small[4], name[64 + 4 + 256];
	char *entry = malloc(size + 1);
	size_t len;

	if (!entry)
		return 0;
	memcpy(entry, data, size);
	entry[size] = '\0';
	len = strlen(entry);

	if (ctw_pod_log_entry_match(entry, size, uid, ns, sizeof(ns), pod, sizeof(pod))) {
		/* Only an exact UID after the last '_', with both parts non-empty. */
		if (len < strlen(uid) + 4 || strcmp(entry + len - strlen(uid), uid) != 0 ||
		    entry[len - strlen(uid) - 1] != '_' || !ns[0] || !pod[0] || strchr(ns, '_') || strchr(pod, '_'))
			abort();
		/* What the daemon makes of it splits back into the same parts. */
		char ns2[64], pod2[256];

		memcpy(name, "pod ", 4);
		strcpy(name + 4, ns);
		strcat(name, "/");
		strcat(name, pod);
		if (!ctw_netns_name_pod(name, ns2, sizeof(ns2), pod2, sizeof(pod2)) || strcmp(ns, ns2) != 0 ||
		    strcmp(pod, pod2) != 0)
			abort();
	}
	/* The UID itself as the input: any entry may be asked about any UID. */
	if (len > 0 && len < 128) {
		char uid2[128];

		memcpy(uid2, entry, len);
		uid2[len] = '\0';
		(void)ctw_pod_log_entry_match("kube-system_coredns-1_x", 23, uid2, ns, sizeof(ns), pod, sizeof(pod));
	}
	if (ctw_pod_log_entry_match(entry, size, uid, small, sizeof(small), pod, sizeof(pod)) && strlen(small) >= sizeof(small))
		abort();
	if (ctw_netns_name_pod(entry, small, sizeof(small), pod, sizeof(pod)) && strlen(small) >= sizeof(small))
		abort();
	free(entry);
	return 0;
}
