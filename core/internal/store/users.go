package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/atrium-hq/atrium/core/internal/names"
)

// UserStatus is whether a user may log in.
type UserStatus string

// User statuses.
const (
	UserActive    UserStatus = "active"
	UserSuspended UserStatus = "suspended"
)

// User is a person. ID never changes: it names the user's home volume.
type User struct {
	ID            uuid.UUID  `db:"id"`
	Username      string     `db:"username"`
	Email         string     `db:"email"`
	DisplayName   string     `db:"display_name"`
	PasswordHash  *string    `db:"password_hash" json:"-"`
	Status        UserStatus `db:"status"`
	PlatformAdmin bool       `db:"platform_admin"`
	CreatedAt     time.Time  `db:"created_at"`
	UpdatedAt     time.Time  `db:"updated_at"`
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Username    string
	Email       string
	DisplayName string
	// PasswordHash is an encoded password hash for a built-in account, or
	// nil for users who log in only through an auth plugin.
	PasswordHash  *string
	PlatformAdmin bool
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	// OrgID, when set, lists only that organisation's members.
	OrgID *uuid.UUID
	// Status, when set, lists only users in that status.
	Status UserStatus
}

const userCols = `u.id, u.username, u.email, u.display_name, u.password_hash, u.status, u.platform_admin, u.created_at, u.updated_at`

// userVisible: the caller sees itself, everyone when platform admin, and
// the members of its organisations. $1 platform admin, $2 org ids, $3 self.
const userVisible = `($1::bool OR u.id = $3::uuid OR EXISTS (
	SELECT 1 FROM memberships vm WHERE vm.user_id = u.id AND vm.org_id = ANY($2::uuid[])))`

func userArgs(sc Scope) []any { return []any{sc.PlatformAdmin, sc.orgIDs(), sc.UserID} }

// CreateUser adds a user. A taken username (case-insensitive) is
// ErrConflict.
func (q *Queries) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	if err := errors.Join(names.Username(nu.Username), names.Email(nu.Email), names.DisplayName(nu.DisplayName)); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	rows, _ := q.db.Query(ctx, `INSERT INTO users AS u (username, email, display_name, password_hash, platform_admin)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+userCols,
		nu.Username, nu.Email, nu.DisplayName, nu.PasswordHash, nu.PlatformAdmin)
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[User])
	return u, classify(err, "create user "+nu.Username)
}

// GetUser returns a user the caller can see. A caller always sees itself,
// so authentication can load its own user with Scope{UserID: id}.
func (q *Queries) GetUser(ctx context.Context, sc Scope, id uuid.UUID) (User, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+userCols+` FROM users u WHERE `+userVisible+` AND u.id = $4`,
		append(userArgs(sc), id)...)
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[User])
	return u, classify(err, "get user")
}

// UserByUsername finds a user for a password login, case-insensitively.
// It is unscoped because nobody is authenticated yet; callers must check
// the password hash and Status before trusting the result.
func (q *Queries) UserByUsername(ctx context.Context, username string) (User, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+userCols+` FROM users u WHERE lower(u.username) = lower($1)`, username)
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[User])
	return u, classify(err, "find user "+username)
}

// ListUsers lists the users the caller can see, ordered by username.
func (q *Queries) ListUsers(ctx context.Context, sc Scope, f UserFilter, p Page) ([]User, string, error) {
	var after string
	if _, err := decodeCursor(p.Cursor, &after); err != nil {
		return nil, "", err
	}
	limit := p.limit()
	rows, _ := q.db.Query(ctx, `SELECT `+userCols+`, lower(u.username) AS sort_key FROM users u
		WHERE `+userVisible+`
		  AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM memberships fm WHERE fm.user_id = u.id AND fm.org_id = $4))
		  AND ($5 = '' OR u.status = $5)
		  AND lower(u.username) > $6
		ORDER BY lower(u.username) LIMIT $7`,
		append(userArgs(sc), f.OrgID, string(f.Status), after, limit+1)...)
	sorted, err := pgx.CollectRows(rows, pgx.RowToStructByName[userSortRow])
	if err != nil {
		return nil, "", classify(err, "list users")
	}
	sorted, next := trimPage(sorted, limit, func(r userSortRow) any { return r.SortKey })
	users := make([]User, len(sorted))
	for i, r := range sorted {
		users[i] = r.User
	}
	return users, next, nil
}

// SetUserStatus suspends or reactivates a user. Suspending does not revoke
// login sessions or keys by itself: lookups refuse suspended users, and
// callers usually also RevokeUserLoginSessions in the same transaction.
func (q *Queries) SetUserStatus(ctx context.Context, sc Scope, id uuid.UUID, status UserStatus) (User, error) {
	return q.updateUser(ctx, sc, id, `status = $5`, string(status))
}

// SetPlatformAdmin grants or withdraws the platform admin flag.
func (q *Queries) SetPlatformAdmin(ctx context.Context, sc Scope, id uuid.UUID, admin bool) (User, error) {
	return q.updateUser(ctx, sc, id, `platform_admin = $5`, admin)
}

// SetPasswordHash sets or clears (nil) a built-in account's password hash.
func (q *Queries) SetPasswordHash(ctx context.Context, sc Scope, id uuid.UUID, hash *string) (User, error) {
	return q.updateUser(ctx, sc, id, `password_hash = $5`, hash)
}

// UpdateProfile changes a user's e-mail and display name.
func (q *Queries) UpdateProfile(ctx context.Context, sc Scope, id uuid.UUID, email, displayName string) (User, error) {
	if err := errors.Join(names.Email(email), names.DisplayName(displayName)); err != nil {
		return User{}, fmt.Errorf("update profile: %w", err)
	}
	return q.updateUser(ctx, sc, id, `email = $5, display_name = $6`, email, displayName)
}

func (q *Queries) updateUser(ctx context.Context, sc Scope, id uuid.UUID, set string, vals ...any) (User, error) {
	args := append(userArgs(sc), id)
	args = append(args, vals...)
	rows, _ := q.db.Query(ctx, `UPDATE users u SET `+set+`, updated_at = now()
		WHERE `+userVisible+` AND u.id = $4 RETURNING `+userCols, args...)
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[User])
	return u, classify(err, "update user")
}

// CountUsers counts all users; zero means a first start that needs its
// first admin.
func (q *Queries) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := q.db.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, classify(err, "count users")
}

// userSortRow carries the ordering key PostgreSQL computed, so cursors
// compare exactly as the database orders.
type userSortRow struct {
	User
	SortKey string `db:"sort_key"`
}
