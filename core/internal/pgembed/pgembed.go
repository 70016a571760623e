// Package pgembed runs a private PostgreSQL inside a directory, from the
// server binaries already installed on the machine. It is the core's default
// database when the configuration has no database { url = … }: nothing to
// set up for a single-host trial, and the same engine as production.
//
// Privacy: the server listens on 127.0.0.1 only (a random free port, no unix
// socket), and pg_hba accepts nothing but SCRAM password logins, with a
// random password generated on first start into a 0600 file in the
// directory. The directory itself is 0700, so no other local user can read
// the password or the data.
package pgembed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
)

const (
	// superuser is the role initdb creates; the core connects as it.
	superuser = "atrium"
	// defaultDatabase is created after initdb and named in URL.
	defaultDatabase = "atrium"
	// startAttempts bounds retries when another process takes the chosen
	// port between probing and binding.
	startAttempts = 5
	// logRotateBytes is the size above which postgres.log is moved aside to
	// postgres.log.1 at start, so the log cannot grow without bound.
	logRotateBytes = 16 << 20
)

// File names inside Options.Dir.
const (
	dataDirName  = "data"
	passwordName = "password"
	logName      = "postgres.log"
	lockName     = "pgembed.lock"
)

// Options configures Start.
type Options struct {
	// Dir holds everything: the data directory, the password file and
	// PostgreSQL's log. It is created 0700 if missing and reused on later
	// starts.
	Dir string
	// Logger receives pgembed's own messages; PostgreSQL's log goes to
	// Dir/postgres.log. Nil discards them.
	Logger hclog.Logger
	// BinDir, when set, is the only place searched for initdb, pg_ctl and
	// postgres. Empty means the newest /usr/lib/postgresql/*/bin, else PATH.
	BinDir string
	// Settings are extra postgresql.conf parameters for this start, such
	// as fsync = off for throwaway test servers. They cannot override the
	// settings that keep the server private.
	Settings map[string]string
	// Port, when not 0, is the loopback port to listen on, taken as it is
	// (no retry on another one): a test that stops the server and starts
	// it again keeps its clients' URL. 0 picks a free port.
	Port int
}

// Server is a running private PostgreSQL. Stop it with Stop.
type Server struct {
	dir      string
	dataDir  string
	bins     *binaries
	run      *runAs
	log      hclog.Logger
	password string
	port     int
	lock     *os.File
	settings map[string]string
	// fixedPort is Options.Port.
	fixedPort int

	mu      sync.Mutex
	stopped bool
}

// Start launches the server in opts.Dir, creating the cluster on first use.
// A server left running by a core that was killed is shut down first, and a
// stale postmaster.pid is removed, so a restart never fails because of them.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("pgembed: Options.Dir is empty: give the directory that should hold the database")
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	log = log.Named("pgembed")
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("resolve database directory %q: %w", opts.Dir, err)
	}
	s := &Server{dir: dir, dataDir: filepath.Join(dir, dataDirName), log: log, settings: opts.Settings, fixedPort: opts.Port}

	if s.run, err = resolveRunAs(); err != nil {
		return nil, err
	}
	if s.bins, err = s.pickBinaries(ctx, opts.BinDir); err != nil {
		return nil, err
	}
	if err := s.prepareDir(); err != nil {
		return nil, err
	}
	if err := s.takeLock(); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.releaseLock()
		}
	}()
	if s.password, err = s.ensurePassword(); err != nil {
		return nil, err
	}
	if err := s.ensureCluster(ctx); err != nil {
		return nil, err
	}
	if err := clearLeftovers(ctx, log, s.dataDir); err != nil {
		return nil, err
	}
	if err := s.writeConfig(); err != nil {
		return nil, err
	}
	if err := s.startPostmaster(ctx); err != nil {
		return nil, err
	}
	if err := s.ensureDatabase(ctx); err != nil {
		_ = s.pgCtlStop(context.WithoutCancel(ctx))
		return nil, err
	}
	ok = true
	log.Info("embedded PostgreSQL ready", "version", s.bins.major, "dir", dir, "addr", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)), "runs_as", s.run.name)
	return s, nil
}

// URL is a pgx connection string for the server's default database.
func (s *Server) URL() string { return s.DatabaseURL(defaultDatabase) }

// DatabaseURL is a pgx connection string for another database on the same
// server, as the superuser; tests use it for throwaway databases.
func (s *Server) DatabaseURL(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, s.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port is the loopback port the server listens on.
func (s *Server) Port() int { return s.port }

// Dir is the directory the server lives in.
func (s *Server) Dir() string { return s.dir }

// Stop shuts the server down with PostgreSQL's "fast" mode: sessions are
// disconnected, open transactions roll back, and a checkpoint is written so
// the next start needs no recovery. Calling it twice is harmless.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	if err := s.pgCtlStop(ctx); err != nil {
		return err
	}
	s.stopped = true
	s.releaseLock()
	s.log.Info("embedded PostgreSQL stopped", "dir", s.dir)
	return nil
}

