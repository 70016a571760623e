package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// exitPoll is how often the supervisor looks for a dead process. go-plugin
// notices the exit itself; polling its flag costs nothing.
const exitPoll = 200 * time.Millisecond

// unhealthyLimit is how many failed health checks in a row make the
// supervisor replace a live but broken process.
const unhealthyLimit = 3

// firstBackoff is the delay before the first relaunch of a plugin that was
// stable; each failure without a stable run in between doubles it.
const firstBackoff = 100 * time.Millisecond

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

// restart replaces the process, then tells the host's subscribers. The
// backoff between launches survives a launch that works: only a process
// that served for StableAfter resets it, so a plugin that dies right after
// each start is not relaunched at full speed forever. After CircuitAfter
// failures in a row the circuit opens: callers are refused at once with the
// reason, and one launch is tried every CircuitCooldown until one holds.
func (i *Instance) restart(ctx context.Context, cause error) {
	h := i.host
	h.log.Error("plugin down; restarting", "instance", i.spec.Name, "error", cause)
	i.kill()
	i.mu.Lock()
	if !i.startedAt.IsZero() && time.Since(i.startedAt) >= h.opts.StableAfter {
		i.failures, i.backoff = 0, 0
	}
	i.mu.Unlock()
	i.setState(StateRestarting, cause)
	h.emit(Event{Name: i.spec.Name, Kind: i.spec.Kind, Type: EventDown, Err: cause})

	for {
		delay := i.fail(cause)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		err := i.launch(ctx, false)
		if err == nil {
			break
		}
		cause = err
		h.log.Error("plugin restart failed", "instance", i.spec.Name, "error", err)
	}
	i.mu.Lock()
	i.restarts++
	i.mu.Unlock()
	h.emit(Event{Name: i.spec.Name, Kind: i.spec.Kind, Type: EventRestarted})
}

// fail counts one failure of the plugin (a death before it was stable, or
// a launch that did not serve) and returns how long to wait before the
// next launch, opening the circuit when there have been too many.
func (i *Instance) fail(cause error) time.Duration {
	h := i.host
	i.mu.Lock()
	defer i.mu.Unlock()
	i.failures++
	i.lastErr = cause.Error()
	if i.failures >= h.opts.CircuitAfter {
		i.state = StateCircuitOpen
		i.retryAt = time.Now().Add(h.opts.CircuitCooldown)
		i.lastErr = fmt.Sprintf("failed %d times in a row without serving %s; last: %v", i.failures, h.opts.StableAfter, cause)
		h.log.Error("plugin keeps failing; circuit open", "instance", i.spec.Name,
			"failures", i.failures, "retry_at", i.retryAt, "error", cause)
		return h.opts.CircuitCooldown
	}
	i.state = StateRestarting
	if i.backoff == 0 {
		i.backoff = firstBackoff
	} else {
		i.backoff = min(i.backoff*2, h.opts.MaxBackoff)
	}
	h.log.Info("relaunching plugin", "instance", i.spec.Name, "failures", i.failures, "in", i.backoff)
	return i.backoff
}
