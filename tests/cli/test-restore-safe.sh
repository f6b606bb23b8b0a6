#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Safe actuation on a fixture root (no root, no kernel needed): originals
# from another boot are discarded by the daemon and refused by restore;
# restore checks every entry before writing (one bad entry changes nothing),
# puts back what it wrote when a later write fails, and has a dry run; the
# state file is trusted only when it cannot lie (known knobs, in range, no
# key twice, our owner, no writable directory, never a FIFO); persist writes
# /etc/sysctl.d/90-ctwarden.conf, which restore leaves alone.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_ctwarden
need_fixtures
need_cmd jq timeout mkfifo
ctw_tmpdir
root=$CTW_TMP/root
cp -r "$FIXTURES/roots/full-table" "$root"
nf=$root/proc/sys/net/netfilter
mkdir -p "$root/proc/sys/kernel/random"
BOOT_A=11111111-2222-3333-4444-555555555555
BOOT_B=99999999-8888-7777-6666-555555555555
echo "$BOOT_A" >"$root/proc/sys/kernel/random/boot_id"
echo 0 >"$root/proc/sys/kernel/panic"
state_dir=$CTW_TMP/state
state=$state_dir/state.json
conf=$CTW_TMP/ctwarden.conf
cat >"$conf" <<CONF
[daemon]
poll_interval = 100ms
state_dir = $state_dir
runtime_dir = $CTW_TMP/run
[limits]
max_ceiling = 131072
CONF
chmod 0600 "$conf"
orig_max=$(cat "$nf/nf_conntrack_max")
orig_buckets=$(cat "$nf/nf_conntrack_buckets")

# Every knob a state could name, and kernel.panic: "no knob touched" compares these.
knobs()
{
	cat "$nf/nf_conntrack_max" "$nf/nf_conntrack_buckets" "$nf/nf_conntrack_udp_timeout" \
		"$nf/nf_conntrack_expect_max" "$root/proc/sys/kernel/panic" 2>&1 | tr '\n' ' '
}

# A state file as ctwarden would have written it this boot (mode 0600).
put_state()
{
	mkdir -p "$state_dir"
	chmod 0700 "$state_dir"
	rm -f "$state"
	printf '%s\n' "$1" >"$state"
	chmod 0600 "$state"
}
orig() { printf '"%s":{"value":%s,"changed_at":1700000000}' "$1" "$2"; }
MAX=net.netfilter.nf_conntrack_max
BUCKETS=net.netfilter.nf_conntrack_buckets

# ---- the daemon tunes; dry run; persist ----------------------------------
# -k: under LeakSanitizer a daemon has been seen to spin at exit with SIGTERM
# blocked (its stop-the-world tracer never returned); a KILL after 5 s more
# keeps that from hanging the suite, and the asserts below still decide.
timeout -k 5 10 "$CTWARDEN" run -c "$conf" --root "$root" >"$CTW_TMP/daemon.log" 2>&1 &
pid=$!
ctw_on_exit "kill $pid 2>/dev/null || true"
# Done when both knobs reached the ceiling (the resize follows the raise).
tuned() { file_is "$nf/nf_conntrack_max" 131072 && file_is "$nf/nf_conntrack_buckets" 131072; }
wait_until 10 ctw__alive_and "$pid" tuned || echo "not tuned within 10 s: $WAIT_LAST"
kill -TERM $pid
wait $pid || true
assert_eq "the daemon raised max" 131072 "$(cat "$nf/nf_conntrack_max")"
assert_eq "the state names this boot" "$BOOT_A" "$(jq -r .boot_id "$state")"
assert_eq "the state is version 2" 2 "$(jq -r .version "$state")"

before=$(knobs)
run "$CTWARDEN" restore --dry-run -c "$conf" --root "$root"
assert_eq "restore --dry-run exits 0" 0 "$RC"
assert_contains "it says what it would write" "$OUT" "would write $MAX = $orig_max (now 131072)"
assert_contains "and buckets" "$OUT" "would write $BUCKETS = $orig_buckets (now 131072)"
assert_contains "and that it wrote nothing" "$OUT" "dry run: nothing written"
assert_eq "max goes down: it is written before buckets" "$MAX $BUCKETS" \
	"$(awk '/^would write/ { printf "%s%s", sep, $3; sep = " " }' <<<"$OUT")"
