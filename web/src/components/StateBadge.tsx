import type { SessionState } from "../api/types";
import { isBusy, progressStep, startSteps, stateLabel } from "../sessions";

/** StateBadge shows a session's state, with a progress bar while it starts. */
export function StateBadge({ state }: { state: SessionState }) {
  const step = progressStep(state);
  return (
    <span class={`state state-${state}`}>
      <span class="state-label">{stateLabel[state] ?? state}</span>
      {isBusy(state) && (
        <progress
          max={step !== undefined ? startSteps : undefined}
          value={step !== undefined ? step : undefined}
          aria-label={`${stateLabel[state]}…`}
        />
      )}
    </span>
  );
}
