package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Defaults for the server block.
const (
	defaultListen        = "127.0.0.1:8080"
	defaultDrainGrace    = 5 * time.Second
	defaultDrainTimeout  = 30 * time.Second
	defaultPluginTimeout = 10 * time.Second
	defaultRelaysPerUser = 8
	defaultRelaysPerCore = 2000
)

// server decodes the server block, which may be nil, and fills defaults.
func (d *decoder) server(b *hcl.Block) Server {
	s := Server{
		Listen:        defaultListen,
		DrainGrace:    defaultDrainGrace,
		DrainTimeout:  defaultDrainTimeout,
		PluginTimeout: defaultPluginTimeout,
		RelaysPerUser: defaultRelaysPerUser,
		RelaysPerCore: defaultRelaysPerCore,
	}
	var attrs hcl.Attributes
	if b != nil {
		s.DeclRange = b.DefRange
		attrs = d.content(b.Body, serverSchema).Attributes
	}

	if a := attrs["listen"]; d.str(a, &s.Listen) {
		if err := checkListen(s.Listen); err != nil {
			d.errorf(a.Expr.Range(), "Invalid listen address", "%s", sentence(err))
		}
	}
	if a := attrs["public_url"]; d.str(a, &s.PublicURL) {
		u, err := checkPublicURL(s.PublicURL)
		if err != nil {
			d.errorf(a.Expr.Range(), "Invalid public URL", "%s", sentence(err))
		}
		s.PublicURL = u
	} else {
		s.PublicURL = publicURLFor(s.Listen)
	}
	if a := attrs["state_dir"]; d.str(a, &s.StateDir) {
		if s.StateDir == "" {
			d.errorf(a.Expr.Range(), "Invalid state directory", "state_dir cannot be empty; leave it out to use the default.")
		} else if !filepath.IsAbs(s.StateDir) {
			s.StateDir = filepath.Join(d.baseDir, s.StateDir)
		}
	} else {
		dir, err := defaultStateDir()
		if err != nil {
			d.diags = append(d.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No state directory",
				Detail:   err.Error() + "; set state_dir in the server block.",
				Subject:  subjectOrNil(b),
			})
		}
		s.StateDir = dir
	}
	if a := attrs["app_domain"]; d.str(a, &s.AppDomain) {
		if err := checkAppDomain(s.AppDomain); err != nil {
			d.errorf(a.Expr.Range(), "Invalid app domain", "%s", sentence(err))
		} else if err := CheckAppIsolation(s.PublicURL, s.AppDomain); err != nil {
			d.errorf(a.Expr.Range(), "App domain contains the core's host", "%s", sentence(err))
		}
		s.AppDomain = strings.ToLower(s.AppDomain)
	}
	if a := attrs["secrets_key_file"]; d.str(a, &s.SecretsKeyFile) {
		if s.SecretsKeyFile == "" {
			d.errorf(a.Expr.Range(), "Invalid secrets key file", "secrets_key_file cannot be empty; leave it out to use a key in the state directory.")
		} else if !filepath.IsAbs(s.SecretsKeyFile) {
			s.SecretsKeyFile = filepath.Join(d.baseDir, s.SecretsKeyFile)
		}
	}
	d.drain(attrs, &s)
	d.metrics(attrs, &s)
	d.positiveDuration(attrs["plugin_timeout"], &s.PluginTimeout)
	d.trustedProxies(attrs["trusted_proxies"], &s)
	d.positiveInt(attrs["relays_per_user"], &s.RelaysPerUser, "Invalid relay cap", "relays_per_user is how many desktops one user may have open on this core at once: a whole number above zero, such as 8.")
	d.positiveInt(attrs["relays_per_core"], &s.RelaysPerCore, "Invalid relay cap", "relays_per_core is how many desktops this core carries at once: a whole number above zero, such as 2000.")
	if s.RelaysPerUser > s.RelaysPerCore {
		if a := attrs["relays_per_user"]; a != nil {
			d.errorf(a.Expr.Range(), "Invalid relay cap", "relays_per_user (%d) is above relays_per_core (%d): one user could take the whole core; lower it or raise relays_per_core.", s.RelaysPerUser, s.RelaysPerCore)
		}
	}
	return s
}

// trustedProxies decodes trusted_proxies, a list of CIDR prefixes. A
// prefix that holds every address is refused: any client could then name
// its own address and escape per-address limits.
func (d *decoder) trustedProxies(a *hcl.Attribute, s *Server) {
	var nets []string
	if !d.strList(a, &nets) {
		return
	}
	for i, n := range nets {
		p, err := netip.ParsePrefix(strings.TrimSpace(n))
		switch {
		case err != nil:
			d.errorf(elementRange(a, i), "Invalid trusted proxy network",
				`Each entry is the CIDR prefix of a reverse proxy in front of the core, such as "10.0.0.5/32" or "fd00::/64": %s.`, err)
		case p.Bits() == 0:
			d.errorf(elementRange(a, i), "Invalid trusted proxy network",
				"%s trusts every address, so any client could choose the address its limits are counted by; list only your proxies' networks.", p)
		default:
			s.TrustedProxies = append(s.TrustedProxies, p.Masked())
		}
	}
}

// positiveInt stores a whole-number attribute that must be above zero.
func (d *decoder) positiveInt(a *hcl.Attribute, dst *int, summary, detail string) {
	if v, ok := d.positiveWhole(a, summary, detail); ok {
		*dst = int(v)
	}
}