assert_eq "no knob changed" "$before" "$(knobs)"
assert_eq "the state is still there" 2 "$(jq '.originals | length' "$state")"

persisted=$root/etc/sysctl.d/90-ctwarden.conf
run "$CTWARDEN" persist --dry-run -c "$conf" --root "$root"
assert_eq "persist --dry-run exits 0" 0 "$RC"
assert_contains "it prints the tuned max" "$OUT" "$MAX = 131072"
assert_contains "and the tuned buckets" "$OUT" "$BUCKETS = 131072"
assert_contains "with a header saying what wrote it" "$OUT" "# Written by \`ctwarden persist\`"
assert_contains "and how to undo it" "$OUT" "To undo: rm $persisted"
assert_eq "and writes no file" no "$([ -e "$persisted" ] && echo yes || echo no)"
run "$CTWARDEN" persist -c "$conf" --root "$root"
assert_eq "persist exits 0" 0 "$RC"
assert_contains "it says where it wrote" "$OUT" "wrote 2 values to $persisted"
assert_eq "the file holds the tuned values" "$MAX = 131072|$BUCKETS = 131072" \
	"$(grep -v '^#' "$persisted" | paste -sd '|')"
assert_eq "the file is 0644" 644 "$(stat -c %a "$persisted")"
assert_eq "no temp file is left" 1 "$(find "$root/etc/sysctl.d" -mindepth 1 | wc -l)"
persisted_text=$(cat "$persisted")

# ---- another boot --------------------------------------------------------
echo "$BOOT_B" >"$root/proc/sys/kernel/random/boot_id"
before=$(knobs)
for force in "" --force; do
	run timeout 10 "$CTWARDEN" restore $force -c "$conf" --root "$root"
	assert_eq "restore $force refuses a state from another boot (exit 2)" 2 "$RC"
	assert_contains "naming the file" "$ERR" "$state: these originals are from another boot"
	assert_contains "and both boot IDs" "$ERR" "state boot ID $BOOT_A, this boot $BOOT_B"
	assert_contains "and the way out" "$ERR" "ctwarden restore --forget"
	assert_eq "no knob touched" "$before" "$(knobs)"
done
run "$CTWARDEN" persist -c "$conf" --root "$root"
assert_eq "persist refuses it too" 2 "$RC"
assert_eq "and leaves the sysctl.d file alone" "$persisted_text" "$(cat "$persisted")"
cp "$state" "$CTW_TMP/other-boot.json"

# The daemon starts afresh: the originals of another boot are discarded, said
# once. A reboot put the kernel at its boot values: here 70000, not the old
# boot's original (65536), so that this boot's original tells them apart; at
# 65536 entries that is 94% full, and the daemon tunes (and records) again.
BOOT_B_MAX=70000
echo "$BOOT_B_MAX" >"$nf/nf_conntrack_max"
timeout -k 5 10 "$CTWARDEN" run -c "$conf" --root "$root" >"$CTW_TMP/boot.log" 2>&1 &
pid=$!
ctw_on_exit "kill $pid 2>/dev/null || true"
retuned() { json_file_is "$state" .boot_id "$BOOT_B" && file_is "$nf/nf_conntrack_max" 131072; }
wait_until 10 ctw__alive_and "$pid" retuned || echo "not tuned again within 10 s: $WAIT_LAST"
kill -TERM $pid
wait $pid || true
assert_eq "the daemon says it discarded them, once" 1 \
	"$(grep -c "discarded 2 original values of boot $BOOT_A from $state" "$CTW_TMP/boot.log" || true)"
assert_contains "because the kernel is at its boot values" "$(cat "$CTW_TMP/boot.log")" \
	"the kernel started from its boot values since (this boot is $BOOT_B)"
