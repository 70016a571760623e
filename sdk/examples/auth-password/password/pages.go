package password

import (
	"bytes"
	"context"
	"html/template"
	"net/http"
	"net/url"

	"github.com/atrium-hq/atrium/sdk/auth"
)

// loginPage is the form's path under the pages root.
const loginPage = "login"

// form is the login page. The core adds a CSP that allows inline styles
// only, so the page has no script.
var form = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in</title>
<style>body{font-family:sans-serif;max-width:22rem;margin:4rem auto}label{display:block;margin:.5rem 0}.error{color:#b00}</style>
</head><body>
<h1>Log in</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<label>Username <input name="username" value="{{.Username}}" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
</form>
</body></html>
`))

type formView struct {
	Action   string
	Username string
	Error    string
}

// ServePage shows the form on GET and checks it on POST. A correct
// password completes the login; the core then sets the session cookie and
// redirects to the query's next.
func (p *Plugin) ServePage(_ context.Context, req auth.PageRequest) (auth.PageResponse, error) {
	c, issuer, err := p.settings()
	if err != nil {
		return auth.PageResponse{}, err
	}
	if req.Path != loginPage {
		return page(http.StatusNotFound, []byte("no such page; the login form is at "+req.PagesURL+loginPage))
	}
	action := req.PagesURL + loginPage
	if next := req.Query.Get("next"); next != "" {
		action += "?" + url.Values{"next": {next}}.Encode()
	}
	view := formView{Action: action}
	switch req.Method {
	case http.MethodGet:
		return render(http.StatusOK, view)
	case http.MethodPost:
		view.Username = req.Form.Get("username")
		ident, ok := check(c, issuer, view.Username, req.Form.Get("password"))
		if !ok {
			view.Error = "Wrong username or password."
			resp, err := render(http.StatusUnauthorized, view)
			// Naming the username lets the core throttle guesses.
			resp.Username = view.Username
			return resp, err
		}
		return auth.PageResponse{Login: &auth.CompleteLoginResponse{Identity: ident}, Username: view.Username}, nil
	default:
		return page(http.StatusMethodNotAllowed, []byte("use GET or POST"))
	}
}

func render(status int, v formView) (auth.PageResponse, error) {
	var b bytes.Buffer
	if err := form.Execute(&b, v); err != nil {
		return auth.PageResponse{}, err
	}
	return auth.PageResponse{Status: status, ContentType: "text/html; charset=utf-8", Body: b.Bytes()}, nil
}

func page(status int, text []byte) (auth.PageResponse, error) {
	return auth.PageResponse{Status: status, ContentType: "text/plain; charset=utf-8", Body: text}, nil
}
