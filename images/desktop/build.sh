#!/usr/bin/env bash
# build.sh builds the atrium/desktop image: a minimal Debian 12 userland with
# TigerVNC, Openbox, xterm and PCManFM, and entrypoint.sh as its entrypoint.
#
# No registry is reachable, so the image is not built FROM anything: this
# script runs debootstrap into a temporary folder and pipes that folder into
# `docker import`. That takes one to two minutes, so the image carries a
# label with the hash of this folder's build inputs, and the script does
# nothing when an image with the same hash exists already.
#
# Usage: images/desktop/build.sh [-f]     (-f rebuilds even when up to date)
# Environment:
#   IMAGE          the image to build (default atrium/desktop:1)
#   DEBIAN_MIRROR  the Debian mirror (default: the first URI in
#                  /etc/apt/sources.list.d/debian.sources, else deb.debian.org)
# Needs root (debootstrap), debootstrap and a Docker engine.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
image=${IMAGE:-atrium/desktop:1}
suite=bookworm
label=org.atrium.build-hash
force=0
[[ ${1:-} == -f ]] && force=1

log() { echo "images/desktop: $*" >&2; }
die() {
	log "$*"
	exit 1
}

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

# Everything that decides the image's content: the build inputs in this
# folder (not its documentation) and the package list above, which lives in
# this script. Listing files by name keeps the order stable.
build_hash() {
	(
		cd "$here"
		find . -type f ! -name '*.md' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
		echo "$suite ${packages[*]}"
	) | sha256sum | cut -c1-16
}

mirror() {
	if [[ -n ${DEBIAN_MIRROR:-} ]]; then
		echo "$DEBIAN_MIRROR"
		return
	fi
	local f=/etc/apt/sources.list.d/debian.sources uri=
	if [[ -r $f ]]; then
		# The first "URIs:" line of a deb822 file is the main archive; the
		# security archive follows it.
		uri=$(awk '/^URIs:/ { print $2; exit }' "$f")
	fi
	echo "${uri:-http://deb.debian.org/debian}"
}

command -v docker >/dev/null || die "docker CLI missing; run scripts/docker-up.sh (installs docker.io and starts dockerd)"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer; run scripts/docker-up.sh"

hash=$(build_hash)
current=$(docker image inspect --format "{{ index .Config.Labels \"$label\" }}" "$image" 2>/dev/null || true)
if [[ $force == 0 && $current == "$hash" ]]; then
	log "$image is up to date (build hash $hash)"
	exit 0
fi

[[ $(id -u) == 0 ]] || die "debootstrap needs root; rerun as root"
if ! command -v debootstrap >/dev/null; then
	# A fresh CI machine has Docker (scripts/docker-up.sh) but not this.
	log "debootstrap missing; installing Debian's debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; } ||
		die "could not install debootstrap; install it with: apt-get install -y debootstrap"
fi

start=$(date +%s)
root=$(mktemp -d /var/tmp/atrium-desktop.XXXXXX)
cleanup() {
	# debootstrap mounts /proc and /sys inside the root while it works; an
	# interrupted run can leave them mounted, and rm must not cross into them.
	local m
	for m in proc sys dev/pts dev; do
		mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m" || true
	done
	rm -rf --one-file-system "$root"
	[[ $keep_log == 1 ]] || rm -f "$root.log"
}
keep_log=0
trap cleanup EXIT
# Bash runs the EXIT trap on a signal only when the signal is trapped.
trap 'exit 130' INT TERM

log "building $image (build hash $hash) with debootstrap from $(mirror)"
list=$(
	IFS=,
	echo "${packages[*]}"
)
debootstrap --variant=minbase --include="$list" "$suite" "$root" "$(mirror)" >"$root.log" 2>&1 || {
	keep_log=1
	tail -n 40 "$root.log" >&2
	die "debootstrap failed (full log in $root.log); check that the mirror answers"
}

# The user the container runs as. Its home is created here, owned by
# 1000:1000, because Docker copies it, ownership included, into a fresh
# named volume mounted over it: that is what makes a new user's volume
# writable without a root step at start.
chroot "$root" groupadd --gid 1000 atrium
chroot "$root" useradd --uid 1000 --gid 1000 --create-home --home-dir /home/atrium --shell /bin/bash atrium
chmod 0750 "$root/home/atrium"

# Xvnc runs as uid 1000, so it cannot create the X socket directory with
# the sticky, root-owned mode X expects; make it here.
install -d -m 1777 "$root/tmp/.X11-unix"

install -m 0755 "$here/entrypoint.sh" "$root/usr/local/bin/atrium-desktop"
install -m 0644 "$here/menu.xml" "$root/etc/xdg/openbox/menu.xml"
# Debian's rc.xml also loads the menu of the `menu` package, which is not
# installed; drop that line so Openbox does not complain at every start.
sed -i '\#<file>/var/lib/openbox/debian-menu.xml</file>#d' "$root/etc/xdg/openbox/rc.xml"

# Keep the image small: package lists, caches, manuals and translations are
# not needed at run time. Copyright files in /usr/share/doc stay.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
	"$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log "$root"/var/cache/debconf/*-old
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'en*' ! -name locale.alias -exec rm -rf {} +
find "$root/usr/share/doc" -type f ! -name copyright -delete

# The image this build replaces; removed once the new one has its tag, so
# rebuilds do not pile up 500 MB images without a name.
previous=$(docker image inspect --format '{{ .Id }}' "$image" 2>/dev/null || true)

log "importing into docker as $image"
tar --numeric-owner -C "$root" -c . | docker import \
	--change 'ENTRYPOINT ["/usr/local/bin/atrium-desktop"]' \
	--change 'USER 1000:1000' \
	--change 'WORKDIR /home/atrium' \
	--change 'ENV HOME=/home/atrium LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--change 'EXPOSE 5900' \
	--change "LABEL $label=$hash" \
	--message "atrium desktop, build hash $hash" \
	- "$image" >/dev/null

if [[ -n $previous && $previous != "$(docker image inspect --format '{{ .Id }}' "$image")" ]]; then
	# A container still using it keeps it; that is fine.
	docker image rm "$previous" >/dev/null 2>&1 || log "kept the previous image ${previous#sha256:}: a container still uses it"
fi
size=$(docker image inspect --format '{{ .Size }}' "$image")
log "built $image in $(($(date +%s) - start)) s, $((size / 1000000)) MB"
