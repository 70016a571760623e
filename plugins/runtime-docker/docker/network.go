package docker

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/sdk/plugin"
)

// ensureNetwork creates the plugin's bridge network when it is missing and
// checks it otherwise. The core dials only addresses inside the configured
// subnet, so a network on another subnet would make every session
// unreachable: that is an error now rather than a mystery later.
func ensureNetwork(ctx context.Context, cli *client.Client, cfg settings, instance string) error {
	res, err := cli.NetworkInspect(ctx, cfg.network, client.NetworkInspectOptions{})
	if isNotFound(err) {
		err = createNetwork(ctx, cli, cfg, instance)
		if err == nil || isConflict(err) {
			// A conflict means another plugin process created it first.
			res, err = cli.NetworkInspect(ctx, cfg.network, client.NetworkInspectOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("inspect docker network %q: %w", cfg.network, err)
	}
	return verifyNetwork(res.Network, cfg)
}

// createNetwork creates the plugin's network, labelled as Atrium's.
func createNetwork(ctx context.Context, cli *client.Client, cfg settings, instance string) error {
	_, err := cli.NetworkCreate(ctx, cfg.network, client.NetworkCreateOptions{
		Driver: "bridge",
		IPAM:   &network.IPAM{Config: []network.IPAMConfig{{Subnet: cfg.subnet}}},
		// Sessions must not reach each other: code-server and Jupyter
		// trust whatever reaches their port. With inter-container traffic
		// off, only the host (the core's endpoint tunnels) and the plugin
		// reach a session.
		Options: map[string]string{bridgeICC: "false"},
		Labels:  map[string]string{LabelManaged: managedValue, LabelRuntime: instance},
	})
	switch {
	case err == nil:
		plugin.Logger().Info("created docker network", "network", cfg.network, "subnet", cfg.subnet.String())
		return nil
	case isConflict(err):
		return err
	default:
		return fmt.Errorf("create docker network %q with subnet %s: %w; pick a free range with config { subnet } or create the network yourself", cfg.network, cfg.subnet, err)
	}
}

// verifyNetwork checks that an existing network is a local bridge on the
// configured subnet.
func verifyNetwork(n network.Inspect, cfg settings) error {
	if n.Driver != "bridge" {
		return fmt.Errorf("docker network %q uses driver %q, not bridge: remove it or set config { network } to another name", cfg.network, n.Driver)
	}
	var subnets []string
	found := false
	for _, c := range n.IPAM.Config {
		subnets = append(subnets, c.Subnet.String())
		if c.Subnet.Masked() == cfg.subnet {
			found = true
		}
	}
	if !found {
		return fmt.Errorf("docker network %q has subnets [%s], not the configured %s: set config { subnet } to its subnet or remove the network so the plugin recreates it",
			cfg.network, strings.Join(subnets, ", "), cfg.subnet)
	}
	if n.Options[bridgeICC] != "false" {
		plugin.Logger().Warn("docker network lets sessions reach each other (inter-container traffic is on); recreate it: stop Atrium's sessions, `docker network rm "+cfg.network+"`, and the plugin creates it with "+bridgeICC+"=false",
			"network", cfg.network)
	}
	if n.Labels[LabelManaged] != managedValue {
		// An operator may create the network on purpose; say so, but go on.
		plugin.Logger().Warn("docker network was not created by Atrium; using it anyway", "network", cfg.network)
	}
	return nil
}

// bridgeICC is the bridge driver's option for traffic between the
// containers of one network.
const bridgeICC = "com.docker.network.bridge.enable_icc"

// containerIP returns a container's IPv4 address on the plugin's network.
func containerIP(networks map[string]*network.EndpointSettings, name string) (netip.Addr, bool) {
	ep, ok := networks[name]
	if !ok || ep == nil || !ep.IPAddress.IsValid() {
		return netip.Addr{}, false
	}
	return ep.IPAddress, true
}
