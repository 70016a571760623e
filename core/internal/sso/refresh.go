package sso

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/connect"
)

// Defaults of RefreshOptions.
const (
	// DefaultRefreshEvery is how often the refresh job looks for due
	// login sessions.
	DefaultRefreshEvery = time.Minute
	// DefaultRefreshAfter is how long a login session goes unrefreshed: a
	// person removed at the provider loses access within about this long.
	DefaultRefreshAfter = 5 * time.Minute
	// refreshBatch bounds the sessions one round claims.
	refreshBatch = 200
)

// RefreshOptions configure RunRefresh.
type RefreshOptions struct {
	// Every defaults to DefaultRefreshEvery; After to DefaultRefreshAfter.
	Every, After time.Duration
	// Revoked, if set, is called after a refresh ended a login session
	// (to close the user's live desktops, as logout does).
	Revoked func(sessionID, userID uuid.UUID)
}

// RefreshResult counts what one round did.
type RefreshResult struct {
	// Refreshed sessions had their identity re-applied; Revoked were
	// ended because the provider refused; Stopped cannot be refreshed
	// (no refresh token) and are no longer tried; Failed hit an error
	// that says nothing about the person (provider or plugin down) and
	// are tried again after the interval.
	Refreshed, Revoked, Stopped, Failed int
}

// RunRefresh refreshes due login sessions every o.Every until ctx ends.
// Several core replicas may run it: each session is claimed by one.
func (s *Service) RunRefresh(ctx context.Context, o RefreshOptions) {
	if o.Every <= 0 {
		o.Every = DefaultRefreshEvery
	}
	tick := time.NewTicker(o.Every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		res, err := s.RefreshDue(ctx, o)
		if err != nil && ctx.Err() == nil {
			s.log.Error("refresh login sessions", "error", err)
		}
		if res != (RefreshResult{}) {
			s.log.Debug("refreshed login sessions", "refreshed", res.Refreshed, "revoked", res.Revoked, "stopped", res.Stopped, "failed", res.Failed)
		}
	}
}

// RefreshDue runs one round: it claims the live login sessions of auth
// blocks whose plugin can refresh and that were not refreshed within
// o.After, asks each plugin again who the person is, and re-applies the
// block's group mapping in one transaction with its audit rows. A session
// the provider refuses is revoked, audited as auth.refresh_failed.
func (s *Service) RefreshDue(ctx context.Context, o RefreshOptions) (RefreshResult, error) {
	if o.After <= 0 {
		o.After = DefaultRefreshAfter
	}
	var names []string
	for _, a := range s.auths.Load().list {
		if s.opts.Capable(a.Name, connect.CapRefresh) {
			names = append(names, a.Name)
		}
	}
	var res RefreshResult
	if len(names) == 0 {
		return res, nil
	}
	claims, err := s.opts.Store.ClaimLoginSessionsForRefresh(ctx, names, time.Now().Add(-o.After), refreshBatch)
	if err != nil {
		return res, fmt.Errorf("refresh login sessions: %w", err)
	}
	var errs []error
	for _, c := range claims {
		if ctx.Err() != nil {
			break
		}
		switch outcome, err := s.refreshOne(ctx, c); {
		case err != nil:
			res.Failed++
			errs = append(errs, err)
		case outcome == refreshed:
			res.Refreshed++
		case outcome == stopped:
			res.Stopped++
		case outcome == revoked:
			res.Revoked++
			if o.Revoked != nil {
				o.Revoked(c.ID, c.UserID)
			}
		}
	}
	return res, errors.Join(errs...)
}

type refreshOutcome int

const (
	refreshed refreshOutcome = iota
	stopped
	revoked
)

// refreshOne refreshes one claimed login session.
func (s *Service) refreshOne(ctx context.Context, c store.RefreshClaim) (refreshOutcome, error) {
	a, p, err := s.plugin(c.AuthPlugin)
	if errors.Is(err, ErrUnknownProvider) {
		// The auth block was removed from the config: nobody vouches for
		// this session any more.
		return s.revokeRefused(ctx, c, fmt.Errorf("auth block %q is no longer configured", c.AuthPlugin))
	}
	if err != nil {
		return 0, fmt.Errorf("refresh login session %s: %w", c.ID, err)
	}
	pctx, cancel := loginContext(ctx)
	resp, err := p.Refresh(pctx, auth.RefreshRequest{SessionData: c.PluginSessionData})
	cancel()
	switch {
	case errors.Is(err, connect.ErrUnsupported):
		if err := s.opts.Store.StopRefreshingLoginSession(ctx, c.ID); err != nil {
			return 0, err
		}
		return stopped, nil
	case errors.Is(err, auth.ErrRefreshRefused):
		return s.revokeRefused(ctx, c, err)
	case err != nil:
		return 0, fmt.Errorf("refresh login session %s through auth %q: %w; tried again later", c.ID, c.AuthPlugin, err)
	}

	ident := resp.Identity
	err = s.opts.Store.InTx(ctx, func(q *store.Queries) error {
		link, err := q.IdentityBySubject(ctx, ident.Issuer, ident.Subject)
		if errors.Is(err, store.ErrNotFound) || (err == nil && link.UserID != c.UserID) {
			return fmt.Errorf("%w: the refreshed identity is not the one this session logged in as", ErrRefused)
		}
		if err != nil {
			return err
		}
		if err := q.StoreLoginSessionRefresh(ctx, c.ID, resp.SessionData, resp.ExpiresAt); err != nil {
			return err // ErrNotFound: logged out meanwhile
		}
		u, err := q.GetUser(ctx, store.SystemScope(), c.UserID)
		if err != nil {
			return err
		}
		return s.applyMapping(ctx, q, a, u, ident.Groups, "")
	})
	switch {
	case errors.Is(err, ErrRefused):
		return s.revokeRefused(ctx, c, err)
	case errors.Is(err, store.ErrNotFound):
		return refreshed, nil // the session ended meanwhile; nothing to apply
	case err != nil:
		return 0, fmt.Errorf("apply the refreshed identity of login session %s: %w", c.ID, err)
	}
	return refreshed, nil
}

// revokeRefused ends a login session whose provider no longer vouches for
// the person, with an auth.refresh_failed audit row.
func (s *Service) revokeRefused(ctx context.Context, c store.RefreshClaim, cause error) (refreshOutcome, error) {
	err := s.opts.Store.InTx(ctx, func(q *store.Queries) error {
		if err := q.RevokeLoginSession(ctx, c.ID); err != nil {
			return err
		}
		return q.Audit(ctx, store.AuditEntry{
			Actor: store.Actor{UserID: &c.UserID}, Action: "auth.refresh_failed",
			TargetType: "login_session", TargetID: c.ID.String(),
			Details: map[string]any{"auth": c.AuthPlugin, "reason": cause.Error()},
		})
	})
	if errors.Is(err, store.ErrNotFound) {
		return revoked, nil // ended meanwhile
	}
	if err != nil {
		return 0, fmt.Errorf("revoke login session %s after its refresh was refused: %w", c.ID, err)
	}
	s.log.Info("login session ended: the provider no longer vouches for its user", "auth", c.AuthPlugin, "session_id", c.ID, "user_id", c.UserID, "reason", cause.Error())
	return revoked, nil
}
