#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# contrib/kubernetes/ parsed for what must be true of it (python3-yaml): every
# hostPath the DaemonSet mounts is a path the daemon uses (its config in the
# ConfigMap, or its fixed ones: /dev/kmsg, the journal's directory) and is
# mounted where the daemon looks; /run or /var/run is never mounted whole;
# hostNetwork and hostPID; the probes and the scrape annotation name the port
# the ConfigMap's listen names; the image tag and the Containerfile's version
# label are configure.ac's version; no
# RBAC; and the ConfigMap's ctwarden.conf passes `ctwarden check-config`.
# Each check is also shown to fail on a manifest broken on purpose. No root.
# shellcheck source=SCRIPTDIR/../lib.sh
. "${TESTLIB:-$(dirname "$0")/../lib.sh}"

need_ctwarden
need_cmd python3
python3 -c 'import yaml' 2>/dev/null || skip "needs python3-yaml"
[ -n "${CTW_SRCDIR:-}" ] || skip "CTW_SRCDIR is not set (run through make check)"
K8S=$CTW_SRCDIR/contrib/kubernetes
ctw_tmpdir

# The version as configure.ac's AC_INIT says it, read here, not from the binary.
VERSION=$(sed -n 's/^AC_INIT(\[ctwarden\], \[\([^]]*\)\].*/\1/p' "$CTW_SRCDIR/configure.ac")
[ -n "$VERSION" ] || fail "no version in configure.ac's AC_INIT"

cat >"$CTW_TMP/check.py" <<'PY'
import configparser, re, sys, yaml

k8s, version, conf_out = sys.argv[1], sys.argv[2], sys.argv[3]
docs = []
for name in ("daemonset.yaml", "configmap.yaml", "podmonitor.yaml"):
    docs += [d for d in yaml.safe_load_all(open(f"{k8s}/{name}")) if d]
kinds = {d["kind"]: d for d in docs}
bad = []
ds, cm = kinds.get("DaemonSet"), kinds.get("ConfigMap")
if not ds or not cm:
    print("no DaemonSet or no ConfigMap"); sys.exit(0)
for k in kinds:
    if k in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ServiceAccount"):
        bad.append(f"{k}: ctwarden needs no API access, so no RBAC")

text = cm["data"]["ctwarden.conf"]
open(conf_out, "w").write(text)
ini = configparser.ConfigParser(interpolation=None)
ini.read_string(text)
def key(section, name, default):
    return ini.get(section, name, fallback=default).strip()
# What the daemon opens: its config's paths, the defaults where unset
# (ctwarden.conf(5)), and the fixed ones.
used = {
    key("daemon", "state_dir", "/var/lib/ctwarden"): "state_dir",
    key("daemon", "runtime_dir", "/run/ctwarden"): "runtime_dir",
    key("daemon", "pod_log_dir", "/var/log/pods"): "pod_log_dir",
    "/dev/kmsg": "the kernel log (fixed)",
    "/run/systemd/journal": "the journal socket's directory (fixed)",
}
for d in key("daemon", "netns_dirs", "/run/netns /var/run/docker/netns").split():
    used[d] = "netns_dirs"
used.pop("", None)

listen = key("metrics", "listen", "")
m = re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[0-9.]+):([0-9]+)", listen)
if not m:
    bad.append(f"ConfigMap: [metrics] listen = {listen!r} is not ADDRESS:PORT (the probes need it)")
    port = None
else:
    port = int(m.group(2))
    if m.group(1) in ("127.0.0.1", "[::1]"):
        bad.append(f"ConfigMap: listen = {listen}: the kubelet's probes and Prometheus reach the node's IP, not loopback")

tmpl = ds["spec"]["template"]
spec = tmpl["spec"]
for f in ("hostNetwork", "hostPID"):
    if spec.get(f) is not True:
        bad.append(f"DaemonSet: {f} must be true")
if spec.get("priorityClassName") != "system-node-critical":
    bad.append("DaemonSet: priorityClassName must be system-node-critical")
