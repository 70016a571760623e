package sso

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/sdk/auth"
	"github.com/atrium-hq/atrium/sdk/connect"
)

// ErrNoPages is returned for a plugin that does not serve pages.
var ErrNoPages = errors.New("this login provider serves no pages")

// PageResult is a plugin page, or a login its page completed.
type PageResult struct {
	Page auth.PageResponse
	// Done is set when the page completed a login.
	Done *Completed
}

// Page forwards one browser request to an auth plugin with capability
// "pages". A login it completes goes through the same path as a callback;
// next is the query's "next", checked by CheckNext.
func (s *Service) Page(ctx context.Context, cb Callback, req auth.PageRequest, next string) (PageResult, error) {
	a, p, err := s.plugin(cb.AuthName)
	if err != nil {
		return PageResult{}, err
	}
	if !s.opts.Capable(cb.AuthName, connect.CapPages) {
		return PageResult{}, ErrNoPages
	}
	req.PagesURL = s.PagesURL(cb.AuthName)
	pctx, cancel := loginContext(ctx)
	defer cancel()
	resp, err := p.ServePage(pctx, req)
	if errors.Is(err, connect.ErrUnsupported) {
		return PageResult{}, ErrNoPages
	}
	if err != nil {
		return PageResult{}, fmt.Errorf("auth plugin page: %w", err)
	}
	if err := s.throttle(ctx, cb, resp); err != nil {
		return PageResult{}, err
	}
	if resp.Login == nil {
		return PageResult{Page: resp}, nil
	}
	next, err = CheckNext(next)
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrRefused, err)
		s.auditFailure(ctx, cb, nil, err)
		return PageResult{}, err
	}
	done, detail, err := s.finish(ctx, cb, a, *resp.Login, next)
	if err != nil {
		s.auditFailure(ctx, cb, detail, err)
		return PageResult{}, err
	}
	if resp.Username != "" {
		if err := s.opts.Throttle.Succeeded(ctx, cb.IP, throttleKey(cb.AuthName, resp.Username)); err != nil {
			s.log.Warn("forget failed logins", "auth", cb.AuthName, "error", err)
		}
	}
	return PageResult{Done: &done}, nil
}

// throttle applies the login throttle to a page's login attempt (one that
// names a username): too many recent failures refuse it with
// authn.ErrThrottled whatever the plugin answered, so a guess that hits
// tells nothing; a failure is counted and audited.
func (s *Service) throttle(ctx context.Context, cb Callback, resp auth.PageResponse) error {
	if resp.Username == "" {
		return nil
	}
	key, now := throttleKey(cb.AuthName, resp.Username), time.Now()
	detail := failure{"username": resp.Username}
	ok, err := s.opts.Throttle.Allow(ctx, cb.IP, key, now)
	if err != nil {
		return fmt.Errorf("auth plugin page: %w", err)
	}
	if !ok {
		s.auditFailure(ctx, cb, detail, authn.ErrThrottled)
		return authn.ErrThrottled
	}
	if resp.Login != nil {
		return nil
	}
	if err := s.opts.Throttle.Failed(ctx, cb.IP, key, now); err != nil {
		s.log.Warn("count a failed login", "auth", cb.AuthName, "error", err)
	}
	s.auditFailure(ctx, cb, detail, errPageRefused)
	return nil
}

// errPageRefused is the audited reason of a login a plugin's page refused.
var errPageRefused = fmt.Errorf("%w: the auth plugin's page refused the credentials", ErrRefused)

// throttleKey counts an auth block's usernames apart from the built-in
// accounts' and other blocks' of the same name.
func throttleKey(authName, username string) string { return authName + ":" + username }

// PagesURL is the absolute URL of a plugin's pages root.
func (s *Service) PagesURL(authName string) string {
	return s.opts.PublicURL + "/api/v1/auth/" + authName + "/pages/"
}
