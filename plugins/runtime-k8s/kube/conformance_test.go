package kube_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/plugins/runtime-k8s/kube"
	"github.com/atrium-hq/atrium/sdk/plugintest"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/test/k8stest"
)

// TestConformance runs the SDK's runtime suite against real pods on the
// test cluster in both tunnel modes: the core dialing the pod IP, and the
// plugin reaching the pod through the API server's port-forward.
func TestConformance(t *testing.T) {
	for _, mode := range []string{kube.TunnelModeEndpoint, kube.TunnelModeSocket} {
		t.Run(mode, func(t *testing.T) {
			cl := k8stest.Require(t)
			ns := cl.Namespace(t, "conformance")
			cfg, _ := json.Marshal(map[string]any{
				"kubeconfig": cl.Kubeconfig, "namespace": ns, "tunnel": mode,
				"image_pull_policy": "Never", "request_ratio": 0.05, "stop_timeout": "2s",
				"core_cidrs": []string{hostCIDR(t, cl)},
			})
			spec := echoSpec("conformance-" + mode)
			spec.HomePath = homePath
			spec.HomeVolume = "conformance-user"
			plugintest.RuntimeConformance(t, plugintest.RuntimeSuite{
				New:          func() runtime.Runtime { return kube.New() },
				Config:       cfg,
				Spec:         spec,
				Port:         echoPort,
				Probe:        probeGreeting("conformance-" + mode),
				Timeout:      2 * time.Minute,
				StartPhases:  []runtime.Phase{runtime.PhaseScheduled, runtime.PhaseImageReady, runtime.PhaseContainerStarted},
				ResumePhases: []runtime.Phase{runtime.PhaseScheduled, runtime.PhaseImageReady, runtime.PhaseContainerStarted},
			})
		})
	}
}
