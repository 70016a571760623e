package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
)

func TestUsers(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	n, err := s.CountUsers(ctx)
	if err != nil || n != 0 {
		t.Fatalf("fresh database has %d users (%v)", n, err)
	}
	hash := "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA"
	alice, err := s.CreateUser(ctx, store.NewUser{Username: "Alice", PasswordHash: &hash, PlatformAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, store.NewUser{Username: "alice"}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("case-insensitive duplicate: %v", err)
	}
	got, err := s.UserByUsername(ctx, "ALICE")
	if err != nil || got.ID != alice.ID || *got.PasswordHash != hash || got.Status != store.UserActive {
		t.Fatalf("by username: %+v %v", got, err)
	}
	self := store.Scope{UserID: alice.ID}
	if _, err := s.GetUser(ctx, self, alice.ID); err != nil {
		t.Fatalf("a user sees itself: %v", err)
	}
	u, err := s.SetUserStatus(ctx, self, alice.ID, store.UserSuspended)
	if err != nil || u.Status != store.UserSuspended || !u.UpdatedAt.After(alice.UpdatedAt) {
		t.Fatalf("suspend: %+v %v", u, err)
	}
	if _, err := s.ScopeForUser(ctx, alice.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("suspended user got a scope: %v", err)
	}
	if _, err := s.SetUserStatus(ctx, self, alice.ID, "banished"); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("unknown status: %v", err)
	}
	if _, err := s.SetUserStatus(ctx, self, alice.ID, store.UserActive); err != nil {
		t.Fatal(err)
	}
	u, err = s.SetPlatformAdmin(ctx, self, alice.ID, false)
	if err != nil || u.PlatformAdmin {
		t.Fatalf("drop admin: %+v %v", u, err)
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE users SET id = gen_random_uuid() WHERE id = $1`, alice.ID); err == nil {
		t.Fatal("a user's id changed")
	}

	// Pagination walks every user once, in order, across pages.
	for _, n := range []string{"bob", "Carol", "dave", "erin"} {
		if _, err := s.CreateUser(ctx, store.NewUser{Username: n}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	cursor := ""
	for {
		us, next, err := s.ListUsers(ctx, store.SystemScope(), store.UserFilter{}, store.Page{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range us {
			names = append(names, u.Username)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	want := []string{"Alice", "bob", "Carol", "dave", "erin"}
	if len(names) != len(want) {
		t.Fatalf("pages gave %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("pages gave %v, want %v", names, want)
		}
	}
	if n, _ := s.CountUsers(ctx); n != 5 {
		t.Fatalf("count %d, want 5", n)
	}
}

func TestIdentitiesAndLogins(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	u, err := s.CreateUser(ctx, store.NewUser{Username: "ida"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateUser(ctx, store.NewUser{Username: "other"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.UpsertIdentity(ctx, store.Identity{UserID: u.ID, Issuer: "https://idp.example", Subject: "42", Email: "a@x"})
	if err != nil || id.LastLoginAt == nil {
		t.Fatalf("upsert: %+v %v", id, err)
	}
	// Same issuer+subject, claimed for another user and a new e-mail: the
	// link keeps its user.
	id2, err := s.UpsertIdentity(ctx, store.Identity{UserID: other.ID, Issuer: "https://idp.example", Subject: "42", Email: "b@x"})
	if err != nil || id2.UserID != u.ID || id2.Email != "b@x" {
		t.Fatalf("re-upsert: %+v %v", id2, err)
	}
	if _, err := s.IdentityBySubject(ctx, "https://other.example", "42"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other issuer: %v", err)
	}

	ls, err := s.CreateLoginSession(ctx, store.NewLoginSession{TokenHash: []byte("tok"), UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour), IP: "2001:db8::1", UserAgent: "test"})
	if err != nil || ls.IP != "2001:db8::1" {
		t.Fatalf("create login session: %+v %v", ls, err)
	}
	if _, err := s.LoginSessionByTokenHash(ctx, []byte("tok")); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Hour)
	if err := s.TouchLoginSession(ctx, ls.ID, later); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RevokeUserLoginSessions(ctx, u.ID); err != nil || n != 1 {
		t.Fatalf("revoke all: %d %v", n, err)
	}
	if _, err := s.LoginSessionByTokenHash(ctx, []byte("tok")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked session still found: %v", err)
	}
	if _, err := s.CreateLoginSession(ctx, store.NewLoginSession{TokenHash: []byte("old"), UserID: u.ID, ExpiresAt: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoginSessionByTokenHash(ctx, []byte("old")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session still found: %v", err)
	}

	att, err := s.CreateLoginAttempt(ctx, "oidc", []byte("nonce"), time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeLoginAttempt(ctx, att, "other-plugin"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another plugin consumed the attempt: %v", err)
	}
	if st, err := s.ConsumeLoginAttempt(ctx, att, "oidc"); err != nil || string(st) != "nonce" {
		t.Fatalf("consume: %q %v", st, err)
	}
	if _, err := s.ConsumeLoginAttempt(ctx, att, "oidc"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("attempt used twice: %v", err)
	}

	k, err := s.CreateAPIKey(ctx, store.NewAPIKey{Prefix: "atr_1", Hash: []byte("h"), UserID: u.ID, Name: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAPIKey(ctx, store.NewAPIKey{Prefix: "atr_1", Hash: []byte("h2"), UserID: u.ID}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate prefix: %v", err)
	}
	if err := s.TouchAPIKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.AuthenticateAPIKey(ctx, "atr_1")
	if err != nil || got.LastUsedAt == nil {
		t.Fatalf("by prefix: %+v %v", got, err)
	}
	if _, err := s.RevokeAPIKey(ctx, store.Scope{UserID: u.ID}, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AuthenticateAPIKey(ctx, "atr_1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked key still usable: %v", err)
	}
}

func TestSyncTemplates(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	desk := store.Template{Name: "desktop", Workspace: "vnc", Runtime: "docker", CPUMillis: 2000, MemoryBytes: 4 << 30, IdleTimeout: 30 * time.Minute}
	code := store.Template{Name: "code", Workspace: "code", Runtime: "docker"}
	res, err := s.SyncTemplates(ctx, store.Actor{}, []store.Template{desk, code})
	if err != nil || len(res.Created) != 2 || len(res.Updated)+len(res.Deleted) != 0 {
		t.Fatalf("first sync: %+v %v", res, err)
	}
	res, err = s.SyncTemplates(ctx, store.Actor{}, []store.Template{desk, code})
	if err != nil || len(res.Created)+len(res.Updated)+len(res.Deleted) != 0 {
		t.Fatalf("unchanged sync reported changes: %+v %v", res, err)
	}
	desk.MemoryBytes = 8 << 30
	res, err = s.SyncTemplates(ctx, store.Actor{}, []store.Template{desk})
	if err != nil || len(res.Updated) != 1 || len(res.Deleted) != 1 || res.Deleted[0] != "code" {
		t.Fatalf("update+delete sync: %+v %v", res, err)
	}
	got, err := s.GetTemplate(ctx, "desktop")
	if err != nil || got.MemoryBytes != 8<<30 || got.IdleTimeout != 30*time.Minute || got.MaxLifetime != 0 {
		t.Fatalf("stored template: %+v %v", got, err)
	}
	es, _, err := s.ListAudit(ctx, store.SystemScope(), store.AuditFilter{TargetType: "template"}, store.Page{})
	if err != nil || len(es) != 4 {
		t.Fatalf("template audit rows: %d %v, want 4 (2 create, 1 update, 1 delete)", len(es), err)
	}
}
