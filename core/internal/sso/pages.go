package sso

import (
	"context"
	"errors"
	"fmt"

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
	return PageResult{Done: &done}, nil
}

// PagesURL is the absolute URL of a plugin's pages root.
func (s *Service) PagesURL(authName string) string {
	return s.opts.PublicURL + "/api/v1/auth/" + authName + "/pages/"
}
