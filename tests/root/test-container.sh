#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The container image and the DaemonSet's pod, for real: the image is built
# with podman from this tree (contrib/container/Containerfile) on a base
# imported from the Debian root test-systemd-boot.sh caches (no registry
# here); the DaemonSet's pod template is taken from the shipped manifest and
# run with `podman kube play` (runc; rlimits from a containers.conf). Then:
# the container starts, finds a namespace made on the host after it started,
# raises nf_conntrack_max for a flood in it, serves /metrics and /healthz on
# the host network at the ConfigMap's port (a free port in a copy), logs to
# stderr without a journal socket; `ctwarden status` answers through exec.
# A restart of the pod (the fields kube play ignores given as `podman run`
# flags, and a journal socket mounted) keeps the originals on the hostPath
# state directory, so `ctwarden restore` run from the image like a Job puts
# back the value from before ctwarden. Prints the fields podman ignores and
# the image's size.
# Needs root, podman, runc, curl, socat, python3-yaml and the cached root;
# the build stage's apt-get needs Debian's mirror (not a registry).
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

START_MAX=4096
FLOWS=20000
RATE=10000

need_root
need_cmd podman runc curl socat python3 ip nft jq git sha256sum ss
need_ctwarden
need_flood
need_conntrack_kernel
python3 -c 'import yaml' 2>/dev/null || skip "needs python3-yaml"
[ -n "${CTW_SRCDIR:-}" ] || skip "CTW_SRCDIR is not set (run through make check)"
git -C "$CTW_SRCDIR" rev-parse --git-dir >/dev/null 2>&1 ||
	skip "$CTW_SRCDIR is not a git checkout: the image is built from the files git knows"
CACHE_ROOT=${CTW_ROOTFS_CACHE:-/var/cache/ctwarden-tests}
CACHE=
for c in "$CACHE_ROOT"/bookworm-minbase-*; do
	[ -f "$c/.ctw-complete" ] && CACHE=$c && break
done
[ -n "$CACHE" ] || skip "no cached Debian root in $CACHE_ROOT (tests/root/test-systemd-boot.sh makes it)"
K8S=$CTW_SRCDIR/contrib/kubernetes
VERSION=$(sed -n 's/^AC_INIT(\[ctwarden\], \[\([^]]*\)\].*/\1/p' "$CTW_SRCDIR/configure.ac")
ctw_tmpdir
# podman's own config for this test only: the sandbox cannot raise rlimits,
# so every container gets them explicitly; and the pod's infra container is
# a local image (no registry, no catatonit here).
export CONTAINERS_CONF=$CTW_TMP/containers.conf
PM=(podman --runtime runc)

# ---- images: the base, the infra, ctwarden (cached by content) ------------
BASE_TAG=$(printf '%s' "$CACHE:$(stat -c %Y "$CACHE/.ctw-complete")" | sha256sum | cut -c1-12)
BASE=localhost/ctwarden-test-base:$BASE_TAG
PAUSE=localhost/ctwarden-test-pause:$BASE_TAG
cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=1000:1000"]
[engine]
infra_image = "$PAUSE"
EOF
# A base (and infra) imported from an earlier cache goes: its cache is gone.
for old in $("${PM[@]}" images --format '{{.Repository}}:{{.Tag}}' |
	grep -E '^localhost/ctwarden-test-(base|pause):' || true); do
	case $old in "$BASE" | "$PAUSE") ;; *) "${PM[@]}" rmi -f "$old" >/dev/null 2>&1 || true ;; esac
done
if ! "${PM[@]}" image exists "$BASE"; then
	echo "importing $CACHE as $BASE"
	tar -C "$CACHE" -c . | "${PM[@]}" import -q - "$BASE" >/dev/null
fi
if ! "${PM[@]}" image exists "$PAUSE"; then
	printf 'FROM %s\nENTRYPOINT ["/bin/sleep", "infinity"]\n' "$BASE" >"$CTW_TMP/Pausefile"
	"${PM[@]}" build -q -f "$CTW_TMP/Pausefile" -t "$PAUSE" "$CTW_TMP" >/dev/null
fi

# The tree as a fresh clone has it, plus uncommitted edits (not build/).
CTX=$CTW_TMP/context
mkdir -p "$CTX"
(cd "$CTW_SRCDIR" && git ls-files -z -c -o --exclude-standard | while IFS= read -r -d '' f; do
	if [ -e "$f" ]; then printf '%s\0' "$f"; fi
done | tar --null -T - -cf -) | tar -C "$CTX" -xf -
# The tag: what the image is made of (tests, docs and benches do not reach it).
TREE_TAG=$( (cd "$CTX" && find . -type f -not -path './tests/*' -not -path './docs/*' -not -path './bench/*' \
	-not -name README.md -print0 | sort -z | xargs -0 sha256sum; echo "$BASE") | sha256sum | cut -c1-12)
