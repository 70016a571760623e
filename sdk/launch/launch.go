// Package launch describes what a runtime runs for one session. A workspace
// plugin produces a Spec; the core hands it to a runtime plugin.
package launch

// Spec is what to run for one session.
type Spec struct {
	// Image is the container image, e.g. "atrium/desktop:1".
	Image string
	// Command overrides the image's entrypoint and command when set.
	Command []string
	// Env is the session's environment.
	Env map[string]string
	// Secrets reach the session like Env but are never logged. Runtimes may
	// expose them as files instead.
	Secrets map[string]string
	// Resources bounds the session.
	Resources Resources
	// Ports are the ports the session serves.
	Ports []Port
	// HomePath is where the home volume is mounted, e.g. "/home/atrium".
	HomePath string
	// HomeVolume names the user's persistent storage; empty for none. It
	// outlives the session and is removed only by DestroySession.
	HomeVolume string
	// User runs the session's process, e.g. "1000:1000"; empty for the
	// image's default.
	User string
	// WorkingDir is the process's working directory.
	WorkingDir string
}

// Resources bounds a session. Zero means no limit.
type Resources struct {
	// CPU in cores, e.g. 1.5.
	CPU float64
	// MemoryBytes caps memory.
	MemoryBytes int64
	// Pids caps the number of processes.
	Pids int64
}

// Port is a named port a session serves.
type Port struct {
	Name string
	Port int
}
