package serve

import (
	"os"
	"time"
)

// WatchParent calls orphaned once the process's parent is no longer parent,
// the pid os.Getppid returned when the process started. That is how
// a process learns that its parent died: it is re-parented to init or a
// subreaper. It polls because Linux's parent-death signal fires when the
// parent thread, not process, exits, and is not portable.
func WatchParent(parent int, interval time.Duration, orphaned func()) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for range t.C {
		if os.Getppid() != parent {
			orphaned()
			return
		}
	}
}
