#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel: after the daemon's changes, `ctwarden restore` returns every
# knob to its original value and forgets them; a daemon killed with SIGKILL
# and started again keeps the TRUE originals (not its own tuned values).
# Originals recorded inside a network namespace are put back inside that
# namespace and the host's own value is left alone; a namespace that is gone
# (or whose name now leads to another inode) has its originals forgotten.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

START_MAX=4096

need_root
need_cmd ip nft conntrack flock
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock
ctw_tmpdir

need_quiet_tables "$START_MAX"
knob_save nf_conntrack_max
knob_save nf_conntrack_buckets
netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120

conf=$CTW_TMP/ctwarden.conf
cat >"$conf" <<CONF
[daemon]
poll_interval = 100ms
state_dir = $CTW_TMP/state
runtime_dir = $CTW_TMP/run
[limits]
resize_cooldown = 1s
CONF
chmod 0600 "$conf"

daemon_start()
{
	"$CTWARDEN" run -c "$conf" >>"$CTW_TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	ctw_on_exit "kill -9 $DAEMON_PID 2>/dev/null || true"
	wait_while_alive "the daemon's pid file" 10 "$DAEMON_PID" file_is "$CTW_TMP/run/ctwarden.pid" "$DAEMON_PID"
	# Its first poll: the status it publishes carries its pid.
	wait_while_alive "the daemon's first status" 10 "$DAEMON_PID" json_file_is "$CTW_TMP/run/status.json" .pid "$DAEMON_PID"
}

# Wait until max moved away from a value (the daemon raised it).
wait_max_above()
{
	wait_until 5 knob_gt nf_conntrack_max "$1"
}

orig_max=$START_MAX
orig_buckets=$(knob_get nf_conntrack_buckets)
knob_set nf_conntrack_max "$orig_max"

daemon_start
in_ns "$CTW_FLOOD" -q -n 6000 -r 20000 -d 127.40.0.1 >/dev/null
wait_max_above "$orig_max" || { cat "$CTW_TMP/daemon.log"; fail "the daemon did not raise max"; }
first_tuned=$(knob_get nf_conntrack_max)
echo "daemon raised max $orig_max -> $first_tuned"

# A crash: SIGKILL leaves no chance to clean up. The state file must hold the original.
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
state=$(cat "$CTW_TMP/state/state.json")
assert_contains "the state file holds the original max" "$state" "\"net.netfilter.nf_conntrack_max\""
assert_eq "original max recorded" "$orig_max" \
	"$(jq -r '.originals["net.netfilter.nf_conntrack_max"].value' <<<"$state")"

# Restarted, it tunes further from an already tuned value...
daemon_start
in_ns "$CTW_FLOOD" -q -n 20000 -r 20000 -d 127.41.0.1 >/dev/null
# It must tune (and so write the state file again): else the check below
# would only read the first run's file.
wait_max_above "$first_tuned" || { cat "$CTW_TMP/daemon.log"; fail "the restarted daemon did not raise max above $first_tuned"; }
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
state=$(cat "$CTW_TMP/state/state.json")
assert_eq "after a restart the TRUE original max is kept" "$orig_max" \
	"$(jq -r '.originals["net.netfilter.nf_conntrack_max"].value' <<<"$state")"

# While the daemon runs, restore refuses (it would tune again at once).
daemon_start
run "$CTWARDEN" restore -c "$conf"
assert_eq "restore refuses while the daemon runs (exit 2: nothing written)" 2 "$RC"
assert_contains "and says why" "$ERR" "is running"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true

# The table holds more than the original max: restore refuses without --force.
run "$CTWARDEN" restore -c "$conf"
assert_eq "restore refuses to put max under the current count (exit 2)" 2 "$RC"
assert_contains "and says why" "$ERR" "--force"
assert_ne "nothing was restored" "$orig_max" "$(knob_get nf_conntrack_max)"

