// Package plugintest runs a plugin in process over a real gRPC boundary, the
// same go-plugin server and clients the core uses, and checks runtime,
// workspace and auth plugins against the behaviour the core relies on
// (RuntimeConformance, WorkspaceConformance, AuthConformance). Plugin
// authors use it in their own tests:
//
//	func TestConformance(t *testing.T) {
//		plugintest.RuntimeConformance(t, plugintest.RuntimeSuite{
//			New:    func() runtime.Runtime { return myruntime.New() },
//			Config: json.RawMessage(`{"root": "/tmp/x"}`),
//			Spec:   launch.Spec{Image: "nginx", Ports: []launch.Port{{Name: "http", Port: 80}}},
//			Port:   80,
//		})
//	}
package plugintest
