# lib.sh: what every session image build shares. Each images/<name>/build.sh
# sources it, lists its packages, and calls these functions in order:
#
#   image_init NAME DEFAULT_IMAGE "$@"   parse -f, read IMAGE, set up logging
#   image_up_to_date EXTRA... && exit 0  skip when the build hash matches
#   image_root                           root check, debootstrap, a temp root
#   image_debootstrap PACKAGE...         minbase Debian 12 with the packages
#   (image-specific steps, image_chroot for commands inside the root)
#   image_add_user                       atrium, uid/gid 1000, home /home/atrium
#   image_slim                           drop caches, manuals, translations
#   image_import CHANGE...               docker import with --change lines
#
# No registry is reachable, so no image is built FROM anything: debootstrap
# fills a temporary folder, which is piped into `docker import`. That takes
# minutes, so each image carries a label with the hash of its build inputs
# (its folder but not its documentation, this file, and whatever the
# script passes to image_up_to_date), and a build whose hash matches the
# existing image's does nothing.
#
# Environment:
#   IMAGE          the image to build (default: the script's DEFAULT_IMAGE)
#   DEBIAN_MIRROR  the Debian mirror (default: the first URI in
#                  /etc/apt/sources.list.d/debian.sources, else deb.debian.org)
# Builds need root (debootstrap, chroot), debootstrap and a Docker engine.
# shellcheck shell=bash

image_suite=bookworm
image_label=org.atrium.build-hash
image_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh

# The image's user. Its home is created in the image owned by 1000:1000,
# because Docker copies it, ownership included, into a fresh named volume
# mounted over it: that makes a new user's volume writable without a root
# step at start.
image_uid=1000
image_home=/home/atrium

image_log() { echo "images/$image_name: $*" >&2; }
image_die() {
	image_log "$*"
	exit 1
}

# image_init NAME DEFAULT_IMAGE [ARGS...] sets image_name, image (the tag to
# build), image_dir (the calling script's folder) and image_force (-f).
image_init() {
	image_name=$1
	image=${IMAGE:-$2}
	shift 2
	image_dir=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
	image_force=0
	case ${1:-} in
	-f) image_force=1 ;;
	"") ;;
	*) image_die "unknown argument '$1'; the only option is -f (rebuild even when up to date)" ;;
	esac
	command -v docker >/dev/null || image_die "docker CLI missing; run scripts/docker-up.sh (installs docker.io and starts dockerd)"
	docker info >/dev/null 2>&1 || image_die "the Docker engine does not answer; run scripts/docker-up.sh"
}

# image_build_hash EXTRA... prints the hash of everything that decides the
# image's content: the files of the image's folder (not its documentation),
# this library, and EXTRA (package lists, versions). Listing files by name
# keeps the order stable.
image_build_hash() {
	(
		cd "$image_dir"
		find . -type f ! -name '*.md' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
		sha256sum <"$image_lib"
		echo "$image_suite $*"
	) | sha256sum | cut -c1-16
}

# image_up_to_date EXTRA... computes image_hash and succeeds when the
# existing image carries it (and -f was not given).
image_up_to_date() {
	image_hash=$(image_build_hash "$@")
	local current
	current=$(docker image inspect --format "{{ index .Config.Labels \"$image_label\" }}" "$image" 2>/dev/null || true)
	if [[ $image_force == 0 && $current == "$image_hash" ]]; then
		image_log "$image is up to date (build hash $image_hash)"
		return 0
	fi
	return 1
}

