package authn

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/store"
)

var (
	// ErrLoginFailed is the one answer to a wrong password, an unknown
	// user, a suspended user and an account without a password, so a
	// client cannot tell them apart.
	ErrLoginFailed = errors.New("wrong username or password")
	// ErrThrottled means too many logins failed recently for this client
	// and username; the client should wait.
	ErrThrottled = errors.New("too many failed logins: wait a few minutes and try again")
)

// Service authenticates requests against the store: password logins,
// login-session cookies and API keys. Every lookup goes to the database, so
// revoking a session or key, an expiry, or suspending a user bites on the
// next request.
type Service struct {
	db       *store.Store
	policy   SessionPolicy
	throttle *Throttle
	log      hclog.Logger
	now      func() time.Time
}

// NewService builds a Service; a zero policy means DefaultSessionPolicy.
func NewService(db *store.Store, policy SessionPolicy, log hclog.Logger) *Service {
	if policy == (SessionPolicy{}) {
		policy = DefaultSessionPolicy
	}
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Service{db: db, policy: policy, throttle: NewLoginThrottle(db), log: log, now: time.Now}
}

// Policy is the login-session policy in force.
func (s *Service) Policy() SessionPolicy { return s.policy }

// LoginRequest is a password login.
type LoginRequest struct {
	Username string
	Password string
	// IP and UserAgent describe the client, for the session and the audit.
	IP        string
	UserAgent string
	// PreviousToken is the session cookie the client already holds, if
	// any: it is revoked, so a login always starts a fresh session.
	PreviousToken string
}

// Login is a successful login. Token goes into the cookie; CSRFToken goes
// to the client for its X-CSRF-Token header. Neither is stored.
type Login struct {
	Token     string
	CSRFToken string
	Session   store.LoginSession
	User      store.User
}

// Login checks a username and password and opens a login session. Every
// failure costs one argon2id comparison, answers ErrLoginFailed (or
// ErrThrottled), and leaves an auth.login_failed audit row naming the
// username tried, never the password.
func (s *Service) Login(ctx context.Context, r LoginRequest) (Login, error) {
	now := s.now()
	if ok, err := s.throttle.Allow(ctx, r.IP, r.Username, now); err != nil {
		return Login{}, fmt.Errorf("log in: %w", err)
	} else if !ok {
		s.auditFailure(ctx, r, nil, "throttled")
		return Login{}, ErrThrottled
	}
	u, err := s.db.UserByUsername(ctx, r.Username)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Login{}, fmt.Errorf("log in: %w", err)
	}
	hash := ""
	if found && u.PasswordHash != nil {
		hash = *u.PasswordHash
	}
	ok, err := CheckPassword(r.Password, hash)
	if err != nil {
		s.log.Warn("stored password hash does not parse; the user cannot log in until the password is reset", "user_id", u.ID)
	}
	reason := ""
	switch {
	case !found:
		reason = "unknown_user"
	case !ok:
		reason = "wrong_password"
	case u.Status != store.UserActive:
		reason = "suspended"
	}
	if reason != "" {
		if err := s.throttle.Failed(ctx, r.IP, r.Username, now); err != nil {
			s.log.Warn("count a failed login", "error", err)
		}
		var target *store.User
		if found {
			target = &u
		}
		s.auditFailure(ctx, r, target, reason)
		return Login{}, ErrLoginFailed
	}

	var out Login
	err = s.db.InTx(ctx, func(q *store.Queries) error {
		opened, err := s.OpenSession(ctx, q, NewSession{UserID: u.ID, IP: r.IP, UserAgent: r.UserAgent, PreviousToken: r.PreviousToken})
		if err != nil {
			return err
		}
		out = Login{Token: opened.Token, CSRFToken: opened.CSRFToken, Session: opened.Session, User: u}
		return q.Audit(ctx, store.AuditEntry{
			Actor: store.Actor{UserID: &u.ID, IP: r.IP}, Action: "auth.login",
			TargetType: "login_session", TargetID: opened.Session.ID.String(),
		})
	})
	if err != nil {
		return Login{}, fmt.Errorf("open login session: %w", err)
	}
	if err := s.throttle.Succeeded(ctx, r.IP, r.Username); err != nil {
		s.log.Warn("reset the failed-login count", "error", err)
	}
	return out, nil
}

// auditFailure records a refused login. A failure to write it is logged,
// not returned: the client's answer must not depend on it.
func (s *Service) auditFailure(ctx context.Context, r LoginRequest, u *store.User, reason string) {
	e := store.AuditEntry{
		Actor: store.Actor{IP: r.IP}, Action: "auth.login_failed",
		TargetType: "user", Details: map[string]any{"username": r.Username, "reason": reason},
	}
	if u != nil {
		e.TargetID = u.ID.String()
	}
	if err := s.db.Audit(ctx, e); err != nil {
		s.log.Error("could not audit a failed login", "error", err)
	}
}

// Logout revokes the principal's login session server-side, audited.
func (s *Service) Logout(ctx context.Context, p *Principal, ip string) error {
	if p.Session == nil {
		return errors.New("log out: the request was not made with a login session; revoke API keys with DELETE /api/v1/api-keys/{id}")
	}
	return s.db.InTx(ctx, func(q *store.Queries) error {
		if err := q.RevokeLoginSession(ctx, p.Session.ID); err != nil {
			return fmt.Errorf("log out: %w", err)
		}
		return q.Audit(ctx, store.AuditEntry{Actor: p.Actor(ip), Action: "auth.logout",
			TargetType: "login_session", TargetID: p.Session.ID.String()})
	})
}

