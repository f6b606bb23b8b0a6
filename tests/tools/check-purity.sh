#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# src/policy/ is pure: no I/O, no clock, no environment, no mutable globals,
# and no kernel code but the plain-data headers of the host snapshot. Checked
# three ways, then the checks are checked:
#  1. includes: a policy file includes base/ and policy/ headers, the
#     plain-data kernel headers in KERNEL_DATA, and the system headers in
#     SYSTEM_OK (pure functions and constants) only;
#  2. calls: no call in the source (comments and literals stripped) of a
#     function in FORBIDDEN (I/O, clock, environment, randomness, logging);
#  3. objects: the compiled policy objects hold no writable data (a static or
#     global variable), and every symbol they use is defined in policy/, in a
#     base/ object that does no I/O, or is a pure libc function in LIBC_OK;
#  4. each of 1-3 must fail on a copy with one violation planted.
# Usage: check-purity.sh [SRCDIR [BUILDDIR]] (default $CTW_SRCDIR, $CTW_BUILDDIR:
# run from `make check`). Needs the build's objects (make builds them first).
set -u

SRC=${1:-${CTW_SRCDIR:-}}
BUILD=${2:-${CTW_BUILDDIR:-}}
if [ -z "$SRC" ] || [ ! -d "$SRC/src/policy" ]; then echo "FAIL: no source tree (SRCDIR or CTW_SRCDIR)"; exit 1; fi
[ -n "$BUILD" ] || { echo "FAIL: no build tree (BUILDDIR or CTW_BUILDDIR)"; exit 1; }

# The snapshot's types: structs, enums and constants, read by findings.
KERNEL_DATA="kernel/host.h kernel/kmsg.h kernel/memory.h kernel/stats.h"
SYSTEM_OK="stdarg.h stdbool.h stddef.h stdint.h inttypes.h stdio.h string.h math.h syslog.h time.h
	netinet/in.h errno.h limits.h sys/socket.h linux/netfilter/nf_conntrack_tcp.h"
FORBIDDEN="open openat creat read pread write pwrite close fopen fdopen freopen fclose fread fwrite
	fgets fputs fprintf printf vprintf vfprintf dprintf puts putchar perror ioctl stat fstat fstatat
	lstat access opendir readdir mmap socket connect send recv sendmsg recvmsg
	clock_gettime gettimeofday time clock localtime localtime_r mktime tzset
	getenv secure_getenv setenv putenv rand random srand drand48 getrandom
	syslog vsyslog openlog sleep usleep nanosleep fork system popen exit abort ctw_log"
# base/ objects that do I/O (files, logging): policy may not use them.
BASE_IO="fileio.o log.o conf.o prom_file.o"
LIBC_OK="memset memcpy memmove memcmp strlen strnlen strcmp strncmp strstr strchr strrchr
	snprintf vsnprintf gmtime_r strftime __stack_chk_fail"

in_list() { # in_list WORD LIST
	local w
	for w in $2; do [ "$w" = "$1" ] && return 0; done
	return 1
}

# Comments, string and character literals removed; lines kept.
strip_c() {
	awk '
	BEGIN { incomment = 0 }
	{
		out = ""; n = length($0); i = 1
		while (i <= n) {
			c = substr($0, i, 1); c2 = substr($0, i, 2)
			if (incomment) {
				if (c2 == "*/") { incomment = 0; i += 2 } else i++
				continue
			}
			if (c2 == "/*") { incomment = 1; i += 2; continue }
			if (c2 == "//") break
			if (c == "\"" || c == "'\''") {
				q = c; i++
				while (i <= n && substr($0, i, 1) != q) {
					if (substr($0, i, 1) == "\\") i++
					i++
				}
				i++; out = out q q; continue
			}
			out = out c; i++
		}
		print out
	}' "$1"
}

check_includes() { # check_includes DIR: policy sources under DIR/src/policy
	local f h bad=0
	for f in "$1"/src/policy/*.[ch]; do
		while read -r h; do
			case $h in
			\"base/*|\"policy/*) continue ;;
			\"*) in_list "${h//\"/}" "$KERNEL_DATA" && continue ;;
			\<*) in_list "$(echo "$h" | tr -d '<>')" "$SYSTEM_OK" && continue ;;
			esac
			echo "FAIL: ${f#"$1"/} includes $h (policy/ may include base/, policy/, $KERNEL_DATA and pure system headers)"
			bad=1
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"][^>"]*[>"]\).*/\1/p' "$f")
	done
	return $bad
}

check_calls() { # check_calls DIR
	local f fn hits bad=0 re
	re=$(echo $FORBIDDEN | tr ' ' '|')
	for f in "$1"/src/policy/*.[ch]; do
		hits=$(strip_c "$f" | grep -nE "(^|[^A-Za-z0-9_.>])($re)[[:space:]]*\(" || true)
		[ -z "$hits" ] && continue
		while IFS= read -r fn; do
			echo "FAIL: ${f#"$1"/}:${fn%%:*}: calls $(echo "${fn#*:}" | grep -oE "(^|[^A-Za-z0-9_.>])($re)[[:space:]]*\(" | head -1 | sed 's/^[^A-Za-z_]*//')...) (I/O, clock, environment or randomness)"
		done <<<"$hits"
		bad=1
	done
	return $bad
}

sanitizer_sym() { [[ $1 =~ ^(__asan|___asan|__odr_asan|__ubsan|__sanitizer|__sancov|__lsan|__tsan|\.L) ]]; }

