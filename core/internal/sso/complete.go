package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/auth"
)

// Callback is a provider's redirect back to the core.
type Callback struct {
	AuthName string
	// AttemptID is the login-attempt cookie's value.
	AttemptID string
	// Params are the callback's query parameters.
	Params url.Values
	// IP, UserAgent and PreviousToken describe the browser.
	IP, UserAgent, PreviousToken string
}

// Completed is a successful login.
type Completed struct {
	UserID uuid.UUID
	// Next is where the browser goes now, checked by CheckNext.
	Next string
	// Created is true when this login created the user.
	Created bool
	// Session is the opened login session; zero when Options.Sessions is
	// nil.
	Session LoginSession
}

// Complete finishes a login: it consumes the attempt (once), has the
// plugin prove the identity, and in one transaction finds or creates the
// user, applies the group mapping, opens the login session and audits.
// Any failure is an ErrRefused (or a wrapped infrastructure error) with an
// auth.login_failed audit row, and leaves no user, identity or session.
func (s *Service) Complete(ctx context.Context, cb Callback) (Completed, error) {
	out, detail, err := s.complete(ctx, cb)
	if err != nil {
		s.auditFailure(ctx, cb, detail, err)
		return Completed{}, err
	}
	return out, nil
}

// failure is what the auth.login_failed row says beyond the error.
type failure map[string]any

func (s *Service) complete(ctx context.Context, cb Callback) (Completed, failure, error) {
	a, p, err := s.plugin(cb.AuthName)
	if err != nil {
		return Completed{}, nil, err
	}
	id, err := parseAttemptID(cb.AttemptID)
	if err != nil {
		return Completed{}, nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	blob, err := s.opts.Store.ConsumeLoginAttempt(ctx, id, cb.AuthName)
	if errors.Is(err, store.ErrNotFound) {
		return Completed{}, nil, fmt.Errorf("%w: this login attempt is unknown, expired or already used; start the login again", ErrRefused)
	}
	if err != nil {
		return Completed{}, nil, fmt.Errorf("complete login: %w", err)
	}
	var st attemptState
	if err := json.Unmarshal(blob, &st); err != nil {
		return Completed{}, nil, fmt.Errorf("%w: the stored login attempt does not parse (%v); start the login again", ErrRefused, err)
	}
	next, err := CheckNext(st.Next)
	if err != nil {
		return Completed{}, nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}

	pctx, cancel := loginContext(ctx)
	defer cancel()
	resp, err := p.CompleteLogin(pctx, auth.CompleteLoginRequest{RedirectURL: s.CallbackURL(cb.AuthName), Params: cb.Params, State: st.PluginState})
	if err != nil {
		return Completed{}, nil, fmt.Errorf("%w: the auth plugin refused the callback: %w", ErrRefused, err)
	}
	return s.finish(ctx, cb, a, resp, next)
}

// finish turns the identity a plugin proved (by callback or by page) into
// the user, the group mapping, the login session and the audit row.
func (s *Service) finish(ctx context.Context, cb Callback, a *config.Auth, resp auth.CompleteLoginResponse, next string) (Completed, failure, error) {
	ident := resp.Identity
	detail := failure{"issuer": ident.Issuer, "subject": ident.Subject}
	if ident.Issuer == "" || ident.Subject == "" {
		return Completed{}, detail, fmt.Errorf("%w: the auth plugin returned an identity without issuer or subject; this is a plugin bug", ErrRefused)
	}

	var out Completed
	err := s.opts.Store.InTx(ctx, func(q *store.Queries) error {
		user, created, err := s.findOrCreateUser(ctx, q, a, ident, cb.IP)
		if err != nil {
			return err
		}
		if err := s.applyMapping(ctx, q, a, user, ident.Groups, cb.IP); err != nil {
			return err
		}
		out = Completed{UserID: user.ID, Next: next, Created: created}
		target, targetType := user.ID.String(), "user"
		if s.opts.Sessions != nil {
			sess, err := s.opts.Sessions.OpenLoginSession(ctx, q, NewLoginSession{
				UserID: user.ID, AuthPlugin: cb.AuthName, PluginSessionData: resp.SessionData, ExpiresAt: resp.ExpiresAt,
				IP: cb.IP, UserAgent: cb.UserAgent, PreviousToken: cb.PreviousToken,
			})
			if err != nil {
				return fmt.Errorf("open login session: %w", err)
			}
			out.Session = sess
			target, targetType = sess.ID.String(), "login_session"
		}
		return q.Audit(ctx, store.AuditEntry{
			Actor: store.Actor{UserID: &user.ID, IP: cb.IP}, Action: "auth.login",
			TargetType: targetType, TargetID: target,
			Details: map[string]any{"auth": cb.AuthName, "issuer": ident.Issuer, "subject": ident.Subject, "groups": ident.Groups},
		})
	})
	if err != nil {
		return Completed{}, detail, err
	}
	return out, nil, nil
}

// auditFailure records a refused login outside the (rolled back) login
// transaction. A failure to write it is logged, not returned.
func (s *Service) auditFailure(ctx context.Context, cb Callback, detail failure, cause error) {
	d := map[string]any{"auth": cb.AuthName, "reason": cause.Error()}
	for k, v := range detail {
		d[k] = v
	}
	err := s.opts.Store.Audit(context.WithoutCancel(ctx), store.AuditEntry{
		Actor: store.Actor{IP: cb.IP}, Action: "auth.login_failed", TargetType: "auth", TargetID: cb.AuthName, Details: d,
	})
	if err != nil {
		s.log.Error("could not audit a refused login", "auth", cb.AuthName, "error", err)
	}
	s.log.Info("login refused", "auth", cb.AuthName, "reason", cause.Error())
}
