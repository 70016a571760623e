package kube

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// startMargin is the time StartSession keeps from its deadline to answer:
// a pod still pending then is reported "starting", which the core keeps
// watching, rather than the call timing out.
const startMargin = 2 * time.Second

// defaultStartWait bounds the wait for a running pod when the call has no
// deadline.
const defaultStartWait = 50 * time.Second

// StartSession stores the session's spec and secrets, makes sure the home
// claim exists and creates the pod. Called again for the same session, it
// reuses a live pod of the same spec and replaces anything else.
func (r *Runtime) StartSession(ctx context.Context, req runtime.StartRequest) (runtime.StartResponse, error) {
	c, err := r.cluster()
	if err != nil {
		return runtime.StartResponse{}, err
	}
	if err := checkSpec(req.Session, req.Spec); err != nil {
		return runtime.StartResponse{}, err
	}
	if err := c.putSecret(ctx, req.Session, req.Spec); err != nil {
		return runtime.StartResponse{}, err
	}
	if req.Spec.HomeVolume != "" {
		if err := c.ensureHome(ctx, req.Session, req.Spec.HomeVolume); err != nil {
			return runtime.StartResponse{}, err
		}
	}
	pod, err := c.run(ctx, req.Session, req.Spec, req.Progress)
	if err != nil {
		return runtime.StartResponse{}, err
	}
	return runtime.StartResponse{Handle: handleOf(c.cfg.namespace, pod.Name, pod), Status: c.statusOf(pod, nil, time.Now())}, nil
}

// ResumeSession creates the pod of a hibernated session again from the
// spec its Secret keeps: a new pod, so a new instance id.
func (r *Runtime) ResumeSession(ctx context.Context, req runtime.ResumeRequest) (runtime.ResumeResponse, error) {
	c, err := r.cluster()
	if err != nil {
		return runtime.ResumeResponse{}, err
	}
	sec, err := c.getSecret(ctx, req.SessionID)
	if err != nil {
		return runtime.ResumeResponse{}, err
	}
	if sec == nil {
		return runtime.ResumeResponse{}, fmt.Errorf("session %s has no Secret %s in namespace %s, so nothing to resume from: %w", req.SessionID, podName(req.SessionID), c.cfg.namespace, runtime.ErrSessionNotFound)
	}
	s, spec, err := storedSpec(sec)
	if err != nil {
		return runtime.ResumeResponse{}, err
	}
	pod, err := c.run(ctx, s, spec, req.Progress)
	if err != nil {
		return runtime.ResumeResponse{}, err
	}
	if err := c.markHibernated(ctx, req.SessionID, false); err != nil {
		return runtime.ResumeResponse{}, err
	}
	return runtime.ResumeResponse{Handle: handleOf(c.cfg.namespace, pod.Name, pod), Status: c.statusOf(pod, nil, time.Now())}, nil
}

// run makes the session's pod exist and waits, reporting progress, until it
// runs, fails, or the call's time is nearly up.
func (c *cluster) run(ctx context.Context, s runtime.Session, spec launch.Spec, progress func(runtime.Progress)) (*corev1.Pod, error) {
	log := plugin.Logger().With("session", s.ID)
	want := specDigest(spec)
	api := c.client.CoreV1().Pods(c.cfg.namespace)
	name := podName(s.ID)

	old, err := api.Get(ctx, name, metav1.GetOptions{})
	switch {
	case isNotFound(err):
	case err != nil:
		return nil, c.apiErr("read pod "+name, err)
	case old.DeletionTimestamp == nil && old.Annotations[AnnotationSpec] == want && live(c.statusOf(old, nil, time.Now()).State):
		log.Info("session's pod already exists with this spec; reusing it", "pod", name)
		return c.await(ctx, old, progress)
	default:
		if err := c.deletePod(ctx, name, "replace", 0); err != nil {
			return nil, err
		}
		if err := c.waitGone(ctx, name); err != nil {
			return nil, err
		}
		log.Info("replaced a leftover pod before starting the session", "pod", name)
	}

	pod, err := c.buildPod(s, spec, want)
	if err != nil {
		return nil, err
	}
	created, err := api.Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return nil, c.apiErr("create pod "+name+" (image "+spec.Image+")", err)
	}
	log.Info("created session pod", "pod", name, "uid", created.UID, "image", spec.Image)
	return c.await(ctx, created, progress)
}

