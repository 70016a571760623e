#!/usr/bin/env bash
# k8s-build.sh builds the Kubernetes binaries the local test cluster runs
# (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubectl)
# once, from the Go module proxy, and prints the folder that holds them.
#
# Kubernetes ships no `go install`-able commands (its go.mod replaces every
# staging module), so this writes a small module outside the repository that
# requires k8s.io/kubernetes at a pinned version, with one replace line per
# staging module, and builds the commands from it. Nothing of Kubernetes is
# committed here. A cold build takes about six minutes on two cores; later
# runs print the folder at once.
#
# Cache: $ATRIUM_K8S_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/atrium-test/k8s.
set -euo pipefail

k8s_version=v1.36.3
staging_version=v0.36.3
cmds="kube-apiserver kubelet kube-scheduler kube-controller-manager kubectl"

cache=${ATRIUM_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/atrium-test/k8s}
bin="$cache/bin/$k8s_version"

complete=1
for c in $cmds; do [ -x "$bin/$c" ] || complete=0; done
if [ "$complete" = 1 ]; then
  echo "$bin"
  exit 0
fi

mod="$cache/module"
mkdir -p "$mod" "$bin"
# k8s.io/sample-cli-plugin is left out: the proxy refuses it and nothing needs it.
staging="api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
cloud-provider cluster-bootstrap code-generator component-base component-helpers
controller-manager cri-api cri-client cri-streaming csi-translation-lib
dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator
kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics
mount-utils pod-security-admission sample-apiserver sample-controller streaming"
{
  echo "module atrium.test/k8sbuild"
  echo
  echo "go 1.26.0"
  echo
  echo "godebug default=go1.26"
  echo
  echo "require k8s.io/kubernetes $k8s_version"
  echo
  echo "replace ("
  for s in $staging; do echo "	k8s.io/$s => k8s.io/$s $staging_version"; done
  echo ")"
} >"$mod/go.mod"

cd "$mod"
# Outside any workspace: the build must not see Atrium's go.work.
export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0
echo "k8s-build.sh: building Kubernetes $k8s_version into $bin (about 6 minutes cold)" >&2
go get $(for c in $cmds; do echo "k8s.io/kubernetes/cmd/$c@$k8s_version"; done) >&2
ld="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld="$ld -X $p.gitVersion=$k8s_version -X $p.gitMajor=1 -X $p.gitMinor=36 -X $p.gitTreeState=clean"
done
go build -trimpath -ldflags="$ld" -o "$bin/" $(for c in $cmds; do echo "k8s.io/kubernetes/cmd/$c"; done) >&2
echo "$bin"
