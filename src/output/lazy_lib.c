/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loading a shared library on first use: output/lazy_lib.h. */
#include "output/lazy_lib.h"

#include <dlfcn.h>
#include <stdio.h>

void *ctw_lazy_symbol(struct ctw_lazy_lib *lib, const char *name)
{
	void *fn;

	if (!lib->tried) {
		lib->tried = true;
		lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
		if (!lib->handle)
			fprintf(stderr, "ctwarden: cannot load %s: %s\n", lib->soname, dlerror());
	}
	if (!lib->handle)
		return NULL;
	fn = dlsym(lib->handle, name);
	if (!fn)
		fprintf(stderr, "ctwarden: %s has no %s (too old?)\n", lib->soname, name);
	return fn;
}
