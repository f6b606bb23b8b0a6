#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real kernel: issue 13's outage, ended by the daemon. A namespace's table is
# full of ESTABLISHED entries of clients that vanished: an nft chain before
# conntrack (output, priority -300) drops every FIN and RST, so their entries
# stay; max is at its ceiling (max_ceiling = max), so the daemon cannot raise
# it and new connections fail. The daemon shortens tcp_timeout_established
# step by step and after each step retires there what the new value says is
# dead: the count falls and a new connection succeeds within a minute. A flow
# that sends a byte every second all along is never destroyed (no DESTROY
# event for its tuple), and a quiet second namespace's dead entries stay.
# The namespaces start from tcp_timeout_established = 600 (not five days)
# and the floor is 15 s, so the halving steps (5 s apart) reach the dead
# entries' idle time within the test; unacknowledged / max_retrans are 5 s
# there so the rule's special window (it keeps entries that close to expiry)
# does not cover them.
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

MAX=2000
QUIET_DEAD=100
T0=600
SINK_PORT=7001    # accepts and closes: the vanished clients' server
LIVE_PORT=7002    # reads forever: the live flow's server

need_root
need_cmd ip nft conntrack jq python3 flock ss
need_ctwarden
need_conntrack_kernel
ctw_global_lock
ctw_tmpdir
need_quiet_tables "$MAX"
knob_save nf_conntrack_max
knob_save nf_conntrack_buckets
knob_save nf_conntrack_tcp_timeout_established

cat >"$CTW_TMP/tcp.py" <<'EOF'
# tcp.py server PORT MODE (sink: close at once; read: read until EOF)
# tcp.py dead PORT MAX: connect and close until a connect fails or MAX made; prints how many
# tcp.py live PORT: one connection, a byte a second until killed; one line per byte
# tcp.py try PORT: one connect with a 2 s timeout: exit 0 when it succeeds
import socket, sys, threading, time

def server(port, mode):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4096)
    def reader(c):
        while c.recv(4096):
            pass
    while True:
        c, _ = ls.accept()
        if mode == "sink":
            c.close()
        else:
            threading.Thread(target=reader, args=(c,), daemon=True).start()

def dead(port, most):
    made = 0
    while made < most:
        s = socket.socket()
        s.settimeout(1.0)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            break
        s.close()
        made += 1
    print(made)

