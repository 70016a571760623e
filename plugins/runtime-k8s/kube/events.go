package kube

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// WatchEvents reports each change of a session pod's status: started,
// exited, evicted, or deleted (by Atrium for a stop or hibernation, or by
// anyone else, which reads as exited). It lists first, so that it reports
// only changes, then watches from the list's version; when the watch ends
// it watches again from the last version seen.
func (r *Runtime) WatchEvents(ctx context.Context, send func(runtime.Event) error) error {
	c, err := r.cluster()
	if err != nil {
		return err
	}
	api := c.client.CoreV1().Pods(c.cfg.namespace)
	sel := c.selector(nil)
	list, err := api.List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return c.apiErr("list session pods", err)
	}
	last := map[string]runtime.Status{}
	for i := range list.Items {
		p := &list.Items[i]
		last[sessionID(p.ObjectMeta)] = c.statusOf(p, nil, time.Now())
	}
	version := list.ResourceVersion
	for {
		w, err := api.Watch(ctx, metav1.ListOptions{LabelSelector: sel, ResourceVersion: version, AllowWatchBookmarks: true})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return c.apiErr("watch session pods", err)
		}
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				w.Stop()
				return fmt.Errorf("watch session pods on %s: %v", c.host, ev.Object)
			}
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			version = p.ResourceVersion
			if ev.Type == watch.Bookmark || !isSessionPod(p) {
				continue
			}
			id := sessionID(p.ObjectMeta)
			st := c.statusOf(p, nil, time.Now())
			if ev.Type == watch.Deleted {
				st = deletedStatus(p)
			}
			if prev, seen := last[id]; seen && prev.State == st.State && prev.InstanceID == st.InstanceID {
				continue
			}
			last[id] = st
			if ev.Type == watch.Deleted {
				delete(last, id)
			}
			if err := send(runtime.Event{SessionID: id, Status: st, Time: time.Now()}); err != nil {
				w.Stop()
				return err
			}
		}
		w.Stop()
		if ctx.Err() != nil {
			return nil
		}
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
