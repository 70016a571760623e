// Package benchstats serves a benchmarked Go process's allocation counters
// (/stats, JSON) and net/http/pprof on a loopback address, for the API
// benchmark (core/internal/api/apibench), which reads allocations per
// request from it and profiles the process under load.
package benchstats

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"runtime"
)

// Stats is what /stats answers.
type Stats struct {
	Mallocs    uint64 `json:"mallocs"`
	TotalAlloc uint64 `json:"total_alloc"`
	NumGC      uint32 `json:"num_gc"`
}

// Serve serves /stats and /debug/pprof/ on addr in the background; a
// failure to listen is ignored, and the benchmark then reports that it
// could not read the counters.
func Serve(addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_ = json.NewEncoder(w).Encode(Stats{Mallocs: ms.Mallocs, TotalAlloc: ms.TotalAlloc, NumGC: ms.NumGC})
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	go func() { _ = http.ListenAndServe(addr, mux) }()
}
