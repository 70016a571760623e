package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"

	"github.com/atrium-hq/atrium/test/k8stest"
)

// kubePort is where the upstream listens in its pod.
const kubePort = 5900

// kubePaths runs the upstream in a pod on the cluster kubeconfig names and
// measures, each as a ratio to k8s-direct:
//
//	k8s-direct     client ⇄ pod IP over TCP
//	k8s-endpoint   the Atrium relay dialing the pod IP (endpoint mode)
//	k8s-socket     the Atrium relay through tunnelplugin, whose address is a
//	               client-go port-forward (API server → kubelet → pod) that
//	               this process holds; its CPU is not counted
//
// An unreachable cluster skips them with one line.
func kubePaths(o options, kubeconfig, relayServer, tunnelPlugin string) error {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	var cs *kubernetes.Clientset
	if err == nil {
		rc.Timeout = 10 * time.Second
		if cs, err = kubernetes.NewForConfig(rc); err == nil {
			_, err = cs.Discovery().ServerVersion()
		}
	}
	if err != nil {
		fmt.Printf("# k8s paths skipped: no cluster at %s (%v); scripts/k8s-up.sh starts one\n", kubeconfig, err)
		return nil
	}
	rc.Timeout = 0
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	pod, stop, err := startUpstreamPod(ctx, cs)
	if err != nil {
		return fmt.Errorf("k8s: %w", err)
	}
	defer stop()
	podAddr := fmt.Sprintf("%s:%d", pod.Status.PodIP, kubePort)

	openDirect := func() (stream, error) { return dialTCP(podAddr) }
	direct, err := measure("k8s-direct", o, nil, nil, openDirect)
	if err != nil {
		return err
	}
	direct.directMibps, direct.directMibpsUp = direct.mibps, direct.mibpsUp
	direct.print()
	relayed := func(name string, p *peer) error {
		r, err := measure(name, o, nil, p, func() (stream, error) { return p.openTicketed() })
		p.stop()
		if err != nil {
			return err
		}
		r.directMibps, r.directMibpsUp = direct.mibps, direct.mibpsUp
		r.print()
		return nil
	}

	p, err := startRelayServer(relayServer, "endpoint", tunnelPlugin, podAddr, o.buffer, os.Stderr, "-allow", pod.Status.PodIP+"/32")
	if err != nil {
		return err
	}
	if err := relayed("k8s-endpoint", p); err != nil {
		return err
	}

	local, closeForward, err := forwardPort(rc, pod)
	if err != nil {
		return fmt.Errorf("k8s: port-forward: %w", err)
	}
	defer closeForward()
	if p, err = startRelayServer(relayServer, "socket", tunnelPlugin, local, o.buffer, os.Stderr); err != nil {
		return err
	}
	return relayed("k8s-socket", p)
}

// startUpstreamPod builds this command statically and runs it with
// -serve-upstream in a pod of a namespace of its own (the single node
// mounts the binary by hostPath); stop deletes the namespace.
func startUpstreamPod(ctx context.Context, cs kubernetes.Interface) (*corev1.Pod, func(), error) {
	dir, err := os.MkdirTemp("", "atrium-bench-relay-pod-")
	if err != nil {
		return nil, nil, err
	}
	_ = os.Chmod(dir, 0o755)
	goTool := os.Getenv("GO")
	if goTool == "" {
		goTool = "go"
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", filepath.Join(dir, "upstream"), "github.com/atrium-hq/atrium/bench/relay")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("build the pod's upstream: %w", err)
	}
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "atrium-bench-relay-"}}, metav1.CreateOptions{})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("create a namespace: %w", err)
	}
	stop := func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
		os.RemoveAll(dir)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "upstream", Namespace: ns.Name},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: "upstream", Image: k8stest.ToolsImage, ImagePullPolicy: corev1.PullNever,
				Command:      []string{"/bench/upstream", "-serve-upstream", fmt.Sprintf(":%d", kubePort)},
				VolumeMounts: []corev1.VolumeMount{{Name: "bench", MountPath: "/bench", ReadOnly: true}},
			}},
			Volumes: []corev1.Volume{{Name: "bench", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: dir}}}},
		},
	}
	if _, err := cs.CoreV1().Pods(ns.Name).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		stop()
		return nil, nil, fmt.Errorf("create the upstream pod: %w", err)
	}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		p, err := cs.CoreV1().Pods(ns.Name).Get(ctx, "upstream", metav1.GetOptions{})
		if err == nil && p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" {
			if c, err := dialTimeout(fmt.Sprintf("%s:%d", p.Status.PodIP, kubePort)); err == nil {
				_ = c.Close()
				return p, stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, fmt.Errorf("the upstream pod in %s did not listen within 2m (phase %s)", ns.Name, p.Status.Phase)
		}
	}
}

// forwardPort opens a client-go port-forward from a free loopback port to
// the pod's upstream and returns that address.
func forwardPort(rc *rest.Config, pod *corev1.Pod) (string, func(), error) {
	rt, upgrader, err := spdy.RoundTripperFor(rc)
	if err != nil {
		return "", nil, err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return "", nil, err
	}
	u := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(pod.Namespace).Name(pod.Name).SubResource("portforward").URL()
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: rt}, http.MethodPost, u)
	stopCh, ready := make(chan struct{}), make(chan struct{})
	fw, err := portforward.NewOnAddresses(dialer, []string{"127.0.0.1"}, []string{fmt.Sprintf("0:%d", kubePort)}, stopCh, ready, io.Discard, os.Stderr)
	if err != nil {
		return "", nil, err
	}
	errc := make(chan error, 1)
	go func() { errc <- fw.ForwardPorts() }()
	select {
	case <-ready:
	case err := <-errc:
		return "", nil, err
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		close(stopCh)
		return "", nil, fmt.Errorf("no local port: %v", err)
	}
	return fmt.Sprintf("127.0.0.1:%d", ports[0].Local), func() { close(stopCh) }, nil
}
