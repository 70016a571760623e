// Command proxy benchmarks the Atrium app proxy beside the same app reached
// directly and prints, for one bounded run:
//
//	path=direct rps=… p50_ms=… p99_ms=…
//	path=atrium-proxy rps=… p50_ms=… p99_ms=…
//	ratio x_direct_rps=… added_p99_ms=… goal(>=0.60x, <=1ms)=met|missed …
//
// The measuring program lives beside the proxy, in
// core/internal/appproxy/proxybench, because it builds the proxy from the
// core's internal packages (a real Fiber server, a real PostgreSQL for the
// app cookie); this command runs it with the same flags (-requests,
// -warmup, -concurrency).
package main

import (
	"fmt"
	"os"
	"os/exec"
)

const benchPkg = "github.com/atrium-hq/atrium/core/internal/appproxy/proxybench"

func main() {
	cmd := exec.Command("go", append([]string{"run", benchPkg}, os.Args[1:]...)...)
	cmd.Stdout, cmd.Stderr, cmd.Stdin = os.Stdout, os.Stderr, os.Stdin
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-proxy: run", benchPkg+":", err, "(run it from the repository root with Go installed)")
		os.Exit(1)
	}
}
