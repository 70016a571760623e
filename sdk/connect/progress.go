package connect

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"

	pluginv1 "github.com/atrium-hq/atrium/sdk/proto/atrium/plugin/v1"
	runtimev1 "github.com/atrium-hq/atrium/sdk/proto/atrium/runtime/v1"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// capability remembers whether one plugin process reported a capability.
// Kind clients live as long as their process, so one answer holds; a
// failed question is asked again next time.
type capability struct {
	mu    sync.Mutex
	known bool
	yes   bool
}

func (c *capability) has(ctx context.Context, base pluginv1.PluginServiceClient, name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known {
		return c.yes
	}
	resp, err := base.GetInfo(ctx, &pluginv1.GetInfoRequest{})
	if err != nil {
		// The plain call will meet the same trouble and report it.
		return false
	}
	c.known, c.yes = true, slices.Contains(resp.GetCapabilities(), name)
	return c.yes
}

// receiveWithProgress reads a progress stream: it hands each progress
// message to report and returns the result that ends the stream. Errors
// are the plugin's, as the plain call would return them.
func receiveWithProgress[M any, R any](stream interface{ Recv() (M, error) }, report func(runtime.Progress), progress func(M) *runtimev1.Progress, result func(M) *R) (*R, error) {
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the runtime plugin ended its progress stream without a result; upgrade the plugin")
		}
		if err != nil {
			return nil, fromStatus(err)
		}
		if p := progress(msg); p != nil {
			report(runtime.Progress{Phase: runtime.Phase(p.GetPhase()), Message: p.GetMessage()})
			continue
		}
		if r := result(msg); r != nil {
			return r, nil
		}
	}
}
