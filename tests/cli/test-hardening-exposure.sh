#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The unit's exposure as the docs state it is what `systemd-analyze security
# --offline=true` prints for the unit the build made: the overall figure in
# docs/hardening.md and in README.md, every line the tool marks with its
# exposure in the doc's "What still costs points", and the scores the doc
# gives for its IPAddressAllow= drop-in. Any drift fails. The checker is
# checked too: a planted wrong figure must be caught. No root needed.
# Skips (77) when systemd-analyze lacks --offline (systemd < 250) or is
# another systemd than the doc's figures are for (scores change between
# versions).
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_cmd systemd-analyze awk sed
{ [ -n "${CTW_SRCDIR:-}" ] && [ -n "${CTW_BUILDDIR:-}" ]; } || skip "CTW_SRCDIR or CTW_BUILDDIR is not set (run through make check)"
systemd-analyze security --help 2>/dev/null | grep -q -- '--offline' ||
	skip "systemd-analyze has no --offline (systemd 250 or later needed)"
UNIT=$CTW_BUILDDIR/systemd/ctwarden.service
[ -f "$UNIT" ] || fail "no built unit $UNIT (make builds it from systemd/ctwarden.service.in)"
DOC=$CTW_SRCDIR/docs/hardening.md
README=$CTW_SRCDIR/README.md
ctw_tmpdir

doc_version=$(sed -n 's/.*--offline=true ctwarden.service` (systemd \([0-9]*\),.*/\1/p' "$DOC" | head -1)
[ -n "$doc_version" ] || fail "docs/hardening.md does not say which systemd its figure is for ('(systemd N,')"
here=$(systemd-analyze --version | awk 'NR == 1 { print $2 }')
[ "$here" = "$doc_version" ] ||
	skip "docs/hardening.md's figures are for systemd $doc_version, this is systemd $here (scores differ between versions)"

# The tool on a unit: "2.9 OK", and the marked lines as "NAME VALUE".
score()
{
	systemd-analyze security --offline=true "$1" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p'
}
marked()
{
	systemd-analyze security --offline=true "$1" 2>&1 |
		sed -n 's/^✗ \([^ ]*\) .* \([0-9][0-9.]*\)$/\1 \2/p' | sort
}
# What a doc states: the overall figure ("**2.9 OK**"), README's "exposure
# 2.9", the listed costs ("- `NAME` 0.3: ..."), the drop-in's scores.
doc_score()
{
	grep -o -m1 'scores \*\*[0-9.]* [A-Z]*\*\*' "$1" | sed 's/^scores \*\*\(.*\)\*\*$/\1/'
}
readme_score()
{
	sed -n 's/.*`systemd-analyze security --offline=true` exposure \([0-9.]*\)[,;)].*/\1/p' "$1" | head -1
}
doc_marked()
{
	awk '/^## What still costs points/ { on = 1; next } /^## / { on = 0 }
		on && /^- `/ { name = $2; gsub(/`/, "", name); v = $3; sub(/:$/, "", v); print name, v }' "$1" | sort
}
doc_dropin()
{
	tr '\n' ' ' <"$1" | sed -n 's/.*drop-in brings the score to \([0-9.]*\) ([^)]*) or \([0-9.]*\) (.*/\1 \2/p'
}

# check DOC README: the comparisons; prints one line per drift.
check()
{
	local got want
	got=$(score "$UNIT")
	[ -n "$got" ] || { echo "systemd-analyze printed no overall figure for $UNIT"; return; }
	want=$(doc_score "$1")
	[ "$want" = "$got" ] || echo "docs/hardening.md says '${want:-nothing}', systemd-analyze says '$got'"
	want=$(readme_score "$2")
	[ "$want" = "${got% *}" ] || echo "README.md says exposure '${want:-nothing}', systemd-analyze says '${got% *}'"
	got=$(marked "$UNIT")
	want=$(doc_marked "$1")
	[ "$want" = "$got" ] || { echo "the costs listed differ from the tool's:"; { diff <(echo "$want") <(echo "$got") | sed 's/^/  /'; } || :; }
	# The doc's drop-in, applied to a copy of the unit.
	got=
	for allow in "localhost" "localhost 10.0.0.0/8"; do
		sed "s|^RestrictAddressFamilies=.*|&\nIPAddressDeny=any\nIPAddressAllow=$allow|" "$UNIT" >"$CTW_TMP/ctwarden.service"
		got="$got $(score "$CTW_TMP/ctwarden.service" | cut -d' ' -f1)"
	done
	got=${got# }
	want=$(doc_dropin "$1")
	[ "$want" = "$got" ] || echo "the drop-in's scores: the doc says '${want:-nothing}', the tool '$got'"
}

figure=$(score "$UNIT")
echo "systemd-analyze security --offline=true (systemd $here) on the built unit: $figure"
drift=$(check "$DOC" "$README")
assert_eq "docs/hardening.md, README.md and the tool agree" "" "$drift"
assert_ne "...on a figure the tool printed" "" "$figure"

# The checker catches a drift in each place.
sed 's/scores \*\*[0-9.]*/scores **9.9/' "$DOC" >"$CTW_TMP/hardening.md"
sed 's/--offline=true` exposure [0-9.]*/--offline=true` exposure 9.9/' "$README" >"$CTW_TMP/README.md"
drift=$(check "$CTW_TMP/hardening.md" "$CTW_TMP/README.md")
assert_contains "a wrong figure in the doc is caught" "$drift" "docs/hardening.md says '9.9"
assert_contains "a wrong figure in README is caught" "$drift" "README.md says exposure '9.9'"
sed -e 's/^- `PrivateNetwork=` 0.5:/- `PrivateNetwork=` 0.4:/' -e 's/brings the score to 2\.7/brings the score to 2.5/' "$DOC" >"$CTW_TMP/hardening.md"
drift=$(check "$CTW_TMP/hardening.md" "$README")
assert_contains "a wrong cost in the list is caught" "$drift" "the costs listed differ"
assert_contains "a wrong drop-in score is caught" "$drift" "the drop-in's scores"
finish
