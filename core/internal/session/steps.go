package session

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/atrium-hq/atrium/core/internal/config"
	"github.com/atrium-hq/atrium/core/internal/pluginhost"
	"github.com/atrium-hq/atrium/core/internal/store"
	"github.com/atrium-hq/atrium/sdk/connect"
	"github.com/atrium-hq/atrium/sdk/launch"
	"github.com/atrium-hq/atrium/sdk/runtime"
	"github.com/atrium-hq/atrium/sdk/workspace"
)

// Labels the core puts on everything a runtime creates for a session.
const (
	LabelSession  = "atrium.session"
	LabelUser     = "atrium.user"
	LabelOrg      = "atrium.org"
	LabelTemplate = "atrium.template"
	// LabelInstall names the installation (store.InstallationID): several
	// installations, or test runs, may share one engine.
	LabelInstall = "atrium.install"
)

// step does the one piece of work the session's current state asks for.
// It runs under the session's lease; every state change is compare-and-set
// against the state it started from, so a user's request that lands
// meanwhile wins and the next step follows it. It reports whether it got
// anywhere; one that waits for a plugin is retried at the next resync.
func (m *Manager) step(ctx context.Context, s store.Session) bool {
	var err error
	switch s.State {
	case store.StatePending, store.StateStarting:
		err = m.start(ctx, s)
	case store.StateStopping:
		err = m.stop(ctx, s)
	case store.StateHibernating:
		err = m.hibernate(ctx, s)
	case store.StateResuming:
		err = m.resume(ctx, s)
	case store.StateStopped, store.StateFailed, store.StateDeleted:
		err = m.teardown(ctx, s)
	}
	switch {
	case err == nil, errors.Is(err, errSuperseded), errors.Is(err, store.ErrStateChanged):
		return true
	case ctx.Err() != nil:
		m.log.Debug("session step interrupted", "session", s.ID, "state", s.State, "error", err)
	default:
		m.log.Warn("session step did not finish; it is retried", "session", s.ID, "state", s.State, "error", err)
	}
	return false
}

// unavailable wraps errors that mean "retry later": the plugin is down or
// restarting, so the session stays where it is.
type unavailable struct{ err error }

func (u unavailable) Error() string { return u.err.Error() }
func (u unavailable) Unwrap() error { return u.err }

func (m *Manager) runtime(name string) (connect.Runtime, error) {
	if m.runtimes[name] == nil {
		return nil, fmt.Errorf("runtime %q is no longer configured", name)
	}
	rt, err := m.plugins.Runtime(name)
	if err != nil {
		return nil, unavailable{err}
	}
	return rt, nil
}

func handleOf(s store.Session) runtime.Handle {
	return runtime.Handle{Version: uint32(s.HandleVersion), Data: s.HandleData}
}

func hasHandle(s store.Session) bool { return s.HandleVersion != 0 || len(s.HandleData) > 0 }

// transition is a system-made compare-and-set change of state.
func (m *Manager) transition(ctx context.Context, s store.Session, to store.SessionState, msg string) (store.Session, error) {
	return m.st.TransitionSession(ctx, system, s.ID, store.Transition{From: s.State, To: to, Message: msg})
}

// fail marks the session failed with a message for its owner, then has the
// runtime remove whatever is left of it (never the home volume). If that
// cleanup fails, the resync finds the leftovers later.
func (m *Manager) fail(ctx context.Context, s store.Session, msg string) error {
	if _, err := m.st.TransitionSession(ctx, system, s.ID, store.Transition{From: s.State, To: store.StateFailed, Message: msg, Error: msg}); err != nil {
		return err
	}
	m.log.Info("session failed", "session", s.ID, "error", msg)
	m.destroy(ctx, s, false)
	return nil
}

// destroy removes the session's runtime objects, logging failures.
func (m *Manager) destroy(ctx context.Context, s store.Session, removeHome bool) error {
	rt, err := m.runtime(s.Runtime)
	if err != nil {
		return err
	}
	cctx, cancel := m.callCtx(ctx)
	defer cancel()
	_, err = rt.DestroySession(cctx, runtime.DestroyRequest{SessionID: s.ID.String(), Handle: handleOf(s),
		RemoveHome: removeHome, HomeVolume: HomeVolume(s.UserID)})
	if err != nil {
		m.log.Warn("runtime could not destroy session", "session", s.ID, "error", err)
		return fmt.Errorf("destroy session %s: %w", s.ID, err)
	}
	return nil
}

