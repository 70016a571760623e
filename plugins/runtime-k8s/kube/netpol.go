package kube

import (
	"context"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// policyName is the NetworkPolicy of one runtime block's sessions.
func (c *cluster) policyName() string { return objectName("atrium-sessions-", c.instance) }

// buildPolicy is the runtime block's NetworkPolicy: its session pods take
// connections only from the core's peers (config { core_cidrs,
// core_pod_labels, core_namespace }), so no session reaches another's
// ports and nothing else in the cluster reaches any. Port-forward tunnels
// enter through the kubelet, which NetworkPolicy does not govern.
func (c *cluster) buildPolicy() *networkingv1.NetworkPolicy {
	sel := map[string]string{LabelManaged: managedValue}
	sel[LabelRuntime], _ = labelValue(c.instance)
	var from []networkingv1.NetworkPolicyPeer
	for _, cidr := range c.cfg.coreCIDRs {
		from = append(from, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr}})
	}
	if len(c.cfg.corePodLabels) > 0 {
		peer := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: c.cfg.corePodLabels}}
		if c.cfg.coreNamespace != "" {
			peer.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": c.cfg.coreNamespace}}
		}
		from = append(from, peer)
	}
	labels := map[string]string{LabelManaged: managedValue, LabelRuntime: sel[LabelRuntime]}
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: c.policyName(), Namespace: c.cfg.namespace, Labels: labels},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: sel},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			// No peers at all means no ingress: socket tunnels still work.
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: from}},
		},
	}
}

// ensurePolicy creates or updates the runtime block's NetworkPolicy. A
// cluster whose network plugin does not enforce NetworkPolicy accepts the
// object and ignores it; the README says so.
func (c *cluster) ensurePolicy(ctx context.Context) error {
	if !c.cfg.networkPolicy {
		return nil
	}
	want := c.buildPolicy()
	if len(want.Spec.Ingress[0].From) == 0 {
		// An empty From would admit everyone; no rule admits no one.
		want.Spec.Ingress = nil
	}
	api := c.client.NetworkingV1().NetworkPolicies(c.cfg.namespace)
	old, err := api.Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case isNotFound(err):
		if _, err := api.Create(ctx, want, metav1.CreateOptions{}); err != nil && !isConflict(err) {
			return c.apiErr("create NetworkPolicy "+want.Name, err)
		}
	case err != nil:
		return c.apiErr("read NetworkPolicy "+want.Name, err)
	default:
		want.ResourceVersion = old.ResourceVersion
		if _, err := api.Update(ctx, want, metav1.UpdateOptions{}); err != nil {
			return c.apiErr("update NetworkPolicy "+want.Name, err)
		}
	}
	return nil
}
