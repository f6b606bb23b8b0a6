#!/bin/bash
# A real boot with systemd as PID 1: a Debian root (debootstrap, cached) gets
# ctwarden through `make install DESTDIR=`, boots under systemd-nspawn, and a
# self-test unit inside checks what an operator would: `systemctl enable --now
# ctwarden` brings it to active (READY reached under the unit's hardening),
# its STATUS line reads "count N/M (x%), N drops", the journal holds the
# started entry under _SYSTEMD_UNIT=ctwarden.service, `systemctl reload` works
# (reloaded entry, same PID), the catalog explains the entries. It writes its
# results into the root and powers the container off; the host asserts.
#
# The root is cached in $CTW_ROOTFS_CACHE (default /var/cache/ctwarden-tests)
# and reused when complete; each run boots an overlay (or a copy) of it,
# removed at exit. The container has its own network namespace: the global
# knobs are read-only there, nothing on the host is tuned.
# Needs root, debootstrap, systemd-nspawn (package systemd-container), wget,
# and the Debian mirror ($CTW_DEBIAN_MIRROR) the first time; exits 77 without.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

SUITE=bookworm
MIRROR=${CTW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
INCLUDE=systemd,systemd-sysv,dbus,libnl-3-200,libnl-nf-3-200,libnetfilter-conntrack3,libinih1,libjson-c5,libsystemd0
CACHE_ROOT=${CTW_ROOTFS_CACHE:-/var/cache/ctwarden-tests}
CACHE=$CACHE_ROOT/$SUITE-minbase-$(printf '%s' "$INCLUDE" | md5sum | cut -c1-8)
BOOT_TIMEOUT=180

# The published contract (src/journal.h), written out on purpose.
MID_STARTED=9ed117e50b844cdca4badb1bc88941dd
MID_RELOADED=c0fd6ad6d59c413cbeaf18b37903bd5a

need_root
need_cmd debootstrap systemd-nspawn wget jq flock timeout chroot md5sum
[ -n "${CTW_BUILDDIR:-}" ] || skip "CTW_BUILDDIR is not set (run through make check)"
[ -f "$CTW_BUILDDIR/Makefile" ] || fail "CTW_BUILDDIR=$CTW_BUILDDIR has no Makefile"
# The booted ctwarden listens to conntrack events, which turns on the event
# extension in every netns: not while other root tests count on there being none.
ctw_global_lock

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
	WORK=$(mktemp -d /var/tmp/ctw-systemd-boot.XXXXXX)
	ctw_on_exit "rm -rf '$WORK'"
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

# make install DESTDIR=, then check that what landed is where systemd and the
# dynamic loader inside the root look.
install_ctwarden()
{
	local unit unit_dir catalog missing exec_path
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$CTW_BUILDDIR" install DESTDIR="$ROOT" >"$WORK/install.log" 2>&1 ||
		{ cat "$WORK/install.log" >&2; fail "make install DESTDIR=$ROOT failed"; }
	echo "installed:"
	(cd "$ROOT" && find . -newer "$CACHE/.ctw-complete" -path '*ctwarden*' -type f | sed 's/^\./  /' | sort)

	unit=$(cd "$ROOT" && find . -name ctwarden.service -type f | head -1)
	[ -n "$unit" ] || fail "make install put no ctwarden.service into the root"
	unit=${unit#.}
	unit_dir=$(dirname "$unit")
	case $unit_dir in
	/etc/systemd/system | /usr/local/lib/systemd/system | /usr/lib/systemd/system | /lib/systemd/system) ;;
	*)
		echo "note: $unit is outside systemd's unit path; linking it into /etc/systemd/system"
		ln -s "$unit" "$ROOT/etc/systemd/system/ctwarden.service"
		;;
	esac
	exec_path=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$ROOT$unit")
	[ -x "$ROOT$exec_path" ] || fail "the unit's ExecStart=$exec_path is not in the root"

	catalog=$(cd "$ROOT" && find . -name ctwarden.catalog -type f | head -1)
	catalog=${catalog#.}
	case $(dirname "$catalog") in
	/usr/lib/systemd/catalog | /usr/local/lib/systemd/catalog) ;;
	*) fail "the catalog went to '$catalog', where journalctl --update-catalog does not look" ;;
	esac
	[ -f "$ROOT/etc/ctwarden/ctwarden.conf" ] ||
		echo "note: no /etc/ctwarden/ctwarden.conf (configure --sysconfdir=/etc puts it there); built-in defaults apply"

	missing=$(chroot "$ROOT" ldd "$exec_path" 2>&1 | grep -E 'not found' || true)
	case $missing in
	'') ;;
	*libasan* | *libubsan*) skip "a sanitizer build cannot run in the Debian root" ;;
	*version*) skip "ctwarden was built against a newer libc than Debian $SUITE has: $missing" ;;
	*) fail "libraries missing in the Debian root (add their packages to INCLUDE): $missing" ;;
	esac
}

