# The sessions part of the browser tests' config: a Docker runtime, the
# VNC, VS Code and Jupyter workspaces and a template for each. harness.mjs
# fills in the %…% values.
plugin "docker" {
  path   = "%BIN%/atrium-runtime-docker"
  sha256 = "%SHA_RUNTIME_DOCKER%"
}

plugin "vnc" {
  path   = "%BIN%/atrium-workspace-vnc"
  sha256 = "%SHA_WORKSPACE_VNC%"
}

plugin "code" {
  path   = "%BIN%/atrium-workspace-code"
  sha256 = "%SHA_WORKSPACE_CODE%"
}

plugin "jupyter" {
  path   = "%BIN%/atrium-workspace-jupyter"
  sha256 = "%SHA_WORKSPACE_JUPYTER%"
}

runtime "docker" {
  plugin = "docker"
  # A network of its own, apart from the default config's 172.30.0.0/16
  # and the other tests' networks, so runs on one engine do not collide.
  networks = ["10.213.0.0/24"]
  config {
    network = "atrium-e2e-browser"
    subnet  = "10.213.0.0/24"
    # Unique to each run: the harness removes what carries it when the
    # run ends, however it ended.
    volume_prefix = "%VOLUME_PREFIX%"
  }
}

workspace "desktop" {
  plugin = "vnc"
  config {
    image = "%DESKTOP_IMAGE%"
  }
}

workspace "code" {
  plugin = "code"
  config {
    image = "%CODE_IMAGE%"
  }
}

workspace "jupyter" {
  plugin = "jupyter"
  config {
    image = "%JUPYTER_IMAGE%"
  }
}

template "desktop" {
  workspace    = "desktop"
  runtime      = "docker"
  display_name = "Desktop"
  description  = "The browser tests' desktop."
  cpu          = 1
  memory       = "1GiB"
}

template "code" {
  workspace    = "code"
  runtime      = "docker"
  display_name = "VS Code"
  description  = "The browser tests' VS Code."
  cpu          = 2
  memory       = "2GiB"
}

template "jupyter" {
  workspace    = "jupyter"
  runtime      = "docker"
  display_name = "Jupyter"
  description  = "The browser tests' Jupyter."
  cpu          = 1
  memory       = "1GiB"
}
