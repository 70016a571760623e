package authn

import (
	"context"
	"time"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// SetupTokenTTL is how long a first-start setup link works.
const SetupTokenTTL = 24 * time.Hour

// IssueSetupToken stores a new one-time setup token and returns it, to be
// shown to the operator once (never logged).
func IssueSetupToken(ctx context.Context, q *store.Queries) (string, error) {
	token, hash := NewToken()
	if err := q.CreateSetupToken(ctx, hash, time.Now().Add(SetupTokenTTL)); err != nil {
		return "", err
	}
	return token, nil
}
