// Command start measures how long a desktop takes to show its first
// pixels: through Atrium (POST /api/v1/sessions → state running, seen on
// the session event stream as the web UI sees it → relay ticket →
// WebSocket → RFB handshake → first framebuffer update) beside a
// raw container of the same image on the same Docker network, started
// through the Docker API and read over RFB directly with a known password;
// and, when the local Kubernetes test cluster answers (make k8s-up), the
// same through runtime-k8s beside a raw pod of the same image and limits.
// The difference is what Atrium's admission, reconciler, plugins, readiness
// probe and relay cost on top of Docker.
//
// It builds the core and the plugins, starts its own `atrium server` with
// the embedded PostgreSQL in a temporary state directory, on a Docker
// network of its own, and removes every container, volume and network it
// created. It needs root (the embedded PostgreSQL and Docker) and the
// atrium/desktop:1 image, which it builds when missing.
//
//	go run ./bench/start -n 10
//
// Output, one line per path and the ratio:
//
//	path=atrium p50_ms=… p95_ms=… min_ms=… max_ms=… n=…
//	path=docker-run p50_ms=… p95_ms=… min_ms=… max_ms=… n=…
//	ratio atrium/docker-run p50=… p95=… pair_p50=…
//	path=atrium-k8s …, path=raw-pod …, ratio atrium-k8s/raw-pod …
//
// pair_p50 is the median of each Atrium start over the docker-run start
// that followed it: on a shared machine the load drifts during a run, and
// the two starts of a pair see nearly the same load.
package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/test/harness"
	"github.com/atrium-hq/atrium/test/rfb"
)

// The benchmark's own network and volume prefix: neither a developer's
// sessions (network "atrium") nor the e2e tests' share them.
const (
	benchNetwork      = "atrium-bench-start"
	benchVolumePrefix = "atrium-bench-home-"
	// benchLabel marks the raw docker-run containers and their volume.
	benchLabel = "atrium.bench"
)

var benchSubnet = netip.MustParsePrefix("172.29.241.0/24")

type options struct {
	n       int
	timeout time.Duration
	image   string
	k8s     bool
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 10, "starts per path (at least 10 for the figures to mean much)")
	flag.DurationVar(&o.timeout, "timeout", 2*time.Minute, "bound on one start, from request to first pixels")
	flag.StringVar(&o.image, "image", harness.DesktopImage, "desktop image")
	flag.BoolVar(&o.k8s, "k8s", true, "also measure the Kubernetes pair (Atrium on runtime-k8s beside a raw pod) when the test cluster answers (make k8s-up)")
	flag.Parse()
	if o.n < 1 {
		fmt.Fprintln(os.Stderr, "bench/start: -n must be at least 1")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/start:", err)
		os.Exit(1)
	}
}

// bench is one run's state.
type bench struct {
	o      options
	root   string
	docker *client.Client
	kube   *kube // nil: no Kubernetes pair
	api    *harness.Client
	runID  string
	volume string // the docker-run path's home volume
}