// start takes a pending or half-started session to running: launch spec,
// StartSession, handle, readiness. StartSession is idempotent per session,
// so a start a dead core left half done is simply done again.
func (m *Manager) start(ctx context.Context, s store.Session) error {
	var err error
	if s.State == store.StatePending {
		if s, err = m.transition(ctx, s, store.StateStarting, "starting"); err != nil {
			return err
		}
	}
	tpl := m.templates[s.Template]
	if tpl == nil {
		return m.fail(ctx, s, fmt.Sprintf("template %q is no longer configured; ask an administrator, or delete this session", s.Template))
	}
	rt, err := m.runtime(s.Runtime)
	var un unavailable
	if errors.Is(err, pluginhost.ErrCircuitOpen) {
		// Waiting would outlast the user's patience: say why now.
		return m.fail(ctx, s, fmt.Sprintf("the runtime %q cannot start sessions: %v", s.Runtime, err))
	} else if errors.As(err, &un) {
		return err
	} else if err != nil {
		return m.fail(ctx, s, err.Error())
	}
	ws, err := m.plugins.Workspace(tpl.Workspace)
	if err != nil {
		return unavailable{err}
	}
	cctx, cancel := m.callCtx(ctx)
	desc, err := ws.Describe(cctx, workspace.DescribeRequest{})
	cancel()
	if err != nil {
		return m.fail(ctx, s, fmt.Sprintf("the workspace %q could not describe itself: %v", tpl.Workspace, err))
	}
	secrets, err := m.sealer.Open(s.OrgID, s.UserID, s.SecretsSealed)
	if err != nil {
		return m.fail(ctx, s, fmt.Sprintf("the session's secrets cannot be opened (%v); delete it and start a new one", err))
	}
	tcfg, err := m.templateConfig(ctx, tpl)
	if err != nil {
		return m.fail(ctx, s, err.Error())
	}
	rs := m.runtimeSession(s)
	cctx, cancel = m.callCtx(ctx)
	lreq := workspace.LaunchSpecRequest{
		Session: rs, TemplateConfig: tcfg, Image: tpl.Image,
		Resources:  launch.Resources{CPU: tpl.CPU, MemoryBytes: tpl.Memory, Pids: tpl.Pids},
		Secrets:    secrets,
		HomeVolume: HomeVolume(s.UserID),
	}
	m.appLocation(&lreq, desc, s.ID)
	ls, err := ws.LaunchSpec(cctx, lreq)
	cancel()
	if err != nil {
		return m.fail(ctx, s, fmt.Sprintf("the workspace %q could not say what to launch: %v", tpl.Workspace, err))
	}
	cctx, cancel = m.callCtx(ctx)
	started, err := rt.StartSession(cctx, runtime.StartRequest{Session: rs, Spec: ls.Spec, Progress: m.progress(ctx, s)})
	cancel()
	if err != nil {
		return m.fail(ctx, s, fmt.Sprintf("the runtime %q could not start the session: %v", s.Runtime, err))
	}
	if s, err = m.setHandle(ctx, s, started.Handle, started.Status); err != nil {
		// The runtime runs it but we cannot record how to find it: undo.
		m.destroy(ctx, s, false)
		return err
	}
	m.setPhase(ctx, s, runtime.PhaseWaitingForApp, waitingMessage(desc))
	if err := m.awaitReady(ctx, rt, s, desc, store.StateStarting); err != nil {
		if errors.Is(err, errSuperseded) || ctx.Err() != nil {
			return err
		}
		return m.fail(ctx, s, err.Error())
	}
	_, err = m.transition(ctx, s, store.StateRunning, "ready")
	return err
}

