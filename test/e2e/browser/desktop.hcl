# The sessions part of the browser tests' config: a Docker runtime, the VNC
# workspace and one desktop template. harness.mjs fills in the %…% values.
plugin "docker" {
  path   = "%BIN%/atrium-runtime-docker"
  sha256 = "%SHA_RUNTIME_DOCKER%"
}

plugin "vnc" {
  path   = "%BIN%/atrium-workspace-vnc"
  sha256 = "%SHA_WORKSPACE_VNC%"
}

runtime "docker" {
  plugin = "docker"
  config {
    network = "atrium-e2e-browser"
  }
}

workspace "desktop" {
  plugin = "vnc"
  config {
    image = "%DESKTOP_IMAGE%"
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
