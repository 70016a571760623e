package appproxy

import (
	"github.com/google/uuid"
)

// Locator says where browsers reach sessions' apps. The session manager
// passes it on to web-app workspaces at launch (session.AppLocator), since
// apps such as Jupyter build absolute links and check origins from it.
// It depends only on the configuration, so the server can build it before
// either the manager or the proxy.
type Locator struct{ o origins }

// NewLocator reads server { public_url } and { app_domain } as New does.
func NewLocator(publicURL, appDomain string) (Locator, error) {
	o, err := parseOrigins(publicURL, appDomain)
	if err != nil {
		return Locator{}, err
	}
	return Locator{o: o}, nil
}

// AppLocation returns the origin of the session's app and the path under
// it where the app lives: its own origin and "/" in isolation mode, the
// core's origin and "/apps/{session}/" in path mode.
func (l Locator) AppLocation(id uuid.UUID) (origin, basePath string) {
	if l.o.appSuffix == "" {
		return l.o.public, PathPrefix + id.String() + "/"
	}
	return l.o.appOrigin(id), "/"
}

// appOrigin is the origin of a session's app in isolation mode.
func (o origins) appOrigin(id uuid.UUID) string {
	return o.scheme + "://" + id.String() + o.appSuffix + o.port
}
