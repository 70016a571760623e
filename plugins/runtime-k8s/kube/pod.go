package kube

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// containerName is the session container's name in its pod.
const containerName = "session"

// The pod's volumes.
const (
	homeVolume    = "home"
	secretsVolume = "secrets"
)

// checkSpec refuses specs Kubernetes would reject with a less helpful
// error. Values, which may be secrets, never appear in its errors.
func checkSpec(s runtime.Session, spec launch.Spec) error {
	if s.ID == "" {
		return errors.New("session id is empty: the core names every session")
	}
	if spec.Image == "" {
		return fmt.Errorf("session %s has no image: the workspace plugin's launch spec must name one", s.ID)
	}
	if spec.HomeVolume != "" && !strings.HasPrefix(spec.HomePath, "/") {
		return fmt.Errorf("session %s has home volume %q but home path %q: set Spec.HomePath to an absolute path such as /home/atrium", s.ID, spec.HomeVolume, spec.HomePath)
	}
	for k := range spec.Env {
		if len(validation.IsEnvVarName(k)) > 0 {
			return fmt.Errorf("session %s has environment variable name %q, which Kubernetes refuses", s.ID, k)
		}
	}
	for k := range spec.Secrets {
		if len(validation.IsConfigMapKey(k)) > 0 {
			return fmt.Errorf("session %s has secret name %q: a secret becomes the file %s/<name>, so use letters, digits, '-', '_' and '.'", s.ID, k, SecretsDir)
		}
	}
	if r := spec.Resources; r.CPU < 0 || r.MemoryBytes < 0 || r.Pids < 0 {
		return fmt.Errorf("session %s has negative resource limits %+v: zero means no limit", s.ID, r)
	}
	if _, _, err := ids(spec.User, 1); err != nil {
		return fmt.Errorf("session %s: %w", s.ID, err)
	}
	for k := range s.Labels {
		if len(validation.IsQualifiedName(k)) > 0 {
			return fmt.Errorf("session %s has label key %q, which Kubernetes refuses as a label key", s.ID, k)
		}
	}
	return nil
}

// ids reads a spec's "uid" or "uid:gid"; empty means def for both. Names
// are refused: the kubelet enforces runAsNonRoot only on numeric ids.
func ids(user string, def int64) (uid, gid int64, err error) {
	if user == "" {
		return def, def, nil
	}
	u, g, hasGroup := strings.Cut(user, ":")
	if uid, err = strconv.ParseInt(u, 10, 32); err != nil || uid < 1 {
		return 0, 0, fmt.Errorf("user %q is not a numeric non-root uid such as \"1000:1000\"; on Kubernetes a session runs as a number, never as root", user)
	}
	gid = uid
	if hasGroup {
		if gid, err = strconv.ParseInt(g, 10, 32); err != nil || gid < 0 {
			return 0, 0, fmt.Errorf("user %q has group %q, which is not a number", user, g)
		}
	}
	return uid, gid, nil
}

// objectLabels are the labels of everything made for the session: the
// config's extra labels, the session's (values Kubernetes refuses are
// stored as digests) and the plugin's own, which win.
func (c *cluster) objectLabels(s runtime.Session) (map[string]string, map[string]string) {
	out := map[string]string{}
	for k, v := range c.cfg.labels {
		out[k] = v
	}
	original := map[string]string{}
	add := func(k, v string) {
		lv, ok := labelValue(v)
		if !ok {
			original[k] = v
		}
		out[k] = lv
	}
	for k, v := range s.Labels {
		add(k, v)
	}
	add(LabelSession, s.ID)
	add(LabelUser, s.UserID)
	add(LabelOrg, s.OrgID)
	add(LabelTemplate, s.Template)
	out[LabelManaged] = managedValue
	add(LabelRuntime, c.instance)
	annotations := map[string]string{}
	if len(original) > 0 {
		b, _ := json.Marshal(original)
		annotations[AnnotationOriginal] = string(b)
	}
	return out, annotations
}

