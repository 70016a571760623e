// What each session state means to a person, and what they can do in it.
import type { SessionState } from "./api/types";

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
