#!/usr/bin/env bash
# build.sh builds the Atrium container image, atrium/core:<version>, from
# deploy/image/Dockerfile with the classic builder (Docker 20.10 without
# BuildKit works). `make image` runs it.
#
# The Dockerfile builds from the official golang and node images, pinned by
# tag (GO_IMAGE, NODE_IMAGE). When they are neither present nor pullable —
# a machine with no registry — it builds a local stand-in for both with
# deploy/image/toolchain/build.sh (Debian 12 from debootstrap with this
# machine's Go and Node.js) and says so.
#
# Environment:
#   VERSION     the image tag and `atrium version` (default: git describe)
#   IMAGE       the image name (default atrium/core:$VERSION)
#   GO_IMAGE, NODE_IMAGE  the build images (defaults in the Dockerfile)
#   GOPROXY, GOSUMDB, GOFLAGS, GONOSUMDB, GOPRIVATE  passed to the Go build
#               (default: this machine's `go env`)
# The image name is printed on the last line of stdout.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
log() { echo "deploy/image: $*" >&2; }
die() {
	log "$*"
	exit 1
}

command -v docker >/dev/null || die "docker CLI missing; run scripts/docker-up.sh (installs docker.io and starts dockerd)"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer; run scripts/docker-up.sh"

version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
image=${IMAGE:-atrium/core:$version}
dockerfile=deploy/image/Dockerfile
default_arg() { sed -n "s/^ARG $1=//p" "$dockerfile"; }
go_image=${GO_IMAGE:-$(default_arg GO_IMAGE)}
node_image=${NODE_IMAGE:-$(default_arg NODE_IMAGE)}

# have IMAGE succeeds when the image is present or could be pulled.
have() {
	docker image inspect "$1" >/dev/null 2>&1 && return 0
	log "pulling $1"
	docker pull -q "$1" >/dev/null 2>&1
}
if ! have "$go_image" || ! have "$node_image"; then
	log "cannot pull $go_image or $node_image (no registry?); building a local stand-in with this machine's Go and Node.js"
	toolchain=$(bash deploy/image/toolchain/build.sh | tail -n 1)
	go_image=$toolchain
	node_image=$toolchain
fi

goenv() { if [[ -n ${!1+x} ]]; then echo "${!1}"; else go env "$1" 2>/dev/null || true; fi; }
args=(
	--build-arg "GO_IMAGE=$go_image"
	--build-arg "NODE_IMAGE=$node_image"
	--build-arg "VERSION=$version"
)
for v in GOPROXY GOSUMDB GOFLAGS GONOSUMDB GOPRIVATE; do
	val=$(goenv "$v")
	[[ -n $val ]] && args+=(--build-arg "$v=$val")
done

start=$(date +%s)
log "building $image from $go_image and $node_image"
DOCKER_BUILDKIT=0 docker build -f "$dockerfile" "${args[@]}" -t "$image" . >&2 ||
	die "docker build failed (rerun with: DOCKER_BUILDKIT=0 docker build -f $dockerfile ${args[*]} -t $image .)"
size=$(docker image inspect --format '{{ .Size }}' "$image")
log "built $image in $(($(date +%s) - start)) s, $((size / 1000000)) MB"
echo "$image"