if not any(t.get("operator") == "Exists" and "key" not in t for t in spec.get("tolerations", [])):
    bad.append("DaemonSet: no toleration for every taint (operator Exists, no key)")
(c,) = spec["containers"]
img = c["image"]
if img.rsplit(":", 1)[-1] != version:
    bad.append(f"DaemonSet: image {img} is not tagged with configure.ac's version {version}")
for probe in ("livenessProbe", "readinessProbe"):
    h = c.get(probe, {}).get("httpGet")
    if not h:
        bad.append(f"DaemonSet: no {probe} httpGet")
        continue
    if h.get("path") != "/healthz":
        bad.append(f"DaemonSet: {probe} path {h.get('path')} is not /healthz")
    p = h.get("port")
    if isinstance(p, str):
        p = next((x["containerPort"] for x in c.get("ports", []) if x.get("name") == p), None)
    if p != port:
        bad.append(f"DaemonSet: {probe} port {h.get('port')} is not the ConfigMap's listen port {port}")
ann = tmpl["metadata"].get("annotations", {})
if ann.get("prometheus.io/scrape") != "true" or ann.get("prometheus.io/port") != str(port):
    bad.append(f"DaemonSet: the prometheus.io annotations do not scrape port {port}")
mport = next((x for x in c.get("ports", []) if x.get("name") == "metrics"), None)
if not mport or mport.get("containerPort") != port:
    bad.append(f"DaemonSet: the port named metrics is not {port}")
pm = kinds.get("PodMonitor")
if pm and not any(e.get("port") == "metrics" and e.get("path", "/metrics") == "/metrics"
                  for e in pm["spec"]["podMetricsEndpoints"]):
    bad.append("PodMonitor: does not scrape the port named metrics at /metrics")

vols = {v["name"]: v for v in spec["volumes"]}
mounts = {m["name"]: m for m in c["volumeMounts"]}
cfg_mount = next((m for m in mounts.values() if vols[m["name"]].get("configMap")), None)
if not cfg_mount or cfg_mount["mountPath"] != "/etc/ctwarden" or vols[cfg_mount["name"]]["configMap"]["name"] != cm["metadata"]["name"]:
    bad.append("DaemonSet: the ConfigMap is not mounted at /etc/ctwarden (the image reads /etc/ctwarden/ctwarden.conf)")
for name, v in vols.items():
    hp = v.get("hostPath")
    if not hp:
        continue
    path = hp["path"].rstrip("/") or "/"
    if path in ("/", "/run", "/var/run", "/var", "/proc", "/sys", "/dev"):
        bad.append(f"volume {name}: {path} is mounted whole")
    if path not in used:
        bad.append(f"volume {name}: hostPath {path} is not used by the daemon's config or fixed paths")
    m = mounts.get(name)
    if not m:
        bad.append(f"volume {name}: hostPath {path} is never mounted")
        continue
    if m["mountPath"].rstrip("/") != path:
        bad.append(f"volume {name}: {path} is mounted at {m['mountPath']}, where the daemon does not look")
    writes = path in (key("daemon", "state_dir", "/var/lib/ctwarden"), key("daemon", "runtime_dir", "/run/ctwarden"))
    if not writes and not m.get("readOnly"):
        bad.append(f"volume {name}: {path} must be mounted readOnly")
    if used.get(path) == "netns_dirs" and m.get("mountPropagation") != "HostToContainer":
        bad.append(f"volume {name}: {path} needs mountPropagation HostToContainer (later namespaces)")
print("\n".join(bad))
PY

# check DIR: what is wrong with the manifests in DIR (empty: nothing).
check()
{
	rm -f "$CTW_TMP/ctwarden.conf"
	python3 "$CTW_TMP/check.py" "$1" "$VERSION" "$CTW_TMP/ctwarden.conf"
}

run check "$K8S"
assert_eq "the shipped manifests hold every rule" "0 " "$RC $OUT$ERR"

