package main

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/server"
)

// withDatabase runs fn with the URL of the configured database. For the
// embedded database it uses the server's running PostgreSQL when a server
// runs, and otherwise starts it for the command and stops it after.
func withDatabase(ctx context.Context, cfg *config.Config, log hclog.Logger, fn func(url string) error) error {
	db, err := server.OpenDatabase(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := db.Close(stopCtx); err != nil {
			log.Error("stop embedded PostgreSQL", "error", err)
		}
	}()
	return fn(db.URL)
}
