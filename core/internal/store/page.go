package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
)

// Page asks for one page of a list. Lists have a stable order, and Cursor
// continues exactly after the last item of the previous page even while
// rows are added.
type Page struct {
	// Limit is the page size: 0 means DefaultPageSize, more than
	// MaxPageSize is capped.
	Limit int
	// Cursor is the Next value of the previous page; empty for the first.
	Cursor string
}

// Page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageSize
	case p.Limit > MaxPageSize:
		return MaxPageSize
	}
	return p.Limit
}

// encodeCursor makes an opaque cursor from the sort key of the last item.
func encodeCursor(key any) string {
	b, err := json.Marshal(key)
	if err != nil {
		panic(fmt.Sprintf("store: encode cursor: %v", err)) // keys are plain structs
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor into key; an empty cursor leaves key alone
// and reports false.
func decodeCursor(cursor string, key any) (bool, error) {
	if cursor == "" {
		return false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return false, fmt.Errorf("%w: start again from the first page", ErrInvalidCursor)
	}
	if err := json.Unmarshal(b, key); err != nil {
		return false, fmt.Errorf("%w: start again from the first page", ErrInvalidCursor)
	}
	return true, nil
}

// trimPage cuts the extra row fetched to learn whether another page exists
// and returns the cursor for it.
func trimPage[T any](items []T, limit int, key func(T) any) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, encodeCursor(key(items[len(items)-1]))
}
