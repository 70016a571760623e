package kube

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// Tunnel modes a deployment chooses between in config { tunnel }.
const (
	// TunnelModeEndpoint hands the core the pod's IP, so live streams
	// survive a plugin restart. The core must route to the pod network
	// (it runs in the cluster, or on a node).
	TunnelModeEndpoint = "endpoint"
	// TunnelModeSocket makes the plugin reach the pod through the API
	// server's port-forward, for cores outside the cluster's network.
	TunnelModeSocket = "socket"
)

// Defaults of the config block.
const (
	defaultNamespace    = "atrium"
	defaultHomeSize     = "10Gi"
	defaultPullPolicy   = string(corev1.PullIfNotPresent)
	defaultStopTimeout  = "10s"
	defaultStartTimeout = "5m"
	defaultUID          = 1000
)

// Config is the decoded `config { }` block of runtime-k8s.
type Config struct {
	Kubeconfig       string            `json:"kubeconfig"`
	Context          string            `json:"context"`
	Namespace        string            `json:"namespace"`
	StorageClass     string            `json:"storage_class"`
	HomeSize         string            `json:"home_size"`
	NodeSelector     map[string]string `json:"node_selector"`
	RuntimeClass     string            `json:"runtime_class"`
	ServiceAccount   string            `json:"service_account"`
	ImagePullPolicy  string            `json:"image_pull_policy"`
	ImagePullSecrets []string          `json:"image_pull_secrets"`
	Labels           map[string]string `json:"labels"`
	Annotations      map[string]string `json:"annotations"`
	Tunnel           string            `json:"tunnel"`
	StopTimeout      string            `json:"stop_timeout"`
	StartTimeout     string            `json:"start_timeout"`
	RunAsUser        *int64            `json:"run_as_user"`
	RequestRatio     *float64          `json:"request_ratio"`
	Tolerations      []Toleration      `json:"toleration"`
	NetworkPolicy    *bool             `json:"network_policy"`
	CoreCIDRs        []string          `json:"core_cidrs"`
	CorePodLabels    map[string]string `json:"core_pod_labels"`
	CoreNamespace    string            `json:"core_namespace"`
}

// Toleration is one `toleration { }` block, as in a pod spec.
type Toleration struct {
	Key               string `json:"key"`
	Operator          string `json:"operator"`
	Value             string `json:"value"`
	Effect            string `json:"effect"`
	TolerationSeconds *int64 `json:"toleration_seconds"`
}

// settings is Config checked and parsed.
type settings struct {
	kubeconfig     string
	context        string
	namespace      string
	storageClass   string
	homeSize       resource.Quantity
	nodeSelector   map[string]string
	runtimeClass   string
	serviceAccount string
	pullPolicy     corev1.PullPolicy
	pullSecrets    []string
	labels         map[string]string
	annotations    map[string]string
	tunnel         string
	stopTimeout    time.Duration
	startTimeout   time.Duration
	uid            int64
	requestRatio   float64
	tolerations    []corev1.Toleration
	networkPolicy  bool
	coreCIDRs      []string
	corePodLabels  map[string]string
	coreNamespace  string
}

