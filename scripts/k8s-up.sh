#!/usr/bin/env bash
# k8s-up.sh makes sure the local single-node Kubernetes cluster the tests
# run on is up, and prints its admin kubeconfig's path on the last line.
#
# It runs real parts: Debian's etcd, containerd and runc (an instance of
# containerd of its own, never Docker's) and the CNI bridge plugin, with
# kube-apiserver, kube-controller-manager, kube-scheduler and kubelet built
# once by scripts/k8s-build.sh. Every process gets its own directories,
# sockets and loopback ports under one state folder outside the repository
# (scripts/k8s-env.sh lists them), a pid file and a log; k8s-down.sh stops
# exactly those. Dynamic volumes come from rancher's local-path-provisioner
# (built once with `go install`, run outside the cluster) behind the default
# StorageClass `local-path`. There is no registry: the pause image and a
# busybox tools image are built here, and the session images are copied from
# Docker (`docker save | ctr import`) whenever Docker's image id changed, so
# pods name them with imagePullPolicy: Never.
#
# Idempotent: with the cluster up and healthy it only refreshes the images
# and returns within a second or so. Run it as root. Cold, on two cores, the
# first Kubernetes build takes about six minutes; a start about ten seconds.
#
# Two workarounds for the sandboxes this runs in (see docs in the code
# below): the OOM score is never lowered (no CAP_SYS_RESOURCE), and the node
# IP sits on a bridge without ports (the kubelet refuses loopback).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=k8s-env.sh
. "$repo/scripts/k8s-env.sh"

export DEBIAN_FRONTEND=noninteractive
local_path_version=v0.0.30
session_images="atrium/desktop:1 atrium/code:1 atrium/jupyter:1"

