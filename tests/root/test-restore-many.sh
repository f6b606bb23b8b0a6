#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel, past 512 namespaces: `ctwarden restore` refuses to put
# nf_conntrack_max back below the live count of the fullest namespace unless
# --force, and it finds that namespace among all of them, with the scan the
# daemon uses. 530 namespaces; the one that comes last of them in /run/netns
# (readdir order: past the 512th, checked) gets 3000 entries; a state file
# says the original max was 1000. Only dry runs: no knob is
# written. Namespaces are deleted at exit.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

MANY=530
FULL_COUNT=3000
ORIG_MAX=1000
LIMIT_BEFORE=512   # what restore's old discovery looked at, the host included

need_root
need_cmd ip nft conntrack flock jq
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock
ctw_tmpdir
# The fullest namespace must be ours: none other may hold FULL_COUNT entries.
need_quiet_tables $((2 * FULL_COUNT))
max=$(knob_get nf_conntrack_max)
[ "$max" -eq 0 ] || [ "$max" -gt "$FULL_COUNT" ] || skip "nf_conntrack_max is $max: no room for $FULL_COUNT entries"
netns_reap_stale

# Named ...-$$ so that netns_reap_stale deletes them if this test dies.
ns_name() { echo "ctw-test-restore-many-n$1-$$"; }
made=0
ctw_on_exit 'for ((_n = 1; _n <= made; _n++)); do ip netns delete "$(ns_name $_n)" 2>/dev/null; done'
for ((n = 1; n <= MANY; n++)); do
	ip netns add "$(ns_name $n)" || fail "ip netns add $(ns_name $n)"
	made=$n
done
# /run/netns lists in its file system's order (ext4 here: by name hash, not
# by creation): the full one is the last of ours in that order, so that at
# least MANY - 1 others come before it.
NS=$(ls -f /run/netns | grep -x "ctw-test-restore-many-n[0-9]*-$$" | tail -n 1)
position=$(ls -f /run/netns | grep -v '^\.\.\?$' | grep -nx "$NS" | cut -d: -f1)
echo "$NS is entry $position of $(ls -f /run/netns | grep -vc '^\.\.\?$') in /run/netns"
# The old discovery took the host first, then /run/netns in this order.
[ "$((position + 1))" -gt "$LIMIT_BEFORE" ] ||
	skip "readdir put $NS at $position of /run/netns: it would not test the namespaces past $LIMIT_BEFORE"

ip -n "$NS" link set lo up
in_ns nft 'table inet ctwt { chain out { type filter hook output priority 0; ct state new accept; }; }' ||
	skip "nft cannot add a ct state rule in $NS"
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
in_ns "$CTW_FLOOD" -q -n "$FULL_COUNT" -d 127.7.0.1 >/dev/null
assert_eq "$NS holds $FULL_COUNT entries" "$FULL_COUNT" "$(ns_conntrack_count)"

boot_id=$(cat /proc/sys/kernel/random/boot_id)
conf=$(ctw_conf restore-many "")
state_dir=$CTW_TMP/state-restore-many
mkdir -p "$state_dir"
chmod 0700 "$state_dir"
printf '{"version":2,"boot_id":"%s","originals":{"net.netfilter.nf_conntrack_max":{"value":%s,"changed_at":1700000000}},"netns":[]}\n' \
	"$boot_id" "$ORIG_MAX" >"$state_dir/state.json"
chmod 0600 "$state_dir/state.json"

run "$CTWARDEN" restore --dry-run -c "$conf"
show_err
assert_eq "restore refuses before writing (exit 2)" 2 "$RC"
assert_contains "it names the fullest namespace, past the ${LIMIT_BEFORE}th" "$ERR" "the table of netns $NS holds"
assert_contains "with its live count" "$ERR" "holds $FULL_COUNT entries"
assert_contains "and says how to override" "$ERR" "--force"
assert_eq "max is untouched" "$max" "$(knob_get nf_conntrack_max)"

run "$CTWARDEN" restore --dry-run --force -c "$conf"
show_err
assert_eq "with --force the dry run plans the write (exit 0)" 0 "$RC"
assert_contains "it would write the original max" "$OUT" "would write net.netfilter.nf_conntrack_max = $ORIG_MAX"
assert_eq "a dry run writes nothing" "$max" "$(knob_get nf_conntrack_max)"

finish