IMAGE=localhost/ctwarden-test:$TREE_TAG
if "${PM[@]}" image exists "$IMAGE"; then
	echo "using the image built earlier from the same tree: $IMAGE"
else
	echo "building $IMAGE from the tree (BASE_IMAGE=$BASE)"
	dangling_before=$("${PM[@]}" images -q -f dangling=true | sort)
	# The build stage installs the build dependencies with apt-get from
	# Debian's mirror (host network: no registry is involved).
	if ! "${PM[@]}" build --network host --build-arg BASE_IMAGE="$BASE" \
		-f "$CTX/contrib/container/Containerfile" -t "$IMAGE" "$CTX" >"$CTW_TMP/build.log" 2>&1; then
		tail -30 "$CTW_TMP/build.log" >&2
		grep -qiE "temporary failure resolving|could not resolve|unable to fetch|failed to fetch" "$CTW_TMP/build.log" &&
			skip "the build stage's apt-get cannot reach Debian's mirror"
		fail "podman build failed (the log's end is above)"
	fi
	# The build stage's image (untagged) goes; older trees' images too; this
	# one stays for the next run.
	for id in $(comm -13 <(echo "$dangling_before") <("${PM[@]}" images -q -f dangling=true | sort)); do
		"${PM[@]}" rmi -f "$id" >/dev/null 2>&1 || true
	done
	for old in $("${PM[@]}" images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/ctwarden-test:' || true); do
		[ "$old" = "$IMAGE" ] || "${PM[@]}" rmi -f "$old" >/dev/null 2>&1 || true
	done
fi
size=$("${PM[@]}" image inspect "$IMAGE" --format '{{.Size}}')
base_size=$("${PM[@]}" image inspect "$BASE" --format '{{.Size}}')
echo "image size: $size bytes ($((size / 1000000)) MB); its base, the cached root: $base_size bytes; the runtime stage adds $(((size - base_size) / 1000)) kB"
assert_eq "the image's license label" "GPL-2.0-or-later" \
	"$("${PM[@]}" image inspect "$IMAGE" --format '{{index .Labels "org.opencontainers.image.licenses"}}')"
assert_eq "the image's version label is configure.ac's" "$VERSION" \
	"$("${PM[@]}" image inspect "$IMAGE" --format '{{index .Labels "org.opencontainers.image.version"}}')"
run "${PM[@]}" run --rm --entrypoint /bin/sh "$IMAGE" -c 'ls /usr/share/man 2>/dev/null | wc -l; ctwarden --version'
assert_eq "the runtime stage has the binary and no man pages" "0 ctwarden $VERSION" "$(echo $OUT)"

# ---- the pod from the shipped manifest --------------------------------------
ctw_global_lock
need_quiet_tables "$START_MAX"
knob_save nf_conntrack_max
knob_save nf_conntrack_buckets
# Lowered before ctwarden starts: this is the value it must put back.
knob_set nf_conntrack_max "$START_MAX"

for _ in $(seq 20); do
	PORT=$((20000 + RANDOM % 40000))
	ss -Hltn "sport = :$PORT" | grep -q . || break
done
STATE=$CTW_TMP/state RUNDIR=$CTW_TMP/run PODLOGS=$CTW_TMP/pods JOURNAL=$CTW_TMP/journal
mkdir -p "$STATE" "$RUNDIR" "$PODLOGS" "$JOURNAL"
POD=ctw-test-container-$$
ctw_on_exit "'${PM[0]}' --runtime runc pod rm -f -t 2 '$POD' >/dev/null 2>&1 || true"
cat >"$CTW_TMP/pod.py" <<'PY'
# The DaemonSet's pod template as a Pod (podman 4.3 plays no DaemonSet), and
# the ConfigMap: only what must differ on a test host changes, each said.
import re, sys, yaml
k8s, out, pod_name, image, port, state, rundir, podlogs, journal = sys.argv[1:]
ds = yaml.safe_load(open(f"{k8s}/daemonset.yaml"))
cm = yaml.safe_load(open(f"{k8s}/configmap.yaml"))
tmpl = ds["spec"]["template"]
conf = cm["data"]["ctwarden.conf"]
shipped_port = re.search(r"^listen = .*:(\d+)$", conf, re.M).group(1)
# A free port rather than the shipped one; and no per-namespace timeout
# changes: other tests' namespaces share this host.
conf = conf.replace(f":{shipped_port}\n", f":{port}\n") + "\n[timeouts]\nshorten = none\n"
cm["data"]["ctwarden.conf"] = conf
spec = tmpl["spec"]
(c,) = spec["containers"]
c["image"] = image
for p in ("livenessProbe", "readinessProbe"):
    if p in c:
        c[p]["httpGet"]["port"] = int(port)
# podman 4.3 refuses container ports on the host network ("PortMappings can
# only be used with Bridge or slirp4netns networking"): the port is the host's anyway.
c.pop("ports", None)
# The hostPaths a test may not share with a real node: temp directories.
where = {"/var/lib/ctwarden": state, "/run/ctwarden": rundir, "/var/log/pods": podlogs,
         "/run/systemd/journal": journal}
for v in spec["volumes"]:
    hp = v.get("hostPath")
    if hp and hp["path"] in where:
        hp["path"] = where[hp["path"]]
pod = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": pod_name, "labels": tmpl["metadata"]["labels"],
                    "annotations": tmpl["metadata"].get("annotations", {})},
       "spec": spec}
