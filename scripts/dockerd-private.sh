#!/usr/bin/env bash
# dockerd-private.sh start|stop|restart DIR runs a Docker engine of its own in
# DIR (data, exec root, pid file, socket DIR/docker.sock), beside the shared
# one, for tests that must restart an engine (TestEngineRestart in
# plugins/runtime-docker). Its default bridge is an interface of its own
# (atrium-pe0, 10.213.76.1/24): with --bridge=none dockerd deletes docker0,
# which is the shared engine's. No iptables rules, no live-restore: a
# restart kills its containers, as a package upgrade does.
# Run as root, with a short DIR: containerd's sockets under DIR/exec must fit
# a socket path (a long DIR makes container calls hang).
set -euo pipefail
cmd=${1:?usage: dockerd-private.sh start|stop|restart DIR}
dir=${2:?usage: dockerd-private.sh start|stop|restart DIR}
mkdir -p "$dir/data" "$dir/exec"
pidfile=$dir/docker.pid
sock=$dir/docker.sock
bridge=atrium-pe0

stop() {
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    pid=$(cat "$pidfile")
    # The bridges of its networks outlive it; left behind, two of them with
    # one subnet make the host route to the wrong one.
    [ "$cmd" = stop ] && docker -H "unix://$sock" network prune -f >/dev/null 2>&1 || true
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    echo "dockerd-private: dockerd $pid did not exit within 30s" >&2
    return 1
  fi
}

start() {
  rm -f "$sock"
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add 10.213.76.1/24 dev "$bridge"
  fi
  ip link set "$bridge" up
  setsid nohup dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$pidfile" \
    -H "unix://$sock" --bridge="$bridge" --iptables=false --ip6tables=false --ip-forward=false \
    --ip-masq=false --live-restore=false --userland-proxy=false >>"$dir/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 300); do
    docker -H "unix://$sock" info >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "dockerd-private: no answer on $sock within 60s; last lines of $dir/dockerd.log:" >&2
  tail -n 20 "$dir/dockerd.log" >&2
  return 1
}

case $cmd in
  start) start ;;
  stop) stop && { ip link del "$bridge" 2>/dev/null || true; } ;;
  restart) stop; start ;;
  *) echo "dockerd-private: unknown command $cmd; use start, stop or restart" >&2; exit 2 ;;
esac
