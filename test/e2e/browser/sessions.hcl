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
  # A network of its own, apart from the default config's 172.30.0.0/16
  # and the other tests' networks, so runs on one engine do not collide.
  networks = ["10.213.0.0/24"]
  config {
    network = "atrium-e2e-browser"
    subnet  = "10.213.0.0/24"
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