// positiveWhole reads a whole-number attribute that must be above zero;
// false when it is absent or invalid (then reported).
func (d *decoder) positiveWhole(a *hcl.Attribute, summary, detail string) (int64, bool) {
	if a == nil {
		return 0, false
	}
	n, ok := d.number(a)
	if !ok {
		return 0, false
	}
	v, acc := n.Int64()
	if !n.IsInt() || acc != 0 || v <= 0 {
		d.errorf(a.Expr.Range(), summary, "%s", detail)
		return 0, false
	}
	return v, true
}

// database decodes the database block. Its URL usually carries a
// password, so problems with it are marked sensitive and never quote it.
func (d *decoder) database(b *hcl.Block) *Database {
	db := &Database{DeclRange: b.DefRange}
	attrs := d.content(b.Body, databaseSchema).Attributes
	a := attrs["url"]
	mark := len(d.diags)
	if d.str(a, &db.URL) {
		if err := checkDatabaseURL(db.URL); err != nil {
			d.errorf(a.Expr.Range(), "Invalid database URL", "%s", sentence(err))
		}
	}
	for _, diag := range d.diags[mark:] {
		markSensitive(diag)
	}
	return db
}

// drain decodes drain_grace and drain_timeout. shutdown_timeout is
// drain_timeout's old name, still read so existing files keep working;
// both at once is refused, since only one can win.
func (d *decoder) drain(attrs hcl.Attributes, s *Server) {
	d.duration(attrs["drain_grace"], &s.DrainGrace, true)
	old, cur := attrs[oldDrainTimeout], attrs["drain_timeout"]
	if old != nil && cur != nil {
		d.errorf(old.NameRange, "Two drain timeouts", "shutdown_timeout is the old name of drain_timeout; remove it and keep drain_timeout.")
		return
	}
	if cur == nil {
		cur = old
	}
	d.positiveDuration(cur, &s.DrainTimeout)
}

// positiveDuration stores a duration attribute that must be above zero.
func (d *decoder) positiveDuration(a *hcl.Attribute, dst *time.Duration) {
	d.duration(a, dst, false)
}

// duration stores a duration attribute that must not be negative, and
// must be above zero unless zeroOK.
func (d *decoder) duration(a *hcl.Attribute, dst *time.Duration, zeroOK bool) {
	var s string
	if !d.str(a, &s) {
		return
	}
	v, err := parseDuration(s)
	if err == nil && v == 0 && !zeroOK {
		err = errors.New("it must be longer than zero")
	}
	if err != nil {
		d.errorf(a.Expr.Range(), "Invalid duration", "%s", sentence(err))
		return
	}
	*dst = v
}

// subjectOrNil is b's header, or nil for a block that is not in the file.
func subjectOrNil(b *hcl.Block) *hcl.Range {
	if b == nil {
		return nil
	}
	return b.DefRange.Ptr()
}

// checkListen accepts host:port with a numeric port; an empty host means
// every interface.
func checkListen(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return errors.New(`listen must be host:port, as in "127.0.0.1:8080" or ":8080"`)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return errors.New("the port must be a number from 1 to 65535")
	}
	return nil
}

// checkPublicURL accepts an http or https origin and returns it without a
// trailing slash. A path is refused: the core's cookies and app origins
// assume it owns the whole origin.
func checkPublicURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return s, errors.New(`public_url must be an http or https URL such as "https://atrium.example.com"`)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return s, errors.New("public_url must be an origin only (scheme, host and port): Atrium is served from the root of its origin")
	}
	return u.Scheme + "://" + u.Host, nil
}

// publicURLFor derives a public URL from the listen address. A wildcard
// host becomes 127.0.0.1, which is right for a trial on one machine; real
// deployments set public_url.
func publicURLFor(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "" // checkListen has reported it
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// defaultStateDir follows the XDG base directory spec, which ignores
// relative values of XDG_STATE_HOME. Root gets /var/lib/atrium, where
// system daemons keep state: root's home is private (0700), and the
// embedded PostgreSQL, which runs as the postgres user when the core runs
// as root, could not reach a state directory inside it.
func defaultStateDir() (string, error) {
	if x := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "atrium"), nil
	}
	if os.Geteuid() == 0 {
		return "/var/lib/atrium", nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", errors.New("neither XDG_STATE_HOME nor a home directory is available")
	}
	return filepath.Join(home, ".local", "state", "atrium"), nil
}

// checkAppDomain accepts "*." followed by a DNS name of at least two labels.
func checkAppDomain(s string) error {
	rest, ok := strings.CutPrefix(s, "*.")
	if !ok {
		return errors.New(`app_domain must be a wildcard domain starting with "*.", as in "*.apps.example.com"`)
	}
	if !validDNSName(rest) || !strings.Contains(rest, ".") {
		return errors.New(`after "*.", app_domain must be a DNS name such as "apps.example.com"`)
	}
	return nil
}

// validDNSName checks the letters-digits-hyphens rule for host names.
func validDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// checkDatabaseURL accepts a postgres:// or postgresql:// URL. Its errors
// never include the URL, which may hold a password.
func checkDatabaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// url.Error's own message quotes the URL; keep only the cause.
			err = ue.Err
		}
		return fmt.Errorf("the database URL does not parse: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return errors.New(`the database URL must start with "postgres://" or "postgresql://"`)
	}
	return nil
}
