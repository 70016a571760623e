package authn

import (
	"errors"

	"github.com/google/uuid"

	"github.com/atrium-hq/atrium/core/internal/access"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// ErrUnauthenticated means the request carries no usable credential: none,
// a malformed one, or one that is unknown, revoked, expired or belongs to a
// suspended user. The reasons are not told apart to the client.
var ErrUnauthenticated = errors.New("not authenticated")

// Principal is an authenticated caller: the user, the scope the store
// filters by, and the credential that proved it (exactly one of Session
// and Key is set).
type Principal struct {
	User  store.User
	Scope store.Scope
	// Session is the login session of a cookie-authenticated request.
	Session *store.LoginSession
	// Key is the API key of a Bearer-authenticated request.
	Key *store.APIKey
}

// Actor is the principal as the audit log records it.
func (p *Principal) Actor(ip string) store.Actor {
	a := store.Actor{UserID: &p.User.ID, IP: ip}
	if p.Key != nil {
		a.APIKeyID = &p.Key.ID
	}
	return a
}

// Grant is what a stream the principal opens into a session of org rests
// on: the user, the organisation, and the credential of this request.
func (p *Principal) Grant(org uuid.UUID) access.Grant {
	g := access.Grant{UserID: p.User.ID, OrgID: org}
	if p.Session != nil {
		g.LoginSessionID = p.Session.ID
	}
	if p.Key != nil {
		g.APIKeyID = p.Key.ID
	}
	return g
}

// keyScope narrows a user's scope to what an API key may reach: a key
// limited to one organisation sees that organisation only, with the user's
// role there, and never acts as a platform admin.
func keyScope(sc store.Scope, k store.APIKey) store.Scope {
	if k.OrgID == nil {
		return sc
	}
	out := store.Scope{UserID: sc.UserID, Orgs: map[uuid.UUID]store.Role{}}
	if r, ok := sc.Orgs[*k.OrgID]; ok {
		out.Orgs[*k.OrgID] = r
	}
	return out
}
