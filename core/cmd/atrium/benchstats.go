//go:build apibench

package main

// Built only with -tags apibench, by the API benchmark
// (core/internal/api/apibench): with ATRIUM_BENCH_STATS=host:port the core
// serves its allocation counters and pprof there (package benchstats).
// Release builds do not contain this file.

import (
	"os"

	"github.com/atrium-hq/atrium/test/benchstats"
)

func init() {
	if addr := os.Getenv("ATRIUM_BENCH_STATS"); addr != "" {
		benchstats.Serve(addr)
	}
}
