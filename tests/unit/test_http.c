/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The endpoint's routing: which answer each request gets before health or
 * metrics are looked at. Expected codes are RFC 9110's for each case. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "output/http.h"

static void test_route(void **state)
{
	static const struct {
		const char *method, *url;
		bool body;
		unsigned code;
		enum ctw_http_path path;
	} cases[] = {
		{ "GET", "/metrics", false, 200, CTW_HTTP_METRICS },
		{ "HEAD", "/metrics", false, 200, CTW_HTTP_METRICS },
		{ "GET", "/healthz", false, 200, CTW_HTTP_HEALTHZ },
		{ "HEAD", "/healthz", false, 200, CTW_HTTP_HEALTHZ },
		{ "GET", "/", false, 404, CTW_HTTP_OTHER },
		{ "GET", "/metrics/", false, 404, CTW_HTTP_OTHER },
		{ "GET", "/Metrics", false, 404, CTW_HTTP_OTHER },
		{ "GET", "/healthz/../metrics", false, 404, CTW_HTTP_OTHER },
		{ "POST", "/metrics", false, 405, CTW_HTTP_METRICS },
		{ "PUT", "/healthz", true, 405, CTW_HTTP_HEALTHZ },    /* the method is wrong first */
		{ "DELETE", "/", false, 405, CTW_HTTP_OTHER },
		{ "OPTIONS", "/metrics", false, 405, CTW_HTTP_METRICS },
		{ "get", "/metrics", false, 405, CTW_HTTP_METRICS },   /* methods are case-sensitive */
		{ "GET", "/metrics", true, 413, CTW_HTTP_METRICS },
		{ "GET", "/nothing", true, 413, CTW_HTTP_OTHER },
	};
	enum ctw_http_path path;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum ctw_http_code c = ctw_http_route(cases[i].method, cases[i].url, cases[i].body, &path);

		if (ctw_http_code_number(c) != cases[i].code || path != cases[i].path)
			fail_msg("%s %s%s: %u (path %d), want %u (path %d)", cases[i].method, cases[i].url,
				 cases[i].body ? " with a body" : "", ctw_http_code_number(c), path, cases[i].code,
				 cases[i].path);
	}
}

/* A path up to the bound is routed; one byte more is 414. */
static void test_path_bound(void **state)
{
	char url[CTW_HTTP_PATH_MAX + 2];
	enum ctw_http_path path;

	(void)state;
	memset(url, 'a', sizeof(url));
	url[0] = '/';
	url[CTW_HTTP_PATH_MAX] = '\0';
	assert_int_equal(ctw_http_code_number(ctw_http_route("GET", url, false, &path)), 404);
	url[CTW_HTTP_PATH_MAX] = 'a';
	url[CTW_HTTP_PATH_MAX + 1] = '\0';
	assert_int_equal(ctw_http_code_number(ctw_http_route("GET", url, false, &path)), 414);
	assert_int_equal(path, CTW_HTTP_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_path_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
