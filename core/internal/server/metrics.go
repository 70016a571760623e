package server

import (
	"context"
	"time"

	"github.com/atrium-hq/atrium/core/internal/appproxy"
	"github.com/atrium-hq/atrium/core/internal/metrics"
	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/core/internal/relay"
	"github.com/atrium-hq/atrium/core/internal/session"
	"github.com/atrium-hq/atrium/core/internal/store"
)

// censusTTL is how long the session census is cached: well under a
// usual scrape interval, so a scrape sees counts at most this old, while
// a storm of scrapes costs one query per replica per TTL.
const censusTTL = 10 * time.Second

// observed is what the metrics read at scrape time from the core's parts.
type observed struct {
	store    *store.Store
	host     *pluginhost.Host
	sessions *session.Manager
	relays   *relay.Registry
	apps     *appproxy.Proxy
}

// observe registers the collectors that read the core's state at scrape
// time: the session census, live relays and app sockets, event stream
// subscribers, plugins and the database pool.
func observe(m *metrics.Registry, o observed) {
	m.CountSessions(func(ctx context.Context) ([]metrics.SessionCount, error) {
		rows, err := o.store.CountSessions(ctx)
		out := make([]metrics.SessionCount, 0, len(rows))
		for _, r := range rows {
			out = append(out, metrics.SessionCount{State: string(r.State), Template: r.Template, Runtime: r.Runtime, N: r.N})
		}
		return out, err
	}, censusTTL)
	m.ObserveRelays(func() metrics.RelayTotals {
		open, up, down := o.relays.Totals()
		return metrics.RelayTotals{Open: open, BytesToSession: up, BytesToBrowser: down}
	})
	m.ObserveAppSockets(o.apps.OpenSockets)
	m.ObserveSSE(o.sessions.Watcher().Subscribers)
	m.ObservePlugins(func() []metrics.PluginStatus {
		sts := o.host.Statuses()
		out := make([]metrics.PluginStatus, 0, len(sts))
		for _, s := range sts {
			out = append(out, metrics.PluginStatus{Name: s.Name, Kind: s.Kind, State: string(s.State),
				Healthy: s.State == pluginhost.StateHealthy, Restarts: s.Restarts})
		}
		return out
	})
	m.ObservePool(o.store.Pool().Stat)
}
