// Package logging holds the process-wide logger of a plugin. It is set by
// Serve, once the plugin's name is known, and read by plugin.Logger, so that
// authors and the SDK log through the same logger.
package logging

import (
	"os"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
)

var current atomic.Pointer[hclog.Logger]

// New returns a logger named name that writes JSON to stderr, which
// go-plugin relays line by line into the host's log.
func New(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      hclog.Trace,
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

// Set makes l the process-wide plugin logger.
func Set(l hclog.Logger) {
	current.Store(&l)
}

// Get returns the process-wide plugin logger, or a logger named "plugin"
// when Serve has not run yet, e.g. while main builds the implementation.
func Get() hclog.Logger {
	if l := current.Load(); l != nil {
		return *l
	}
	l := New("plugin")
	if current.CompareAndSwap(nil, &l) {
		return l
	}
	return *current.Load()
}
