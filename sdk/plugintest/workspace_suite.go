package plugintest

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/schema"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// WorkspaceSuite describes the workspace plugin WorkspaceConformance checks.
type WorkspaceSuite struct {
	// New returns a fresh, unconfigured implementation each call.
	New func() workspace.Workspace
	// Name is the name the plugin reports in its Info.
	Name string
	// Config is the plugin's configuration as the core would decode it.
	Config json.RawMessage
	// Defaults maps schema attributes to the JSON of the default each must
	// declare, e.g. {"image": `"atrium/desktop:1"`}.
	Defaults map[string]string
	// Request is a session's LaunchSpec request. The suite fills Secrets
	// with a fresh value for each secret Describe lists when it is nil.
	Request workspace.LaunchSpecRequest
	// Want, when its Image is set, is the exact spec LaunchSpec must return
	// for Config and Request.
	Want launch.Spec
	// BadConfigs are plugin configs Configure must refuse.
	BadConfigs []BadConfig
	// BadTemplateConfig is a template config LaunchSpec must refuse with an
	// error naming the template config. Nil skips the check.
	BadTemplateConfig json.RawMessage
}

// BadConfig is a config the plugin must refuse.
type BadConfig struct {
	Config json.RawMessage
	// Mentions, when set, must appear in the error, so the person who wrote
	// the block learns which value is wrong (an attribute name, say).
	Mentions string
}

// WorkspaceConformance checks what the core relies on from a workspace
// plugin, as subtests: info and schema, a refusal before Configure, bad
// configs refused, configure and health, describe (the primary and probed
// ports are described ports, an upstream auth names a listed secret), a
// launch spec (described ports, the request's resources and home volume
// passed on, no secret in the plain environment), each secret required,
// the image order when the schema has an image attribute (request over
// template over plugin), a session without a home volume, and a bad
// template config refused.
func WorkspaceConformance(t *testing.T, c WorkspaceSuite) {
	t.Helper()
	if c.New == nil {
		t.Fatal("WorkspaceSuite.New is nil; set it to a function returning a fresh implementation")
	}
	w := &workspaceRun{suite: c, parent: t}
	runSteps(t, 10*time.Second, []step{
		{"info", w.info},
		{"not-configured", w.notConfigured},
		{"bad-config", w.badConfig},
		{"configure", w.configure},
		{"describe", w.describe},
		{"launch-spec", w.launchSpec},
		{"secrets-required", w.secretsRequired},
		{"image-order", w.imageOrder},
		{"no-home", w.noHome},
		{"bad-template-config", w.badTemplateConfig},
	})
}

// workspaceRun is one run of the suite and what its steps learnt.
type workspaceRun struct {
	suite  WorkspaceSuite
	parent *testing.T

	schema schema.Object
	ws     connect.Workspace
	desc   workspace.DescribeResponse
}

func (w *workspaceRun) info(t *testing.T, ctx context.Context) {
	base, _ := ServeWorkspace(t, w.suite.New())
	info, err := base.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Kind != plugin.KindWorkspace || info.APIVersion != workspace.APIVersion {
		t.Fatalf("Info reports kind %q, API version %d; want %q, %d", info.Kind, info.APIVersion, plugin.KindWorkspace, workspace.APIVersion)
	}
	if w.suite.Name != "" && info.Name != w.suite.Name {
		t.Errorf("Info reports name %q, want %q", info.Name, w.suite.Name)
	}
	s, err := base.ConfigSchema(ctx)
	if err != nil {
		t.Fatalf("ConfigSchema: %v", err)
	}
	for name, want := range w.suite.Defaults {
		a, ok := s.Attrs[name]
		if !ok {
			t.Errorf("schema lacks attribute %q", name)
			continue
		}
		if got, _ := a.Default.(json.RawMessage); string(got) != want {
			t.Errorf("default of %q = %s, want %s", name, got, want)
		}
	}
	w.schema = s
}

