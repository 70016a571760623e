// Package k8stest finds the real single-node Kubernetes cluster that
// scripts/k8s-up.sh runs for the tests, and gives each test what it needs
// on it: a client-go clientset, a namespace of its own and the pod network
// a runtime's `networks` must allow.
//
// Tests skip when no cluster answers, naming the way to start one, unless
// ATRIUM_E2E_REQUIRE_K8S=1 (as in CI), where they fail instead.
package k8stest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// The names k8s-up.sh gives the cluster's parts.
const (
	// NodeName is the cluster's only node.
	NodeName = "atrium-node"
	// StorageClass is the default class; it provisions volumes dynamically.
	StorageClass = "local-path"
	// ToolsImage is static busybox (sh, httpd, nc, wget), imported with no
	// registry: pods must use imagePullPolicy Never, as for the session
	// images (docker.io/atrium/desktop:1 and the others k8s-up copied from
	// Docker).
	ToolsImage = "docker.io/atrium-test/tools:1"
)

// EnvKubeconfig names the kubeconfig the tests use; RequireEnv turns a
// missing cluster from a skip into a failure.
const (
	EnvKubeconfig = "ATRIUM_TEST_KUBECONFIG"
	RequireEnv    = "ATRIUM_E2E_REQUIRE_K8S"
)

// Cluster is the test cluster as one test sees it.
type Cluster struct {
	// Kubeconfig is the admin kubeconfig's path.
	Kubeconfig string
	// Config is the REST config built from it.
	Config *rest.Config
	// Client is a clientset on Config.
	Client kubernetes.Interface
}

// KubeconfigPath is $ATRIUM_TEST_KUBECONFIG, else where k8s-up.sh writes
// its admin kubeconfig: $ATRIUM_K8S_CACHE/run/admin.kubeconfig, the cache
// defaulting to ${XDG_CACHE_HOME:-$HOME/.cache}/atrium-test/k8s.
func KubeconfigPath() string {
	if p := os.Getenv(EnvKubeconfig); p != "" {
		return p
	}
	cache := os.Getenv("ATRIUM_K8S_CACHE")
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = filepath.Join(os.TempDir(), "atrium-test-cache")
		}
		cache = filepath.Join(dir, "atrium-test", "k8s")
	}
	return filepath.Join(cache, "run", "admin.kubeconfig")
}

// Require returns the cluster when its API answers; otherwise it skips the
// test, or fails it when ATRIUM_E2E_REQUIRE_K8S=1.
func Require(t testing.TB) *Cluster {
	t.Helper()
	c, err := Connect(KubeconfigPath())
	if err != nil {
		msg := fmt.Sprintf("no Kubernetes test cluster: %v; start one with `bash scripts/k8s-up.sh` (as root), or point %s at a kubeconfig", err, EnvKubeconfig)
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s (%s=1, so this fails instead of skipping)", msg, RequireEnv)
		}
		t.Skip(msg)
	}
	return c
}

// Connect loads the kubeconfig and checks that the API server answers.
func Connect(kubeconfig string) (*Cluster, error) {
	if _, err := os.Stat(kubeconfig); err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	// Tests create pods in bursts; client-go's default 5 QPS would pace them.
	cfg.QPS, cfg.Burst = 100, 200
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", kubeconfig, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := client.CoreV1().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err != nil {
		return nil, fmt.Errorf("API server at %s (from %s) is not ready: %w", cfg.Host, kubeconfig, err)
	}
	return &Cluster{Kubeconfig: kubeconfig, Config: cfg, Client: client}, nil
}

// Namespace creates a namespace named after prefix with a random suffix and
// deletes it when the test ends, waiting until it is gone: whatever the
// test left in it goes with it, and a namespace that will not go fails the
// test as a leak.
func (c *Cluster) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: prefix + "-",
		Labels:       map[string]string{"atrium-test": prefix},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create test namespace: %v", err)
	}
	name := ns.Name
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := c.Client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("cleanup: delete namespace %s: %v", name, err)
			return
		}
		for {
			_, err := c.Client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return
			}
			if ctx.Err() != nil {
				t.Errorf("cleanup: namespace %s still there after 2 minutes (last: %v)", name, err)
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	})
	return name
}

// PodNetworks is the node's pod address ranges, as the controller-manager
// allocated them (k8s-up.sh: 10.244.0.0/24); a runtime whose endpoints are
// pod IPs lists them in its `networks`.
func (c *Cluster) PodNetworks(t testing.TB) []*net.IPNet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	node, err := c.Client.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("node %s: %v", NodeName, err)
	}
	cidrs := node.Spec.PodCIDRs
	if len(cidrs) == 0 && node.Spec.PodCIDR != "" {
		cidrs = []string{node.Spec.PodCIDR}
	}
	if len(cidrs) == 0 {
		t.Fatalf("node %s has no pod CIDR; the controller-manager allocates it (k8s-up.sh starts it with --allocate-node-cidrs)", NodeName)
	}
	var nets []*net.IPNet
	for _, s := range cidrs {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatalf("node %s pod CIDR %q: %v", NodeName, s, err)
		}
		nets = append(nets, n)
	}
	return nets
}
