package tunnel

import (
	"bytes"
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand, so expiry needs no waiting.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func noDial(context.Context) (net.Conn, error) { return nil, nil }

func TestTokenWorksOnce(t *testing.T) {
	tokens := NewTokens(time.Minute, time.Now)
	tok, err := tokens.Issue(noDial)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if len(tok) != TokenSize {
		t.Fatalf("token is %d bytes, want %d", len(tok), TokenSize)
	}
	if _, ok := tokens.Redeem(tok); !ok {
		t.Fatal("a fresh token was refused")
	}
	if _, ok := tokens.Redeem(tok); ok {
		t.Fatal("a token was accepted a second time")
	}
}

func TestTokenBindsItsDial(t *testing.T) {
	tokens := NewTokens(time.Minute, time.Now)
	var hit [2]bool
	var toks [2][]byte
	for i := range toks {
		var err error
		toks[i], err = tokens.Issue(func(context.Context) (net.Conn, error) { hit[i] = true; return nil, nil })
		if err != nil {
			t.Fatalf("Issue: %v", err)
		}
	}
	if bytes.Equal(toks[0], toks[1]) {
		t.Fatal("two tokens are equal")
	}
	dial, ok := tokens.Redeem(toks[1])
	if !ok {
		t.Fatal("token refused")
	}
	_, _ = dial(context.Background())
	if hit != [2]bool{false, true} {
		t.Fatalf("redeeming token 1 ran dials %v, want only dial 1", hit)
	}
}

func TestTokenExpires(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1000, 0)}
	tokens := NewTokens(30*time.Second, clock.Now)
	early, _ := tokens.Issue(noDial)
	late, _ := tokens.Issue(noDial)
	clock.Advance(29 * time.Second)
	if _, ok := tokens.Redeem(early); !ok {
		t.Fatal("a token was refused before it expired")
	}
	clock.Advance(time.Second)
	if _, ok := tokens.Redeem(late); ok {
		t.Fatal("a token was accepted after it expired")
	}
	if n := len(tokens.pending); n != 0 {
		t.Fatalf("%d expired tokens are still held", n)
	}
}

func TestWrongTokenRefused(t *testing.T) {
	tokens := NewTokens(time.Minute, time.Now)
	tok, _ := tokens.Issue(noDial)
	wrong := bytes.Clone(tok)
	wrong[TokenSize-1] ^= 1
	for _, bad := range [][]byte{wrong, tok[:TokenSize-1], nil, make([]byte, TokenSize)} {
		if _, ok := tokens.Redeem(bad); ok {
			t.Fatalf("token %x was accepted", bad)
		}
	}
	if _, ok := tokens.Redeem(tok); !ok {
		t.Fatal("wrong guesses used up the real token")
	}
}

func TestTokenConcurrentRedeem(t *testing.T) {
	tokens := NewTokens(time.Minute, time.Now)
	const issued = 50
	toks := make([][]byte, issued)
	for i := range toks {
		toks[i], _ = tokens.Issue(noDial)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, tok := range toks {
				if _, ok := tokens.Redeem(tok); ok {
					wins.Add(1)
				}
				if _, err := tokens.Issue(noDial); err != nil {
					t.Errorf("Issue: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	if n := wins.Load(); n != issued {
		t.Fatalf("%d redemptions succeeded for %d tokens; each must work exactly once", n, issued)
	}
}