// live says whether a pod in state st can serve the session.
func live(st runtime.State) bool { return st == runtime.StateRunning || st == runtime.StateStarting }

// await watches pod until its container runs, reporting scheduled,
// image_ready and container_started as they happen. A pod that cannot run
// (its image cannot be had) is deleted and its reason returned as the
// error; a pod still pending when the call's time is up is returned as it
// is, and its status says "starting".
func (c *cluster) await(ctx context.Context, pod *corev1.Pod, progress func(runtime.Progress)) (*corev1.Pod, error) {
	seen := map[runtime.Phase]bool{}
	report := func(p runtime.Progress) {
		if progress != nil && !seen[p.Phase] {
			seen[p.Phase] = true
			progress(p)
		}
	}
	wait := defaultStartWait
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl) - startMargin
	}
	wctx, cancel := context.WithTimeout(ctx, max(wait, 0))
	defer cancel()

	var w watch.Interface
	for {
		st := c.statusOf(pod, nil, time.Now())
		reportPhases(pod, report)
		switch st.State {
		case runtime.StateRunning:
			return pod, nil
		case runtime.StateExited:
			if pod.DeletionTimestamp == nil {
				_ = c.deletePod(context.WithoutCancel(ctx), pod.Name, "failed-start", 0)
			}
			return nil, fmt.Errorf("pod %s of session %s did not start: %s", pod.Name, pod.Labels[LabelSession], st.Message)
		}
		if w == nil {
			var err error
			w, err = c.client.CoreV1().Pods(pod.Namespace).Watch(wctx, metav1.ListOptions{
				FieldSelector:   fields.OneTermEqualSelector("metadata.name", pod.Name).String(),
				ResourceVersion: pod.ResourceVersion,
			})
			if err != nil {
				if wctx.Err() != nil {
					return pod, nil
				}
				return nil, c.apiErr("watch pod "+pod.Name, err)
			}
			defer w.Stop()
		}
		select {
		case <-wctx.Done():
			return pod, nil // still starting; the core watches on
		case ev, ok := <-w.ResultChan():
			if !ok {
				w = nil
				continue
			}
			switch ev.Type {
			case watch.Deleted:
				return nil, fmt.Errorf("pod %s was deleted while it started", pod.Name)
			case watch.Added, watch.Modified:
				if p, ok := ev.Object.(*corev1.Pod); ok {
					pod = p
				}
			}
		}
	}
}

// reportPhases reports what pod shows of its start, in phase order; the
// caller drops repeats.
func reportPhases(pod *corev1.Pod, progress func(runtime.Progress)) {
	if cond := podCondition(pod, corev1.PodScheduled); cond != nil && cond.Status == corev1.ConditionTrue {
		progress(runtime.Progress{Phase: runtime.PhaseScheduled, Message: "pod " + pod.Name + " scheduled to node " + pod.Spec.NodeName})
	}
	cs := sessionContainer(pod)
	if cs == nil {
		return
	}
	if cs.ImageID != "" || cs.State.Running != nil || cs.State.Terminated != nil {
		progress(runtime.Progress{Phase: runtime.PhaseImageReady, Message: "image " + cs.Image + " is on node " + pod.Spec.NodeName})
	}
	if cs.State.Running != nil {
		progress(runtime.Progress{Phase: runtime.PhaseContainerStarted, Message: "container started in pod " + pod.Name})
	}
}
