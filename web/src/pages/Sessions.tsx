import { Alert } from "../components/Alert";
import { Link } from "../components/Link";
import { Page } from "../components/Page";
import { SessionActions } from "../components/SessionActions";
import { StateBadge } from "../components/StateBadge";
import { dateTime, shortId } from "../format";
import { kindLabel } from "../sessions";
import { useSessions } from "../useSessions";

/**
 * SessionsPage lists the caller's sessions with what each runs and its live
 * state; Open shows a desktop here, or opens a web app in a new tab.
 */
export function SessionsPage() {
  const { sessions, error, live, announcement, reload } = useSessions();
  return (
    <Page
      title="Sessions"
      actions={
        <Link href="/sessions/new" class="button primary">
          New session
        </Link>
      }
    >
      <p class="live-status" aria-live="polite">
        {live === "live" ? "" : live === "polling" ? "Live updates are unavailable; refreshing every few seconds." : "Connecting to live updates…"}
      </p>
      <div class="visually-hidden" aria-live="polite">
        {announcement}
      </div>
      {error && <Alert>{error}</Alert>}
      {sessions === undefined && !error && <p>Loading sessions…</p>}
      {sessions?.length === 0 && (
        <p class="empty">
          You have no sessions. <Link href="/sessions/new">Start one</Link>.
        </p>
      )}
      {sessions && sessions.length > 0 && (
        <table class="cards">
          <caption class="visually-hidden">Your sessions</caption>
          <thead>
            <tr>
              <th scope="col">Template</th>
              <th scope="col">Kind</th>
              <th scope="col">State</th>
              <th scope="col">Started</th>
              <th scope="col">Id</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr key={s.id} data-session={s.id} data-state={s.state}>
                <th scope="row" data-label="Template">
                  {s.template}
                </th>
                <td data-label="Kind" data-kind={s.kind}>
                  {kindLabel(s)}
                </td>
                <td data-label="State">
                  <StateBadge state={s.state} />
                  {s.error && <div class="error-text">{s.error}</div>}
                  {s.state === "stopped" && s.stop_reason && <div class="hint">{s.stop_reason}</div>}
                </td>
                <td data-label="Started">{dateTime(s.created_at)}</td>
                <td data-label="Id">
                  <code title={s.id}>{shortId(s.id)}</code>
                </td>
                <td data-label="Actions">
                  <SessionActions session={s} onChanged={reload} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
