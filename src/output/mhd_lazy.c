/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libmicrohttpd, loaded when the HTTP endpoint starts rather than at every
 * start of ctwarden (the way sd_lazy.c loads libsystemd).
 *
 * libmicrohttpd pulls in GnuTLS and its seven libraries (p11-kit, idn2,
 * unistring, tasn1, nettle, hogweed, gmp), with their initialisers: linked
 * normally, a program that only returns from main() took 4.1 ms instead of
 * 1.7 ms here (hyperfine, 300 runs, load average 3.5), and every `ctwarden
 * audit` would pay that although only `ctwarden run` with [metrics] listen
 * set serves HTTP.
 *
 * Each function has the prototype of <microhttpd.h> (the compiler checks
 * them) and forwards to the real one, looked up once. A function the
 * endpoint starts to use must be added here: the link fails with "undefined
 * reference to MHD_..." until it is. When the library cannot be loaded,
 * MHD_start_daemon returns NULL (the endpoint says it could not start) and
 * the reason is said once on stderr (the journal under systemd). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "output/lazy_lib.h"

#define LIBMICROHTTPD_SONAME "libmicrohttpd.so.12"

static struct ctw_lazy_lib lib = { .soname = LIBMICROHTTPD_SONAME };

static void *lazy_symbol(const char *name)
{
	return ctw_lazy_symbol(&lib, name);
}

/* X(return type, name, (parameters), (arguments), value when unavailable) */
#define MHD_LAZY_FUNCTIONS(X) \
	X(struct MHD_Daemon *, MHD_start_daemon_va, \
	  (unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls, \
	   MHD_AccessHandlerCallback dh, void *dh_cls, va_list ap), \
	  (flags, port, apc, apc_cls, dh, dh_cls, ap), NULL) \
	X(enum MHD_Result, MHD_run, (struct MHD_Daemon *daemon), (daemon), MHD_NO) \
	X(enum MHD_Result, MHD_get_timeout, (struct MHD_Daemon *daemon, MHD_UNSIGNED_LONG_LONG *timeout), \
	  (daemon, timeout), MHD_NO) \
	X(const char *, MHD_lookup_connection_value, \
	  (struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key), (connection, kind, key), \
	  NULL) \
	X(struct MHD_Response *, MHD_create_response_from_buffer, \
	  (size_t size, void *buffer, enum MHD_ResponseMemoryMode mode), (size, buffer, mode), NULL) \
	X(enum MHD_Result, MHD_add_response_header, \
	  (struct MHD_Response *response, const char *header, const char *content), (response, header, content), \
	  MHD_NO) \
	X(enum MHD_Result, MHD_queue_response, \
	  (struct MHD_Connection *connection, unsigned int status_code, struct MHD_Response *response), \
	  (connection, status_code, response), MHD_NO)

#define MHD_LAZY_DEFINE(type, name, params, args, unavailable) \
	CTW_LAZY_DEFINE(lazy_symbol, type, name, params, args, unavailable)

MHD_LAZY_FUNCTIONS(MHD_LAZY_DEFINE)

/* void: no value when unavailable. */
#define MHD_LAZY_DEFINE_VOID(name, params, args) \
	void name params \
	{ \
		static void (*fn) params; \
		if (!fn) \
			fn = (void (*) params)lazy_symbol(#name); \
		if (fn) \
			fn args; \
	}

MHD_LAZY_DEFINE_VOID(MHD_stop_daemon, (struct MHD_Daemon *daemon), (daemon))
MHD_LAZY_DEFINE_VOID(MHD_destroy_response, (struct MHD_Response *response), (response))

/* Variadic: forwarded to the _va form. */
struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
				    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	va_start(ap, dh_cls);
	d = MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

/* Variadic in the header, but the query the endpoint makes
 * (MHD_DAEMON_INFO_EPOLL_FD) takes no further argument. */
const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *daemon, enum MHD_DaemonInfoType info_type, ...)
{
	static const union MHD_DaemonInfo *(*fn)(struct MHD_Daemon *, enum MHD_DaemonInfoType, ...);

	if (!fn)
		fn = (const union MHD_DaemonInfo *(*)(struct MHD_Daemon *, enum MHD_DaemonInfoType, ...))
			lazy_symbol("MHD_get_daemon_info");
	return fn ? fn(daemon, info_type) : NULL;
}
