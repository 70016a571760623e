// Package auth is the SDK for auth plugins, which send a person to an
// identity provider and turn its answer into an identity. The core owns
// users, roles and login sessions; a plugin only proves who somebody is.
//
// # The login and its callback
//
// GET /api/v1/auth/{name}/login makes the core call BeginLogin with
// RedirectURL set to the core's public URL plus
// /api/v1/auth/{name}/callback: the absolute callback URL of this auth
// block. Register it at the provider, send it as the provider's redirect
// URI, and expect the same value in CompleteLogin. The core stores the
// returned State server-side, with the page to return to, as a login
// attempt; the browser only gets a cookie holding the attempt's random id
// (__Host-atrium_login over https, atrium_login otherwise; HttpOnly,
// SameSite=Lax), and is redirected (302) to AuthURL. An attempt and its
// cookie live 10 minutes: a callback later than that fails.
//
// GET /api/v1/auth/{name}/callback clears the cookie and consumes the
// attempt before it calls CompleteLogin, with the callback's query
// parameters and the State of the attempt this browser's cookie names.
// So each State reaches CompleteLogin at most once, and a failed callback
// (a CompleteLogin error, or a refusal by the core afterwards) spends the
// attempt: the person starts the login again. A callback without a live
// attempt never reaches the plugin. The callback URL is open to anyone:
// CompleteLogin must check that the provider's answer belongs to this
// State (an OAuth state parameter, a nonce) and refuse any doubt. Its
// error text is shown to the person as the reason of the refusal and goes
// to the audit log, so it must carry no secret or token.
//
// # How the core uses an identity
//
// Identities are keyed by Issuer and Subject; the core refuses an
// identity lacking either. Username matters only when a login creates the
// user (the auth block allows signup): the new user is named after it,
// lower-cased and stripped to a-z, 0-9, '.', '_' and '-' (at most 40),
// else after the e-mail's local part, and numbered when the name is taken;
// later logins never rename. Email and Name are recorded; the core never
// finds or links a user by e-mail. The core does not read EmailVerified:
// a plugin whose decisions rest on the address (allowed domains, say) must
// itself refuse addresses the provider does not verify, as auth-oidc's
// require_email_verified does. Groups feed the auth block's group mapping
// on every login and refresh, which also takes back roles no group gives
// any more.
//
// # Refresh
//
// A plugin that implements Refresher (capability "refresh") is asked again
// who each of its login sessions' person is: the core looks every minute
// for live sessions not refreshed for 5 minutes and refreshes each on one
// core replica, so a session is refreshed about every 5 to 6 minutes and
// a person removed at the provider loses access within that. What Refresh
// returns decides:
//
//   - an identity: it must be the one the session logged in as (same Issuer
//     and Subject), or the core ends the session; its groups are
//     re-applied, a non-empty SessionData replaces the stored one, and an
//     ExpiresAt earlier than the session's end ends it then instead
//     (it never extends a session);
//   - ErrRefreshRefused: the provider no longer vouches for the person; the
//     core ends the login session (audited as auth.refresh_failed);
//   - ErrNoRefresh: this session cannot be refreshed; the core stops trying
//     and the session lives until it expires;
//   - any other error (provider unreachable, a timeout): nothing changes
//     and the core tries again at the next due time, with the same
//     SessionData.
//
// plugintest.AuthConformance checks a plugin against this contract.
package auth
