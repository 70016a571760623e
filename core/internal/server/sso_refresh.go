package server

import (
	"context"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/sso"
)

// startSSORefresh runs the single sign-on refresh job until ctx ends: every
// minute it asks the providers of auth plugins that can refresh about the
// login sessions they opened, re-applies group mappings, and ends the
// sessions of people the provider no longer vouches for, closing their
// live desktops as logout does.
func (w *ssoWiring) startSSORefresh(ctx context.Context, relays interface{ CloseUser(userID string) int }) {
	go w.svc.RunRefresh(ctx, sso.RefreshOptions{
		Revoked: func(_, userID uuid.UUID) {
			if relays != nil {
				relays.CloseUser(userID.String())
			}
		},
	})
}
