# A configuration that uses every block and every attribute the core knows,
# each with a note on what it does. Copy what you need; every block and
# every attribute is optional unless its note says "required".
#
# Values are HCL expressions. Besides literals, a few functions exist:
#   env("NAME")            the environment variable NAME; an error if unset
#   env("NAME", "default") the same, with a fallback
#   file("path")           a text file's contents; relative paths start at
#                          this file's directory
#   trimspace, lower, upper, join, split, replace, format, concat, merge,
#   coalesce               the usual string and collection helpers
#
# Relative paths anywhere in this file are taken from this file's directory,
# not from the directory atrium was started in.

# How the core itself serves.
server {
  # Address and port the HTTP server binds. Default "127.0.0.1:8080".
  # Use ":8080" or "0.0.0.0:8080" to accept connections from the network.
  listen = "0.0.0.0:8080"

  # The origin browsers use to reach Atrium: scheme, host and port, no path.
  # Used to build links and to check the Origin of WebSocket upgrades.
  # Default: derived from listen (a wildcard host becomes 127.0.0.1).
  public_url = "https://atrium.example.com"

  # Where the core keeps local state, including the embedded PostgreSQL
  # when there is no database block. Default: $XDG_STATE_HOME/atrium, or
  # ~/.local/state/atrium.
  state_dir = "/var/lib/atrium"

  # A wildcard domain for session apps (VS Code, Jupyter). Each session's
  # apps get their own origin, {session}.apps.example.com, with public_url's
  # scheme and port, so an app cannot act as the logged-in user on the
  # core's API. Point the wildcard DNS record and TLS certificate at the
  # core; the core's own host must lie outside the domain.
  #
  # The embedded default config sets "*.apps.localhost": browsers resolve
  # every *.localhost name to loopback without any DNS, so a browser on the
  # core's own machine gets isolated apps at
  # http://{session}.apps.localhost:8080 out of the box. Browsers elsewhere
  # would look for the app on their own machine: serve others with a real
  # domain, as here.
  #
  # Left out, apps are served from paths under public_url
  # (/apps/{session}/), which is fine for a single-user trial but does NOT
  # isolate them: any page of an app can call the API as its user.
  app_domain = "*.apps.example.com"

  # Draining, when the core is told to stop (SIGTERM or SIGINT, as in a
  # rolling restart): /readyz fails at once, so load balancers send new
  # work to other replicas, while the core goes on accepting connections
  # for drain_grace. Then it stops accepting, closes its desktop relays and
  # app WebSockets with code 1001 "core restarting" (the web UI reconnects
  # through whichever replica answers), and gives API requests in flight
  # up to drain_timeout to finish before it stops its plugins and exits.
  # Set drain_grace to at least the load balancer's time to notice a failing
  # /readyz, and the orchestrator's kill timeout (Kubernetes'
  # terminationGracePeriodSeconds, systemd's TimeoutStopSec) above the sum.
  # "0s" grace stops accepting at once (one core, no load balancer).
  # Defaults "5s" and "30s"; drain_timeout's old name, shutdown_timeout,
  # is still read.
  drain_grace   = "5s"
  drain_timeout = "30s"

  # How long any single call to a plugin may take. Default "10s".
  plugin_timeout = "10s"

  # The 32-byte key that seals session secrets (VNC passwords, app tokens)
  # in the database. Every core replica sharing one database needs the same
  # file: create it once with `head -c 32 /dev/urandom > FILE; chmod 600 FILE`.
  # Its fingerprint is recorded in the database, and a replica started with
  # another key refuses to start. Left out: session-secrets.key in state_dir,
  # created on first start, which serves a single core only.
  secrets_key_file = "/etc/atrium/secrets.key"

  # Prometheus metrics on a listener of their own, never on listen's port
  # (the public origin). Left out: no metrics. Anything but a loopback
  # address needs metrics_bearer_token, which scrapes then send as
  # "Authorization: Bearer …" (Prometheus: authorization { credentials_file }).
  metrics_listen       = "127.0.0.1:9464"
  metrics_bearer_token = env("ATRIUM_METRICS_TOKEN") # or file("/etc/atrium/metrics.token")

  # Reverse proxies in front of the core, as CIDR prefixes. A request from
  # one of them is counted as coming from the client its X-Forwarded-For
  # names (read from the right, skipping these proxies), for every
  # per-address limit (logins, relay upgrades, invalid tickets, session
  # requests) and the security log. Without it, every client behind the
  # proxy shares the proxy's address and one budget. List only your
  # proxies: a listed address can name any client address it likes.
  # Default: none (the peer's address is the client's).
  trusted_proxies = ["10.0.0.5/32"]

  # Desktop relays (open desktops) one user may hold on this core, and the
  # core's total. Past the first a new desktop is refused with 429
  # (problem type relay-user-limit) and Retry-After; past the second
  # with 503 (relay-server-limit) and Retry-After. Defaults 8 and 2000.
  relays_per_user = 8
  relays_per_core = 2000
}

