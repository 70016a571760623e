// Package sso is the core's side of logging in through an auth plugin:
// it starts a login (keeping the plugin's state server-side, bound to the
// browser by a short-lived cookie), completes it once, and turns the
// identity the plugin proves into a user. Identities are keyed by issuer
// and subject, never e-mail. A first login creates the user where the auth
// block allows signup; every login re-applies the block's group mapping,
// taking back roles the provider's groups no longer give. Everything a
// login writes, and its login session, commit in one transaction with
// their audit rows; a refused login writes only an auth.login_failed row.
package sso

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/connect"
)

var (
	// ErrUnknownProvider means no auth block has that name.
	ErrUnknownProvider = errors.New("no such login provider")
	// ErrRefused means a login was refused; the error's text says why and
	// an auth.login_failed audit row records it.
	ErrRefused = errors.New("login refused")
)

// DefaultAttemptTTL bounds the time between starting a login and its
// callback.
const DefaultAttemptTTL = 10 * time.Minute

// pluginCallTimeout bounds each call to an auth plugin; CompleteLogin
// talks to the provider, which the plugin bounds itself too.
const pluginCallTimeout = 30 * time.Second

// PluginLookup returns the running auth plugin of an auth block.
type PluginLookup func(authName string) (connect.Auth, error)

// CapabilityLookup reports whether an auth block's plugin reported a
// capability (connect.CapLogout, connect.CapRefresh); see HostCapable.
type CapabilityLookup func(authName, capability string) bool

// LoginThrottle counts failed logins per client address and username and
// refuses attempts after too many; authn.Throttle is one.
type LoginThrottle interface {
	Allow(ctx context.Context, ip, username string, now time.Time) (bool, error)
	Failed(ctx context.Context, ip, username string, now time.Time) error
	Succeeded(ctx context.Context, ip, username string) error
}

// Options configure a Service.
type Options struct {
	Store *store.Store
	// Auths are the config's auth blocks.
	Auths []*config.Auth
	// Plugins finds each block's plugin; see HostPlugins.
	Plugins PluginLookup
	// Capable says which plugins can log out at their provider and
	// refresh; nil: none can.
	Capable CapabilityLookup
	// PublicURL is the origin browsers reach the core at, without a
	// trailing slash; callback URLs are built from it.
	PublicURL string
	// Sessions opens the login session inside the login's transaction.
	// Nil: Complete opens none (tests of the mapping alone).
	Sessions LoginSessions
	// Throttle counts the failed logins of plugin pages; nil: the one
	// password logins use (authn.NewLoginThrottle on Store).
	Throttle LoginThrottle
	// AttemptTTL defaults to DefaultAttemptTTL.
	AttemptTTL time.Duration
	Logger     hclog.Logger
}

// Service runs logins through auth plugins.
type Service struct {
	opts  Options
	auths atomic.Pointer[authSet]
	log   hclog.Logger
}

// authSet is the auth blocks as one immutable snapshot, which a
// configuration reload swaps whole (SetAuths).
type authSet struct {
	list   []*config.Auth // configuration order
	byName map[string]*config.Auth
}

// SetAuths replaces the auth blocks' login rules (signup, group mappings,
// platform admin groups, display names), as a configuration reload does.
// Logins from now on apply them; logins in flight finish with the ones
// they began with.
func (s *Service) SetAuths(auths []*config.Auth) {
	set := &authSet{list: auths, byName: make(map[string]*config.Auth, len(auths))}
	for _, a := range auths {
		set.byName[a.Name] = a
	}
	s.auths.Store(set)
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Plugins == nil {
		return nil, errors.New("sso: Store and Plugins are required; this is a wiring bug")
	}
	if o.AttemptTTL <= 0 {
		o.AttemptTTL = DefaultAttemptTTL
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.Throttle == nil {
		o.Throttle = authn.NewLoginThrottle(o.Store)
	}
	if o.Capable == nil {
		o.Capable = func(string, string) bool { return false }
	}
	o.PublicURL = strings.TrimSuffix(o.PublicURL, "/")
	s := &Service{opts: o, log: o.Logger.Named("sso")}
	s.SetAuths(o.Auths)
	return s, nil
}

// Provider is one way to log in, for the login page.
type Provider struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	// LoginURL starts the login; append ?next=/path to come back there.
	LoginURL string `json:"login_url"`
}

// Providers lists the configured login providers in config order.
func (s *Service) Providers() []Provider {
	auths := s.auths.Load().list
	out := make([]Provider, 0, len(auths))
	for _, a := range auths {
		out = append(out, Provider{Name: a.Name, DisplayName: a.DisplayName, LoginURL: LoginPath(a.Name)})
	}
	return out
}

// LoginPath and CallbackPath are where Routes serves an auth block.
func LoginPath(authName string) string { return "/api/v1/auth/" + authName + "/login" }

// CallbackPath is the redirect URI to register at the provider, after the
// public URL.
func CallbackPath(authName string) string { return "/api/v1/auth/" + authName + "/callback" }

// CallbackURL is the absolute redirect URI of an auth block.
func (s *Service) CallbackURL(authName string) string {
	return s.opts.PublicURL + CallbackPath(authName)
}

func (s *Service) plugin(authName string) (*config.Auth, connect.Auth, error) {
	a, ok := s.auths.Load().byName[authName]
	if !ok {
		return nil, nil, fmt.Errorf("%w: %q", ErrUnknownProvider, authName)
	}
	p, err := s.opts.Plugins(authName)
	if err != nil {
		return nil, nil, fmt.Errorf("auth plugin of %q is not available: %w; see the plugin status", authName, err)
	}
	return a, p, nil
}

// source is how memberships granted by an auth block are marked.
func source(authName string) string { return "auth:" + authName }

// parseAttemptID reads the attempt cookie's value.
func parseAttemptID(v string) (uuid.UUID, error) {
	if v == "" {
		return uuid.Nil, errors.New("the login-attempt cookie is missing (cookies blocked, another browser, or the login took too long); start the login again")
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return uuid.Nil, errors.New("the login-attempt cookie is malformed; start the login again")
	}
	return id, nil
}

// loginContext bounds one plugin call.
func loginContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, pluginCallTimeout)
}
