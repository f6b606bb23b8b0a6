#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel, real node_exporter: `ctwarden audit --format=prometheus` run
# inside a netns the test fills with UDP flows passes `promtool check metrics`
# and counts exactly those flows under that namespace's name and inode; with
# -o it writes into a textfile-collector directory that a node_exporter
# started by the test (loopback only, other collectors off) serves, and a
# scrape shows the same values, rising when more flows are made, with no
# textfile error and only metric names, types and labels of metrics.txt.
# The netns label follows the daemon's naming: a /run/netns name, a
# netns_dirs file ("docker ID"), or "pid N" for an unnamed one (unshare).
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

FLOWS=3000
MORE=2000

need_root
need_cmd ip nft conntrack flock promtool
command -v prometheus-node-exporter >/dev/null 2>&1 ||
	skip "needs prometheus-node-exporter (Debian package prometheus-node-exporter)"
need_ctwarden
need_flood
need_conntrack_kernel
ctw_global_lock
[ -n "${CTW_SRCDIR:-}" ] || skip "CTW_SRCDIR is not set (run through make check)"
CONTRACT=$CTW_SRCDIR/contrib/prometheus/metrics.txt

max=$(knob_get nf_conntrack_max)
[ "$max" -eq 0 ] || [ "$max" -gt $((FLOWS + MORE)) ] ||
	skip "nf_conntrack_max is $max, below the $((FLOWS + MORE)) flows this test makes"

ctw_tmpdir
conf=$CTW_TMP/ctwarden.conf
printf '' >"$conf"
chmod 600 "$conf"
textdir=$CTW_TMP/textfile
mkdir "$textdir"

netns_create
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
in_ns "$CTW_FLOOD" -q -n "$FLOWS" -d 127.2.0.1 >/dev/null
assert_eq "conntrack -C counts the flows" "$FLOWS" "$(ns_conntrack_count)"


ns="netns=\"$NS\",netns_inode=\"$NS_INODE\""

# ---- the audit's exposition ------------------------------------------------
run in_ns "$CTWARDEN" -c "$conf" audit --format=prometheus
assert_in "exit code is a status (0-2), not UNKNOWN" "$RC" 0 1 2
show_err
PROM=$OUT AUDIT_RC=$RC
run promtool check metrics <<<"$PROM"
assert_eq "promtool check metrics is clean" "0 " "$RC $OUT$ERR"
assert_eq "entries of the test's netns, under its name and inode" "$FLOWS" \
	"$(prom_get "$PROM" "ctwarden_conntrack_entries{$ns}")"
assert_eq "limit = nf_conntrack_max" "$max" "$(prom_get "$PROM" "ctwarden_conntrack_limit{$ns}")"
assert_eq "no drops in a table with room" 0 "$(prom_get "$PROM" "ctwarden_conntrack_drops_total{$ns}")"
assert_eq "early drops read over netlink, 0" 0 "$(prom_get "$PROM" "ctwarden_conntrack_early_drops_total{$ns}")"
assert_eq "knob nf_conntrack_max as read in the netns" "$max" \
	"$(prom_get "$PROM" "ctwarden_knob_value{knob=\"nf_conntrack_max\",netns=\"$NS\"}")"
assert_eq "audit_status is the exit code" "$AUDIT_RC" "$(prom_get "$PROM" ctwarden_audit_status)"
run in_ns "$CTWARDEN" -c "$conf" audit --json
assert_eq "the JSON audit counts the same" "$FLOWS" "$(json_get "$OUT" .count)"

# Named as the daemon names it: by the netns_dirs of the config, here a
# Docker-like directory holding a bind mount of the test's netns.
dockdir=$CTW_TMP/docker/netns
mkdir -p "$dockdir"
touch "$dockdir/0123456789ab"
mount --bind "/run/netns/$NS" "$dockdir/0123456789ab" || skip "cannot bind-mount a netns file"
ctw_on_exit "umount '$dockdir/0123456789ab'"
dconf=$CTW_TMP/docker.conf
printf '[daemon]\nnetns_dirs = %s\n' "$dockdir" >"$dconf"
chmod 600 "$dconf"
run in_ns "$CTWARDEN" -c "$dconf" audit --format=prometheus
assert_eq "netns_dirs of the config name the netns (\"docker ID\")" "$FLOWS" \
	"$(prom_get "$OUT" "ctwarden_conntrack_entries{netns=\"docker 0123456789ab\",netns_inode=\"$NS_INODE\"}")"
show_err

