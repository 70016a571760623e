package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/atrium-hq/atrium/core/internal/authn"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// cmdCreateUser creates a password account in the configured database,
// migrating it first if needed. The password comes from stdin (first
// line) or, when stdin is a terminal, is generated and printed once.
func cmdCreateUser(args []string) int {
	fs := flag.NewFlagSet("admin create-user", flag.ContinueOnError)
	path := fs.String("config", "", "HCL config `file` (default: the embedded default config)")
	username := fs.String("username", "", "the user's login `name` (required)")
	email := fs.String("email", "", "the user's e-mail `address`")
	admin := fs.Bool("admin", false, "make the user a platform admin")
	org := fs.String("org", "", "add the user to the organisation with this `slug`, creating it if missing")
	role := fs.String("role", "", "the `role` in -org: member or org_admin (default: org_admin for a new organisation, else member)")
	level := fs.String("log-level", envOr("ATRIUM_LOG_LEVEL", "warn"), "log `level`")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: atrium admin create-user -username NAME [-email E] [-admin] [-org SLUG] [-role member|org_admin] [-config FILE] < password")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if strings.TrimSpace(*username) == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if *role != "" && *role != string(store.RoleMember) && *role != string(store.RoleOrgAdmin) {
		fmt.Fprintln(os.Stderr, "atrium admin create-user: -role must be member or org_admin")
		return 2
	}
	password, generated, err := readPassword(os.Stdin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "atrium admin create-user: %v\n", err)
		return 1
	}
	hash, err := authn.HashPassword(password)
	if err != nil {
		fmt.Fprintf(os.Stderr, "atrium admin create-user: %v\n", err)
		return 1
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		printError(err)
		return 1
	}
	log := newLogger(*level)
	ctx := context.Background()
	var u store.User
	err = withDatabase(ctx, cfg, log, func(url string) error {
		if _, err := store.Migrate(ctx, url, log); err != nil {
			return err
		}
		st, err := store.Open(ctx, url, log)
		if err != nil {
			return err
		}
		defer st.Close()
		return st.InTx(ctx, func(q *store.Queries) error {
			u, err = createUser(ctx, q, store.NewUser{Username: strings.TrimSpace(*username), Email: *email, PasswordHash: &hash, PlatformAdmin: *admin}, *org, store.Role(*role))
			return err
		})
	})
	if errors.Is(err, store.ErrConflict) {
		fmt.Fprintf(os.Stderr, "atrium admin create-user: a user called %q exists already\n", *username)
		return 1
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "atrium admin create-user: %v\n", err)
		return 1
	}
	fmt.Printf("created user %s (%s)%s\n", u.Username, u.ID, map[bool]string{true: ", platform admin", false: ""}[u.PlatformAdmin])
	if generated {
		fmt.Printf("password: %s\n", password)
	}
	return 0
}

// createUser creates the user, audited as the system. The first platform
// admin of an empty installation also gets the default organisation, as
// with the setup link; otherwise -org decides membership.
func createUser(ctx context.Context, q *store.Queries, nu store.NewUser, orgSlug string, role store.Role) (store.User, error) {
	n, err := q.CountUsers(ctx)
	if err != nil {
		return store.User{}, err
	}
	if n == 0 && nu.PlatformAdmin && orgSlug == "" {
		u, _, err := authn.CreateFirstAdmin(ctx, q, nu, "")
		return u, err
	}
	u, err := q.CreateUser(ctx, nu)
	if err != nil {
		return store.User{}, err
	}
	if err := q.Audit(ctx, store.AuditEntry{Action: "user.create", TargetType: "user", TargetID: u.ID.String(),
		Details: map[string]any{"username": u.Username, "platform_admin": u.PlatformAdmin, "via": "atrium admin create-user"}}); err != nil {
		return store.User{}, err
	}
	if orgSlug == "" {
		return u, nil
	}
	sys := store.SystemScope()
	o, err := q.GetOrgBySlug(ctx, sys, orgSlug)
	if errors.Is(err, store.ErrNotFound) {
		if o, err = q.CreateOrg(ctx, orgSlug, orgSlug); err != nil {
			return store.User{}, err
		}
		if role == "" {
			role = store.RoleOrgAdmin
		}
		err = q.Audit(ctx, store.AuditEntry{OrgID: &o.ID, Action: "org.create", TargetType: "org", TargetID: o.ID.String(), Details: map[string]any{"slug": o.Slug}})
	}
	if err != nil {
		return store.User{}, err
	}
	if role == "" {
		role = store.RoleMember
	}
	if _, err := q.AddMember(ctx, sys, o.ID, u.ID, role); err != nil {
		return store.User{}, err
	}
	return u, q.Audit(ctx, store.AuditEntry{OrgID: &o.ID, Action: "member.add", TargetType: "user", TargetID: u.ID.String(), Details: map[string]any{"role": string(role)}})
}

// readPassword reads the first line of stdin, or generates a password when
// stdin is a terminal (typing it there would echo it).
func readPassword(stdin *os.File) (password string, generated bool, err error) {
	if fi, err := stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		tok, _ := authn.NewToken()
		return tok[:24], true, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read the password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", false, errors.New("stdin held no password: pipe one in (echo … | atrium admin create-user …), or run from a terminal to generate one")
	}
	return line, false, nil
}
