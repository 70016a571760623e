package k8stest

import (
	"bytes"
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
)

// ReadFile returns the content of path in the first container of pod, read
// with `cat` through the API server's exec (the kubelet runs it in the
// container), so a test sees what the session itself wrote.
func (c *Cluster) ReadFile(ctx context.Context, namespace, pod, path string) ([]byte, error) {
	req := c.Client.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod).
		SubResource("exec").VersionedParams(&corev1.PodExecOptions{
		Command: []string{"cat", path}, Stdout: true, Stderr: true,
	}, scheme.ParameterCodec)
	exec, err := remotecommand.NewWebSocketExecutor(c.Config, "GET", req.URL().String())
	if err != nil {
		return nil, fmt.Errorf("exec in pod %s/%s: %w", namespace, pod, err)
	}
	var out, errOut bytes.Buffer
	if err := exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &out, Stderr: &errOut}); err != nil {
		return nil, fmt.Errorf("cat %s in pod %s/%s: %w (%s)", path, namespace, pod, err, bytes.TrimSpace(errOut.Bytes()))
	}
	return out.Bytes(), nil
}
