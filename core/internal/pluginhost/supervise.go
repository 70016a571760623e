package pluginhost

import (
	"context"
	"errors"
	"time"
)

// exitPoll is how often the supervisor looks for a dead process. go-plugin
// notices the exit itself; polling its flag costs nothing.
const exitPoll = 200 * time.Millisecond

// unhealthyLimit is how many failed health checks in a row make the
// supervisor replace a live but broken process.
const unhealthyLimit = 3

// supervise watches the process until ctx ends, restarting it with backoff
// when it dies or stops answering health checks.
func (i *Instance) supervise(ctx context.Context) {
	tick := time.NewTicker(exitPoll)
	defer tick.Stop()
	nextHealth := time.Now().Add(i.host.opts.HealthInterval)
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		i.mu.RLock()
		exited := i.client == nil || i.client.Exited()
		i.mu.RUnlock()
		if exited {
			i.restart(ctx, errors.New("plugin process exited"))
			nextHealth, failures = time.Now().Add(i.host.opts.HealthInterval), 0
			continue
		}
		if time.Now().Before(nextHealth) {
			continue
		}
		nextHealth = time.Now().Add(i.host.opts.HealthInterval)
		if err := i.checkHealth(ctx); err != nil {
			failures++
			i.setState(StateUnhealthy, err)
			if failures >= unhealthyLimit {
				i.restart(ctx, err)
				failures = 0
			}
			continue
		}
		failures = 0
		i.setState(StateHealthy, nil)
	}
}

func (i *Instance) checkHealth(ctx context.Context) error {
	i.mu.RLock()
	base := i.base
	i.mu.RUnlock()
	ctx, cancel := context.WithTimeout(ctx, i.host.opts.CallTimeout)
	defer cancel()
	return base.Health(ctx)
}

func (i *Instance) setState(s State, err error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.state = s
	if err != nil {
		i.lastErr = err.Error()
	}
}

// restart replaces the process, retrying with exponential backoff until it
// serves again or ctx ends, then tells the host's subscribers.
func (i *Instance) restart(ctx context.Context, cause error) {
	h := i.host
	h.log.Error("plugin down; restarting", "instance", i.spec.Name, "error", cause)
	i.kill()
	i.setState(StateRestarting, cause)
	h.emit(Event{Name: i.spec.Name, Kind: i.spec.Kind, Type: EventDown, Err: cause})

	backoff := 100 * time.Millisecond
	for {
		err := i.launch(ctx, false)
		if err == nil {
			break
		}
		i.setState(StateRestarting, err)
		h.log.Error("plugin restart failed", "instance", i.spec.Name, "error", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, h.opts.MaxBackoff)
	}
	i.mu.Lock()
	i.restarts++
	i.mu.Unlock()
	h.emit(Event{Name: i.spec.Name, Kind: i.spec.Kind, Type: EventRestarted})
}
