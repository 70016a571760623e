package k8stest

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// toolsPod is a pod of the busybox tools image running script, with the
// given volumes mounted at /data.
func toolsPod(name, script string, claim string) *corev1.Pod {
	zero := int64(0)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken:  new(bool),
			TerminationGracePeriodSeconds: &zero,
			RestartPolicy:                 corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name:            "c",
				Image:           ToolsImage,
				ImagePullPolicy: corev1.PullNever,
				Command:         []string{"/bin/sh", "-c", script},
			}},
		},
	}
	if claim != "" {
		pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}}
		pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	}
	return pod
}

// A claim on the default StorageClass binds to a dynamically provisioned
// volume, and a file one pod writes there is read by a later pod after the
// first is gone: what a session's home needs.
func TestVolumeOutlivesPod(t *testing.T) {
	c := Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := c.Namespace(t, "k8stest-volume")
	pvcs := c.Client.CoreV1().PersistentVolumeClaims(ns)
	pods := c.Client.CoreV1().Pods(ns)

	// No storageClassName: the default class must serve it.
	_, err := pvcs.Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "home"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceStorage: resource.MustParse("64Mi")}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create claim: %v", err)
	}
	stamp := time.Now().Format(time.RFC3339Nano)
	c.RunPod(t, ctx, ns, toolsPod("writer", "echo "+stamp+" > /data/note && sync", "home"), time.Minute)
	claim, err := pvcs.Get(ctx, "home", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if claim.Status.Phase != corev1.ClaimBound || claim.Spec.StorageClassName == nil || *claim.Spec.StorageClassName != StorageClass {
		t.Fatalf("claim: phase %s, class %v; want Bound on %s", claim.Status.Phase, claim.Spec.StorageClassName, StorageClass)
	}
	if err := pods.Delete(ctx, "writer", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	out := c.RunPod(t, ctx, ns, toolsPod("reader", "cat /data/note", "home"), time.Minute)
	if got := strings.TrimSpace(out); got != stamp {
		t.Fatalf("reader saw %q, want the writer's %q", got, stamp)
	}
}

// A pod's IP lies in the node's pod network and accepts TCP from the host
// and from another pod; the test logs how long the first took.
func TestPodReachable(t *testing.T) {
	c := Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := c.Namespace(t, "k8stest-net")
	pods := c.Client.CoreV1().Pods(ns)
	networks := c.PodNetworks(t)

	server := toolsPod("server", "mkdir -p /tmp/www && echo hello > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www", "")
	began := time.Now()
	if _, err := pods.Create(ctx, server, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create server: %v", err)
	}
	pod := c.WaitPod(t, ctx, ns, "server", time.Minute, Running)
	running := time.Since(began)
	ip := net.ParseIP(pod.Status.PodIP)
	inside := false
	for _, n := range networks {
		inside = inside || n.Contains(ip)
	}
	if !inside {
		t.Fatalf("pod IP %s outside the node's pod networks %v", pod.Status.PodIP, networks)
	}
	addr := net.JoinHostPort(ip.String(), "8080")
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.Close()
			break
		}
		if time.Since(began) > time.Minute {
			t.Fatalf("no TCP on %s within a minute of the create: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("create → running %s, → TCP accepting on %s %s", running.Round(time.Millisecond), addr, time.Since(began).Round(time.Millisecond))

	// Pod to pod crosses the bridge, which Docker's FORWARD policy would drop.
	// (nc, not wget: Debian's static busybox wget crashes.)
	out := c.RunPod(t, ctx, ns, toolsPod("client", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 "+ip.String()+" 8080", ""), time.Minute)
	if !strings.HasSuffix(strings.TrimSpace(out), "\nhello") {
		t.Fatalf("client pod got %q from %s, want a response with body hello", out, addr)
	}
}

// A missing kubeconfig is an error naming the file, which Require turns
// into its skip or failure message.
func TestConnectNamesMissingKubeconfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.kubeconfig")
	_, err := Connect(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Connect(%s) = %v, want an error naming the file", path, err)
	}
}
