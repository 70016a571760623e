package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/atrium-hq/atrium/core/internal/store"
)

// cmdMigrateStatus prints the schema version of the configured database and
// the migrations this binary would apply at the next server start.
func cmdMigrateStatus(args []string) int {
	fs := flag.NewFlagSet("migrate status", flag.ContinueOnError)
	path := fs.String("config", "", "HCL config `file` (default: the embedded default config)")
	level := fs.String("log-level", envOr("ATRIUM_LOG_LEVEL", "warn"), "log `level`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		printError(err)
		return 1
	}
	ctx := context.Background()
	err = withDatabase(ctx, cfg, newLogger(*level), func(url string) error {
		st, err := store.MigrationStatus(ctx, url)
		if err != nil {
			return err
		}
		fmt.Printf("schema version: %d (this binary: %d)\n", st.Current, st.Latest)
		if len(st.Pending) == 0 {
			fmt.Println("up to date")
			return nil
		}
		fmt.Printf("%d pending; applied at the next `atrium server` start:\n", len(st.Pending))
		for _, m := range st.Pending {
			fmt.Printf("  %03d %s\n", m.Version, m.Name)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "atrium migrate status: %v\n", err)
		return 1
	}
	return 0
}
