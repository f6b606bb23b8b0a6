#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The layout rule of src/README.md holds: role folders, no include from a lower
# folder to a higher one, no include or call loop between files.
set -u
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
command -v nm >/dev/null || { echo "SKIP: nm (binutils) not installed"; exit 77; }
exec python3 "$CTW_SRCDIR/tests/tools/check-layout.py" "$CTW_SRCDIR" "$CTW_BUILDDIR"
