package kube

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

func isNotFound(err error) bool { return err != nil && apierrors.IsNotFound(err) }

func isConflict(err error) bool {
	return err != nil && (apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err))
}

// apiErr explains a failed API call, naming the likely fix.
func (c *cluster) apiErr(what string, err error) error {
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%s on %s: %w; grant the plugin's credentials pods, pods/portforward, secrets, persistentvolumeclaims and events in namespace %q (the Helm chart's Role does)", what, c.host, err, c.cfg.namespace)
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("%s on %s: %w; the kubeconfig's credentials were refused", what, c.host, err)
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%s on %s: %w", what, c.host, err)
	case apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) || apierrors.IsServiceUnavailable(err):
		return fmt.Errorf("%s on %s: the API server is busy or unavailable: %w", what, c.host, err)
	default:
		return fmt.Errorf("%s on %s: %w", what, c.host, err)
	}
}
