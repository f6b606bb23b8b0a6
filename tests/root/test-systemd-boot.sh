#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package in a real boot with systemd as PID 1: the test builds
# ctwarden's .deb with dpkg-buildpackage -us -uc -b from a copy of the source
# tree (never writing into it), checks it with lintian, and boots a Debian root
# (debootstrap, cached) under systemd-nspawn. A self-test unit inside does what
# an operator does and writes what it saw: `apt-get install ./ctwarden_*.deb`
# enables and starts the service (postinst, dh_installsystemd), it reaches
# READY under the unit's hardening with the STATUS line "count N/M (x%), N
# drops", the journal holds the started entry under _SYSTEMD_UNIT=
# ctwarden.service, systemd's dpkg trigger put the catalog's ids into
# `journalctl --list-catalog`, `systemctl reload` works (reloaded entry, same
# PID), with `listen = 127.0.0.1:9747` set and the unit restarted the HTTP
# endpoint answers /healthz and /metrics under the unit's hardening
# (RestrictAddressFamilies=, the system call filter, MemoryDenyWriteExecute=
# with libmicrohttpd loaded at start), and `apt-get purge ctwarden` leaves no state, config, unit, binary,
# catalog entry or enable link behind. Then it powers the container off and
# the host asserts.
#
# The root is cached in $CTW_ROOTFS_CACHE (default /var/cache/ctwarden-tests)
# and reused when complete; each run boots an overlay (or a copy) of it,
# removed at exit. The container has its own network namespace (no network at
# all: the package's dependencies are in the cached root): the global knobs
# are read-only there, nothing on the host is tuned.
# Needs root, debootstrap, systemd-nspawn (package systemd-container), wget,
# dpkg-buildpackage and debhelper, git, and the Debian mirror
# ($CTW_DEBIAN_MIRROR) the first time; exits 77 without. lintian is run when
# installed (.ci/setup installs it).
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