# An external PostgreSQL. Leave the block out and the core runs its own
# PostgreSQL inside state_dir, using the machine's PostgreSQL server
# binaries. Several core replicas must share one external database.
database {
  # Required. A postgres:// or postgresql:// URL. Keep passwords out of
  # this file: read the URL from the environment.
  url = env("ATRIUM_DATABASE_URL")
}

# A plugin binary the core may launch. The label is the name other blocks
# use to refer to it. Declaring a plugin does not start it; blocks that use
# it do.
plugin "docker" {
  # Required. The plugin binary, relative to this file's directory.
  path = "plugins/atrium-runtime-docker"

  # Required. The binary's SHA-256: the core refuses to start a binary whose
  # digest differs. Only the first whitespace-separated word counts, so the
  # output of `sha256sum atrium-runtime-docker > atrium-runtime-docker.sha256`
  # can be read directly.
  sha256 = file("atrium-runtime-docker.sha256")

  # Extra command-line arguments for the binary. Default: none.
  args = ["-log-level", "info"]

  # Extra environment variables for the plugin process. Values may be
  # secrets; they never appear in the core's diagnostics or logs.
  env = {
    DOCKER_HOST = "unix:///var/run/docker.sock"
  }
}

plugin "vnc" {
  path   = "plugins/atrium-workspace-vnc"
  sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
}

# The web-app workspace plugins, VS Code (code-server) and Jupyter. They
# need no config of their own; their image can be replaced, see below.
plugin "code" {
  path   = "plugins/atrium-workspace-code"
  sha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
}

plugin "jupyter" {
  path   = "plugins/atrium-workspace-jupyter"
  sha256 = "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9"
}

plugin "oidc" {
  path   = "plugins/atrium-auth-oidc"
  sha256 = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
}

# A place sessions run, served by a runtime plugin. Templates refer to it by
# its label.
runtime "docker" {
  # Required. The plugin block that implements this runtime.
  plugin = "docker"

  # The networks (CIDR prefixes) the core may dial when the runtime hands
  # back a session's address. The core dials nothing outside them, so a
  # misbehaving plugin cannot point it at other hosts. Default: none, which
  # allows only socket tunnels.
  networks = ["172.30.0.0/16"]

  # Settings for the plugin itself. Their names and types come from the
  # plugin and are checked against the schema it reports when the core
  # starts it; mistakes are reported with this file's line numbers.
  config {
    network = "atrium"
  }
}

# Sessions as Kubernetes pods (plugins/runtime-k8s). One core may hold
# several runtime blocks, for several clusters, contexts or namespaces;
# each template names the runtime it starts on.
plugin "k8s" {
  path   = "plugins/atrium-runtime-k8s"
  sha256 = "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c"
}

runtime "k8s" {
  plugin = "k8s"

  # The pod network. In endpoint mode the core dials pod IPs, and only
  # inside these prefixes; socket mode needs none.
  networks = ["10.244.0.0/16"]

  config {
    # The cluster. Absent: the in-cluster config of the core's own pod;
    # then the plugin block must pass the service variables, since a plugin
    # gets only PATH and HOME: env = { KUBERNETES_SERVICE_HOST =
    # env("KUBERNETES_SERVICE_HOST"), KUBERNETES_SERVICE_PORT =
    # env("KUBERNETES_SERVICE_PORT") }.
    kubeconfig = "/etc/atrium/kubeconfig"
    context    = "prod"

    # Required, and it must exist. Pods, home claims, Secrets and the
    # NetworkPolicy of this block live here.
    namespace = "atrium-sessions"

    # The home claim atrium-home-<user id>: kept on stop and hibernate,
    # removed only by a delete with remove_home. Absent storage_class: the
    # cluster's default class.
    storage_class = "fast"
    home_size     = "20Gi"

    # "endpoint": the core dials the pod IP (it runs in the cluster or on a
    # node). "socket": through the API server's port-forward, for a core
    # outside the cluster. Default: endpoint.
    tunnel = "endpoint"

    # Who may connect to session pods: the NetworkPolicy admits only these.
    # In endpoint mode one of them is required unless network_policy = false.
    core_cidrs = ["10.0.0.0/24"]

    # How long a pod may wait for a node before the session fails, quoting
    # the scheduler. Default: 5m.
    start_timeout = "2m"

    # Where pods may run and how.
    node_selector     = { "atrium.dev/sessions" = "true" }
    runtime_class     = "gvisor"
    image_pull_policy = "IfNotPresent"

    toleration {
      key      = "atrium.dev/sessions"
      operator = "Exists"
      effect   = "NoSchedule"
    }
  }
}

# A kind of workspace, described by a workspace plugin.
workspace "desktop" {
  # Required. The plugin block that implements this workspace.
  plugin = "vnc"

  # Settings for the workspace plugin, defined by the plugin.
  config {
    resolution = "1920x1080"
  }
}

