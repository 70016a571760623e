package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"time"

	"github.com/atrium-hq/atrium/test/dockertest"
)

// app is one upstream the bench measures.
type app struct {
	name string
	// addr is host:port, reachable from this process.
	addr string
	// path is the request target each request asks for.
	path string
}

// jupyterImage is the image the jupyter app runs; make images builds it.
const jupyterImage = "atrium/jupyter:1"

// startApp starts the named app and returns what stops it.
func startApp(ctx context.Context, name string) (app, func(), error) {
	switch name {
	case "go":
		return startGoApp()
	case "jupyter":
		return startJupyter(ctx)
	}
	return app{}, nil, fmt.Errorf("unknown app %q; use go or jupyter", name)
}

// startGoApp serves a tiny handler: a short JSON body, like an app's API
// call, at the least cost an app can have.
func startGoApp() (app, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return app{}, nil, fmt.Errorf("listen for the go app: %w", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true,"path":"`+r.URL.Path+`"}`)
	})}
	go func() { _ = srv.Serve(ln) }()
	return app{name: "go", addr: ln.Addr().String(), path: "/api/contents?path=%2Fhome"}, func() { _ = srv.Close() }, nil
}

// startJupyter runs the atrium/jupyter image on Docker's default bridge,
// which this host reaches directly, and waits until it answers.
func startJupyter(ctx context.Context) (app, func(), error) {
	if _, err := exec.LookPath("docker"); err != nil {
		return app{}, nil, fmt.Errorf("the jupyter app needs the docker CLI and an engine (scripts/docker-up.sh), or pass -apps go")
	}
	if _, err := dockertest.Docker(ctx, nil, "image", "inspect", jupyterImage); err != nil {
		return app{}, nil, fmt.Errorf("image %s is missing; run make images, or pass -apps go: %w", jupyterImage, err)
	}
	id, err := dockertest.Docker(ctx, nil, "run", "--detach", "--rm", "--label", "atrium-bench=proxy",
		"--user", "1000:1000", "--env", "ATRIUM_JUPYTER_TOKEN="+benchToken, jupyterImage)
	if err != nil {
		return app{}, nil, fmt.Errorf("docker run %s: %w", jupyterImage, err)
	}
	stop := func() { _, _ = dockertest.Docker(context.Background(), nil, "rm", "--force", id) }
	ip, err := dockertest.Docker(ctx, nil, "inspect", "--format", "{{ .NetworkSettings.IPAddress }}", id)
	if err != nil || net.ParseIP(ip) == nil {
		stop()
		return app{}, nil, fmt.Errorf("address of the jupyter container: %q, %v", ip, err)
	}
	a := app{name: "jupyter", addr: net.JoinHostPort(ip, "8888"), path: "/api"}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get("http://" + a.addr + a.path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return a, stop, nil
			}
		}
		if time.Now().After(deadline) {
			logs, _ := exec.Command("docker", "logs", id).CombinedOutput()
			stop()
			return app{}, nil, fmt.Errorf("jupyter did not answer %s within a minute (%v); its logs:\n%s", a.path, err, strings.TrimSpace(string(logs)))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// benchToken is the Jupyter token the container gets; GET /api needs none,
// so neither path sends it.
const benchToken = "bench-proxy-token-not-a-secret"
