#!/usr/bin/env bash
# build.sh makes a local stand-in for the official golang and node images
# that deploy/image/Dockerfile builds from, for machines that cannot pull
# images (no registry reachable). It is a minimal Debian 12 (debootstrap,
# as the session images are made) with this machine's own Go toolchain
# copied to /usr/local/go and its Node.js and npm to /usr/local, laid out as
# in the official images, plus the machine's extra CA certificates (from
# /usr/local/share/ca-certificates) so that `go mod download` and `npm ci`
# inside the build trust the same TLS roots the host does (Node.js reads
# them through NODE_EXTRA_CA_CERTS; it ignores the system store otherwise).
#
# Only the build stages run it; the runtime image holds none of it.
#
# Usage: deploy/image/toolchain/build.sh [-f]   (-f rebuilds even when up to date)
# Environment: IMAGE (default atrium/toolchain:go<ver>-node<ver>, printed
# on the last line of stdout), DEBIAN_MIRROR; see images/lib.sh.
set -euo pipefail
# shellcheck source=../../../images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../../images/lib.sh"

command -v go >/dev/null || { echo "deploy/image/toolchain: go not found; install Go 1.26" >&2; exit 1; }
command -v node >/dev/null || { echo "deploy/image/toolchain: node not found; install Node.js 20" >&2; exit 1; }
goroot=$(go env GOROOT)
gover=$(go env GOVERSION)
nodever=$(node --version)
npmdir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)

image_init toolchain "atrium/toolchain:${gover}-node${nodever#v}" "$@"

extra_ca=()
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
	extra_ca=(/usr/local/share/ca-certificates/*.crt)
fi
ca_hash=$(cat /dev/null "${extra_ca[@]}" | sha256sum | cut -c1-16)

base=(ca-certificates)
if image_up_to_date "${base[*]} $gover $nodever ca:$ca_hash"; then
	echo "$image"
	exit 0
fi
image_root
image_debootstrap "${base[@]}"
image_log "copying Go $gover from $goroot and Node.js $nodever with npm from $npmdir"
cp -a "$goroot" "$image_root_dir/usr/local/go"
install -m 0755 "$(readlink -f "$(command -v node)")" "$image_root_dir/usr/local/bin/node"
mkdir -p "$image_root_dir/usr/local/lib/node_modules"
cp -a "$npmdir" "$image_root_dir/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$image_root_dir/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$image_root_dir/usr/local/bin/npx"
if ((${#extra_ca[@]})); then
	cp "${extra_ca[@]}" "$image_root_dir/usr/local/share/ca-certificates/"
	image_run "add the machine's CA certificates" update-ca-certificates
fi
image_slim

# As in the official golang image: root, GOPATH /go, Go first on PATH.
image_import \
	'USER 0:0' \
	'WORKDIR /' \
	'ENV HOME=/root GOPATH=/go PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'
echo "$image"
