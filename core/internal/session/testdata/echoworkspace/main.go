// Command echoworkspace is a workspace plugin for the session package's
// tests. Served by the core, it describes one TCP port with a tcp readiness
// probe and launches itself, re-executed as the session's program:
//
//	echoworkspace          serve the workspace plugin
//	echoworkspace echo     listen on 127.0.0.1:$PORT; echo each line,
//	                       answer "secret" with $SESSION_TOKEN and
//	                       "location" with $APP_ORIGIN$APP_BASE_PATH
//	echoworkspace crash    exit at once with status 3
//
// The template's config block picks the program: mode = "echo" | "crash".
package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// appPort is the port the spec names; the runtime maps it to $PORT.
const appPort = 7000

// maxLife ends a session program that a failed test forgot.
const maxLife = 10 * time.Minute

func main() {
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "":
		workspace.Serve(&echoWorkspace{})
	case "echo":
		if err := echo(); err != nil {
			fmt.Fprintln(os.Stderr, "echo:", err)
			os.Exit(1)
		}
	case "crash":
		fmt.Fprintln(os.Stderr, "crashing as asked")
		os.Exit(3)
	default:
		fmt.Fprintf(os.Stderr, "unknown mode %q\n", mode)
		os.Exit(2)
	}
}

func echo() error {
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		return err
	}
	time.AfterFunc(maxLife, func() { os.Exit(0) })
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				line := sc.Text()
				switch line {
				case "secret":
					line = os.Getenv("SESSION_TOKEN")
				case "location":
					line = os.Getenv("APP_ORIGIN") + os.Getenv("APP_BASE_PATH")
				}
				if _, err := fmt.Fprintln(c, line); err != nil {
					return
				}
			}
		}()
	}
}

type echoWorkspace struct{}

func (*echoWorkspace) PluginInfo() plugin.Info {
	return plugin.Info{Name: "echoworkspace", Version: "0.0.1", Description: "session package test fixture"}
}

func (*echoWorkspace) ConfigSchema() schema.Object {
	return schema.Object{Attrs: map[string]schema.Attr{
		"mode": {Type: "string", Default: "echo", Description: `"echo" or "crash"`},
	}}
}

func (*echoWorkspace) Configure(context.Context, plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	return plugin.ConfigureResponse{}, nil
}

func (*echoWorkspace) Describe(context.Context, workspace.DescribeRequest) (workspace.DescribeResponse, error) {
	return workspace.DescribeResponse{
		Protocol:    workspace.ProtocolHTTP,
		Ports:       []launch.Port{{Name: "app", Port: appPort}},
		PrimaryPort: "app",
		Readiness:   workspace.Probe{Kind: workspace.ProbeTCP, Port: "app", Interval: 100 * time.Millisecond, Timeout: 2 * time.Second},
		Secrets:     []string{"token"},
		DisplayName: "Echo",
		// What a web app declares; the proxy's side is tested in
		// core/internal/appproxy.
		UpstreamAuth: &workspace.UpstreamAuth{Header: "X-Echo-Token", Prefix: "echo ", Secret: "token"},
		KeepBasePath: true,
	}, nil
}

type templateConfig struct {
	Mode string `json:"mode"`
}

func (*echoWorkspace) LaunchSpec(_ context.Context, req workspace.LaunchSpecRequest) (workspace.LaunchSpecResponse, error) {
	var cfg templateConfig
	if err := plugin.DecodeConfig(req.TemplateConfig, &cfg); err != nil {
		return workspace.LaunchSpecResponse{}, err
	}
	self, err := os.Executable()
	if err != nil {
		return workspace.LaunchSpecResponse{}, err
	}
	return workspace.LaunchSpecResponse{Spec: launch.Spec{
		Command: []string{self, cfg.Mode},
		Env: map[string]string{"SESSION_ID": req.Session.ID,
			"APP_ORIGIN": req.AppOrigin, "APP_BASE_PATH": req.AppBasePath},
		Secrets:    map[string]string{"SESSION_TOKEN": req.Secrets["token"]},
		Ports:      []launch.Port{{Name: "app", Port: appPort}},
		HomeVolume: req.HomeVolume,
	}}, nil
}
