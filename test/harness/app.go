package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/fasthttp/websocket"
)

// App is one session's web app as a browser reaches it in the core's
// origin isolation mode (server { app_domain }): on a host of its own,
// {session}.apps.example:port, served by the core's listener, with the
// app cookie the app-link flow set. Its HTTP client and WebSocket dialer
// send every connection for the app's host to the core's address, since
// no resolver knows the per-session hosts, and refuse any other address.
type App struct {
	// Origin is the app's origin, http://{session}.apps.example:port.
	Origin string
	// HTTP sends requests with the app's cookie jar through the core's
	// listener. It follows no redirect: tests judge each answer.
	HTTP *http.Client
	jar  http.CookieJar
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// AppLink asks POST /api/v1/sessions/{id}/open for the link that opens the
// session's app: an absolute URL on the app's host carrying a single-use
// token. The token is never put in an error.
func (c *Client) AppLink(ctx context.Context, id string) (string, error) {
	code, body, err := c.Do(ctx, http.MethodPost, "/api/v1/sessions/"+id+"/open", nil)
	if err != nil {
		return "", err
	}
	if code != http.StatusOK {
		return "", fmt.Errorf("open the app of session %s: %d %s", id, code, body)
	}
	var o struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(body, &o); err != nil || o.URL == "" {
		return "", fmt.Errorf("open the app of session %s: the answer holds no url (%v)", id, err)
	}
	return o.URL, nil
}

// NewApp is a client of the app whose origin is origin (scheme://host:port)
// that connects to the core at coreBase (its public URL, whose host is the
// listener's address). It holds no cookie yet: Redeem gets one.
func NewApp(coreBase, origin string) (*App, error) {
	core, err := url.Parse(coreBase)
	if err != nil || core.Host == "" {
		return nil, fmt.Errorf("the core's base URL %q: %v", coreBase, err)
	}
	o, err := url.Parse(origin)
	if err != nil || o.Host == "" || o.Path != "" {
		return nil, fmt.Errorf("the app origin %q is not scheme://host:port (%v)", origin, err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, fmt.Errorf("cookie jar: %w", err)
	}
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr != o.Host && addr != core.Host {
			return nil, fmt.Errorf("the app client dials only %s (the app) and %s (the core), not %s", o.Host, core.Host, addr)
		}
		return d.DialContext(ctx, network, core.Host)
	}
	hc := &http.Client{
		Jar:       jar,
		Timeout:   60 * time.Second,
		Transport: &http.Transport{DialContext: dial, MaxIdleConnsPerHost: 4, IdleConnTimeout: 2 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return &App{Origin: o.Scheme + "://" + o.Host, HTTP: hc, jar: jar, dial: dial}, nil
}

// OpenApp follows the app-link flow a browser follows after the UI's
// Open: it asks the API for the session's link as c, redeems it on the
// app's own host, and returns the app with the cookie that sets.
func OpenApp(ctx context.Context, c *Client, id string) (*App, error) {
	link, err := c.AppLink(ctx, id)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(link)
	if err != nil {
		return nil, fmt.Errorf("the app link of session %s does not parse: %w", id, err)
	}
	if !strings.HasPrefix(u.Hostname(), id+".") {
		return nil, fmt.Errorf("the app link of session %s points at host %s, not the session's own", id, u.Host)
	}
	a, err := NewApp(c.Base, u.Scheme+"://"+u.Host)
	if err != nil {
		return nil, err
	}
	if err := a.Redeem(ctx, link); err != nil {
		return nil, err
	}
	return a, nil
}

// Redeem opens the single-use link on the app's host: the core must answer
// 303 to a path on the same host and set the app's cookie.
func (a *App) Redeem(ctx context.Context, link string) error {
	resp, body, err := a.Get(ctx, link)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("redeem the app link: %d %s; want 303", resp.StatusCode, body)
	}
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
		return fmt.Errorf("redeem the app link: redirected to %q, not a path on the app's host", loc)
	}
	u, _ := url.Parse(a.Origin)
	if len(a.jar.Cookies(u)) == 0 {
		return errors.New("redeem the app link: the answer set no cookie for the app's host")
	}
	return nil
}

// Get is Do with GET and no body.
func (a *App) Get(ctx context.Context, target string) (*http.Response, []byte, error) {
	return a.Do(ctx, http.MethodGet, target, nil, nil)
}

// Do sends a request to target, a path on the app's origin or an absolute
// URL there, and returns the answer with its body read. Only transport
// failures are errors. Query strings (where links carry their token) stay
// out of errors.
func (a *App) Do(ctx context.Context, method, target string, body io.Reader, header http.Header) (*http.Response, []byte, error) {
	if strings.HasPrefix(target, "/") {
		target = a.Origin + target
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, redact(target), err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := a.HTTP.Do(req)
	if ue, ok := err.(*url.Error); ok {
		err = ue.Err // its text repeats the URL, token and all
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, redact(target), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, nil, fmt.Errorf("%s %s: read the answer: %w", method, redact(target), err)
	}
	return resp, b, nil
}

// DialWebSocket opens a WebSocket to path (and query) on the app's origin
// with the app's cookie and, as a browser page of the app sends it, the
// app's Origin; header adds to or overrides those. A refused upgrade
// returns the answer (its body readable) and an error.
func (a *App) DialWebSocket(ctx context.Context, path string, header http.Header) (*websocket.Conn, *http.Response, error) {
	h := http.Header{"Origin": {a.Origin}}
	for k, v := range header {
		h[k] = v
	}
	d := websocket.Dialer{NetDialContext: a.dial, Jar: a.jar, HandshakeTimeout: 30 * time.Second}
	ws, resp, err := d.DialContext(ctx, "ws"+strings.TrimPrefix(a.Origin, "http")+path, h)
	if err != nil {
		return nil, resp, fmt.Errorf("open WebSocket %s%s: %w", a.Origin, redact(path), err)
	}
	return ws, resp, nil
}

// WithOnlyCookie returns a copy of a whose cookie jar holds only the
// cookie named name (for example Atrium's app cookie), without those the
// app itself set since. A request from it is then authenticated by what
// the proxy adds, not by the app's own session cookie.
func (a *App) WithOnlyCookie(name string) (*App, error) {
	u, err := url.Parse(a.Origin)
	if err != nil {
		return nil, fmt.Errorf("parse the app's origin: %w", err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, fmt.Errorf("cookie jar: %w", err)
	}
	var kept []*http.Cookie
	for _, c := range a.jar.Cookies(u) {
		if c.Name == name {
			kept = append(kept, &http.Cookie{Name: c.Name, Value: c.Value, Path: "/"})
		}
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("the app's jar holds no cookie %q", name)
	}
	jar.SetCookies(u, kept)
	b := *a
	b.jar = jar
	b.HTTP = &http.Client{Transport: a.HTTP.Transport, Jar: jar, CheckRedirect: a.HTTP.CheckRedirect, Timeout: a.HTTP.Timeout}
	return &b, nil
}

// redact drops a URL's query, where app links carry their token.
func redact(u string) string {
	if base, _, ok := strings.Cut(u, "?"); ok {
		return base + "?…"
	}
	return u
}
