package tunnel

import (
	"bytes"
	"testing"
)

// FuzzReadStatus: any bytes a runtime's tunnel sends before the stream are
// read without panic and with the message bounded; what WriteStatus
// writes reads back as itself.
func FuzzReadStatus(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{1, 0, 3, 'b', 'a', 'd'})
	f.Add([]byte{2, 0xff, 0xff, 'x'})
	f.Fuzz(func(t *testing.T, in []byte) {
		s, msg, err := ReadStatus(bytes.NewReader(in))
		if err == nil && len(msg) > maxMessage {
			t.Fatalf("message of %d bytes accepted", len(msg))
		}
		if err != nil || s == StatusOK {
			return
		}
		var buf bytes.Buffer
		if err := WriteStatus(&buf, s, msg); err != nil {
			t.Fatal(err)
		}
		s2, msg2, err := ReadStatus(&buf)
		if err != nil || s2 != s || msg2 != msg {
			t.Fatalf("round trip of %d %q gave %d %q %v", s, msg, s2, msg2, err)
		}
	})
}
