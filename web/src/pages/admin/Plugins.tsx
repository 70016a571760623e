import { useState } from "preact/hooks";
import { api } from "../../api/client";
import { messageOf } from "../../api/problem";
import type { PluginProbe, PluginStatus } from "../../api/types";
import { Alert } from "../../components/Alert";
import { Page } from "../../components/Page";
import { useLoad } from "../../components/useLoad";
import { dateTime } from "../../format";

/** PluginsPage lists plugin processes and checks their health on demand. */
export function PluginsPage() {
  const plugins = useLoad(() => api.get<{ items: PluginStatus[] }>("/plugins").then((r) => r.items));
  const [health, setHealth] = useState<Record<string, string>>({});

  async function probe(name: string) {
    setHealth((h) => ({ ...h, [name]: "Checking…" }));
    try {
      const p = await api.get<PluginProbe>(`/plugins/${encodeURIComponent(name)}`);
      setHealth((h) => ({ ...h, [name]: p.health === "ok" ? "Healthy" : `Failing: ${p.health_error ?? "no detail"}` }));
    } catch (err) {
      setHealth((h) => ({ ...h, [name]: messageOf(err) }));
    }
  }

  return (
    <Page title="Plugins">
      {plugins.error && <Alert>{plugins.error}</Alert>}
      {plugins.data?.length === 0 && <p class="empty">No plugins are configured.</p>}
      {plugins.data && plugins.data.length > 0 && (
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Version</th>
              <th scope="col">State</th>
              <th scope="col">Restarts</th>
              <th scope="col">Started</th>
              <th scope="col">Health</th>
            </tr>
          </thead>
          <tbody>
            {plugins.data.map((p) => (
              <tr key={p.name}>
                <th scope="row" data-label="Name">
                  {p.name}
                  <div class="hint">{p.plugin}</div>
                </th>
                <td data-label="Kind">{p.kind}</td>
                <td data-label="Version">{p.version || "—"}</td>
                <td data-label="State">
                  {p.state === "circuit_open" ? "Stopped after repeated failures" : p.state}
                  {p.retry_at && <div class="hint">Next try {dateTime(p.retry_at)}</div>}
                  {p.last_error && <div class="error-text">{p.last_error}</div>}
                </td>
                <td data-label="Restarts">{p.restarts}</td>
                <td data-label="Started">{dateTime(p.started_at)}</td>
                <td data-label="Health">
                  <button type="button" onClick={() => void probe(p.name)}>
                    Check<span class="visually-hidden"> {p.name}</span>
                  </button>
                  <span role="status"> {health[p.name] ?? ""}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