// buildPod is the session's pod: one container, non-root, no privilege,
// no service account token, the home claim and the secrets file mounted,
// limits from the template.
func (c *cluster) buildPod(s runtime.Session, spec launch.Spec, specDigest string) (*corev1.Pod, error) {
	uid, gid, err := ids(spec.User, c.cfg.uid)
	if err != nil {
		return nil, err
	}
	labels, annotations := c.objectLabels(s)
	for k, v := range c.cfg.annotations {
		annotations[k] = v
	}
	annotations[AnnotationSpec] = specDigest

	name := podName(s.ID)
	no, yes := false, true
	grace := int64(math.Ceil(c.cfg.stopTimeout.Seconds()))
	ctr := corev1.Container{
		Name:            containerName,
		Image:           spec.Image,
		ImagePullPolicy: c.cfg.pullPolicy,
		Env:             envVars(spec.Env),
		WorkingDir:      spec.WorkingDir,
		Ports:           containerPorts(spec.Ports),
		Resources:       c.resources(spec.Resources),
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: &no,
			Privileged:               &no,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	if len(spec.Command) > 0 {
		// The spec's command replaces the image's entrypoint and command.
		ctr.Command = spec.Command[:1]
		ctr.Args = spec.Command[1:]
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c.cfg.namespace, Labels: labels, Annotations: annotations},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			AutomountServiceAccountToken:  &no,
			EnableServiceLinks:            &no,
			ServiceAccountName:            c.cfg.serviceAccount,
			NodeSelector:                  c.cfg.nodeSelector,
			Tolerations:                   c.cfg.tolerations,
			TerminationGracePeriodSeconds: &grace,
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   &yes,
				RunAsUser:      &uid,
				RunAsGroup:     &gid,
				FSGroup:        &gid,
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
		},
	}
	if c.cfg.runtimeClass != "" {
		rc := c.cfg.runtimeClass
		pod.Spec.RuntimeClassName = &rc
	}
	for _, n := range c.cfg.pullSecrets {
		pod.Spec.ImagePullSecrets = append(pod.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: n})
	}
	if spec.HomeVolume != "" {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: homeVolume, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: homeName(spec.HomeVolume)},
		}})
		ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: homeVolume, MountPath: spec.HomePath})
	}
	if len(spec.Secrets) > 0 {
		// Only the secret keys are projected: the spec stored beside them
		// is the plugin's, not the session's. Readable by the session's
		// group (fsGroup), nobody else.
		mode := int32(0o440)
		var items []corev1.KeyToPath
		for _, k := range slices.Sorted(maps.Keys(spec.Secrets)) {
			items = append(items, corev1.KeyToPath{Key: k, Path: k})
		}
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: secretsVolume, VolumeSource: corev1.VolumeSource{
			Secret: &corev1.SecretVolumeSource{SecretName: name, Items: items, DefaultMode: &mode},
		}})
		ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: secretsVolume, MountPath: SecretsDir, ReadOnly: true})
	}
	pod.Spec.Containers = []corev1.Container{ctr}
	return pod, nil
}

// resources turns the template's limits into the container's limits, with
// requests at the configured share of them.
func (c *cluster) resources(r launch.Resources) corev1.ResourceRequirements {
	out := corev1.ResourceRequirements{Limits: corev1.ResourceList{}, Requests: corev1.ResourceList{}}
	if r.CPU > 0 {
		out.Limits[corev1.ResourceCPU] = *resource.NewMilliQuantity(int64(math.Round(r.CPU*1000)), resource.DecimalSI)
		out.Requests[corev1.ResourceCPU] = *resource.NewMilliQuantity(max(1, int64(math.Round(r.CPU*1000*c.cfg.requestRatio))), resource.DecimalSI)
	}
	if r.MemoryBytes > 0 {
		out.Limits[corev1.ResourceMemory] = *resource.NewQuantity(r.MemoryBytes, resource.BinarySI)
		out.Requests[corev1.ResourceMemory] = *resource.NewQuantity(max(1, int64(float64(r.MemoryBytes)*c.cfg.requestRatio)), resource.BinarySI)
	}
	// Pids limits are the kubelet's (podPidsLimit), set per node, not per
	// pod: r.Pids has no pod field to go in.
	return out
}

// envVars is env as a sorted list, so the same spec makes the same pod.
func envVars(env map[string]string) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, corev1.EnvVar{Name: k, Value: env[k]})
	}
	return out
}

func containerPorts(ports []launch.Port) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	for _, p := range ports {
		cp := corev1.ContainerPort{ContainerPort: int32(p.Port), Protocol: corev1.ProtocolTCP}
		if len(validation.IsValidPortName(p.Name)) == 0 {
			cp.Name = p.Name
		}
		out = append(out, cp)
	}
	return out
}
