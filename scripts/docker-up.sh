#!/usr/bin/env bash
# docker-up.sh makes sure a Docker engine answers on /var/run/docker.sock.
#
# The tests of plugins/runtime-docker talk to a real engine. CI machines are
# fresh Debian 12 hosts without systemd, so this script installs Debian's
# docker.io when dockerd is missing and starts the daemon in the background.
# It is idempotent: when the engine already answers it does nothing.
# Run it as root.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
sock=/var/run/docker.sock
log=/var/log/dockerd.log
wait_seconds=${DOCKER_UP_TIMEOUT:-60}

answers() {
  # `docker info` needs the CLI; fall back to the raw API when it is absent.
  if command -v docker >/dev/null 2>&1; then
    docker -H "unix://$sock" info >/dev/null 2>&1
  else
    curl -fsS --max-time 3 --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1
  fi
}

if answers; then
  echo "docker-up: engine already answers on $sock"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "docker-up: the engine does not answer on $sock and starting it needs root; rerun as root" >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "docker-up: dockerd missing; installing Debian's docker.io"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi
command -v dockerd >/dev/null 2>&1 || { echo "docker-up: dockerd still missing after installing docker.io" >&2; exit 1; }

# A daemon may be starting already (another run of this script); only start
# one when the pid file names no live process.
if ! { [ -s /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; }; then
  # A stale pid file or socket from a daemon that died stops a new one.
  rm -f /var/run/docker.pid "$sock"
  echo "docker-up: starting dockerd, log in $log"
  nohup dockerd >>"$log" 2>&1 </dev/null &
fi

deadline=$(( $(date +%s) + wait_seconds ))
until answers; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "docker-up: the engine did not answer on $sock within ${wait_seconds}s; last lines of $log:" >&2
    tail -n 30 "$log" >&2 || true
    exit 1
  fi
  sleep 0.5
done
echo "docker-up: engine answers on $sock"
docker -H "unix://$sock" version --format 'docker-up: server {{.Server.Version}}, API {{.Server.APIVersion}}' 2>/dev/null || true
