#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel log: while `ctwarden run` watches /dev/kmsg, a real table-full in
# a netns gives a CRITICAL entry naming that netns (name and inode) within 1 s;
# a table-full line written to /dev/kmsg by user space is ignored.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

MAX=2000

need_root
need_cmd ip nft flock
need_ctwarden
need_flood
need_conntrack_kernel
[ -c /dev/kmsg ] || skip "no /dev/kmsg"
ctw_global_lock
ctw_tmpdir

need_quiet_tables "$MAX"
knob_save nf_conntrack_max
netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120

conf=$CTW_TMP/ctwarden.conf
cat >"$conf" <<CONF
[daemon]
mode = advise
poll_interval = 10s
state_dir = $CTW_TMP/state
runtime_dir = $CTW_TMP/run
CONF
chmod 0600 "$conf"
log=$CTW_TMP/daemon.log
"$CTWARDEN" run -c "$conf" >"$log" 2>&1 &
pid=$!
ctw_on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null || true"
wait_while_alive "the daemon's started entry" 10 "$pid" file_has "$log" CTWARDEN_EVENT=started

# The kernel's table-full lines are rate-limited (5 s windows shared by the
# whole network stack): hold until a fresh window starts.
sleep $(($(cat /proc/sys/net/core/message_cost) + 1))   # hold: a fresh rate-limit window

# A spoofed record: user space cannot write facility 0, the daemon must ignore
# it. It goes in before the real table-full records, so once the daemon has
# said the real one it has read past the spoofed one (kmsg is read in order).
echo "<2>nf_conntrack: nf_conntrack: table full in netns 4026599999, dropping packet" >/dev/kmsg

knob_set nf_conntrack_max "$MAX"
start=$(date +%s%N)
in_ns "$CTW_FLOOD" -q -n 5000 -d 127.60.0.1 >/dev/null
seen=""
if wait_until 5 grep -q "CTWARDEN_EVENT=table_full.*CTWARDEN_NETNS=$NS_INODE" "$log"; then
	seen=$(date +%s%N)
fi
line=$(grep "CTWARDEN_EVENT=table_full" "$log" | grep "CTWARDEN_NETNS=$NS_INODE" | head -1 || true)
echo "$line"
assert_ne "a table_full entry names netns $NS_INODE" "" "$line"
assert_contains "at CRITICAL priority" "$line" "ctwarden: crit:"
assert_contains "it names the netns by its name" "$line" "$NS"
if [ -n "$seen" ]; then
	ms=$(((seen - start) / 1000000))
	echo "table_full entry after $ms ms (flood start to entry)"
	assert_le "within 1 s of the flood" 1000 "$ms"
	# Only meaningful now that the daemon is known to have read past it.
	assert_not_contains "a table-full line from user space is ignored" "$(cat "$log")" "4026599999"
fi
finish