func (w *workspaceRun) notConfigured(t *testing.T, ctx context.Context) {
	_, ws := ServeWorkspace(t, w.suite.New())
	if _, err := ws.Describe(ctx, workspace.DescribeRequest{}); err == nil {
		t.Error("Describe before Configure succeeded; the SDK must refuse kind calls until Configure succeeds")
	}
	if _, err := ws.LaunchSpec(ctx, w.suite.Request); err == nil {
		t.Error("LaunchSpec before Configure succeeded")
	}
}

func (w *workspaceRun) badConfig(t *testing.T, ctx context.Context) {
	for _, bad := range w.suite.BadConfigs {
		base, _ := ServeWorkspace(t, w.suite.New())
		err := base.Configure(ctx, plugin.ConfigureRequest{Config: bad.Config, Instance: "conformance"})
		if err == nil {
			t.Errorf("Configure(%s) succeeded, want an error", bad.Config)
			continue
		}
		if !strings.Contains(err.Error(), bad.Mentions) {
			t.Errorf("Configure(%s): %v; want an error naming %q", bad.Config, err, bad.Mentions)
		}
	}
}

func (w *workspaceRun) configure(t *testing.T, ctx context.Context) {
	base, ws := ServeWorkspace(w.parent, w.suite.New())
	if err := base.Configure(ctx, plugin.ConfigureRequest{Config: w.suite.Config, Instance: "conformance"}); err != nil {
		t.Fatalf("Configure with WorkspaceSuite.Config: %v", err)
	}
	if err := base.Health(ctx); err != nil {
		t.Fatalf("Health after Configure: %v", err)
	}
	w.ws = ws
}

func (w *workspaceRun) describe(t *testing.T, ctx context.Context) {
	d, err := w.ws.Describe(ctx, workspace.DescribeRequest{})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if d.Protocol != workspace.ProtocolVNC && d.Protocol != workspace.ProtocolHTTP {
		t.Errorf("protocol %q; the core serves %q and %q", d.Protocol, workspace.ProtocolVNC, workspace.ProtocolHTTP)
	}
	if d.DisplayName == "" {
		t.Error("empty DisplayName; the UI lists workspaces by it")
	}
	if !hasPort(d.Ports, d.PrimaryPort) {
		t.Errorf("primary port %q is not among the ports %v", d.PrimaryPort, d.Ports)
	}
	r := d.Readiness
	switch r.Kind {
	case workspace.ProbeTCP, workspace.ProbeRFB:
	case workspace.ProbeHTTP:
		if !strings.HasPrefix(r.Path, "/") {
			t.Errorf("HTTP readiness path %q does not start with /", r.Path)
		}
	default:
		t.Errorf("readiness kind %q is none the core runs", r.Kind)
	}
	if !hasPort(d.Ports, r.Port) {
		t.Errorf("readiness probes port %q, not among the ports %v", r.Port, d.Ports)
	}
	if r.Interval < 0 || r.Timeout < 0 {
		t.Errorf("readiness interval %s, timeout %s; negative", r.Interval, r.Timeout)
	}
	if u := d.UpstreamAuth; u != nil {
		if d.Protocol != workspace.ProtocolHTTP {
			t.Errorf("upstream auth on a %q workspace; only the app proxy sets it", d.Protocol)
		}
		if u.Header == "" || !slices.Contains(d.Secrets, u.Secret) {
			t.Errorf("upstream auth %+v: want a header and a secret among %v", u, d.Secrets)
		}
	}
	w.desc = d
}

func hasPort(ports []launch.Port, name string) bool {
	return slices.ContainsFunc(ports, func(p launch.Port) bool { return p.Name == name })
}

// request returns the suite's request with a value for each described
// secret unless the suite set Secrets itself.
func (w *workspaceRun) request() workspace.LaunchSpecRequest {
	req := w.suite.Request
	if req.Secrets == nil {
		req.Secrets = map[string]string{}
		for _, s := range w.desc.Secrets {
			req.Secrets[s] = "conformance-secret-" + s + "-value"
		}
	} else {
		req.Secrets = maps.Clone(req.Secrets)
	}
	if req.Session.ID == "" {
		req.Session = runtime.Session{ID: "conformance", UserID: "conformance-user", OrgID: "conformance-org", Template: "conformance"}
	}
	return req
}