# check_objects "POLICY_OBJS" "BASE_OBJS"
check_objects() {
	local o s sec name libc defined bad=0
	[ -n "$1" ] || { echo "FAIL: no policy objects (build first)"; return 1; }
	# Writable data: a variable in .data/.bss (or common), a global or a static.
	for o in $1; do
		while IFS='|' read -r name _ class _ _ _ sec; do
			name=${name// /}; sec=${sec// /}; class=${class// /}
			sanitizer_sym "$name" && continue
			if [[ $class == [cC] || $sec =~ ^\.(data|bss|tdata|tbss)(\.|$) && ! $sec =~ ^\.data\.rel\.ro ]]; then
				echo "FAIL: $(basename "$o"): writable data '$name' in $sec (policy/ keeps no state: the caller owns it)"
				bad=1
			fi
		done < <(nm -f sysv --defined-only "$o" 2>/dev/null | grep '|')
	done
	defined=$(nm -g --defined-only $1 $2 2>/dev/null | awk 'NF >= 3 { print $3 }' | sort -u)
	for s in $(nm -u $1 2>/dev/null | awk '{ print $NF }' | grep -v ':$' | sort -u); do
		grep -qxF "$s" <<<"$defined" && continue
		sanitizer_sym "$s" && continue
		libc=$s
		[[ $s =~ ^__(.*)_chk$ ]] && libc=${BASH_REMATCH[1]}  # _FORTIFY_SOURCE variants
		in_list "$libc" "$LIBC_OK" && continue
		[ "$s" = _GLOBAL_OFFSET_TABLE_ ] && continue
		echo "FAIL: policy objects use '$s': not policy/, not a pure base/ object, not a pure libc function"
		bad=1
	done
	return $bad
}

base_objects() { # the base/ objects that do no I/O
	local o
	for o in "$BUILD"/src/base/*.o; do
		[ -e "$o" ] || continue
		in_list "$(basename "$o")" "$BASE_IO" || echo "$o"
	done
}

status=0
policy_objs=$(ls "$BUILD"/src/policy/*.o 2>/dev/null | tr '\n' ' ')
base_objs=$(base_objects | tr '\n' ' ')
check_includes "$SRC" || status=1
check_calls "$SRC" || status=1
check_objects "$policy_objs" "$base_objs" || status=1
[ $status -eq 0 ] || exit 1
echo "policy/ is pure: $(ls "$SRC"/src/policy/*.[ch] | wc -l) files, $(echo $policy_objs | wc -w) objects checked"

# Each check must catch a planted violation (a check that cannot fail proves nothing).
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
plant() { # plant NAME TEXT: a copy of src/policy with TEXT appended to bounds.c
	rm -rf "${tmp:?}/$1"; mkdir -p "$tmp/$1/src"
	cp -r "$SRC/src/policy" "$tmp/$1/src/"
	printf '%s\n' "$2" >>"$tmp/$1/src/policy/bounds.c"
}
expect_fail() { # expect_fail WHAT COMMAND...
	local what=$1; shift
	if "$@" >"$tmp/out" 2>&1; then
		echo "FAIL: the purity check missed $what"; status=1
	else
		echo "ok: catches $what: $(head -1 "$tmp/out")"
	fi
}
plant inc '#include "kernel/knobs.h"'
expect_fail "an include of kernel/knobs.h" check_includes "$tmp/inc"
plant sys '#include <unistd.h>'
expect_fail "an include of <unistd.h>" check_includes "$tmp/sys"
plant clock 'static long now_s(void) { return (long)time(NULL); }'
expect_fail "a call of time()" check_calls "$tmp/clock"
plant env 'static const char *home(void) { return getenv ("HOME"); }'
expect_fail "a call of getenv" check_calls "$tmp/env"
plant ok '/* read(fd) in a comment */ static const char *s = "open(x)";'
if check_calls "$tmp/ok" >"$tmp/out" 2>&1; then echo "ok: comments and strings do not count"
else echo "FAIL: the purity check counted a comment or a string: $(head -1 "$tmp/out")"; status=1; fi

cc=${CC:-cc}
if command -v "$cc" >/dev/null && command -v nm >/dev/null; then
	printf 'int ctw_calls;\nint ctw_counted(void) { return ++ctw_calls; }\n' >"$tmp/global.c"
	printf '#include <fcntl.h>\nint ctw_opens(const char *p) { return open(p, O_RDONLY); }\n' >"$tmp/io.c"
	printf 'int ctw_seen(void) { static int n; return n++; }\n' >"$tmp/static.c"
	fileio_sym=$(nm -g --defined-only "$BUILD/src/base/fileio.o" 2>/dev/null | awk '$2 == "T" { print $3; exit }')
	printf 'extern void %s(void);\nvoid ctw_uses_io(void) { %s(); }\n' "${fileio_sym:-missing}" "${fileio_sym:-missing}" >"$tmp/baseio.c"
	for t in global io static baseio; do
		"$cc" -O2 -c "$tmp/$t.c" -o "$tmp/$t.o" || { echo "FAIL: cannot compile $t.c"; status=1; }
	done
	expect_fail "a global variable" check_objects "$policy_objs $tmp/global.o" "$base_objs"
	expect_fail "a static variable" check_objects "$policy_objs $tmp/static.o" "$base_objs"
	expect_fail "a call of open()" check_objects "$policy_objs $tmp/io.o" "$base_objs"
	expect_fail "a call into base/fileio.o ($fileio_sym)" check_objects "$policy_objs $tmp/baseio.o" "$base_objs"
else
	echo "FAIL: no C compiler or nm to check the object check"; status=1
fi
exit $status
