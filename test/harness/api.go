package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Client calls one core's REST API as one logged-in user.
type Client struct {
	// Base is the core's origin, e.g. http://127.0.0.1:20001; it is also
	// the Origin the relay expects, as the core's public_url.
	Base string
	// Cookie and CSRF are the login session's cookie value and CSRF token;
	// cookie-authenticated writes need both.
	Cookie, CSRF string
	// HTTP is the client used; nil means one with a 30 s timeout.
	HTTP *http.Client
	// Header is added to every request, e.g. an X-Forwarded-For that
	// gives a test client an address of its own behind a trusted proxy.
	Header http.Header
}

// SessionCookie is the name of the core's login cookie.
const SessionCookie = "atrium_session"

// Login logs username in through POST /api/v1/auth/login.
func Login(ctx context.Context, base, username, password string) (*Client, error) {
	c := &Client{Base: base}
	var v struct {
		CSRFToken string `json:"csrf_token"`
	}
	code, body, resp, err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", map[string]string{"username": username, "password": password})
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("log in as %s: %d %s", username, code, body)
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("log in as %s: decode the answer: %w", username, err)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == SessionCookie {
			c.Cookie = ck.Value
		}
	}
	if c.Cookie == "" || v.CSRFToken == "" {
		return nil, fmt.Errorf("log in as %s: the answer set no %s cookie or CSRF token", username, SessionCookie)
	}
	c.CSRF = v.CSRFToken
	return c, nil
}

// Do sends a request with the login's cookie and CSRF token, body (if not
// nil) as JSON, and returns the status and response body. Only transport
// failures are errors: callers judge the status.
func (c *Client) Do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	code, b, _, err := c.do(ctx, method, path, body)
	return code, b, err
}

// DoHeader is Do that also returns the answer's headers (Retry-After, for
// one).
func (c *Client) DoHeader(ctx context.Context, method, path string, body any) (int, []byte, http.Header, error) {
	code, b, resp, err := c.do(ctx, method, path, body)
	if err != nil {
		return 0, nil, nil, err
	}
	return code, b, resp.Header, nil
}

func (c *Client) do(ctx context.Context, method, path string, body any) (int, []byte, *http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, fmt.Errorf("%s %s: encode the body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Cookie != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: c.Cookie})
	}
	if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	return resp.StatusCode, b, resp, nil
}

// Session is the part of the API's session JSON the harness reads.
type Session struct {
	ID       string `json:"id"`
	UserID   string `json:"user_id"`
	State    string `json:"state"`
	Template string `json:"template"`
	Kind     string `json:"kind"`
	Error    string `json:"error"`
	// StopReason says why a stopped session stopped when nobody asked.
	StopReason string `json:"stop_reason"`
}

// ErrNotFound is returned by Session for a session that answers 404.
var ErrNotFound = errors.New("session not found")

// CreateSession starts a session of template and returns it as the API
// answered (202, state pending).
func (c *Client) CreateSession(ctx context.Context, template string) (Session, error) {
	var s Session
	code, body, err := c.Do(ctx, http.MethodPost, "/api/v1/sessions", map[string]string{"template": template})
	if err != nil {
		return s, err
	}
	if code != http.StatusAccepted {
		return s, fmt.Errorf("create a %s session: %d %s", template, code, body)
	}
	if err := json.Unmarshal(body, &s); err != nil || s.ID == "" {
		return s, fmt.Errorf("create a %s session: the answer holds no session id (%v): %s", template, err, body)
	}
	return s, nil
}

// Session reads one session; a 404 is ErrNotFound.
func (c *Client) Session(ctx context.Context, id string) (Session, error) {
	var s Session
	code, body, err := c.Do(ctx, http.MethodGet, "/api/v1/sessions/"+id, nil)
	switch {
	case err != nil:
		return s, err
	case code == http.StatusNotFound:
		return s, fmt.Errorf("session %s: %w", id, ErrNotFound)
	case code != http.StatusOK:
		return s, fmt.Errorf("GET session %s: %d %s", id, code, body)
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return s, fmt.Errorf("GET session %s: %w: %s", id, err, body)
	}
	return s, nil
}

