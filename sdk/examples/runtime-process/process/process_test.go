package process_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/plugintest"
	"github.com/atrium-hq/atrium/sdk/runtime"

	"example.com/atrium-runtime-process/process"
)

// The test binary doubles as the sessions' program: with echoEnv set it is
// a TCP echo server on $PORT, so the tests need nothing outside Go.
const (
	echoEnv    = "ATRIUM_TEST_ECHO_SERVER"
	secretEnv  = "ATRIUM_TEST_SECRET"
	secret     = "open-sesame"
	echoPort   = 7000
	homeVolume = "user-1"
)

func TestMain(m *testing.M) {
	if os.Getenv(echoEnv) == "1" {
		os.Exit(echo())
	}
	os.Exit(m.Run())
}

// echo serves $PORT, echoing every byte. It refuses to start without the
// session's secret, so a secret that never arrives fails the suite.
func echo() int {
	if os.Getenv(secretEnv) != secret {
		fmt.Fprintln(os.Stderr, "echo: the session secret did not reach the environment")
		return 3
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		return 1
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "echo:", err)
			return 1
		}
		go func() {
			defer c.Close()
			_, _ = io.Copy(c, c)
		}()
	}
}

func TestConformance(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find the test binary: %v", err)
	}
	for _, mode := range []string{"endpoint", "socket"} {
		t.Run(mode, func(t *testing.T) {
			root := t.TempDir()
			plugintest.RuntimeConformance(t, plugintest.RuntimeSuite{
				New:    func() runtime.Runtime { return process.New() },
				Config: mustJSON(t, map[string]string{"root": root, "tunnel": mode}),
				Spec: launch.Spec{
					Command:    []string{exe},
					Env:        map[string]string{echoEnv: "1"},
					Secrets:    map[string]string{secretEnv: secret},
					Ports:      []launch.Port{{Name: "echo", Port: echoPort}},
					HomeVolume: homeVolume,
				},
				StartPhases:  []runtime.Phase{runtime.PhaseScheduled, runtime.PhaseContainerStarted},
				ResumePhases: []runtime.Phase{runtime.PhaseContainerStarted},
				Port:         echoPort,
				Probe:        probeEcho,
			})
			for _, dir := range []string{filepath.Join(root, "homes", homeVolume), filepath.Join(root, "sessions")} {
				entries, err := os.ReadDir(dir)
				if err == nil && len(entries) > 0 || err != nil && !os.IsNotExist(err) {
					t.Errorf("after destroy, %s still holds %d entries (%v)", dir, len(entries), err)
				}
			}
			if _, err := os.Stat(filepath.Join(root, "homes", homeVolume)); !os.IsNotExist(err) {
				t.Errorf("destroy with RemoveHome left home volume %s (stat: %v)", homeVolume, err)
			}
		})
	}
}

// probeEcho checks that bytes make the round trip through the tunnel.
func probeEcho(c net.Conn) error {
	want := []byte("ping\n")
	if _, err := c.Write(want); err != nil {
		return err
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("echo answered %q, want %q", got, want)
	}
	return nil
}

func TestConfigureRefusesBadConfig(t *testing.T) {
	for name, cfg := range map[string]string{
		"relative root":  `{"root": "relative/dir"}`,
		"missing root":   `{}`,
		"unknown tunnel": `{"root": "/tmp", "tunnel": "carrier-pigeon"}`,
		"unknown field":  `{"root": "/tmp", "colour": "blue"}`,
	} {
		t.Run(name, func(t *testing.T) {
			base, _ := plugintest.ServeRuntime(t, process.New())
			if err := base.Configure(context.Background(), plugin.ConfigureRequest{Config: json.RawMessage(cfg)}); err == nil {
				t.Fatalf("Configure(%s) succeeded, want an error", cfg)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode config: %v", err)
	}
	return raw
}