SUITE=bookworm
MIRROR=${CTW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
INCLUDE=systemd,systemd-sysv,dbus,libnl-3-200,libnl-nf-3-200,libnetfilter-conntrack3,libinih1,libjson-c5,libsystemd0,libmicrohttpd12
CACHE_ROOT=${CTW_ROOTFS_CACHE:-/var/cache/ctwarden-tests}
CACHE=$CACHE_ROOT/$SUITE-minbase-$(printf '%s' "$INCLUDE" | md5sum | cut -c1-8)
BOOT_TIMEOUT=180

# The published contract (src/daemon/journal.h), written out on purpose.
MID_STARTED=9ed117e50b844cdca4badb1bc88941dd
MID_RELOADED=c0fd6ad6d59c413cbeaf18b37903bd5a

need_root
need_cmd debootstrap systemd-nspawn wget jq flock timeout chroot md5sum git tar dpkg-buildpackage dh dpkg-deb
[ -n "${CTW_SRCDIR:-}" ] || skip "CTW_SRCDIR is not set (run through make check)"
[ -f "$CTW_SRCDIR/debian/control" ] || skip "$CTW_SRCDIR has no debian/ (not a git checkout of ctwarden)"
git -C "$CTW_SRCDIR" rev-parse --git-dir >/dev/null 2>&1 ||
	skip "$CTW_SRCDIR is not a git checkout: the package is built from the files git knows"

# ---- the cached Debian root ------------------------------------------------
# Built once under a lock (parallel runs wait), in a .partial directory that
# only becomes the cache once debootstrap finished: a killed run leaves no
# half root behind that looks complete.
cache_ensure()
{
	local log=$CACHE_ROOT/debootstrap.log
	mkdir -p "$CACHE_ROOT"
	exec 8>"$CACHE_ROOT/.lock"
	flock -w 900 8 || fail "could not lock $CACHE_ROOT/.lock within 15 minutes"
	if [ -f "$CACHE/.ctw-complete" ]; then
		echo "using the cached root $CACHE"
		flock -u 8
		return 0
	fi
	rm -rf "$CACHE" "$CACHE.partial"
	wget -q -T 15 -t 2 -O /dev/null "$MIRROR/dists/$SUITE/Release" ||
		skip "cannot reach the Debian mirror $MIRROR (set CTW_DEBIAN_MIRROR)"
	echo "debootstrap $SUITE ($INCLUDE) into $CACHE"
	if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$CACHE.partial" "$MIRROR" >"$log" 2>&1; then
		tail -20 "$log" >&2
		rm -rf "$CACHE.partial"
		grep -qiE "couldn't download|failed getting release|unable to resolve|temporary failure" "$log" &&
			skip "debootstrap could not download from $MIRROR"
		fail "debootstrap failed (log: $log)"
	fi
	[ -x "$CACHE.partial/lib/systemd/systemd" ] || fail "debootstrap left no systemd in $CACHE.partial"
	rm -rf "$CACHE.partial"/var/cache/apt/archives/*.deb
	touch "$CACHE.partial/.ctw-complete"
	mv "$CACHE.partial" "$CACHE"
	flock -u 8
}

# ---- this run's root: an overlay over the cache, or a copy -----------------
root_prepare()
{
	MACHINE=ctwboot$$
	ROOT=$WORK/$MACHINE
	mkdir -p "$WORK/upper" "$WORK/work" "$ROOT"
	if mount -t overlay ctw-systemd-boot -o "lowerdir=$CACHE,upperdir=$WORK/upper,workdir=$WORK/work" "$ROOT" 2>/dev/null; then
		ctw_on_exit "umount '$ROOT' 2>/dev/null || umount -l '$ROOT'"
	else
		echo "note: no overlayfs here, copying the root"
		cp -a "$CACHE/." "$ROOT/"
	fi
	# nspawn leaves its (empty) propagation directory when /run is not tmpfs.
	ctw_on_exit "rmdir /run/systemd/nspawn/propagate/$MACHINE 2>/dev/null || true"
}

# ---- the package ------------------------------------------------------------
# Built from a copy of the tree in $WORK: the files a fresh clone has plus the
# uncommitted edits (tracked and untracked-but-not-ignored files), so no build/,
# build-san/ or autotools output comes along, and dpkg-buildpackage's ../*.deb
# land in $WORK, not beside the source tree.
package_build()
{
	local src=$WORK/src/ctwarden arch before after
	mkdir -p "$src"
	before=$(git -C "$CTW_SRCDIR" status --porcelain)
	(
		cd "$CTW_SRCDIR" || exit 1
		git ls-files -z -c -o --exclude-standard | while IFS= read -r -d '' f; do
			if [ -e "$f" ]; then printf '%s\0' "$f"; fi
		done | tar --null -T - -cf -
	) | tar -C "$src" -xf -
	echo "dpkg-buildpackage -us -uc -b in a copy of the tree ($(find "$src" -type f | wc -l) files)"
	# A clean environment: not make check's MAKEFLAGS or test variables.
	if ! (cd "$src" && env -i PATH="$PATH" HOME="$WORK" LC_ALL=C.UTF-8 \
		DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) >"$WORK/dpkg-buildpackage.log" 2>&1; then
		tail -40 "$WORK/dpkg-buildpackage.log" >&2
		fail "dpkg-buildpackage -us -uc -b failed (the log's end is above)"
	fi
	grep -E '^# (TOTAL|PASS|FAIL|ERROR):' "$WORK/dpkg-buildpackage.log" | sed 's/^/  unit tests in the package build: /' || true
	after=$(git -C "$CTW_SRCDIR" status --porcelain)
	assert_eq "the package build wrote nothing into the source tree" "$before" "$after"

	arch=$(dpkg --print-architecture)
	DEB=$WORK/src/ctwarden_$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)_$arch.deb
	[ -f "$DEB" ] || fail "dpkg-buildpackage made no $(basename "$DEB"): $(ls "$WORK/src")"
	echo "built $(basename "$DEB"):"
	dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ {print "  " $NF}'
	assert_eq "the package's version is configure.ac's with Debian revision 1" \
		"$(sed -n 's/^AC_INIT(\[ctwarden\], \[\([^]]*\)\].*/\1/p' "$CTW_SRCDIR/configure.ac")-1" \
		"$(dpkg-deb -f "$DEB" Version)"
	assert_eq "/etc/ctwarden/ctwarden.conf is a conffile" /etc/ctwarden/ctwarden.conf \
		"$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles)"

	# Errors and warnings fail; a justified warning is overridden in
	# debian/ctwarden.lintian-overrides and listed in docs/packaging.md.
	if command -v lintian >/dev/null 2>&1; then
		run lintian --fail-on error,warning "$DEB"
		[ -z "$OUT" ] || sed 's/^/  lintian: /' <<<"$OUT"
		assert_eq "lintian reports no error and no warning that is not overridden" 0 "$RC"
	else
		echo "note: no lintian here (.ci/setup installs it); the package is not linted"
	fi
}

# The package's dependencies must be in the cached root: the container has no
# network. A host newer than Debian 12 builds a package the root cannot take.
package_check_depends()
{
	run chroot "$ROOT" dpkg --dry-run -i "/usr/local/lib/ctwarden-selftest/$(basename "$DEB")"
	[ "$RC" -eq 0 ] && return 0
	printf '%s\n%s\n' "$OUT" "$ERR" >&2
	grep -q 'Version of .* on system is' <<<"$ERR" &&
		skip "the package was built against newer libraries than Debian $SUITE has"
	fail "the package's dependencies are not in the Debian root (add their packages to INCLUDE)"
}

# The self-test, run by systemd inside the container once it is up; it powers
# the container off whatever happens (SuccessAction/FailureAction).
install_selftest()
{
	local dir=$ROOT/usr/local/lib/ctwarden-selftest
	mkdir -p "$dir" "$ROOT/etc/systemd/system/multi-user.target.wants"
	cp "$DEB" "$dir/"
	cat >"$dir/run.sh" <<'SELFTEST'
#!/bin/bash
# Inside the container: install the package as an operator would, drive the
# service through systemctl, purge it; write KEY=VALUE results.
out=/var/lib/ctwarden-selftest
mkdir -p "$out"
r=$out/results
: >"$r"
say() { echo "$1=$2" >>"$r"; }
unit_state() { systemctl show -P ActiveState ctwarden.service; }
# wait_until SECONDS COMMAND...: until COMMAND succeeds (tests/lib.sh's, which
# is not in the container), polling every 20 ms; 1 when the time ran out.
wait_until()
{
	local end=$(( $(date +%s%N) + ${1%.*} * 1000000000 ))
	shift
	until "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.02   # pace of the wait
	done
}
has_mid() { journalctl -u ctwarden.service -o json --no-pager | grep -q "\"MESSAGE_ID\":\"$1\""; }
# wait_for_mid ID: until the unit's journal holds an entry with that MESSAGE_ID (5 s).
wait_for_mid() { wait_until 5 has_mid "$1"; }
settled() { case $(unit_state) in active | failed | inactive) return 0 ;; esac; return 1; }
has_status_text() { [ -n "$(systemctl show -P StatusText ctwarden.service)" ]; }
# Whatever of the package is still on disk (names with ctwarden in them, but
# this self-test's own files), plus the tmpfs /run.
leftovers()
{
	{
		find / -xdev \( -path /proc -o -path /sys \) -prune -o -name '*ctwarden*' -print 2>/dev/null |
			grep -v 'ctwarden-selftest'
		[ -e /run/ctwarden ] && echo /run/ctwarden
	} | sort | tr '\n' ' '
}
export DEBIAN_FRONTEND=noninteractive

say before_install "$(leftovers)"
apt-get install -y --no-install-recommends /usr/local/lib/ctwarden-selftest/ctwarden_*.deb >"$out/install.txt" 2>&1
say install_rc $?
say installed "$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' ctwarden 2>&1)"
say conffiles "$(dpkg-query -W -f='${Conffiles}' ctwarden | awk '{print $1}' | tr '\n' ' ')"
# No systemctl here: postinst (dh_installsystemd) enables and starts it.
say is_enabled "$(systemctl is-enabled ctwarden.service 2>&1)"
wait_until 10 settled
say is_active "$(systemctl is-active ctwarden.service 2>&1)"
# STATUS= follows the first poll, right after READY.
wait_until 5 has_status_text
systemctl show -p ActiveState,SubState,StatusText,MainPID,NRestarts,Result,FragmentPath ctwarden.service | sed 's/^/start_/' >>"$r"
wait_for_mid 9ed117e50b844cdca4badb1bc88941dd
journalctl -u ctwarden.service -o json --no-pager >"$out/journal-start.json"
# No journalctl --update-catalog either: systemd's dpkg trigger on
# /usr/lib/systemd/catalog ran it.
journalctl --list-catalog >"$out/catalog-installed.txt" 2>&1
say statedir "$(stat -c '%F %a' /var/lib/ctwarden 2>&1)"

systemctl reload ctwarden.service >"$out/reload.txt" 2>&1
say reload_rc $?
wait_for_mid c0fd6ad6d59c413cbeaf18b37903bd5a
# After the reload the unit is back to running (systemd saw READY=1 again).
reloaded() { [ "$(systemctl show -P SubState ctwarden.service)" = running ] && has_status_text; }
wait_until 5 reloaded
systemctl show -p ActiveState,SubState,StatusText,MainPID,NRestarts ctwarden.service | sed 's/^/reload_/' >>"$r"
journalctl -u ctwarden.service -o json --no-pager >"$out/journal.json"
journalctl -x -u ctwarden.service --no-pager -o short >"$out/explained.txt" 2>&1
systemctl status ctwarden.service --no-pager >"$out/status.txt" 2>&1

# The HTTP endpoint under the unit's hardening. No curl in a minbase root:
# bash's /dev/tcp, an HTTP/1.0 request, the whole answer.
http_get()
{
	local reply
	exec 3<>"/dev/tcp/127.0.0.1/9747" || return 1
	printf 'GET %s HTTP/1.0\r\n\r\n' "$1" >&3
	reply=$(timeout 5 cat <&3)
	exec 3<&-
	printf '%s' "$reply"
}
sed -i 's/^#listen =$/listen = 127.0.0.1:9747/' /etc/ctwarden/ctwarden.conf
say listen_conf "$(grep -c '^listen = 127.0.0.1:9747$' /etc/ctwarden/ctwarden.conf)"
systemctl restart ctwarden.service >"$out/restart.txt" 2>&1
say restart_rc $?
for _ in $(seq 50); do
	http_get /healthz >"$out/healthz.txt" 2>/dev/null && grep -q '^ok' "$out/healthz.txt" && break
	sleep 0.1   # pace: a bounded wait (50 polls) inside the container, which has no lib.sh
done
say healthz "$(head -1 "$out/healthz.txt" | tr -d '\r') $(tail -1 "$out/healthz.txt")"
http_get /metrics >"$out/metrics.txt" 2>/dev/null
say metrics "$(head -1 "$out/metrics.txt" | tr -d '\r') $(grep -c '^ctwarden_up 1$' "$out/metrics.txt")"
say listen_active "$(systemctl is-active ctwarden.service 2>&1)"

apt-get purge -y ctwarden >"$out/purge.txt" 2>&1
say purge_rc $?
say purged "$(dpkg-query -W -f='${db:Status-Abbrev}' ctwarden 2>/dev/null)"
say purge_LoadState "$(systemctl show -P LoadState ctwarden.service)"
say purge_ActiveState "$(systemctl show -P ActiveState ctwarden.service)"
say purge_leftovers "$(leftovers)"
journalctl --list-catalog >"$out/catalog-purged.txt" 2>&1
journalctl -b --no-pager >"$out/boot.txt" 2>&1
say finished yes
SELFTEST
	chmod 0755 "$dir/run.sh"
	cat >"$ROOT/etc/systemd/system/ctwarden-selftest.service" <<'UNIT'
[Unit]
Description=ctwarden self-test (tests/root/test-systemd-boot.sh)
After=multi-user.target
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=oneshot
ExecStart=/usr/local/lib/ctwarden-selftest/run.sh
TimeoutStartSec=150
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
UNIT
	ln -s ../ctwarden-selftest.service "$ROOT/etc/systemd/system/multi-user.target.wants/ctwarden-selftest.service"
}

