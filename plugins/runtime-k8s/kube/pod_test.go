package kube_test

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-hq/atrium/plugins/runtime-k8s/kube"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// TestPodIsHardened starts a session and checks both what the pod asks for
// and what the kernel then says about the session's process: not root, no
// capabilities, no privilege gain, seccomp on, no service account token,
// and its secret a file, not in the environment or the pod spec.
func TestPodIsHardened(t *testing.T) {
	w := newWorld(t, nil)
	id := randomID()
	secret := "hardened-" + randomID()
	spec := launch.Spec{
		Image: "docker.io/atrium-test/tools:1",
		// The greeting is the process's own view of itself.
		Command: []string{"nc", "-ll", "-p", "7000", "-e", "sh", "-c",
			"id -u; grep -E '^(CapEff|CapPrm|NoNewPrivs|Seccomp):' /proc/self/status; ls /var/run/secrets/kubernetes.io 2>&1; env; cat " + kube.SecretsDir + "/" + greetingKey},
		Env:       map[string]string{"VISIBLE": "plain"},
		Secrets:   map[string]string{greetingKey: secret},
		Ports:     []launch.Port{{Name: "probe", Port: echoPort}},
		Resources: launch.Resources{CPU: 0.25, MemoryBytes: 32 << 20},
	}
	s := session(id)
	if _, err := w.rt.StartSession(ctxT(t), runtime.StartRequest{Session: s, Spec: spec}); err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	w.waitState(id, "running", func(st runtime.Status) bool { return st.State == runtime.StateRunning })

	pod, err := w.cl.Client.CoreV1().Pods(w.ns).Get(ctxT(t), "atrium-"+id, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get pod: %v", err)
	}
	raw, _ := json.Marshal(pod)
	if strings.Contains(string(raw), secret) {
		t.Error("the secret's value is in the pod object")
	}
	ps := pod.Spec
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		t.Error("automountServiceAccountToken is not false")
	}
	sc := ps.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security context %+v lacks runAsNonRoot or seccomp RuntimeDefault", sc)
	}
	c := ps.Containers[0]
	if c.SecurityContext == nil || c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation ||
		c.SecurityContext.Capabilities == nil || len(c.SecurityContext.Capabilities.Drop) != 1 || c.SecurityContext.Capabilities.Drop[0] != "ALL" {
		t.Errorf("container security context %+v does not drop ALL and forbid escalation", c.SecurityContext)
	}
	for _, e := range c.Env {
		if e.Value == secret || e.ValueFrom != nil {
			t.Errorf("env %s carries a secret", e.Name)
		}
	}
	if lim := c.Resources.Limits.Memory().Value(); lim != 32<<20 {
		t.Errorf("memory limit %d, want %d", lim, 32<<20)
	}
	if req := c.Resources.Requests.Cpu().MilliValue(); req != 13 {
		t.Errorf("cpu request %dm, want 13m (0.25 cores at request_ratio 0.05)", req)
	}
	for _, k := range []string{kube.LabelSession, kube.LabelUser, kube.LabelOrg, kube.LabelRuntime, "atrium.install"} {
		if pod.Labels[k] == "" {
			t.Errorf("pod lacks label %s", k)
		}
	}

	conn := w.dialEndpoint(id)
	defer conn.Close()
	out := readAll(t, conn)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] == "0" {
		t.Errorf("the session runs as root: %q", out)
	}
	for _, want := range []string{"CapEff:\t0000000000000000", "CapPrm:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2"} {
		if !strings.Contains(out, want) {
			t.Errorf("the process's status lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "No such file") {
		t.Errorf("a service account token directory is mounted:\n%s", out)
	}
	if !strings.Contains(out, "VISIBLE=plain") {
		t.Errorf("the environment lacks VISIBLE:\n%s", out)
	}
	if strings.Count(out, secret) != 1 || !strings.HasSuffix(strings.TrimSpace(out), secret) {
		t.Errorf("the secret should appear once, read from its file, never in env:\n%s", out)
	}
}
