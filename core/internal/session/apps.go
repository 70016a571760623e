package session

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// AppLocator says where browsers reach sessions' web apps. Only the app
// proxy knows (it depends on server { public_url } and { app_domain }),
// and a web app must be told: Jupyter builds absolute links from it.
type AppLocator interface {
	// AppLocation returns the origin (scheme://host[:port]) and base path
	// ("/" or "/apps/{session}/") of the session's app.
	AppLocation(sessionID uuid.UUID) (origin, basePath string)
}

// AppUpstream is what the app proxy adds to what it forwards to a
// session's web app, besides choosing the tunnel.
type AppUpstream struct {
	// AuthHeader and AuthValue are a header the proxy sets on every request
	// and WebSocket handshake: the workspace's UpstreamAuth with this
	// session's secret. AuthHeader is empty when the workspace declares
	// none, and for sessions created before their workspace declared one
	// (they have no such secret, and their app was launched without it).
	AuthHeader, AuthValue string
	// KeepBasePath: forward path-mode requests with their /apps/{session}
	// prefix, which the app routes by (workspace.DescribeResponse).
	KeepBasePath bool
}

// ErrBadUpstreamAuth is a workspace's UpstreamAuth the core cannot honour.
var ErrBadUpstreamAuth = errors.New("the workspace's upstream_auth is unusable")

// AppUpstream returns what the proxy must add to requests for s's app. It
// asks the workspace plugin and opens the session's secrets, so callers
// cache it per session instance. s must come from a checked read.
func (m *Manager) AppUpstream(ctx context.Context, s store.Session) (AppUpstream, error) {
	tpl := m.Template(s.Template)
	if tpl == nil {
		return AppUpstream{}, fmt.Errorf("template %q is no longer configured", s.Template)
	}
	ws, err := m.plugins.Workspace(tpl.Workspace)
	if err != nil {
		return AppUpstream{}, err
	}
	desc, err := ws.Describe(ctx, workspace.DescribeRequest{})
	if err != nil {
		return AppUpstream{}, fmt.Errorf("the workspace %q could not describe itself: %w", tpl.Workspace, err)
	}
	up := AppUpstream{KeepBasePath: desc.KeepBasePath}
	a := desc.UpstreamAuth
	if a == nil {
		return up, nil
	}
	if err := checkUpstreamAuth(*a, desc.Secrets); err != nil {
		return AppUpstream{}, fmt.Errorf("workspace %q: %w; fix the plugin", tpl.Workspace, err)
	}
	secrets, err := m.sealer.Open(s.OrgID, s.UserID, s.SecretsSealed)
	if err != nil {
		return AppUpstream{}, err
	}
	if v, ok := secrets[a.Secret]; ok && v != "" {
		up.AuthHeader, up.AuthValue = a.Header, a.Prefix+v
	}
	return up, nil
}

// appLocation fills an HTTP workspace's LaunchSpecRequest with where its
// app lives; desktops are reached by the relay and are not told.
func (m *Manager) appLocation(req *workspace.LaunchSpecRequest, desc workspace.DescribeResponse, id uuid.UUID) {
	if desc.Protocol != workspace.ProtocolHTTP || m.opts.Apps == nil {
		return
	}
	req.AppOrigin, req.AppBasePath = m.opts.Apps.AppLocation(id)
}

// proxyOwnedHeaders are request fields the app proxy sets or frames
// itself; a workspace must not claim them for its credential.
var proxyOwnedHeaders = map[string]bool{
	"host": true, "cookie": true, "content-length": true, "content-type": true,
	"transfer-encoding": true, "connection": true, "upgrade": true, "te": true,
	"trailer": true, "keep-alive": true, "forwarded": true, "x-real-ip": true,
	"origin": true,
}

// checkUpstreamAuth refuses a declaration that would break the proxy's own
// framing or forwarding headers, or that names no declared secret.
func checkUpstreamAuth(a workspace.UpstreamAuth, secrets []string) error {
	name := strings.ToLower(a.Header)
	switch {
	case !isToken(a.Header):
		return fmt.Errorf("%w: header %q is not a field name", ErrBadUpstreamAuth, a.Header)
	case proxyOwnedHeaders[name] || strings.HasPrefix(name, "proxy-") || strings.HasPrefix(name, "x-forwarded-") ||
		strings.HasPrefix(name, "sec-"):
		return fmt.Errorf("%w: header %q is one the proxy sets itself", ErrBadUpstreamAuth, a.Header)
	case strings.ContainsAny(a.Prefix, "\r\n\x00"):
		return fmt.Errorf("%w: the prefix holds a line break", ErrBadUpstreamAuth)
	}
	for _, s := range secrets {
		if s == a.Secret {
			return nil
		}
	}
	return fmt.Errorf("%w: secret %q is not among the secrets it lists %v", ErrBadUpstreamAuth, a.Secret, secrets)
}

// isToken reports whether s is an RFC 9110 token, the form of a field name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}
