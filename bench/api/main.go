// Command api benchmarks Atrium's session API (list, get, create) at a
// fixed request rate with 100,000 sessions in PostgreSQL, beside a bare
// fasthttp + pgx server running the same SQL (bench/api/bare), with one
// core replica and with two, and prints p50/p99 per endpoint and their
// ratios to bare:
//
//	path=bare endpoint=list rate=… p50_ms=… p99_ms=… cpu_s_per_1k=… allocs_per_req=… sql_per_req=…
//	ratio endpoint=list path=atrium-1 p50_x_bare=… p99_x_bare=… same_sql=yes goal(p99<=1.5x)=met|MISSED
//
// The measuring program lives in core/internal/api/apibench, because it
// seeds the database and mints API keys with the core's own packages;
// this command runs it with the same flags (-rate, -create-rate,
// -duration, -warmup, -sessions, -profile, …).
package main

import (
	"fmt"
	"os"
	"os/exec"
)

const benchPkg = "github.com/atrium-hq/atrium/core/internal/api/apibench"

func main() {
	cmd := exec.Command("go", append([]string{"run", benchPkg}, os.Args[1:]...)...)
	cmd.Stdout, cmd.Stderr, cmd.Stdin = os.Stdout, os.Stderr, os.Stdin
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-api: run", benchPkg+":", err, "(run it from the repository root with Go installed)")
		os.Exit(1)
	}
}
