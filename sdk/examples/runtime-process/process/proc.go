package process

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// procState is what /proc/<pid>/stat says about a process.
type procState struct {
	// State is the one-letter state: 'R', 'S', 'T' (stopped), 'Z', …
	State byte
	// StartTicks is the start time in clock ticks since boot.
	StartTicks uint64
}

// readProc reads /proc/<pid>/stat. A process that does not exist yields an
// error matching os.ErrNotExist.
func readProc(pid int) (procState, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procState{}, err
	}
	return parseStat(raw)
}

// parseStat parses a stat line. The command name, field 2, is in
// parentheses and may itself hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseStat(raw []byte) (procState, error) {
	end := bytes.LastIndexByte(raw, ')')
	if end < 0 {
		return procState{}, fmt.Errorf("parse /proc stat: no command name in %q", raw)
	}
	fields := bytes.Fields(raw[end+1:])
	// fields[0] is field 3 (state); field 22 (starttime) is fields[19].
	if len(fields) < 20 || len(fields[0]) != 1 {
		return procState{}, fmt.Errorf("parse /proc stat: %d fields after the command name, want at least 20", len(fields))
	}
	start, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return procState{}, fmt.Errorf("parse /proc stat start time: %w", err)
	}
	return procState{State: fields[0][0], StartTicks: start}, nil
}

// live reports the state of the session's process, and false when it has
// exited, including as a zombie, or its pid now belongs to another process.
func live(d handleData) (procState, bool, error) {
	p, err := readProc(d.PID)
	if isMissing(err) {
		return procState{}, false, nil
	}
	if err != nil {
		return procState{}, false, fmt.Errorf("read state of pid %d: %w", d.PID, err)
	}
	if p.StartTicks != d.StartTicks || p.State == 'Z' || p.State == 'X' {
		return procState{}, false, nil
	}
	return p, true, nil
}

// signal sends sig to the session's process group, but only while the pid
// still names the session's process.
func signal(d handleData, sig syscall.Signal) error {
	if _, ok, err := live(d); err != nil || !ok {
		return err
	}
	if err := syscall.Kill(-d.PID, sig); err != nil && err != syscall.ESRCH {
		return fmt.Errorf("send %v to session process group %d: %w", sig, d.PID, err)
	}
	return nil
}

// waitFor polls the session's process until cond holds or timeout passes,
// and reports whether cond held.
func waitFor(ctx context.Context, d handleData, timeout time.Duration, cond func(p procState, alive bool) bool) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		p, alive, err := live(d)
		if err != nil {
			return false, err
		}
		if cond(p, alive) {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, nil
		case <-time.After(20 * time.Millisecond):
		}
	}
}
