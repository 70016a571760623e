# Atrium's built-in configuration, used when `atrium server` is started
# without a config file: Linux desktops in Docker containers on this
# machine. Copy it somewhere, edit it, and pass it to `atrium server
# -config`; config/examples/full.hcl documents every setting.
#
# Relative paths are relative to the atrium binary's directory, where
# `make build` puts the plugins and their SHA-256 files. A pin read from a
# file beside the binary guards against running a plugin from another build;
# a production config pins the digest inline.
#
# Without a `database` block the core runs its own PostgreSQL inside the
# state directory.

server {
  # Listen on loopback only: a fresh install should not be reachable from
  # the network before someone has configured it.
  listen = "127.0.0.1:8080"
}

plugin "runtime-docker" {
  path   = "atrium-runtime-docker"
  sha256 = file("atrium-runtime-docker.sha256")
}

plugin "workspace-vnc" {
  path   = "atrium-workspace-vnc"
  sha256 = file("atrium-workspace-vnc.sha256")
}

runtime "docker" {
  plugin = "runtime-docker"
  # The plugin's own bridge network; the core dials sessions only there.
  networks = ["172.30.0.0/16"]
  config {
    network = "atrium"
    subnet  = "172.30.0.0/16"
  }
}

workspace "desktop" {
  plugin = "workspace-vnc"
}

template "desktop" {
  display_name = "Linux desktop"
  description  = "Openbox, a terminal and a file manager over VNC"
  workspace    = "desktop"
  runtime      = "docker"
  cpu          = 2
  memory       = "2GiB"
  pids         = 1024
  idle_timeout = "1h"
  max_lifetime = "12h"
}
