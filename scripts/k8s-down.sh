#!/usr/bin/env bash
# k8s-down.sh stops the local test cluster k8s-up.sh started: exactly the
# processes its pid files name, the containers of its own containerd (never
# Docker's), the mounts under its state folder and the bridges and the one
# iptables rule it added. State stays, so k8s-up.sh brings the same cluster
# back (pods still in the API are started again); WIPE=1 deletes it all,
# PKI and volumes included. Run it as root.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=k8s-env.sh
. "$repo/scripts/k8s-env.sh"

[ "$(id -u)" = 0 ] || { echo "k8s-down: needs root; rerun as root" >&2; exit 1; }

began=$EPOCHREALTIME
mark() { awk -v a="$began" -v b="$EPOCHREALTIME" -v w="$1" 'BEGIN { printf "k8s-down: %6.2fs %s\n", b - a, w }'; }

# stop name...: SIGTERM to all of them at once, SIGKILL to any still there
# after 20 s.
stop() {
  local c pid pids=() i
  for c in "$@"; do
    if pid=$(k8s_pid "$c"); then
      kill "$pid" 2>/dev/null && pids+=("$pid")
    fi
    rm -f "$k8s_pids/$c.pid"
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  for i in $(seq 200); do
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && { echo "k8s-down: $pid ignored SIGTERM; killing it"; kill -KILL "$pid" 2>/dev/null; }
  done
  mark "stopped $*"
}

# etcd after the API server, whose shutdown hangs without it; containerd
# last, as its tasks are removed through it below.
stop local-path-provisioner kubelet kube-scheduler kube-controller-manager kube-apiserver
stop etcd

# With the kubelet gone nobody stops the pods: do it through our containerd.
if k8s_pid containerd >/dev/null; then
  tasks=$(k8s_ctr tasks ls -q 2>/dev/null)
  # --force kills a task that still runs, then deletes it.
  for t in $tasks; do k8s_ctr tasks delete --force "$t" >/dev/null 2>&1; done
  for c in $(k8s_ctr containers ls -q 2>/dev/null); do k8s_ctr containers delete "$c" >/dev/null 2>&1; done
  [ -z "$tasks" ] || mark "removed $(echo "$tasks" | wc -w) containers"
fi
stop containerd

# Volume, secret and network-namespace mounts the kubelet and containerd
# left under the state folder, deepest first.
awk -v root="$k8s_run/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
  umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
done

# The pods' addresses went with their containers.
rm -rf "$k8s_run/cni/ipam"
ip link del "$k8s_pod_bridge" 2>/dev/null
ip link del "$k8s_node_bridge" 2>/dev/null
while iptables -w -D FORWARD -i "$k8s_pod_bridge" -o "$k8s_pod_bridge" -m comment --comment atrium-test-k8s -j ACCEPT 2>/dev/null; do :; done

if [ "${WIPE:-0}" = 1 ]; then
  rm -rf "$k8s_run"
  mark "stopped; deleted $k8s_run"
else
  mark "stopped; state kept in $k8s_run"
fi
