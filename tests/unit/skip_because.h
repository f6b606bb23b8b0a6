/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A skipped cmocka case says why. cmocka 1.1's skip() takes no reason, so the
 * reason goes out first as a "skip: ..." line, which tests/tools/cmocka-tap.sh
 * folds into the case's TAP line: make check then shows
 * "SKIP: tests/unit/test_x 3 - case # SKIP the reason". Include after cmocka.h.
 * Skip only where the machine lacks what the case needs (root, a kernel
 * feature), never because the code under test failed. */
#ifndef CTW_TEST_SKIP_BECAUSE_H
#define CTW_TEST_SKIP_BECAUSE_H

#include <stdio.h>

#define skip_because(fmt, ...)                                          \
	do {                                                            \
		print_message("skip: " fmt "\n", ##__VA_ARGS__);        \
		fflush(stdout);                                         \
		skip();                                                 \
	} while (0)

#endif
