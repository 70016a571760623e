package problem

import (
	"net/http"
	"strings"
	"testing"
)

// TestForStatus: every status gets a type from the catalogue and a fixed
// detail, never Go's status text glued into a slug.
func TestForStatus(t *testing.T) {
	for status := 400; status < 600; status++ {
		if http.StatusText(status) == "" {
			continue
		}
		p := ForStatus(status)
		if p.Status != status || p.Detail == "" || strings.Contains(p.Type, " ") || !strings.HasPrefix(p.Type, Base) {
			t.Errorf("%d: %+v", status, p)
		}
	}
	if p := ForStatus(http.StatusBadRequest); !strings.HasPrefix(p.Detail, "malformed request line/headers") {
		t.Errorf("400 detail %q", p.Detail)
	}
}
