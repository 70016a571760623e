package docker_test

import (
	"testing"
	"time"

	"github.com/atrium-hq/atrium/plugins/runtime-docker/docker"
	"github.com/atrium-hq/atrium/sdk/plugintest"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// TestConformance runs the SDK's runtime suite against the real engine in
// both tunnel modes: the core dialing the container's address, and the
// plugin dialing it for the core through a unix socket.
func TestConformance(t *testing.T) {
	for _, mode := range []string{docker.TunnelModeEndpoint, docker.TunnelModeSocket} {
		t.Run(mode, func(t *testing.T) {
			spec := echoSpec()
			spec.HomePath = "/home/atrium"
			spec.HomeVolume = "conformance-" + mode + "-" + runID
			// The suite destroys the session with RemoveHome; this covers a
			// run that stops before that.
			removeVolumeAtEnd(t, "atrium-home-"+spec.HomeVolume)
			plugintest.RuntimeConformance(t, plugintest.RuntimeSuite{
				New:     func() runtime.Runtime { return docker.New() },
				Config:  testConfig(mode),
				Spec:    spec,
				Port:    echoPort,
				Probe:   probeEcho,
				Timeout: time.Minute,
				// Docker has one engine and nothing to schedule.
				StartPhases:  []runtime.Phase{runtime.PhaseImageReady, runtime.PhaseContainerStarted},
				ResumePhases: []runtime.Phase{runtime.PhaseContainerStarted},
			})
		})
	}
}
