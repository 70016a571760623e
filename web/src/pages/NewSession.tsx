import { useState } from "preact/hooks";
import { api } from "../api/client";
import { messageOf } from "../api/problem";
import type { List, Session, Template } from "../api/types";
import { Alert } from "../components/Alert";
import { Page } from "../components/Page";
import { useLoad } from "../components/useLoad";
import { bytes, cpu } from "../format";
import { navigate } from "../router";

/** limitText renders one extra template limit for people. */
function limitText(key: string, v: string | number | boolean | null): string {
  const name = key.replace(/_/g, " ");
  if (v === null) return `${name}: none`;
  if (typeof v === "number" && key.endsWith("_seconds")) {
    const h = v / 3600;
    return `${name.replace(/ seconds$/, "")}: ${h >= 1 ? `${+h.toFixed(1)} h` : `${Math.round(v / 60)} min`}`;
  }
  if (typeof v === "number" && key.endsWith("_bytes")) return `${name.replace(/ bytes$/, "")}: ${bytes(v)}`;
  return `${name}: ${String(v)}`;
}

/**
 * NewSessionPage starts a session from a template the caller may use. The
 * core answers 202 at once; the desktop page then shows the start's
 * progress.
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
                  {t.kind && <span>{t.kind === "vnc" ? "Desktop" : "Web app"}</span>}
                  {t.cpu_millis !== undefined && <span>{cpu(t.cpu_millis)}</span>}
                  {t.memory_bytes !== undefined && <span>{bytes(t.memory_bytes)} memory</span>}
                  {Object.entries(t.limits ?? {}).map(([k, v]) => (
                    <span key={k}>{limitText(k, v)}</span>
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
