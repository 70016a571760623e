# /etc/atrium/atrium.hcl for atrium.service: the embedded default
# (config/default.hcl) with absolute plugin paths under /usr/lib/atrium and
# the settings a service needs from /etc/atrium/atrium.env.
# config/examples/full.hcl documents every setting.

server {
  listen     = "127.0.0.1:8080"  # behind a reverse proxy that terminates TLS
  public_url = env("ATRIUM_PUBLIC_URL")
  app_domain = env("ATRIUM_APP_DOMAIN")
  state_dir  = "/var/lib/atrium"
  # With LoadCredential=secrets.key:… in the unit (several replicas):
  # secrets_key_file = "${env("CREDENTIALS_DIRECTORY")}/secrets.key"
}

database {
  url = env("ATRIUM_DATABASE_URL")
}

plugin "runtime-docker" {
  path   = "/usr/lib/atrium/atrium-runtime-docker"
  sha256 = file("/usr/lib/atrium/atrium-runtime-docker.sha256")
}

plugin "workspace-vnc" {
  path   = "/usr/lib/atrium/atrium-workspace-vnc"
  sha256 = file("/usr/lib/atrium/atrium-workspace-vnc.sha256")
}

plugin "workspace-code" {
  path   = "/usr/lib/atrium/atrium-workspace-code"
  sha256 = file("/usr/lib/atrium/atrium-workspace-code.sha256")
}

plugin "workspace-jupyter" {
  path   = "/usr/lib/atrium/atrium-workspace-jupyter"
  sha256 = file("/usr/lib/atrium/atrium-workspace-jupyter.sha256")
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
