package server

import (
	"context"

	"github.com/atrium-hq/atrium/core/internal/sso"
)

// startSSORefresh runs the single sign-on refresh job until ctx ends: every
// minute it asks the providers of auth plugins that can refresh about the
// login sessions they opened, re-applies group mappings, and ends the
// sessions of people the provider no longer vouches for. Their live
// streams end as at logout: the revocation reaches every replica's
// access.Revoker through the database.
func (w *ssoWiring) startSSORefresh(ctx context.Context) {
	go w.svc.RunRefresh(ctx, sso.RefreshOptions{})
}