in_ns conntrack -F >/dev/null 2>&1 || true
run "$CTWARDEN" restore -c "$conf"
echo "$OUT"
echo "$ERR" >&2
assert_eq "restore exits 0" 0 "$RC"
assert_contains "restore names what it restored" "$OUT" "restored net.netfilter.nf_conntrack_max = $orig_max"
assert_eq "max is back to its original" "$orig_max" "$(knob_get nf_conntrack_max)"
assert_eq "buckets are back to their original" "$orig_buckets" "$(knob_get nf_conntrack_buckets)"
assert_eq "the state file is gone" no "$([ -e "$CTW_TMP/state/state.json" ] && echo yes || echo no)"

run "$CTWARDEN" restore -c "$conf"
assert_eq "a second restore has nothing to do" 0 "$RC"
assert_contains "and says so" "$OUT" "nothing to restore"
# ---- originals inside a network namespace ---------------------------------
UDP=net.netfilter.nf_conntrack_udp_timeout
boot_id=$(cat /proc/sys/kernel/random/boot_id)
host_udp=$(sysctl -n $UDP)
ns_udp_orig=$(in_ns sysctl -n $UDP)       # 120, set at the start
# What the daemon does under pressure (soon): shorten the timeout inside the
# namespace after recording its original there. Recorded here directly.
in_ns sysctl -qw $UDP=7
netns_state()  # INODE -> a state with the namespace's udp original
{
	mkdir -p "$CTW_TMP/state"
	chmod 0700 "$CTW_TMP/state"
	printf '{"version":2,"boot_id":"%s","originals":{},"netns":[{"name":"%s","inode":%s,"path":"/run/netns/%s","originals":{"%s":{"value":%s,"changed_at":1700000000}}}]}\n' \
		"$boot_id" "$NS" "$1" "$NS" "$UDP" "$ns_udp_orig" >"$CTW_TMP/state/state.json"
	chmod 0600 "$CTW_TMP/state/state.json"
}
netns_state "$NS_INODE"
run "$CTWARDEN" restore --dry-run -c "$conf"
assert_eq "dry run in a namespace exits 0" 0 "$RC"
assert_contains "it names the namespace" "$OUT" \
	"would write $UDP in netns $NS (inode $NS_INODE) = $ns_udp_orig (now 7)"
assert_eq "and writes nothing" 7 "$(in_ns sysctl -n $UDP)"
run "$CTWARDEN" restore -c "$conf"
echo "$OUT"; echo "$ERR" >&2
assert_eq "restore in a namespace exits 0" 0 "$RC"
assert_contains "it says so" "$OUT" "restored $UDP in netns $NS (inode $NS_INODE) = $ns_udp_orig"
assert_eq "the namespace's timeout is back" "$ns_udp_orig" "$(in_ns sysctl -n $UDP)"
assert_eq "the host's is untouched" "$host_udp" "$(sysctl -n $UDP)"
assert_eq "the state file is gone" no "$([ -e "$CTW_TMP/state/state.json" ] && echo yes || echo no)"

# The same name now leads to another namespace (inodes and names are reused):
# its originals are forgotten, nothing is written anywhere.
in_ns sysctl -qw $UDP=7
netns_state "$((NS_INODE + 1))"
run "$CTWARDEN" restore -c "$conf"
assert_eq "a namespace that is gone: exit 0" 0 "$RC"
assert_contains "it says so" "$OUT" "netns $NS (inode $((NS_INODE + 1))) is gone"
assert_contains "and forgets its originals" "$OUT" "forgetting its 1 original"
assert_eq "the namespace now at that path is not written" 7 "$(in_ns sysctl -n $UDP)"
assert_eq "nor the host" "$host_udp" "$(sysctl -n $UDP)"
assert_eq "the state file is gone" no "$([ -e "$CTW_TMP/state/state.json" ] && echo yes || echo no)"

# From another boot: refused, even with --force.
netns_state "$NS_INODE"
sed -i "s/$boot_id/00000000-0000-0000-0000-000000000000/" "$CTW_TMP/state/state.json"
run "$CTWARDEN" restore --force -c "$conf"
assert_eq "a state from another boot: refused (exit 2)" 2 "$RC"
assert_contains "naming both boots" "$ERR" "state boot ID 00000000-0000-0000-0000-000000000000, this boot $boot_id"
assert_eq "nothing written in the namespace" 7 "$(in_ns sysctl -n $UDP)"

echo "---- daemon log"
cat "$CTW_TMP/daemon.log"
finish
