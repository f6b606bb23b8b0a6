#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages are clean for mandoc and groff (what `man` will render).
set -u
command -v mandoc >/dev/null || { echo "SKIP: mandoc not installed"; exit 77; }
command -v groff >/dev/null || { echo "SKIP: groff not installed"; exit 77; }
status=0
for page in "$MANDIR/ctwarden.8" "$MANDIR/ctwarden.conf.5"; do
	[ -s "$page" ] || { echo "FAIL: $page is missing or empty"; status=1; continue; }
	out=$(mandoc -T lint -W warning "$page" 2>&1)
	if [ -n "$out" ]; then echo "FAIL: mandoc lint $page:"; echo "$out"; status=1; fi
	out=$(groff -ww -man -z "$page" 2>&1)
	if [ -n "$out" ]; then echo "FAIL: groff -ww $page:"; echo "$out"; status=1; fi
	# Every page names the program and has the sections a reader looks for.
	for sec in NAME SYNOPSIS DESCRIPTION; do
		grep -q "^\.SH $sec" "$page" || { echo "FAIL: $page has no $sec section"; status=1; }
	done
done
[ $status -eq 0 ] && echo "man pages lint clean"
exit $status