func run(o options) (err error) {
	root, err := harness.RepoRoot()
	if err != nil {
		return err
	}
	setup, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cli, err := harness.Docker(setup, root)
	if err != nil {
		return err
	}
	defer cli.Close()
	if err := harness.EnsureImage(setup, cli, root, o.image); err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "atrium-bench-start-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The embedded PostgreSQL runs as the postgres user when this runs as
	// root, and must traverse the state directory's parents.
	if err := os.Chmod(dir, 0o711); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench/start: building atrium and the plugins")
	bins, err := harness.BuildDesktop(root, dir)
	if err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	config := filepath.Join(dir, "atrium.hcl")
	hcl := fmt.Sprintf("server {\n  listen     = %q\n  public_url = %q\n  state_dir  = %q\n}\n", addr, "http://"+addr, filepath.Join(dir, "state")) +
		harness.DesktopHCL(harness.DesktopConfig{Bins: bins, Network: benchNetwork, Subnet: benchSubnet, VolumePrefix: benchVolumePrefix, Image: o.image})
	b := &bench{o: o, root: root, docker: cli, runID: randomHex(6)}
	if o.k8s {
		if b.kube, err = connectKube(setup, b.runID); err != nil {
			fmt.Fprintf(os.Stderr, "bench/start: no Kubernetes pair: %v\n", err)
		} else {
			defer b.kube.cleanup()
			more, err := b.kube.hcl(root, dir, setup)
			if err != nil {
				return err
			}
			hcl += more
		}
	}
	if err := os.WriteFile(config, []byte(hcl), 0o600); err != nil {
		return err
	}
	srv, err := harness.StartServer(setup, bins.Atrium.Path, config, addr)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := b.cleanup(); cerr != nil && err == nil {
			err = cerr
		}
		srv.Stop(30 * time.Second)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench/start: the core's output:\n%s", srv.Output())
		}
	}()
	password := "bench-" + randomHex(12)
	if err := harness.CreateUser(setup, bins.Atrium.Path, config, "bench", password, "-admin"); err != nil {
		return err
	}
	if b.api, err = harness.Login(setup, "http://"+addr, "bench", password); err != nil {
		return err
	}
	if err := b.prepareDockerRun(setup); err != nil {
		return err
	}

	// Each pair: Atrium on a runtime, and the same image started raw on
	// that runtime's engine.
	type pair struct {
		name, raw string
		atrium    func() (time.Duration, error)
		direct    func() (time.Duration, error)
	}
	pairs := []pair{{"atrium", "docker-run", func() (time.Duration, error) { return b.atrium(harness.DesktopTemplate) }, b.dockerRun}}
	if b.kube != nil {
		pairs = append(pairs, pair{"atrium-k8s", "raw-pod", func() (time.Duration, error) { return b.atrium(k8sTemplate) }, func() (time.Duration, error) { return b.kube.rawPod(o) }})
	}
	// A warm-up start of each path, not counted: the first start creates
	// the home volume and pages the image in.
	fmt.Fprintln(os.Stderr, "bench/start: warming up")
	for _, p := range pairs {
		if _, err := p.atrium(); err != nil {
			return fmt.Errorf("warm-up through %s: %w", p.name, err)
		}
		if _, err := p.direct(); err != nil {
			return fmt.Errorf("warm-up with %s: %w", p.raw, err)
		}
	}
	// Interleaved, so load from the machine's other users weighs on both
	// paths alike.
	results := make([][2][]time.Duration, len(pairs))
	for i := range o.n {
		for j, p := range pairs {
			a, err := p.atrium()
			if err != nil {
				return fmt.Errorf("start %d through %s: %w", i+1, p.name, err)
			}
			d, err := p.direct()
			if err != nil {
				return fmt.Errorf("start %d with %s: %w", i+1, p.raw, err)
			}
			results[j][0] = append(results[j][0], a)
			results[j][1] = append(results[j][1], d)
			fmt.Fprintf(os.Stderr, "bench/start: %d/%d %s=%s %s=%s\n", i+1, o.n, p.name, a.Round(time.Millisecond), p.raw, d.Round(time.Millisecond))
		}
	}
	fmt.Printf("# start benchmark: API create → first framebuffer update, %d starts per path, interleaved, image %s, cpu 1 memory 1GiB\n", o.n, o.image)
	for j, p := range pairs {
		viaAtrium, viaRaw := results[j][0], results[j][1]
		a, d := summarise(viaAtrium), summarise(viaRaw)
		fmt.Printf("path=%s %s\n", p.name, a)
		fmt.Printf("path=%s %s\n", p.raw, d)
		ratios := make([]float64, len(viaAtrium))
		for i := range viaAtrium {
			ratios[i] = viaAtrium[i].Seconds() / viaRaw[i].Seconds()
		}
		slices.Sort(ratios)
		fmt.Printf("ratio %s/%s p50=%.2f p95=%.2f pair_p50=%.2f\n", p.name, p.raw, a.p50.Seconds()/d.p50.Seconds(), a.p95.Seconds()/d.p95.Seconds(), median(ratios))
	}
	return nil
}

