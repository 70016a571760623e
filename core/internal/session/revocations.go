package session

import (
	"github.com/google/uuid"
)

// AccessChannel is the PostgreSQL channel on which the database announces
// each user whose access may have ended (suspension, removed membership,
// revoked login session or API key); the payload is the user's id.
const AccessChannel = "atrium_access"

// revocationBuffer is how many announcements a revocation subscriber may
// fall behind before it is dropped.
const revocationBuffer = 256

// SubscribeRevocations returns the ids of users whose access may have
// ended, as the database announces them on any replica, and a function
// that ends the subscription. The channel closes when announcements may
// have been missed (the subscriber fell behind, the database connection
// was lost): the subscriber then re-checks everything it holds and
// subscribes again. It makes the Watcher an access.Feed.
func (w *Watcher) SubscribeRevocations() (<-chan uuid.UUID, func()) {
	ch := make(chan uuid.UUID, revocationBuffer)
	w.mu.Lock()
	w.revocations[ch] = struct{}{}
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.dropRevocations(ch)
	}
}

// dropRevocations ends one subscription; w.mu is held.
func (w *Watcher) dropRevocations(ch chan uuid.UUID) {
	if _, ok := w.revocations[ch]; ok {
		delete(w.revocations, ch)
		close(ch)
	}
}

// publishRevocation fans one announcement out.
func (w *Watcher) publishRevocation(payload string) {
	id, err := uuid.Parse(payload)
	if err != nil {
		w.log.Error("unreadable access notification", "error", err)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.revocations {
		select {
		case ch <- id:
		default:
			w.dropRevocations(ch)
		}
	}
}
