package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// call makes one request to a core and returns status, body and response.
func call(t *testing.T, method, url, cookie, csrf string, body any) (int, []byte, *http.Response) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "atrium_session", Value: cookie})
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp
}

// login logs in through the API and returns the session cookie and CSRF
// token, or "" when refused.
func login(t *testing.T, addr, username, password string) (cookie, csrf string) {
	t.Helper()
	code, body, resp := call(t, "POST", "http://"+addr+"/api/v1/auth/login", "", "", map[string]string{"username": username, "password": password})
	if code != http.StatusOK {
		return "", ""
	}
	for _, c := range resp.Cookies() {
		if c.Name == "atrium_session" {
			cookie = c.Value
		}
	}
	var v struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("login answer: %v: %s", err, body)
	}
	return cookie, v.CSRFToken
}