assert_eq "the daemon tuned again, within the ceiling" 131072 "$(cat "$nf/nf_conntrack_max")"
assert_eq "a new state is written" yes "$([ -f "$state" ] && echo yes || echo no)"
assert_eq "it names the new boot" "$BOOT_B" "$(jq -r .boot_id "$state" 2>/dev/null)"
assert_eq "its original max is this boot's, not the old boot's $orig_max" "$BOOT_B_MAX" \
	"$(jq -r ".originals[\"$MAX\"].value" "$state" 2>/dev/null)"

# restore --forget drops such a state without writing anything.
put_state "$(cat "$CTW_TMP/other-boot.json")"
before=$(knobs)
run "$CTWARDEN" restore --forget -c "$conf" --root "$root"
assert_eq "restore --forget exits 0" 0 "$RC"
assert_contains "and says what it forgot" "$OUT" "forgot 2 originals from $state (boot $BOOT_A)"
assert_eq "the state file is gone" no "$([ -e "$state" ] && echo yes || echo no)"
assert_eq "no knob touched" "$before" "$(knobs)"
echo "$BOOT_A" >"$root/proc/sys/kernel/random/boot_id"

# ---- refused before writing: each a clear error naming the file ----------
echo 131072 >"$nf/nf_conntrack_max"
echo 131072 >"$nf/nf_conntrack_buckets"
refused()
{
	local what=$1 text=$2 expect=$3
	put_state "$text"
	before=$(knobs)
	run timeout 10 "$CTWARDEN" restore -c "$conf" --root "$root"
	assert_eq "$what: refused before writing (exit 2)" 2 "$RC"
	assert_contains "$what: the error names the file" "$ERR" "$state"
	assert_contains "$what: and what is wrong" "$ERR" "$expect"
	assert_eq "$what: no knob touched" "$before" "$(knobs)"
}
refused "one bad entry (buckets 0 beside a valid max)" \
	"{\"version\":2,\"boot_id\":\"$BOOT_A\",\"originals\":{$(orig $MAX 65536),$(orig $BUCKETS 0)}}" \
	"\"$BUCKETS\" value 0 out of range"
refused "max 0 (unlimited)" \
	"{\"version\":2,\"boot_id\":\"$BOOT_A\",\"originals\":{$(orig $MAX 0)}}" "\"$MAX\" value 0 out of range"
refused "a timeout of 0" \
	"{\"version\":2,\"boot_id\":\"$BOOT_A\",\"originals\":{$(orig net.netfilter.nf_conntrack_udp_timeout 0)}}" \
	"nf_conntrack_udp_timeout\" value 0 out of range"
refused "kernel.panic" \
	"{\"version\":2,\"boot_id\":\"$BOOT_A\",\"originals\":{$(orig $MAX 65536),$(orig kernel.panic 1)}}" \
	"\"kernel.panic\" is not a knob ctwarden manages"
refused "a duplicated name" \
	"{\"version\":2,\"boot_id\":\"$BOOT_A\",\"originals\":{$(orig $MAX 65536),$(orig $MAX 4096)}}" \
	"\"$MAX\" appears twice"
refused "a namespace's originals on a fixture root" \
	"{\"version\":2,\"boot_id\":\"$BOOT_A\",\"originals\":{$(orig $MAX 65536)},\"netns\":[{\"name\":\"ctw-a\",\"inode\":4026532177,\"path\":\"/run/netns/ctw-a\",\"originals\":{$(orig net.netfilter.nf_conntrack_udp_timeout 30)}}]}" \
	"only be restored on the live kernel"
refused "a netns path that is not a namespace" \
	"{\"version\":2,\"boot_id\":\"$BOOT_A\",\"originals\":{},\"netns\":[{\"name\":\"a\",\"inode\":7,\"path\":\"/etc/shadow\",\"originals\":{$(orig net.netfilter.nf_conntrack_udp_timeout 30)}}]}" \
	"\"/etc/shadow\" is not /run/netns/NAME or /proc/PID/ns/net"
echo 100000 >"$nf/nf_conntrack_count"
refused "max below the live count" \
	"{\"version\":2,\"boot_id\":\"$BOOT_A\",\"originals\":{$(orig $MAX 65536)}}" "use --force"
run "$CTWARDEN" restore --force -c "$conf" --root "$root"
assert_eq "--force restores max below the count" "0 65536" "$RC $(cat "$nf/nf_conntrack_max")"
echo 65536 >"$nf/nf_conntrack_count"

