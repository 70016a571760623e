package session

// failReason is why a session was marked failed, from a fixed set, so
// metrics can count failures by reason without the message's free text.
type failReason string

// The reasons a session fails.
const (
	failTemplateGone   failReason = "template_gone"
	failRuntimeDown    failReason = "runtime_unavailable"
	failRuntimeGone    failReason = "runtime_gone"
	failWorkspace      failReason = "workspace_error"
	failSecrets        failReason = "secrets"
	failTemplateConfig failReason = "template_config"
	failRuntimeStart   failReason = "runtime_start"
	failNotReady       failReason = "not_ready"
	failStop           failReason = "stop_error"
	failHibernate      failReason = "hibernate_error"
	failResume         failReason = "resume_error"
	failVanished       failReason = "vanished"
)
