package kube

import (
	"context"
	"fmt"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// StopSession deletes the pod and the session Secret, keeping the home
// claim, and waits until the pod is gone.
func (r *Runtime) StopSession(ctx context.Context, req runtime.StopRequest) (runtime.StopResponse, error) {
	c, err := r.cluster()
	if err != nil {
		return runtime.StopResponse{}, err
	}
	grace := req.Timeout
	if grace <= 0 {
		grace = c.cfg.stopTimeout
	}
	name := podName(req.SessionID)
	if err := c.deletePod(ctx, name, "stop", grace); err != nil {
		return runtime.StopResponse{}, err
	}
	if err := c.deleteSecret(ctx, req.SessionID); err != nil {
		return runtime.StopResponse{}, err
	}
	return runtime.StopResponse{}, c.waitGone(ctx, name)
}

// HibernateSession marks the session hibernated and deletes its pod,
// keeping the Secret (the spec ResumeSession needs) and the home claim.
func (r *Runtime) HibernateSession(ctx context.Context, req runtime.HibernateRequest) (runtime.HibernateResponse, error) {
	c, err := r.cluster()
	if err != nil {
		return runtime.HibernateResponse{}, err
	}
	if err := c.markHibernated(ctx, req.SessionID, true); err != nil {
		return runtime.HibernateResponse{}, fmt.Errorf("hibernate session %s: %w", req.SessionID, err)
	}
	name := podName(req.SessionID)
	if err := c.deletePod(ctx, name, "hibernate", c.cfg.stopTimeout); err != nil {
		return runtime.HibernateResponse{}, err
	}
	return runtime.HibernateResponse{}, c.waitGone(ctx, name)
}

// DestroySession removes the pod and the Secret, and the home claim when
// asked. Nothing left to remove is success.
func (r *Runtime) DestroySession(ctx context.Context, req runtime.DestroyRequest) (runtime.DestroyResponse, error) {
	c, err := r.cluster()
	if err != nil {
		return runtime.DestroyResponse{}, err
	}
	name := podName(req.SessionID)
	if err := c.deletePod(ctx, name, "destroy", time.Second); err != nil {
		return runtime.DestroyResponse{}, err
	}
	if err := c.deleteSecret(ctx, req.SessionID); err != nil {
		return runtime.DestroyResponse{}, err
	}
	if err := c.waitGone(ctx, name); err != nil {
		return runtime.DestroyResponse{}, err
	}
	if req.RemoveHome && req.HomeVolume != "" {
		if err := c.removeHome(ctx, req.HomeVolume); err != nil {
			return runtime.DestroyResponse{}, err
		}
	}
	return runtime.DestroyResponse{}, nil
}

// InspectSession reads the session's pod and Secret.
func (r *Runtime) InspectSession(ctx context.Context, req runtime.InspectRequest) (runtime.InspectResponse, error) {
	c, err := r.cluster()
	if err != nil {
		return runtime.InspectResponse{}, err
	}
	st, _, err := c.inspect(ctx, req.SessionID)
	return runtime.InspectResponse{Status: st}, err
}

// RecoverSession is InspectSession for a fresh process, with a current
// handle.
func (r *Runtime) RecoverSession(ctx context.Context, req runtime.RecoverRequest) (runtime.RecoverResponse, error) {
	c, err := r.cluster()
	if err != nil {
		return runtime.RecoverResponse{}, err
	}
	st, pod, err := c.inspect(ctx, req.SessionID)
	if err != nil {
		return runtime.RecoverResponse{}, err
	}
	return runtime.RecoverResponse{Handle: handleOf(c.cfg.namespace, podName(req.SessionID), pod), Status: st}, nil
}

// inspect reads a session's status and its pod, nil when it has none.
func (c *cluster) inspect(ctx context.Context, id string) (runtime.Status, *corev1.Pod, error) {
	pod, err := c.client.CoreV1().Pods(c.cfg.namespace).Get(ctx, podName(id), metav1.GetOptions{})
	if isNotFound(err) {
		pod = nil
	} else if err != nil {
		return runtime.Status{}, nil, c.apiErr("read pod of session "+id, err)
	}
	var sec *corev1.Secret
	if pod == nil {
		if sec, err = c.getSecret(ctx, id); err != nil {
			return runtime.Status{}, nil, err
		}
	}
	return c.statusOf(pod, sec, time.Now()), pod, nil
}

// deletePod marks the pod with why it is deleted, then deletes it with the
// grace period given. Absent is fine.
func (c *cluster) deletePod(ctx context.Context, name, why string, grace time.Duration) error {
	api := c.client.CoreV1().Pods(c.cfg.namespace)
	patch := `{"metadata":{"annotations":{"` + AnnotationDeleting + `":"` + why + `"}}}`
	if _, err := api.Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); isNotFound(err) {
		return nil
	} else if err != nil {
		return c.apiErr("mark pod "+name+" for deletion", err)
	}
	secs := int64(math.Ceil(grace.Seconds()))
	err := api.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &secs})
	if err != nil && !isNotFound(err) {
		return c.apiErr("delete pod "+name, err)
	}
	return nil
}

// waitGone waits until the pod no longer exists.
func (c *cluster) waitGone(ctx context.Context, name string) error {
	api := c.client.CoreV1().Pods(c.cfg.namespace)
	for {
		pod, err := api.Get(ctx, name, metav1.GetOptions{})
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return c.apiErr("read pod "+name, err)
		}
		w, err := api.Watch(ctx, metav1.ListOptions{
			FieldSelector:   fields.OneTermEqualSelector("metadata.name", name).String(),
			ResourceVersion: pod.ResourceVersion,
		})
		if err != nil {
			return c.apiErr("watch pod "+name, err)
		}
		gone := false
		for ev := range w.ResultChan() {
			if ev.Type == watch.Deleted {
				gone = true
				break
			}
		}
		w.Stop()
		if gone {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("pod %s is still being deleted: %w", name, ctx.Err())
		}
	}
}
