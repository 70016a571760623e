package connect_test

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// progressRuntime reports phases the way a careless author might: one out
// of order and one after StartSession returned. The host must see only the
// ordered ones, before the result.
type progressRuntime struct {
	*fakeRuntime
	late chan struct{}
}

func (p progressRuntime) StartSession(ctx context.Context, req runtime.StartRequest) (runtime.StartResponse, error) {
	req.Progress(runtime.Progress{Phase: runtime.PhaseScheduled, Message: "accepted"})
	req.Progress(runtime.Progress{Phase: runtime.PhaseImageReady, Message: "img present"})
	req.Progress(runtime.Progress{Phase: runtime.PhaseScheduled, Message: "backwards"})
	req.Progress(runtime.Progress{Phase: runtime.PhaseContainerStarted, Message: "c1"})
	req.Progress(runtime.Progress{Phase: runtime.PhaseContainerStarted, Message: "c1 again"})
	go func() {
		defer close(p.late)
		req.Progress(runtime.Progress{Phase: runtime.PhaseWaitingForApp, Message: "too late"})
	}()
	return p.fakeRuntime.StartSession(ctx, req)
}

func (p progressRuntime) ResumeSession(_ context.Context, req runtime.ResumeRequest) (runtime.ResumeResponse, error) {
	req.Progress(runtime.Progress{Phase: runtime.PhaseContainerStarted, Message: "resumed"})
	return runtime.ResumeResponse{Status: runtime.Status{State: runtime.StateRunning, InstanceID: "i-2"}}, nil
}

type progressSeen struct {
	mu  sync.Mutex
	got []runtime.Progress
}

func (s *progressSeen) add(p runtime.Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, p)
}

func (s *progressSeen) all() []runtime.Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]runtime.Progress(nil), s.got...)
}

func TestStartProgressCrossesTheWireInOrder(t *testing.T) {
	ctx := context.Background()
	impl := progressRuntime{fakeRuntime: &fakeRuntime{}, late: make(chan struct{})}
	rt := configured(t, impl, "")

	var seen progressSeen
	resp, err := rt.StartSession(ctx, runtime.StartRequest{Session: runtime.Session{ID: "s1"}, Progress: seen.add})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	if resp.Status.InstanceID != "i-1" || string(resp.Handle.Data) != "s1" {
		t.Errorf("StartSession result %+v, want the plugin's handle and status", resp)
	}
	<-impl.late
	want := []runtime.Progress{
		{Phase: runtime.PhaseScheduled, Message: "accepted"},
		{Phase: runtime.PhaseImageReady, Message: "img present"},
		{Phase: runtime.PhaseContainerStarted, Message: "c1"},
		{Phase: runtime.PhaseContainerStarted, Message: "c1 again"},
	}
	if got := seen.all(); !reflect.DeepEqual(got, want) {
		t.Errorf("host saw progress\n %v\nwant\n %v", got, want)
	}

	var resumed progressSeen
	rres, err := rt.ResumeSession(ctx, runtime.ResumeRequest{SessionID: "s1", Handle: resp.Handle, Progress: resumed.add})
	if err != nil {
		t.Fatalf("ResumeSession: %v", err)
	}
	if rres.Status.InstanceID != "i-2" {
		t.Errorf("ResumeSession result %+v, want instance i-2", rres)
	}
	if got, want := resumed.all(), []runtime.Progress{{Phase: runtime.PhaseContainerStarted, Message: "resumed"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("host saw resume progress %v, want %v", got, want)
	}
}

func TestStartWithoutProgressUsesThePlainCall(t *testing.T) {
	impl := progressRuntime{fakeRuntime: &fakeRuntime{}, late: make(chan struct{})}
	rt := configured(t, impl, "")
	// A host that takes no progress still starts; the author's reports go
	// nowhere.
	if _, err := rt.StartSession(context.Background(), runtime.StartRequest{Session: runtime.Session{ID: "s1"}}); err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	<-impl.late
}