good="{\"version\":2,\"boot_id\":\"$BOOT_A\",\"originals\":{$(orig $MAX 65536)}}"
put_state "$good"
chmod 0777 "$state_dir"
before=$(knobs)
run timeout 10 "$CTWARDEN" restore -c "$conf" --root "$root"
assert_eq "a directory writable by others: refused" 2 "$RC"
assert_contains "naming the directory" "$ERR" "$state_dir: refusing a state directory writable by group or others"
assert_eq "no knob touched" "$before" "$(knobs)"
chmod 0700 "$state_dir"
chmod 0620 "$state"
run timeout 10 "$CTWARDEN" restore -c "$conf" --root "$root"
assert_eq "a state file writable by the group: refused" 2 "$RC"
assert_contains "naming the file" "$ERR" "$state: refusing a state file writable by group or others"
if [ "$(id -u)" -eq 0 ]; then
	put_state "$good"
	chown 65534 "$state"
	run timeout 10 "$CTWARDEN" restore -c "$conf" --root "$root"
	assert_eq "a state owned by another user: refused" 2 "$RC"
	assert_contains "naming the file and the owner" "$ERR" "$state: refusing a state file owned by uid 65534"
	assert_eq "no knob touched" "$before" "$(knobs)"
else
	echo "SKIP part: foreign owner (needs root to chown)"
fi

# FIFOs: state, status and config. Each a clear error, never a hang.
rm -f "$state"
mkfifo -m 0600 "$state"
run timeout 10 "$CTWARDEN" restore -c "$conf" --root "$root"
assert_eq "a FIFO state: restore refuses at once (not killed by timeout)" 2 "$RC"
assert_contains "naming it" "$ERR" "$state: not a regular file (a FIFO)"
run timeout -k 5 10 "$CTWARDEN" run -c "$conf" --root "$root"
assert_ne "a FIFO state: the daemon does not start" 0 "$RC"
assert_ne "and is not killed by the timeout" 124 "$RC"
assert_contains "naming it" "$ERR" "$state: not a regular file (a FIFO)"
assert_eq "no knob touched" "$before" "$(knobs)"
rm -f "$state"
mkdir -p "$CTW_TMP/run"
mkfifo -m 0644 "$CTW_TMP/run/status.json"
run timeout 10 "$CTWARDEN" status -c "$conf"
assert_ne "a FIFO status: status fails" 0 "$RC"
assert_ne "at once (not killed by timeout)" 124 "$RC"
assert_contains "naming it" "$ERR$OUT" "status.json"
assert_contains "saying what it is" "$ERR$OUT" "not a regular file (a FIFO)"
rm -f "$CTW_TMP/run/status.json"
mkfifo -m 0600 "$CTW_TMP/fifo.conf"
run timeout 10 "$CTWARDEN" restore -c "$CTW_TMP/fifo.conf" --root "$root"
assert_eq "a FIFO config: restore refuses at once" 2 "$RC"
assert_contains "naming it, saying it is no regular file" "$ERR" "$CTW_TMP/fifo.conf: not a regular file"
rm -f "$CTW_TMP/fifo.conf"
# A FIFO in place of a fixture's kernel log: the audit says so and goes on.
rm -f "$root/dev/kmsg"
mkfifo "$root/dev/kmsg"
run timeout 10 "$CTWARDEN" audit --root "$root"
assert_ne "a FIFO kmsg: the audit is not killed by the timeout" 124 "$RC"
assert_contains "it says the log could not be read" "$OUT$ERR" "dev/kmsg: No such device: table-full messages not checked"
rm -f "$root/dev/kmsg"

