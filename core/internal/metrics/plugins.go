package metrics

import "github.com/prometheus/client_golang/prometheus"

// PluginStatus is what the plugin metrics read of one plugin instance.
type PluginStatus struct {
	// Name is the plugin block's name; Kind is runtime, workspace or auth.
	Name, Kind string
	// State is the host's view: healthy, unhealthy, restarting,
	// circuit_open, …
	State    string
	Healthy  bool
	Restarts int
}

// PluginStates lists every state PluginStatus.State may hold, so
// atrium_plugin_state has one series per plugin and state.
var PluginStates = []string{"starting", "healthy", "unhealthy", "restarting", "stopped", "circuit_open"}

// ObservePlugins registers atrium_plugin_up, atrium_plugin_restarts_total
// and atrium_plugin_state, read through statuses at each scrape.
func (r *Registry) ObservePlugins(statuses func() []PluginStatus) {
	labels := []string{"plugin", "kind"}
	r.reg.MustRegister(&pluginCollector{
		up:       prometheus.NewDesc(namespace+"_plugin_up", "1 while the plugin is healthy, else 0.", labels, nil),
		restarts: prometheus.NewDesc(namespace+"_plugin_restarts_total", "Times the host restarted the plugin.", labels, nil),
		state:    prometheus.NewDesc(namespace+"_plugin_state", "1 for the plugin's current state (circuit_open: calls refused until a cooldown ends), 0 for the others.", append(labels, "state"), nil),
		statuses: statuses,
	})
}

type pluginCollector struct {
	up, restarts, state *prometheus.Desc
	statuses            func() []PluginStatus
}

func (c *pluginCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.restarts
	ch <- c.state
}

func (c *pluginCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.statuses() {
		up := 0.0
		if s.Healthy {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, s.Name, s.Kind)
		ch <- prometheus.MustNewConstMetric(c.restarts, prometheus.CounterValue, float64(s.Restarts), s.Name, s.Kind)
		for _, st := range PluginStates {
			v := 0.0
			if st == s.State {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, s.Name, s.Kind, st)
		}
	}
}
