package kube

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// eventsResync is how often the informer replays every cached pod. A replay
// re-reads each status against the clock, which is what turns a pod that
// stays unschedulable past start_timeout into a failure with no pod change.
const eventsResync = 30 * time.Second

// WatchEvents reports each change of a session pod's status: started,
// container died (with its reason, e.g. OOMKilled), evicted, image not to
// be had, waiting for a node (with the scheduler's message), or deleted (by
// Atrium for a stop or hibernation, or by anyone else, which reads as
// exited). A shared informer, selected by the plugin's labels, keeps one
// watch; it relists and rewatches on its own when the watch breaks. Pods in
// its first list are only recorded, so it reports changes.
func (r *Runtime) WatchEvents(ctx context.Context, send func(runtime.Event) error) error {
	c, err := r.cluster()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	factory := informers.NewSharedInformerFactoryWithOptions(c.client, eventsResync,
		informers.WithNamespace(c.cfg.namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = c.selector(nil) }))
	inf := factory.Core().V1().Pods().Informer()
	if err := inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		if ctx.Err() != nil {
			return
		}
		if !inf.HasSynced() {
			// Not even the first list works (RBAC, a wrong namespace):
			// say so rather than retry in silence.
			cancel(c.apiErr("list session pods", err))
			return
		}
		plugin.Logger().Warn("watch of session pods broke; the informer lists and watches again", "host", c.host, "error", err)
	}); err != nil {
		return fmt.Errorf("watch session pods on %s: %w", c.host, err)
	}
	rep := &reporter{c: c, send: send, fail: cancel, last: map[string]runtime.Status{}, timers: map[string]*time.Timer{},
		current: func(p *corev1.Pod) (any, bool) {
			obj, ok, err := inf.GetStore().Get(p)
			return obj, ok && err == nil
		}}
	defer rep.stopTimers()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerDetailedFuncs{
		AddFunc:    func(obj any, initial bool) { rep.pod(obj, initial, false) },
		UpdateFunc: func(_, obj any) { rep.pod(obj, false, false) },
		DeleteFunc: func(obj any) { rep.pod(obj, false, true) },
	}); err != nil {
		return fmt.Errorf("watch session pods on %s: %w", c.host, err)
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	<-ctx.Done()
	if cause := context.Cause(ctx); cause != ctx.Err() {
		return cause // a failed send or first list, not the caller's cancel
	}
	return nil
}

// reporter turns the informer's notifications into session events, sending
// only those that change what the core knows.
type reporter struct {
	c    *cluster
	send func(runtime.Event) error
	fail context.CancelCauseFunc

	// current is the informer's latest copy of a pod, if it still has one.
	current func(*corev1.Pod) (any, bool)

	mu     sync.Mutex
	last   map[string]runtime.Status
	timers map[string]*time.Timer // per session: re-read an unschedulable pod at its start_timeout
	failed bool                   // a send failed: WatchEvents is ending, send no more
}

// recheckAtDeadline re-reads an unschedulable pod the moment its
// start_timeout runs out, so the failure is reported then rather than at
// the next resync (up to eventsResync later). Called with rep.mu held.
func (rep *reporter) recheckAtDeadline(id string, p *corev1.Pod, st runtime.Status) {
	cond := podCondition(p, corev1.PodScheduled)
	if st.State != runtime.StateStarting || cond == nil || cond.Reason != corev1.PodReasonUnschedulable || rep.timers[id] != nil {
		return
	}
	wait := time.Until(p.CreationTimestamp.Add(rep.c.cfg.startTimeout)) + 100*time.Millisecond
	rep.timers[id] = time.AfterFunc(wait, func() {
		rep.mu.Lock()
		delete(rep.timers, id)
		rep.mu.Unlock()
		if obj, ok := rep.current(p); ok {
			rep.pod(obj, false, false)
		}
	})
}

// stopTimers ends the pending deadline re-reads when WatchEvents returns.
func (rep *reporter) stopTimers() {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	for id, t := range rep.timers {
		t.Stop()
		delete(rep.timers, id)
	}
}

// pod reports obj's status if it differs from the last one reported;
// initial pods (the informer's first list) are only recorded.
func (rep *reporter) pod(obj any, initial, deleted bool) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	p, ok := obj.(*corev1.Pod)
	if !ok || !isSessionPod(p) {
		return
	}
	id := sessionID(p.ObjectMeta)
	st := rep.c.statusOf(p, nil, time.Now())
	if deleted {
		st = deletedStatus(p)
	}
	rep.mu.Lock()
	defer rep.mu.Unlock()
	prev, seen := rep.last[id]
	rep.last[id] = st
	if deleted {
		delete(rep.last, id)
	} else {
		rep.recheckAtDeadline(id, p, st)
	}
	if rep.failed || initial || seen && prev.State == st.State && prev.InstanceID == st.InstanceID && prev.Message == st.Message {
		return
	}
	if err := rep.send(runtime.Event{SessionID: id, Status: st, Time: time.Now()}); err != nil {
		rep.failed = true
		rep.fail(err)
	}
}

// deletedStatus is the status a deleted pod leaves its session in.
func deletedStatus(p *corev1.Pod) runtime.Status {
	switch why := p.Annotations[AnnotationDeleting]; why {
	case "hibernate":
		return runtime.Status{State: runtime.StateStopped, InstanceID: string(p.UID), Message: "hibernated"}
	case "stop", "destroy":
		return runtime.Status{State: runtime.StateMissing, InstanceID: string(p.UID), Message: "pod deleted (" + why + ")"}
	case "replace":
		return runtime.Status{State: runtime.StateStarting, InstanceID: string(p.UID), Message: "pod replaced"}
	default:
		return runtime.Status{State: runtime.StateExited, InstanceID: string(p.UID), Message: "the session's pod was deleted" + deletedBy(why)}
	}
}
