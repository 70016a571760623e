package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Membership puts a user in an organisation with a role.
type Membership struct {
	OrgID       uuid.UUID `db:"org_id"`
	UserID      uuid.UUID `db:"user_id"`
	Role        Role      `db:"role"`
	CreatedAt   time.Time `db:"created_at"`
	Username    string    `db:"username"`
	DisplayName string    `db:"display_name"`
}

// membershipSelect joins the user's names so member lists need no second
// query; $1 platform admin, $2 org ids.
const membershipSelect = `SELECT m.org_id, m.user_id, m.role, m.created_at, u.username, u.display_name
	FROM memberships m JOIN users u ON u.id = m.user_id
	WHERE ($1::bool OR m.org_id = ANY($2::uuid[]))`

// AddMember puts a user into an organisation the caller can see. An
// existing membership is ErrConflict; an unknown user is ErrNotFound.
func (q *Queries) AddMember(ctx context.Context, sc Scope, orgID, userID uuid.UUID, role Role) (Membership, error) {
	var m Membership
	err := q.InTx(ctx, func(q *Queries) error {
		tag, err := q.db.Exec(ctx, `INSERT INTO memberships (org_id, user_id, role)
			SELECT o.id, $4, $5 FROM organisations o
			WHERE ($1::bool OR o.id = ANY($2::uuid[])) AND o.id = $3`,
			sc.PlatformAdmin, sc.orgIDs(), orgID, userID, string(role))
		if err != nil {
			return classify(err, "add member")
		}
		if err := notFoundIfNone(tag.RowsAffected(), "add member: organisation"); err != nil {
			return err
		}
		m, err = q.getMember(ctx, sc, orgID, userID)
		return err
	})
	return m, err
}

// SetMemberRole changes a member's role.
func (q *Queries) SetMemberRole(ctx context.Context, sc Scope, orgID, userID uuid.UUID, role Role) (Membership, error) {
	var m Membership
	err := q.InTx(ctx, func(q *Queries) error {
		tag, err := q.db.Exec(ctx, `UPDATE memberships SET role = $5
			WHERE ($1::bool OR org_id = ANY($2::uuid[])) AND org_id = $3 AND user_id = $4`,
			sc.PlatformAdmin, sc.orgIDs(), orgID, userID, string(role))
		if err != nil {
			return classify(err, "change member role")
		}
		if err := notFoundIfNone(tag.RowsAffected(), "change member role: membership"); err != nil {
			return err
		}
		m, err = q.getMember(ctx, sc, orgID, userID)
		return err
	})
	return m, err
}

// RemoveMember takes a user out of an organisation.
func (q *Queries) RemoveMember(ctx context.Context, sc Scope, orgID, userID uuid.UUID) error {
	tag, err := q.db.Exec(ctx, `DELETE FROM memberships
		WHERE ($1::bool OR org_id = ANY($2::uuid[])) AND org_id = $3 AND user_id = $4`,
		sc.PlatformAdmin, sc.orgIDs(), orgID, userID)
	if err != nil {
		return classify(err, "remove member")
	}
	return notFoundIfNone(tag.RowsAffected(), "remove member: membership")
}

func (q *Queries) getMember(ctx context.Context, sc Scope, orgID, userID uuid.UUID) (Membership, error) {
	rows, _ := q.db.Query(ctx, membershipSelect+` AND m.org_id = $3 AND m.user_id = $4`,
		sc.PlatformAdmin, sc.orgIDs(), orgID, userID)
	m, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Membership])
	return m, classify(err, "get membership")
}

// ListMembers lists an organisation's members, ordered by user id. An
// organisation outside the scope is ErrNotFound rather than an empty list.
func (q *Queries) ListMembers(ctx context.Context, sc Scope, orgID uuid.UUID, p Page) ([]Membership, string, error) {
	if _, err := q.GetOrg(ctx, sc, orgID); err != nil {
		return nil, "", err
	}
	var after uuid.UUID
	if _, err := decodeCursor(p.Cursor, &after); err != nil {
		return nil, "", err
	}
	limit := p.limit()
	rows, _ := q.db.Query(ctx, membershipSelect+` AND m.org_id = $3 AND m.user_id > $4
		ORDER BY m.user_id LIMIT $5`, sc.PlatformAdmin, sc.orgIDs(), orgID, after, limit+1)
	ms, err := pgx.CollectRows(rows, pgx.RowToStructByName[Membership])
	if err != nil {
		return nil, "", classify(err, "list members")
	}
	ms, next := trimPage(ms, limit, func(m Membership) any { return m.UserID })
	return ms, next, nil
}
