package config

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/atrium-hq/atrium/sdk/schema"
)

// runtimeWith parses a config whose runtime "r" has body as its inside
// (starting on line 7) and returns the Config and that runtime.
func runtimeWith(t *testing.T, body string) (*Config, *Runtime) {
	t.Helper()
	src := `plugin "p" {
  path   = "p"
  sha256 = "` + digest + `"
}
runtime "r" {
  plugin = "p"
` + body + `}
`
	cfg := mustParse(t, src)
	return cfg, cfg.Runtime("r")
}

// decodeRuntime decodes runtime "r"'s config against s.
func decodeRuntime(t *testing.T, body string, s schema.Object) (json.RawMessage, hcl.Diagnostics) {
	t.Helper()
	cfg, r := runtimeWith(t, body)
	return DecodePluginConfig(r.Config, s, cfg.EvalContext())
}

// checkJSON asserts that got and want hold the same JSON value.
func checkJSON(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("result is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("decoded config\n got %s\nwant %s", got, want)
	}
}

// raw is a host-side default: JSON as it arrives over the wire.
func raw(s string) json.RawMessage { return json.RawMessage(s) }

func TestDecodePluginConfigTypes(t *testing.T) {
	t.Setenv("ATRIUM_TEST_TOKEN", "tok")
	s := schema.Object{Attrs: map[string]schema.Attr{
		"host":    {Type: "string", Required: true},
		"port":    {Type: "number", Default: raw("2375")},
		"tls":     {Type: "bool", Default: raw("false")},
		"tags":    {Type: "list(string)"},
		"weights": {Type: "map(number)"},
		"limits":  {Type: "object({ cpu = number, name = string })"},
		"extra":   {Type: "any"},
		"token":   {Type: "string", Sensitive: true},
		"unset":   {Type: "string"},
		"anydef":  {Type: "any", Default: raw(`{"a":[1,"x"]}`)},
		"godef":   {Type: "list(number)", Default: []int{1, 2}},
	}}
	got, diags := decodeRuntime(t, `  config {
    host    = "unix:///var/run/docker.sock"
    tls     = true
    tags    = ["a", "b"]
    weights = { a = 1, b = 2.5 }
    limits  = { cpu = "2", name = "x" }
    extra   = [1, "two", { three = 3 }]
    token   = env("ATRIUM_TEST_TOKEN")
  }
`, s)
	if diags.HasErrors() {
		t.Fatalf("diagnostics: %v", diags)
	}
	checkJSON(t, got, `{
		"host": "unix:///var/run/docker.sock", "port": 2375, "tls": true,
		"tags": ["a", "b"], "weights": {"a": 1, "b": 2.5},
		"limits": {"cpu": 2, "name": "x"}, "extra": [1, "two", {"three": 3}],
		"token": "tok", "unset": null, "anydef": {"a": [1, "x"]}, "godef": [1, 2]
	}`)
}

func TestDecodePluginConfigBlocks(t *testing.T) {
	s := schema.Object{Blocks: map[string]schema.Block{
		"tls": {Nesting: schema.NestingSingle, Body: schema.Object{Attrs: map[string]schema.Attr{
			"ca":     {Type: "string", Required: true},
			"verify": {Type: "bool", Default: raw("true")},
		}}},
		"proxy": {Nesting: schema.NestingSingle, Body: schema.Object{Attrs: map[string]schema.Attr{
			"url": {Type: "string"},
		}}},
		"mount": {Nesting: schema.NestingList, MaxItems: 3, Body: schema.Object{Attrs: map[string]schema.Attr{
			"source": {Type: "string", Required: true},
			"ro":     {Type: "bool", Default: raw("false")},
		}}},
		"volume": {Nesting: schema.NestingMap, Body: schema.Object{Attrs: map[string]schema.Attr{
			"size": {Type: "string"},
		}}},
		"label": {Nesting: schema.NestingMap, Body: schema.Object{Attrs: map[string]schema.Attr{
			"value": {Type: "any"},
		}}},
		"hook": {Nesting: schema.NestingList, Body: schema.Object{Attrs: map[string]schema.Attr{
			"arg": {Type: "any"},
		}}},
	}}
	got, diags := decodeRuntime(t, `  config {
    tls {
      ca = "/etc/ca.pem"
    }
    mount {
      source = "/a"
    }
    mount {
      source = "/b"
      ro     = true
    }
    volume "home" {
      size = "10GiB"
    }
    volume "scratch" {}
    label "a" {
      value = 1
    }
    label "b" {
      value = "x"
    }
    hook {
      arg = true
    }
    hook {
      arg = [1]
    }
  }
`, s)
	if diags.HasErrors() {
		t.Fatalf("diagnostics: %v", diags)
	}
	checkJSON(t, got, `{
		"tls": {"ca": "/etc/ca.pem", "verify": true},
		"proxy": null,
		"mount": [{"source": "/a", "ro": false}, {"source": "/b", "ro": true}],
		"volume": {"home": {"size": "10GiB"}, "scratch": {"size": null}},
		"label": {"a": {"value": 1}, "b": {"value": "x"}},
		"hook": [{"arg": true}, {"arg": [1]}]
	}`)
}

