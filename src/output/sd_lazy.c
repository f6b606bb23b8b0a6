/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libsystemd, loaded when the daemon first calls it rather than at every start.
 *
 * Only the daemon (`ctwarden run`, and `restore` when it logs to the journal)
 * calls libsystemd. Linked normally, every `ctwarden audit` paid for loading
 * it and the six libraries it pulls in (libcap, libgcrypt, libgpg-error,
 * liblzma, libzstd, liblz4), all bound at load time (libsystemd is linked
 * -z now): half the start-up of an audit that is meant to run every scrape
 * (docs/bench-audit.md). systemd does the same for its own optional
 * libraries (dlopen_many_sym_or_warn).
 *
 * Each function below has the prototype of the systemd header it comes from
 * (the compiler checks them) and forwards to the real one, looked up once.
 * A function the daemon starts to use must be added to the list: the link
 * fails with "undefined reference to sd_..." until it is.
 * When the library cannot be loaded, every call fails with -EOPNOTSUPP (or
 * NULL) and the first failure is said on stderr (the journal under systemd).
 * The handle and pointers are process-wide like the dynamic linker's own
 * bindings: resolved once, never changed. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "output/lazy_lib.h"

#define LIBSYSTEMD_SONAME "libsystemd.so.0"

static struct ctw_lazy_lib lib = { .soname = LIBSYSTEMD_SONAME };

static void *lazy_symbol(const char *name)
{
	return ctw_lazy_symbol(&lib, name);
}

/* X(return type, name, (parameters), (arguments), value when unavailable) */
#define SD_LAZY_FUNCTIONS(X) \
	X(int, sd_event_default, (sd_event **e), (e), -EOPNOTSUPP) \
	X(sd_event *, sd_event_unref, (sd_event *e), (e), NULL) \
	X(sd_event *, sd_event_ref, (sd_event *e), (e), NULL) \
	X(int, sd_event_add_time, \
	  (sd_event *e, sd_event_source **s, clockid_t clock, uint64_t usec, uint64_t accuracy, \
	   sd_event_time_handler_t callback, void *userdata), \
	  (e, s, clock, usec, accuracy, callback, userdata), -EOPNOTSUPP) \
	X(int, sd_event_source_set_time, (sd_event_source *s, uint64_t usec), (s, usec), -EOPNOTSUPP) \
	X(int, sd_event_source_set_priority, (sd_event_source *s, int64_t priority), (s, priority), -EOPNOTSUPP) \
	X(int, sd_event_loop, (sd_event *e), (e), -EOPNOTSUPP) \
	X(int, sd_event_now, (sd_event *e, clockid_t clock, uint64_t *usec), (e, clock, usec), -EOPNOTSUPP) \
	X(int, sd_event_set_watchdog, (sd_event *e, int b), (e, b), -EOPNOTSUPP) \
	X(int, sd_event_add_io, \
	  (sd_event *e, sd_event_source **s, int fd, uint32_t events, sd_event_io_handler_t callback, void *userdata), \
	  (e, s, fd, events, callback, userdata), -EOPNOTSUPP) \
	X(int, sd_event_add_time_relative, \
	  (sd_event *e, sd_event_source **s, clockid_t clock, uint64_t usec, uint64_t accuracy, \
	   sd_event_time_handler_t callback, void *userdata), \
	  (e, s, clock, usec, accuracy, callback, userdata), -EOPNOTSUPP) \
	X(int, sd_event_add_signal, \
	  (sd_event *e, sd_event_source **s, int sig, sd_event_signal_handler_t callback, void *userdata), \
	  (e, s, sig, callback, userdata), -EOPNOTSUPP) \
	X(int, sd_event_add_inotify, \
	  (sd_event *e, sd_event_source **s, const char *path, uint32_t mask, sd_event_inotify_handler_t callback, \
	   void *userdata), \
	  (e, s, path, mask, callback, userdata), -EOPNOTSUPP) \
	X(sd_event_source *, sd_event_source_unref, (sd_event_source *s), (s), NULL) \
	X(sd_event_source *, sd_event_source_disable_unref, (sd_event_source *s), (s), NULL) \
	X(int, sd_event_source_set_enabled, (sd_event_source *s, int enabled), (s, enabled), -EOPNOTSUPP) \
	X(int, sd_event_source_get_enabled, (sd_event_source *s, int *enabled), (s, enabled), -EOPNOTSUPP) \
	X(int, sd_event_source_set_io_fd_own, (sd_event_source *s, int own), (s, own), -EOPNOTSUPP) \
	X(int, sd_event_source_set_time_relative, (sd_event_source *s, uint64_t usec), (s, usec), -EOPNOTSUPP) \
	X(int, sd_event_add_defer, (sd_event *e, sd_event_source **s, sd_event_handler_t callback, void *userdata), \
	  (e, s, callback, userdata), -EOPNOTSUPP) \
	X(int, sd_event_source_set_ratelimit, (sd_event_source *s, uint64_t interval_usec, unsigned burst), \
	  (s, interval_usec, burst), -EOPNOTSUPP) \
	X(int, sd_notify, (int unset_environment, const char *state), (unset_environment, state), -EOPNOTSUPP) \
	X(int, sd_journal_sendv_with_location, \
	  (const char *file, const char *line, const char *func, const struct iovec *iov, int n), \
	  (file, line, func, iov, n), -EOPNOTSUPP)

#define SD_LAZY_DEFINE(type, name, params, args, unavailable) \
	CTW_LAZY_DEFINE(lazy_symbol, type, name, params, args, unavailable)

SD_LAZY_FUNCTIONS(SD_LAZY_DEFINE)

/* Variadic: format here, then the plain sd_notify. */
int sd_notifyf(int unset_environment, const char *format, ...)
{
	char *state = NULL;
	va_list ap;
	int r;

	va_start(ap, format);
	r = vasprintf(&state, format, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = sd_notify(unset_environment, state);
	free(state);
	return r;
}