// configSchema describes the config block to the core.
func configSchema() schema.Object {
	str := func(desc string, def any) schema.Attr {
		return schema.Attr{Type: "string", Description: desc, Default: def}
	}
	return schema.Object{
		Attrs: map[string]schema.Attr{
			"kubeconfig":         str("Path of a kubeconfig file; empty: the in-cluster config of the pod the core runs in.", ""),
			"context":            str("Context of that kubeconfig; empty: its current context.", ""),
			"namespace":          str("Namespace the sessions' pods, Secrets and home claims live in; it must exist.", defaultNamespace),
			"storage_class":      str("StorageClass of the home claims; empty: the cluster's default class.", ""),
			"home_size":          str("Size a new home claim asks for, e.g. \"10Gi\".", defaultHomeSize),
			"node_selector":      {Type: "map(string)", Description: "Node labels a session's pod must match."},
			"runtime_class":      str("RuntimeClass of session pods, e.g. \"gvisor\"; empty: the cluster's default.", ""),
			"service_account":    str("ServiceAccount session pods run as; its token is never mounted.", ""),
			"image_pull_policy":  str(`"IfNotPresent", "Always" or "Never".`, defaultPullPolicy),
			"image_pull_secrets": {Type: "list(string)", Description: "Secrets in the namespace the kubelet pulls session images with."},
			"labels":             {Type: "map(string)", Description: "Extra labels on every object the plugin creates."},
			"annotations":        {Type: "map(string)", Description: "Extra annotations on every session pod."},
			"tunnel":             str(`How the core reaches a session: "endpoint" (the core dials the pod IP; it must route to the pod network) or "socket" (through the API server's port-forward).`, TunnelModeEndpoint),
			"stop_timeout":       str("How long a session's process gets to exit when stopped or hibernated, e.g. \"10s\".", defaultStopTimeout),
			"start_timeout":      str("How long a pod may wait for a node (unschedulable) before the session counts as failed, e.g. \"5m\".", defaultStartTimeout),
			"run_as_user":        {Type: "number", Description: "Numeric uid (and gid) of a session whose workspace names no user; pods never run as root.", Default: defaultUID},
			"request_ratio":      {Type: "number", Description: "Requests as a share of the template's limits, in (0, 1]; 1 gives Guaranteed pods, less lets nodes overcommit.", Default: 1},
			"network_policy":     {Type: "bool", Description: "Keep a NetworkPolicy that lets only the core reach session pods (needs a network plugin that enforces it).", Default: true},
			"core_cidrs":         {Type: "list(string)", Description: "Addresses the core connects to session pods from, e.g. the nodes' CIDR when it runs on a node."},
			"core_pod_labels":    {Type: "map(string)", Description: "Labels of the core's pods, when it runs in the cluster."},
			"core_namespace":     str("Namespace of the core's pods; empty: the sessions' namespace.", ""),
		},
		Blocks: map[string]schema.Block{
			"toleration": {Nesting: schema.NestingList, Description: "A toleration of session pods, as in a pod spec.", Body: schema.Object{Attrs: map[string]schema.Attr{
				"key":                {Type: "string", Description: "Taint key; empty with operator Exists matches all."},
				"operator":           {Type: "string", Description: `"Equal" or "Exists".`, Default: string(corev1.TolerationOpEqual)},
				"value":              {Type: "string", Description: "Taint value for Equal."},
				"effect":             {Type: "string", Description: `"NoSchedule", "PreferNoSchedule", "NoExecute"; empty: all.`},
				"toleration_seconds": {Type: "number", Description: "For NoExecute: how long the pod stays once tainted."},
			}}},
		},
	}
}

