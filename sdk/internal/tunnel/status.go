package tunnel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// TokenSize is the length of a tunnel token in bytes.
const TokenSize = 32

// Status is the first byte the plugin writes back on a tunnel connection.
type Status byte

// The statuses a plugin answers with.
const (
	// StatusOK: the session is connected; bytes follow.
	StatusOK Status = 0
	// StatusBadToken: the token is unknown, already used or expired.
	StatusBadToken Status = 1
	// StatusDialFailed: the runtime could not reach the session's port.
	StatusDialFailed Status = 2
)

// maxMessage bounds the message after an error status, so a confused peer
// cannot make the host allocate much.
const maxMessage = 1024

// WriteStatus writes a status; msg is sent only with an error status and is
// cut to maxMessage bytes.
func WriteStatus(w io.Writer, s Status, msg string) error {
	if s == StatusOK {
		_, err := w.Write([]byte{byte(StatusOK)})
		return err
	}
	if len(msg) > maxMessage {
		msg = msg[:maxMessage]
	}
	buf := make([]byte, 3, 3+len(msg))
	buf[0] = byte(s)
	binary.BigEndian.PutUint16(buf[1:3], uint16(len(msg)))
	buf = append(buf, msg...)
	_, err := w.Write(buf)
	return err
}

// ReadStatus reads a status and, for an error status, its message.
func ReadStatus(r io.Reader) (Status, string, error) {
	var head [1]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return 0, "", fmt.Errorf("read tunnel status: %w", err)
	}
	s := Status(head[0])
	if s == StatusOK {
		return s, "", nil
	}
	var size [2]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return 0, "", fmt.Errorf("read tunnel status message length: %w", err)
	}
	n := binary.BigEndian.Uint16(size[:])
	if n > maxMessage {
		return 0, "", errors.New("read tunnel status: message longer than the protocol allows; is the path a tunnel socket?")
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return 0, "", fmt.Errorf("read tunnel status message: %w", err)
	}
	return s, string(msg), nil
}
