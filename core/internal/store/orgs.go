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

// Org is an organisation: the unit of tenancy every session and key
// belongs to.
type Org struct {
	ID        uuid.UUID `db:"id"`
	Slug      string    `db:"slug"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

const orgCols = `id, slug, name, created_at`

// CreateOrg adds an organisation. A taken slug is ErrConflict.
func (q *Queries) CreateOrg(ctx context.Context, slug, name string) (Org, error) {
	if err := errors.Join(names.OrgSlug(slug), names.OrgName(name)); err != nil {
		return Org{}, fmt.Errorf("create organisation: %w", err)
	}
	rows, _ := q.db.Query(ctx, `INSERT INTO organisations (slug, name) VALUES ($1, $2) RETURNING `+orgCols, slug, name)
	o, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Org])
	return o, classify(err, "create organisation "+slug)
}

// GetOrg returns an organisation the caller can see.
func (q *Queries) GetOrg(ctx context.Context, sc Scope, id uuid.UUID) (Org, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+orgCols+` FROM organisations
		WHERE ($1::bool OR id = ANY($2::uuid[])) AND id = $3`, sc.PlatformAdmin, sc.orgIDs(), id)
	o, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Org])
	return o, classify(err, "get organisation")
}

// GetOrgBySlug returns an organisation the caller can see, by slug.
func (q *Queries) GetOrgBySlug(ctx context.Context, sc Scope, slug string) (Org, error) {
	rows, _ := q.db.Query(ctx, `SELECT `+orgCols+` FROM organisations
		WHERE ($1::bool OR id = ANY($2::uuid[])) AND slug = $3`, sc.PlatformAdmin, sc.orgIDs(), slug)
	o, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Org])
	return o, classify(err, "get organisation "+slug)
}

// ListOrgs lists the organisations the caller can see, ordered by slug, and
// returns the cursor of the next page ("" at the end).
func (q *Queries) ListOrgs(ctx context.Context, sc Scope, p Page) ([]Org, string, error) {
	var after string
	if _, err := decodeCursor(p.Cursor, &after); err != nil {
		return nil, "", err
	}
	limit := p.limit()
	rows, _ := q.db.Query(ctx, `SELECT `+orgCols+` FROM organisations
		WHERE ($1::bool OR id = ANY($2::uuid[])) AND slug > $3
		ORDER BY slug LIMIT $4`, sc.PlatformAdmin, sc.orgIDs(), after, limit+1)
	orgs, err := pgx.CollectRows(rows, pgx.RowToStructByName[Org])
	if err != nil {
		return nil, "", classify(err, "list organisations")
	}
	orgs, next := trimPage(orgs, limit, func(o Org) any { return o.Slug })
	return orgs, next, nil
}

// RenameOrg changes an organisation's display name.
func (q *Queries) RenameOrg(ctx context.Context, sc Scope, id uuid.UUID, name string) (Org, error) {
	if err := names.OrgName(name); err != nil {
		return Org{}, fmt.Errorf("rename organisation: %w", err)
	}
	rows, _ := q.db.Query(ctx, `UPDATE organisations SET name = $4
		WHERE ($1::bool OR id = ANY($2::uuid[])) AND id = $3 RETURNING `+orgCols,
		sc.PlatformAdmin, sc.orgIDs(), id, name)
	o, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Org])
	return o, classify(err, "rename organisation")
}
