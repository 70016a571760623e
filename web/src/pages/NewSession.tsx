import { useState } from "preact/hooks";
import { api } from "../api/client";
import { messageOf } from "../api/problem";
import type { List, Session, Template } from "../api/types";
import { Alert } from "../components/Alert";
import { Page } from "../components/Page";
import { useLoad } from "../components/useLoad";
import { navigate } from "../router";
import { kindLabel, templateLimits } from "../sessions";

/**
 * NewSessionPage starts a session from a template the caller may use. The
 * core answers 202 at once; the desktop page then shows the start's
 * progress, and the sessions list a web app's, where Open then opens it.
 */
export function NewSessionPage() {
  const templates = useLoad(() => api.get<List<Template> | Template[]>("/templates").then((t) => (Array.isArray(t) ? t : t.items)));
  const [chosen, setChosen] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function start(e: Event) {
    e.preventDefault();
    if (!chosen) {
      setError("Choose a template.");
      return;
    }
    setBusy(true);
    setError("");
    try {
      const s = await api.post<Session>("/sessions", { template: chosen });
      navigate(s.kind === "vnc" ? `/sessions/${encodeURIComponent(s.id)}` : "/sessions");
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  }

  const list = templates.data;
  return (
    <Page title="New session">
      {templates.error && <Alert>{templates.error}</Alert>}
      {!list && !templates.error && <p>Loading templates…</p>}
      {list?.length === 0 && <p>No templates are available to you. Ask an administrator.</p>}
      {list && list.length > 0 && (
        <form onSubmit={start}>
          <fieldset class="templates">
            <legend>Template</legend>
            {list.map((t) => (
              <label key={t.name} class={`template ${chosen === t.name ? "chosen" : ""}`}>
                <input
                  type="radio"
                  name="template"
                  value={t.name}
                  checked={chosen === t.name}
                  onChange={() => setChosen(t.name)}
                />
                <span class="template-name">{t.display_name || t.name}</span>
                {t.description && <span class="template-desc">{t.description}</span>}
                <span class="template-limits">
                  {kindLabel(t) !== (t.display_name || t.name) && <span class="template-kind">{kindLabel(t)}</span>}
                  {templateLimits(t).map((l) => (
                    <span key={l}>{l}</span>
                  ))}
                </span>
              </label>
            ))}
          </fieldset>
          {error && <Alert>{error}</Alert>}
          <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
            {busy ? "Starting…" : "Start session"}
          </button>
        </form>
      )}
    </Page>
  );
}
