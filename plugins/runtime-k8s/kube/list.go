package kube

import (
	"context"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// ListSessions lists the sessions of this runtime block whose labels all
// match: those with a pod, and the hibernated ones, which have only a
// Secret.
func (r *Runtime) ListSessions(ctx context.Context, req runtime.ListRequest) (runtime.ListResponse, error) {
	c, err := r.cluster()
	if err != nil {
		return runtime.ListResponse{}, err
	}
	sel := c.selector(req.Labels)
	pods, err := c.client.CoreV1().Pods(c.cfg.namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return runtime.ListResponse{}, c.apiErr("list session pods", err)
	}
	secrets, err := c.client.CoreV1().Secrets(c.cfg.namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return runtime.ListResponse{}, c.apiErr("list session Secrets", err)
	}
	now := time.Now()
	found := map[string]runtime.ListedSession{}
	for i := range pods.Items {
		p := &pods.Items[i]
		id := sessionID(p.ObjectMeta)
		found[id] = runtime.ListedSession{SessionID: id, Handle: handleOf(c.cfg.namespace, p.Name, p), Status: c.statusOf(p, nil, now), Labels: p.Labels}
	}
	for i := range secrets.Items {
		s := &secrets.Items[i]
		id := sessionID(s.ObjectMeta)
		if _, ok := found[id]; !ok {
			found[id] = runtime.ListedSession{SessionID: id, Handle: handleOf(c.cfg.namespace, s.Name, nil), Status: c.statusOf(nil, s, now), Labels: s.Labels}
		}
	}
	out := runtime.ListResponse{}
	for _, s := range found {
		out.Sessions = append(out.Sessions, s)
	}
	sort.Slice(out.Sessions, func(i, j int) bool { return out.Sessions[i].SessionID < out.Sessions[j].SessionID })
	return out, nil
}

// selector matches this runtime block's objects with the labels given.
func (c *cluster) selector(want map[string]string) string {
	set := labels.Set{LabelManaged: managedValue}
	set[LabelRuntime], _ = labelValue(c.instance)
	for k, v := range want {
		set[k], _ = labelValue(v)
	}
	return labels.SelectorFromSet(set).String()
}

// sessionID is the session an object belongs to: its label, or the
// original value when the label holds a digest.
func sessionID(m metav1.ObjectMeta) string {
	if orig := originalLabels(m); orig[LabelSession] != "" {
		return orig[LabelSession]
	}
	return m.Labels[LabelSession]
}

// isSessionPod tells the plugin's session pods from anything else.
func isSessionPod(p *corev1.Pod) bool {
	return p.Labels[LabelManaged] == managedValue && sessionID(p.ObjectMeta) != ""
}
