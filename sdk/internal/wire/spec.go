package wire

import (
	"fmt"

	"github.com/atrium-hq/atrium/sdk/launch"
	runtimev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/runtime/v1"
)

// SpecToProto encodes a launch spec. Ports outside 1–65535 are an error,
// because they cannot be encoded faithfully.
func SpecToProto(s launch.Spec) (*runtimev1.LaunchSpec, error) {
	ports, err := PortsToProto(s.Ports)
	if err != nil {
		return nil, err
	}
	return &runtimev1.LaunchSpec{
		Image:      s.Image,
		Command:    s.Command,
		Env:        s.Env,
		Secrets:    s.Secrets,
		Resources:  ResourcesToProto(s.Resources),
		Ports:      ports,
		HomePath:   s.HomePath,
		HomeVolume: s.HomeVolume,
		User:       s.User,
		WorkingDir: s.WorkingDir,
	}, nil
}

// SpecFromProto decodes a launch spec.
func SpecFromProto(p *runtimev1.LaunchSpec) launch.Spec {
	return launch.Spec{
		Image:      p.GetImage(),
		Command:    p.GetCommand(),
		Env:        p.GetEnv(),
		Secrets:    p.GetSecrets(),
		Resources:  ResourcesFromProto(p.GetResources()),
		Ports:      PortsFromProto(p.GetPorts()),
		HomePath:   p.GetHomePath(),
		HomeVolume: p.GetHomeVolume(),
		User:       p.GetUser(),
		WorkingDir: p.GetWorkingDir(),
	}
}

// ResourcesToProto encodes resource limits.
func ResourcesToProto(r launch.Resources) *runtimev1.Resources {
	return &runtimev1.Resources{Cpu: r.CPU, MemoryBytes: r.MemoryBytes, Pids: r.Pids}
}

// ResourcesFromProto decodes resource limits.
func ResourcesFromProto(p *runtimev1.Resources) launch.Resources {
	return launch.Resources{CPU: p.GetCpu(), MemoryBytes: p.GetMemoryBytes(), Pids: p.GetPids()}
}

// PortsToProto encodes named ports, refusing numbers outside 1–65535.
func PortsToProto(ports []launch.Port) ([]*runtimev1.Port, error) {
	out := make([]*runtimev1.Port, 0, len(ports))
	for _, p := range ports {
		n, err := PortToProto(p.Port)
		if err != nil {
			return nil, fmt.Errorf("port %q: %w", p.Name, err)
		}
		out = append(out, &runtimev1.Port{Name: p.Name, Port: n})
	}
	return out, nil
}

// PortsFromProto decodes named ports.
func PortsFromProto(ports []*runtimev1.Port) []launch.Port {
	if len(ports) == 0 {
		return nil
	}
	out := make([]launch.Port, 0, len(ports))
	for _, p := range ports {
		out = append(out, launch.Port{Name: p.GetName(), Port: int(p.GetPort())})
	}
	return out
}

// PortToProto checks that n is a TCP port number.
func PortToProto(n int) (uint32, error) {
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port number %d is outside 1-65535", n)
	}
	return uint32(n), nil
}
