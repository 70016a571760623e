package pluginhost

import "time"

// State is an instance's health as the host sees it.
type State string

// The states of a plugin instance.
const (
	StateStarting   State = "starting"
	StateHealthy    State = "healthy"
	StateUnhealthy  State = "unhealthy"
	StateRestarting State = "restarting"
	StateStopped    State = "stopped"
	// StateCircuitOpen: the plugin failed too often in a row; calls are
	// refused at once and a launch is retried after a cooldown.
	StateCircuitOpen State = "circuit_open"
)

// Status is a snapshot of one plugin instance, as the API shows it.
type Status struct {
	Name         string    `json:"name"`
	Kind         string    `json:"kind"`
	Plugin       string    `json:"plugin"`
	Binary       string    `json:"binary"`
	Version      string    `json:"version"`
	SDKVersion   string    `json:"sdk_version"`
	Capabilities []string  `json:"capabilities"`
	State        State     `json:"state"`
	Restarts     int       `json:"restarts"`
	PID          int       `json:"pid"`
	StartedAt    time.Time `json:"started_at"`
	LastError    string    `json:"last_error,omitempty"`
	// Failures counts failures since the plugin last ran stably.
	Failures int `json:"failures"`
	// RetryAt is the next launch attempt while the circuit is open.
	RetryAt *time.Time `json:"retry_at,omitempty"`
}
