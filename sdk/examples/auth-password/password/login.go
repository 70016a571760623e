package password

import (
	"context"
	"errors"
	"strings"

	"github.com/atrium-hq/atrium/sdk/auth"
)

// errNoCallback answers a callback: this plugin's logins end on its page.
var errNoCallback = errors.New("auth-password logs in on its own form, not through a callback; open the login page again")

// BeginLogin sends the browser to the login form. The form lives beside
// the callback, under the auth block's pages root.
func (p *Plugin) BeginLogin(_ context.Context, req auth.BeginLoginRequest) (auth.BeginLoginResponse, error) {
	if _, _, err := p.settings(); err != nil {
		return auth.BeginLoginResponse{}, err
	}
	root, ok := strings.CutSuffix(req.RedirectURL, "/callback")
	if !ok {
		return auth.BeginLoginResponse{}, errors.New("auth-password: the core's callback URL does not end in /callback")
	}
	return auth.BeginLoginResponse{AuthURL: root + "/pages/" + loginPage}, nil
}

// CompleteLogin refuses: no provider ever calls back.
func (p *Plugin) CompleteLogin(context.Context, auth.CompleteLoginRequest) (auth.CompleteLoginResponse, error) {
	return auth.CompleteLoginResponse{}, errNoCallback
}