# image_mirror prints the Debian mirror to bootstrap from.
image_mirror() {
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

# image_root checks for root and debootstrap (installing it when missing)
# and makes image_root_dir, a temporary folder removed at exit.
image_root() {
	[[ $(id -u) == 0 ]] || image_die "debootstrap needs root; rerun as root"
	if ! command -v debootstrap >/dev/null; then
		# A fresh CI machine has Docker (scripts/docker-up.sh) but not this.
		image_log "debootstrap missing; installing Debian's debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; } ||
			image_die "could not install debootstrap; install it with: apt-get install -y debootstrap"
	fi
	image_start=$(date +%s)
	image_root_dir=$(mktemp -d "/var/tmp/atrium-$image_name.XXXXXX")
	image_keep_log=0
	trap image_cleanup EXIT
	# Bash runs the EXIT trap on a signal only when the signal is trapped.
	trap 'exit 130' INT TERM
}

# image_cleanup unmounts what debootstrap or image_chroot mounted in the
# root, then removes it. An interrupted run can leave mounts behind, and rm
# must not cross into them.
image_cleanup() {
	local m
	for m in proc sys dev/pts dev; do
		mountpoint -q "$image_root_dir/$m" 2>/dev/null && umount -l "$image_root_dir/$m" || true
	done
	rm -rf --one-file-system "$image_root_dir"
	[[ $image_keep_log == 1 ]] || rm -f "$image_root_dir.log"
}

# image_debootstrap PACKAGE... installs a minbase Debian with the packages.
image_debootstrap() {
	local list
	list=$(
		IFS=,
		echo "$*"
	)
	image_log "building $image (build hash $image_hash) with debootstrap from $(image_mirror)"
	debootstrap --variant=minbase --include="$list" "$image_suite" "$image_root_dir" "$(image_mirror)" >"$image_root_dir.log" 2>&1 || {
		image_keep_log=1
		tail -n 40 "$image_root_dir.log" >&2
		image_die "debootstrap failed (full log in $image_root_dir.log); check that the mirror answers"
	}
}

# image_chroot CMD... runs a command inside the root with a clean
# environment (the host's npm, Python and proxy settings stay outside),
# /proc mounted (Node and apt need it) and the host's resolver, so it can
# reach the Debian mirror and the npm registry. VAR=value words before the
# command add to the environment.
image_chroot() {
	local env=(HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
	while [[ ${1:-} == *=* ]]; do
		env+=("$1")
		shift
	done
	mountpoint -q "$image_root_dir/proc" || mount -t proc proc "$image_root_dir/proc"
	[[ -s $image_root_dir/etc/resolv.conf ]] || cp /etc/resolv.conf "$image_root_dir/etc/resolv.conf"
	# By its full path: env looks the command up in the PATH given above,
	# and the host's chroot lives in /usr/sbin.
	env -i "${env[@]}" "$(command -v chroot)" "$image_root_dir" "$@"
}

# image_run WHAT CMD... runs image_chroot CMD... with its output going to
# the build log, and stops the build with the log's end when it fails;
# WHAT says what the command does, for that message.
image_run() {
	local what=$1
	shift
	echo "+ $*" >>"$image_root_dir.log"
	image_chroot "$@" >>"$image_root_dir.log" 2>&1 || {
		image_keep_log=1
		tail -n 60 "$image_root_dir.log" >&2
		image_die "could not $what (full log in $image_root_dir.log)"
	}
}

# image_apt ARGS... runs apt-get in the root, quietly, through image_run.
# apt's download sandbox user cannot write to the root's folders; the
# downloads come from the mirror either way.
image_apt() {
	image_run "run apt-get $* in the image's root; check that the mirror answers" \
		apt-get -y -q -o APT::Sandbox::User=root "$@"
}

# image_add_user creates atrium (uid and gid 1000) with its home.
image_add_user() {
	chroot "$image_root_dir" groupadd --gid "$image_uid" atrium
	chroot "$image_root_dir" useradd --uid "$image_uid" --gid "$image_uid" --create-home --home-dir "$image_home" --shell /bin/bash atrium
	chmod 0750 "$image_root_dir$image_home"
}

# image_slim drops what is not needed at run time: package lists, caches,
# manuals, translations, the build's resolver. Copyright files stay.
image_slim() {
	local r=$image_root_dir
	if mountpoint -q "$r/proc"; then umount "$r/proc"; fi
	rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb \
		"$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/var/log/*.log "$r"/var/cache/debconf/*-old \
		"$r"/root/.cache "$r"/root/.npm "$r"/tmp/*
	# Docker manages the container's resolver; an empty file is what
	# debootstrap leaves.
	: >"$r/etc/resolv.conf"
	find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'en*' ! -name locale.alias -exec rm -rf {} +
	find "$r/usr/share/doc" -type f ! -name copyright -delete
}

# image_import CHANGE... imports the root as $image with the user, home,
# environment and build-hash label every image shares, plus the image's own
# Dockerfile instructions (ENTRYPOINT, EXPOSE, ENV ...).
image_import() {
	local args=(
		--change "USER $image_uid:$image_uid"
		--change "WORKDIR $image_home"
		--change "ENV HOME=$image_home LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		--change "LABEL $image_label=$image_hash"
		--message "atrium $image_name, build hash $image_hash"
	)
	local c
	for c in "$@"; do
		args+=(--change "$c")
	done

	# The image this build replaces; removed once the new one has its tag,
	# so rebuilds do not pile up images without a name.
	local previous size
	previous=$(docker image inspect --format '{{ .Id }}' "$image" 2>/dev/null || true)

	image_log "importing into docker as $image"
	tar --numeric-owner -C "$image_root_dir" -c . | docker import "${args[@]}" - "$image" >/dev/null

	if [[ -n $previous && $previous != "$(docker image inspect --format '{{ .Id }}' "$image")" ]]; then
		# A container still using it keeps it; that is fine.
		docker image rm "$previous" >/dev/null 2>&1 || image_log "kept the previous image ${previous#sha256:}: a container still uses it"
	fi
	size=$(docker image inspect --format '{{ .Size }}' "$image")
	image_log "built $image in $(($(date +%s) - image_start)) s, $((size / 1000000)) MB"
}
