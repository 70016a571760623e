package kube

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// imageErrors are the waiting reasons of a container whose image cannot be
// had: the session has failed, though the pod stays Pending.
var imageErrors = map[string]bool{
	"ErrImagePull": true, "ImagePullBackOff": true, "InvalidImageName": true,
	"ErrImageNeverPull": true, "CreateContainerConfigError": true, "CreateContainerError": true,
}

// podAddresses are the pod's IPs, which TunnelEndpoint answers with.
func podAddresses(pod *corev1.Pod) []string {
	var out []string
	for _, ip := range pod.Status.PodIPs {
		if ip.IP != "" {
			out = append(out, ip.IP)
		}
	}
	if len(out) == 0 && pod.Status.PodIP != "" {
		out = append(out, pod.Status.PodIP)
	}
	return out
}

// statusOf reads a session's status from its pod (nil when there is none)
// and its Secret (nil when there is none).
func (c *cluster) statusOf(pod *corev1.Pod, sec *corev1.Secret, now time.Time) runtime.Status {
	if pod == nil {
		switch {
		case sec != nil && sec.Annotations[AnnotationHibernated] == "true":
			return runtime.Status{State: runtime.StateStopped, Message: "hibernated: the pod is gone, the home claim and spec are kept"}
		case sec != nil:
			return runtime.Status{State: runtime.StateExited, Message: "the session's pod is gone, deleted outside Atrium or evicted"}
		default:
			return runtime.Status{State: runtime.StateMissing, Message: "no pod or Secret of the session exists"}
		}
	}
	st := runtime.Status{InstanceID: string(pod.UID)}
	if pod.DeletionTimestamp != nil {
		if why := pod.Annotations[AnnotationDeleting]; why == "hibernate" {
			st.State, st.Message = runtime.StateStopped, "hibernating: the pod is being deleted"
		} else {
			st.State, st.Message = runtime.StateExited, "the session's pod is being deleted"+deletedBy(why)
		}
		return st
	}
	cs := sessionContainer(pod)
	switch pod.Status.Phase {
	case corev1.PodSucceeded, corev1.PodFailed:
		st.State = runtime.StateExited
		st.Message = strings.TrimSpace(pod.Status.Reason + " " + pod.Status.Message)
		if cs != nil && cs.State.Terminated != nil {
			t := cs.State.Terminated
			st.ExitCode = int(t.ExitCode)
			st.StartedAt = t.StartedAt.Time
			st.Message = strings.TrimSpace(fmt.Sprintf("%s (exit code %d) %s %s", t.Reason, t.ExitCode, t.Message, st.Message))
		}
		return st
	}
	if cs != nil && cs.State.Running != nil {
		st.State = runtime.StateRunning
		st.StartedAt = cs.State.Running.StartedAt.Time
		st.Message = "running on node " + pod.Spec.NodeName
		st.Addresses = podAddresses(pod)
		return st
	}
	if cs != nil && cs.State.Terminated != nil {
		t := cs.State.Terminated
		return runtime.Status{State: runtime.StateExited, InstanceID: st.InstanceID, ExitCode: int(t.ExitCode),
			Message: fmt.Sprintf("%s (exit code %d) %s", t.Reason, t.ExitCode, t.Message)}
	}
	if cs != nil && cs.State.Waiting != nil && imageErrors[cs.State.Waiting.Reason] {
		w := cs.State.Waiting
		return runtime.Status{State: runtime.StateExited, InstanceID: st.InstanceID,
			Message: fmt.Sprintf("image %s cannot be run on node %s: %s: %s; make the image available to the cluster (or check image_pull_policy and image_pull_secrets)", imageOf(pod), pod.Spec.NodeName, w.Reason, w.Message)}
	}
	st.State = runtime.StateStarting
	if cond := podCondition(pod, corev1.PodScheduled); cond != nil && cond.Status == corev1.ConditionFalse {
		st.Message = "waiting for a node: " + cond.Message
		if cond.Reason == corev1.PodReasonUnschedulable && now.Sub(pod.CreationTimestamp.Time) > c.cfg.startTimeout {
			st.State = runtime.StateExited
			st.Message = fmt.Sprintf("no node could run the pod within start_timeout (%s): %s; free capacity, or fix node_selector, tolerations or the template's cpu and memory", c.cfg.startTimeout, cond.Message)
		}
		return st
	}
	if cs != nil && cs.State.Waiting != nil {
		st.Message = strings.TrimSpace(cs.State.Waiting.Reason + " " + cs.State.Waiting.Message)
	} else {
		st.Message = "pod " + string(pod.Status.Phase)
	}
	return st
}

// deletedBy explains who deletes a pod, from its deletion mark.
func deletedBy(why string) string {
	if why == "" {
		return " outside Atrium"
	}
	return " (" + why + ")"
}

func sessionContainer(pod *corev1.Pod) *corev1.ContainerStatus {
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == containerName {
			return &pod.Status.ContainerStatuses[i]
		}
	}
	return nil
}

func podCondition(pod *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == t {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

func imageOf(pod *corev1.Pod) string {
	for _, c := range pod.Spec.Containers {
		if c.Name == containerName {
			return c.Image
		}
	}
	return "?"
}