// atrium times one start through the core as the web UI makes it:
// create, learn from the session event stream that it runs, ask for a
// ticket, open the relay and read the first pixels. The session is then
// deleted (home kept) outside the timing.
func (b *bench) atrium(template string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), b.o.timeout)
	defer cancel()
	// The UI's sessions page holds the event stream open before the user
	// clicks, so opening it is not part of the start.
	events, err := b.api.Events(ctx)
	if err != nil {
		return 0, err
	}
	defer events.Close()
	began := time.Now()
	s, err := b.api.CreateSession(ctx, template)
	if err != nil {
		return 0, err
	}
	defer b.deleteSession(s.ID)
	if err := events.WaitState(ctx, s.ID, "running"); err != nil {
		return 0, err
	}
	d, err := harness.OpenDesktop(ctx, b.api, s.ID)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	if _, err := harness.FirstFramebuffer(ctx, d.Client); err != nil {
		return 0, err
	}
	return time.Since(began), nil
}

func (b *bench) deleteSession(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := b.api.Delete(ctx, id, false); err != nil {
		fmt.Fprintln(os.Stderr, "bench/start:", err)
		return
	}
	if _, err := b.api.WaitState(ctx, id, "deleted"); err != nil {
		fmt.Fprintln(os.Stderr, "bench/start:", err)
	}
}

// prepareDockerRun creates the docker-run path's home volume, as the
// runtime plugin does for a user's first session, so both paths mount one.
func (b *bench) prepareDockerRun(ctx context.Context) error {
	b.volume = benchVolumePrefix + "docker-run-" + b.runID
	_, err := b.docker.VolumeCreate(ctx, client.VolumeCreateOptions{Name: b.volume, Labels: map[string]string{benchLabel: b.runID}})
	if err != nil {
		return fmt.Errorf("create volume %s: %w", b.volume, err)
	}
	return nil
}

// dockerRun times one raw start: create and start a container of the same
// image, limits and network as the template's, with a password the
// benchmark knows, then dial its VNC port until the RFB handshake works
// and read the first pixels. The container is removed outside the timing.
func (b *bench) dockerRun() (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), b.o.timeout)
	defer cancel()
	password := randomHex(4) // VNC uses 8 bytes
	began := time.Now()
	created, err := b.docker.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image:  b.o.image,
			Env:    []string{"ATRIUM_VNC_PASSWORD=" + password},
			Labels: map[string]string{benchLabel: b.runID},
		},
		HostConfig: &container.HostConfig{
			NetworkMode: container.NetworkMode(benchNetwork),
			Resources:   container.Resources{NanoCPUs: 1e9, Memory: 1 << 30},
			Mounts:      []mount.Mount{{Type: mount.TypeVolume, Source: b.volume, Target: "/home/atrium"}},
		},
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{benchNetwork: {}}},
	})
	if err != nil {
		return 0, fmt.Errorf("create container: %w", err)
	}
	defer func() {
		rctx, rcancel := context.WithTimeout(context.Background(), time.Minute)
		defer rcancel()
		if _, err := b.docker.ContainerRemove(rctx, created.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			fmt.Fprintln(os.Stderr, "bench/start: remove container:", err)
		}
	}()
	if _, err := b.docker.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		return 0, fmt.Errorf("start container: %w", err)
	}
	res, err := b.docker.ContainerInspect(ctx, created.ID, client.ContainerInspectOptions{})
	if err != nil {
		return 0, fmt.Errorf("inspect container: %w", err)
	}
	ep := res.Container.NetworkSettings.Networks[benchNetwork]
	if ep == nil || !ep.IPAddress.IsValid() || !benchSubnet.Contains(ep.IPAddress) {
		return 0, fmt.Errorf("the container has no address on %s (%s)", benchNetwork, benchSubnet)
	}
	if err := firstPixels(ctx, netip.AddrPortFrom(ep.IPAddress, 5900).String(), password); err != nil {
		return 0, err
	}
	return time.Since(began), nil
}

