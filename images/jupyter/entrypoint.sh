#!/bin/bash
# atrium-jupyter: the entrypoint of the atrium/jupyter image.
#
# It runs as uid 1000 ("atrium") and serves Jupyter over HTTP on port 8888,
# rooted at the home folder /home/atrium, with the classic notebook
# interface at /tree and the REST and kernel API under /api.
#
# Jupyter requires the per-session token the core generated: Atrium's app
# proxy, which authenticates the user, presents it on every request
# ("Authorization: token …"), so nothing that reaches port 8888 another way
# gets in. Only GET /api, the version, answers without it.
#
#   ATRIUM_JUPYTER_TOKEN  required; the token, read from the file
#                         /run/atrium/secrets/ATRIUM_JUPYTER_TOKEN (the
#                         variable only when that file is absent). It is written to a private
#                         config file and removed from the environment, so
#                         neither the kernels nor `ps` see it.
#   ATRIUM_BASE_PATH      optional; the path prefix under which the browser
#                         reaches the app when a proxy forwards it without
#                         stripping it (e.g. /apps/s-1). Jupyter builds
#                         absolute links from it and routes by it. Default /.
#   ATRIUM_ALLOW_ORIGIN   optional; the origin (https://host[:port]) the
#                         browser reaches the app at. Jupyter answers
#                         token-authenticated requests with CORS headers
#                         for whatever Origin they carry unless this is set.
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

# The token goes to Jupyter in a config file only this user can read, in
# the container's /tmp: on the command line every process would see it in
# `ps`, and in the environment every kernel would inherit it. The core
# generates it URL-safe, which also keeps it a plain JSON string.
secret_file=/run/atrium/secrets/ATRIUM_JUPYTER_TOKEN
token=${ATRIUM_JUPYTER_TOKEN:-}
unset ATRIUM_JUPYTER_TOKEN
if [[ -f $secret_file ]]; then
	token=$(<"$secret_file")
fi
[[ -n $token ]] ||
	die "the Jupyter token is empty: the runtime passes the session's app_token secret in $secret_file (or ATRIUM_JUPYTER_TOKEN)"
[[ $token =~ ^[A-Za-z0-9_-]{16,}$ ]] ||
	die "ATRIUM_JUPYTER_TOKEN must be at least 16 URL-safe characters (A-Z a-z 0-9 _ -)"
umask 077
secret_config=$(mktemp -d /tmp/atrium-jupyter.XXXXXXXX)/atrium_token.json
printf '{"ServerApp": {"token": "%s"}}\n' "$token" >"$secret_config"
unset token
umask 022

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
	--config="$secret_config"
	--ServerApp.password=
	--ServerApp.base_url="$base"
	--ServerApp.root_dir="$HOME"
	--ServerApp.default_url=/tree
)
if [[ -n ${ATRIUM_ALLOW_ORIGIN:-} ]]; then
	[[ $ATRIUM_ALLOW_ORIGIN =~ ^https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]+)?$ ]] ||
		die "ATRIUM_ALLOW_ORIGIN is '$ATRIUM_ALLOW_ORIGIN'; set it to one origin like https://s-1.apps.example.com"
	args+=(--ServerApp.allow_origin="$ATRIUM_ALLOW_ORIGIN")
fi

# exec: Jupyter gets Docker's stop signal directly and shuts its kernels
# down.
exec jupyter server "${args[@]}"
