package kube

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/atrium-hq/atrium/sdk/plugin"
)

// TestSchemaCoversConfig: every field the plugin decodes is in the schema
// the core checks HCL against, or a user could never set it.
func TestSchemaCoversConfig(t *testing.T) {
	sch := configSchema()
	ty := reflect.TypeOf(Config{})
	for i := range ty.NumField() {
		name, _, _ := strings.Cut(ty.Field(i).Tag.Get("json"), ",")
		_, attr := sch.Attrs[name]
		_, block := sch.Blocks[name]
		if !attr && !block {
			t.Errorf("config field %s (%q) is not in the schema", ty.Field(i).Name, name)
		}
	}
}

// TestConfigErrorsNameTheirValue: each bad value is reported at its own
// attribute, all at once, so `atrium config validate` lists every line.
func TestConfigErrorsNameTheirValue(t *testing.T) {
	_, err := parseConfig([]byte(`{"namespace":"Bad_NS","home_size":"lots","image_pull_policy":"Sometimes","tunnel":"pigeon",
		"stop_timeout":"soon","run_as_user":0,"request_ratio":2,"core_cidrs":["nope"],"labels":{"a b":"c"},
		"toleration":[{"operator":"Maybe","effect":"Never"}]}`))
	if err == nil {
		t.Fatal("a config full of mistakes was accepted")
	}
	want := map[string]bool{}
	for _, p := range []string{"namespace", "home_size", "image_pull_policy", "tunnel", "stop_timeout", "run_as_user",
		"request_ratio", "core_cidrs", "labels", "toleration.0.operator", "toleration.0.effect"} {
		want[p] = true
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		t.Fatalf("error %v is not a list of errors", err)
	}
	for _, e := range joined.Unwrap() {
		var ce *plugin.ConfigError
		if !errors.As(e, &ce) {
			t.Errorf("error %v names no attribute", e)
			continue
		}
		delete(want, strings.Join(ce.Path, "."))
	}
	for p := range want {
		t.Errorf("no error at %s", p)
	}
}

// TestEndpointPolicyNeedsCorePeersAtValidation: a NetworkPolicy with no core
// peer in endpoint mode would admit no one; parseConfig (so `atrium config
// validate`, with file:line) refuses it at network_policy, not only Configure.
func TestEndpointPolicyNeedsCorePeersAtValidation(t *testing.T) {
	_, err := parseConfig([]byte(`{"tunnel":"endpoint"}`))
	var ce *plugin.ConfigError
	if !errors.As(err, &ce) || strings.Join(ce.Path, ".") != "network_policy" || !strings.Contains(err.Error(), "core_pod_labels") {
		t.Fatalf("endpoint mode, policy on, no core peers: %v; want an error at network_policy naming core_cidrs/core_pod_labels", err)
	}
	for _, ok := range []string{
		`{"tunnel":"endpoint","core_cidrs":["10.0.0.0/8"]}`,
		`{"tunnel":"endpoint","core_pod_labels":{"app":"atrium"}}`,
		`{"tunnel":"endpoint","network_policy":false}`,
		`{"tunnel":"socket"}`,
	} {
		if _, err := parseConfig([]byte(ok)); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
}
