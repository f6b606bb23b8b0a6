#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The flakiness check, run by `make check-repeat N=5 TESTS="tests/root/test-x.sh ..."`
# from a build directory: runs `make check` on those tests N times in a row
# (default 5), keeps the log of every failed run in check-repeat/, and ends by
# naming each test that failed at least once, with how often; exit 1 then.
# A test that passes 4 times in 5 is broken, not lucky: a race, a wait that
# hopes, a leftover of an earlier run (docs/testing.md).
set -u
runs=${N:-5}
make=${MAKE:-make}
keep=check-repeat

if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
	echo "check-repeat: N must be a count of runs, not '$runs'" >&2
	exit 2
fi
if [ $# -eq 0 ]; then
	echo "check-repeat: no tests: make check-repeat N=5 TESTS=\"tests/root/test-x.sh ...\"" >&2
	exit 2
fi
rm -rf "$keep"
mkdir -p "$keep"

declare -A failed_runs=()
for ((i = 1; i <= runs; i++)); do
	# Only this run's results count: an earlier run's .trs must not stand in
	# for a test that did not run this time.
	for t in "$@"; do rm -f "${t%.sh}.trs" "${t%.sh}.log"; done
	$make check TESTS="$*" >"$keep/run$i.out" 2>&1
	rc=$?
	bad=0
	for t in "$@"; do
		base=${t%.sh}
		if [ ! -f "$base.trs" ]; then
			what="left no result (not built or not run)"
		elif grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$base.trs"; then
			what="FAILED"
		elif ! grep -q '^:test-result: ' "$base.trs"; then
			what="reported no result"
		else
			continue
		fi
		bad=$((bad + 1))
		failed_runs[$t]=$((${failed_runs[$t]:-0} + 1))
		saved=$keep/$(echo "$base" | tr / _).run$i.log
		[ -f "$base.log" ] && cp "$base.log" "$saved"
		echo "check-repeat: run $i/$runs: $t $what (log: $saved)"
	done
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		echo "check-repeat: run $i/$runs: make check exited $rc with no test failed: see $keep/run$i.out" >&2
		tail -20 "$keep/run$i.out" >&2
		exit 1
	fi
	echo "check-repeat: run $i/$runs: $(($# - bad)) of $# passed or skipped"
done

if [ ${#failed_runs[@]} -eq 0 ]; then
	echo "check-repeat: all $# test(s) passed (or skipped) in each of $runs runs"
	exit 0
fi
for t in "$@"; do
	[ -n "${failed_runs[$t]:-}" ] || continue
	echo "check-repeat: FLAKY OR BROKEN: $t failed in ${failed_runs[$t]} of $runs runs"
	first=$(ls "$keep/$(echo "${t%.sh}" | tr / _)".run*.log 2>/dev/null | head -1)
	if [ -n "$first" ]; then
		echo "---- $first (last 40 lines)"
		tail -40 "$first"
	fi
done
exit 1