// Sessions lists the caller's sessions. It accepts both a bare array and
// the API's {"items": [...]} list shape.
func (c *Client) Sessions(ctx context.Context) ([]Session, error) {
	code, body, err := c.Do(ctx, http.MethodGet, "/api/v1/sessions", nil)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("list sessions: %d %s", code, body)
	}
	var list struct {
		Items []Session `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err == nil {
		return list.Items, nil
	}
	var items []Session
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, fmt.Errorf("list sessions: %w: %s", err, body)
	}
	return items, nil
}

// Action asks for stop, hibernate or resume and expects 202.
func (c *Client) Action(ctx context.Context, id, action string) error {
	code, body, err := c.Do(ctx, http.MethodPost, "/api/v1/sessions/"+id+"/"+action, nil)
	if err != nil {
		return err
	}
	if code != http.StatusAccepted {
		return fmt.Errorf("%s session %s: %d %s", action, id, code, body)
	}
	return nil
}

// Delete deletes a session, with its home volume when removeHome is set,
// and expects 202.
func (c *Client) Delete(ctx context.Context, id string, removeHome bool) error {
	code, body, err := c.Do(ctx, http.MethodDelete, "/api/v1/sessions/"+id+"?remove_home="+strconv.FormatBool(removeHome), nil)
	if err != nil {
		return err
	}
	if code != http.StatusAccepted {
		return fmt.Errorf("delete session %s: %d %s", id, code, body)
	}
	return nil
}

// WaitState polls the session until its state is one of want, and fails
// early when it is "failed" and failed is not wanted. A missing session
// counts as state "deleted". ctx bounds the wait.
func (c *Client) WaitState(ctx context.Context, id string, want ...string) (Session, error) {
	var last Session
	for {
		s, err := c.Session(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			s = Session{ID: id, State: "deleted"}
		case err != nil && ctx.Err() == nil:
			return s, err
		}
		if err == nil || errors.Is(err, ErrNotFound) {
			last = s
			if slices.Contains(want, s.State) {
				return s, nil
			}
			if s.State == "failed" {
				return s, fmt.Errorf("session %s failed while waiting for %v: %s", id, want, s.Error)
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("session %s is still %q (error %q), not %v: %w", id, last.State, last.Error, want, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Ticket is the answer of POST /api/v1/sessions/{id}/connect.
type Ticket struct {
	Ticket string `json:"ticket"`
	// URL is the relay's path and query, relative to the core's origin.
	URL       string          `json:"url"`
	RawExpiry json.RawMessage `json:"expires_at"`
}

// ExpiresAt reads expires_at, an RFC 3339 time or Unix seconds.
func (t Ticket) ExpiresAt() (time.Time, error) {
	var s string
	if err := json.Unmarshal(t.RawExpiry, &s); err == nil {
		return time.Parse(time.RFC3339Nano, s)
	}
	var n float64
	if err := json.Unmarshal(t.RawExpiry, &n); err != nil {
		return time.Time{}, fmt.Errorf("expires_at %s is neither an RFC 3339 time nor Unix seconds", t.RawExpiry)
	}
	return time.Unix(0, int64(n*1e9)), nil
}

// Connect asks for a relay ticket for session id.
func (c *Client) Connect(ctx context.Context, id string) (Ticket, error) {
	var t Ticket
	code, body, err := c.Do(ctx, http.MethodPost, "/api/v1/sessions/"+id+"/connect", nil)
	if err != nil {
		return t, err
	}
	if code != http.StatusOK && code != http.StatusCreated {
		return t, fmt.Errorf("connect to session %s: %d %s", id, code, body)
	}
	if err := json.Unmarshal(body, &t); err != nil || t.Ticket == "" || t.URL == "" {
		// The body holds the ticket: never put it in an error.
		return t, fmt.Errorf("connect to session %s: the answer lacks a ticket or url (%v)", id, err)
	}
	return t, nil
}
