#!/bin/bash
# atrium-desktop: the entrypoint of the atrium/desktop image.
#
# It runs as uid 1000 ("atrium") and serves one X display over VNC on port
# 5900, guarded by the per-session password the core generated:
#
#   ATRIUM_VNC_PASSWORD  the VNC password (required; VNC uses its first 8 bytes),
#                        read from /run/atrium/secrets/ATRIUM_VNC_PASSWORD,
#                        where Atrium's runtimes put it; the variable of that
#                        name is read only when the file is absent
#   ATRIUM_GEOMETRY      the initial screen size, WIDTHxHEIGHT (default 1280x800)
#   ATRIUM_DEPTH         the colour depth: 16, 24 or 32 (default 24)
#
# The container lives as long as Xvnc does: closing every window leaves the
# desktop running, and stopping the container stops Xvnc.
set -euo pipefail

die() {
	echo "atrium-desktop: $*" >&2
	exit 1
}

geometry=${ATRIUM_GEOMETRY:-1280x800}
depth=${ATRIUM_DEPTH:-24}
[[ $geometry =~ ^[1-9][0-9]{1,4}x[1-9][0-9]{1,4}$ ]] ||
	die "ATRIUM_GEOMETRY is '$geometry'; set it to WIDTHxHEIGHT, e.g. 1280x800"
case $depth in
16 | 24 | 32) ;;
*) die "ATRIUM_DEPTH is '$depth'; set it to 16, 24 or 32" ;;
esac
# A secret file is readable by this user only, and unlike a variable it is
# not inherited by every program the desktop starts.
secret_file=/run/atrium/secrets/ATRIUM_VNC_PASSWORD
if [[ -f $secret_file ]]; then
	ATRIUM_VNC_PASSWORD=$(<"$secret_file")
fi
[[ -n ${ATRIUM_VNC_PASSWORD:-} ]] ||
	die "the VNC password is empty: the runtime passes the session's vnc_password secret in $secret_file (or ATRIUM_VNC_PASSWORD)"

export HOME=/home/atrium USER=atrium LOGNAME=atrium SHELL=/bin/bash
# The home is usually a volume. Docker gives a fresh named volume the
# image's /home/atrium, owned by 1000:1000; other storage must be handed to
# uid 1000 by the runtime (fsGroup, chown), since this process cannot.
if ! { [[ -d $HOME ]] && [[ -w $HOME ]]; }; then
	die "home $HOME is missing or not writable by uid $(id -u); mount a volume owned by 1000:1000 there"
fi
cd "$HOME"

# Session state that must not outlive the container (the password file)
# lives in the container's own /tmp, never in the persistent home.
umask 077
rundir=$(mktemp -d /tmp/atrium-desktop.XXXXXXXX)
passwd_file=$rundir/passwd
vncpasswd=$(command -v vncpasswd || command -v tigervncpasswd) ||
	die "neither vncpasswd nor tigervncpasswd is installed; rebuild the image with tigervnc-tools"
# printf is a shell builtin, so the password never appears in a process's
# arguments; vncpasswd -f reads it on stdin and writes the obfuscated file.
printf '%s\n' "$ATRIUM_VNC_PASSWORD" | "$vncpasswd" -f >"$passwd_file" ||
	die "vncpasswd could not write the password file"
unset ATRIUM_VNC_PASSWORD
umask 022

pids=()
stop() {
	# Stop the desktop's programs with Xvnc; ignore those already gone.
	kill -TERM "${pids[@]}" 2>/dev/null || true
}
trap stop TERM INT HUP

Xvnc :0 \
	-rfbport 5900 \
	-SecurityTypes VncAuth \
	-PasswordFile "$passwd_file" \
	-geometry "$geometry" \
	-depth "$depth" \
	-AcceptSetDesktopSize=1 \
	-desktop "Atrium desktop" \
	-nolisten tcp &
xvnc=$!
pids+=("$xvnc")

# Xvnc creates its socket once it accepts X clients; the programs below
# need it.
for _ in $(seq 100); do
	[[ -S /tmp/.X11-unix/X0 ]] && break
	kill -0 "$xvnc" 2>/dev/null || die "Xvnc exited during startup; see its messages above"
	sleep 0.05
done
[[ -S /tmp/.X11-unix/X0 ]] || die "Xvnc did not open display :0 within 5 s"
export DISPLAY=:0

# One session bus for the desktop's programs (pcmanfm and GTK want one).
eval "$(dbus-launch --sh-syntax)"
pids+=("$DBUS_SESSION_BUS_PID")

# Openbox starts the terminal once it manages the screen, so the terminal
# gets the keyboard focus: a window mapped before the window manager runs
# would be adopted unfocused, and the first keystrokes would go nowhere.
openbox --startup 'xterm -geometry 100x30+40+40' &
pids+=($!)

# Wait for Xvnc alone: a closed terminal must not end the session. A signal
# interrupts wait; the trap has then stopped Xvnc, so wait again for it.
status=0
wait "$xvnc" || status=$?
if kill -0 "$xvnc" 2>/dev/null; then
	wait "$xvnc" || status=$?
fi
stop
exit "$status"
