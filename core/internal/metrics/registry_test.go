package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// scrape GETs /metrics from s with the given Authorization header.
func scrape(t *testing.T, s *Server, auth string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+s.Addr().String()+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func listen(t *testing.T, r *Registry, token string) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0", r, token)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestListenerNeedsTheBearerToken(t *testing.T) {
	const token = "0123456789abcdef-token"
	r := New()
	r.Logins().Login("password", LoginOK)
	s := listen(t, r, token)
	for _, auth := range []string{"", "Bearer wrong-token-0123456789", "Basic " + token, token} {
		if code, body := scrape(t, s, auth); code != http.StatusUnauthorized || strings.Contains(body, "atrium_") {
			t.Errorf("Authorization %q: %d, want 401 and no metrics:\n%.200s", auth, code, body)
		}
	}
	code, body := scrape(t, s, "Bearer "+token)
	if code != http.StatusOK || !strings.Contains(body, `atrium_logins_total{method="password",result="ok"} 1`) {
		t.Errorf("with the token: %d\n%.2000s", code, body)
	}
	resp, err := http.Get("http://" + s.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET / on the metrics listener: %d, want 404", resp.StatusCode)
	}
}

func TestListenReportsABusyPort(t *testing.T) {
	s := listen(t, New(), "")
	_, err := Listen(s.Addr().String(), New(), "")
	if err == nil || !strings.Contains(err.Error(), "metrics_listen") {
		t.Errorf("second Listen on %s: %v; want an error naming metrics_listen", s.Addr(), err)
	}
}

func TestCensusIsCachedAndKeepsZeros(t *testing.T) {
	r := New()
	calls := 0
	rows := []SessionCount{{State: "running", Template: "desktop", Runtime: "docker", N: 2}}
	var fail error
	r.CountSessions(func(context.Context) ([]SessionCount, error) {
		calls++
		return rows, fail
	}, 50*time.Millisecond)
	s := listen(t, r, "")
	_, body := scrape(t, s, "")
	_, _ = scrape(t, s, "")
	if calls != 1 {
		t.Errorf("two scrapes within the TTL made %d queries, want 1", calls)
	}
	if !strings.Contains(body, `atrium_sessions{runtime="docker",state="running",template="desktop"} 2`) {
		t.Errorf("census missing:\n%s", grep(body, "atrium_sessions"))
	}
	time.Sleep(60 * time.Millisecond)
	rows = []SessionCount{{State: "stopped", Template: "desktop", Runtime: "docker", N: 2}}
	_, body = scrape(t, s, "")
	if calls != 2 || !strings.Contains(body, `atrium_sessions{runtime="docker",state="running",template="desktop"} 0`) ||
		!strings.Contains(body, `atrium_sessions{runtime="docker",state="stopped",template="desktop"} 2`) {
		t.Errorf("after the TTL (%d queries):\n%s", calls, grep(body, "atrium_sessions"))
	}
	time.Sleep(60 * time.Millisecond)
	fail = errors.New("database down")
	code, body := scrape(t, s, "")
	if code != http.StatusOK || strings.Contains(body, "atrium_sessions{") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("a failing census should drop only its own series: %d\n%s", code, grep(body, "atrium_sessions"))
	}
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{0: "none", 99: "none", 101: "1xx", 200: "2xx", 304: "3xx", 404: "4xx", 503: "5xx", 600: "none"} {
		if got := statusClass(status); got != want {
			t.Errorf("statusClass(%d) = %q, want %q", status, got, want)
		}
	}
}

// grep keeps the lines of s that contain word.
func grep(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
