// Package access decides, across core replicas, when a live stream (a
// desktop relay, an app WebSocket) must end because the access it was
// opened with is gone: the user suspended, removed from the session's
// organisation, or the login session or API key that asked revoked.
//
// The database is the authority. Its triggers announce each user whose
// access changed (see store migration 010); every replica's Revoker then
// re-checks the streams it holds for that user and closes those whose
// Grant no longer holds.
package access

import "github.com/google/uuid"

// Grant is what a live stream rests on: who it runs as, the organisation of
// the session it reaches, and the one credential that asked for it.
// Exactly one of LoginSessionID and APIKeyID is set. Grants are
// comparable, so holders can close every stream of one grant.
type Grant struct {
	UserID uuid.UUID
	// OrgID is the session's organisation: the user must stay a member.
	OrgID uuid.UUID
	// LoginSessionID is the browser login that asked, or uuid.Nil.
	LoginSessionID uuid.UUID
	// APIKeyID is the API key that asked, or uuid.Nil.
	APIKeyID uuid.UUID
}
