package k8stest

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WaitPod polls the pod until done says it is where the test wants it,
// failing the test when done returns an error or within passes; it returns
// the pod as last seen. Polling (every 20 ms) rather than a watch keeps the
// helper small and times starts finely enough.
func (c *Cluster) WaitPod(t testing.TB, ctx context.Context, namespace, name string, within time.Duration, done func(*corev1.Pod) (bool, error)) *corev1.Pod {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		pod, err := c.Client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			ok, derr := done(pod)
			if derr != nil {
				t.Fatalf("pod %s/%s: %v", namespace, name, derr)
			}
			if ok {
				return pod
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pod %s/%s not as expected within %s (last error %v, status %s)", namespace, name, within, err, describe(pod))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Succeeded is a WaitPod condition: the pod ran to completion; a failed
// pod is an error.
func Succeeded(pod *corev1.Pod) (bool, error) {
	switch pod.Status.Phase {
	case corev1.PodSucceeded:
		return true, nil
	case corev1.PodFailed:
		return false, fmt.Errorf("failed: %s", describe(pod))
	}
	return false, nil
}

// Running is a WaitPod condition: every container runs and the pod has an
// IP; a pod that ended is an error.
func Running(pod *corev1.Pod) (bool, error) {
	switch pod.Status.Phase {
	case corev1.PodSucceeded, corev1.PodFailed:
		return false, fmt.Errorf("ended before running: %s", describe(pod))
	}
	if pod.Status.PodIP == "" || len(pod.Status.ContainerStatuses) == 0 {
		return false, nil
	}
	for _, s := range pod.Status.ContainerStatuses {
		if s.State.Running == nil {
			return false, nil
		}
	}
	return true, nil
}

// describe sums up a pod's status for a failure message.
func describe(pod *corev1.Pod) string {
	if pod == nil {
		return "unknown"
	}
	s := string(pod.Status.Phase)
	for _, c := range pod.Status.Conditions {
		if c.Status != corev1.ConditionTrue && c.Message != "" {
			s += fmt.Sprintf("; %s: %s", c.Type, c.Message)
		}
	}
	for _, cs := range pod.Status.ContainerStatuses {
		switch {
		case cs.State.Waiting != nil:
			s += fmt.Sprintf("; %s waiting: %s %s", cs.Name, cs.State.Waiting.Reason, cs.State.Waiting.Message)
		case cs.State.Terminated != nil:
			s += fmt.Sprintf("; %s exited %d: %s", cs.Name, cs.State.Terminated.ExitCode, cs.State.Terminated.Reason)
		}
	}
	return s
}

// RunPod creates the pod, waits until it ran to completion and returns its
// log (the output of its only container).
func (c *Cluster) RunPod(t testing.TB, ctx context.Context, namespace string, pod *corev1.Pod, within time.Duration) string {
	t.Helper()
	if _, err := c.Client.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod %s/%s: %v", namespace, pod.Name, err)
	}
	c.WaitPod(t, ctx, namespace, pod.Name, within, Succeeded)
	out, err := c.Client.CoreV1().Pods(namespace).GetLogs(pod.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil {
		t.Fatalf("logs of pod %s/%s: %v", namespace, pod.Name, err)
	}
	return string(out)
}
