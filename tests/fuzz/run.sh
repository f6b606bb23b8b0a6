#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build and run the libFuzzer targets: tests/fuzz/run.sh [SECONDS] [TARGET...]
# Each target is tests/fuzz/fuzz_<name>.c with seeds in tests/fuzz/corpus/<name>/.
# Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=${1:-30}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$here"/fuzz_*.c; do
		n=$(basename "$f" .c); targets+=("${n#fuzz_}")
	done
fi
out=${FUZZ_OUT:-$top/tests/fuzz/out}
mkdir -p "$out"
# The library sources: everything but the CLI entry points.
lib_sources=()
for f in "$top"/src/*/*.c; do
	case $(basename "$f") in main.c|cli_common.c|cmd_*.c) continue ;; esac
	lib_sources+=("$f")
done
pkgs="libnl-3.0 libmnl libsystemd inih json-c"
# shellcheck disable=SC2046
for t in "${targets[@]}"; do
	bin="$out/fuzz_$t"
	clang -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-iquote "$top/src" $(pkg-config --cflags $pkgs) \
		"$here/fuzz_$t.c" "${lib_sources[@]}" $(pkg-config --libs $pkgs) -o "$bin"
	work="$out/corpus_$t"
	mkdir -p "$work"
	echo "fuzz: $t for ${seconds}s"
	"$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/crash_${t}_" "$work" "$here/corpus/$t" 2>"$out/$t.log" || {
		echo "fuzz: $t FAILED; see $out/$t.log"; tail -40 "$out/$t.log"; exit 1; }
	grep -E '^stat::number_of_executed_(runs|units)' "$out/$t.log" | sed "s/^/fuzz: $t /" || true
done
echo "fuzz: all targets ran clean"
