package docker

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"time"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// Tunnel modes a deployment chooses between in config { tunnel }.
const (
	// TunnelModeEndpoint hands the core the container's address, so live
	// streams survive a plugin restart. The core must reach the network.
	TunnelModeEndpoint = "endpoint"
	// TunnelModeSocket makes the plugin dial the container and the SDK pass
	// the bytes to the core through a unix socket, for cores that cannot
	// route to the container network.
	TunnelModeSocket = "socket"
)

// Defaults of the config block.
const (
	defaultSocketHost   = "unix:///var/run/docker.sock"
	defaultNetwork      = "atrium"
	defaultSubnet       = "172.30.0.0/16"
	defaultStopTimeout  = "10s"
	defaultVolumePrefix = "atrium-home-"
)

// Config is the decoded `config { }` block of runtime-docker.
type Config struct {
	// Host is the Docker endpoint, e.g. unix:///var/run/docker.sock or
	// tcp://10.0.0.5:2376.
	Host string `json:"host"`
	// Network is the bridge network the plugin owns and attaches every
	// session to.
	Network string `json:"network"`
	// Subnet is the network's CIDR; used when the plugin creates the
	// network and checked when it exists.
	Subnet string `json:"subnet"`
	// Tunnel is TunnelModeEndpoint or TunnelModeSocket.
	Tunnel string `json:"tunnel"`
	// StopTimeout is how long a session gets to exit before it is killed,
	// as a Go duration string.
	StopTimeout string `json:"stop_timeout"`
	// VolumePrefix prefixes the names of home volumes.
	VolumePrefix string `json:"volume_prefix"`
}

// settings is Config checked and parsed.
type settings struct {
	host         string
	network      string
	subnet       netip.Prefix
	tunnel       string
	stopTimeout  time.Duration
	volumePrefix string
}

// defaultHost follows the Docker CLI: DOCKER_HOST when set, else the local
// socket.
func defaultHost() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return defaultSocketHost
}

// configSchema describes the config block to the core.
func configSchema() schema.Object {
	return schema.Object{Attrs: map[string]schema.Attr{
		"host": {
			Type:        "string",
			Description: "Docker endpoint, e.g. unix:///var/run/docker.sock or tcp://host:2376; defaults to DOCKER_HOST, else the local socket.",
			Default:     defaultHost(),
		},
		"network": {
			Type:        "string",
			Description: "Name of the bridge network the plugin owns; created when missing. Sessions join it and publish no host ports.",
			Default:     defaultNetwork,
		},
		"subnet": {
			Type:        "string",
			Description: "CIDR of that network; used to create it and checked when it exists. The core dials only addresses inside it.",
			Default:     defaultSubnet,
		},
		"tunnel": {
			Type:        "string",
			Description: `How the core reaches a session: "endpoint" (the core dials the container's address; it must route to the network) or "socket" (the plugin dials and passes bytes through a unix socket).`,
			Default:     TunnelModeEndpoint,
		},
		"stop_timeout": {
			Type:        "string",
			Description: "How long a session gets to exit when stopped or hibernated before it is killed, e.g. \"10s\".",
			Default:     defaultStopTimeout,
		},
		"volume_prefix": {
			Type:        "string",
			Description: "Prefix of home volume names: a user's home is the volume <volume_prefix><home volume>.",
			Default:     defaultVolumePrefix,
		},
	}}
}

// dockerName is what Docker accepts as a network or volume name.
var dockerName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// parseConfig decodes raw, fills in defaults the core did not (tests and
// older cores may send an empty object) and checks every field.
func parseConfig(raw json.RawMessage) (settings, error) {
	var c Config
	if err := plugin.DecodeConfig(raw, &c); err != nil {
		return settings{}, err
	}
	if c.Host == "" {
		c.Host = defaultHost()
	}
	if c.Network == "" {
		c.Network = defaultNetwork
	}
	if c.Subnet == "" {
		c.Subnet = defaultSubnet
	}
	if c.Tunnel == "" {
		c.Tunnel = TunnelModeEndpoint
	}
	if c.StopTimeout == "" {
		c.StopTimeout = defaultStopTimeout
	}
	if c.VolumePrefix == "" {
		c.VolumePrefix = defaultVolumePrefix
	}

	s := settings{host: c.Host, network: c.Network, tunnel: c.Tunnel, volumePrefix: c.VolumePrefix}
	// Every bad value is reported, each at its attribute, so that `atrium
	// config validate` lists them all at their lines.
	var errs []error
	bad := func(attr, format string, args ...any) {
		errs = append(errs, &plugin.ConfigError{Path: []string{attr}, Err: fmt.Errorf(format, args...)})
	}
	if !dockerName.MatchString(c.Network) {
		bad("network", "%q is not a valid Docker network name: use letters, digits, '_', '.' and '-'", c.Network)
	}
	if p, err := netip.ParsePrefix(c.Subnet); err != nil {
		bad("subnet", "%q is not a CIDR such as %q: %w", c.Subnet, defaultSubnet, err)
	} else {
		s.subnet = p.Masked()
	}
	if c.Tunnel != TunnelModeEndpoint && c.Tunnel != TunnelModeSocket {
		bad("tunnel", "%q is unknown: set it to %q or %q", c.Tunnel, TunnelModeEndpoint, TunnelModeSocket)
	}
	if d, err := time.ParseDuration(c.StopTimeout); err != nil {
		bad("stop_timeout", "%q is not a duration such as \"10s\": %w", c.StopTimeout, err)
	} else if d < 0 {
		bad("stop_timeout", "%q is negative: set a duration of zero or more", c.StopTimeout)
	} else {
		s.stopTimeout = d
	}
	// A prefix may end in '-' or '_', but the volume name must start well.
	if !dockerName.MatchString(c.VolumePrefix) {
		bad("volume_prefix", "%q cannot start a Docker volume name: use letters, digits, '_', '.' and '-', starting with a letter or digit", c.VolumePrefix)
	}
	if len(errs) > 0 {
		return settings{}, errors.Join(errs...)
	}
	return s, nil
}
