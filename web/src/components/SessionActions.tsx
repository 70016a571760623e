import { useState } from "preact/hooks";
import { api } from "../api/client";
import { messageOf } from "../api/problem";
import type { Session } from "../api/types";
import { openApp } from "../apps";
import { canDelete, canHibernate, canOpen, canResume, canStop, kindLabel } from "../sessions";
import { Alert } from "./Alert";
import { ConfirmDialog } from "./Dialog";
import { Link } from "./Link";

interface Props {
  session: Session;
  /** onChanged is told after an action so the caller can refresh. */
  onChanged: () => void;
  /**
   * showOpen adds a desktop's "Open" link to its page (not wanted on that
   * page itself). A web app's Open, which opens a new tab, is always shown.
   */
  showOpen?: boolean;
}

/**
 * SessionActions offers what the session's state allows. Hibernate and
 * resume keep everything, so they act at once; stop closes running programs
 * and delete can remove the home folder, so both ask first.
 */
export function SessionActions({ session, onChanged, showOpen = true }: Props) {
  const [dialog, setDialog] = useState<"" | "stop" | "delete">("");
  const [deleteHome, setDeleteHome] = useState(false);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const s = session.state;
  const path = `/sessions/${encodeURIComponent(session.id)}`;

  async function act(verb: "hibernate" | "resume") {
    setBusy(true);
    setError("");
    try {
      await api.post(`${path}/${verb}`);
      onChanged();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  function open() {
    setError("");
    // No await before openApp: its window.open must run inside the click.
    openApp(session.id).catch((err: unknown) => setError(messageOf(err)));
  }

  return (
    <div class="actions">
      {showOpen && session.kind !== "http" && canOpen(s) && (
        <Link href={path} class="button primary">
          Open<span class="visually-hidden"> session {session.template}</span>
        </Link>
      )}
      {session.kind === "http" && canOpen(s) && (
        <button type="button" class="primary" onClick={open}>
          Open<span class="visually-hidden"> {kindLabel(session)} in a new tab</span>
          <span aria-hidden="true">↗</span>
        </button>
      )}
      {canHibernate(s) && (
        <button type="button" disabled={busy} onClick={() => void act("hibernate")}>
          Hibernate
        </button>
      )}
      {canResume(s) && (
        <button type="button" class="primary" disabled={busy} onClick={() => void act("resume")}>
          Resume
        </button>
      )}
      {canStop(s) && (
        <button type="button" disabled={busy} onClick={() => setDialog("stop")}>
          Stop
        </button>
      )}
      {canDelete(s) && (
        <button type="button" class="danger" disabled={busy} onClick={() => setDialog("delete")}>
          Delete
        </button>
      )}
      {error && <Alert>{error}</Alert>}
      {dialog === "stop" && (
        <ConfirmDialog
          title="Stop this session?"
          confirmLabel="Stop session"
          danger
          onClose={() => setDialog("")}
          onConfirm={async () => {
            await api.post(`${path}/stop`);
            onChanged();
          }}
        >
          <p>
            Programs running in <strong>{session.template}</strong> are closed, and unsaved work in them is lost.
            Files in your home folder are kept. To keep the programs open, hibernate instead.
          </p>
        </ConfirmDialog>
      )}
      {dialog === "delete" && (
        <ConfirmDialog
          title="Delete this session?"
          confirmLabel={deleteHome ? "Delete session and home folder" : "Delete session"}
          danger
          onClose={() => {
            setDialog("");
            setDeleteHome(false);
          }}
          onConfirm={async () => {
            await api.del(`${path}?delete_home=${deleteHome}`);
            onChanged();
          }}
        >
          <p>The session is removed from your list.</p>
          <label class="check">
            <input type="checkbox" checked={deleteHome} onChange={(e) => setDeleteHome(e.currentTarget.checked)} />
            Also delete my home folder. Every file in it is lost, for all my sessions. This cannot be undone.
          </label>
        </ConfirmDialog>
      )}
    </div>
  );
}
