package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/atrium-hq/atrium/test/k8stest"
)

const chart = "deploy/helm/atrium"

// helm builds the pinned helm CLI through the Makefile (make's
// HELM_VERSION, from the Go module proxy) and returns its path.
func helm(t *testing.T) string {
	t.Helper()
	// The Makefile names its tools by absolute path.
	bin, err := filepath.Abs(filepath.Join(repoRoot(), "bin/tools/helm"))
	if err != nil {
		t.Fatal(err)
	}
	run(t, "make", "-s", bin)
	return bin
}

// template renders the chart with the CI values plus args and returns the
// manifests; it fails the test when helm does.
func template(t *testing.T, helmBin string, args ...string) []byte {
	t.Helper()
	all := append([]string{"template", "atrium", chart, "-f", chart + "/ci/test-values.yaml"}, args...)
	return []byte(run(t, helmBin, all...))
}

// manifest is one rendered object, decoded loosely.
type manifest map[string]any

func (m manifest) kind() string { s, _ := m["kind"].(string); return s }

func (m manifest) name() string {
	meta, _ := m["metadata"].(map[string]any)
	s, _ := meta["name"].(string)
	return s
}

// get walks a path of map keys and list indexes.
func (m manifest) get(path ...any) any {
	var cur any = map[string]any(m)
	for _, p := range path {
		switch k := p.(type) {
		case string:
			mm, _ := cur.(map[string]any)
			cur = mm[k]
		case int:
			l, _ := cur.([]any)
			if k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

func decode(t *testing.T, out []byte) map[string]manifest {
	t.Helper()
	objs := map[string]manifest{}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		var m manifest
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("rendered chart is not YAML: %v", err)
		}
		if m == nil {
			continue
		}
		objs[m.kind()+"/"+m.name()] = m
	}
	return objs
}

// TestHelmChartRenders lints the chart and checks what it renders: the
// objects the deployment needs, the probes, the non-root pod, the RBAC
// limited to the sessions' namespace, a config that parses as HCL, and
// clear refusals for missing required values.
func TestHelmChartRenders(t *testing.T) {
	h := helm(t)
	run(t, h, "lint", "--strict", chart, "-f", chart+"/ci/test-values.yaml")

	cmd := exec.Command(h, "template", "atrium", chart)
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "is required") {
		t.Errorf("helm template without values: err=%v, want a refusal naming the required value:\n%s", err, out)
	}

	objs := decode(t, template(t, h, "--namespace", "atrium", "--set", "sessions.namespace=atrium-sessions,sessions.createNamespace=true"))
	for _, want := range []string{
		"Deployment/atrium", "Service/atrium", "ConfigMap/atrium-config", "Secret/atrium-database",
		"Secret/atrium-secrets-key", "ServiceAccount/atrium", "Role/atrium-sessions", "RoleBinding/atrium-sessions",
		"ClusterRole/atrium-atrium-namespace", "ClusterRoleBinding/atrium-atrium-namespace",
		"PodDisruptionBudget/atrium", "Ingress/atrium", "Namespace/atrium-sessions",
	} {
		if objs[want] == nil {
			t.Errorf("the chart renders no %s", want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	d := objs["Deployment/atrium"]
	// Numbers decode as JSON numbers.
	if r := d.get("spec", "replicas"); r != float64(2) {
		t.Errorf("replicas = %v, want 2", r)
	}
	c := manifest(d.get("spec", "template", "spec", "containers", 0).(map[string]any))
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		if got := c.get(probe, "httpGet", "path"); got != path {
			t.Errorf("%s path = %v, want %s", probe, got, path)
		}
	}
	if d.get("spec", "template", "spec", "securityContext", "runAsNonRoot") != true ||
		c.get("securityContext", "readOnlyRootFilesystem") != true ||
		c.get("securityContext", "allowPrivilegeEscalation") != false {
		t.Errorf("the core's pod is not locked down: %v / %v", d.get("spec", "template", "spec", "securityContext"), c.get("securityContext"))
	}

	role := objs["Role/atrium-sessions"]
	if ns := role.get("metadata", "namespace"); ns != "atrium-sessions" {
		t.Errorf("the sessions Role is in %v, want atrium-sessions", ns)
	}
	var resources []string
	for _, r := range role.get("rules").([]any) {
		for _, res := range r.(map[string]any)["resources"].([]any) {
			resources = append(resources, res.(string))
		}
	}
	for _, want := range []string{"pods", "pods/portforward", "secrets", "persistentvolumeclaims", "events"} {
		if !contains(resources, want) {
			t.Errorf("the sessions Role does not cover %s (has %v)", want, resources)
		}
	}
	if names := objs["ClusterRole/atrium-atrium-namespace"].get("rules", 0, "resourceNames"); len(names.([]any)) != 1 || names.([]any)[0] != "atrium-sessions" {
		t.Errorf("the ClusterRole reaches namespaces %v, want only atrium-sessions", names)
	}

	hcl, _ := objs["ConfigMap/atrium-config"].get("data", "atrium.hcl").(string)
	if _, diags := hclparse.NewParser().ParseHCL([]byte(hcl), "atrium.hcl"); diags.HasErrors() {
		t.Errorf("the ConfigMap's atrium.hcl does not parse: %v\n%s", diags, hcl)
	}
	for _, want := range []string{`namespace         = "atrium-sessions"`, `secrets_key_file = "/etc/atrium/secrets/secrets.key"`, `app_domain       = "*.apps.example.com"`,
		// The runtime plugin inherits PATH and HOME alone: without these its
		// in-cluster config fails (TestHelmInstallServesDesktop runs it).
		`KUBERNETES_SERVICE_HOST = env("KUBERNETES_SERVICE_HOST")`, `KUBERNETES_SERVICE_PORT = env("KUBERNETES_SERVICE_PORT")`} {
		if !strings.Contains(hcl, want) {
			t.Errorf("the config lacks %s:\n%s", want, hcl)
		}
	}
	rules, _ := objs["Ingress/atrium"].get("spec", "rules").([]any)
	if len(rules) != 2 || manifest(rules[1].(map[string]any)).get("host") != "*.apps.example.com" {
		t.Errorf("the Ingress rules %v lack the wildcard app domain", rules)
	}

	// One replica: no PodDisruptionBudget, which would block every drain.
	if objs := decode(t, template(t, h, "--set", "replicaCount=1")); objs["PodDisruptionBudget/atrium"] != nil {
		t.Error("a PodDisruptionBudget with one replica")
	}
}

// TestHelmChartAppliesOnCluster renders the chart for a namespace of its
// own on the local test cluster and has the real API server validate every
// object (kubectl apply --dry-run=server): schemas, RBAC rules, the
// PodDisruptionBudget. Nothing is created; the namespace is deleted.
func TestHelmChartAppliesOnCluster(t *testing.T) {
	cl := k8stest.Require(t)
	kubectl := findKubectl(t)
	h := helm(t)
	ns := cl.Namespace(t, "atrium-helm")
	out := template(t, h, "--namespace", ns)
	path := filepath.Join(t.TempDir(), "rendered.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	got := run(t, kubectl, "--kubeconfig", k8stest.KubeconfigPath(), "apply", "--dry-run=server", "-n", ns, "-f", path)
	for _, want := range []string{"deployment.apps/atrium", "role.rbac.authorization.k8s.io/atrium-sessions", "poddisruptionbudget.policy/atrium", "ingress.networking.k8s.io/atrium"} {
		if !strings.Contains(got, want) {
			t.Errorf("kubectl apply --dry-run=server did not accept %s:\n%s", want, got)
		}
	}
}

// findKubectl is the kubectl k8s-up.sh built beside the cluster's other
// binaries ($ATRIUM_K8S_CACHE/bin/<version>/kubectl).
func findKubectl(t *testing.T) string {
	t.Helper()
	cache := filepath.Dir(filepath.Dir(k8stest.KubeconfigPath()))
	found, _ := filepath.Glob(filepath.Join(cache, "bin", "*", "kubectl"))
	if len(found) == 0 {
		if p, err := exec.LookPath("kubectl"); err == nil {
			return p
		}
		skipOrFail(t, k8stest.RequireEnv, "no kubectl in "+cache+"/bin; run scripts/k8s-up.sh")
	}
	return found[len(found)-1]
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