func TestDecodePluginConfigErrors(t *testing.T) {
	s := schema.Object{
		Attrs: map[string]schema.Attr{
			"host": {Type: "string", Required: true},
			"port": {Type: "number"},
		},
		Blocks: map[string]schema.Block{
			"tls": {Nesting: schema.NestingSingle, Required: true, Body: schema.Object{Attrs: map[string]schema.Attr{
				"ca": {Type: "string"},
			}}},
			"mount": {Nesting: schema.NestingList, MinItems: 1, MaxItems: 1, Body: schema.Object{Attrs: map[string]schema.Attr{
				"ro": {Type: "bool"},
			}}},
		},
	}
	tests := []struct {
		name string
		body string
		want []wantDiag
	}{
		{
			name: "no config block: required things reported at the runtime block",
			body: "",
			want: []wantDiag{{5, "Insufficient mount blocks"}, {5, "Missing required argument"}, {5, "Missing tls block"}},
		},
		{
			name: "unknown attribute, wrong type, nested wrong type, too many blocks",
			body: `  config {
    host  = "h"
    hots  = "h"
    port  = "eighty"
    tls {
      ca = ["x"]
    }
    mount {}
    mount {}
  }
`,
			want: []wantDiag{{9, "Unsupported argument"}, {10, "Incorrect attribute value type"}, {12, "Incorrect attribute value type"}, {15, "Too many mount blocks"}},
		},
		{
			name: "unknown block",
			body: "  config {\n    host = \"h\"\n    tls {}\n    mount {}\n    tsl {}\n  }\n",
			want: []wantDiag{{11, "Unsupported block type"}},
		},
		{
			name: "function error inside config",
			body: "  config {\n    host = env(\"ATRIUM_TEST_SURELY_UNSET\")\n    tls {}\n    mount {}\n  }\n",
			want: []wantDiag{{8, "Invalid function argument"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := decodeRuntime(t, tt.body, s)
			if got != nil {
				t.Errorf("result %s alongside errors, want nil", got)
			}
			checkDiags(t, diags, tt.want...)
		})
	}
}

func TestDecodePluginConfigHidesSensitiveValues(t *testing.T) {
	const secret = "p4ssw0rd-literal"
	s := schema.Object{Blocks: map[string]schema.Block{
		"db": {Nesting: schema.NestingSingle, Body: schema.Object{Attrs: map[string]schema.Attr{
			"password": {Type: "number", Sensitive: true},
			"user":     {Type: "number"},
		}}},
	}}
	cfg, r := runtimeWith(t, "  config {\n    db {\n      password = \""+secret+"\"\n      user = \"visible\"\n    }\n  }\n")
	_, diags := DecodePluginConfig(r.Config, s, cfg.EvalContext())
	checkDiags(t, diags, wantDiag{9, "Incorrect attribute value type"}, wantDiag{10, "Incorrect attribute value type"})
	if !isSensitive(diags[0]) || isSensitive(diags[1]) {
		t.Errorf("sensitive marks = %v %v, want true false", isSensitive(diags[0]), isSensitive(diags[1]))
	}

	err := cfg.DiagnosticsError(diags)
	d := diagnosticsOf(t, err)
	var buf bytes.Buffer
	if err := d.WriteText(&buf, 0, false); err != nil {
		t.Fatal(err)
	}
	out := buf.String() + d.Error()
	if strings.Contains(out, secret) {
		t.Errorf("diagnostics show the sensitive value:\n%s", out)
	}
	if !strings.Contains(out, `user = "visible"`) || !strings.Contains(out, "test.hcl:9:18") {
		t.Errorf("diagnostics lack the non-sensitive snippet or the location:\n%s", out)
	}
}

func TestDecodePluginConfigBadSchema(t *testing.T) {
	tests := []struct {
		name   string
		schema schema.Object
		want   []string
	}{
		{
			name:   "unparseable type",
			schema: schema.Object{Attrs: map[string]schema.Attr{"port": {Type: "lst(string"}}},
			want:   []string{`attribute "port"`, `"lst(string"`},
		},
		{
			name:   "not a type",
			schema: schema.Object{Attrs: map[string]schema.Attr{"port": {Type: "strin"}}},
			want:   []string{`attribute "port"`, `"strin"`},
		},
		{
			name:   "empty type",
			schema: schema.Object{Attrs: map[string]schema.Attr{"port": {}}},
			want:   []string{`attribute "port"`, "empty"},
		},
		{
			name: "nested, with a path",
			schema: schema.Object{Blocks: map[string]schema.Block{"tls": {Nesting: schema.NestingSingle, Body: schema.Object{
				Attrs: map[string]schema.Attr{"ca": {Type: "list("}},
			}}}},
			want: []string{`attribute "tls.ca"`},
		},
		{
			name:   "default of the wrong type",
			schema: schema.Object{Attrs: map[string]schema.Attr{"port": {Type: "number", Default: raw(`"eighty"`)}}},
			want:   []string{`attribute "port"`, "default"},
		},
		{
			name:   "default that is not JSON",
			schema: schema.Object{Attrs: map[string]schema.Attr{"x": {Type: "any", Default: raw(`{`)}}},
			want:   []string{`attribute "x"`, "default"},
		},
		{
			name:   "required with a default",
			schema: schema.Object{Attrs: map[string]schema.Attr{"port": {Type: "number", Required: true, Default: raw("1")}}},
			want:   []string{`attribute "port"`, "required"},
		},
		{
			name:   "bad nesting",
			schema: schema.Object{Blocks: map[string]schema.Block{"tls": {}}},
			want:   []string{`block "tls"`, "nesting"},
		},
		{
			name:   "bad bounds",
			schema: schema.Object{Blocks: map[string]schema.Block{"m": {Nesting: schema.NestingList, MinItems: 3, MaxItems: 1}}},
			want:   []string{`block "m"`, "MinItems"},
		},
		{
			name:   "name clash",
			schema: schema.Object{Attrs: map[string]schema.Attr{"x": {Type: "string"}}, Blocks: map[string]schema.Block{"x": {Nesting: schema.NestingSingle}}},
			want:   []string{`block "x"`},
		},
		{
			name:   "bad name",
			schema: schema.Object{Attrs: map[string]schema.Attr{"a b": {Type: "string"}}},
			want:   []string{`attribute "a b"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := decodeRuntime(t, "  config {\n  }\n", tt.schema)
			if got != nil {
				t.Errorf("result %s for a bad schema, want nil", got)
			}
			checkDiags(t, diags, wantDiag{7, "Invalid plugin config schema"})
			for _, w := range tt.want {
				if !strings.Contains(diags[0].Detail, w) {
					t.Errorf("detail %q lacks %q", diags[0].Detail, w)
				}
			}
		})
	}
}

func TestDecodePluginConfigNilBody(t *testing.T) {
	got, diags := DecodePluginConfig(nil, schema.Object{Attrs: map[string]schema.Attr{"x": {Type: "string", Default: raw(`"d"`)}}}, NewEvalContext(t.TempDir()))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	checkJSON(t, got, `{"x": "d"}`)
}