# VS Code and Jupyter: web apps the core proxies to, each session on its own
# origin when server { app_domain } is set. Both plugins take one setting,
# the image (default atrium/code:1 and atrium/jupyter:1, which
# `make images` builds); another image must keep the same contract (see
# images/code/README.md and images/jupyter/README.md).
workspace "code" {
  plugin = "code"
  config {
    image = "atrium/code:1"
  }
}

workspace "jupyter" {
  plugin = "jupyter"
}

# A way to log in, provided by an auth plugin. Built-in password accounts
# exist without any auth block.
auth "company-sso" {
  # Required. The plugin block that implements this login method.
  plugin = "oidc"

  # The label of the login button. Default: the block's label.
  display_name = "Company SSO"

  # Whether a first login through this block may create the user. Default
  # false: only people who already have a user may log in. Users are found
  # by the provider's issuer and subject, never by e-mail.
  allow_signup = true

  # Members of these provider groups are platform admins; at each login the
  # flag follows the groups, so leaving them all takes it away. Default:
  # none, and logins through this block never change the flag.
  platform_admin_groups = ["atrium-admins"]

  # Organisation roles for provider groups: members of the group get the
  # role ("member" or "org_admin") in the organisation with that slug, which
  # must exist. At every login the core adds, changes and removes the
  # memberships these blocks grant, so a group removed at the provider
  # removes its role; memberships an admin granted by hand are left alone.
  # A group may be mapped into several organisations; where several groups
  # map into one organisation, the highest role wins.
  map_group "engineering" {
    org  = "engineering"
    role = "member"
  }
  map_group "engineering-leads" {
    org  = "engineering"
    role = "org_admin"
  }

  # Settings for the auth plugin, defined by the plugin. Secrets belong in
  # the environment or in files, not here. For auth-oidc:
  config {
    # Required. The issuer exactly as the provider's discovery document
    # (/.well-known/openid-configuration) names it; https, or http on
    # loopback only.
    issuer        = "https://login.example.com"
    client_id     = "atrium"
    # Through env() or file(), never inline. Leave out for public clients.
    client_secret = env("ATRIUM_OIDC_CLIENT_SECRET")
    # Default ["openid", "email", "profile", "groups"]; openid is always added.
    scopes = ["openid", "email", "profile", "groups"]
    # Claim names. Defaults: email, name, groups, preferred_username.
    # A missing e-mail or groups claim, or any claim of the wrong type,
    # refuses the login. groups_claim = "" reads no groups.
    email_claim    = "email"
    name_claim     = "name"
    groups_claim   = "groups"
    username_claim = "preferred_username"
    # Only these e-mail domains, matched exactly and ignoring case: "example.com"
    # admits ann@example.com, not ann@sub.example.com or ann@evilexample.com.
    # Default: any domain.
    allowed_email_domains = ["example.com"]
    # Default true: refuse identities the provider does not mark verified.
    require_email_verified = true
    # ID token signature algorithms; default RS256 and ES256. "none" is
    # always refused.
    signing_algs = ["RS256", "ES256"]
    # How far the provider's clock may be off; default 30s, at most 5m.
    clock_skew = "30s"
  }
}

# What users pick when they start a session: a workspace on a runtime, with
# limits.
template "desktop-large" {
  # Required. The workspace block to run.
  workspace = "desktop"

  # Required. The runtime block to run it on.
  runtime = "docker"

  # Shown in the UI. Default: the block's label.
  display_name = "Desktop (large)"

  # Shown in the UI under the name.
  description = "A Linux desktop with 4 cores and 8 GiB of memory."

  # Replaces the workspace plugin's default image.
  image = "ghcr.io/example/desktop:2025.1"

  # CPU cores; fractions such as 0.5 are allowed. Default: the runtime's.
  cpu = 4

  # Memory, as a number with a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)
  # or a plain number of bytes. Default: the runtime's.
  memory = "8GiB"

  # The most processes the session may run. Default: the runtime's.
  pids = 1024

  # Stop a session nobody has used for this long. "0s" or absent: never.
  idle_timeout = "30m"

  # Stop a session this long after it started. "0s" or absent: never.
  max_lifetime = "12h"

  # Who may use this template. Leave the block out to allow everyone. A
  # user qualifies when they belong to one of orgs (or orgs is not given)
  # and hold one of roles (or roles is not given).
  allow {
    orgs  = ["engineering", "research"]
    roles = ["member", "org_admin"]
  }

  # Settings for this template handed to the workspace plugin, defined by
  # the plugin.
  config {
    resolution = "2560x1440"
  }
}

# VS Code for members of one organisation. A web app needs more memory
# than a desktop: the editor's extension host and language servers.
template "code" {
  workspace    = "code"
  runtime      = "docker"
  display_name = "VS Code"
  cpu          = 2
  memory       = "4GiB"
  max_lifetime = "12h"
  allow {
    orgs = ["engineering"]
  }
}

template "jupyter" {
  workspace    = "jupyter"
  runtime      = "docker"
  display_name = "Jupyter"
  cpu          = 2
  memory       = "4GiB"
  max_lifetime = "12h"
}
