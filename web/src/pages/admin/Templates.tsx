import { api } from "../../api/client";
import type { List, Template } from "../../api/types";
import { Alert } from "../../components/Alert";
import { Page } from "../../components/Page";
import { useLoad } from "../../components/useLoad";
import { kindLabel, templateLimits } from "../../sessions";

/** TemplatesPage shows the session templates; they are defined in the HCL config. */
export function TemplatesPage() {
  const t = useLoad(() => api.get<List<Template> | Template[]>("/templates").then((r) => (Array.isArray(r) ? r : r.items)));
  return (
    <Page title="Templates">
      <p>Templates are defined in the server's configuration file; change them there and restart the server.</p>
      {t.error && <Alert>{t.error}</Alert>}
      {t.data?.length === 0 && <p class="empty">No templates are configured.</p>}
      {t.data && t.data.length > 0 && (
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">CPU</th>
              <th scope="col">Memory</th>
              <th scope="col">Other limits</th>
            </tr>
          </thead>
          <tbody>
            {t.data.map((x) => (
              <tr key={x.name}>
                <th scope="row" data-label="Name">
                  {x.display_name || x.name}
                  {x.description && <div class="hint">{x.description}</div>}
                </th>
                <td data-label="Kind">{kindLabel(x)}</td>
                <td data-label="CPU">{templateLimits(x)[0]}</td>
                <td data-label="Memory">{templateLimits(x)[1]}</td>
                <td data-label="Other limits">{templateLimits(x).slice(2).join(", ") || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
