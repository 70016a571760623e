package kube

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// specKey is the key of the session Secret that holds the launch spec
// without its secrets. A dot-first name can never be a secret key the pod
// sees: only the spec's own secret keys are projected into the pod.
const specKey = ".atrium-spec.json"

// stored is what the session Secret keeps so that a fresh plugin process
// can create the pod again on resume: ResumeRequest carries only the
// handle.
type stored struct {
	Session runtime.Session `json:"session"`
	Spec    launch.Spec     `json:"spec"`
}

// specDigest identifies a launch spec, secrets included (they change the
// pod's files), without revealing them.
func specDigest(spec launch.Spec) string {
	b, _ := json.Marshal(spec)
	return digest(string(b))[:32]
}

// putSecret creates or replaces the session Secret: the spec (secrets
// removed) plus one key per secret. It also clears the hibernation mark.
func (c *cluster) putSecret(ctx context.Context, s runtime.Session, spec launch.Spec) error {
	public := spec
	public.Secrets = nil
	b, err := json.Marshal(stored{Session: s, Spec: public})
	if err != nil {
		return fmt.Errorf("encode the launch spec of session %s: %w", s.ID, err)
	}
	labels, annotations := c.objectLabels(s)
	data := map[string][]byte{specKey: b}
	for k, v := range spec.Secrets {
		data[k] = []byte(v)
	}
	immutable := false
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: podName(s.ID), Namespace: c.cfg.namespace, Labels: labels, Annotations: annotations},
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
		Immutable:  &immutable,
	}
	api := c.client.CoreV1().Secrets(c.cfg.namespace)
	if _, err := api.Create(ctx, sec, metav1.CreateOptions{}); isConflict(err) {
		old, gerr := api.Get(ctx, sec.Name, metav1.GetOptions{})
		if gerr != nil {
			return c.apiErr("read the Secret of session "+s.ID, gerr)
		}
		sec.ResourceVersion = old.ResourceVersion
		if _, err := api.Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
			return c.apiErr("update the Secret of session "+s.ID, err)
		}
	} else if err != nil {
		return c.apiErr("create the Secret of session "+s.ID, err)
	}
	return nil
}

// getSecret reads the session Secret; nil when there is none.
func (c *cluster) getSecret(ctx context.Context, id string) (*corev1.Secret, error) {
	sec, err := c.client.CoreV1().Secrets(c.cfg.namespace).Get(ctx, podName(id), metav1.GetOptions{})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, c.apiErr("read the Secret of session "+id, err)
	}
	return sec, nil
}

// storedSpec is the session and launch spec, secrets back in, a Secret
// holds.
func storedSpec(sec *corev1.Secret) (runtime.Session, launch.Spec, error) {
	var st stored
	if err := json.Unmarshal(sec.Data[specKey], &st); err != nil {
		return runtime.Session{}, launch.Spec{}, fmt.Errorf("the Secret %s holds no readable launch spec (%v): destroy the session and start a new one", sec.Name, err)
	}
	for k, v := range sec.Data {
		if k == specKey {
			continue
		}
		if st.Spec.Secrets == nil {
			st.Spec.Secrets = map[string]string{}
		}
		st.Spec.Secrets[k] = string(v)
	}
	return st.Session, st.Spec, nil
}

// markHibernated sets or clears the hibernation mark on the session Secret.
func (c *cluster) markHibernated(ctx context.Context, id string, on bool) error {
	patch := `{"metadata":{"annotations":{"` + AnnotationHibernated + `":null}}}`
	if on {
		patch = `{"metadata":{"annotations":{"` + AnnotationHibernated + `":"true"}}}`
	}
	_, err := c.client.CoreV1().Secrets(c.cfg.namespace).Patch(ctx, podName(id), "application/merge-patch+json", []byte(patch), metav1.PatchOptions{})
	if isNotFound(err) {
		return runtime.ErrSessionNotFound
	}
	if err != nil {
		return c.apiErr("mark session "+id+" hibernated", err)
	}
	return nil
}

// deleteSecret removes the session Secret; absent is fine.
func (c *cluster) deleteSecret(ctx context.Context, id string) error {
	err := c.client.CoreV1().Secrets(c.cfg.namespace).Delete(ctx, podName(id), metav1.DeleteOptions{})
	if err != nil && !isNotFound(err) {
		return c.apiErr("delete the Secret of session "+id, err)
	}
	return nil
}
