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
}
