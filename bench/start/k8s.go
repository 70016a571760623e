package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-hq/atrium/test/harness"
	"github.com/atrium-hq/atrium/test/k8stest"
)

// k8sTemplate is the desktop template on the Kubernetes runtime.
const k8sTemplate = "desktop-k8s"

// kube is the Kubernetes pair's state: the test cluster and the namespace
// of this run, deleted at its end.
type kube struct {
	cl    *k8stest.Cluster
	ns    string
	claim string // the raw pod's home claim
}

// connectKube finds the local test cluster (scripts/k8s-up.sh) and makes
// the run's namespace and the raw path's home claim.
func connectKube(ctx context.Context, runID string) (*kube, error) {
	cl, err := k8stest.Connect(k8stest.KubeconfigPath())
	if err != nil {
		return nil, fmt.Errorf("%w; start the test cluster with `make k8s-up`, or run with -k8s=false", err)
	}
	k := &kube{cl: cl, ns: "atrium-bench-start-" + runID, claim: "bench-raw-home"}
	if _, err := cl.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: k.ns}}, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", k.ns, err)
	}
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: k.claim},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
	if _, err := cl.Client.CoreV1().PersistentVolumeClaims(k.ns).Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create claim %s: %w", k.claim, err)
	}
	return k, nil
}

// hcl is the runtime block and template of the Atrium path, the plugin
// built into dir.
func (k *kube) hcl(root, dir string, ctx context.Context) (string, error) {
	bin := filepath.Join(dir, "atrium-runtime-k8s")
	if err := harness.GoBuild(root, bin, "./plugins/runtime-k8s"); err != nil {
		return "", err
	}
	sum, err := harness.SHA256File(bin)
	if err != nil {
		return "", err
	}
	node, err := k.cl.Client.CoreV1().Nodes().Get(ctx, k8stest.NodeName, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("node %s: %w", k8stest.NodeName, err)
	}
	var nets []string
	for _, c := range node.Spec.PodCIDRs {
		nets = append(nets, fmt.Sprintf("%q", c))
	}
	// The core dials pods from the node's pod bridge, the CIDR's first
	// address (k8s-up.sh).
	pods, err := netip.ParsePrefix(node.Spec.PodCIDRs[0])
	if err != nil {
		return "", fmt.Errorf("node %s pod CIDR: %w", k8stest.NodeName, err)
	}
	bridge := netip.PrefixFrom(pods.Addr().Next(), 32).String()
	return fmt.Sprintf(`
plugin "k8s" {
  path   = %q
  sha256 = %q
}

runtime "k8s" {
  plugin   = "k8s"
  networks = [%s]
  config {
    kubeconfig        = %q
    namespace         = %q
    image_pull_policy = "Never"
    home_size         = "1Gi"
    core_cidrs        = [%q]
  }
}

template %q {
  workspace = "desktop"
  runtime   = "k8s"
  cpu       = 1
  memory    = "1GiB"
}
`, bin, sum, strings.Join(nets, ", "), k.cl.Kubeconfig, k.ns, bridge, k8sTemplate), nil
}

// rawPod times one raw start on the cluster: create a pod of the same
// image, limits and home claim as the template's, with a password the
// benchmark knows, wait for its IP, dial its VNC port until the RFB
// handshake works and read the first pixels. The pod is deleted outside
// the timing.
func (k *kube) rawPod(o options) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	password := randomHex(4)
	uid := int64(1000)
	limits := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")}
	pods := k.cl.Client.CoreV1().Pods(k.ns)
	began := time.Now()
	pod, err := pods.Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "raw-"},
		Spec: corev1.PodSpec{
			RestartPolicy:   corev1.RestartPolicyNever,
			SecurityContext: &corev1.PodSecurityContext{RunAsUser: &uid, RunAsGroup: &uid},
			Containers: []corev1.Container{{
				Name: "desktop", Image: o.image, ImagePullPolicy: corev1.PullNever,
				Env:          []corev1.EnvVar{{Name: "ATRIUM_VNC_PASSWORD", Value: password}},
				Resources:    corev1.ResourceRequirements{Limits: limits, Requests: limits},
				VolumeMounts: []corev1.VolumeMount{{Name: "home", MountPath: "/home/atrium"}},
			}},
			Volumes: []corev1.Volume{{Name: "home", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: k.claim},
			}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return 0, fmt.Errorf("create pod: %w", err)
	}
	defer func() {
		zero := int64(0)
		dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
		defer dcancel()
		_ = pods.Delete(dctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		// The claim is ReadWriteOnce: the next pod waits for this one.
		for dctx.Err() == nil {
			if _, err := pods.Get(dctx, pod.Name, metav1.GetOptions{}); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	var ip netip.Addr
	for {
		p, err := pods.Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return 0, fmt.Errorf("pod %s: %w", pod.Name, err)
		}
		if a, err := netip.ParseAddr(p.Status.PodIP); err == nil {
			ip = a
			break
		}
		if ctx.Err() != nil {
			return 0, fmt.Errorf("pod %s has no IP: %w", pod.Name, ctx.Err())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := firstPixels(ctx, netip.AddrPortFrom(ip, 5900).String(), password); err != nil {
		return 0, err
	}
	return time.Since(began), nil
}

// cleanup deletes the run's namespace, and with it every pod, Secret and
// claim of both paths.
func (k *kube) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := k.cl.Client.CoreV1().Namespaces().Delete(ctx, k.ns, metav1.DeleteOptions{}); err != nil {
		fmt.Fprintf(os.Stderr, "bench/start: delete namespace %s: %v\n", k.ns, err)
	}
}
