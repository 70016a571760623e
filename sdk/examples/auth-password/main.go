// Command atrium-auth-password is an Atrium auth plugin that logs people in
// with a username and password checked against bcrypt hashes in its config.
// It serves its login form through the core (capability "pages"), so it
// needs no listener of its own.
package main

import (
	"github.com/atrium-hq/atrium/sdk/auth"

	"example.com/atrium-auth-password/password"
)

func main() { auth.Serve(password.New()) }
