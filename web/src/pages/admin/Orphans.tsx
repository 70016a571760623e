import { useState } from "preact/hooks";
import { api } from "../../api/client";
import type { Orphan } from "../../api/types";
import { Alert } from "../../components/Alert";
import { ConfirmDialog } from "../../components/Dialog";
import { Page } from "../../components/Page";
import { useLoad } from "../../components/useLoad";
import { dateTime } from "../../format";

/**
 * OrphansPage lists runtime sessions the database does not know. The core
 * never destroys them by itself: a platform admin adopts one (its row is
 * written back and its owner sees it again) or destroys it.
 */
export function OrphansPage() {
  const orphans = useLoad(() => api.get<{ items: Orphan[] }>("/admin/orphans").then((r) => r.items));
  const [adopting, setAdopting] = useState<Orphan>();
  const [destroying, setDestroying] = useState<Orphan>();
  const [removeHome, setRemoveHome] = useState(false);
  const [done, setDone] = useState("");

  return (
    <Page title="Orphaned sessions">
      <p class="hint">
        Sessions a runtime still runs that Atrium has no record of, as a database restored from a backup leaves them.
        They keep running until you decide.
      </p>
      {orphans.error && <Alert>{orphans.error}</Alert>}
      {done && <p role="status">{done}</p>}
      {orphans.data?.length === 0 && <p class="empty">No orphaned sessions.</p>}
      {orphans.data && orphans.data.length > 0 && (
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">Runtime</th>
              <th scope="col">Template</th>
              <th scope="col">Owner and organisation</th>
              <th scope="col">State</th>
              <th scope="col">Seen</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {orphans.data.map((o) => (
              <tr key={o.id}>
                <th scope="row" data-label="Session">
                  <code>{o.session_id}</code>
                </th>
                <td data-label="Runtime">{o.runtime}</td>
                <td data-label="Template">{o.template || "—"}</td>
                <td data-label="Owner and organisation">
                  <code>{o.user_id || "—"}</code>
                  <div class="hint">
                    org <code>{o.org_id || "—"}</code>
                  </div>
                </td>
                <td data-label="State">{o.runtime_state}</td>
                <td data-label="Seen">
                  {dateTime(o.first_seen)}
                  <div class="hint">last {dateTime(o.last_seen)}</div>
                </td>
                <td data-label="Actions">
                  <button type="button" onClick={() => setAdopting(o)}>
                    Adopt<span class="visually-hidden"> {o.session_id}</span>
                  </button>{" "}
                  <button type="button" class="danger" onClick={() => setDestroying(o)}>
                    Destroy<span class="visually-hidden"> {o.session_id}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {adopting && (
        <ConfirmDialog
          title="Adopt this session?"
          confirmLabel="Adopt session"
          onClose={() => setAdopting(undefined)}
          onConfirm={async () => {
            await api.post(`/admin/orphans/${encodeURIComponent(adopting.id)}/adopt`);
            setDone(`Session ${adopting.session_id} adopted: its owner sees it again.`);
            orphans.reload();
          }}
        >
          <p>
            Atrium records the session again under its owner and organisation, if the owner is still a member of it.
          </p>
        </ConfirmDialog>
      )}
      {destroying && (
        <ConfirmDialog
          title="Destroy this session?"
          confirmLabel={removeHome ? "Destroy session and home folder" : "Destroy session"}
          danger
          onClose={() => {
            setDestroying(undefined);
            setRemoveHome(false);
          }}
          onConfirm={async () => {
            await api.post(
              `/admin/orphans/${encodeURIComponent(destroying.id)}/destroy${removeHome ? "?remove_home=true" : ""}`,
            );
            setDone(`Session ${destroying.session_id} destroyed.`);
            orphans.reload();
          }}
        >
          <p>The runtime stops and removes the session. Programs running in it are closed.</p>
          <label class="check">
            <input type="checkbox" checked={removeHome} onChange={(e) => setRemoveHome(e.currentTarget.checked)} />
            Also delete the owner's home folder. Every file in it is lost. This cannot be undone.
          </label>
        </ConfirmDialog>
      )}
    </Page>
  );
}
