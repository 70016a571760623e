// Package clientaddr finds the address of the client behind a reverse
// proxy. Every per-address limit (logins, relay upgrades, invalid
// tickets, session requests), the security log and the app proxy's
// X-Forwarded-For use the request's remote address; behind a proxy that
// is the proxy's, so every client would share one budget.
//
// Only a peer inside server { trusted_proxies } is believed. Its
// X-Forwarded-For is read from the right: each proxy appends the address
// it received from, so the first entry that is not itself a trusted proxy
// is the client. Entries left of it were written by the client and are
// ignored, so a client cannot choose its own address.
package clientaddr

import (
	"net"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Header is the request header trusted proxies set.
const Header = "X-Forwarded-For"

// Middleware replaces the remote address of a request from a trusted
// proxy with the client's, for every handler after it. With no trusted
// networks it does nothing.
func Middleware(trusted []netip.Prefix) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(trusted) == 0 {
			return c.Next()
		}
		ctx := c.Context()
		peer, ok := addrOf(ctx.RemoteAddr())
		if !ok || !inside(peer, trusted) {
			return c.Next()
		}
		if client, ok := Client(string(ctx.Request.Header.Peek(Header)), trusted); ok {
			port := 0
			if ta, isTCP := ctx.RemoteAddr().(*net.TCPAddr); isTCP {
				port = ta.Port
			}
			ctx.SetRemoteAddr(&net.TCPAddr{IP: client.AsSlice(), Port: port})
		}
		return c.Next()
	}
}

// Client returns the client's address from an X-Forwarded-For value sent
// by a trusted proxy: the rightmost entry outside trusted. It reports
// false when there is none (an empty header, or only proxies) or when an
// entry on the way is not an IP address, since the chain can then not be
// followed.
func Client(xff string, trusted []netip.Prefix) (netip.Addr, bool) {
	entries := strings.Split(xff, ",")
	for i := len(entries) - 1; i >= 0; i-- {
		e := strings.TrimSpace(entries[i])
		if e == "" {
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return netip.Addr{}, false
		}
		a = a.Unmap().WithZone("")
		if !inside(a, trusted) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func addrOf(a net.Addr) (netip.Addr, bool) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	return ip.Unmap(), ok
}

func inside(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
