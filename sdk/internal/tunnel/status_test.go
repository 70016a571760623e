package tunnel

import (
	"bytes"
	"strings"
	"testing"
)

func TestStatusRoundTrip(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, tt := range []struct {
		st       Status
		msg      string
		wantMsg  string
		wantSize int
	}{
		{StatusOK, "ignored", "", 1},
		{StatusBadToken, "used token", "used token", 3 + len("used token")},
		{StatusDialFailed, long, long[:maxMessage], 3 + maxMessage},
	} {
		var buf bytes.Buffer
		if err := WriteStatus(&buf, tt.st, tt.msg); err != nil {
			t.Fatalf("WriteStatus: %v", err)
		}
		if buf.Len() != tt.wantSize {
			t.Errorf("status %d takes %d bytes, want %d", tt.st, buf.Len(), tt.wantSize)
		}
		st, msg, err := ReadStatus(&buf)
		if err != nil {
			t.Fatalf("ReadStatus: %v", err)
		}
		if st != tt.st || msg != tt.wantMsg {
			t.Errorf("read (%d, %d-byte message), want (%d, %d-byte message)", st, len(msg), tt.st, len(tt.wantMsg))
		}
	}
}

func TestReadStatusRefusesOversizedMessage(t *testing.T) {
	if _, _, err := ReadStatus(bytes.NewReader([]byte{2, 0xff, 0xff})); err == nil {
		t.Fatal("ReadStatus accepted a message longer than the protocol allows")
	}
	if _, _, err := ReadStatus(bytes.NewReader([]byte{2, 0, 9, 'a'})); err == nil {
		t.Fatal("ReadStatus accepted a truncated message")
	}
}