# What the container's own journal says, for a failure's log.
show_container_journal()
{
	[ -d "$ROOT/var/log/journal" ] || return 0
	echo "---- the container's journal (ctwarden, self-test, failures):" >&2
	journalctl -D "$ROOT/var/log/journal" --no-pager -o short-precise \
		-u ctwarden.service -u ctwarden-selftest.service 2>/dev/null | tail -40 >&2 || true
}

WORK=$(mktemp -d /var/tmp/ctw-systemd-boot.XXXXXX)
ctw_on_exit "rm -rf '$WORK'"
# Before the lock: the build (about a minute) needs none.
package_build
# The booted ctwarden listens to conntrack events, which turns on the event
# extension in every netns: not while other root tests count on there being none.
ctw_global_lock
cache_ensure
root_prepare
install_selftest
package_check_depends

echo "booting $ROOT (systemd-nspawn -b, timeout ${BOOT_TIMEOUT}s)"
start=$(date +%s)
nspawn_rc=0
timeout --kill-after=15 "$BOOT_TIMEOUT" systemd-nspawn -q -D "$ROOT" -M "$MACHINE" -b \
	--private-network --register=no --keep-unit --link-journal=no \
	--console=pipe --resolv-conf=off --timezone=off </dev/null >"$WORK/console.log" 2>&1 || nspawn_rc=$?