yaml.safe_dump(pod, open(f"{out}/pod.yaml", "w"))
yaml.safe_dump(cm, open(f"{out}/configmap.yaml", "w"))
open(f"{out}/ctwarden.conf", "w").write(conf)
PY
python3 "$CTW_TMP/pod.py" "$K8S" "$CTW_TMP" "$POD" "$IMAGE" "$PORT" "$STATE" "$RUNDIR" "$PODLOGS" "$JOURNAL"
chmod 600 "$CTW_TMP/ctwarden.conf"
CT=$POD-ctwarden

"${PM[@]}" kube play --configmap "$CTW_TMP/configmap.yaml" "$CTW_TMP/pod.yaml" >"$CTW_TMP/play.log" 2>&1 ||
	{ cat "$CTW_TMP/play.log"; fail "podman kube play refused the DaemonSet's pod"; }
healthz() { curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" | grep -qx 200; }
wait_for "the pod's /healthz on the host network (port $PORT)" 30 healthz
echo "kube play: /healthz answered after ${WAIT_S}s"

# What kube play made of the template's fields (printed for docs/kubernetes.md).
fmt='privileged={{.HostConfig.Privileged}} network={{.HostConfig.NetworkMode}} pid={{.HostConfig.PidMode}} readonly_root={{.HostConfig.ReadonlyRootfs}} memory={{.HostConfig.Memory}} cpu_quota={{.HostConfig.CpuQuota}} healthcheck={{if .Config.Healthcheck}}{{index .Config.Healthcheck.Test 1}}{{end}}'
fields=$("${PM[@]}" inspect "$CT" --format "$fmt")
echo "kube play took: $fields"
netns_prop=$("${PM[@]}" inspect "$CT" --format '{{range .Mounts}}{{if eq .Destination "/run/netns"}}{{.Propagation}} rw={{.RW}}{{end}}{{end}}')
echo "kube play: /run/netns mounted $netns_prop"
assert_contains "privileged, as the DaemonSet says" "$fields" "privileged=true"
assert_contains "on the host network" "$fields" "network=host"
assert_eq "/run/netns read-only with HostToContainer (rslave) propagation" "rslave rw=false" "$netns_prop"
case $fields in
*pid=host*) echo "kube play honours hostPID" ;;
*) echo "kube play ignores: hostPID (the restart below gives --pid host)" ;;
esac
echo "kube play ignores (no such notion in podman): priorityClassName, tolerations, readinessProbe, updateStrategy, dnsPolicy"

# Logs on stderr when no journal socket is mounted (kubectl logs).
assert_eventually "without a journal socket the daemon logs to stderr" 10 \
	sh -c "'${PM[0]}' --runtime runc logs '$CT' 2>&1 | grep -q 'CTWARDEN_EVENT=started'"

# A namespace made on the host after the container started, then flooded.
netns_create
wait_for "the container to watch $NS" 10 \
	sh -c "curl -s -m 2 http://127.0.0.1:$PORT/metrics | grep -q 'ctwarden_conntrack_entries{netns=\"$NS\"'"
echo "the container found $NS after ${WAIT_S}s"
in_ns sysctl -qw net.netfilter.nf_conntrack_udp_timeout=120
in_ns "$CTW_FLOOD" -q -n "$FLOWS" -r "$RATE" -d 127.43.0.1 >/dev/null
max_now=$(knob_get nf_conntrack_max)
count=$(ns_conntrack_count)
echo "after the flood in $NS: count $count, max $max_now"
assert_gt "the container raised nf_conntrack_max for the flood" "$START_MAX" "$max_now"
assert_gt "the flood got past the old max" "$START_MAX" "$count"
assert_eventually "the raise names the late namespace" 5 \
	sh -c "'${PM[0]}' --runtime runc logs '$CT' 2>&1 | grep -q 'CTWARDEN_NETNS=$NS_INODE'"
