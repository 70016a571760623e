package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/tern/v2/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable is tern's one-row table holding the applied version. Its own
// name, so a database shared with another tern user does not clash.
const versionTable = "public.atrium_schema_version"

// MigrationInfo names one migration.
type MigrationInfo struct {
	Version int32
	Name    string
}

// Status is what `atrium migrate status` prints.
type Status struct {
	// Current is the version applied to the database (0: none).
	Current int32
	// Latest is the newest version this binary carries.
	Latest int32
	// Pending lists the migrations Migrate would apply, in order.
	Pending []MigrationInfo
}

func migrationsFS() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// Migrate brings the database at url up to the newest schema and returns
// the migrations it applied (none when already current).
//
// Several cores may start together on one database: tern's Migrator holds a
// session-level PostgreSQL advisory lock (pg_advisory_lock) while it creates
// its version table and while it migrates, and re-reads the version after
// taking the lock, so one core applies each migration and the others wait,
// then find nothing to do. Each migration runs in its own transaction.
// Migrate uses a dedicated connection, not a pool, so lock and migration
// share one session.
func Migrate(ctx context.Context, url string, logger hclog.Logger) ([]MigrationInfo, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	log := logger.Named("migrate")
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL to migrate: %w; check database { url = … }", redact(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))

	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return nil, fmt.Errorf("prepare migrations (version table %s): %w", versionTable, err)
	}
	if err := m.LoadMigrations(migrationsFS()); err != nil {
		return nil, fmt.Errorf("load embedded migrations: %w", err)
	}
	var applied []MigrationInfo
	m.OnStart = func(seq int32, name, direction, _ string) {
		log.Info("applying migration", "version", seq, "name", name, "direction", direction)
		applied = append(applied, MigrationInfo{Version: seq, Name: name})
	}
	if err := m.Migrate(ctx); err != nil {
		return applied, fmt.Errorf("migrate database: %w; the failed migration was rolled back, fix the cause and start again", err)
	}
	if len(applied) > 0 {
		log.Info("database schema up to date", "version", applied[len(applied)-1].Version, "applied", len(applied))
	}
	return applied, nil
}

// MigrationStatus reports the applied and newest versions and what is
// pending, without changing the database (not even creating tern's table).
func MigrationStatus(ctx context.Context, url string) (Status, error) {
	// A Migrator without a connection only parses; it never touches a database.
	m, err := migrate.NewMigrator(ctx, nil, versionTable)
	if err != nil {
		return Status{}, fmt.Errorf("prepare migrations: %w", err)
	}
	if err := m.LoadMigrations(migrationsFS()); err != nil {
		return Status{}, fmt.Errorf("load embedded migrations: %w", err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return Status{}, fmt.Errorf("connect to PostgreSQL: %w; check database { url = … }", redact(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))

	var st Status
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", versionTable).Scan(&exists); err != nil {
		return Status{}, fmt.Errorf("look for %s: %w", versionTable, err)
	}
	if exists {
		if err := conn.QueryRow(ctx, "SELECT version FROM "+versionTable).Scan(&st.Current); err != nil {
			return Status{}, fmt.Errorf("read schema version from %s: %w", versionTable, err)
		}
	}
	for _, mig := range m.Migrations {
		st.Latest = mig.Sequence
		if mig.Sequence > st.Current {
			st.Pending = append(st.Pending, MigrationInfo{Version: mig.Sequence, Name: mig.Name})
		}
	}
	if st.Current > st.Latest {
		return st, fmt.Errorf("database schema version %d is newer than this binary knows (%d): run a newer atrium", st.Current, st.Latest)
	}
	return st, nil
}
