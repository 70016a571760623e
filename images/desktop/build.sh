#!/usr/bin/env bash
# build.sh builds the atrium/desktop image: a minimal Debian 12 userland with
# TigerVNC, Openbox, xterm and PCManFM, and entrypoint.sh as its entrypoint.
# The steps every image shares (debootstrap, the atrium user, the
# build-hash label that makes an up-to-date build a no-op, docker import)
# live in ../lib.sh.
#
# Usage: images/desktop/build.sh [-f]     (-f rebuilds even when up to date)
# Environment: IMAGE (default atrium/desktop:1), DEBIAN_MIRROR; see ../lib.sh.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

image_init desktop atrium/desktop:1 "$@"

# The packages on top of debootstrap's minbase. Xvnc is the X server and
# the VNC server at once; openbox is a light window manager that needs no
# session manager; dbus-x11 gives programs a session bus.
packages=(
	tigervnc-standalone-server
	tigervnc-tools
	openbox
	xterm
	pcmanfm
	dbus-x11
	fonts-dejavu-core
	xfonts-base
	ca-certificates
	less
	procps
)

image_up_to_date "${packages[*]}" && exit 0
image_root
image_debootstrap "${packages[@]}"
image_add_user
root=$image_root_dir

install -m 0755 "$image_dir/entrypoint.sh" "$root/usr/local/bin/atrium-desktop"
install -m 0644 "$image_dir/menu.xml" "$root/etc/xdg/openbox/menu.xml"
# Debian's rc.xml also loads the menu of the `menu` package, which is not
# installed; drop that line so Openbox does not complain at every start.
sed -i '\#<file>/var/lib/openbox/debian-menu.xml</file>#d' "$root/etc/xdg/openbox/rc.xml"

image_slim
# Xvnc runs as uid 1000, so it cannot create the X socket directory with
# the sticky, root-owned mode X expects; make it here, after image_slim
# has emptied /tmp.
install -d -m 1777 "$root/tmp/.X11-unix"

image_import \
	'ENTRYPOINT ["/usr/local/bin/atrium-desktop"]' \
	'EXPOSE 5900'