# The self-test, run by systemd inside the container once it is up; it powers
# the container off whatever happens (SuccessAction/FailureAction).
install_selftest()
{
	local dir=$ROOT/usr/local/lib/ctwarden-selftest
	mkdir -p "$dir" "$ROOT/etc/systemd/system/multi-user.target.wants"
	cat >"$dir/run.sh" <<'SELFTEST'
#!/bin/bash
# Inside the container: drive ctwarden through systemctl, write KEY=VALUE results.
out=/var/lib/ctwarden-selftest
mkdir -p "$out"
r=$out/results
: >"$r"
say() { echo "$1=$2" >>"$r"; }
unit_state() { systemctl show -P ActiveState ctwarden.service; }
# wait_for_mid ID: until the unit's journal holds an entry with that MESSAGE_ID.
wait_for_mid()
{
	for _ in $(seq 50); do
		journalctl -u ctwarden.service -o json --no-pager | grep -q "\"MESSAGE_ID\":\"$1\"" && return 0
		sleep 0.1
	done
	return 1
}

systemctl enable --now ctwarden.service >"$out/enable.txt" 2>&1
say enable_rc $?
say is_enabled "$(systemctl is-enabled ctwarden.service)"
for _ in $(seq 100); do
	case $(unit_state) in active | failed | inactive) break ;; esac
	sleep 0.1
done
# STATUS= follows the first poll, right after READY.
for _ in $(seq 50); do
	[ -n "$(systemctl show -P StatusText ctwarden.service)" ] && break
	sleep 0.1
done
systemctl show -p ActiveState,SubState,StatusText,MainPID,NRestarts,Result ctwarden.service | sed 's/^/start_/' >>"$r"
wait_for_mid 9ed117e50b844cdca4badb1bc88941dd
journalctl -u ctwarden.service -o json --no-pager >"$out/journal-start.json"

systemctl reload ctwarden.service >"$out/reload.txt" 2>&1
say reload_rc $?
wait_for_mid c0fd6ad6d59c413cbeaf18b37903bd5a
sleep 0.3
systemctl show -p ActiveState,SubState,StatusText,MainPID,NRestarts ctwarden.service | sed 's/^/reload_/' >>"$r"
journalctl -u ctwarden.service -o json --no-pager >"$out/journal.json"

journalctl --update-catalog
say catalog_rc $?
journalctl -x -u ctwarden.service --no-pager -o short >"$out/explained.txt" 2>&1
systemctl status ctwarden.service --no-pager >"$out/status.txt" 2>&1
journalctl -b --no-pager >"$out/boot.txt" 2>&1
say finished yes
SELFTEST
	chmod 0755 "$dir/run.sh"
	cat >"$ROOT/etc/systemd/system/ctwarden-selftest.service" <<'UNIT'
[Unit]
Description=ctwarden self-test (tests/root/test-systemd-boot.sh)
After=multi-user.target ctwarden.service
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=oneshot
ExecStart=/usr/local/lib/ctwarden-selftest/run.sh
TimeoutStartSec=120
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

cache_ensure
root_prepare
install_ctwarden
install_selftest

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
assert_eq "systemctl enable --now ctwarden succeeds" 0 "$(get enable_rc)"
assert_eq "the unit is enabled (WantedBy=multi-user.target)" enabled "$(get is_enabled)"
assert_eq "ctwarden is active: READY=1 reached under the unit's hardening" active "$(get start_ActiveState)"
assert_eq "its main process runs" running "$(get start_SubState)"
assert_eq "no restart was needed" 0 "$(get start_NRestarts)"
status=$(get start_StatusText)
ctw__verdict "STATUS line 'count N/M (x%), N drops' (got '$status')" "no match" \
	grep -qE '^count [0-9]+/[0-9]+ \([0-9]+%.*\), [0-9]+ drops' <<<"$status"

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
assert_eq "nothing at PRIORITY err or worse from the unit" "" \
	"$(jq -r 'select((.PRIORITY | tonumber) <= 3) | .MESSAGE' "$OUT/journal.json" 2>/dev/null || echo '<unreadable journal>')"

assert_eq "journalctl --update-catalog succeeds" 0 "$(get catalog_rc)"
assert_contains "journalctl -x explains the started entry from the installed catalog" \
	"$(cat "$OUT/explained.txt")" "Subject: ctwarden started"

if [ "$CTW_FAILS" -ne 0 ]; then
	echo "---- systemctl status ctwarden (inside):" >&2
	cat "$OUT/status.txt" >&2
	show_container_journal
fi
finish
