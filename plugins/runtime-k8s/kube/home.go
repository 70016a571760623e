package kube

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// ensureHome makes sure the user's home claim exists. An existing claim is
// used as it is: it may have been resized or restored by an administrator.
func (c *cluster) ensureHome(ctx context.Context, s runtime.Session, volume string) error {
	api := c.client.CoreV1().PersistentVolumeClaims(c.cfg.namespace)
	name := homeName(volume)
	if _, err := api.Get(ctx, name, metav1.GetOptions{}); err == nil {
		return nil
	} else if !isNotFound(err) {
		return c.apiErr("read home claim "+name, err)
	}
	labels := map[string]string{}
	for k, v := range c.cfg.labels {
		labels[k] = v
	}
	labels[LabelManaged] = managedValue
	labels[LabelRuntime], _ = labelValue(c.instance)
	labels[LabelUser], _ = labelValue(s.UserID)
	labels[LabelHome] = digest(volume)[:40]
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.cfg.namespace, Labels: labels,
			Annotations: map[string]string{AnnotationHome: volume}},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: c.cfg.homeSize}},
		},
	}
	if c.cfg.storageClass != "" {
		sc := c.cfg.storageClass
		pvc.Spec.StorageClassName = &sc
	}
	if _, err := api.Create(ctx, pvc, metav1.CreateOptions{}); err != nil && !isConflict(err) {
		return c.apiErr(fmt.Sprintf("create home claim %s (%s, class %q)", name, c.cfg.homeSize.String(), c.cfg.storageClass), err)
	}
	return nil
}

// removeHome deletes the user's home claim; absent is fine.
func (c *cluster) removeHome(ctx context.Context, volume string) error {
	name := homeName(volume)
	err := c.client.CoreV1().PersistentVolumeClaims(c.cfg.namespace).Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !isNotFound(err) {
		return c.apiErr("delete home claim "+name, err)
	}
	return nil
}
