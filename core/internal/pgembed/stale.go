package pgembed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
)

// processesInDataDir returns the ids of processes whose working directory is
// dataDir. A postmaster and all its backends chdir into the data directory,
// so this finds a server left behind by a killed core, orphaned backends of
// a killed postmaster, and nothing else — unlike postmaster.pid, whose pid
// may have been reused by an unrelated process.
func processesInDataDir(dataDir string) []int {
	want, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil {
			continue // gone, or not ours to inspect (then not our server either)
		}
		if cwd == want {
			pids = append(pids, pid)
		}
	}
	return pids
}

// postmasterPID reads the first line of postmaster.pid; 0 when absent.
func postmasterPID(dataDir string) int {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid
}

// clearLeftovers makes sure no process from an earlier run uses dataDir and
// no stale postmaster.pid remains, so a start never fails because a previous
// core was killed. A live postmaster gets a fast shutdown (SIGINT), so its
// data is checkpointed; stragglers that ignore it are escalated to SIGQUIT
// and finally SIGKILL. The caller holds the directory lock, so no other
// pgembed is starting a server here at the same time.
func clearLeftovers(ctx context.Context, log hclog.Logger, dataDir string) error {
	pids := processesInDataDir(dataDir)
	if len(pids) > 0 {
		pm := postmasterPID(dataDir)
		log.Warn("PostgreSQL from an earlier run still uses the data directory; shutting it down", "dir", dataDir, "pids", pids)
		target := pids
		for _, p := range pids {
			if p == pm {
				target = []int{pm} // the postmaster shuts its own backends down
			}
		}
		steps := []struct {
			sig  syscall.Signal
			wait time.Duration
		}{{syscall.SIGINT, 60 * time.Second}, {syscall.SIGQUIT, 10 * time.Second}, {syscall.SIGKILL, 10 * time.Second}}
		gone := false
		for _, step := range steps {
			for _, p := range target {
				_ = syscall.Kill(p, step.sig) // it may already have exited
			}
			if gone = waitGone(ctx, dataDir, step.wait); gone {
				break
			}
			if ctx.Err() != nil {
				return fmt.Errorf("wait for the earlier PostgreSQL in %s to exit: %w", dataDir, ctx.Err())
			}
			target = processesInDataDir(dataDir)
			log.Warn("earlier PostgreSQL did not exit; escalating", "signal", step.sig.String(), "pids", target)
		}
		if !gone {
			return fmt.Errorf("processes %v still use %s after SIGKILL: stop them by hand, then start atrium again", processesInDataDir(dataDir), dataDir)
		}
	}
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	if err := os.Remove(pidFile); err == nil {
		log.Info("removed stale postmaster.pid", "file", pidFile)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale %s: %w; delete it by hand, then start again", pidFile, err)
	}
	return nil
}

// waitGone polls until no process uses dataDir, for at most d.
func waitGone(ctx context.Context, dataDir string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if len(processesInDataDir(dataDir)) == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}
