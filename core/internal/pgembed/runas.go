package pgembed

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// serviceUser is the account PostgreSQL runs as when the core runs as root;
// Debian's postgresql package creates it.
const serviceUser = "postgres"

// runAs describes the account the server programs run as. PostgreSQL
// refuses to run as root, so a root core hands them to serviceUser.
type runAs struct {
	cred   *syscall.Credential // nil: run as the current user
	uid    int
	gids   map[int]bool // primary and supplementary groups, for the reachability check
	name   string
	asRoot bool
}

// resolveRunAs decides who runs PostgreSQL: the current user, or serviceUser
// when the current user is root.
func resolveRunAs() (*runAs, error) {
	if os.Geteuid() != 0 {
		return &runAs{uid: os.Geteuid(), gids: map[int]bool{os.Getegid(): true}, name: "current user"}, nil
	}
	u, err := user.Lookup(serviceUser)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL refuses to run as root and there is no %q system user to run it as (%v): create it (Debian/Ubuntu: apt-get install postgresql does; otherwise useradd --system %s), run atrium as a non-root user, or set database { url = … }", serviceUser, err, serviceUser)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, fmt.Errorf("user %q has a non-numeric uid %q: %w", serviceUser, u.Uid, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, fmt.Errorf("user %q has a non-numeric gid %q: %w", serviceUser, u.Gid, err)
	}
	r := &runAs{
		// Groups set to an empty list drops root's supplementary groups.
		cred:   &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
		uid:    uid,
		gids:   map[int]bool{gid: true},
		name:   serviceUser,
		asRoot: true,
	}
	return r, nil
}

// command builds an exec.Cmd for one server program, running as r, in dir,
// with an environment free of PG* variables that could redirect it.
func (r *runAs) command(ctx context.Context, dir, prog string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: r.cred}
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") || strings.HasPrefix(k, "LC_") || k == "LANG" || k == "LANGUAGE" {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, "LC_ALL=C")
	return cmd
}

// own hands path to the service user when running as root; otherwise the
// current user already owns what it creates.
func (r *runAs) own(path string) error {
	if r.cred == nil {
		return nil
	}
	if err := os.Lchown(path, int(r.cred.Uid), int(r.cred.Gid)); err != nil {
		return fmt.Errorf("hand %s to user %q: %w", path, r.name, err)
	}
	return nil
}

// checkReachable fails early, with the command that fixes it, when the
// service user cannot traverse one of dir's parents; PostgreSQL would
// otherwise fail later with a bare "Permission denied".
func (r *runAs) checkReachable(dir string) error {
	if r.cred == nil {
		return nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("check that user %q can reach %s: %w", r.name, dir, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok {
			mode := fi.Mode().Perm()
			var can bool
			switch {
			case int(st.Uid) == r.uid:
				can = mode&0o100 != 0
			case r.gids[int(st.Gid)]:
				can = mode&0o010 != 0
			default:
				can = mode&0o001 != 0
			}
			if !can {
				return fmt.Errorf("PostgreSQL runs as user %q, which cannot enter %s (mode %04o): allow it to pass through (chmod o+x %s), choose a state directory it can reach, or set database { url = … }", r.name, p, mode, p)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}