# The image's version label (the Containerfile's default) is the same version.
label=$(sed -n 's/^ARG VERSION=//p' "$CTW_SRCDIR/contrib/container/Containerfile")
assert_eq "the Containerfile labels the image with configure.ac's version" "$VERSION" "$label"
assert_contains "the Containerfile labels the license" "$(cat "$CTW_SRCDIR/contrib/container/Containerfile")" \
	'org.opencontainers.image.licenses="GPL-2.0-or-later"'

# The ConfigMap's ctwarden.conf is a valid configuration (mode as mounted: 0400).
chmod 400 "$CTW_TMP/ctwarden.conf"
run "$CTWARDEN" -c "$CTW_TMP/ctwarden.conf" check-config
assert_eq "the ConfigMap's ctwarden.conf passes check-config" "0" "$RC"
assert_contains "check-config says so" "$OUT$ERR" "configuration OK"

# Every rule can fail: each broken copy is caught with its reason.
# break_copy NAME FILE PYTHON-EXPR-ON-s: a copy of the manifests with FILE edited.
break_copy()
{
	local dir=$CTW_TMP/$1
	rm -rf "$dir"
	cp -r "$K8S" "$dir"
	python3 - "$dir/$2" "$3" <<'PY'
import sys
path, expr = sys.argv[1], sys.argv[2]
s = open(path).read()
t = eval(expr)
assert t != s, "the edit changed nothing"
open(path, "w").write(t)
PY
	check "$dir"
}
expect_caught()
{
	local what=$1 want=$2 name=$3 file=$4 expr=$5 got
	got=$(break_copy "$name" "$file" "$expr")
	assert_contains "caught: $what" "$got" "$want"
}
expect_caught "a probe on another port" "livenessProbe port 9748" \
	port daemonset.yaml 's.replace("port: 9747", "port: 9748", 1)'
expect_caught "listen on loopback" "not loopback" \
	loopback configmap.yaml 's.replace("listen = 0.0.0.0:9747", "listen = 127.0.0.1:9747")'
expect_caught "an image tag that is not the version" "is not tagged with configure.ac's version" \
	tag daemonset.yaml 's.replace("image: ctwarden:'"$VERSION"'", "image: ctwarden:latest")'
expect_caught "hostPID off" "hostPID must be true" \
	hostpid daemonset.yaml 's.replace("hostPID: true", "hostPID: false")'
expect_caught "hostNetwork off" "hostNetwork must be true" \
	hostnet daemonset.yaml 's.replace("hostNetwork: true", "hostNetwork: false")'
expect_caught "/run mounted whole" "/run is mounted whole" \
	run-whole daemonset.yaml 's.replace("path: /run/netns\n", "path: /run\n").replace("mountPath: /run/netns\n", "mountPath: /run\n")'
expect_caught "a mount the config does not use" "hostPath /var/log/pods is not used" \
	unused configmap.yaml 's.replace("pod_log_dir = /var/log/pods", "pod_log_dir = /srv/pods")'
expect_caught "netns mounted without propagation" "needs mountPropagation HostToContainer" \
	propagation daemonset.yaml 's.replace("mountPropagation: HostToContainer\n", "", 1)'
expect_caught "a writable pod log mount" "/var/log/pods must be mounted readOnly" \
	writable daemonset.yaml 's.replace("mountPath: /var/log/pods\n              readOnly: true", "mountPath: /var/log/pods")'
expect_caught "RBAC" "no RBAC" \
	rbac daemonset.yaml 's + "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ctwarden\n"'

# And check-config refuses a broken ConfigMap with FILE:LINE.
break_copy badconf configmap.yaml 's.replace("listen = 0.0.0.0:9747", "listen = 0.0.0.0:70000")' >/dev/null
chmod 400 "$CTW_TMP/ctwarden.conf"
run "$CTWARDEN" -c "$CTW_TMP/ctwarden.conf" check-config
assert_ne "a ConfigMap with a bad listen fails check-config" "0" "$RC"
assert_contains "... naming FILE:LINE" "$ERR" "$CTW_TMP/ctwarden.conf:"
finish
