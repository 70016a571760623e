package runtime

// Phase is one step of a session's start or resume, reported through
// StartRequest.Progress and ResumeRequest.Progress. The core shows the
// current phase on the session's "Starting" card and on its event stream.
//
// Phases arrive in the order of the constants below, each at most once;
// a runtime skips the phases that do not apply to it, and may report a
// phase again only to update its message. The SDK drops a phase reported
// after a later one.
type Phase string

// The phases of a start, in order.
const (
	// PhaseScheduled: the runtime has accepted the session and chosen where
	// it runs, e.g. a Kubernetes pod bound to a node. Runtimes with one
	// host may skip it.
	PhaseScheduled Phase = "scheduled"
	// PhaseImageReady: the session's image is present where it runs, pulled
	// or found.
	PhaseImageReady Phase = "image_ready"
	// PhaseContainerStarted: the session's process has been started.
	PhaseContainerStarted Phase = "container_started"
	// PhaseWaitingForApp: the process runs but its app does not answer yet.
	// The core reports this phase itself while it probes the app's port, so
	// a runtime reports it only when it waits for readiness of its own.
	PhaseWaitingForApp Phase = "waiting_for_app"
)

// Rank orders the known phases from 1 (PhaseScheduled); it is 0 for a phase
// this SDK does not know.
func (p Phase) Rank() int {
	switch p {
	case PhaseScheduled:
		return 1
	case PhaseImageReady:
		return 2
	case PhaseContainerStarted:
		return 3
	case PhaseWaitingForApp:
		return 4
	default:
		return 0
	}
}

// Progress is one report of a start's progress.
type Progress struct {
	Phase Phase
	// Message says what happens in the runtime's words, e.g. the node a pod
	// was scheduled to or the image's id. It may be empty.
	Message string
}

// noProgress is the Progress func of calls from a core that does not take
// progress reports.
func noProgress(Progress) {}
