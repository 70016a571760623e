// Command atrium-auth-oidc is Atrium's auth plugin for OpenID Connect
// providers: it sends the browser through the authorization-code flow with
// PKCE and proves who came back. The core owns users, roles and sessions.
package main

import (
	"github.com/atrium-hq/atrium/sdk/auth"

	"github.com/atrium-hq/atrium/plugins/auth-oidc/oidcauth"
)

func main() {
	auth.Serve(oidcauth.New())
}
