#!/usr/bin/env bash
# build.sh builds the atrium/jupyter image: Jupyter (Debian's jupyter-server
# with the classic notebook interface and an IPython kernel) on a minimal
# Debian 12, with entrypoint.sh as its entrypoint. The steps every image
# shares live in ../lib.sh.
#
# Usage: images/jupyter/build.sh [-f]     (-f rebuilds even when up to date)
# Environment: IMAGE (default atrium/jupyter:1), DEBIAN_MIRROR; see ../lib.sh.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

image_init jupyter atrium/jupyter:1 "$@"

# Debian has no JupyterLab. jupyter-server serves the REST and kernel API;
# python3-nbclassic puts the classic notebook interface (from
# python3-notebook) on that server; python3-ipykernel is the Python 3
# kernel; jupyter-core is the `jupyter` command.
# debootstrap's own dependency resolution cannot configure this tree (it
# gives up on python3-zmq), so it lays down the base and apt installs the
# rest.
base=(ca-certificates procps less)
packages=(
	jupyter-core
	jupyter-server
	python3-nbclassic
	python3-notebook
	python3-ipykernel
)

image_up_to_date "${base[*]} | ${packages[*]}" && exit 0
image_root
image_debootstrap "${base[@]}"
image_log "installing ${packages[*]}"
image_apt update
image_apt install --no-install-recommends "${packages[@]}"
image_add_user
install -m 0755 "$image_dir/entrypoint.sh" "$image_root_dir/usr/local/bin/atrium-jupyter"
image_slim

image_import \
	'ENTRYPOINT ["/usr/local/bin/atrium-jupyter"]' \
	'EXPOSE 8888'