// parseConfig decodes raw, fills in defaults the core did not (tests send
// partial objects) and checks every field, reporting each bad value at its
// attribute.
func parseConfig(raw json.RawMessage) (settings, error) {
	var c Config
	if err := plugin.DecodeConfig(raw, &c); err != nil {
		return settings{}, err
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&c.Namespace, defaultNamespace)
	def(&c.HomeSize, defaultHomeSize)
	def(&c.ImagePullPolicy, defaultPullPolicy)
	def(&c.Tunnel, TunnelModeEndpoint)
	def(&c.StopTimeout, defaultStopTimeout)
	def(&c.StartTimeout, defaultStartTimeout)

	s := settings{
		kubeconfig: c.Kubeconfig, context: c.Context, namespace: c.Namespace, storageClass: c.StorageClass,
		nodeSelector: c.NodeSelector, runtimeClass: c.RuntimeClass, serviceAccount: c.ServiceAccount,
		pullPolicy: corev1.PullPolicy(c.ImagePullPolicy), pullSecrets: c.ImagePullSecrets,
		labels: c.Labels, annotations: c.Annotations, tunnel: c.Tunnel, uid: defaultUID, requestRatio: 1,
		networkPolicy: c.NetworkPolicy == nil || *c.NetworkPolicy, corePodLabels: c.CorePodLabels, coreNamespace: c.CoreNamespace,
	}
	var errs []error
	bad := func(path []string, format string, args ...any) {
		errs = append(errs, &plugin.ConfigError{Path: path, Err: fmt.Errorf(format, args...)})
	}
	dnsLabel := func(attr, v string) {
		if v != "" && len(validation.IsDNS1123Label(v)) > 0 {
			bad([]string{attr}, "%q is not a Kubernetes name: use lowercase letters, digits and '-', at most 63", v)
		}
	}
	dnsLabel("namespace", c.Namespace)
	dnsLabel("service_account", c.ServiceAccount)
	if c.StorageClass != "" && len(validation.IsDNS1123Subdomain(c.StorageClass)) > 0 {
		bad([]string{"storage_class"}, "%q is not a StorageClass name (`kubectl get storageclass` lists them)", c.StorageClass)
	}
	if c.RuntimeClass != "" && len(validation.IsDNS1123Subdomain(c.RuntimeClass)) > 0 {
		bad([]string{"runtime_class"}, "%q is not a RuntimeClass name (`kubectl get runtimeclass` lists them)", c.RuntimeClass)
	}
	for i, n := range c.ImagePullSecrets {
		if len(validation.IsDNS1123Subdomain(n)) > 0 {
			bad([]string{"image_pull_secrets"}, "item %d, %q, is not a Secret name", i, n)
		}
	}
	if q, err := resource.ParseQuantity(c.HomeSize); err != nil || q.Sign() <= 0 {
		bad([]string{"home_size"}, "%q is not a positive size such as \"10Gi\"", c.HomeSize)
	} else {
		s.homeSize = q
	}
	switch s.pullPolicy {
	case corev1.PullIfNotPresent, corev1.PullAlways, corev1.PullNever:
	default:
		bad([]string{"image_pull_policy"}, "%q is unknown: set \"IfNotPresent\", \"Always\" or \"Never\"", c.ImagePullPolicy)
	}
	if c.Tunnel != TunnelModeEndpoint && c.Tunnel != TunnelModeSocket {
		bad([]string{"tunnel"}, "%q is unknown: set it to %q or %q", c.Tunnel, TunnelModeEndpoint, TunnelModeSocket)
	}
	s.stopTimeout = duration(bad, "stop_timeout", c.StopTimeout, 0)
	s.startTimeout = duration(bad, "start_timeout", c.StartTimeout, time.Second)
	if c.RunAsUser != nil {
		if *c.RunAsUser < 1 || *c.RunAsUser > math.MaxInt32 {
			bad([]string{"run_as_user"}, "%d is not a non-root uid: set a number from 1 to %d", *c.RunAsUser, math.MaxInt32)
		}
		s.uid = *c.RunAsUser
	}
	if c.RequestRatio != nil {
		if r := *c.RequestRatio; !(r > 0 && r <= 1) {
			bad([]string{"request_ratio"}, "%v is outside (0, 1]: 1 requests what the template limits, 0.25 a quarter of it", r)
		}
		s.requestRatio = *c.RequestRatio
	}
	for i, v := range c.CoreCIDRs {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			bad([]string{"core_cidrs"}, "item %d, %q, is not a CIDR such as \"10.0.0.0/16\"", i, v)
			continue
		}
		s.coreCIDRs = append(s.coreCIDRs, p.Masked().String())
	}
	if s.networkPolicy && c.Tunnel == TunnelModeEndpoint && len(c.CoreCIDRs) == 0 && len(c.CorePodLabels) == 0 {
		// A policy with no core peer admits no one: the core could not
		// reach a single session. Said here so validation names the line.
		bad([]string{"network_policy"}, "is on and tunnel is %q, but neither core_cidrs nor core_pod_labels says where the core connects from: set one (e.g. core_pod_labels = { \"app.kubernetes.io/name\" = \"atrium\" }), set tunnel = %q, or network_policy = false", TunnelModeEndpoint, TunnelModeSocket)
	}
	dnsLabel("core_namespace", c.CoreNamespace)
	checkLabels(bad, "core_pod_labels", c.CorePodLabels)
	checkLabels(bad, "node_selector", c.NodeSelector)
	checkLabels(bad, "labels", c.Labels)
	for k := range c.Annotations {
		if len(validation.IsQualifiedName(k)) > 0 {
			bad([]string{"annotations"}, "key %q is not an annotation key such as \"example.com/owner\"", k)
		}
	}
	for i, t := range c.Tolerations {
		path := []string{"toleration", fmt.Sprint(i)}
		op := corev1.TolerationOperator(t.Operator)
		if op == "" {
			op = corev1.TolerationOpEqual
		}
		if op != corev1.TolerationOpEqual && op != corev1.TolerationOpExists {
			bad(append(path, "operator"), "%q is unknown: set \"Equal\" or \"Exists\"", t.Operator)
		}
		eff := corev1.TaintEffect(t.Effect)
		switch eff {
		case "", corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		default:
			bad(append(path, "effect"), "%q is unknown: set \"NoSchedule\", \"PreferNoSchedule\" or \"NoExecute\"", t.Effect)
		}
		s.tolerations = append(s.tolerations, corev1.Toleration{Key: t.Key, Operator: op, Value: t.Value, Effect: eff, TolerationSeconds: t.TolerationSeconds})
	}
	if len(errs) > 0 {
		return settings{}, errors.Join(errs...)
	}
	return s, nil
}

// duration parses a Go duration of at least min.
func duration(bad func([]string, string, ...any), attr, v string, min time.Duration) time.Duration {
	d, err := time.ParseDuration(v)
	if err != nil {
		bad([]string{attr}, "%q is not a duration such as \"10s\": %w", v, err)
		return 0
	}
	if d < min {
		bad([]string{attr}, "%q is below %s", v, min)
	}
	return d
}

// checkLabels reports keys or values Kubernetes refuses in labels.
func checkLabels(bad func([]string, string, ...any), attr string, m map[string]string) {
	for k, v := range m {
		if len(validation.IsQualifiedName(k)) > 0 {
			bad([]string{attr}, "key %q is not a label key such as \"example.com/team\"", k)
		}
		if len(validation.IsValidLabelValue(v)) > 0 {
			bad([]string{attr}, "value %q of %q is not a label value: at most 63 letters, digits, '-', '_' or '.'", v, k)
		}
	}
}
