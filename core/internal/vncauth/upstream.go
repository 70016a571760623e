package vncauth

import (
	"crypto/des"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// RFB security types this package speaks.
const (
	securityNone    = 1
	securityVNCAuth = 2
)

// version38 is the only protocol version spoken on either side: every
// current server and noVNC speak it, and it always sends SecurityResult.
const version38 = "RFB 003.008\n"

// ErrRefused is returned when the VNC server refuses the password.
var ErrRefused = errors.New("vnc server refused the session's credentials")

// ErrTurnedAway is returned when the VNC server refuses the connection
// before any authentication, e.g. because it blacklisted the core's
// address (see MaxHandshakes).
var ErrTurnedAway = errors.New("vnc server turned the connection away before authentication")

// Authenticate runs the client side of the RFB 3.8 handshake on conn up to
// a successful SecurityResult, answering VNC authentication with password.
// Afterwards the next byte the server expects is the ClientInit, which the
// browser sends through the relay.
func Authenticate(conn net.Conn, password string, timeout time.Duration) error {
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return fmt.Errorf("vnc handshake: %w", err)
	}
	defer conn.SetDeadline(time.Time{})

	ver := make([]byte, 12)
	if _, err := io.ReadFull(conn, ver); err != nil {
		return fmt.Errorf("vnc handshake: read server version: %w", err)
	}
	major, minor, ok := parseVersion(ver)
	if ok && major == 3 && minor == 3 {
		// A 3.3 greeting followed by security type 0 is how a server turns
		// a client away at once (TigerVNC's blacklist: "Too many security
		// failures"); say so rather than blame the protocol version.
		var typ [4]byte
		if _, err := io.ReadFull(conn, typ[:]); err == nil && binary.BigEndian.Uint32(typ[:]) == 0 {
			return fmt.Errorf("%w: %s", ErrTurnedAway, readReason(conn))
		}
	}
	if !ok || major != 3 || minor < 8 {
		return fmt.Errorf("vnc handshake: server speaks %q; Atrium needs RFB 3.8", ver)
	}
	if _, err := io.WriteString(conn, version38); err != nil {
		return fmt.Errorf("vnc handshake: send version: %w", err)
	}

	var n [1]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		return fmt.Errorf("vnc handshake: read security types: %w", err)
	}
	if n[0] == 0 {
		return fmt.Errorf("vnc handshake: server offered no security type: %s", readReason(conn))
	}
	types := make([]byte, n[0])
	if _, err := io.ReadFull(conn, types); err != nil {
		return fmt.Errorf("vnc handshake: read security types: %w", err)
	}
	choice := byte(0)
	for _, t := range types {
		if t == securityVNCAuth {
			choice = securityVNCAuth
			break
		}
	}
	if choice == 0 {
		return fmt.Errorf("vnc handshake: server offers security types %v but not VNC authentication (2); configure the server with -SecurityTypes VncAuth", types)
	}
	if _, err := conn.Write([]byte{choice}); err != nil {
		return fmt.Errorf("vnc handshake: choose security type: %w", err)
	}

	var challenge [16]byte
	if _, err := io.ReadFull(conn, challenge[:]); err != nil {
		return fmt.Errorf("vnc handshake: read challenge: %w", err)
	}
	resp := challengeResponse(password, challenge)
	if _, err := conn.Write(resp[:]); err != nil {
		return fmt.Errorf("vnc handshake: send response: %w", err)
	}

	var result [4]byte
	if _, err := io.ReadFull(conn, result[:]); err != nil {
		return fmt.Errorf("vnc handshake: read security result: %w", err)
	}
	if binary.BigEndian.Uint32(result[:]) != 0 {
		return fmt.Errorf("%w: %s", ErrRefused, readReason(conn))
	}
	return nil
}

// readReason reads the length-prefixed reason string RFB 3.8 sends after a
// failure, for the error message; it never fails the caller.
func readReason(r io.Reader) string {
	var l [4]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return "no reason given"
	}
	n := min(binary.BigEndian.Uint32(l[:]), 1024)
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "no reason given"
	}
	return fmt.Sprintf("%q", b)
}

// challengeResponse encrypts the server's challenge with DES keyed by the
// password as VNC authentication defines it: the first eight bytes of the
// password, zero-padded, each byte's bits reversed.
func challengeResponse(password string, challenge [16]byte) [16]byte {
	var key [8]byte
	copy(key[:], password)
	for i, b := range key {
		key[i] = reverseBits(b)
	}
	block, _ := des.NewCipher(key[:]) // an 8-byte key never fails
	var out [16]byte
	block.Encrypt(out[:8], challenge[:8])
	block.Encrypt(out[8:], challenge[8:])
	return out
}

func reverseBits(b byte) byte {
	var r byte
	for range 8 {
		r = r<<1 | b&1
		b >>= 1
	}
	return r
}

// parseVersion reads an RFB ProtocolVersion message, exactly
// "RFB xxx.yyy\n" with three decimal digits each. fmt.Sscanf would also
// take other whitespace for the space and the newline (found by
// FuzzAuthenticate).
func parseVersion(b []byte) (major, minor int, ok bool) {
	if len(b) != 12 || string(b[:4]) != "RFB " || b[7] != '.' || b[11] != '\n' {
		return 0, 0, false
	}
	digits := func(d []byte) (int, bool) {
		n := 0
		for _, c := range d {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	major, ok1 := digits(b[4:7])
	minor, ok2 := digits(b[8:11])
	return major, minor, ok1 && ok2
}
