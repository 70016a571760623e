package docker

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Labels on everything the plugin creates. They are how a fresh plugin
// process, which remembers nothing, finds a session's container again.
const (
	// LabelManaged marks containers, volumes and networks as Atrium's.
	// ListSessions and WatchEvents look only at objects carrying it.
	LabelManaged = "atrium.managed"
	// LabelSession holds the session id.
	LabelSession = "atrium.session"
	// LabelUser holds the id of the user who owns the session or volume.
	LabelUser = "atrium.user"
	// LabelOrg holds the id of the user's organisation.
	LabelOrg = "atrium.org"
	// LabelTemplate holds the name of the session's template.
	LabelTemplate = "atrium.template"
	// LabelHome holds, on a home volume, the home volume name the core
	// asked for (without the prefix).
	LabelHome = "atrium.home"
	// LabelRuntime holds the name of the runtime block that created the
	// object, for humans reading `docker ps`.
	LabelRuntime = "atrium.runtime"
)

// managedValue is the value of LabelManaged.
const managedValue = "true"

// Container names. A hibernated container is renamed, because labels are
// fixed at create time and a renamed container is the one mark on a stopped
// container that lives in Docker rather than in this process: a fresh
// plugin then tells "hibernated" from "exited on its own".
const (
	containerPrefix  = "atrium-"
	hibernatedSuffix = ".hibernated"
	// maxIDInName keeps container names readable; longer ids are cut and
	// made unique with a hash.
	maxIDInName = 64
)

var unsafeNameChars = regexp.MustCompile(`[^a-zA-Z0-9_.-]`)

// containerName is the name of the container of session id while it may
// run.
func containerName(id string) string {
	safe := unsafeNameChars.ReplaceAllString(id, "-")
	if safe != id || len(safe) > maxIDInName {
		// Two ids that differ only in unsafe characters must not collide.
		sum := sha256.Sum256([]byte(id))
		if len(safe) > maxIDInName {
			safe = safe[:maxIDInName]
		}
		safe += "-" + hex.EncodeToString(sum[:4])
	}
	return containerPrefix + safe
}

// hibernatedName is the name of the container of session id while it is
// hibernated.
func hibernatedName(id string) string {
	return containerName(id) + hibernatedSuffix
}

// isHibernated reports whether a container named name (as Docker reports
// it, with a leading slash) is the hibernated container of session id.
func isHibernated(name, id string) bool {
	return strings.TrimPrefix(name, "/") == hibernatedName(id)
}

// sessionLabels are the labels of a session's container: the session's own
// labels, then Atrium's, which win over any the caller set with the same
// key so that lookups by label cannot be fooled.
func (e *engine) sessionLabels(s sessionIdentity, extra map[string]string) map[string]string {
	l := make(map[string]string, len(extra)+6)
	for k, v := range extra {
		l[k] = v
	}
	l[LabelManaged] = managedValue
	l[LabelSession] = s.ID
	l[LabelUser] = s.UserID
	l[LabelOrg] = s.OrgID
	l[LabelTemplate] = s.Template
	l[LabelRuntime] = e.instance
	return l
}

// sessionIdentity is the part of runtime.Session that labels carry.
type sessionIdentity struct {
	ID, UserID, OrgID, Template string
}