# An unnamed netns (a container's) is named after its lowest PID, as the
# daemon names the namespaces it finds through processes. It dies with the
# process: nothing to clean up.
if command -v unshare >/dev/null 2>&1; then
	# shellcheck disable=SC2016 # expanded by the inner shell
	# The shell is the netns's lowest PID; the audit runs as its child.
	run unshare --net sh -c 'echo "$$ $(readlink /proc/$$/ns/net)"; "$0" -c "$1" audit --format=prometheus; exit $?' \
		"$CTWARDEN" "$conf"
	read -r upid uns <<<"$OUT"
	uns=${uns#net:[}
	uns=${uns%]}
	assert_eq "unnamed netns: entries under \"pid N\" and its inode" 0 \
		"$(prom_get "$OUT" "ctwarden_conntrack_entries{netns=\"pid $upid\",netns_inode=\"$uns\"}")"
fi

# ---- node_exporter serves the file -----------------------------------------
run in_ns "$CTWARDEN" -c "$conf" audit --format=prometheus -o "$textdir/ctwarden.prom"
assert_eq "-o prints nothing" "" "$OUT"
assert_eq "-o leaves only the file" ctwarden.prom "$(ls -A "$textdir")"

ctw_node_exporter "$textdir"
port=$EXPORTER_PORT
echo "node_exporter on 127.0.0.1:$port"

SCRAPE=$(ctw_fetch "http://127.0.0.1:$port/metrics")
assert_eq "node_exporter read the file without error" 0 "$(prom_get "$SCRAPE" node_textfile_scrape_error)"
assert_eq "scrape: ctwarden_up" 1 "$(prom_get "$SCRAPE" ctwarden_up)"
assert_eq "scrape: the netns's entries" "$FLOWS" "$(prom_get "$SCRAPE" "ctwarden_conntrack_entries{$ns}")"
assert_eq "scrape: the limit" "$max" "$(prom_get "$SCRAPE" "ctwarden_conntrack_limit{$ns}")"
assert_eq "scrape: drops" 0 "$(prom_get "$SCRAPE" "ctwarden_conntrack_drops_total{$ns}")"
assert_contains "scrape: the file's HELP is served" "$SCRAPE" \
	"# HELP ctwarden_conntrack_entries Entries in the namespace's conntrack table (nf_conntrack_count)."
assert_contains "scrape: counters keep their type" "$SCRAPE" "# TYPE ctwarden_conntrack_drops_total counter"
assert_contains "scrape: node_exporter knows the file" "$SCRAPE" \
	"node_textfile_mtime_seconds{file=\"$textdir/ctwarden.prom\"}"

# Every ctwarden family served is in the contract, with its type and labels.
bad=$(awk -v contract="$CONTRACT" '
	BEGIN {
		while ((getline l < contract) > 0) {
			if (l ~ /^#/ || l == "") continue
			split(l, f, " ")
			type[f[1]] = f[2]; labels[f[1]] = f[3] == "-" ? "" : f[3]
		}
	}
	/^# TYPE ctwarden_/ {
		if (!($3 in type)) print "unknown family " $3
		else if (type[$3] != $4) print $3 " is " $4 ", contract says " type[$3]
		next
	}
	/^ctwarden_/ {
		name = $0; sub(/[{ ].*/, "", name)
		got = ""
		if (match($0, /^[^{ ]*\{[^}]*\}/)) {
			s = substr($0, RSTART, RLENGTH); sub(/^[^{]*\{/, "", s); sub(/\}$/, "", s)
			n = split(s, kv, /",/)
			for (i = 1; i <= n; i++) { split(kv[i], p, "="); got = got (i > 1 ? "," : "") p[1] }
		}
		if (name in labels && got != labels[name]) print name " has labels " got ", contract says " labels[name]
	}' <<<"$SCRAPE")
assert_eq "scrape: only metrics.txt's names, types and labels" "" "$bad"

# More flows: the next audit's file shows the table rising.
in_ns "$CTW_FLOOD" -q -n "$MORE" -d 127.3.0.1 >/dev/null
in_ns "$CTWARDEN" -c "$conf" audit --format=prometheus -o "$textdir/ctwarden.prom" >/dev/null || :
SCRAPE=$(ctw_fetch "http://127.0.0.1:$port/metrics")
assert_eq "scrape after more flows: entries rose" $((FLOWS + MORE)) \
	"$(prom_get "$SCRAPE" "ctwarden_conntrack_entries{$ns}")"
assert_eq "scrape after more flows: still no textfile error" 0 "$(prom_get "$SCRAPE" node_textfile_scrape_error)"

finish
