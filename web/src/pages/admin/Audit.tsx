import { useEffect, useState } from "preact/hooks";
import { api, query } from "../../api/client";
import { messageOf } from "../../api/problem";
import type { AuditEntry, List } from "../../api/types";
import { useAuth } from "../../auth";
import { Alert } from "../../components/Alert";
import { Page } from "../../components/Page";
import { dateTime, shortId } from "../../format";
import { navigate, useLocation } from "../../router";

const filterNames = ["action", "target_type", "target", "org", "actor", "since", "until"] as const;
type Filters = Record<(typeof filterNames)[number], string>;

// datetime-local has no zone; the API wants RFC 3339.
function toRFC3339(local: string): string | undefined {
  return local ? new Date(local).toISOString() : undefined;
}

/**
 * AuditPage lists the audit log newest first. Filters live in the URL, so
 * a filtered view can be bookmarked and shared.
 */
export function AuditPage() {
  const { me } = useAuth();
  const { search } = useLocation();
  const applied = Object.fromEntries(filterNames.map((n) => [n, search.get(n) ?? ""])) as Filters;
  const key = JSON.stringify(applied);
  const [form, setForm] = useState<Filters>(applied);
  const [entries, setEntries] = useState<AuditEntry[]>();
  const [next, setNext] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  async function load(cursor: string) {
    setBusy(true);
    setError("");
    try {
      const q = query({ ...applied, since: toRFC3339(applied.since), until: toRFC3339(applied.until), cursor, limit: "50" });
      const page = await api.get<List<AuditEntry>>("/audit" + q);
      setEntries((prev) => (cursor ? [...(prev ?? []), ...page.items] : page.items));
      setNext(page.next_cursor ?? "");
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    setForm(applied);
    void load("");
  }, [key]);

  function submit(e: Event) {
    e.preventDefault();
    navigate("/admin/audit" + query(form));
  }

  const field = (name: keyof Filters, label: string, type: "text" | "datetime-local" = "text") => {
    const props = {
      id: `f-${name}`,
      value: form[name],
      onInput: (e: Event) => setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value }),
    };
    return (
      <div class="field">
        <label for={props.id}>{label}</label>
        {type === "text" ? <input type="text" {...props} /> : <input type="datetime-local" {...props} />}
      </div>
    );
  };

  return (
    <Page title="Audit log">
      <form onSubmit={submit} class="inline-form filters" aria-label="Filter the audit log">
        {field("action", "Action")}
        {field("target_type", "Target type")}
        {field("target", "Target id")}
        {field("actor", "Actor (user id)")}
        <div class="field">
          <label for="f-org">Organisation</label>
          <select id="f-org" value={form.org} onChange={(e) => setForm({ ...form, org: e.currentTarget.value })}>
            <option value="">Any</option>
            {me.orgs.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </div>
        {field("since", "From", "datetime-local")}
        {field("until", "Until", "datetime-local")}
        <button type="submit" class="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => navigate("/admin/audit")}>
          Clear
        </button>
      </form>
      {error && <Alert>{error}</Alert>}
      {entries?.length === 0 && <p class="empty">No entries match.</p>}
      {entries && entries.length > 0 && (
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Actor</th>
              <th scope="col">Target</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((a) => (
              <tr key={a.id}>
                <td data-label="When">{dateTime(a.at)}</td>
                <th scope="row" data-label="Action">
                  {a.action}
                </th>
                <td data-label="Actor">
                  {a.actor_user_id ? <code title={a.actor_user_id}>{shortId(a.actor_user_id)}</code> : "system"}
                  {a.actor_api_key_id && " (API key)"}
                  {a.ip && <div class="hint">{a.ip}</div>}
                </td>
                <td data-label="Target">
                  {a.target_type} <code title={a.target_id}>{shortId(a.target_id)}</code>
                </td>
                <td data-label="Details">
                  <code class="details">{a.details ? JSON.stringify(a.details) : ""}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" onClick={() => void load(next)} disabled={busy} aria-busy={busy}>
          Load more
        </button>
      )}
    </Page>
  );
}
