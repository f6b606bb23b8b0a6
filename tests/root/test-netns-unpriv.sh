#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel, reduced rights: inside a fresh netns the global knobs are
# read-only (the audit must say so, not offer sysctl -w there); as an
# unprivileged user the audit still reports count and max, gives a real
# status, and says in its notes what it could not read and what it used.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

FLOWS=300
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

need_root
need_cmd ip nft jq setpriv flock
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock

netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
in_ns "$CTW_FLOOD" -q -n "$FLOWS" -d 127.5.0.1 >/dev/null
max=$(knob_get nf_conntrack_max)

# Root inside the netns: the global knobs are 0444 there.
run in_ns "$CTWARDEN" audit --json
show_err
assert_json "root audit in a netns prints JSON" "$OUT"
assert_eq "init_netns false" false "$(json_get "$OUT" .init_netns)"
assert_contains "finding netns_readonly" "$(json_finding_codes "$OUT")" netns_readonly
assert_eq "count of this netns" "$FLOWS" "$(json_get "$OUT" .count)"

# The unprivileged user must be able to run the binary where it was built.
ctw_tmpdir
chmod 0755 "$CTW_TMP"
if ! in_ns "${NOBODY[@]}" test -x "$CTWARDEN"; then
	cp "$CTWARDEN" "$CTW_TMP/ctwarden"
	chmod 0755 "$CTW_TMP/ctwarden"
	CTWARDEN=$CTW_TMP/ctwarden
fi
# An empty, readable policy file: defaults, wherever the build's sysconfdir is.
: >"$CTW_TMP/ctwarden.conf"
chmod 0644 "$CTW_TMP/ctwarden.conf"

run in_ns "${NOBODY[@]}" "$CTWARDEN" -c "$CTW_TMP/ctwarden.conf" audit --json
show_err
assert_in "unprivileged audit exits 0/1/2, not 3 (UNKNOWN)" "$RC" 0 1 2
assert_json "unprivileged audit prints JSON" "$OUT"
assert_eq "unprivileged: count still reported" "$FLOWS" "$(json_get "$OUT" .count)"
assert_eq "unprivileged: max still reported" "$max" "$(json_get "$OUT" .max)"
assert_eq "unprivileged: init_netns false" false "$(json_get "$OUT" .init_netns)"
# ctnetlink needs CAP_NET_ADMIN: the counters come from procfs instead.
assert_eq "unprivileged: counters from procfs" procfs "$(json_get "$OUT" .counters_source)"
notes=$(json_get "$OUT" '.notes | join("\n")')
echo "notes:"; echo "$notes"
assert_contains "notes say netlink stats were not used" "${notes,,}" netlink
assert_contains "notes say the slab object size is an estimate" "${notes,,}" slabinfo
assert_eq "memory object size is estimated" true "$(json_get "$OUT" .memory.object_size_estimated)"

# Text mode as well: same status, and nothing on stderr but notes.
run in_ns "${NOBODY[@]}" "$CTWARDEN" -c "$CTW_TMP/ctwarden.conf" audit
assert_in "unprivileged text audit exits 0/1/2" "$RC" 0 1 2
assert_contains "text report shows the count" "$OUT" "$FLOWS"

finish
