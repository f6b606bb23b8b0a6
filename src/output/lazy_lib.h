/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A shared library loaded on first use (sd_lazy.c, mhd_lazy.c): dlopen once,
 * the reason said once on stderr when it cannot be loaded, and a forwarder
 * per function that looks its symbol up once. */
#ifndef CTW_OUTPUT_LAZY_LIB_H
#define CTW_OUTPUT_LAZY_LIB_H

#include <stdbool.h>

struct ctw_lazy_lib {
	const char *soname;    /* "libsystemd.so.0" */
	void *handle;
	bool tried;
};

/* name's address in lib, loading lib on the first call; NULL (said on
 * stderr) when lib or the symbol is missing. */
void *ctw_lazy_symbol(struct ctw_lazy_lib *lib, const char *name);

/* A forwarder with the header's prototype: type name params, calling the
 * real function through lookup(#name) with args, or returning unavailable.
 * For the X-macro lists of the lazy files:
 * X(return type, name, (parameters), (arguments), value when unavailable). */
#define CTW_LAZY_DEFINE(lookup, type, name, params, args, unavailable) \
	type name params \
	{ \
		static type (*fn) params; \
		if (!fn) \
			fn = (type (*) params)lookup(#name); \
		return fn ? fn args : (unavailable); \
	}

#endif