began=$EPOCHREALTIME
mark() { awk -v a="$began" -v b="$EPOCHREALTIME" -v w="$1" 'BEGIN { printf "k8s-up: %6.2fs %s\n", b - a, w }'; }
fail() { echo "k8s-up: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (bridges, mounts, containerd); rerun as root"

# --- packages ---------------------------------------------------------------
need=()
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] || need+=(containernetworking-plugins)
# docker.io brings containerd and runc; a machine without Docker gets them here.
command -v containerd >/dev/null 2>&1 && command -v ctr >/dev/null 2>&1 || need+=(containerd)
command -v runc >/dev/null 2>&1 || need+=(runc)
# The tools image (local-path's helper pods, test pods) is static busybox.
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
if [ ${#need[@]} -gt 0 ]; then
  echo "k8s-up: installing ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  mark "packages installed"
fi

# --- binaries ---------------------------------------------------------------
bin=$(bash "$repo/scripts/k8s-build.sh")
bin=$(readlink -f "$bin")
lpp_dir=$k8s_cache/bin/local-path-provisioner-$local_path_version
lpp=$lpp_dir/local-path-provisioner
if [ ! -x "$lpp" ]; then
  echo "k8s-up: building local-path-provisioner $local_path_version into $lpp_dir (about a minute cold)"
  mkdir -p "$lpp_dir"
  GOWORK=off GOBIN=$lpp_dir CGO_ENABLED=0 go install -trimpath -ldflags='-s -w' \
    "github.com/rancher/local-path-provisioner@$local_path_version"
fi
mark "binaries ready in $bin"

kubectl() { "$bin/kubectl" --kubeconfig "$k8s_kubeconfig" "$@"; }

node_ready() {
  [ "$(kubectl get node "$k8s_node" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

healthy() {
  local c
  for c in $k8s_components; do k8s_pid "$c" >/dev/null || return 1; done
  kubectl get --raw /readyz >/dev/null 2>&1 && node_ready
}

# --- images -----------------------------------------------------------------
# image_tar writes a single-layer image in `docker save`'s format from a
# folder, so `ctr images import` loads it without Docker or a registry.
image_tar() { # ref rootfs out.tar entrypoint-json
  local ref=$1 rootfs=$2 out=$3 entry=$4 w layer config
  w=$(mktemp -d)
  tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -C "$rootfs" -cf "$w/layer.tar" .
  layer=$(sha256sum "$w/layer.tar" | cut -d' ' -f1)
  mkdir "$w/$layer" && mv "$w/layer.tar" "$w/$layer/layer.tar"
  printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Entrypoint":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$entry" "$layer" >"$w/config.json"
  config=$(sha256sum "$w/config.json" | cut -d' ' -f1)
  mv "$w/config.json" "$w/$config.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config" "$ref" "$layer" >"$w/manifest.json"
  tar -C "$w" -cf "$out" manifest.json "$config.json" "$layer"
  rm -rf "$w"
}

has_image() { k8s_ctr images ls -q "name==docker.io/$1" 2>/dev/null | grep -q .; }

# local_images builds and imports atrium-test/pause:1 (the sandbox image)
# and atrium-test/tools:1 (static busybox) when their inputs changed.
local_images() {
  local dir=$k8s_run/images key
  mkdir -p "$dir"
  key=$(cat "$repo/test/k8stest/pause/main.go" /bin/busybox | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$dir/local.key" 2>/dev/null)" = "$key" ] && has_image atrium-test/pause:1 && has_image atrium-test/tools:1; then
    return 0
  fi
  rm -rf "$dir/pause" "$dir/tools"
  mkdir -p "$dir/pause" "$dir/tools/bin" "$dir/tools/tmp" "$dir/tools/data"
  (cd "$repo" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$dir/pause/pause" ./test/k8stest/pause)
  image_tar atrium-test/pause:1 "$dir/pause" "$dir/pause.tar" '["/pause"]'
  cp /bin/busybox "$dir/tools/bin/busybox"
  local a
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$dir/tools/bin/$a"; done
  chmod 1777 "$dir/tools/tmp"
  image_tar atrium-test/tools:1 "$dir/tools" "$dir/tools.tar" '["/bin/sh"]'
  k8s_ctr images import "$dir/pause.tar" >/dev/null
  k8s_ctr images import "$dir/tools.tar" >/dev/null
  echo "$key" >"$dir/local.key"
  mark "imported atrium-test/pause:1 and atrium-test/tools:1"
}

# session_images copies each Atrium session image Docker has into this
# containerd, again only when Docker's image id changed.
session_images() {
  if ! docker info >/dev/null 2>&1; then
    echo "k8s-up: no Docker engine answers; session images not loaded (scripts/docker-up.sh, then make images)"
    return 0
  fi
  local img id stamp
  for img in $session_images; do
    id=$(docker image inspect --format '{{.Id}}' "$img" 2>/dev/null) || { echo "k8s-up: Docker has no $img; not loaded (make images builds it)"; continue; }
    stamp=$k8s_run/images/$(echo "$img" | tr '/:' '__').id
    if [ "$(cat "$stamp" 2>/dev/null)" = "$id" ] && has_image "$img"; then continue; fi
    docker save "$img" | k8s_ctr images import - >/dev/null
    echo "$id" >"$stamp"
    mark "imported $img from Docker (${id:7:12})"
  done
}

# Docker sets the FORWARD policy to DROP and bridged frames pass iptables
# (br_netfilter), which would silently cut pod-to-pod traffic on our bridge.
# One rule, matching only this bridge, lets it through; k8s-down removes it.
pod_forwarding() {
  local rule=(FORWARD -i "$k8s_pod_bridge" -o "$k8s_pod_bridge" -m comment --comment atrium-test-k8s -j ACCEPT)
  iptables -w -C "${rule[@]}" 2>/dev/null || iptables -w -A "${rule[@]}"
}

if healthy; then
  pod_forwarding
  local_images
  session_images
  mark "already up"
  echo "$k8s_kubeconfig"
  exit 0
fi

mkdir -p "$k8s_pids" "$k8s_logs" "$k8s_pki" "$k8s_run/kubeconfig" "$k8s_run/etcd" "$k8s_run/containerd" \
  "$k8s_run/cni/net.d" "$k8s_run/cni/ipam" "$k8s_run/kubelet" "$k8s_run/volumes/local-path" "$k8s_run/local-path" \
  "$k8s_run/images"

# --- PKI, once --------------------------------------------------------------
if [ ! -s "$k8s_pki/ca.crt" ]; then
  (
    cd "$k8s_pki"
    o() { openssl "$@" 2>/dev/null; }
    o req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=atrium-test-k8s-ca"
    o genrsa -out sa.key 2048
    o rsa -in sa.key -pubout -out sa.pub
    printf 'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n' >server.ext
    o req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver"
    o x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 3650 -extfile server.ext
    echo "extendedKeyUsage=clientAuth" >client.ext
    # name:subject. The kubelet's subject is what the Node authorizer expects.
    for spec in "admin:/O=system:masters/CN=atrium-test-admin" \
      "kubelet:/O=system:nodes/CN=system:node:$k8s_node" \
      "controller-manager:/CN=system:kube-controller-manager" \
      "scheduler:/CN=system:kube-scheduler" \
      "apiserver-kubelet-client:/O=system:masters/CN=kube-apiserver-kubelet-client"; do
      name=${spec%%:*}
      o req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "${spec#*:}"
      o x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$name.crt" -days 3650 -extfile client.ext
    done
    rm -f ./*.csr ./*.ext
    chmod 600 ./*.key
  )
  mark "PKI created in $k8s_pki"
fi

# kubeconfig name file: certificates inline, so the file stands alone.
kubeconfig() {
  local user=$1 out=$2
  cat >"$out.tmp" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: atrium-test
  cluster:
    server: https://127.0.0.1:$k8s_apiserver_port
    certificate-authority-data: $(base64 -w0 "$k8s_pki/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$k8s_pki/$user.crt")
    client-key-data: $(base64 -w0 "$k8s_pki/$user.key")
contexts:
- name: atrium-test
  context: {cluster: atrium-test, user: $user}
current-context: atrium-test
KUBECONFIG
  chmod 600 "$out.tmp"
  mv "$out.tmp" "$out"
}
kubeconfig admin "$k8s_kubeconfig"
for c in kubelet controller-manager scheduler; do kubeconfig "$c" "$k8s_run/kubeconfig/$c.kubeconfig"; done

# --- configuration files ----------------------------------------------------
cat >"$k8s_run/containerd/config.toml" <<TOML
# This cluster's own containerd: its socket, root, state and runc root are
# all under $k8s_run, so Docker's containerd never sees its containers.
version = 2
root = "$k8s_run/containerd/root"
state = "$k8s_run/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$k8s_containerd_sock"
[ttrpc]
  address = "$k8s_containerd_sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "$k8s_run/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/atrium-test/pause:1"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  # The sandbox lacks CAP_SYS_RESOURCE, so no process may lower its OOM
  # score; the pause container asks for -998 and runc dies on it. This
  # keeps every container at containerd's own score instead.
  restrict_oom_score_adj = true
  tolerate_missing_hugetlb_controller = true
  disable_hugetlb_controller = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$k8s_run/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$k8s_run/cni/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ""
TOML

# No masquerade: pods reach the host and each other, nothing beyond.
cat >"$k8s_run/cni/net.d/10-atrium-test.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "atrium-test",
  "plugins": [{
    "type": "bridge",
    "bridge": "$k8s_pod_bridge",
    "isGateway": true,
    "ipMasq": false,
    "hairpinMode": true,
    "ipam": {
      "type": "host-local",
      "dataDir": "$k8s_run/cni/ipam",
      "ranges": [[{"subnet": "$k8s_pod_cidr", "gateway": "$k8s_pod_gateway"}]]
    }
  }]
}
JSON

cat >"$k8s_run/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# Hosts here may be cgroup v1 (hybrid); v1.36 refuses v1 unless told not to.
failCgroupV1: false
# No systemd; containerd 1.6 cannot tell the kubelet its driver either.
cgroupDriver: cgroupfs
failSwapOn: false
# Without CAP_SYS_RESOURCE the kubelet cannot lower its own OOM score.
oomScoreAdj: 0
containerRuntimeEndpoint: unix://$k8s_containerd_sock
imageServiceEndpoint: unix://$k8s_containerd_sock
address: $k8s_node_ip
port: $k8s_kubelet_port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $k8s_kubelet_healthz_port
podLogsDir: $k8s_logs/pods
# Only holders of a certificate from this cluster's CA get in.
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $k8s_pki/ca.crt}
authorization:
  mode: AlwaysAllow
clusterDomain: cluster.local
clusterDNS: []
resolvConf: /etc/resolv.conf
maxPods: 60
serializeImagePulls: false
# Imported images cannot be pulled again: never collect them, never evict.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {}
syncFrequency: 10s
# A restarted kubelet reports the node Ready at its next status check: check
# every 2 s, post unchanged status only every minute.
nodeStatusUpdateFrequency: 2s
nodeStatusReportFrequency: 1m
YAML

cat >"$k8s_run/local-path/config.json" <<JSON
{"nodePathMap":[{"node":"DEFAULT_PATH_FOR_NON_LISTED_NODES","paths":["$k8s_run/volumes/local-path"]}]}
JSON
cat >"$k8s_run/local-path/helper-pod.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: helper-pod
spec:
  automountServiceAccountToken: false
  containers:
  - name: helper-pod
    image: docker.io/atrium-test/tools:1
    imagePullPolicy: Never
YAML

# --- networking -------------------------------------------------------------
if ! ip link show "$k8s_node_bridge" >/dev/null 2>&1; then
  ip link add "$k8s_node_bridge" type bridge
  ip addr add "$k8s_node_ip/32" dev "$k8s_node_bridge"
  ip link set "$k8s_node_bridge" up
fi
pod_forwarding

# --- processes --------------------------------------------------------------
# start name binary args...: starts the component unless its pid file names
# a live process, in a session of its own (it outlives this script).
start() {
  local name=$1 exe
  exe=$(readlink -f "$(command -v "$2")")
  shift 2
  k8s_pid "$name" >/dev/null && return 0
  setsid "$exe" "$@" >>"$k8s_logs/$name.log" 2>&1 </dev/null &
  echo "$! $exe" >"$k8s_pids/$name.pid"
}

# wait_for what seconds command...: polls until command succeeds; on a
# timeout it shows the logs of whatever is not running.
wait_for() {
  local what=$1 limit=$2 c
  shift 2
  local deadline=$(($(date +%s) + limit))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "k8s-up: $what did not happen within ${limit}s" >&2
      for c in $k8s_components; do
        if ! k8s_pid "$c" >/dev/null; then
          echo "k8s-up: $c is not running; last lines of $k8s_logs/$c.log:" >&2
          tail -n 20 "$k8s_logs/$c.log" >&2 2>/dev/null || true
        fi
      done
      exit 1
    fi
    sleep 0.1
  done
  mark "$what"
}

start etcd etcd --name atrium-test --data-dir "$k8s_run/etcd/data" \
  --listen-client-urls "http://127.0.0.1:$k8s_etcd_port" --advertise-client-urls "http://127.0.0.1:$k8s_etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$k8s_etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$k8s_etcd_peer_port" \
  --initial-cluster "atrium-test=http://127.0.0.1:$k8s_etcd_peer_port" \
  --listen-metrics-urls "http://127.0.0.1:$k8s_etcd_metrics_port"
start containerd containerd --config "$k8s_run/containerd/config.toml"
wait_for "etcd healthy" 30 curl -sf "http://127.0.0.1:$k8s_etcd_port/health"

start kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$k8s_etcd_port" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$k8s_apiserver_port" \
  --tls-cert-file="$k8s_pki/apiserver.crt" --tls-private-key-file="$k8s_pki/apiserver.key" \
  --client-ca-file="$k8s_pki/ca.crt" \
  --kubelet-client-certificate="$k8s_pki/apiserver-kubelet-client.crt" \
  --kubelet-client-key="$k8s_pki/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP,Hostname \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$k8s_pki/sa.pub" --service-account-signing-key-file="$k8s_pki/sa.key" \
  --service-cluster-ip-range="$k8s_service_cidr" \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --allow-privileged=true --profiling=false \
  --endpoint-reconciler-type=none
# (A loopback advertise address is no valid Endpoints IP: no reconciler.)

wait_for "containerd answers" 30 k8s_ctr version
local_images
wait_for "kube-apiserver ready" 60 kubectl get --raw /readyz

cm_kubeconfig=$k8s_run/kubeconfig/controller-manager.kubeconfig
start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig="$cm_kubeconfig" --authentication-kubeconfig="$cm_kubeconfig" --authorization-kubeconfig="$cm_kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$k8s_controller_manager_port" --leader-elect=false \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$k8s_pki/sa.key" --root-ca-file="$k8s_pki/ca.crt" \
  --cluster-signing-cert-file="$k8s_pki/ca.crt" --cluster-signing-key-file="$k8s_pki/ca.key" \
  --service-cluster-ip-range="$k8s_service_cidr" \
  --allocate-node-cidrs=true --cluster-cidr="$k8s_pod_cidr" --node-cidr-mask-size=24 \
  --controllers='*,-bootstrapsigner,-tokencleaner'
sched_kubeconfig=$k8s_run/kubeconfig/scheduler.kubeconfig
start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig="$sched_kubeconfig" --authentication-kubeconfig="$sched_kubeconfig" --authorization-kubeconfig="$sched_kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$k8s_scheduler_port" --leader-elect=false
start kubelet "$bin/kubelet" \
  --config="$k8s_run/kubelet/config.yaml" --kubeconfig="$k8s_run/kubeconfig/kubelet.kubeconfig" \
  --root-dir="$k8s_run/kubelet/root" --cert-dir="$k8s_run/kubelet/pki" \
  --hostname-override="$k8s_node" --node-ip="$k8s_node_ip"

kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Namespace
metadata: {name: local-path-storage}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: local-path-provisioner-service-account, namespace: local-path-storage}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
---
# The provisioner's helper pods run these to create and remove a volume's
# folder under $k8s_run/volumes/local-path.
apiVersion: v1
kind: ConfigMap
metadata: {name: local-path-config, namespace: local-path-storage}
data:
  setup: |-
    #!/bin/sh
    set -eu
    mkdir -m 0777 -p "\$VOL_DIR"
  teardown: |-
    #!/bin/sh
    set -eu
    rm -rf "\$VOL_DIR"
YAML
start local-path-provisioner "$lpp" start \
  --kubeconfig "$k8s_kubeconfig" --namespace local-path-storage \
  --config "$k8s_run/local-path/config.json" --helper-pod-file "$k8s_run/local-path/helper-pod.yaml" \
  --helper-image docker.io/atrium-test/tools:1

wait_for "node $k8s_node Ready" 60 node_ready
wait_for "default ServiceAccount exists (pods can be created)" 60 kubectl get serviceaccount default --namespace default
session_images
for c in $k8s_components; do k8s_pid "$c" >/dev/null || fail "$c exited; see $k8s_logs/$c.log"; done
mark "up; logs in $k8s_logs, stop with scripts/k8s-down.sh"
echo "$k8s_kubeconfig"
