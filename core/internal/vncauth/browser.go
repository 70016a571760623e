package vncauth

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Greet runs the server side of the RFB 3.8 handshake with the browser on
// rw, offering only security type None, up to a successful SecurityResult.
// Call it after Authenticate succeeded upstream: from then on the browser's
// ClientInit and everything after it go to the real server unchanged.
func Greet(rw io.ReadWriter) error {
	if _, err := io.WriteString(rw, version38); err != nil {
		return fmt.Errorf("vnc greeting: send version: %w", err)
	}
	ver := make([]byte, 12)
	if _, err := io.ReadFull(rw, ver); err != nil {
		return fmt.Errorf("vnc greeting: read client version: %w", err)
	}
	if string(ver) != version38 {
		return fmt.Errorf("vnc greeting: client speaks %q; Atrium needs RFB 3.8 (noVNC speaks it)", ver)
	}
	if _, err := rw.Write([]byte{1, securityNone}); err != nil {
		return fmt.Errorf("vnc greeting: send security types: %w", err)
	}
	var choice [1]byte
	if _, err := io.ReadFull(rw, choice[:]); err != nil {
		return fmt.Errorf("vnc greeting: read security type: %w", err)
	}
	if choice[0] != securityNone {
		return fmt.Errorf("vnc greeting: client chose security type %d, offered only None (1)", choice[0])
	}
	var ok [4]byte
	binary.BigEndian.PutUint32(ok[:], 0)
	if _, err := rw.Write(ok[:]); err != nil {
		return fmt.Errorf("vnc greeting: send security result: %w", err)
	}
	return nil
}
