package config

import (
	"errors"
	"net"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// minMetricsToken is the shortest bearer token accepted for the metrics
// listener: long enough that guessing it over the network is hopeless.
const minMetricsToken = 16

// metrics decodes metrics_listen and metrics_bearer_token. A listener
// other than loopback must have a token: metrics name templates, runtimes
// and load, which is not for anyone who can reach the port. The token's
// problems are marked sensitive and never quote it.
func (d *decoder) metrics(attrs hcl.Attributes, s *Server) {
	if a := attrs["metrics_bearer_token"]; a != nil {
		mark := len(d.diags)
		if d.str(a, &s.MetricsBearerToken) {
			// file() keeps the file's trailing newline.
			s.MetricsBearerToken = strings.TrimSpace(s.MetricsBearerToken)
			if err := checkMetricsToken(s.MetricsBearerToken); err != nil {
				d.errorf(a.Expr.Range(), "Invalid metrics bearer token", "%s", sentence(err))
			}
		}
		for _, diag := range d.diags[mark:] {
			markSensitive(diag)
		}
	}
	a := attrs["metrics_listen"]
	if !d.str(a, &s.MetricsListen) || s.MetricsListen == "" {
		if a == nil && s.MetricsBearerToken != "" {
			d.errorf(attrs["metrics_bearer_token"].NameRange, "Metrics bearer token without a listener",
				"metrics_bearer_token guards the metrics listener, which is off; set metrics_listen too, or remove the token.")
		}
		return
	}
	if checkListen(s.MetricsListen) != nil {
		d.errorf(a.Expr.Range(), "Invalid metrics listen address", "metrics_listen must be host:port with a port from 1 to 65535, as in \"127.0.0.1:9464\"; leave it out to serve no metrics.")
		return
	}
	if samePort(s.MetricsListen, s.Listen) {
		d.errorf(a.Expr.Range(), "Metrics on the public listener", "metrics_listen %q uses the port of listen %q; metrics get a listener of their own, on another port such as 127.0.0.1:9464.", s.MetricsListen, s.Listen)
		return
	}
	if !loopbackHost(s.MetricsListen) && s.MetricsBearerToken == "" {
		d.errorf(a.Expr.Range(), "Metrics listener without a token", "metrics_listen %q is reachable from other machines; set metrics_bearer_token (e.g. = file(\"metrics.token\")) or listen on 127.0.0.1.", s.MetricsListen)
	}
}

// checkMetricsToken accepts a token of printable ASCII, long enough.
func checkMetricsToken(t string) error {
	if len(t) < minMetricsToken {
		return errors.New("metrics_bearer_token must be at least 16 characters; generate one with `openssl rand -hex 32`")
	}
	for _, r := range t {
		if r <= ' ' || r > '~' {
			return errors.New("metrics_bearer_token may hold only printable ASCII without spaces, as an HTTP header carries it")
		}
	}
	return nil
}

// loopbackHost reports whether a host:port listens on loopback only.
// "localhost" counts; an empty host (every interface) does not.
func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// samePort reports whether two host:port listen addresses would collide:
// the same port, on the same host or where either means every interface.
// Port 0 (chosen by the kernel) never collides.
func samePort(a, b string) bool {
	ah, ap, err1 := net.SplitHostPort(a)
	bh, bp, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil || ap != bp || ap == "0" {
		return false
	}
	wildcard := func(h string) bool { ip := net.ParseIP(h); return h == "" || (ip != nil && ip.IsUnspecified()) }
	return ah == bh || wildcard(ah) || wildcard(bh)
}
