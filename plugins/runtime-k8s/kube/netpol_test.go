package kube_test

import (
	"encoding/json"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-hq/atrium/plugins/runtime-k8s/kube"
	"github.com/atrium-hq/atrium/sdk/plugin"
)

// TestNetworkPolicyAdmitsOnlyTheCore: Configure keeps one NetworkPolicy
// per runtime block selecting its session pods, admitting ingress from the
// configured core peers alone. The test cluster's network plugin (Debian's
// bridge CNI) does not enforce NetworkPolicy, so this checks the object
// the API server stores, not packets.
func TestNetworkPolicyAdmitsOnlyTheCore(t *testing.T) {
	w := newWorld(t, map[string]any{
		"core_pod_labels": map[string]string{"app.kubernetes.io/name": "atrium"},
		"core_namespace":  "atrium-system",
	})
	pols, err := w.cl.Client.NetworkingV1().NetworkPolicies(w.ns).List(ctxT(t), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pols.Items) != 1 {
		t.Fatalf("%d NetworkPolicies in the namespace, want 1", len(pols.Items))
	}
	p := pols.Items[0]
	if got := p.Spec.PodSelector.MatchLabels; got[kube.LabelManaged] != "true" || got[kube.LabelRuntime] != testInstance {
		t.Errorf("the policy selects %v, not this runtime block's session pods", got)
	}
	if len(p.Spec.PolicyTypes) != 1 || p.Spec.PolicyTypes[0] != networkingv1.PolicyTypeIngress || len(p.Spec.Ingress) != 1 {
		t.Fatalf("policy %+v is not one ingress rule", p.Spec)
	}
	from := p.Spec.Ingress[0].From
	if len(from) != 2 || from[0].IPBlock == nil || from[0].IPBlock.CIDR != hostCIDR(t, w.cl) ||
		from[1].PodSelector == nil || from[1].PodSelector.MatchLabels["app.kubernetes.io/name"] != "atrium" ||
		from[1].NamespaceSelector == nil || from[1].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "atrium-system" {
		b, _ := json.Marshal(from)
		t.Errorf("ingress from %s, want the core CIDR and the core's pods in atrium-system", b)
	}
	// Configuring again (a plugin restart) updates, never duplicates.
	configure(t, newWorldOn(t, w))
	if pols, _ = w.cl.Client.NetworkingV1().NetworkPolicies(w.ns).List(ctxT(t), metav1.ListOptions{}); len(pols.Items) != 1 {
		t.Errorf("%d policies after a second Configure", len(pols.Items))
	}
}

// TestNetworkPolicyNeedsCorePeers: in endpoint mode a policy that admits no
// one would cut the core off; Configure says what to set instead.
func TestNetworkPolicyNeedsCorePeers(t *testing.T) {
	w := newWorld(t, nil)
	cfg := map[string]any{}
	for k, v := range w.cfg {
		cfg[k] = v
	}
	delete(cfg, "core_cidrs")
	b, _ := json.Marshal(cfg)
	_, err := kube.New().Configure(ctxT(t), plugin.ConfigureRequest{Config: b, Instance: testInstance})
	if err == nil || !strings.Contains(err.Error(), "core_pod_labels") {
		t.Fatalf("Configure without core peers: %v; want it to name core_cidrs/core_pod_labels", err)
	}
	cfg["tunnel"] = kube.TunnelModeSocket
	b, _ = json.Marshal(cfg)
	if _, err := kube.New().Configure(ctxT(t), plugin.ConfigureRequest{Config: b, Instance: testInstance}); err != nil {
		t.Fatalf("socket mode needs no core peers: %v", err)
	}
}
