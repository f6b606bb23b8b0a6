#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel, real node_exporter: `ctwarden run` writes its metrics to a
# textfile-collector directory ([metrics] textfile); a node_exporter started
# by the test serves them on loopback. During a real flood in a namespace a
# scrape shows that namespace's entries rising and
# ctwarden_decisions_total{kind="max_raised"} going up; the file passes
# promtool check metrics and uses only the shipped contract's names.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

START_MAX=4096

need_root
need_cmd ip nft conntrack flock promtool jq
command -v prometheus-node-exporter >/dev/null 2>&1 ||
	skip "needs prometheus-node-exporter (Debian package prometheus-node-exporter)"
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock
ctw_tmpdir
[ -n "${CTW_SRCDIR:-}" ] || skip "CTW_SRCDIR is not set (run through make check)"
CONTRACT=$CTW_SRCDIR/contrib/prometheus/metrics.txt
need_quiet_tables "$START_MAX"
knob_save nf_conntrack_max
knob_save nf_conntrack_buckets
knob_set nf_conntrack_max "$START_MAX"
netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120

textdir=$CTW_TMP/textfile
mkdir "$textdir"
conf=$(ctw_conf prom "poll_interval = 100ms
[limits]
max_ceiling = 262144
[metrics]
textfile = $textdir/ctwarden.prom")
ctw_daemon_start "$conf"
wait_until 5 test -s "$textdir/ctwarden.prom" || { cat "$CTW_TMP/daemon.log"; fail "the daemon wrote no metrics file within 5 s"; }

run promtool check metrics <"$textdir/ctwarden.prom"
echo "$OUT$ERR"
assert_eq "the daemon's file passes promtool check metrics" 0 "$RC"
assert_eq "only the metrics file is in the directory (temp files are renamed)" ctwarden.prom "$(ls -A "$textdir")"

ctw_node_exporter "$textdir"
port=$EXPORTER_PORT
ns="netns=\"$NS\",netns_inode=\"$NS_INODE\""
raised='ctwarden_decisions_total{kind="max_raised"}'

before=$(ctw_fetch "http://127.0.0.1:$port/metrics")
assert_eq "node_exporter read the file without error" 0 "$(prom_get "$before" node_textfile_scrape_error)"
assert_eq "before the flood: no raise counted" 0 "$(prom_get "$before" "$raised")"
assert_eq "before the flood: the namespace is empty" 0 "$(prom_get "$before" "ctwarden_conntrack_entries{$ns}")"

# scrape_shows SERIES MIN: a scrape serves SERIES above MIN.
scrape_shows()
{
	local v
	v=$(prom_get "$(ctw_fetch "http://127.0.0.1:$port/metrics")" "$1")
	echo "$1 $v"
	ctw__cmp "${v:-x}" ">" "$2"
}
in_ns "$CTW_FLOOD" -q -n 30000 -r 10000 -d 127.91.0.1 >/dev/null &
flood=$!
# During the flood (3 s): a scrape shows the namespace's entries above 1000.
wait_until 10 scrape_shows "ctwarden_conntrack_entries{$ns}" 1000 || true
during=$(ctw_fetch "http://127.0.0.1:$port/metrics")
assert_eq "the entries showed while the flood ran" yes "$(pid_gone "$flood" && echo no || echo yes)"
wait $flood
# After it: the file is rewritten with the last count (the kernel's).
want=$(ns_conntrack_count)
wait_until 10 scrape_shows "ctwarden_conntrack_entries{$ns}" $((want - 1)) || true
after=$(ctw_fetch "http://127.0.0.1:$port/metrics")
e1=$(prom_get "$during" "ctwarden_conntrack_entries{$ns}") e2=$(prom_get "$after" "ctwarden_conntrack_entries{$ns}")
echo "entries during/after: $e1/$e2; raises during/after: $(prom_get "$during" "$raised")/$(prom_get "$after" "$raised")"
assert_gt "during the flood the namespace's entries show" 1000 "$e1"
assert_gt "after it they rose further" "$e1" "$e2"
assert_gt "max_raised was counted" 0 "$(prom_get "$after" "$raised")"
assert_eq "the limit shows the raised max" "$(knob_get nf_conntrack_max)" "$(prom_get "$after" "ctwarden_conntrack_limit{$ns}")"
assert_eq "the namespaces watched are counted" "$(jq .netns_watched "$CTW_TMP/run-prom/status.json")" \
	"$(prom_get "$after" ctwarden_netns_watched)"
assert_eq "no textfile error after the rewrites" 0 "$(prom_get "$after" node_textfile_scrape_error)"

# Every ctwarden family served is in the shipped contract, with its type.
bad=$(awk -v contract="$CONTRACT" '
	BEGIN { while ((getline l < contract) > 0) { if (l ~ /^#/ || l == "") continue; split(l, f, " "); type[f[1]] = f[2] } }
	/^# TYPE ctwarden_/ { if (!($3 in type)) print "unknown family " $3; else if (type[$3] != $4) print $3 " is " $4 }' <<<"$after")
assert_eq "scrape: only metrics.txt's names and types" "" "$bad"

# Every metric the shipped rules and dashboard use is in a real scrape of
# the daemon (the audit-only ones, ctwarden_audit_*, in the audit's).
served=$(grep -o '^ctwarden_[a-z_]*' <<<"$after" | sort -u)
audit=$(in_ns "$CTWARDEN" -c "$conf" audit --format=prometheus 2>/dev/null | grep -o '^ctwarden_[a-z_]*' | sort -u || true)
missing="" checked=0
for m in $(cat "$CTW_SRCDIR"/contrib/prometheus/ctwarden.rules.yml "$CTW_SRCDIR"/contrib/prometheus/ctwarden-dashboard.json |
	grep -o 'ctwarden_[a-z_]*' | sed -E 's/_(bucket|sum|count)$//' | sort -u); do
	checked=$((checked + 1))
	grep -qx "$m" <<<"$served" || grep -qx "$m" <<<"$audit" || missing="$missing $m"
done
assert_gt "the rules and dashboard use several metrics" 5 "$checked"
assert_eq "every metric of the rules and dashboard is in a real scrape" "" "$missing"
finish
