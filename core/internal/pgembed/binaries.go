package pgembed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ErrBinariesNotFound is wrapped by every error that means "no usable
// initdb, pg_ctl and postgres here", so callers can tell a missing
// installation from a failing one; its text names the fix.
var ErrBinariesNotFound = errors.New("PostgreSQL server binaries not found: install them (Debian/Ubuntu: apt-get install postgresql) or set database { url = … }")

// debianRoot is where Debian and Ubuntu install one directory per PostgreSQL
// major version; a variable so tests could point elsewhere.
var debianRoot = "/usr/lib/postgresql"

// binaries are the absolute paths of the server programs pgembed runs.
type binaries struct {
	initdb   string
	pgCtl    string
	postgres string
	// major is the server's major version ("15"), compared with the data
	// directory's PG_VERSION before starting.
	major string
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)(?:\.\d+)?`)

// findBinaries picks the server programs: dir when given, else the newest
// Debian-style /usr/lib/postgresql/N/bin, else PATH.
func findBinaries(ctx context.Context, dir string) (*binaries, error) {
	var b *binaries
	switch {
	case dir != "":
		var err error
		b, err = binariesIn(dir)
		if err != nil {
			return nil, err
		}
	default:
		for _, d := range debianBinDirs() {
			if found, err := binariesIn(d); err == nil {
				b = found
				break
			}
		}
		if b == nil {
			found := &binaries{}
			for name, dst := range map[string]*string{"initdb": &found.initdb, "pg_ctl": &found.pgCtl, "postgres": &found.postgres} {
				p, err := exec.LookPath(name)
				if err != nil {
					return nil, fmt.Errorf("%w (looked in %s/*/bin and on PATH, %s is missing)", ErrBinariesNotFound, debianRoot, name)
				}
				*dst = p
			}
			b = found
		}
	}
	if err := b.probeVersion(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// debianBinDirs lists /usr/lib/postgresql/*/bin, highest major first.
func debianBinDirs() []string {
	entries, err := os.ReadDir(debianRoot)
	if err != nil {
		return nil
	}
	type cand struct {
		major int
		dir   string
	}
	var cands []cand
	for _, e := range entries {
		n, err := strconv.Atoi(strings.SplitN(e.Name(), ".", 2)[0])
		if err != nil {
			continue
		}
		cands = append(cands, cand{n, filepath.Join(debianRoot, e.Name(), "bin")})
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].major > cands[j].major })
	dirs := make([]string, 0, len(cands))
	for _, c := range cands {
		dirs = append(dirs, c.dir)
	}
	return dirs
}

// binariesIn returns the three programs from dir, or an error naming the
// first one missing or not executable.
func binariesIn(dir string) (*binaries, error) {
	b := &binaries{
		initdb:   filepath.Join(dir, "initdb"),
		pgCtl:    filepath.Join(dir, "pg_ctl"),
		postgres: filepath.Join(dir, "postgres"),
	}
	for _, p := range []string{b.initdb, b.pgCtl, b.postgres} {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%w (%s: %v)", ErrBinariesNotFound, p, err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return nil, fmt.Errorf("%w (%s is not an executable file)", ErrBinariesNotFound, p)
		}
	}
	return b, nil
}

// probeVersion runs `postgres --version`: it proves the binary really runs
// (a truncated or foreign file fails here, not halfway through initdb) and
// yields the major version.
func (b *binaries) probeVersion(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, b.postgres, "--version").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w (%s --version failed: %v %s)", ErrBinariesNotFound, b.postgres, err, strings.TrimSpace(string(out)))
	}
	m := versionRE.FindStringSubmatch(string(out))
	if m == nil {
		return fmt.Errorf("%w (%s --version printed %q, not a PostgreSQL version)", ErrBinariesNotFound, b.postgres, strings.TrimSpace(string(out)))
	}
	b.major = m[1]
	return nil
}
