# k8s-env.sh is sourced by k8s-up.sh and k8s-down.sh: where the local test
# cluster keeps its state, which loopback ports and bridges it uses, and how
# to tell whether one of its processes still runs. Not meant to run alone.
#
# Ports sit beside the Kubernetes defaults (6443 → 16443, 2379 → 16379, …)
# and below the kernel's ephemeral range, so neither another cluster on the
# machine nor an outgoing connection takes them.

k8s_cache=${ATRIUM_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/atrium-test/k8s}
# Everything the running cluster writes: PKI, etcd, containerd, kubelet,
# volumes, logs, pid files. WIPE=1 k8s-down.sh deletes it.
k8s_run=$k8s_cache/run
# The admin kubeconfig, at a fixed path the tests read by default
# (test/k8stest; ATRIUM_TEST_KUBECONFIG overrides it there).
k8s_kubeconfig=$k8s_run/admin.kubeconfig

k8s_pids=$k8s_run/pids
k8s_logs=$k8s_run/logs
k8s_pki=$k8s_run/pki
k8s_containerd_sock=$k8s_run/containerd/containerd.sock

k8s_node=atrium-node
# The node IP lives on a bridge with no ports: the kubelet refuses a
# loopback node IP and this kernel has no dummy links. Pods get addresses
# on a second bridge; both addresses are the project's own test hosts.
k8s_node_bridge=atrium-nodeip
k8s_node_ip=10.250.0.1
k8s_pod_bridge=atrium-pods
k8s_pod_cidr=10.244.0.0/24
k8s_pod_gateway=10.244.0.1
k8s_service_cidr=10.96.0.0/16

k8s_apiserver_port=16443
k8s_etcd_port=16379
k8s_etcd_peer_port=16380
k8s_etcd_metrics_port=16381
k8s_controller_manager_port=16257
k8s_scheduler_port=16259
k8s_kubelet_port=16250
k8s_kubelet_healthz_port=16248

# What k8s-up.sh starts, in order; each has a pid file and a log named so.
k8s_components="etcd containerd kube-apiserver kube-controller-manager kube-scheduler kubelet local-path-provisioner"

# k8s_ctr runs ctr against this cluster's containerd, never Docker's.
k8s_ctr() { ctr --address "$k8s_containerd_sock" --namespace k8s.io "$@"; }

# k8s_pid prints the pid of a component started by k8s-up.sh when that
# process still runs the binary it was started from (so a reused pid is not
# taken for it), and fails otherwise.
k8s_pid() {
  local f=$k8s_pids/$1.pid pid exe
  [ -s "$f" ] || return 1
  read -r pid exe <"$f" || true
  [ -n "$pid" ] && [ -n "$exe" ] || return 1
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ] || return 1
  echo "$pid"
}
