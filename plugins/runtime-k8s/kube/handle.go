package kube

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// handleVersion is the version of the handles this plugin writes.
const handleVersion = 1

// handleData is what a handle holds. The plugin finds a session by its
// name alone; the handle records where it was so an operator reading the
// core's database can find it too.
type handleData struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	UID       string `json:"uid,omitempty"`
}

// handleOf is the handle of a session's pod.
func handleOf(namespace, name string, pod *corev1.Pod) runtime.Handle {
	h := handleData{Namespace: namespace, Pod: name}
	if pod != nil {
		h.UID = string(pod.UID)
	}
	b, _ := json.Marshal(h)
	return runtime.Handle{Version: handleVersion, Data: b}
}
