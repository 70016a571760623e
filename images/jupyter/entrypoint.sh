#!/bin/bash
# atrium-jupyter: the entrypoint of the atrium/jupyter image.
#
# It runs as uid 1000 ("atrium") and serves Jupyter over HTTP on port 8888,
# rooted at the home folder /home/atrium, with the classic notebook
# interface at /tree and the REST and kernel API under /api.
#
# Jupyter's token is off: the container is reachable only through Atrium's
# app proxy, which authenticates the user and serves each session from its
# own origin. Jupyter's own same-origin check on WebSockets and its XSRF
# check stay on, so the proxy must forward the browser's Host header.
#
#   ATRIUM_BASE_PATH     optional; the path prefix under which the browser
#                        reaches the app when a proxy forwards it without
#                        stripping it (e.g. /apps/s-1). Jupyter builds
#                        absolute links from it. Default /.
#   ATRIUM_ALLOW_ORIGIN  optional; an origin (https://host) allowed besides
#                        the same origin, for a proxy that rewrites Host.
set -euo pipefail

die() {
	echo "atrium-jupyter: $*" >&2
	exit 1
}

export HOME=/home/atrium USER=atrium LOGNAME=atrium SHELL=/bin/bash
# The home is usually a volume. Docker gives a fresh named volume the
# image's /home/atrium, owned by 1000:1000; other storage must be handed to
# uid 1000 by the runtime (fsGroup, chown), since this process cannot.
if ! { [[ -d $HOME ]] && [[ -w $HOME ]]; }; then
	die "home $HOME is missing or not writable by uid $(id -u); mount a volume owned by 1000:1000 there"
fi
cd "$HOME"

# Kernel connection files hold each kernel's signing key: keep them in the
# container's /tmp, never in the persistent home.
export JUPYTER_RUNTIME_DIR
JUPYTER_RUNTIME_DIR=$(mktemp -d /tmp/jupyter-runtime.XXXXXXXX)

base=${ATRIUM_BASE_PATH:-/}
[[ $base == / || $base =~ ^(/[A-Za-z0-9._~-]+)+/?$ ]] ||
	die "ATRIUM_BASE_PATH is '$base'; set it to a path like /apps/s-1, or leave it unset"

args=(
	--ServerApp.ip=0.0.0.0
	--ServerApp.port=8888
	# Another port would be one nobody proxies to: fail instead.
	--ServerApp.port_retries=0
	--ServerApp.open_browser=False
	--ServerApp.allow_remote_access=True
	--ServerApp.token=
	--ServerApp.password=
	--ServerApp.base_url="$base"
	--ServerApp.root_dir="$HOME"
	--ServerApp.default_url=/tree
)
if [[ -n ${ATRIUM_ALLOW_ORIGIN:-} ]]; then
	[[ $ATRIUM_ALLOW_ORIGIN =~ ^https?://[A-Za-z0-9.-]+(:[0-9]+)?$ ]] ||
		die "ATRIUM_ALLOW_ORIGIN is '$ATRIUM_ALLOW_ORIGIN'; set it to one origin like https://s-1.apps.example.com"
	args+=(--ServerApp.allow_origin="$ATRIUM_ALLOW_ORIGIN")
fi

# exec: Jupyter gets Docker's stop signal directly and shuts its kernels
# down.
exec jupyter server "${args[@]}"
