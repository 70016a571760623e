// Package store is the core's only door to PostgreSQL: the embedded
// migrations, and every query, each scoped by organisation where it reads
// tenant data. Callers get plain Go structs and a few sentinel errors
// (ErrNotFound, ErrConflict, ErrIllegalTransition); pgx stays inside.
//
// Scoping rule: a Scope limits what a caller can see. An object outside it
// is reported as ErrNotFound — the same answer as for an object that does
// not exist — so the API answers 404, never 403, and leaks nothing. Whether
// the caller may change what it sees (its role) is authz's decision, made
// before calling the store.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DBTX is what Queries runs on: the pool, or a transaction. Both can Begin,
// which for a transaction opens a savepoint, so InTx nests.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Queries holds every query method. The one embedded in Store runs each
// statement on its own; the one InTx hands out runs inside a transaction.
type Queries struct {
	db DBTX
}

// Store is the connection pool plus the queries that run on it.
type Store struct {
	*Queries
	pool *pgxpool.Pool
	log  hclog.Logger
}

// Open connects a pool to url and checks that the database answers. It does
// not migrate: call Migrate first (the server does at start).
func Open(ctx context.Context, url string, logger hclog.Logger) (*Store, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w; check database { url = … }", redact(err))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create database pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s:%d: %w; check that it runs and that database { url = … } is right", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	return &Store{Queries: &Queries{db: pool}, pool: pool, log: logger.Named("store")}, nil
}

// Close waits for queries in flight and closes every connection.
func (s *Store) Close() { s.pool.Close() }

// Pool exposes the pool for what Queries does not cover, such as LISTEN on
// a dedicated connection for session state notifications.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// InTx runs fn in a transaction: committed if fn returns nil, rolled back
// otherwise (including on panic). Writes and their Audit rows made through
// the Queries fn receives therefore commit or vanish together. Called on
// Queries that are already in a transaction, it uses a savepoint.
func (q *Queries) InTx(ctx context.Context, fn func(q *Queries) error) error {
	return pgx.BeginFunc(ctx, q.db, func(tx pgx.Tx) error {
		return fn(&Queries{db: tx})
	})
}

// redact keeps a connection string's password out of a parse error.
func redact(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid connection string")
	}
	return err
}
