#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# LOG_COMPILER of the cmocka unit tests (Makefile.am): runs one test program
# with TAP output, so that automake's tap-driver.sh records each case on its
# own, and a skipped case as SKIP, not as the PASS its exit code 0 would give.
# cmocka 1.1 prints a skipped case as "not ok N # SKIP name", which TAP (and
# tap-driver.sh) read as a failure, and has no reason for it: the line becomes
# "ok N - name # SKIP reason", the reason from the "skip: ..." line the case
# printed just before (tests/unit/skip_because.h). The exit code is the
# program's: cmocka exits with the number of failed cases, and tap-driver.sh
# reports a non-zero exit (a crash, an abort) as an ERROR of its own.
set -o pipefail
[ $# -ge 1 ] || { echo "usage: cmocka-tap.sh TEST-PROGRAM [ARG...]" >&2; exit 99; }
CMOCKA_MESSAGE_OUTPUT=TAP
export CMOCKA_MESSAGE_OUTPUT
# The TAP lines cmocka prints, skips rewritten (in a variable: a crash report
# of bash names the pipeline, not the whole program).
fold_skips='
	/^skip: / { reason = substr($0, 7); print "# " $0; next }
	/^(not )?ok [0-9]+ # SKIP/ {
		line = $0
		sub(/^(not )?ok /, "", line)
		n = line; sub(/ .*/, "", n)
		name = line; sub(/^[0-9]+ # SKIP[ \t]*/, "", name)
		if (reason == "") reason = "no reason given (use skip_because)"
		printf "ok %s - %s # SKIP %s\n", n, name, reason
		reason = ""
		next
	}
	/^(not )?ok [0-9]+/ { reason = "" }
	{ print }'
"$@" | awk "$fold_skips"
