#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel, a container host's scale: 600 namespaces. Started with a soft
# file-descriptor limit of 1024 (systemd's default) the daemon raises it and
# watches every one, and a namespace made afterwards and flooded loses
# nothing. With a hard limit of 1024 it cannot watch them all: each one it
# cannot watch is said in the journal and counted in `ctwarden status`,
# never silently left out. Namespaces are deleted and knobs restored at exit.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

MANY=600
START_MAX=4096

need_root
need_cmd ip nft conntrack flock jq
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock
ctw_tmpdir
need_quiet_tables "$START_MAX"
knob_save nf_conntrack_max
knob_save nf_conntrack_buckets

PREFIX=ctw-many-$$
made=0
ctw_on_exit 'for i in $(seq "$made"); do ip netns delete "$PREFIX-$i" 2>/dev/null; done'
for i in $(seq "$MANY"); do
	ip netns add "$PREFIX-$i" || fail "ip netns add $PREFIX-$i"
	made=$i
done
expected=$(( $(ip netns list | wc -l) + 1 ))   # every named one, and ours

daemon_start() { # daemon_start NAME ULIMIT-ARGS: the daemon with that descriptor limit
	local conf
	conf=$(ctw_conf "$1" "mode = enforce
[limits]
max_ceiling = 262144")
	# shellcheck disable=SC2016 # $@ is the inner shell's
	DAEMON_LOG=$CTW_TMP/$1.log ctw_daemon_start "$conf" bash -c "ulimit $2"' && exec "$@"' ulimit-shell
}

# The exit code is the daemon's level (1 when a namespace is unwatchable): an answer, not a failure.
status_json() { "$CTWARDEN" status --json -c "$CTW_TMP/$1.conf" || true; }

# 1. Soft limit 1024, hard limit above: every namespace watched.
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge $((MANY * 4)) ] || skip "hard file limit $hard is too low for $MANY namespaces"
# max lowered before the daemon starts: it is then the daemon's to raise (a
# change made while it runs would be the operator's, which it yields to).
knob_set nf_conntrack_max "$START_MAX"
daemon_start soft "-Sn 1024"
wait_until 10 status_ge "$CTW_TMP/soft.conf" .netns_watched "$expected" || true
watched=$(status_json soft | jq .netns_watched)
limit=$(awk '/Max open files/ { print $4 }' "/proc/$DAEMON_PID/limits")
echo "soft limit 1024: watched $watched of $expected, the daemon's soft limit now $limit"
assert_ge "every namespace is watched" "$expected" "$watched"
assert_gt "the daemon raised its soft limit" 1024 "$limit"
assert_not_contains "nothing is reported unwatchable" "$(cat "$CTW_TMP/soft.log")" "netns_unwatchable"

# A late namespace, flooded, among them: nothing dropped.
netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120
before=$(ns_conntrack_stat_sum drop)
in_ns "$CTW_FLOOD" -q -n 20000 -r 10000 -d 127.51.0.1 >/dev/null
# The kernel counts a drop as it refuses the packet: nothing to wait for.
drops=$(( $(ns_conntrack_stat_sum drop) - before ))
echo "late namespace among $MANY: $drops dropped, max now $(knob_get nf_conntrack_max)"
assert_eq "a late namespace among $MANY drops nothing" 0 "$drops"
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true

# 2. Hard limit 1024: not all can be watched, and each one left out is said.
daemon_start hard "-n 1024"
named=$(( $(ip netns list | wc -l) + 1 ))
# The first scan is over when every namespace is watched or said unwatchable.
scanned()
{
	local st watched said
	st=$(status_json hard)
	watched=$(json_get "$st" .netns_watched)
	said=$(grep -c 'CTWARDEN_EVENT=netns_unwatchable' "$CTW_TMP/hard.log") || said=0
	echo "watched $watched, said unwatchable $said, of $named"
	[[ $watched =~ ^[0-9]+$ ]] && [ $((watched + said)) -ge "$named" ]
}
wait_until 20 scanned || true
st=$(status_json hard)
watched=$(echo "$st" | jq .netns_watched)
said=$(grep -c 'CTWARDEN_EVENT=netns_unwatchable' "$CTW_TMP/hard.log" || true)
reasons=$(grep -m2 'CTWARDEN_EVENT=netns_unwatchable' "$CTW_TMP/hard.log" || true)
echo "hard limit 1024: watched $watched, said unwatchable $said, named namespaces and ours $named"
echo "$reasons"
assert_gt "with 1024 descriptors not all are watched" "$watched" "$named"
assert_gt "the ones left out are said" 0 "$said"
assert_ge "every namespace is watched or said unwatchable" "$named" "$((watched + said))"
assert_eq "each is said once" "$said" "$(grep 'CTWARDEN_EVENT=netns_unwatchable' "$CTW_TMP/hard.log" | sort -u | wc -l)"
assert_contains "the reason names the descriptor limit" "$reasons" "Too many open files"
assert_not_contains "no namespace is claimed not to exist" "$(cat "$CTW_TMP/hard.log")" "not found"
# A missing field is a failure, not a pass: jq prints null for it.
assert_eq "status counts the unwatchable namespaces" "$said" "$(json_get "$st" .namespaces.unwatchable)"
finish