# ---- a write fails: what was written is put back -------------------------
# nf_conntrack_buckets becomes a knob nobody may write, not even root: a
# read-only sysctl (0444) of the real kernel holding a number.
ro=/proc/sys/kernel/ngroups_max
if [ -r "$ro" ] && [ ! -w "$ro" ] || [ "$(stat -c %a "$ro" 2>/dev/null)" = 444 ]; then
	ro_value=$(cat "$ro")
	mv "$nf/nf_conntrack_buckets" "$CTW_TMP/buckets.saved"
	ln -s "$ro" "$nf/nf_conntrack_buckets"
	echo 131072 >"$nf/nf_conntrack_max"
	put_state "{\"version\":2,\"boot_id\":\"$BOOT_A\",\"originals\":{$(orig $MAX 65536),$(orig $BUCKETS 1024)}}"
	saved=$(cat "$state")
	run timeout 10 "$CTWARDEN" restore -c "$conf" --root "$root"
	assert_eq "the second write fails: exit 1 (rolled back)" 1 "$RC"
	assert_contains "max was written first (it goes down)" "$OUT" "restored $MAX = 65536"
	assert_contains "buckets failed, said with the reason" "$ERR" "cannot restore $BUCKETS to 1024: Permission denied"
	assert_contains "and max was put back" "$ERR" "put back $MAX = 131072"
	assert_eq "max is as before" 131072 "$(cat "$nf/nf_conntrack_max")"
	assert_eq "buckets are as before" "$ro_value" "$(cat "$ro")"
	assert_eq "the state file is unchanged" "$saved" "$(cat "$state")"
	rm "$nf/nf_conntrack_buckets"
	mv "$CTW_TMP/buckets.saved" "$nf/nf_conntrack_buckets"
else
	echo "SKIP part: no read-only numeric sysctl at $ro"
fi

# max goes up (the daemon had lowered it): buckets are raised first.
echo 65536 >"$nf/nf_conntrack_max"
echo 65536 >"$nf/nf_conntrack_buckets"
put_state "{\"version\":2,\"boot_id\":\"$BOOT_A\",\"originals\":{$(orig $MAX 262144),$(orig $BUCKETS 262144),$(orig net.netfilter.nf_conntrack_udp_timeout 10)}}"
run "$CTWARDEN" restore --dry-run -c "$conf" --root "$root"
assert_eq "max goes up: buckets first, a shorter timeout before both" \
	"net.netfilter.nf_conntrack_udp_timeout $BUCKETS $MAX" \
	"$(awk '/^would write/ { printf "%s%s", sep, $3; sep = " " }' <<<"$OUT")"

# ---- a clean restore; persist's file stays --------------------------------
echo 131072 >"$nf/nf_conntrack_max"
echo 131072 >"$nf/nf_conntrack_buckets"
put_state "{\"version\":2,\"boot_id\":\"$BOOT_A\",\"originals\":{$(orig $MAX 65536),$(orig $BUCKETS 65536)}}"
run "$CTWARDEN" restore -c "$conf" --root "$root"
assert_eq "restore exits 0" 0 "$RC"
assert_eq "max is back" 65536 "$(cat "$nf/nf_conntrack_max")"
assert_eq "buckets are back" 65536 "$(cat "$nf/nf_conntrack_buckets")"
assert_eq "the state file is gone" no "$([ -e "$state" ] && echo yes || echo no)"
assert_eq "restore left the sysctl.d file alone" "$persisted_text" "$(cat "$persisted")"
run "$CTWARDEN" restore -c "$conf" --root "$root"
assert_eq "nothing to do: exit 0" "0" "$RC"
assert_contains "and says so" "$OUT" "nothing to restore"
run "$CTWARDEN" restore --bogus -c "$conf" --root "$root"
assert_eq "a usage error: exit 3" 3 "$RC"

# A version 1 state (before boot IDs) written this boot still restores.
echo 131072 >"$nf/nf_conntrack_max"
put_state "{\"version\":1,\"originals\":{$(orig $MAX 65536)}}"
run "$CTWARDEN" restore -c "$conf" --root "$root"
assert_eq "a version 1 state of this boot restores" "0 65536" "$RC $(cat "$nf/nf_conntrack_max")"
# ... but one older than this boot is from another boot.
put_state "{\"version\":1,\"originals\":{$(orig $MAX 4096)}}"
touch -d @1000000000 "$state"
run "$CTWARDEN" restore -c "$conf" --root "$root"
assert_eq "a version 1 state older than this boot is refused" 2 "$RC"
assert_contains "as from another boot" "$ERR" "unknown, written before this boot"
finish