// pickBinaries prefers, for an existing cluster, the binaries of the major
// version that created it, so installing a newer PostgreSQL alongside does
// not strand the data.
func (s *Server) pickBinaries(ctx context.Context, binDir string) (*binaries, error) {
	if binDir == "" {
		if v, err := os.ReadFile(filepath.Join(s.dataDir, "PG_VERSION")); err == nil {
			d := filepath.Join(debianRoot, strings.TrimSpace(string(v)), "bin")
			if _, err := os.Stat(d); err == nil {
				binDir = d
			}
		}
	}
	return findBinaries(ctx, binDir)
}

// prepareDir creates Dir private to the account PostgreSQL runs as.
func (s *Server) prepareDir() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("create database directory %s: %w", s.dir, err)
	}
	if err := os.Chmod(s.dir, 0o700); err != nil {
		return fmt.Errorf("make database directory %s private: %w", s.dir, err)
	}
	if err := s.run.own(s.dir); err != nil {
		return err
	}
	return s.run.checkReachable(s.dir)
}

// takeLock holds an exclusive flock on Dir for the server's lifetime, so two
// cores never drive one data directory. The kernel drops it when the holder
// dies, which is how a later start knows that leftovers are stale.
func (s *Server) takeLock() error {
	p := filepath.Join(s.dir, lockName)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("open lock file %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("another process runs the embedded PostgreSQL in %s: stop it, or give this core its own state directory", s.dir)
		}
		return fmt.Errorf("lock %s: %w", p, err)
	}
	s.lock = f
	return nil
}

func (s *Server) releaseLock() {
	if s.lock != nil {
		_ = s.lock.Close() // closing drops the flock
		s.lock = nil
	}
}

// ensurePassword reads the superuser password, generating it on first start.
func (s *Server) ensurePassword() (string, error) {
	p := filepath.Join(s.dir, passwordName)
	b, err := os.ReadFile(p)
	if err == nil {
		pw := strings.TrimSpace(string(b))
		if pw == "" {
			return "", fmt.Errorf("password file %s is empty: restore it, or remove %s to start with an empty database", p, s.dir)
		}
		return pw, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read password file %s: %w", p, err)
	}
	if _, err := os.Stat(filepath.Join(s.dataDir, "PG_VERSION")); err == nil {
		return "", fmt.Errorf("the database in %s exists but its password file %s is gone: restore the file, or remove %s to start with an empty database", s.dataDir, p, s.dir)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate database password: %w", err)
	}
	pw := hex.EncodeToString(raw)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("create password file %s: %w", p, err)
	}
	if _, err := f.WriteString(pw + "\n"); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("write password file %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write password file %s: %w", p, err)
	}
	// initdb, running as the service user, reads it through --pwfile.
	if err := s.run.own(p); err != nil {
		return "", err
	}
	return pw, nil
}

// ensureCluster runs initdb unless the data directory already holds a
// cluster. initdb writes into a scratch directory renamed into place only
// when complete, so an interrupted first start is simply redone.
func (s *Server) ensureCluster(ctx context.Context) error {
	if v, err := os.ReadFile(filepath.Join(s.dataDir, "PG_VERSION")); err == nil {
		have := strings.TrimSpace(string(v))
		if have != s.bins.major {
			return fmt.Errorf("the database in %s was created by PostgreSQL %s but the server binaries found are PostgreSQL %s: install PostgreSQL %s's server binaries (Debian/Ubuntu: apt-get install postgresql-%s), or upgrade the data with pg_upgrade", s.dataDir, have, s.bins.major, have, have)
		}
		return nil
	}
	if _, err := os.Stat(s.dataDir); err == nil {
		return fmt.Errorf("%s exists but holds no PostgreSQL cluster (no PG_VERSION): move it away, then start again", s.dataDir)
	}
	scratch := s.dataDir + ".init"
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("remove unfinished cluster %s: %w", scratch, err)
	}
	s.log.Info("creating PostgreSQL cluster", "dir", s.dataDir, "version", s.bins.major)
	cmd := s.run.command(ctx, s.dir, s.bins.initdb,
		"--pgdata="+scratch,
		"--username="+superuser,
		"--pwfile="+filepath.Join(s.dir, passwordName),
		"--auth=scram-sha-256",
		"--encoding=UTF8",
		"--no-locale",
	)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb in %s failed: %w: %s", scratch, err, lastLines(string(out), 15))
	}
	hba := "# Written by atrium (pgembed): password logins over loopback TCP only.\n" +
		"host all all 127.0.0.1/32 scram-sha-256\n"
	if err := s.writeOwned(filepath.Join(scratch, "pg_hba.conf"), hba); err != nil {
		return err
	}
	conf := filepath.Join(scratch, "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", conf, err)
	}
	_, err = f.WriteString("\n# Settings atrium rewrites on every start.\ninclude_if_exists = 'atrium.conf'\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append to %s: %w", conf, err)
	}
	if err := os.Rename(scratch, s.dataDir); err != nil {
		return fmt.Errorf("move new cluster %s into place: %w", scratch, err)
	}
	return nil
}

