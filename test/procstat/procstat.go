// Package procstat reads a process tree's CPU time and memory from /proc,
// for the benchmarks, which count what a server and its children cost.
package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times; 100 on every
// Linux this runs on.
const clockTicks = 100

// ProcessTree returns roots and all their live descendants, from the ppid
// field of /proc/*/stat.
func ProcessTree(roots ...int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, err := statFields(pid)
		if err != nil {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		parent[pid] = ppid
	}
	in := map[int]bool{}
	for _, r := range roots {
		in[r] = true
	}
	for changed := true; changed; {
		changed = false
		for pid, pp := range parent {
			if !in[pid] && in[pp] {
				in[pid] = true
				changed = true
			}
		}
	}
	out := make([]int, 0, len(in))
	for pid := range in {
		out = append(out, pid)
	}
	return out
}

// statFields returns /proc/<pid>/stat's fields after the command name, so
// f[0] is the state (field 3), f[1] the ppid, f[11] utime, f[12] stime,
// f[13] cutime, f[14] cstime.
func statFields(pid int) ([]string, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	return strings.Fields(string(raw[i+1:])), nil
}

// CPUSeconds is the user+system time of pids, including children they
// have already reaped (cutime, cstime).
func CPUSeconds(pids []int) float64 {
	var ticks int64
	for _, pid := range pids {
		f, err := statFields(pid)
		if err != nil || len(f) < 15 {
			continue
		}
		for _, k := range []int{11, 12, 13, 14} {
			v, _ := strconv.ParseInt(f[k], 10, 64)
			ticks += v
		}
	}
	return float64(ticks) / clockTicks
}

// PSSKB is the proportional set size of pids in KiB: resident memory with
// every shared page divided among the processes sharing it. Summed over a
// tree of forked processes (websockify forks one per connection) it counts
// each physical page once, where RSS would count shared pages once per
// process.
func PSSKB(pids []int) int64 {
	var total int64
	for _, pid := range pids {
		f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "Pss:") {
				fs := strings.Fields(line)
				if len(fs) >= 2 {
					v, _ := strconv.ParseInt(fs[1], 10, 64)
					total += v
				}
				break
			}
		}
		_ = f.Close()
	}
	return total
}
