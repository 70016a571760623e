import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { messageOf } from "../api/problem";
import { Alert } from "./Alert";

interface Props {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  /** onConfirm runs the action; the dialog stays open and shows its error if it throws. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

/**
 * ConfirmDialog asks before an action that loses data. It is a native modal
 * <dialog>: the browser traps focus inside and closes it on Escape; focus
 * returns to the element that opened it.
 */
export function ConfirmDialog({ title, children, confirmLabel, danger, onConfirm, onClose }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    ref.current?.showModal();
    return () => opener?.focus();
  }, []);

  async function confirm(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  }

  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      <form onSubmit={confirm}>
        <h2 id={titleId}>{title}</h2>
        <div class="dialog-body">{children}</div>
        {error && <Alert>{error}</Alert>}
        <div class="dialog-actions">
          <button type="button" onClick={onClose} disabled={busy} autoFocus>
            Cancel
          </button>
          <button type="submit" class={danger ? "danger" : "primary"} disabled={busy} aria-busy={busy}>
            {busy ? "Working…" : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
