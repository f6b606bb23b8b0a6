#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The licence is stated where a packager or an image build looks for it:
# COPYING (GPL-2), debian/copyright (GPL-2.0-or-later), the image's label, and
# an SPDX line in every source file and script of the tree.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"
top=${CTW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tag='SPDX-License-Identifier: GPL-2.0-or-later'

assert_contains "COPYING is the GPL version 2" "$(head -5 "$top/COPYING")" "GNU GENERAL PUBLIC LICENSE"
assert_contains "COPYING is version 2" "$(head -5 "$top/COPYING")" "Version 2, June 1991"
assert_contains "debian/copyright names the licence" "$(cat "$top/debian/copyright")" "License: GPL-2.0-or-later"
assert_contains "the image carries the licence label" "$(cat "$top/contrib/container/Containerfile")" \
	'org.opencontainers.image.licenses="GPL-2.0-or-later"'

missing=()
checked=0
while IFS= read -r -d '' f; do
	checked=$((checked + 1))
	head -3 "$f" | grep -qF "$tag" || missing+=("${f#"$top"/}")
done < <(find "$top/src" "$top/tests/unit" "$top/tests/fuzz" "$top/tests/tools" "$top/tests/cli" "$top/tests/root" \
	"$top/bench" "$top/.ci" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' \
	-o -perm -u+x \) -print0 2>/dev/null; find "$top/src" -mindepth 2 -type f \( -name '*.c' -o -name '*.h' \) -print0)
assert_ge "source files checked" 100 "$checked"
assert_eq "source files without the SPDX line in their first 3 lines" "" "${missing[*]:-}"
finish
