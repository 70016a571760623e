package authn

import (
	"context"
	"errors"
	"fmt"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// MintAPIKey creates an API key row for n (its Prefix and Hash are filled
// here) and returns the full secret, which the caller shows once and
// forgets. Run it in the transaction that audits the creation.
func MintAPIKey(ctx context.Context, q *store.Queries, n store.NewAPIKey) (string, store.APIKey, error) {
	for attempt := 0; attempt < 3; attempt++ {
		k := NewAPIKey()
		n.Prefix, n.Hash = k.Prefix, k.Hash
		row, err := q.CreateAPIKey(ctx, n)
		if errors.Is(err, store.ErrConflict) {
			continue // 48-bit prefixes collide rarely; draw again
		}
		if err != nil {
			return "", store.APIKey{}, err
		}
		return k.Secret, row, nil
	}
	return "", store.APIKey{}, fmt.Errorf("create API key: %w: three prefixes in a row were taken; try again", store.ErrConflict)
}
