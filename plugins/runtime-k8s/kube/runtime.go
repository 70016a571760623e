// Package kube implements Atrium's runtime plugin for Kubernetes.
//
// Each session is one Pod in the namespace the config names. The user's
// home is a PersistentVolumeClaim named by the home volume the core gives
// (the user's immutable id): stop and hibernate keep it, only
// DestroySession with RemoveHome deletes it. A session's launch spec and
// its secrets live in a Secret named like the pod; the secrets reach the
// session as files under SecretsDir, never as environment variables or in
// the pod spec, and the spec lets ResumeSession create the pod again after
// hibernation (which deletes the pod).
//
// The plugin holds no state that matters: everything it creates carries
// Atrium's labels, and a fresh process finds a session's objects by name
// and label.
package kube

import (
	"context"
	"fmt"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// Version is the release of this plugin.
const Version = "0.1.0"

// SecretsDir is where a session's secrets appear, one file per secret,
// named by the secret's key (e.g. /run/atrium/secrets/ATRIUM_VNC_PASSWORD).
const SecretsDir = "/run/atrium/secrets"

// Runtime runs Atrium sessions as Kubernetes pods. Create it with New; the
// SDK calls Configure before anything else.
type Runtime struct {
	mu sync.RWMutex
	cl *cluster
}

// cluster is a configured connection. It never changes once made, so calls
// use it without locks.
type cluster struct {
	rest     *rest.Config
	client   kubernetes.Interface
	cfg      settings
	instance string
	// host names the API server in messages.
	host string
}

// The optional interfaces the core type-asserts.
var (
	_ runtime.Runtime          = (*Runtime)(nil)
	_ runtime.EventWatcher     = (*Runtime)(nil)
	_ runtime.EndpointTunneler = (*Runtime)(nil)
	_ runtime.Dialer           = (*Runtime)(nil)
	_ plugin.HealthChecker     = (*Runtime)(nil)
	_ plugin.ConfigValidator   = (*Runtime)(nil)
)

// New returns an unconfigured runtime.
func New() *Runtime { return &Runtime{} }

// PluginInfo names the plugin.
func (r *Runtime) PluginInfo() plugin.Info {
	return plugin.Info{Name: "runtime-k8s", Version: Version, Description: "Runs sessions as pods on a Kubernetes cluster"}
}

// ConfigSchema describes the plugin's config block.
func (r *Runtime) ConfigSchema() schema.Object { return configSchema() }

// ValidateConfig checks the decoded values without contacting the cluster,
// so `atrium config validate` refuses what Configure would, at each value's
// line.
func (r *Runtime) ValidateConfig(_ context.Context, req plugin.ValidateConfigRequest) error {
	_, err := parseConfig(req.Config)
	return err
}

// Configure connects to the API server and checks that the plugin may work
// in its namespace.
func (r *Runtime) Configure(ctx context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	cfg, err := parseConfig(req.Config)
	if err != nil {
		return plugin.ConfigureResponse{}, err
	}
	rc, err := restConfig(cfg)
	if err != nil {
		return plugin.ConfigureResponse{}, err
	}
	rc.UserAgent = "atrium-runtime-k8s/" + Version
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return plugin.ConfigureResponse{}, fmt.Errorf("kubernetes client for %s: %w", rc.Host, err)
	}
	c := &cluster{rest: rc, client: cs, cfg: cfg, instance: req.Instance, host: rc.Host}
	if err := c.check(ctx); err != nil {
		return plugin.ConfigureResponse{}, err
	}
	if err := c.ensurePolicy(ctx); err != nil {
		return plugin.ConfigureResponse{}, err
	}
	r.mu.Lock()
	r.cl = c
	r.mu.Unlock()
	plugin.Logger().Info("connected to kubernetes", "host", rc.Host, "namespace", cfg.namespace, "tunnel", cfg.tunnel)
	return plugin.ConfigureResponse{}, nil
}

// restConfig loads the kubeconfig the config names, or the in-cluster
// config when it names none.
func restConfig(cfg settings) (*rest.Config, error) {
	if cfg.kubeconfig == "" {
		rc, err := rest.InClusterConfig()
		if err != nil {
			// The core hands a plugin only PATH and HOME, so inside a pod the
			// service variables arrive only when the plugin block passes them.
			return nil, fmt.Errorf("no kubeconfig is set and the in-cluster config failed (%w): outside a cluster set config { kubeconfig = \"/path/to/kubeconfig\" }; inside a pod pass env = { KUBERNETES_SERVICE_HOST = env(\"KUBERNETES_SERVICE_HOST\"), KUBERNETES_SERVICE_PORT = env(\"KUBERNETES_SERVICE_PORT\") } in the plugin block", err)
		}
		return rc, nil
	}
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: cfg.kubeconfig}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: cfg.context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s (context %q): %w; check config { kubeconfig, context }", cfg.kubeconfig, cfg.context, err)
	}
	return rc, nil
}

// check lists pods in the namespace: it fails, with the fix named, when the
// API server does not answer, the namespace is absent or the credentials
// may not work there.
func (c *cluster) check(ctx context.Context) error {
	if _, err := c.client.CoreV1().Pods(c.cfg.namespace).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		return c.apiErr(fmt.Sprintf("list pods in namespace %q", c.cfg.namespace), err)
	}
	if _, err := c.client.CoreV1().Namespaces().Get(ctx, c.cfg.namespace, metav1.GetOptions{}); isNotFound(err) {
		return fmt.Errorf("namespace %q does not exist on %s: create it (`kubectl create namespace %s`) or set config { namespace }", c.cfg.namespace, c.host, c.cfg.namespace)
	}
	return nil
}

// Health asks the API server for its version.
func (r *Runtime) Health(ctx context.Context) error {
	c, err := r.cluster()
	if err != nil {
		return err
	}
	if _, err := c.client.CoreV1().Pods(c.cfg.namespace).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		return c.apiErr("list pods", err)
	}
	return nil
}

// cluster returns the connection Configure made.
func (r *Runtime) cluster() (*cluster, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.cl == nil {
		return nil, fmt.Errorf("runtime-k8s is not configured: the core calls Configure first")
	}
	return r.cl, nil
}
