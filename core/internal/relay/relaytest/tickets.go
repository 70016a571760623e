// Package relaytest holds test doubles for package relay.
package relaytest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	"github.com/atrium-hq/atrium/core/internal/relay"
)

// MemoryTickets is a FAKE relay.Tickets for tests and benchmarks: it keeps
// tickets in this process's memory, so a ticket issued by one core replica
// would be unknown to the next. Production uses the store's implementation.
// It follows the relay.Tickets contract otherwise: hashed tokens, single
// use, expiry.
type MemoryTickets struct {
	// Now is the clock; nil means time.Now. Tests move it to expire tickets
	// without waiting.
	Now func() time.Time

	mu      sync.Mutex
	tickets map[[sha256.Size]byte]relay.Ticket
}

// NewMemoryTickets returns an empty fake store.
func NewMemoryTickets() *MemoryTickets {
	return &MemoryTickets{tickets: make(map[[sha256.Size]byte]relay.Ticket)}
}

func (m *MemoryTickets) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Issue stores t and returns a fresh random token for it.
func (m *MemoryTickets) Issue(_ context.Context, t relay.Ticket) (string, error) {
	if err := t.Validate(m.now()); err != nil {
		return "", fmt.Errorf("issue relay ticket: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("issue relay ticket: read random bytes: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tickets[sha256.Sum256([]byte(token))] = t
	return token, nil
}

// Consume redeems token once.
func (m *MemoryTickets) Consume(_ context.Context, token string) (relay.Ticket, error) {
	key := sha256.Sum256([]byte(token))
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tickets[key]
	if !ok {
		return relay.Ticket{}, relay.ErrTicketInvalid
	}
	delete(m.tickets, key)
	if !m.now().Before(t.ExpiresAt) {
		return relay.Ticket{}, relay.ErrTicketInvalid
	}
	return t, nil
}
