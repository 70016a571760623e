package deploy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-hq/atrium/test/harness"
	"github.com/atrium-hq/atrium/test/k8stest"
)

// podGateway is the host's address on the test cluster's pod bridge
// (scripts/k8s-env.sh): pods reach the host there.
const podGateway = "10.244.0.1"

// postgresManifest is a PostgreSQL for the release: Debian's PostgreSQL 15
// in the compose stand-in image, since no image can be pulled here.
const postgresManifest = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: postgres}
spec:
  replicas: 1
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      containers:
        - name: postgres
          image: %s
          imagePullPolicy: Never
          env:
            - {name: POSTGRES_USER, value: atrium}
            - {name: POSTGRES_PASSWORD, value: helm-test}
            - {name: POSTGRES_DB, value: atrium}
          ports: [{containerPort: 5432}]
          readinessProbe:
            tcpSocket: {port: 5432}
            periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {name: postgres}
spec:
  selector: {app: postgres}
  ports: [{port: 5432}]
`

// TestHelmInstallServesDesktop installs the chart on the local cluster with
// two replicas beside a PostgreSQL, creates a desktop through the Service
// and streams it; then deletes one core pod: the other still serves the
// API and new relay streams, and the session runs on, unchanged.
//
// The cluster runs neither kube-proxy nor DNS (scripts/k8s-up.sh), so the
// test stands in for both where a real cluster has them: it reaches the
// Service through its EndpointSlices (a connection to a ready endpoint at
// a time, as kube-proxy would), the core pods reach the API server through
// a forwarder on the pod bridge under the name the API server's
// certificate carries (hostAliases), and the database URL names the
// PostgreSQL pod's IP.
func TestHelmInstallServesDesktop(t *testing.T) {
	cl := k8stest.Require(t)
	kubectl := findKubectl(t)
	h := helm(t)
	image := coreImage(t)
	pgImage := lastLine(run(t, "bash", "deploy/compose/postgres-standin/build.sh"))
	for _, img := range []string{image, pgImage} {
		importImage(t, cl, img)
	}
	ns := cl.Namespace(t, "atrium-helm-install")
	k := func(args ...string) string {
		t.Helper()
		return run(t, kubectl, append([]string{"--kubeconfig", cl.Kubeconfig, "-n", ns}, args...)...)
	}
	ctx := context.Background()

	dir := t.TempDir()
	pgPath := filepath.Join(dir, "postgres.yaml")
	if err := os.WriteFile(pgPath, []byte(fmt.Sprintf(postgresManifest, pgImage)), 0o600); err != nil {
		t.Fatal(err)
	}
	k("apply", "-f", pgPath)
	k("rollout", "status", "deployment/postgres", "--timeout=120s")
	pgIP := k("get", "pod", "-l", "app=postgres", "-o", "jsonpath={.items[0].status.podIP}")

	api, err := url.Parse(cl.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	apiFwd := forward(t, podGateway+":0", func() (string, error) { return api.Host, nil })
	_, apiPort, _ := net.SplitHostPort(apiFwd)

	svc := &serviceEndpoints{cl: cl, ns: ns, service: "atrium"}
	front := forward(t, "127.0.0.1:0", svc.next)
	base := "http://" + front

	tag := image[strings.LastIndexByte(image, ':')+1:]
	values := fmt.Sprintf(`replicaCount: 2
image: {repository: %q, tag: %q, pullPolicy: Never}
publicURL: %q
database: {url: "postgres://atrium:helm-test@%s:5432/atrium?sslmode=disable"}
sessions: {tunnel: endpoint, networks: [10.244.0.0/16], imagePullPolicy: Never, homeSize: 1Gi}
hostAliases: [{ip: %q, hostnames: [kubernetes.default.svc]}]
extraEnv:
  - {name: KUBERNETES_SERVICE_HOST, value: kubernetes.default.svc}
  - {name: KUBERNETES_SERVICE_PORT, value: %q}
resources: {requests: {cpu: 50m, memory: 128Mi}, limits: {memory: 512Mi}}
terminationGracePeriodSeconds: 15
extraConfig: |
  template "desktop" {
    workspace = "desktop"
    runtime   = "kubernetes"
    cpu       = 1
    memory    = "1GiB"
  }