// firstPixels dials a raw VNC server until the RFB handshake works, as the
// core's readiness probe must (Xvnc listens a second or so after its
// process starts), and reads the first framebuffer update.
func firstPixels(ctx context.Context, addr, password string) error {
	var c *rfb.Client
	for {
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		var err error
		c, err = rfb.Dial(dctx, addr, password)
		dcancel()
		if err == nil {
			break
		}
		if errors.Is(err, rfb.ErrAuthFailed) || ctx.Err() != nil {
			return fmt.Errorf("RFB to %s: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer c.Close()
	_, err := harness.FirstFramebuffer(ctx, c)
	return err
}

// cleanup deletes the benchmark's sessions with their home, then removes
// whatever Docker still holds with the benchmark's labels or the bench
// user's, and the network.
func (b *bench) cleanup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if b.api != nil {
		list, err := b.api.Sessions(ctx)
		keep(err)
		var users []string
		for _, s := range list {
			if !slices.Contains(users, s.UserID) {
				users = append(users, s.UserID)
			}
			if s.State != "deleted" {
				keep(b.api.Delete(ctx, s.ID, true))
				_, err := b.api.WaitState(ctx, s.ID, "deleted")
				keep(err)
			}
		}
		if me, err := b.me(ctx); err == nil && !slices.Contains(users, me) {
			users = append(users, me)
		}
		for _, u := range users {
			keep(harness.RemoveLabelled(ctx, b.docker, harness.LabelUser+"="+u))
		}
	}
	keep(harness.RemoveLabelled(ctx, b.docker, benchLabel+"="+b.runID))
	if _, err := b.docker.NetworkRemove(ctx, benchNetwork, client.NetworkRemoveOptions{}); err != nil {
		fmt.Fprintf(os.Stderr, "bench/start: network %s not removed (in use by another run?): %v\n", benchNetwork, err)
	}
	return first
}

// me returns the logged-in user's id.
func (b *bench) me(ctx context.Context) (string, error) {
	var v struct {
		ID   string `json:"id"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	code, body, err := b.api.Do(ctx, "GET", "/api/v1/me", nil)
	if err != nil || code != 200 {
		return "", fmt.Errorf("GET /api/v1/me: %d %v", code, err)
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", err
	}
	if v.User.ID != "" {
		return v.User.ID, nil
	}
	return v.ID, nil
}

// stats summarises one path's start times.
type stats struct {
	p50, p95, min, max time.Duration
	n                  int
}

func summarise(ds []time.Duration) stats {
	s := slices.Clone(ds)
	slices.Sort(s)
	// Nearest rank: the smallest value with at least q of the samples at
	// or below it.
	rank := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.999999) - 1
		return s[max(0, min(len(s)-1, i))]
	}
	return stats{p50: rank(0.50), p95: rank(0.95), min: s[0], max: s[len(s)-1], n: len(s)}
}

// median is the middle of sorted xs, or the mean of its two middles.
func median(xs []float64) float64 {
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func (s stats) String() string {
	return fmt.Sprintf("p50_ms=%d p95_ms=%d min_ms=%d max_ms=%d n=%d", s.p50.Milliseconds(), s.p95.Milliseconds(), s.min.Milliseconds(), s.max.Milliseconds(), s.n)
}

// freeAddr picks a loopback port below the ephemeral range that nobody
// listens on now, as the e2e tests do, so the embedded PostgreSQL's and
// the plugins' own port-0 listeners cannot take it first.
func freeAddr() (string, error) {
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ln.Close()
		return addr, nil
	}
	return "", errors.New("no free loopback port between 20000 and 32000")
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := crand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
