package main

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// benchTemplate is the one template of the benchmark's config.
const benchTemplate = "bench"

// client is one API caller of the load: a seeded user with an API key.
type client struct {
	key    string
	userID uuid.UUID
	orgID  uuid.UUID
	admin  bool
	// ids are sessions the client can see, for get.
	ids []uuid.UUID
	// cursor is the second page of its list, learnt before the load.
	cursor string
}

// seed fills a migrated database: orgs organisations of perOrg users
// each (the first of each its org admin, the rest members), and sessions
// sessions spread round-robin over all users, newest a minute apart, in
// the end states a long-lived installation is full of (stopped, with
// of each user's sessions every tenth failed and every 25th deleted). The rows are written
// directly with the state triggers off: 100,000 sessions cannot go
// through real starts, and the lifecycle trigger only lets rows be born
// pending.
func seed(ctx context.Context, db *pgx.Conn, orgs, perOrg, sessions int) error {
	stmts := []string{
		`INSERT INTO organisations (slug, name) SELECT 'bench-' || o, 'Bench ' || o FROM generate_series(1, $1) o`,
		`INSERT INTO users (username, email) SELECT 'b' || o || '-' || u, 'b' || o || '-' || u || '@bench.local'
			FROM generate_series(1, $1) o, generate_series(1, $2) u`,
		`INSERT INTO memberships (org_id, user_id, role)
			SELECT org.id, u.id, CASE WHEN split_part(u.username, '-', 2) = '1' THEN 'org_admin' ELSE 'member' END
			FROM users u JOIN organisations org ON org.slug = 'bench-' || substr(split_part(u.username, '-', 1), 2)
			WHERE u.username LIKE 'b%-%'`,
		`ALTER TABLE sessions DISABLE TRIGGER USER`,
		`INSERT INTO sessions (org_id, user_id, template, runtime, state, cpu_millis, memory_bytes, secrets_sealed, created_at, updated_at, stopped_at)
			SELECT m.org_id, m.user_id, '` + benchTemplate + `', 'standin',
			       CASE WHEN (g / ($2 * $3)) % 25 = 1 THEN 'deleted' WHEN (g / ($2 * $3)) % 10 = 0 THEN 'failed' ELSE 'stopped' END,
			       1000, 1073741824, decode(md5(g::text), 'hex'),
			       now() - g * interval '1 minute', now() - g * interval '1 minute', now() - g * interval '1 minute'
			FROM generate_series(0, $1 - 1) g
			JOIN users u ON u.username = 'b' || (g % $2 + 1) || '-' || ((g / $2) % $3 + 1)
			JOIN memberships m ON m.user_id = u.id`,
		`ALTER TABLE sessions ENABLE TRIGGER USER`,
		`ANALYZE`,
		`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`,
	}
	args := [][]any{{orgs}, {orgs, perOrg}, nil, nil, {sessions, orgs, perOrg}, nil, nil, nil}
	for i, s := range stmts {
		if _, err := db.Exec(ctx, s, args[i]...); err != nil {
			return fmt.Errorf("seed: %w\n%s", err, s)
		}
	}
	return nil
}

// clients mints API keys for n seeded users picked by pick (their
// usernames), read-only or with the write scope.
func clients(ctx context.Context, st *store.Store, db *pgx.Conn, usernames []string, write bool) ([]*client, error) {
	scopes := []string{"read"}
	if write {
		scopes = append(scopes, "write")
	}
	var out []*client
	for _, name := range usernames {
		c := &client{}
		var role string
		err := db.QueryRow(ctx, `SELECT u.id, m.org_id, m.role FROM users u JOIN memberships m ON m.user_id = u.id WHERE u.username = $1`, name).
			Scan(&c.userID, &c.orgID, &role)
		if err != nil {
			return nil, fmt.Errorf("find seeded user %s: %w", name, err)
		}
		c.admin = role == string(store.RoleOrgAdmin)
		k := authn.NewAPIKey()
		if _, err := st.CreateAPIKey(ctx, store.NewAPIKey{Prefix: k.Prefix, Hash: k.Hash, UserID: c.userID, Name: "apibench", Scopes: scopes}); err != nil {
			return nil, err
		}
		c.key = k.Secret
		// What get asks for: sessions it sees (an org admin: the org's).
		col := "user_id"
		id := c.userID
		if c.admin {
			col, id = "org_id", c.orgID
		}
		rows, _ := db.Query(ctx, `SELECT id FROM sessions WHERE `+col+` = $1 AND state <> 'deleted' ORDER BY id LIMIT 64`, id)
		if c.ids, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
			return nil, err
		}
		if len(c.ids) == 0 {
			return nil, fmt.Errorf("seeded user %s (%s %s) sees no session", name, col, id)
		}
		out = append(out, c)
	}
	return out, nil
}
