import { useState } from "preact/hooks";
import { api } from "../api/client";
import { messageOf } from "../api/problem";
import type { APIKey, CreatedAPIKey, List } from "../api/types";
import { useAuth } from "../auth";
import { Alert } from "../components/Alert";
import { CopyButton } from "../components/CopyButton";
import { ConfirmDialog } from "../components/Dialog";
import { Page } from "../components/Page";
import { useLoad } from "../components/useLoad";
import { dateTime } from "../format";

const expiries: [string, number | null][] = [
  ["Never", null],
  ["In 7 days", 7],
  ["In 30 days", 30],
  ["In 90 days", 90],
  ["In a year", 365],
];

/** ApiKeysPage creates (shown once), lists and revokes the caller's keys. */
export function ApiKeysPage() {
  const { me } = useAuth();
  const keys = useLoad(() => api.get<List<APIKey>>("/api-keys").then((l) => l.items));
  const [name, setName] = useState("");
  const [write, setWrite] = useState(false);
  const [days, setDays] = useState("");
  const [org, setOrg] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedAPIKey>();
  const [revoking, setRevoking] = useState<APIKey>();

  async function create(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const d = days ? Number(days) : null;
      const k = await api.post<CreatedAPIKey>("/api-keys", {
        name: name.trim(),
        scopes: write ? ["read", "write"] : ["read"],
        expires_at: d ? new Date(Date.now() + d * 86400_000).toISOString() : null,
        org_id: org || null,
      });
      setCreated(k);
      setName("");
      keys.reload();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="API keys">
      <p>API keys let scripts and tools use Atrium's API as you. Send one as <code>Authorization: Bearer …</code>.</p>
      {created && (
        <section class="secret" aria-labelledby="secret-title">
          <h2 id="secret-title">Your new key “{created.name}”</h2>
          <p>
            <strong>Copy it now.</strong> It is shown only this once; Atrium keeps only a hash of it.
          </p>
          <div class="secret-row">
            <label for="new-key" class="visually-hidden">
              New API key
            </label>
            <input id="new-key" readOnly value={created.secret} onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={created.secret} />
          </div>
          <button type="button" onClick={() => setCreated(undefined)}>
            I have copied it
          </button>
        </section>
      )}
      <section aria-labelledby="create-key-title">
        <h2 id="create-key-title">Create a key</h2>
        <form onSubmit={create} class="inline-form">
          <div class="field">
            <label for="key-name">Name</label>
            <input id="key-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. CI pipeline" />
          </div>
          <div class="field">
            <label for="key-expiry">Expires</label>
            <select id="key-expiry" value={days} onChange={(e) => setDays(e.currentTarget.value)}>
              {expiries.map(([label, d]) => (
                <option key={label} value={d ?? ""}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          {me.orgs.length > 0 && (
            <div class="field">
              <label for="key-org">Organisation</label>
              <select id="key-org" value={org} onChange={(e) => setOrg(e.currentTarget.value)}>
                <option value="">All of mine</option>
                {me.orgs.map((o) => (
                  <option key={o.id} value={o.id}>
                    {o.name}
                  </option>
                ))}
              </select>
            </div>
          )}
          <label class="check">
            <input type="checkbox" checked={write} onChange={(e) => setWrite(e.currentTarget.checked)} />
            Allow changes (write), not only reading
          </label>
          <button type="submit" class="primary" disabled={busy} aria-busy={busy}>
            Create key
          </button>
        </form>
        {error && <Alert>{error}</Alert>}
      </section>
      <section aria-labelledby="keys-title">
        <h2 id="keys-title">Your keys</h2>
        {keys.error && <Alert>{keys.error}</Alert>}
        {keys.data?.length === 0 && <p class="empty">You have no API keys.</p>}
        {keys.data && keys.data.length > 0 && (
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Access</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.id} class={k.revoked_at ? "revoked" : ""}>
                  <th scope="row" data-label="Name">
                    {k.name || "(unnamed)"}
                  </th>
                  <td data-label="Access">{k.scopes.includes("write") ? "Read and write" : "Read only"}</td>
                  <td data-label="Created">{dateTime(k.created_at)}</td>
                  <td data-label="Expires">{k.expires_at ? dateTime(k.expires_at) : "Never"}</td>
                  <td data-label="Last used">{k.last_used_at ? dateTime(k.last_used_at) : "Never"}</td>
                  <td data-label="Actions">
                    {k.revoked_at ? (
                      <span>Revoked {dateTime(k.revoked_at)}</span>
                    ) : (
                      <button type="button" class="danger" onClick={() => setRevoking(k)}>
                        Revoke<span class="visually-hidden"> {k.name}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {revoking && (
        <ConfirmDialog
          title={`Revoke “${revoking.name || "unnamed"}”?`}
          confirmLabel="Revoke key"
          danger
          onClose={() => setRevoking(undefined)}
          onConfirm={async () => {
            await api.del(`/api-keys/${encodeURIComponent(revoking.id)}`);
            keys.reload();
          }}
        >
          <p>Anything that uses this key stops working at once. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </Page>
  );
}
