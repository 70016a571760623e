// Command pgserver runs a private, throwaway PostgreSQL for tests that
// cannot import core/internal (the end-to-end tests in test/e2e): it prints
// a superuser connection URL on the first line of stdout, and stops the
// server and removes its directory when stdin closes or on SIGTERM. With
// ATRIUM_TEST_DATABASE_URL set it starts nothing and prints that URL.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/atrium-hq/atrium/core/internal/pgembed"
	"github.com/atrium-hq/atrium/core/internal/store/storetest"
)

func main() {
	os.Exit(run())
}

func run() int {
	done := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(done) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)

	if u := os.Getenv(storetest.EnvURL); u != "" {
		fmt.Println(u)
		select {
		case <-done:
		case <-sig:
		}
		return 0
	}
	// Directly under the system temp directory, which the postgres user
	// (used when running as root) can enter.
	dir, err := os.MkdirTemp("", "atrium-pgserver-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	log := hclog.New(&hclog.LoggerOptions{Name: "pgserver", Level: hclog.Warn, Output: os.Stderr})
	srv, err := pgembed.Start(ctx, pgembed.Options{Dir: dir, Logger: log, Settings: map[string]string{
		"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "300",
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		return 1
	}
	fmt.Println(srv.DatabaseURL("postgres"))
	select {
	case <-done:
	case <-sig:
	}
	stopCtx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	if err := srv.Stop(stopCtx); err != nil {
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		return 1
	}
	return 0
}
