// Package password is an auth plugin that checks a username and password
// against the bcrypt hashes of its `config { }` block. Its login form is a
// page the core serves under /api/v1/auth/{name}/pages/login; a correct
// password completes the login there, without a redirect to a provider.
package password

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/plugin"
	"github.com/atrium-hq/atrium/sdk/schema"
)

// ErrNotConfigured is returned by calls made before Configure succeeded.
var ErrNotConfigured = errors.New("auth-password is not configured yet")

// Plugin is the password auth plugin. Create it with New.
type Plugin struct {
	mu  sync.RWMutex
	cfg *config
	// issuer names this auth block's accounts: "auth-password/" + instance.
	issuer string
}

var (
	_ auth.Auth              = (*Plugin)(nil)
	_ auth.PageServer        = (*Plugin)(nil)
	_ plugin.ConfigValidator = (*Plugin)(nil)
)

// config is the plugin's `config { }` block.
type config struct {
	Users map[string]account `json:"user"`
}

// account is one `user "name" { }` block.
type account struct {
	PasswordHash string   `json:"password_hash"`
	Email        string   `json:"email"`
	Name         string   `json:"name"`
	Groups       []string `json:"groups"`
}

// New returns an unconfigured plugin.
func New() *Plugin { return &Plugin{} }

// PluginInfo names the plugin.
func (p *Plugin) PluginInfo() plugin.Info {
	return plugin.Info{Name: "auth-password", Version: "0.1.0", Description: "Username and password from bcrypt hashes in the config (example)"}
}

// ConfigSchema describes the `config { }` block.
func (p *Plugin) ConfigSchema() schema.Object {
	return schema.Object{Blocks: map[string]schema.Block{
		"user": {Nesting: schema.NestingMap, Description: "One account; the label is its username.", Body: schema.Object{Attrs: map[string]schema.Attr{
			"password_hash": {Type: "string", Required: true, Sensitive: true, Description: "bcrypt hash of the password, e.g. from `htpasswd -nbB user pw` (the part after the colon)."},
			"email":         {Type: "string", Description: "Recorded on the user; never used to find one."},
			"name":          {Type: "string", Description: "Display name of a new user."},
			"groups":        {Type: "list(string)", Description: "Groups for the auth block's map_group rules."},
		}}},
	}}
}

// ValidateConfig checks every hash is bcrypt, so a typo fails at
// `atrium config validate` with the hash's file and line.
func (p *Plugin) ValidateConfig(_ context.Context, req plugin.ValidateConfigRequest) error {
	_, err := decode(req.Config)
	return err
}

// Configure takes the accounts.
func (p *Plugin) Configure(_ context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	c, err := decode(req.Config)
	if err != nil {
		return plugin.ConfigureResponse{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cfg, p.issuer = c, "auth-password/"+req.Instance
	return plugin.ConfigureResponse{}, nil
}

func decode(raw []byte) (*config, error) {
	var c config
	if err := plugin.DecodeConfig(raw, &c); err != nil {
		return nil, fmt.Errorf("auth-password config: %w", err)
	}
	var errs []error
	for name, a := range c.Users {
		if _, err := bcrypt.Cost([]byte(a.PasswordHash)); err != nil {
			errs = append(errs, &plugin.ConfigError{Path: []string{"user", name, "password_hash"},
				Err: fmt.Errorf("not a bcrypt hash (%w); make one with `htpasswd -nbB %s PASSWORD`", err, name)})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &c, nil
}

// settings returns the configuration, or ErrNotConfigured.
func (p *Plugin) settings() (*config, string, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.cfg == nil {
		return nil, "", ErrNotConfigured
	}
	return p.cfg, p.issuer, nil
}
