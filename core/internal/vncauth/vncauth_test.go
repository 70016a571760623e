package vncauth

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeServer is a scripted RFB 3.8 server speaking VNC authentication: a
// test fake standing in for Xvnc, whose real handshake the desktop
// end-to-end tests exercise.
func fakeServer(t *testing.T, password string, types []byte) (client net.Conn, done <-chan error) {
	t.Helper()
	c, s := net.Pipe()
	errc := make(chan error, 1)
	go func() {
		defer s.Close()
		errc <- func() error {
			io.WriteString(s, version38)
			ver := make([]byte, 12)
			if _, err := io.ReadFull(s, ver); err != nil {
				return err
			}
			s.Write(append([]byte{byte(len(types))}, types...))
			var choice [1]byte
			if _, err := io.ReadFull(s, choice[:]); err != nil {
				return err
			}
			challenge := [16]byte{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6}
			s.Write(challenge[:])
			var resp [16]byte
			if _, err := io.ReadFull(s, resp[:]); err != nil {
				return err
			}
			if want := challengeResponse(password, challenge); resp != want {
				reason := "authentication failed"
				var b [8]byte
				binary.BigEndian.PutUint32(b[:4], 1)
				binary.BigEndian.PutUint32(b[4:], uint32(len(reason)))
				s.Write(append(b[:], reason...))
				return nil
			}
			s.Write([]byte{0, 0, 0, 0})
			var clientInit [1]byte
			_, err := io.ReadFull(s, clientInit[:])
			return err
		}()
	}()
	t.Cleanup(func() { c.Close() })
	return c, errc
}

func TestAuthenticate(t *testing.T) {
	conn, done := fakeServer(t, "s3cret-pw", []byte{securityVNCAuth})
	if err := Authenticate(conn, "s3cret-pw", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte{1}) // ClientInit, as the browser would send it
	if err := <-done; err != nil {
		t.Fatalf("server side: %v", err)
	}
}

func TestAuthenticateWrongPassword(t *testing.T) {
	conn, _ := fakeServer(t, "s3cret-pw", []byte{securityVNCAuth})
	err := Authenticate(conn, "wrong-pw", 5*time.Second)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "authentication failed") {
		t.Fatalf("err = %v, want ErrRefused with the server's reason", err)
	}
}

func TestAuthenticateNeedsVNCAuth(t *testing.T) {
	conn, _ := fakeServer(t, "pw", []byte{securityNone, 19})
	err := Authenticate(conn, "pw", 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "not VNC authentication") {
		t.Fatalf("err = %v", err)
	}
}

func TestAuthenticateRefusesOldProtocol(t *testing.T) {
	c, s := net.Pipe()
	defer c.Close()
	go func() { io.WriteString(s, "RFB 003.003\n"); s.Close() }()
	if err := Authenticate(c, "pw", 5*time.Second); err == nil || !strings.Contains(err.Error(), "RFB 3.8") {
		t.Fatalf("err = %v", err)
	}
}

// TestChallengeResponseMatchesTigerVNC checks the DES step against bytes
// TigerVNC 1.12's `vncpasswd -f` produced for "atrium12": vncpasswd stores
// a password encrypted under a fixed key, the same operation as answering a
// challenge with that key as the password.
func TestChallengeResponseMatchesTigerVNC(t *testing.T) {
	fixedKey := string([]byte{23, 82, 107, 6, 35, 78, 88, 7})
	var challenge [16]byte
	copy(challenge[:8], "atrium12")
	copy(challenge[8:], "atrium12")
	got := challengeResponse(fixedKey, challenge)
	if hex.EncodeToString(got[:8]) != "76752359c1149400" || !bytes.Equal(got[:8], got[8:]) {
		t.Fatalf("challengeResponse = %x", got)
	}
}

func TestGreet(t *testing.T) {
	browser, core := net.Pipe()
	defer browser.Close()
	errc := make(chan error, 1)
	go func() { errc <- Greet(core) }()

	ver := make([]byte, 12)
	io.ReadFull(browser, ver)
	if string(ver) != version38 {
		t.Fatalf("greeting %q", ver)
	}
	io.WriteString(browser, version38)
	types := make([]byte, 2)
	io.ReadFull(browser, types)
	if !bytes.Equal(types, []byte{1, securityNone}) {
		t.Fatalf("security types %v, want only None", types)
	}
	browser.Write([]byte{securityNone})
	result := make([]byte, 4)
	io.ReadFull(browser, result)
	if binary.BigEndian.Uint32(result) != 0 {
		t.Fatalf("security result %v", result)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestGreetRefusesOtherSecurityType(t *testing.T) {
	browser, core := net.Pipe()
	defer browser.Close()
	errc := make(chan error, 1)
	go func() { errc <- Greet(core); core.Close() }()
	io.ReadFull(browser, make([]byte, 12))
	io.WriteString(browser, version38)
	io.ReadFull(browser, make([]byte, 2))
	browser.Write([]byte{securityVNCAuth})
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "offered only None") {
		t.Fatalf("err = %v", err)
	}
}

func TestAuthenticateSaysWhenTurnedAway(t *testing.T) {
	c, s := net.Pipe()
	go func() {
		defer s.Close()
		// TigerVNC's answer to a blacklisted address.
		reason := "Too many security failures"
		msg := append([]byte("RFB 003.003\n"), 0, 0, 0, 0, 0, 0, 0, byte(len(reason)))
		s.Write(append(msg, reason...))
	}()
	err := Authenticate(c, "pw", time.Second)
	if !errors.Is(err, ErrTurnedAway) || !strings.Contains(err.Error(), "Too many security failures") {
		t.Fatalf("Authenticate = %v, want ErrTurnedAway with the server's reason", err)
	}
}
