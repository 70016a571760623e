# The config of the container image (/etc/atrium/atrium.hcl there) and of
# the systemd unit (install it as /etc/atrium/atrium.hcl): the embedded
# default (config/default.hcl) with the plugins at /usr/lib/atrium, the
# state in /var/lib/atrium, and what differs per install read from the
# environment (the container's -e flags, or /etc/atrium/atrium.env for
# systemd). config/examples/full.hcl documents every setting; mount or
# install a file of your own for more.
#
# It needs an external PostgreSQL in ATRIUM_DATABASE_URL. (Without the
# database block, a systemd install could run the embedded PostgreSQL from
# Debian's postgresql package; the image has no PostgreSQL binaries.)
#
# In a container, the Docker runtime's session network keeps containers
# from reaching each other, so the core must dial sessions from the host's
# network namespace: run the container with `--network host`, the Docker
# socket mounted at /var/run/docker.sock and its group added
# (`--group-add`) for the image's user (uid 10001).

server {
  listen     = env("ATRIUM_LISTEN", "0.0.0.0:8080")
  public_url = env("ATRIUM_PUBLIC_URL", "http://127.0.0.1:8080")
  app_domain = env("ATRIUM_APP_DOMAIN", "*.apps.localhost")
  state_dir  = "/var/lib/atrium"
  # Prometheus metrics on a listener of their own; empty: none. Beyond
  # loopback, also set metrics_bearer_token.
  metrics_listen = env("ATRIUM_METRICS_LISTEN", "")
  # Several replicas on one database share one key. With systemd's
  # LoadCredential=secrets.key:/etc/atrium/secrets.key in the unit:
  # secrets_key_file = "${env("CREDENTIALS_DIRECTORY")}/secrets.key"
}

database {
  url = env("ATRIUM_DATABASE_URL")
}

plugin "runtime-docker" {
  path   = "/usr/lib/atrium/atrium-runtime-docker"
  sha256 = trimspace(file("/usr/lib/atrium/atrium-runtime-docker.sha256"))
}

plugin "workspace-vnc" {
  path   = "/usr/lib/atrium/atrium-workspace-vnc"
  sha256 = trimspace(file("/usr/lib/atrium/atrium-workspace-vnc.sha256"))
}

plugin "workspace-code" {
  path   = "/usr/lib/atrium/atrium-workspace-code"
  sha256 = trimspace(file("/usr/lib/atrium/atrium-workspace-code.sha256"))
}

plugin "workspace-jupyter" {
  path   = "/usr/lib/atrium/atrium-workspace-jupyter"
  sha256 = trimspace(file("/usr/lib/atrium/atrium-workspace-jupyter.sha256"))
}

runtime "docker" {
  plugin   = "runtime-docker"
  networks = ["172.30.0.0/16"]
  config {
    network = "atrium"
    subnet  = "172.30.0.0/16"
  }
}

workspace "desktop" {
  plugin = "workspace-vnc"
}

workspace "code" {
  plugin = "workspace-code"
}

workspace "jupyter" {
  plugin = "workspace-jupyter"
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

template "code" {
  display_name = "VS Code"
  description  = "Visual Studio Code in the browser, on your home folder"
  workspace    = "code"
  runtime      = "docker"
  cpu          = 2
  memory       = "4GiB"
  pids         = 2048
  max_lifetime = "12h"
}

template "jupyter" {
  display_name = "Jupyter"
  description  = "Notebooks with a Python 3 kernel, in your home folder"
  workspace    = "jupyter"
  runtime      = "docker"
  cpu          = 2
  memory       = "4GiB"
  pids         = 1024
  max_lifetime = "12h"
}
