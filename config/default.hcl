# Atrium's built-in configuration, used when `atrium server` is started
# without a config file. Copy it somewhere, edit it, and pass it to
# `atrium server`; config/examples/full.hcl documents every
# setting.
#
# Without a `database` block the core runs its own PostgreSQL inside the
# state directory.
#
# The Docker runtime and the desktop workspace are added here when those
# plugins land; until then this default serves the web UI and API only.

server {
  # Listen on loopback only: a fresh install should not be reachable from
  # the network before someone has configured it.
  listen = "127.0.0.1:8080"
}
