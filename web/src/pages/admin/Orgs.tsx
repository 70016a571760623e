import { useState } from "preact/hooks";
import { api } from "../../api/client";
import { messageOf } from "../../api/problem";
import type { List, Member, Org, Quota, Role, User } from "../../api/types";
import { isPlatformAdmin, useAuth } from "../../auth";
import { Alert } from "../../components/Alert";
import { ConfirmDialog } from "../../components/Dialog";
import { Link } from "../../components/Link";
import { Page } from "../../components/Page";
import { useLoad } from "../../components/useLoad";
import { bytes, cpu, dateTime } from "../../format";

/** OrgsPage lists organisations; platform admins create them. */
export function OrgsPage() {
  const { me } = useAuth();
  const orgs = useLoad(() => api.get<List<Org>>("/orgs?limit=200").then((l) => l.items));
  const [slug, setSlug] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState("");

  async function create(e: Event) {
    e.preventDefault();
    setError("");
    try {
      await api.post("/orgs", { slug, name });
      setSlug("");
      setName("");
      orgs.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <Page title="Organisations">
      {isPlatformAdmin(me) && (
        <details class="panel">
          <summary>Add an organisation</summary>
          <form onSubmit={create} class="inline-form">
            <div class="field">
              <label for="org-slug">Short name</label>
              <input id="org-slug" required pattern="[a-z0-9][a-z0-9-]*" value={slug} onInput={(e) => setSlug(e.currentTarget.value)} aria-describedby="org-slug-hint" />
              <span id="org-slug-hint" class="hint">Lower-case letters, digits and dashes.</span>
            </div>
            <div class="field">
              <label for="org-name">Name</label>
              <input id="org-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </div>
            <button type="submit" class="primary">
              Add organisation
            </button>
          </form>
          {error && <Alert>{error}</Alert>}
        </details>
      )}
      {orgs.error && <Alert>{orgs.error}</Alert>}
      {orgs.data && (
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Short name</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {orgs.data.map((o) => (
              <tr key={o.id}>
                <th scope="row" data-label="Name">
                  <Link href={`/admin/orgs/${o.id}`}>{o.name}</Link>
                </th>
                <td data-label="Short name">{o.slug}</td>
                <td data-label="Created">{dateTime(o.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}

/** OrgPage shows one organisation: its quota and usage, and its members. */
export function OrgPage({ id }: { id: string }) {
  const org = useLoad(() => api.get<Org>(`/orgs/${encodeURIComponent(id)}`), [id]);
  if (org.error)
    return (
      <Page title="Organisation">
        <Alert>{org.error}</Alert>
        <Link href="/admin/orgs">All organisations</Link>
      </Page>
    );
  if (!org.data) return <p>Loading…</p>;
  return (
    <Page title={org.data.name}>
      <p>
        <Link href="/admin/orgs">All organisations</Link>
      </p>
      <QuotaSection org={org.data} />
      <Members org={org.data} />
    </Page>
  );
}

// Quota inputs are in people's units (CPUs, GiB); the API takes millis and bytes.
const gib = 1024 ** 3;

function QuotaSection({ org }: { org: Org }) {
  const { me } = useAuth();
  const quota = useLoad(() => api.get<Quota>(`/orgs/${org.id}/quota`), [org.id]);
  const [edit, setEdit] = useState<{ sessions: string; cpus: string; mem: string }>();
  const [error, setError] = useState("");
  const q = quota.data;

  async function save(e: Event) {
    e.preventDefault();
    if (!edit) return;
    setError("");
    const num = (s: string, scale: number) => (s.trim() === "" ? null : Math.round(Number(s) * scale));
    try {
      await api.put(`/orgs/${org.id}/quota`, {
        max_sessions: num(edit.sessions, 1),
        max_cpu_millis: num(edit.cpus, 1000),
        max_memory_bytes: num(edit.mem, gib),
      });
      setEdit(undefined);
      quota.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <section aria-labelledby="quota-title">
      <h2 id="quota-title">Quota</h2>
      {quota.error && <Alert>{quota.error}</Alert>}
      {q && !edit && (
        <>
          <dl class="quota">
            <dt>Sessions</dt>
            <dd>
              {q.usage.sessions} of {q.max_sessions ?? "no limit"}
            </dd>
            <dt>CPU</dt>
            <dd>
              {cpu(q.usage.cpu_millis)} of {cpu(q.max_cpu_millis)}
            </dd>
            <dt>Memory</dt>
            <dd>
              {bytes(q.usage.memory_bytes)} of {bytes(q.max_memory_bytes)}
            </dd>
          </dl>
          {isPlatformAdmin(me) && (
            <button
              type="button"
              onClick={() =>
                setEdit({
                  sessions: q.max_sessions?.toString() ?? "",
                  cpus: q.max_cpu_millis != null ? String(q.max_cpu_millis / 1000) : "",
                  mem: q.max_memory_bytes != null ? String(q.max_memory_bytes / gib) : "",
                })
              }
            >
              Change limits
            </button>
          )}
        </>
      )}
      {edit && (
        <form onSubmit={save} class="inline-form">
          <div class="field">
            <label for="q-sessions">Sessions</label>
            <input id="q-sessions" type="number" min="0" step="1" value={edit.sessions} onInput={(e) => setEdit({ ...edit, sessions: e.currentTarget.value })} />
          </div>
          <div class="field">
            <label for="q-cpus">CPUs</label>
            <input id="q-cpus" type="number" min="0" step="0.1" value={edit.cpus} onInput={(e) => setEdit({ ...edit, cpus: e.currentTarget.value })} />
          </div>
          <div class="field">
            <label for="q-mem">Memory (GiB)</label>
            <input id="q-mem" type="number" min="0" step="0.5" value={edit.mem} onInput={(e) => setEdit({ ...edit, mem: e.currentTarget.value })} />
          </div>
          <p class="hint span">Leave a limit empty for no limit.</p>
          <button type="submit" class="primary">
            Save limits
          </button>
          <button type="button" onClick={() => setEdit(undefined)}>
            Cancel
          </button>
        </form>
      )}
      {error && <Alert>{error}</Alert>}
    </section>
  );
}

function Members({ org }: { org: Org }) {
  const members = useLoad(() => api.get<List<Member>>(`/orgs/${org.id}/members?limit=200`).then((l) => l.items), [org.id]);
  const users = useLoad(() => api.get<List<User>>("/users?limit=200").then((l) => l.items), []);
  const [adding, setAdding] = useState({ user: "", role: "member" as Role });
  const [removing, setRemoving] = useState<Member>();
  const [error, setError] = useState("");
  const base = `/orgs/${org.id}/members`;
  const inOrg = new Set(members.data?.map((m) => m.user_id));

  async function run(fn: () => Promise<unknown>) {
    setError("");
    try {
      await fn();
      members.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {(members.error || error) && <Alert>{members.error || error}</Alert>}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api.post(base, { user_id: adding.user, role: adding.role }));
        }}
      >
        <div class="field">
          <label for="add-member">User</label>
          <select id="add-member" required value={adding.user} onChange={(e) => setAdding({ ...adding, user: e.currentTarget.value })}>
            <option value="">Choose a user…</option>
            {users.data
              ?.filter((u) => !inOrg.has(u.id))
              .map((u) => (
                <option key={u.id} value={u.id}>
                  {u.username}
                </option>
              ))}
          </select>
        </div>
        <div class="field">
          <label for="add-role">Role</label>
          <select id="add-role" value={adding.role} onChange={(e) => setAdding({ ...adding, role: e.currentTarget.value as Role })}>
            <option value="member">Member</option>
            <option value="org_admin">Organisation admin</option>
          </select>
        </div>
        <button type="submit">Add member</button>
      </form>
      {members.data && (
        <table class="cards">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Since</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {members.data.map((m) => (
              <tr key={m.user_id}>
                <th scope="row" data-label="User">
                  {m.display_name || m.username}
                </th>
                <td data-label="Role">
                  <label class="visually-hidden" for={`role-${m.user_id}`}>
                    Role of {m.username}
                  </label>
                  <select
                    id={`role-${m.user_id}`}
                    value={m.role}
                    onChange={(e) => void run(() => api.patch(`${base}/${m.user_id}`, { role: e.currentTarget.value }))}
                  >
                    <option value="member">Member</option>
                    <option value="org_admin">Organisation admin</option>
                  </select>
                </td>
                <td data-label="Since">{dateTime(m.created_at)}</td>
                <td data-label="Actions">
                  <button type="button" onClick={() => setRemoving(m)}>
                    Remove<span class="visually-hidden"> {m.username}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.username} from ${org.name}?`}
          confirmLabel="Remove member"
          danger
          onClose={() => setRemoving(undefined)}
          onConfirm={async () => {
            await api.del(`${base}/${removing.user_id}`);
            members.reload();
          }}
        >
          <p>They lose access to this organisation's templates and sessions.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