// writeConfig rewrites atrium.conf, the settings that keep the server
// private; the port is given on the command line because it changes.
func (s *Server) writeConfig() error {
	var b strings.Builder
	b.WriteString("# Written by atrium (pgembed) on every start; edits are lost.\n")
	keys := make([]string, 0, len(s.settings))
	for k := range s.settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !settingName.MatchString(k) {
			return fmt.Errorf("pgembed: setting name %q is not a PostgreSQL parameter name", k)
		}
		fmt.Fprintf(&b, "%s = '%s'\n", k, strings.ReplaceAll(s.settings[k], "'", "''"))
	}
	// Last, so that they win over Settings.
	b.WriteString("listen_addresses = '127.0.0.1'\n" +
		"unix_socket_directories = ''\n" +
		"password_encryption = 'scram-sha-256'\n")
	return s.writeOwned(filepath.Join(s.dataDir, "atrium.conf"), b.String())
}

var settingName = regexp.MustCompile(`^[a-z_][a-z0-9_.]*$`)

// writeOwned writes a 0600 file owned by the account PostgreSQL runs as.
func (s *Server) writeOwned(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return s.run.own(path)
}

// startPostmaster starts the server with pg_ctl on a free loopback port and
// waits until it accepts connections. If the port was taken in between, it
// tries another.
func (s *Server) startPostmaster(ctx context.Context) error {
	logPath := filepath.Join(s.dir, logName)
	if fi, err := os.Stat(logPath); err == nil && fi.Size() > logRotateBytes {
		_ = os.Rename(logPath, logPath+".1")
	}
	var lastErr error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		port, err := s.fixedPort, error(nil)
		if port == 0 {
			port, err = freePort()
		}
		if err != nil {
			return err
		}
		before := fileSize(logPath)
		cmd := s.run.command(ctx, s.dir, s.bins.pgCtl, "start",
			"--pgdata="+s.dataDir,
			"--log="+logPath,
			"--wait", "--timeout=120", "--silent",
			"-o", "-p "+strconv.Itoa(port),
		)
		out, err := cmd.CombinedOutput()
		if err == nil {
			s.port = port
			return nil
		}
		tail := logSince(logPath, before)
		lastErr = fmt.Errorf("pg_ctl start failed: %w: %s %s", err, strings.TrimSpace(string(out)), lastLines(tail, 15))
		if s.fixedPort != 0 || !strings.Contains(tail, "could not bind") && !strings.Contains(tail, "already in use") {
			break
		}
		s.log.Warn("port taken before PostgreSQL could bind it; trying another", "port", port, "attempt", attempt)
	}
	return fmt.Errorf("start embedded PostgreSQL in %s: %w (full log: %s)", s.dataDir, lastErr, logPath)
}

// pgCtlStop asks the postmaster for a fast shutdown and waits for it.
func (s *Server) pgCtlStop(ctx context.Context) error {
	cmd := s.run.command(ctx, s.dir, s.bins.pgCtl, "stop",
		"--pgdata="+s.dataDir, "--mode=fast", "--wait", "--timeout=120", "--silent")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("stop embedded PostgreSQL in %s: %w: %s (see %s)", s.dataDir, err, strings.TrimSpace(string(out)), filepath.Join(s.dir, logName))
	}
	return nil
}

// ensureDatabase creates the default database if it is missing, which also
// repairs a first start interrupted between initdb and here.
func (s *Server) ensureDatabase(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var conn *pgx.Conn
	var err error
	for {
		conn, err = pgx.Connect(ctx, s.DatabaseURL("postgres"))
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("connect to embedded PostgreSQL on port %d: %w (see %s)", s.port, err, filepath.Join(s.dir, logName))
		case <-time.After(100 * time.Millisecond):
		}
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", defaultDatabase).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q: %w", defaultDatabase, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{defaultDatabase}.Sanitize()); err != nil {
		return fmt.Errorf("create database %q: %w", defaultDatabase, err)
	}
	return nil
}

// freePort asks the kernel for a free loopback TCP port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port for PostgreSQL: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// logSince returns what was appended to path after offset.
func logSince(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(offset, 0); err != nil {
		return ""
	}
	b := make([]byte, 64<<10)
	n, _ := f.Read(b)
	return string(b[:n])
}

// lastLines keeps the end of a program's output for an error message.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
