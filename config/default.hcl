# Atrium's built-in configuration, used when `atrium server` is started
# without a config file: Linux desktops, VS Code and Jupyter in Docker
# containers on this machine. Copy it somewhere, edit it, and pass it to
# `atrium server -config`; config/examples/full.hcl documents every setting.
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
  # the network before someone has configured it. public_url defaults to
  # http://127.0.0.1:8080.
  listen = "127.0.0.1:8080"

  # Each session's web app (VS Code, Jupyter) gets its own origin,
  # http://{session}.apps.localhost:8080, so a page of an app cannot call
  # Atrium's API as the user. Browsers resolve every *.localhost name to
  # loopback by themselves, so this isolates apps on a fresh machine with
  # no DNS or certificate set up. It works only for a browser on this
  # machine: once Atrium serves others, set public_url and an app_domain
  # of your own with wildcard DNS and TLS (see config/examples/full.hcl).
  app_domain = "*.apps.localhost"

  # Prometheus metrics (GET /metrics) on a loopback listener of their own,
  # apart from the public one; see config/examples/full.hcl for a token.
  metrics_listen = "127.0.0.1:9464"
}

plugin "runtime-docker" {
  path   = "atrium-runtime-docker"
  sha256 = file("atrium-runtime-docker.sha256")
}

plugin "workspace-vnc" {
  path   = "atrium-workspace-vnc"
  sha256 = file("atrium-workspace-vnc.sha256")
}

plugin "workspace-code" {
  path   = "atrium-workspace-code"
  sha256 = file("atrium-workspace-code.sha256")
}

plugin "workspace-jupyter" {
  path   = "atrium-workspace-jupyter"
  sha256 = file("atrium-workspace-jupyter.sha256")
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

# The workspaces run the images `make images` builds: atrium/desktop:1,
# atrium/code:1 and atrium/jupyter:1.
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

# code-server's extension host and language servers want more memory than
# a desktop; 4 GiB leaves room for a TypeScript or Go project.
#
# The web-app templates have no idle_timeout yet: the app proxy does not
# record activity the way the VNC relay does, so an idle timeout would stop
# a session while someone works in it. max_lifetime still bounds them.
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
