package connect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/plugintest"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

func TestInfoListsAPIVersions(t *testing.T) {
	base, _ := plugintest.ServeRuntime(t, &fakeRuntime{})
	info, err := base.Info(context.Background())
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if !slices.Equal(info.APIVersions, []int{runtime.APIVersion}) {
		t.Errorf("APIVersions = %v, want [%d]", info.APIVersions, runtime.APIVersion)
	}
}

func TestConfigureTellsThePluginTheHost(t *testing.T) {
	impl := &fakeRuntime{}
	base, _ := plugintest.ServeRuntime(t, impl)
	host := plugin.Host{Version: "2.0.0", APIVersion: 1, APIVersions: []int{1, 2}, Capabilities: []string{connect.CapEvents}, SDKVersion: "0.9.0"}
	if err := base.Configure(context.Background(), plugin.ConfigureRequest{Config: json.RawMessage(`{}`), Host: host}); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if got := impl.configured.Host; !reflect.DeepEqual(got, host) {
		t.Errorf("the plugin was told %+v, want %+v", got, host)
	}
	if !impl.configured.Host.Has(connect.CapEvents) || impl.configured.Host.Has(connect.CapTunnelSocket) {
		t.Error("Host.Has does not follow Capabilities")
	}
}

func TestConfigureRefusesAnAPIVersionThePluginDoesNotSpeak(t *testing.T) {
	impl := &fakeRuntime{}
	base, _ := plugintest.ServeRuntime(t, impl)
	err := base.Configure(context.Background(), plugin.ConfigureRequest{Config: json.RawMessage(`{}`), Host: plugin.Host{Version: "3.0.0", APIVersion: 2}})
	if err == nil {
		t.Fatal("Configure with API v2 succeeded on a plugin that speaks v1 only")
	}
	for _, want := range []string{"Atrium 3.0.0", "chose atrium.runtime.v2", "speaks atrium.runtime.v1 only"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if impl.configured.Config != nil {
		t.Error("the plugin's Configure ran although the API version was refused")
	}
	// A host that predates negotiation names no version and is accepted.
	if err := base.Configure(context.Background(), plugin.ConfigureRequest{Config: json.RawMessage(`{}`)}); err != nil {
		t.Fatalf("Configure from a host without HostInfo: %v", err)
	}
}

// validatingFake refuses mode values other than "fast" and "slow", and a
// negative size, each at its path.
type validatingFake struct{ *fakeRuntime }

func (validatingFake) ValidateConfig(_ context.Context, req plugin.ValidateConfigRequest) error {
	var c struct {
		Mode string `json:"mode"`
		Size int    `json:"size"`
	}
	if err := json.Unmarshal(req.Config, &c); err != nil {
		return err
	}
	var errs []error
	if c.Mode != "fast" && c.Mode != "slow" {
		errs = append(errs, &plugin.ConfigError{Path: []string{"mode"}, Err: fmt.Errorf("%q is neither fast nor slow", c.Mode)})
	}
	if c.Size < 0 {
		errs = append(errs, &plugin.ConfigError{Path: []string{"disk", "size"}, Err: errors.New("must not be negative")})
	}
	if req.Instance == "whole" {
		errs = append(errs, errors.New("the block as a whole is wrong"))
	}
	return errors.Join(errs...)
}

func TestValidateConfig(t *testing.T) {
	ctx := context.Background()
	base, rt := plugintest.ServeRuntime(t, validatingFake{&fakeRuntime{}})
	info, err := base.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Has(connect.CapConfigValidate) {
		t.Errorf("capabilities %v lack %q", info.Capabilities, connect.CapConfigValidate)
	}
	problems, err := base.ValidateConfig(ctx, plugin.ValidateConfigRequest{Config: json.RawMessage(`{"mode":"warp","size":-1}`), Instance: "whole"})
	if err != nil {
		t.Fatalf("ValidateConfig: %v", err)
	}
	want := []plugin.ConfigProblem{
		{Path: []string{"mode"}, Message: `"warp" is neither fast nor slow`},
		{Path: []string{"disk", "size"}, Message: "must not be negative"},
		{Path: nil, Message: "the block as a whole is wrong"},
	}
	if len(problems) != len(want) {
		t.Fatalf("problems = %+v, want %+v", problems, want)
	}
	for i := range want {
		if !slices.Equal(problems[i].Path, want[i].Path) || problems[i].Message != want[i].Message {
			t.Errorf("problem %d = %+v, want %+v", i, problems[i], want[i])
		}
	}
	if problems, err = base.ValidateConfig(ctx, plugin.ValidateConfigRequest{Config: json.RawMessage(`{"mode":"fast"}`)}); err != nil || len(problems) != 0 {
		t.Errorf("ValidateConfig of good values = %+v, %v; want none", problems, err)
	}
	// Validation does not configure the plugin.
	if _, err := rt.ListSessions(ctx, runtime.ListRequest{}); err == nil {
		t.Error("ListSessions succeeded after ValidateConfig alone; validation must not configure")
	}

	plain, _ := plugintest.ServeRuntime(t, &fakeRuntime{})
	if _, err := plain.ValidateConfig(ctx, plugin.ValidateConfigRequest{Config: json.RawMessage(`{}`)}); !errors.Is(err, connect.ErrUnsupported) {
		t.Errorf("ValidateConfig on a plugin without a validator: %v, want ErrUnsupported", err)
	}
}