metrics=$(curl -s -m 5 "http://127.0.0.1:$PORT/metrics")
entries=$(awk -v ns="$NS" 'index($0, "ctwarden_conntrack_entries{netns=\"" ns "\"") == 1 { print $NF }' <<<"$metrics")
assert_ge "/metrics shows the flooded namespace's entries" "$START_MAX" "${entries:-0}"
assert_contains "/metrics has the raised max" "$metrics" "ctwarden_knob_value{knob=\"nf_conntrack_max\",netns=\"host\"} $max_now"
# kubectl exec ... ctwarden status, as podman exec.
run "${PM[@]}" exec "$CT" ctwarden status --json
assert_contains "ctwarden status through exec names the namespace" "$OUT" "\"$NS\""
assert_eq "the original is on the hostPath" "$START_MAX" \
	"$(jq -r '.originals["net.netfilter.nf_conntrack_max"].value' "$STATE/state.json")"

# ---- the pod restarted ------------------------------------------------------
# The same pod with `podman run`: every field kube play took, plus hostPID
# (which it ignores) and a journal socket in the journal directory (a
# listener standing in for journald) to see the journal format.
"${PM[@]}" pod rm -f -t 2 "$POD" >/dev/null 2>&1
socat -u UNIX-RECV:"$JOURNAL/socket",mode=0666 OPEN:"$CTW_TMP/journal.received",creat,append &
socat_pid=$!
ctw_on_exit "kill $socat_pid 2>/dev/null || true"
wait_for "the stand-in journal socket" 5 test -S "$JOURNAL/socket"
CONFDIR=$CTW_TMP/config
mkdir -p "$CONFDIR" && cp "$CTW_TMP/ctwarden.conf" "$CONFDIR/ctwarden.conf" && chmod 400 "$CONFDIR/ctwarden.conf"
CT2=$POD-restarted
ctw_on_exit "'${PM[0]}' --runtime runc rm -f -t 2 '$CT2' >/dev/null 2>&1 || true"
"${PM[@]}" run -d --name "$CT2" --privileged --network host --pid host --read-only \
	--memory 256m --cpus 0.5 \
	-v "$CONFDIR:/etc/ctwarden:ro" -v /run/netns:/run/netns:ro,rslave -v "$PODLOGS:/var/log/pods:ro" \
	-v /dev/kmsg:/dev/kmsg:ro -v "$JOURNAL:/run/systemd/journal:ro" \
	-v "$STATE:/var/lib/ctwarden" -v "$RUNDIR:/run/ctwarden" "$IMAGE" >/dev/null
wait_for "the restarted pod's /healthz" 30 healthz
assert_eq "the restarted pod runs in the host's PID namespace" host "$("${PM[@]}" inspect "$CT2" --format '{{.HostConfig.PidMode}}')"
assert_eventually "with the socket mounted it logs in the journal's format" 10 \
	grep -q '^CTWARDEN_EVENT=started$' "$CTW_TMP/journal.received"
assert_eventually "the restarted daemon watches $NS" 10 \
	sh -c "curl -s -m 2 http://127.0.0.1:$PORT/metrics | grep -q 'ctwarden_conntrack_entries{netns=\"$NS\"'"
assert_eq "after the restart the original is still the value from before ctwarden" "$START_MAX" \
	"$(jq -r '.originals["net.netfilter.nf_conntrack_max"].value' "$STATE/state.json")"

# Uninstall: the pod goes, the flood's entries drain (restore refuses to put
# back a max below what a table holds), then restore runs from the image
# (docs/kubernetes.md's Job).
"${PM[@]}" rm -f -t 5 "$CT2" >/dev/null
in_ns conntrack -F >/dev/null 2>&1 || true
run "${PM[@]}" run --rm --privileged --network host --pid host \
	-v "$CONFDIR:/etc/ctwarden:ro" -v /run/netns:/run/netns:ro,rslave \
	-v "$STATE:/var/lib/ctwarden" -v "$RUNDIR:/run/ctwarden" "$IMAGE" restore
show_err
assert_eq "ctwarden restore from the image succeeds" 0 "$RC"
assert_eq "restore put back the value from before ctwarden" "$START_MAX" "$(knob_get nf_conntrack_max)"
finish