def live(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    print("sport %d" % s.getsockname()[1], flush=True)
    n = 0
    while True:
        s.sendall(b"x")
        n += 1
        print("sent %d" % n, flush=True)
        time.sleep(1)   # pace: a packet a second

def attempt(port):
    s = socket.socket()
    s.settimeout(2.0)
    s.connect(("127.0.0.1", port))
    s.close()

cmd, port = sys.argv[1], int(sys.argv[2])
if cmd == "server":
    server(port, sys.argv[3])
elif cmd == "dead":
    dead(port, int(sys.argv[3]))
elif cmd == "live":
    live(port)
elif cmd == "try":
    attempt(port)
EOF

# A namespace whose conntrack never sees a FIN or RST, with the timeouts above.
dead_end_netns()
{
	ip netns exec "$1" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=$T0 \
		net.netfilter.nf_conntrack_tcp_timeout_unacknowledged=5 \
		net.netfilter.nf_conntrack_tcp_timeout_max_retrans=5
	ip netns exec "$1" nft 'table inet ctwdead { chain out { type filter hook output priority -300; tcp flags & (fin | rst) != 0 drop; }; }'
}

netns_create
BUSY=$NS BUSY_INODE=$NS_INODE
QUIET=ctw-test-$CTW_TEST_NAME-quiet-$$
ip netns add "$QUIET"
ctw_on_exit "ip netns delete '$QUIET'"
ip -n "$QUIET" link set lo up
ip netns exec "$QUIET" nft 'table inet ctwt { chain out { type filter hook output priority 0; ct state new accept; }; }'
dead_end_netns "$BUSY"
dead_end_netns "$QUIET"

bg()
{
	# bg NAME NS COMMAND...: in the background, output in $CTW_TMP/NAME, killed at exit
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$CTW_TMP/$name" 2>&1 &
	BG_PID=$!
	ctw_on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null || true"
}
listening()
{
	ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q LISTEN
}

for ns in "$BUSY" "$QUIET"; do
	bg "sink-$ns" "$ns" python3 "$CTW_TMP/tcp.py" server $SINK_PORT sink
done
bg live-server "$BUSY" python3 "$CTW_TMP/tcp.py" server $LIVE_PORT read
wait_for "the servers listening" 10 listening "$BUSY" $SINK_PORT
wait_for "the live server listening" 10 listening "$BUSY" $LIVE_PORT
wait_for "the quiet namespace's server listening" 10 listening "$QUIET" $SINK_PORT

# DESTROY events are sent only for entries made while someone listens
# (nf_conntrack_events = 2). The live flow is made while a first listener
# runs; the dead entries after it stopped, so their deletion floods no
# socket (thousands of DESTROY events at once overrun conntrack -E's buffer,
# capped by net.core.rmem_max). The watch kept for the rest of the test then
# sees the live flow's DESTROY, if there is one, and a probe's (it works).
# Probe: an entry made and deleted by hand while the watch listens.
probe_destroyed()
{
	in_ns conntrack -I -p tcp -s 127.9.9.9 -d 127.9.9.8 --sport "$1" --dport 9 --state ESTABLISHED -t 60 \
		>/dev/null 2>&1 || true
	in_ns conntrack -D -p tcp -s 127.9.9.9 >/dev/null 2>&1 || true
	file_has "$CTW_TMP/$2" "sport=$1 "
}
bg first-watch "$BUSY" conntrack -E -e DESTROY -p tcp
first_watch=$BG_PID
wait_for "the first watch subscribed (it saw a probe entry go)" 10 probe_destroyed 9001 first-watch
bg live "$BUSY" python3 "$CTW_TMP/tcp.py" live $LIVE_PORT
wait_for "the live flow sending" 10 file_has "$CTW_TMP/live" "sent 1"
kill "$first_watch"
wait_for "the first watch stopped" 5 pid_gone "$first_watch"
LIVE_SPORT=$(sed -n 's/^sport //p' "$CTW_TMP/live")
echo "live flow: 127.0.0.1:$LIVE_SPORT -> 127.0.0.1:$LIVE_PORT"

quiet_made=$(ip netns exec "$QUIET" python3 "$CTW_TMP/tcp.py" dead $SINK_PORT $QUIET_DEAD)
assert_eq "the quiet namespace got its dead entries" "$QUIET_DEAD" "$quiet_made"

knob_set nf_conntrack_max "$MAX"
# Nearly full without a listener; then the watch (its probe needs a free
# slot), then the last few, whose DESTROY events it may see: a handful.
busy_made=$(in_ns python3 "$CTW_TMP/tcp.py" dead $SINK_PORT $((MAX - 10)))
bg destroys "$BUSY" conntrack -E -e DESTROY -p tcp
wait_for "the DESTROY watch subscribed (it saw a probe entry go)" 10 probe_destroyed 9002 destroys
busy_made=$((busy_made + $(in_ns python3 "$CTW_TMP/tcp.py" dead $SINK_PORT 100)))
count_full=$(ns_conntrack_count)
echo "dead connections made in $BUSY: $busy_made; count $count_full of $MAX"
assert_ge "the busy table is full (count >= max - 5)" $((MAX - 5)) "$count_full"
assert_ge "nearly all of it dead ESTABLISHED entries" $((MAX - 20)) \
	"$(in_ns conntrack -L -p tcp --state ESTABLISHED 2>/dev/null | grep -c "dport=$SINK_PORT" || true)"
run in_ns python3 "$CTW_TMP/tcp.py" try $SINK_PORT
assert_ne "a new connection fails on the full table" 0 "$RC"
quiet_before=$(ip netns exec "$QUIET" conntrack -C)

conf=$(ctw_conf retire "mode = enforce
poll_interval = 200ms
[limits]
max_ceiling = $MAX
[timeouts]
shorten = tcp_timeout_established
tcp_timeout_established = 15s")
ctw_daemon_start "$conf"
started=${EPOCHREALTIME/./}

table_freed()
{
	local c
	c=$(ns_conntrack_count)
	echo "count $c"
	[ "$c" -lt $((MAX / 2)) ]
}
wait_for "the dead entries retired (count below $((MAX / 2)))" 60 table_freed
freed_s=$(awk -v us=$((${EPOCHREALTIME/./} - started)) 'BEGIN { printf "%.1f", us / 1e6 }')
echo "count fell to $(ns_conntrack_count) ${freed_s}s after the daemon started"
wait_for "a new connection succeeds" 10 in_ns python3 "$CTW_TMP/tcp.py" try $SINK_PORT
elapsed_s=$(( (${EPOCHREALTIME/./} - started) / 1000000 ))
assert_le "the outage ended within a minute of the daemon's start" 60 "$elapsed_s"

# What the daemon says: one retire_pass entry per pass; the one that freed
# the table counts the dead entries as deleted.
log=$CTW_TMP/daemon.log
passes_with_deletes()
{
	grep 'CTWARDEN_EVENT=retire_pass' "$log" | grep "CTWARDEN_NETNS=$BUSY_INODE" |
		sed -n 's/.*CTWARDEN_RETIRED_DELETED=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0; exit !(s > 0) }'
}
wait_for "a retire_pass entry in the log" 10 file_has "$log" "CTWARDEN_EVENT=retire_pass"
grep 'CTWARDEN_EVENT=retire_pass' "$log" | sed 's/^/  /'
deleted=$(passes_with_deletes || true)
assert_ge "the passes deleted nearly all dead entries" $((busy_made - 50)) "$deleted"
assert_le "and no more than there were entries" "$count_full" "$deleted"
assert_not_contains "no pass in the quiet namespace" "$(grep 'CTWARDEN_EVENT=retire_pass' "$log")" \
	"CTWARDEN_NETNS=$(netns_inode "$QUIET") "
assert_contains "its knob" "$(grep 'CTWARDEN_EVENT=retire_pass' "$log" | head -1)" \
	"CTWARDEN_KNOB=net.netfilter.nf_conntrack_tcp_timeout_established"
assert_contains "top destination of what went: the sink's address" \
	"$(grep 'CTWARDEN_EVENT=retire_pass' "$log" | grep -v 'CTWARDEN_RETIRED_DELETED=0 ' | tail -1)" \
	'CTWARDEN_RETIRED_TOP_DESTINATIONS="127.0.0.1'

# The status file and the metrics say the same.
st=$(jq -c "[.retirements[] | select(.inode == $BUSY_INODE)] | last" "$CTW_TMP/run-retire/status.json")
echo "status: $st"
assert_eq "status: the namespace's last pass, ended" false "$(json_get "$st" .running)"
assert_eq "status: for tcp_timeout_established" tcp_timeout_established "$(json_get "$st" .timeout)"
run "$CTWARDEN" status -c "$conf"
assert_contains "ctwarden status lists the passes" "$OUT" "Retirement passes, newest first:"
assert_contains "with the namespace and what was deleted" "$(tr -s ' \n' '  ' <<<"$OUT")" \
	"in $(json_get "$st" .netns): $(json_get "$st" .seen) seen, $(json_get "$st" .deleted) deleted"

# The live flow: still sending, never destroyed.
sent_before=$(grep -c '^sent' "$CTW_TMP/live")
wait_for "the live flow still sending" 5 eval "[ \$(grep -c '^sent' '$CTW_TMP/live') -gt $sent_before ]"
wait_for "the DESTROY watch still works at the end" 10 probe_destroyed 9003 destroys
assert_not_contains "the DESTROY watch lost no event" "$(cat "$CTW_TMP/destroys")" "ENOBUFS"
echo "DESTROY events seen by the watch: $(grep -c '^ *\[DESTROY\]' "$CTW_TMP/destroys" || true)"
assert_not_contains "no DESTROY event for the live flow" "$(cat "$CTW_TMP/destroys")" "sport=$LIVE_SPORT "
assert_eq "the live flow's entry is still there" 1 \
	"$(in_ns conntrack -L -p tcp --sport "$LIVE_SPORT" --dport $LIVE_PORT 2>/dev/null | grep -c ESTABLISHED || true)"
assert_not_contains "the live flow never failed" "$(cat "$CTW_TMP/live")" "Error"

# The quiet namespace: untouched.
assert_eq "the quiet namespace keeps its dead entries" "$quiet_before" "$(ip netns exec "$QUIET" conntrack -C)"
assert_eq "and its timeout" $T0 "$(ip netns exec "$QUIET" sysctl -n net.netfilter.nf_conntrack_tcp_timeout_established)"
finish
