// What each session state means to a person, and what they can do in it.
import type { Session, SessionEvent, SessionKind, SessionState, StartPhase, Template } from "./api/types";
import { bytes, cores, duration } from "./format";

export const stateLabel: Record<SessionState, string> = {
  pending: "Queued",
  starting: "Starting",
  running: "Running",
  hibernating: "Hibernating",
  hibernated: "Hibernated",
  resuming: "Resuming",
  stopping: "Stopping",
  stopped: "Stopped",
  failed: "Failed",
  deleted: "Deleted",
};

/** Progress of a start or resume, as steps out of startSteps. */
const progress: Partial<Record<SessionState, number>> = { pending: 1, starting: 2, resuming: 2, running: 3 };
export const startSteps = 3;

export function progressStep(s: SessionState): number | undefined {
  return progress[s];
}

/** The steps of a start, in order, as a person reads them. */
export const startPhases: { phase: StartPhase; label: string }[] = [
  { phase: "scheduled", label: "Found a place to run" },
  { phase: "image_ready", label: "Image ready" },
  { phase: "container_started", label: "Container started" },
  { phase: "waiting_for_app", label: "Waiting for the app to answer" },
];

/**
 * applyEvent is s after the event: a change of state ends the start
 * progress it belonged to (the event carries the new one, if any).
 */
export function applyEvent(s: Session, ev: SessionEvent): Session {
  return { ...s, state: ev.state, error: ev.error ?? s.error, start_phase: ev.start_phase, start_message: ev.start_message };
}

/** isStateChange: the event changed the state, not only the progress. */
export function isStateChange(ev: SessionEvent): boolean {
  return ev.from !== ev.state;
}

/** busy: a transition is under way; the UI shows progress and waits. */
export function isBusy(s: SessionState): boolean {
  return s === "pending" || s === "starting" || s === "resuming" || s === "hibernating" || s === "stopping";
}

export function canOpen(s: SessionState): boolean {
  return s === "running";
}
export function canHibernate(s: SessionState): boolean {
  return s === "running";
}
export function canResume(s: SessionState): boolean {
  return s === "hibernated";
}
export function canStop(s: SessionState): boolean {
  return s === "pending" || s === "starting" || s === "running" || s === "hibernated" || s === "resuming";
}
export function canDelete(s: SessionState): boolean {
  return s === "stopped" || s === "failed";
}

/** isOver: the session no longer runs; its desktop cannot be shown. */
export function isOver(s: SessionState): boolean {
  return s === "stopping" || s === "stopped" || s === "failed" || s === "deleted";
}

/**
 * kindLabel names what a session or template runs: the workspace's own
 * name when the core knows it ("VS Code", "Jupyter", "Linux desktop"),
 * else the protocol's.
 */
export function kindLabel(x: { kind?: SessionKind | ""; kind_name?: string }): string {
  if (x.kind_name) return x.kind_name;
  if (x.kind === "vnc") return "Desktop";
  if (x.kind === "http") return "Web app";
  return "Unknown";
}

/**
 * templateLimits lists a template's limits for people, CPU and memory
 * first: ["2 CPUs", "4 GiB memory", "1024 processes", "stops after 1h idle",
 * "runs at most 12h"].
 */
export function templateLimits(t: Template): string[] {
  const out = [cores(t.cpu), t.memory_bytes ? `${bytes(t.memory_bytes)} memory` : "no memory limit"];
  if (t.pids) out.push(`${t.pids} processes`);
  if (t.idle_timeout) out.push(`stops after ${duration(t.idle_timeout)} idle`);
  if (t.max_lifetime) out.push(`runs at most ${duration(t.max_lifetime)}`);
  return out;
}
