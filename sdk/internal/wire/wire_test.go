package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/atrium-hq/atrium/sdk/internal/protocol"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

func TestSchemaRoundTrip(t *testing.T) {
	in := schema.Object{
		Attrs: map[string]schema.Attr{
			"host":    {Type: "string", Required: true, Description: "where"},
			"port":    {Type: "number", Default: 5432},
			"tags":    {Type: "list(string)", Default: []string{"a", "b"}},
			"token":   {Type: "string", Sensitive: true},
			"enabled": {Type: "bool", Default: false},
		},
		Blocks: map[string]schema.Block{
			"tls": {Nesting: schema.NestingSingle, Required: true, Description: "tls", Body: schema.Object{
				Attrs: map[string]schema.Attr{"ca": {Type: "string"}},
			}},
			"mount": {Nesting: schema.NestingList, MinItems: 1, MaxItems: 3, Body: schema.Object{
				Blocks: map[string]schema.Block{"opt": {Nesting: schema.NestingMap}},
			}},
		},
	}
	p, err := SchemaToProto(in)
	if err != nil {
		t.Fatalf("SchemaToProto: %v", err)
	}
	out := SchemaFromProto(p)

	// On the host side each Default is the attribute's JSON.
	want := in
	want.Attrs = map[string]schema.Attr{}
	for name, a := range in.Attrs {
		if a.Default != nil {
			raw, _ := json.Marshal(a.Default)
			a.Default = json.RawMessage(raw)
		}
		want.Attrs[name] = a
	}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("schema changed on the wire:\n got %#v\nwant %#v", out, want)
	}
	if got := string(out.Attrs["enabled"].Default.(json.RawMessage)); got != "false" {
		t.Errorf("a false default arrived as %q, want \"false\"", got)
	}
	if out.Attrs["host"].Default != nil {
		t.Errorf("an attribute without default arrived with %#v", out.Attrs["host"].Default)
	}
}

func TestSchemaDefaultThatDoesNotEncode(t *testing.T) {
	in := schema.Object{Blocks: map[string]schema.Block{"b": {Nesting: schema.NestingSingle, Body: schema.Object{
		Attrs: map[string]schema.Attr{"f": {Type: "any", Default: func() {}}},
	}}}}
	_, err := SchemaToProto(in)
	if err == nil {
		t.Fatal("SchemaToProto accepted a default that JSON cannot encode")
	}
	if want := `"b.f"`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the attribute %s", err, want)
	}
}

func TestSpecRoundTrip(t *testing.T) {
	in := launch.Spec{
		Image:      "atrium/desktop:1",
		Command:    []string{"/bin/run", "--flag"},
		Env:        map[string]string{"A": "1"},
		Secrets:    map[string]string{"PW": "x"},
		Resources:  launch.Resources{CPU: 1.5, MemoryBytes: 1 << 30, Pids: 100},
		Ports:      []launch.Port{{Name: "vnc", Port: 5901}, {Name: "http", Port: 8080}},
		HomePath:   "/home/atrium",
		HomeVolume: "user-1",
		User:       "1000:1000",
		WorkingDir: "/work",
	}
	p, err := SpecToProto(in)
	if err != nil {
		t.Fatalf("SpecToProto: %v", err)
	}
	if out := SpecFromProto(p); !reflect.DeepEqual(out, in) {
		t.Fatalf("spec changed on the wire:\n got %#v\nwant %#v", out, in)
	}
	if out := SpecFromProto(nil); !reflect.DeepEqual(out, launch.Spec{}) {
		t.Errorf("a nil spec decoded as %#v, want the zero spec", out)
	}
}

func TestPortsOutOfRange(t *testing.T) {
	for _, n := range []int{0, -1, 65536} {
		if _, err := SpecToProto(launch.Spec{Ports: []launch.Port{{Name: "p", Port: n}}}); err == nil {
			t.Errorf("SpecToProto accepted port %d", n)
		}
	}
}

func TestKindRoundTrip(t *testing.T) {
	for _, k := range []plugin.Kind{plugin.KindRuntime, plugin.KindWorkspace, plugin.KindAuth, ""} {
		if got := KindFromProto(KindToProto(k)); got != k {
			t.Errorf("kind %q came back as %q", k, got)
		}
	}
}

func TestTime(t *testing.T) {
	if UnixNano(time.Time{}) != 0 || !Time(0).IsZero() {
		t.Error("the zero time does not travel as 0")
	}
	now := time.Now()
	if got := Time(UnixNano(now)); !got.Equal(now) {
		t.Errorf("time %v came back as %v", now, got)
	}
	if got := Duration(Millis(1500 * time.Millisecond)); got != 1500*time.Millisecond {
		t.Errorf("1.5s came back as %v", got)
	}
}

var errMine = errors.New("my sentinel")

func TestErrorsCrossTheWire(t *testing.T) {
	mine := Sentinel{Err: errMine, Code: codes.NotFound}
	tests := []struct {
		name     string
		err      error
		code     codes.Code
		sentinel error
	}{
		{"plain", errors.New("disk full"), codes.Unknown, nil},
		{"extra sentinel", fmt.Errorf("session s1: %w", errMine), codes.NotFound, errMine},
		{"unsupported", fmt.Errorf("logout: %w", protocol.ErrUnsupported), codes.Unimplemented, protocol.ErrUnsupported},
		{"canceled", fmt.Errorf("list: %w", context.Canceled), codes.Canceled, context.Canceled},
		{"deadline", fmt.Errorf("list: %w", context.DeadlineExceeded), codes.DeadlineExceeded, context.DeadlineExceeded},
		{"backend status", status.Error(codes.NotFound, "containerd: no such container"), codes.Unknown, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := ToStatus(tt.err, mine)
			if got := status.Code(st); got != tt.code {
				t.Fatalf("code %v, want %v", got, tt.code)
			}
			back := FromStatus(st, mine)
			if back.Error() != tt.err.Error() {
				t.Errorf("message %q, want the plugin's %q", back.Error(), tt.err.Error())
			}
			if tt.sentinel != nil && !errors.Is(back, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) is false on the host side", back, tt.sentinel)
			}
			if tt.sentinel == nil && errors.Is(back, errMine) {
				t.Errorf("%v matches a sentinel it never carried", back)
			}
		})
	}
	if ToStatus(nil) != nil || FromStatus(nil) != nil {
		t.Error("nil errors must stay nil")
	}
	transport := status.Error(codes.Unavailable, "connection refused")
	if got := FromStatus(transport).Error(); got != "Unavailable: connection refused" {
		t.Errorf("a transport failure reads %q; it should name its code", got)
	}
	plain := errors.New("not a status")
	if FromStatus(plain) != plain {
		t.Error("a non-status error must pass through unchanged")
	}
}
