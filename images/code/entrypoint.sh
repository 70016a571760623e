#!/bin/bash
# atrium-code: the entrypoint of the atrium/code image.
#
# It runs as uid 1000 ("atrium") and serves VS Code (code-server) over HTTP
# on port 8080, with the home folder /home/atrium open as the workspace.
# code-server's own login is off: the container is reachable only through
# Atrium's app proxy, which authenticates the user.
#
#   ATRIUM_BASE_PATH  optional; the path prefix the browser sees when a
#                     proxy serves the app under a path and strips that
#                     prefix before forwarding (e.g. /apps/s-1). code-server
#                     uses relative links, so only its few absolute ones
#                     need it. Unset (the default) for an app served from
#                     its own origin.
#
# code-server's settings, extensions and state live in the home
# (~/.local/share/code-server), so they persist with the home volume.
set -euo pipefail

die() {
	echo "atrium-code: $*" >&2
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

args=(
	--config /etc/atrium/code-server.yaml
	--auth none
	--bind-addr 0.0.0.0:8080
	--disable-telemetry
	--disable-update-check
	# The folder is the user's own home: asking whether to trust it on
	# every first start helps no one.
	--disable-workspace-trust
)
if [[ -n ${ATRIUM_BASE_PATH:-} ]]; then
	[[ $ATRIUM_BASE_PATH =~ ^(/[A-Za-z0-9._~-]+)+$ ]] ||
		die "ATRIUM_BASE_PATH is '$ATRIUM_BASE_PATH'; set it to a path like /apps/s-1 (no trailing slash), or leave it unset"
	args+=(--abs-proxy-base-path "$ATRIUM_BASE_PATH")
fi

# exec: code-server gets Docker's stop signal directly.
exec /usr/local/bin/code-server "${args[@]}" "$HOME"