echo "the container ran $(($(date +%s) - start)) s, systemd-nspawn exited with $nspawn_rc"
if [ "$nspawn_rc" -eq 124 ] || [ "$nspawn_rc" -eq 137 ]; then
	tail -20 "$WORK/console.log" >&2
	show_container_journal
	fail "the container did not power off within ${BOOT_TIMEOUT} s"
fi
assert_eq "systemd-nspawn exits 0 after the self-test's poweroff" 0 "$nspawn_rc"

OUT=$ROOT/var/lib/ctwarden-selftest
[ -f "$OUT/results" ] || { tail -20 "$WORK/console.log" >&2; show_container_journal; fail "the self-test wrote no results"; }
res=$(cat "$OUT/results")
echo "self-test results:"
sed 's/^/  /' <<<"$res"
get() { sed -n "s/^$1=//p" <<<"$res" | tail -1; }

assert_eq "the self-test ran to its end" yes "$(get finished)"
assert_eq "nothing of ctwarden in the root before the install" "" "$(get before_install)"
assert_eq "apt-get install ./$(basename "$DEB") succeeds offline" 0 "$(get install_rc)"
[ "$(get install_rc)" = 0 ] || sed 's/^/  apt-get: /' "$OUT/install.txt" >&2
assert_eq "dpkg has it installed" "ii $(dpkg-deb -f "$DEB" Version)" "$(get installed | tr -s ' ')"
assert_eq "dpkg lists /etc/ctwarden/ctwarden.conf as a conffile" "/etc/ctwarden/ctwarden.conf " "$(get conffiles)"
assert_eq "the install enabled the unit (WantedBy=multi-user.target)" enabled "$(get is_enabled)"
assert_eq "the install started it: systemctl is-active" active "$(get is_active)"
assert_eq "the unit systemd loaded is the package's, in Debian 12's unit directory" \
	/lib/systemd/system/ctwarden.service "$(get start_FragmentPath)"
