package oidcauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/atrium-hq/atrium/sdk/auth"
)

// Refresh spends the login session's refresh token at the provider's token
// endpoint and returns who the provider says the person is now. A
// refreshed ID token is verified like a login's (signature, issuer,
// audience, algorithm, expiry), except that it carries no nonce and must
// name the login's subject instead; the e-mail domain and claim checks
// apply again. A provider that refuses the token (the person was disabled
// or removed, or the grant revoked), and an answer that fails a check, are
// auth.ErrRefreshRefused (and ErrRefused): the core ends the login
// session. An unreachable provider is a plain error, retried later. A session without a refresh token (refresh off
// at login, or the provider issued none) is auth.ErrNoRefresh: the core
// then stops asking for that session.
func (p *Plugin) Refresh(ctx context.Context, req auth.RefreshRequest) (auth.RefreshResponse, error) {
	cfg, prov, err := p.discover(ctx)
	if err != nil {
		return auth.RefreshResponse{}, fmt.Errorf("refresh: %w", err)
	}
	sd, err := decodeSessionData(req.SessionData)
	if err != nil {
		return auth.RefreshResponse{}, refused(err)
	}
	if !cfg.refresh || sd.RefreshToken == "" || sd.Subject == "" {
		return auth.RefreshResponse{}, fmt.Errorf("refresh: this login session has no refresh token (refresh is off, or the provider issued none): %w", auth.ErrNoRefresh)
	}
	rt, err := sd.refreshToken(cfg)
	if err != nil {
		return auth.RefreshResponse{}, refused(err)
	}

	xctx, cancel := context.WithTimeout(context.WithValue(ctx, oauth2.HTTPClient, p.client), httpTimeout)
	defer cancel()
	// An expired token makes the source go to the token endpoint at once.
	src := oauthConfig(cfg, prov, "").TokenSource(xctx, &oauth2.Token{RefreshToken: rt, Expiry: time.Unix(1, 0)})
	tok, err := src.Token()
	var answered *oauth2.RetrieveError
	switch {
	case errors.As(err, &answered):
		// oauth2's error quotes the provider's answer, never the request,
		// so the refresh token stays out of the message.
		return auth.RefreshResponse{}, refused(refuse("the provider refused to refresh the login: %v", err))
	case err != nil:
		// Unreachable or garbled: no verdict on the person; try again.
		return auth.RefreshResponse{}, fmt.Errorf("refresh at the provider's token endpoint: %w; the core tries again later", err)
	}

	var id auth.Identity
	raw, _ := tok.Extra("id_token").(string)
	if raw != "" {
		if id, err = p.verifyToken(xctx, cfg, raw, tokenCheck{subject: sd.Subject}); err != nil {
			return auth.RefreshResponse{}, refused(err)
		}
	} else {
		// Providers need not send an ID token on refresh; then ask the
		// UserInfo endpoint with the fresh access token.
		if id, err = p.userInfo(xctx, cfg, prov, tok, sd.Subject); err != nil {
			return auth.RefreshResponse{}, refused(err)
		}
		raw = sd.IDToken // keep the login's for id_token_hint
	}
	next := tok.RefreshToken
	if next == "" {
		next = rt // the provider keeps the old one valid
	}
	data, err := encodeSessionData(cfg, sd.Subject, raw, next)
	if err != nil {
		return auth.RefreshResponse{}, fmt.Errorf("refresh: %w", err)
	}
	return auth.RefreshResponse{Identity: id, SessionData: data}, nil
}

// refused marks err as the provider no longer vouching for the person:
// the core ends the login session.
func refused(err error) error {
	if errors.Is(err, ErrRefused) {
		return fmt.Errorf("%w: %w", auth.ErrRefreshRefused, err)
	}
	return fmt.Errorf("%w: %w: %w", auth.ErrRefreshRefused, ErrRefused, err)
}