// SessionPrincipal authenticates a session cookie's token. Revoked,
// expired (idle or absolute) and suspended users' sessions are
// ErrUnauthenticated.
func (s *Service) SessionPrincipal(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, ErrUnauthenticated
	}
	sess, err := s.db.LoginSessionByTokenHash(ctx, HashToken(token))
	if err != nil {
		return nil, s.unauthenticated(err)
	}
	now := s.now()
	if now.Sub(sess.LastSeenAt) > s.policy.Idle {
		if err := s.db.RevokeLoginSession(ctx, sess.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("could not revoke an idle login session", "session_id", sess.ID, "error", err)
		}
		return nil, ErrUnauthenticated
	}
	p, err := s.principal(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	p.Session = &sess
	if now.Sub(sess.LastSeenAt) > touchEvery {
		if err := s.db.TouchLoginSession(ctx, sess.ID, time.Time{}); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("could not record login session activity", "session_id", sess.ID, "error", err)
		}
	}
	return p, nil
}

// KeyPrincipal authenticates an API key. Malformed, unknown, revoked and
// expired keys and keys of suspended users are ErrUnauthenticated.
func (s *Service) KeyPrincipal(ctx context.Context, key string) (*Principal, error) {
	prefix, hash, err := ParseAPIKey(key)
	if err != nil {
		return nil, ErrUnauthenticated
	}
	k, err := s.db.APIKeyByPrefix(ctx, prefix)
	if err != nil {
		return nil, s.unauthenticated(err)
	}
	if !EqualHash(hash, k.Hash) {
		return nil, ErrUnauthenticated
	}
	p, err := s.principal(ctx, k.UserID)
	if err != nil {
		return nil, err
	}
	p.Scope = keyScope(p.Scope, k)
	p.Key = &k
	if k.LastUsedAt == nil || s.now().Sub(*k.LastUsedAt) > touchEvery {
		if err := s.db.TouchAPIKey(ctx, k.ID); err != nil {
			s.log.Warn("could not record API key use", "key_id", k.ID, "error", err)
		}
	}
	return p, nil
}

// CheckCSRF reports whether header is the CSRF token of the principal's
// login session.
func (s *Service) CheckCSRF(p *Principal, header string) bool {
	if p.Session == nil || len(p.Session.CSRFHash) == 0 || header == "" {
		return false
	}
	return EqualHash(HashToken(header), p.Session.CSRFHash)
}

// principal loads an active user and its scope.
func (s *Service) principal(ctx context.Context, userID uuid.UUID) (*Principal, error) {
	sc, err := s.db.ScopeForUser(ctx, userID)
	if err != nil {
		return nil, s.unauthenticated(err)
	}
	u, err := s.db.GetUser(ctx, sc, userID)
	if err != nil {
		return nil, s.unauthenticated(err)
	}
	return &Principal{User: u, Scope: sc}, nil
}

// unauthenticated maps "no such credential" to ErrUnauthenticated and keeps
// database failures as errors, so an outage is a 500, not a logout.
func (s *Service) unauthenticated(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return ErrUnauthenticated
	}
	return fmt.Errorf("authenticate: %w", err)
}

// NewSession is what OpenSession needs: who logs in and how.
type NewSession struct {
	UserID    uuid.UUID
	IP        string
	UserAgent string
	// PreviousToken is the session cookie the browser already holds; it is
	// revoked, so a login always rotates the session.
	PreviousToken string
	// AuthPlugin and PluginData record a login through an auth plugin, for
	// logout at its provider.
	AuthPlugin string
	PluginData []byte
	// ExpiresAt, when set, ends the session earlier than the policy.
	ExpiresAt time.Time
}

// Opened is a fresh login session and the secrets the browser gets once.
type Opened struct {
	Token     string
	CSRFToken string
	Session   store.LoginSession
}

// OpenSession creates a login session with q, inside the caller's
// transaction, revoking the one the browser held. It writes no audit row:
// the caller audits the login it completes. Password logins and logins
// through auth plugins both open their sessions here.
func (s *Service) OpenSession(ctx context.Context, q *store.Queries, n NewSession) (Opened, error) {
	if n.PreviousToken != "" {
		if old, err := q.LoginSessionByTokenHash(ctx, HashToken(n.PreviousToken)); err == nil {
			if err := q.RevokeLoginSession(ctx, old.ID); err != nil {
				return Opened{}, err
			}
		}
	}
	token, tokenHash := NewToken()
	csrf := CSRFToken(token)
	expires := time.Now().Add(s.policy.Absolute)
	if !n.ExpiresAt.IsZero() && n.ExpiresAt.Before(expires) {
		expires = n.ExpiresAt
	}
	sess, err := q.CreateLoginSession(ctx, store.NewLoginSession{
		TokenHash: tokenHash, CSRFHash: HashToken(csrf), UserID: n.UserID, ExpiresAt: expires,
		IP: n.IP, UserAgent: n.UserAgent, AuthPlugin: n.AuthPlugin, PluginSessionData: n.PluginData,
	})
	if err != nil {
		return Opened{}, err
	}
	return Opened{Token: token, CSRFToken: csrf, Session: sess}, nil
}

// PruneThrottle deletes failed-login counts whose window has passed.
func (s *Service) PruneThrottle(ctx context.Context) (int64, error) {
	return s.throttle.Prune(ctx, s.now())
}