func (w *workspaceRun) launchSpec(t *testing.T, ctx context.Context) {
	req := w.request()
	resp, err := w.ws.LaunchSpec(ctx, req)
	if err != nil {
		t.Fatalf("LaunchSpec: %v", err)
	}
	s := resp.Spec
	if s.Image == "" {
		t.Error("the spec names no image")
	}
	for _, p := range w.desc.Ports {
		if !slices.Contains(s.Ports, p) {
			t.Errorf("the spec's ports %v lack the described port %v", s.Ports, p)
		}
	}
	if !reflect.DeepEqual(s.Resources, req.Resources) {
		t.Errorf("resources %+v, want the request's %+v", s.Resources, req.Resources)
	}
	if s.HomeVolume != req.HomeVolume {
		t.Errorf("home volume %q, want the request's %q", s.HomeVolume, req.HomeVolume)
	}
	if req.HomeVolume != "" && s.HomePath == "" {
		t.Error("a home volume but no HomePath to mount it at")
	}
	for k, v := range s.Env {
		for name, secret := range req.Secrets {
			if secret != "" && strings.Contains(v, secret) {
				t.Errorf("secret %q is in the plain environment as %s; pass it in Spec.Secrets", name, k)
			}
		}
	}
	if w.suite.Want.Image != "" && !reflect.DeepEqual(s, w.suite.Want) {
		t.Errorf("LaunchSpec =\n%+v\nwant\n%+v", s, w.suite.Want)
	}
}

func (w *workspaceRun) secretsRequired(t *testing.T, ctx context.Context) {
	for _, name := range w.desc.Secrets {
		req := w.request()
		delete(req.Secrets, name)
		_, err := w.ws.LaunchSpec(ctx, req)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("LaunchSpec without secret %q: %v; want an error naming it", name, err)
		}
	}
}

func (w *workspaceRun) imageOrder(t *testing.T, ctx context.Context) {
	if _, ok := w.schema.Attrs["image"]; !ok {
		t.Skip("image order does not apply: this plugin's schema has no image attribute, so a template or request cannot choose the image")
	}
	req := w.request()
	req.TemplateConfig = json.RawMessage(`{"image": "example/conformance:template"}`)
	resp, err := w.ws.LaunchSpec(ctx, req)
	if err != nil {
		t.Fatalf("LaunchSpec with a template image: %v", err)
	}
	if resp.Spec.Image != "example/conformance:template" {
		t.Errorf("with a template image: image %q; the template's config must override the plugin's", resp.Spec.Image)
	}
	req.Image = "example/conformance:request"
	if resp, err = w.ws.LaunchSpec(ctx, req); err != nil {
		t.Fatalf("LaunchSpec with an image override: %v", err)
	}
	if resp.Spec.Image != "example/conformance:request" {
		t.Errorf("with an image override: image %q; the request's image must win", resp.Spec.Image)
	}
}

func (w *workspaceRun) noHome(t *testing.T, ctx context.Context) {
	req := w.request()
	req.HomeVolume = ""
	resp, err := w.ws.LaunchSpec(ctx, req)
	if err != nil {
		t.Fatalf("LaunchSpec without a home volume: %v", err)
	}
	if resp.Spec.HomeVolume != "" {
		t.Errorf("without a home volume: the spec mounts %q", resp.Spec.HomeVolume)
	}
}

func (w *workspaceRun) badTemplateConfig(t *testing.T, ctx context.Context) {
	if w.suite.BadTemplateConfig == nil {
		t.Skip("no template config to refuse: WorkspaceSuite.BadTemplateConfig is nil, as for a plugin whose templates take no config")
	}
	req := w.request()
	req.TemplateConfig = w.suite.BadTemplateConfig
	if _, err := w.ws.LaunchSpec(ctx, req); err == nil || !strings.Contains(err.Error(), "template config") {
		t.Fatalf("LaunchSpec with template config %s: %v; want an error naming the template config", req.TemplateConfig, err)
	}
}