assert_eq "ctwarden is active: READY=1 reached under the unit's hardening" active "$(get start_ActiveState)"
assert_eq "its main process runs" running "$(get start_SubState)"
assert_eq "no restart was needed" 0 "$(get start_NRestarts)"
status=$(get start_StatusText)
ctw__verdict "STATUS line 'count N/M (x%), N drops' (got '$status')" "no match" \
	grep -qE '^count [0-9]+/[0-9]+ \([0-9]+%.*\), [0-9]+ drops' <<<"$status"
assert_eq "systemd made the state directory /var/lib/ctwarden (0700)" "directory 700" "$(get statedir)"

started=$(jq -c --arg id "$MID_STARTED" 'select(.MESSAGE_ID == $id)' "$OUT/journal-start.json" 2>/dev/null || true)
assert_eq "the journal has one started entry after the start" 1 "$(grep -c . <<<"$started" || true)"
e=$(head -1 <<<"$started")
assert_eq "started: from the unit, at PRIORITY info, by the main PID" \
	"ctwarden.service 6 $(get start_MainPID)" "$(json_get "$e" '"\(._SYSTEMD_UNIT) \(.PRIORITY) \(._PID)"')"
assert_eq "started: CTWARDEN_MODE (the shipped config changes nothing: enforce)" enforce "$(json_get "$e" .CTWARDEN_MODE)"

