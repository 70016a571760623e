// Command relayserver runs the Atrium relay as a process of its own for the
// relay benchmark (bench/relay), so the benchmark can measure the relay's
// CPU time and memory apart from the client and the upstream it drives.
// It lives here because bench/ cannot import core/internal.
//
// It serves, on a loopback port it prints as "LISTEN host:port":
//
//	GET  /relay/:session  the real relay.Handler (Origin http://bench.local)
//	POST /bench/ticket    a ticket for session "bench" (FAKE in-memory store)
//	GET  /bench/stats     runtime.MemStats counters; ?gc=1 first runs a GC
//	                      and returns freed memory to the OS
//
// In endpoint mode the relay dials -upstream itself, through DialTunnel's
// allow-list (127.0.0.0/8). In socket mode it launches -plugin, a runtime
// plugin, over go-plugin exactly as the core does, calls OpenTunnel for
// every stream and dials the returned unix socket; it prints the plugin's
// pid as "PLUGIN_PID n". It exits when its stdin closes.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/relay/relaytest"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	sdkruntime "github.com/atrium-hq/atrium/sdk/runtime"
)

// Origin is the only Origin the benchmark relay accepts.
const Origin = "http://bench.local"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "relayserver:", err)
		os.Exit(1)
	}
}

func run() error {
	upstream := flag.String("upstream", "", "host:port of the session's port")
	mode := flag.String("mode", "endpoint", `"endpoint" or "socket"`)
	pluginPath := flag.String("plugin", "", "runtime plugin binary for socket mode")
	allow := flag.String("allow", "127.0.0.0/8", "network endpoint mode may dial (the runtime's networks), e.g. a pod CIDR")
	buffer := flag.Int("buffer", 0, "relay copy buffer size in bytes; 0 for relay.DefaultBufferSize")
	flag.Parse()
	if *upstream == "" {
		return fmt.Errorf("-upstream is required")
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "relayserver", Output: os.Stderr, Level: hclog.Warn})

	var dial func(ctx context.Context) (net.Conn, error)
	switch *mode {
	case "endpoint":
		network, err := netip.ParsePrefix(*allow)
		if err != nil {
			return fmt.Errorf("-allow %q: %w", *allow, err)
		}
		allowed := []netip.Prefix{network}
		dial = func(ctx context.Context) (net.Conn, error) {
			return relay.DialTunnel(ctx, connect.Tunnel{Endpoint: *upstream}, allowed, []string{*upstream})
		}
	case "socket":
		rt, stop, err := launchPlugin(*pluginPath, *upstream, log)
		if err != nil {
			return err
		}
		defer stop()
		dial = func(ctx context.Context) (net.Conn, error) {
			t, err := rt.OpenTunnel(ctx, sdkruntime.TunnelRequest{SessionID: "bench", Port: 5900})
			if err != nil {
				return nil, err
			}
			return relay.DialTunnel(ctx, t, nil, nil)
		}
	default:
		return fmt.Errorf("-mode %q: use endpoint or socket", *mode)
	}

	tickets := relaytest.NewMemoryTickets()
	registry := relay.NewRegistry()
	h, err := relay.Handler(relay.HandlerOptions{
		Tickets:        tickets,
		AllowedOrigins: []string{Origin},
		Registry:       registry,
		Logger:         log,
		Relay:          relay.Options{BufferSize: *buffer},
		Lookup: func(ctx context.Context, sessionID string) (relay.Upstream, error) {
			return relay.Upstream{InstanceID: "i1", Dial: dial}, nil
		},
	})
	if err != nil {
		return err
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/relay/:session", h)
	app.Post("/bench/ticket", func(c *fiber.Ctx) error {
		tok, err := tickets.Issue(c.UserContext(), relay.NewTicket("bench-user", "bench", "i1", relay.MaxTicketTTL, time.Now()))
		if err != nil {
			return err
		}
		return c.SendString(tok)
	})
	app.Get("/bench/stats", func(c *fiber.Ctx) error {
		if c.Query("gc") == "1" {
			runtime.GC()
			debug.FreeOSMemory()
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return c.JSON(map[string]uint64{
			"mallocs":     m.Mallocs,
			"total_alloc": m.TotalAlloc,
			"heap_inuse":  m.HeapInuse,
			"stack_inuse": m.StackInuse,
			"goroutines":  uint64(runtime.NumGoroutine()),
			"relays":      uint64(registry.Len()),
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen on loopback: %w", err)
	}
	fmt.Printf("LISTEN %s\n", ln.Addr())
	go func() { _ = app.Listener(ln) }()

	// The benchmark holds our stdin; when it closes, stop.
	_, _ = io.Copy(io.Discard, os.Stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = registry.Shutdown(ctx)
	return app.ShutdownWithTimeout(5 * time.Second)
}

// launchPlugin starts the runtime plugin as the core does (go-plugin,
// gRPC, AutoMTLS), configures it with a private tunnel directory and
// returns its runtime client.
func launchPlugin(path, upstream string, log hclog.Logger) (connect.Runtime, func(), error) {
	if path == "" {
		return nil, nil, fmt.Errorf("socket mode needs -plugin")
	}
	dir, err := os.MkdirTemp("", "atrium-bench-tun-")
	if err != nil {
		return nil, nil, fmt.Errorf("create the tunnel directory: %w", err)
	}
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  connect.Handshake,
		VersionedPlugins: connect.ClientPlugins(),
		Cmd:              exec.Command(path),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           log.Named("plugin"),
	})
	stop := func() {
		client.Kill()
		_ = os.RemoveAll(dir)
	}
	rpc, err := client.Client()
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("start plugin %s: %w", path, err)
	}
	rawBase, err := rpc.Dispense(connect.BaseName)
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("dispense the plugin base: %w", err)
	}
	rawRT, err := rpc.Dispense("runtime")
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("dispense the runtime: %w", err)
	}
	cfg, _ := json.Marshal(map[string]string{"address": upstream})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rawBase.(connect.Base).Configure(ctx, plugin.ConfigureRequest{Config: cfg, Instance: "bench", TunnelDir: dir}); err != nil {
		stop()
		return nil, nil, fmt.Errorf("configure the plugin: %w", err)
	}
	fmt.Printf("PLUGIN_PID %d\n", client.ReattachConfig().Pid)
	return rawRT.(connect.Runtime), stop, nil
}