// setHandle stores the runtime's handle, instance id and the session's
// addresses from st. A zero handle version keeps the stored handle, as
// RecoverSession and ResumeSession promise.
func (m *Manager) setHandle(ctx context.Context, s store.Session, h runtime.Handle, st runtime.Status) (store.Session, error) {
	s, err := m.setAddresses(ctx, s, st.Addresses)
	if err != nil {
		return s, err
	}
	instanceID := st.InstanceID
	if h.Version == 0 && len(h.Data) == 0 {
		h = handleOf(s)
	}
	if instanceID == "" {
		instanceID = s.InstanceID
	}
	if h.Version == uint32(s.HandleVersion) && string(h.Data) == string(s.HandleData) && instanceID == s.InstanceID {
		return s, nil
	}
	out, err := m.st.SetSessionHandle(ctx, system, s.ID, instanceID, int32(h.Version), h.Data)
	if err != nil {
		return s, fmt.Errorf("store the runtime's handle of session %s: %w", s.ID, err)
	}
	return out, nil
}

// setAddresses records the addresses the runtime reported as the
// session's own, when they differ from the recorded ones. The record is in
// the session's row, so every replica binds tunnels to the same addresses.
func (m *Manager) setAddresses(ctx context.Context, s store.Session, addrs []string) (store.Session, error) {
	if slices.Equal(addrs, s.Addresses) { // also nil against empty
		return s, nil
	}
	out, err := m.st.SetSessionAddresses(ctx, system, s.ID, addrs)
	if err != nil {
		return s, fmt.Errorf("store the addresses the runtime reported for session %s: %w", s.ID, err)
	}
	return out, nil
}

// templateConfig decodes the template's `config { }` body against the
// workspace plugin's current schema.
func (m *Manager) templateConfig(ctx context.Context, tpl *config.Template) (json.RawMessage, error) {
	cctx, cancel := m.callCtx(ctx)
	defer cancel()
	sch, err := m.plugins.WorkspaceSchema(cctx, tpl.Workspace)
	if err != nil {
		return nil, fmt.Errorf("the workspace %q did not report its config schema: %v", tpl.Workspace, err)
	}
	raw, diags := config.DecodePluginConfig(tpl.Config, sch, m.opts.EvalContext)
	if diags.HasErrors() {
		return nil, fmt.Errorf("the template %q's config block does not suit its workspace plugin: %s; an administrator must fix the configuration", tpl.Name, diags.Error())
	}
	return raw, nil
}

// runtimeSession is how the runtime sees the session, labels included.
func (m *Manager) runtimeSession(s store.Session) runtime.Session {
	return runtime.Session{
		ID: s.ID.String(), UserID: s.UserID.String(), OrgID: s.OrgID.String(), Template: s.Template,
		Labels: map[string]string{
			LabelSession: s.ID.String(), LabelUser: s.UserID.String(),
			LabelOrg: s.OrgID.String(), LabelTemplate: s.Template, LabelInstall: m.install,
		},
	}
}

// stop has the runtime stop and remove the session, keeping storage.
func (m *Manager) stop(ctx context.Context, s store.Session) error {
	rt, err := m.runtime(s.Runtime)
	var un unavailable
	if errors.As(err, &un) {
		return err
	}
	if err == nil {
		cctx, cancel := m.callCtx(ctx)
		if hasHandle(s) {
			_, err = rt.StopSession(cctx, runtime.StopRequest{SessionID: s.ID.String(), Handle: handleOf(s), Timeout: m.opts.StopTimeout})
		} else {
			// Never recorded a handle: remove whatever a start that died
			// half way left behind.
			_, err = rt.DestroySession(cctx, runtime.DestroyRequest{SessionID: s.ID.String(), HomeVolume: HomeVolume(s.UserID)})
		}
		cancel()
		if err != nil && !errors.Is(err, runtime.ErrSessionNotFound) {
			if ctx.Err() != nil {
				return err
			}
			return m.fail(ctx, s, fmt.Sprintf("the runtime %q could not stop the session: %v", s.Runtime, err))
		}
	} else {
		m.log.Warn("stopping a session whose runtime is gone from the configuration", "session", s.ID, "runtime", s.Runtime)
	}
	_, err = m.transition(ctx, s, store.StateStopped, "stopped")
	return err
}