assert_eq "systemctl reload ctwarden succeeds" 0 "$(get reload_rc)"
reloaded=$(jq -c --arg id "$MID_RELOADED" 'select(.MESSAGE_ID == $id)' "$OUT/journal.json" 2>/dev/null || true)
assert_eq "the journal has one reloaded entry" 1 "$(grep -c . <<<"$reloaded" || true)"
assert_eq "reloaded: from the same process (a reload, not a restart)" \
	"ctwarden.service $(get start_MainPID)" "$(json_get "$(head -1 <<<"$reloaded")" '"\(._SYSTEMD_UNIT) \(._PID)"')"
assert_eq "still active after the reload" "active running $(get start_MainPID) 0" \
	"$(get reload_ActiveState) $(get reload_SubState) $(get reload_MainPID) $(get reload_NRestarts)"
assert_eq "listen = 127.0.0.1:9747 set in the installed config" 1 "$(get listen_conf)"
assert_eq "systemctl restart with listen set succeeds" 0 "$(get restart_rc)"
assert_eq "under the unit's hardening /healthz answers 200 ok" "HTTP/1.1 200 OK ok" "$(get healthz)"
assert_eq "...and /metrics 200 with ctwarden_up 1" "HTTP/1.1 200 OK 1" "$(get metrics)"
assert_eq "...and the service is still active" active "$(get listen_active)"
[ "$(get healthz)" = "HTTP/1.1 200 OK ok" ] || sed 's/^/  restart: /' "$OUT/restart.txt" >&2
assert_eq "nothing at PRIORITY err or worse from the unit" "" \
	"$(jq -r 'select((.PRIORITY | tonumber) <= 3) | .MESSAGE' "$OUT/journal.json" 2>/dev/null || echo '<unreadable journal>')"

# Every id of the shipped catalog, known after the install, gone after the purge.
ids=$(sed -n 's/^-- \([0-9a-f]\{32\}\).*/\1/p' "$CTW_SRCDIR/systemd/ctwarden.catalog")
assert_gt "the catalog has message ids" 1 "$(wc -l <<<"$ids")"
missing='' stale=''
for id in $ids; do
	grep -q "^$id " "$OUT/catalog-installed.txt" || missing="$missing $id"
	! grep -q "^$id " "$OUT/catalog-purged.txt" || stale="$stale $id"
done
assert_eq "journalctl --list-catalog knows every ctwarden id after the install (dpkg trigger)" "" "$missing"
assert_contains "journalctl -x explains the started entry from the installed catalog" \
	"$(cat "$OUT/explained.txt")" "Subject: ctwarden started"

assert_eq "apt-get purge ctwarden succeeds" 0 "$(get purge_rc)"
[ "$(get purge_rc)" = 0 ] || sed 's/^/  apt-get: /' "$OUT/purge.txt" >&2
assert_eq "dpkg no longer knows the package (or only as not-installed)" "" "$(get purged | grep -v '^un' || true)"
assert_eq "the purge stopped the service and systemd no longer has the unit" "not-found inactive" \
	"$(get purge_LoadState) $(get purge_ActiveState)"
assert_eq "the purge left nothing behind (state, /etc/ctwarden, unit, enable link, binary, man pages, catalog)" \
	"" "$(get purge_leftovers)"
assert_eq "journalctl --list-catalog forgot the ctwarden ids after the purge" "" "$stale"

if [ "$CTW_FAILS" -ne 0 ]; then
	echo "---- systemctl status ctwarden (inside):" >&2
	cat "$OUT/status.txt" >&2
	show_container_journal
fi
finish