`, image[:strings.LastIndexByte(image, ':')], tag, base, pgIP, podGateway, apiPort)
	valuesPath := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(valuesPath, []byte(values), 0o600); err != nil {
		t.Fatal(err)
	}
	installed := time.Now()
	helmArgs := []string{"--kubeconfig", cl.Kubeconfig, "-n", ns}
	t.Cleanup(func() {
		if t.Failed() {
			cmd := exec.Command(kubectl, "--kubeconfig", cl.Kubeconfig, "-n", ns, "logs", "-l", "app.kubernetes.io/name=atrium", "--tail=60", "--prefix")
			out, _ := cmd.CombinedOutput()
			t.Logf("core pods' logs:\n%s", out)
		}
		cmd := exec.Command(h, append([]string{"uninstall", "atrium", "--wait", "--timeout", "2m"}, helmArgs...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("helm uninstall: %v\n%s", err, out)
		}
	})
	run(t, h, append([]string{"install", "atrium", chart, "-f", valuesPath, "--wait", "--timeout", "2m"}, helmArgs...)...)
	t.Logf("helm install with 2 replicas ready in %s", time.Since(installed).Round(time.Millisecond))

	// The first admin, made inside a core pod as an operator would.
	admin := exec.Command(kubectl, "--kubeconfig", cl.Kubeconfig, "-n", ns, "exec", "-i", "deploy/atrium", "--",
		"/usr/lib/atrium/atrium", "admin", "create-user", "-config", "/etc/atrium/config/atrium.hcl", "-username", "admin", "-admin")
	admin.Stdin = strings.NewReader("helm test admin password\n")
	if out, err := admin.CombinedOutput(); err != nil {
		t.Fatalf("create the admin in a core pod: %v\n%s", err, out)
	}
	tctx := func(d time.Duration) context.Context {
		c, cancel := context.WithTimeout(ctx, d)
		t.Cleanup(cancel)
		return c
	}
	user, err := harness.Login(tctx(30*time.Second), base, "admin", "helm test admin password")
	if err != nil {
		t.Fatal(err)
	}
	// A new connection per request, so the requests spread over both pods.
	user.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

	created := time.Now()
	s, err := user.CreateSession(tctx(30*time.Second), "desktop")
	if err != nil {
		t.Fatal(err)
	}
	running, err := user.WaitState(tctx(3*time.Minute), s.ID, "running")
	if err != nil {
		t.Fatal(err)
	}
	d, err := harness.OpenDesktop(tctx(30*time.Second), user, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n, err := harness.FirstFramebuffer(tctx(30*time.Second), d.Client); err != nil || n == 0 {
		t.Fatalf("no pixels through the Service: %d bytes, %v", n, err)
	}
	t.Logf("desktop created through the Service, streaming %s after the create", time.Since(created).Round(time.Millisecond))

	cores, err := cl.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=atrium"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cores.Items) != 2 {
		t.Fatalf("%d core pods, want 2", len(cores.Items))
	}
	victim, survivor := cores.Items[0], cores.Items[1]
	deleted := time.Now()
	if err := cl.Client.CoreV1().Pods(ns).Delete(ctx, victim.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := cl.Client.CoreV1().Pods(ns).Get(ctx, victim.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Since(deleted) > time.Minute {
			t.Fatalf("core pod %s still there a minute after its delete (%v)", victim.Name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("core pod %s deleted (drained and gone in %s); %s serves on", victim.Name, time.Since(deleted).Round(time.Millisecond), survivor.Name)

	// The API and a new relay stream, through the Service.
	got, err := user.Session(tctx(30*time.Second), s.ID)
	if err != nil {
		t.Fatalf("the API through the Service after the pod's delete: %v", err)
	}
	if got.State != "running" {
		t.Errorf("the session is %q after a core pod's delete, want running", got.State)
	}
	if fmt.Sprint(got) != fmt.Sprint(running) {
		t.Errorf("the session changed across the core pod's delete:\nbefore %+v\nafter  %+v", running, got)
	}
	d2, err := harness.OpenDesktop(tctx(30*time.Second), user, s.ID)
	if err != nil {
		t.Fatalf("a new relay stream after the pod's delete: %v", err)
	}
	defer d2.Close()
	if n, err := harness.FirstFramebuffer(tctx(30*time.Second), d2.Client); err != nil || n == 0 {
		t.Fatalf("no pixels through the Service after the pod's delete: %d bytes, %v", n, err)
	}
	if p, err := cl.Client.CoreV1().Pods(ns).Get(ctx, survivor.Name, metav1.GetOptions{}); err != nil || restarts(p) != 0 {
		t.Errorf("the surviving core pod %s: %v, %d restarts", survivor.Name, err, restarts(p))
	}
	// The session's pod ran throughout: the same pod, never restarted.
	sessPods, err := cl.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name!=atrium,app!=postgres"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sessPods.Items) != 1 || sessPods.Items[0].Status.Phase != corev1.PodRunning || restarts(&sessPods.Items[0]) != 0 ||
		sessPods.Items[0].CreationTimestamp.Time.After(deleted) {
		t.Errorf("want the one session pod, running since before the delete, never restarted; have %d pods: %v", len(sessPods.Items), podSummary(sessPods.Items))
	}

	// The session goes with its home, so nothing outlives the namespace.
	if err := user.Delete(tctx(30*time.Second), s.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := user.WaitState(tctx(2*time.Minute), s.ID, "deleted"); err != nil {
		t.Fatal(err)
	}
}

func restarts(p *corev1.Pod) int32 {
	if p == nil {
		return -1
	}
	var n int32
	for _, c := range p.Status.ContainerStatuses {
		n += c.RestartCount
	}
	return n
}

func podSummary(pods []corev1.Pod) string {
	var b strings.Builder
	for _, p := range pods {
		fmt.Fprintf(&b, "%s %s restarts=%d created=%s; ", p.Name, p.Status.Phase, restarts(&p), p.CreationTimestamp.Format(time.RFC3339))
	}
	return b.String()
}

// importImage copies a Docker image into the test cluster's containerd
// (k8s-up.sh's own, beside the kubeconfig), unless it is there, so pods
// run it with imagePullPolicy Never.
func importImage(t *testing.T, cl *k8stest.Cluster, image string) {
	t.Helper()
	sock := filepath.Join(filepath.Dir(cl.Kubeconfig), "containerd", "containerd.sock")
	ref := "docker.io/" + image
	out := run(t, "ctr", "--address", sock, "-n", "k8s.io", "images", "ls", "-q", "name=="+ref)
	if strings.TrimSpace(out) == ref {
		return
	}
	run(t, "bash", "-c", `set -o pipefail; docker save "$1" | ctr --address "$2" -n k8s.io images import -`, "import", image, sock)
}

// forward listens on addr and copies every connection to and from the
// address to() picks for it; it returns the address it listens on.
func forward(t *testing.T, addr string, to func() (string, error)) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				target, err := to()
				if err != nil {
					return
				}
				up, err := net.DialTimeout("tcp", target, 5*time.Second)
				if err != nil {
					return
				}
				defer up.Close()
				harness.Splice(up, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// serviceEndpoints picks, round-robin, a ready endpoint of a Service from
// its EndpointSlices: what kube-proxy does for a ClusterIP, which this
// cluster does not run.
type serviceEndpoints struct {
	cl      *k8stest.Cluster
	ns      string
	service string
	n       atomic.Uint64
}

func (s *serviceEndpoints) next() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	slices, err := s.cl.Client.DiscoveryV1().EndpointSlices(s.ns).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=" + s.service})
	if err != nil {
		return "", err
	}
	var ready []string
	for _, sl := range slices.Items {
		if len(sl.Ports) == 0 || sl.Ports[0].Port == nil {
			continue
		}
		for _, ep := range sl.Endpoints {
			if ep.Conditions.Ready != nil && *ep.Conditions.Ready && len(ep.Addresses) > 0 {
				ready = append(ready, net.JoinHostPort(ep.Addresses[0], fmt.Sprint(*sl.Ports[0].Port)))
			}
		}
	}
	if len(ready) == 0 {
		return "", fmt.Errorf("service %s has no ready endpoint", s.service)
	}
	return ready[int(s.n.Add(1)-1)%len(ready)], nil
}
