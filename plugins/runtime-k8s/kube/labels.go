package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Labels and annotations on everything the plugin creates. They are how a
// fresh plugin process, which remembers nothing, finds a session's pod,
// Secret and home claim again.
const (
	// LabelManaged marks objects as Atrium's; the plugin lists and watches
	// only objects carrying it.
	LabelManaged = "atrium.managed"
	// LabelRuntime holds the name of the runtime block that created the
	// object, so two runtime blocks on one namespace keep apart.
	LabelRuntime = "atrium.runtime"
	// LabelSession holds the session id.
	LabelSession = "atrium.session"
	// LabelUser holds the id of the session's or home's user.
	LabelUser = "atrium.user"
	// LabelOrg holds the id of the user's organisation.
	LabelOrg = "atrium.org"
	// LabelTemplate holds the session's template name.
	LabelTemplate = "atrium.template"
	// LabelHome holds, on a home claim, a digest of the home volume name
	// the core asked for (the name itself is in AnnotationHome).
	LabelHome = "atrium.home"

	// AnnotationHome holds a home claim's home volume name as the core
	// gave it.
	AnnotationHome = "atrium.home"
	// AnnotationHibernated marks a session's Secret while its pod is
	// deliberately gone: the session is hibernated, not lost.
	AnnotationHibernated = "atrium.hibernated"
	// AnnotationDeleting is set on a pod just before the plugin deletes it,
	// saying why ("stop", "hibernate", "destroy", "replace"), so that a pod
	// deleted by anyone else reads as lost, not as stopped.
	AnnotationDeleting = "atrium.deleting"
	// AnnotationSpec holds a digest of the launch spec a pod runs, so that
	// a repeated StartSession reuses a pod only when it runs the same spec.
	AnnotationSpec = "atrium.spec"
	// AnnotationOriginal holds, as JSON, the session labels whose values
	// Kubernetes would refuse and which were stored as digests instead.
	AnnotationOriginal = "atrium.labels"
)

const managedValue = "true"

// Object names. A session's pod and Secret share one name; homes have their
// own prefix, since they outlive sessions.
const (
	sessionPrefix = "atrium-"
	homePrefix    = "atrium-home-"
)

// dns1123 is what a pod, Secret or claim name may hold.
var notDNS = regexp.MustCompile(`[^a-z0-9-]+`)

// objectName turns prefix+raw into a valid object name: raw is kept when it
// is already a lowercase DNS label, else it becomes a readable stem plus a
// digest, so distinct inputs never share a name.
func objectName(prefix, raw string) string {
	name := prefix + raw
	if len(validation.IsDNS1123Label(name)) == 0 {
		return name
	}
	stem := strings.Trim(notDNS.ReplaceAllString(strings.ToLower(raw), "-"), "-")
	sum := digest(raw)[:12]
	if max := validation.DNS1123LabelMaxLength - len(prefix) - len(sum) - 1; len(stem) > max {
		stem = strings.TrimRight(stem[:max], "-")
	}
	if stem == "" {
		return prefix + sum
	}
	return prefix + stem + "-" + sum
}

// podName is the name of a session's pod and of its Secret.
func podName(sessionID string) string { return objectName(sessionPrefix, sessionID) }

// homeName is the name of the claim that holds a home volume.
func homeName(volume string) string { return objectName(homePrefix, volume) }

// digest is the hex SHA-256 of s.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// labelValue returns v when Kubernetes accepts it as a label value, else a
// digest of it; ok says whether v was kept.
func labelValue(v string) (string, bool) {
	if len(validation.IsValidLabelValue(v)) == 0 {
		return v, true
	}
	return "h-" + digest(v)[:40], false
}

// originalLabels reads the label values kept in AnnotationOriginal.
func originalLabels(m metav1.ObjectMeta) map[string]string {
	raw := m.Annotations[AnnotationOriginal]
	if raw == "" {
		return nil
	}
	var out map[string]string
	_ = json.Unmarshal([]byte(raw), &out)
	return out
}
