package oidcauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/oauth2"

	"github.com/atrium-hq/atrium/sdk/auth"
)

// ErrRefused marks a login this plugin refused: the callback, the token or
// its claims failed a check. Its text says which and why.
var ErrRefused = errors.New("login refused")

// refuse builds an ErrRefused error.
func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
}

// CompleteLogin checks the callback against the state BeginLogin made,
// exchanges the code (with the PKCE verifier), verifies the ID token and
// reads the identity from its claims. Any doubt refuses the login.
func (p *Plugin) CompleteLogin(ctx context.Context, req auth.CompleteLoginRequest) (auth.CompleteLoginResponse, error) {
	st, err := decodeLoginState(req.State, p.now())
	if err != nil {
		return auth.CompleteLoginResponse{}, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	if e := req.Params.Get("error"); e != "" {
		return auth.CompleteLoginResponse{}, refuse("the provider answered %q: %s", printable(e, 64), printable(req.Params.Get("error_description"), 200))
	}
	got := req.Params["state"]
	switch {
	case len(got) == 0 || got[0] == "":
		return auth.CompleteLoginResponse{}, refuse("the callback carries no state parameter; start the login again")
	case len(got) > 1:
		return auth.CompleteLoginResponse{}, refuse("the callback carries %d state parameters; start the login again", len(got))
	case subtle.ConstantTimeCompare([]byte(got[0]), []byte(st.State)) != 1:
		return auth.CompleteLoginResponse{}, refuse("the callback's state does not match this browser's login; start the login again")
	}
	if req.RedirectURL != st.RedirectURL {
		return auth.CompleteLoginResponse{}, refuse("the callback URL %q is not the one the login started with", req.RedirectURL)
	}
	code := req.Params.Get("code")
	if code == "" || len(req.Params["code"]) > 1 {
		return auth.CompleteLoginResponse{}, refuse("the callback carries no single authorization code")
	}

	cfg, prov, err := p.discover(ctx)
	if err != nil {
		return auth.CompleteLoginResponse{}, fmt.Errorf("complete login: %w", err)
	}
	xctx, cancel := context.WithTimeout(context.WithValue(ctx, oauth2.HTTPClient, p.client), httpTimeout)
	defer cancel()
	tok, err := oauthConfig(cfg, prov, st.RedirectURL).Exchange(xctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return auth.CompleteLoginResponse{}, refuse("exchange the authorization code at the provider: %v", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return auth.CompleteLoginResponse{}, refuse(`the provider's token response has no ID token; does scopes include "openid"?`)
	}
	id, err := p.verifyToken(xctx, cfg, raw, tokenCheck{nonce: st.Nonce})
	if err != nil {
		return auth.CompleteLoginResponse{}, err
	}
	data, err := encodeSessionData(cfg, id.Subject, raw, tok.RefreshToken)
	if err != nil {
		return auth.CompleteLoginResponse{}, fmt.Errorf("complete login: %w", err)
	}
	return auth.CompleteLoginResponse{Identity: id, SessionData: data}, nil
}

// printable shortens s and drops control characters, so a provider's error
// text cannot forge log lines.
func printable(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