// hibernate has the runtime suspend the session.
func (m *Manager) hibernate(ctx context.Context, s store.Session) error {
	rt, err := m.runtime(s.Runtime)
	var un unavailable
	if errors.As(err, &un) {
		return err
	} else if err != nil {
		return m.fail(ctx, s, err.Error())
	}
	cctx, cancel := m.callCtx(ctx)
	_, err = rt.HibernateSession(cctx, runtime.HibernateRequest{SessionID: s.ID.String(), Handle: handleOf(s)})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return m.fail(ctx, s, fmt.Sprintf("the runtime %q could not hibernate the session: %v", s.Runtime, err))
	}
	_, err = m.transition(ctx, s, store.StateHibernated, "hibernated")
	return err
}

// resume has the runtime continue a hibernated session, then waits until
// it is ready again.
func (m *Manager) resume(ctx context.Context, s store.Session) error {
	rt, err := m.runtime(s.Runtime)
	var un unavailable
	if errors.As(err, &un) {
		return err
	} else if err != nil {
		return m.fail(ctx, s, err.Error())
	}
	tpl := m.templates[s.Template]
	if tpl == nil {
		return m.fail(ctx, s, fmt.Sprintf("template %q is no longer configured; delete this session", s.Template))
	}
	ws, err := m.plugins.Workspace(tpl.Workspace)
	if err != nil {
		return unavailable{err}
	}
	cctx, cancel := m.callCtx(ctx)
	desc, err := ws.Describe(cctx, workspace.DescribeRequest{})
	cancel()
	if err != nil {
		return m.fail(ctx, s, fmt.Sprintf("the workspace %q could not describe itself: %v", tpl.Workspace, err))
	}
	cctx, cancel = m.callCtx(ctx)
	res, err := rt.ResumeSession(cctx, runtime.ResumeRequest{SessionID: s.ID.String(), Handle: handleOf(s), Progress: m.progress(ctx, s)})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return m.fail(ctx, s, fmt.Sprintf("the runtime %q could not resume the session: %v", s.Runtime, err))
	}
	if s, err = m.setHandle(ctx, s, res.Handle, res.Status); err != nil {
		return err
	}
	m.setPhase(ctx, s, runtime.PhaseWaitingForApp, waitingMessage(desc))
	if err := m.awaitReady(ctx, rt, s, desc, store.StateResuming); err != nil {
		if errors.Is(err, errSuperseded) || ctx.Err() != nil {
			return err
		}
		return m.fail(ctx, s, err.Error())
	}
	_, err = m.transition(ctx, s, store.StateRunning, "resumed")
	return err
}

// teardown finishes a delete: a stopped or failed session becomes a
// tombstone, and a tombstone's runtime objects (and, if asked, the owner's
// home volume) are destroyed. It runs under the session's lease; the
// runtime call itself holds no admission lock, so a slow destroy does not
// hold up admissions in the owner's organisation.
func (m *Manager) teardown(ctx context.Context, s store.Session) error {
	td, err := m.st.GetTeardown(ctx, s.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil || td.Done {
		return err
	}
	if s.State != store.StateDeleted {
		if s, err = m.transition(ctx, s, store.StateDeleted, "deleted"); err != nil {
			return err
		}
	}
	if _, err := m.runtime(s.Runtime); err != nil {
		var un unavailable
		if errors.As(err, &un) {
			return err
		}
		m.log.Warn("deleting a session whose runtime is gone from the configuration; nothing to destroy", "session", s.ID, "runtime", s.Runtime)
		return m.st.FinishTeardown(ctx, s.ID)
	}
	if td.RemoveHome {
		// Wait while another session of the owner uses the volume. The
		// pending removal keeps new ones from being admitted (Create
		// checks it under the same lock), so once none is active none
		// can start before the volume is gone.
		err := m.st.InTx(ctx, func(q *store.Queries) error {
			o, err := lockHome(ctx, q, s)
			if err == nil && o != nil {
				err = fmt.Errorf("home volume of user %s: %w by session %s; it is removed once that session stops", s.UserID, ErrHomeInUse, o.ID)
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	if err := m.destroy(ctx, s, td.RemoveHome); err != nil {
		return err
	}
	if td.RemoveHome {
		m.log.Info("removed home volume", "session", s.ID, "volume", HomeVolume(s.UserID))
	}
	return m.st.FinishTeardown(ctx, s.ID)
}
