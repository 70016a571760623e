import { useState } from "preact/hooks";
import { api, query } from "../../api/client";
import { messageOf } from "../../api/problem";
import type { List, User } from "../../api/types";
import { isPlatformAdmin, useAuth } from "../../auth";
import { Alert } from "../../components/Alert";
import { ConfirmDialog } from "../../components/Dialog";
import { Page } from "../../components/Page";
import { useLoad } from "../../components/useLoad";
import { dateTime } from "../../format";

/**
 * UsersPage lists the users the caller can see; platform admins also
 * create, suspend and promote them. Memberships are managed per
 * organisation.
 */
export function UsersPage() {
  const { me } = useAuth();
  const admin = isPlatformAdmin(me);
  const [status, setStatus] = useState("");
  const users = useLoad(() => api.get<List<User>>("/users" + query({ status, limit: "200" })), [status]);
  const [suspending, setSuspending] = useState<User>();
  const [error, setError] = useState("");

  async function patch(u: User, body: Partial<Pick<User, "status" | "platform_admin">>) {
    setError("");
    try {
      await api.patch(`/users/${u.id}`, body);
      users.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <Page title="Users">
      {admin && <CreateUser onCreated={users.reload} />}
      <section aria-labelledby="users-list-title">
        <h2 id="users-list-title">All users</h2>
        <div class="filters">
          <label for="user-status">Status</label>
          <select id="user-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">Any</option>
            <option value="active">Active</option>
            <option value="suspended">Suspended</option>
          </select>
        </div>
        {(users.error || error) && <Alert>{users.error || error}</Alert>}
        {users.data && (
          <table class="cards">
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Name</th>
                <th scope="col">E-mail</th>
                <th scope="col">Status</th>
                <th scope="col">Platform admin</th>
                <th scope="col">Created</th>
                {admin && (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {users.data.items.map((u) => (
                <tr key={u.id}>
                  <th scope="row" data-label="Username">
                    {u.username}
                  </th>
                  <td data-label="Name">{u.display_name || "—"}</td>
                  <td data-label="E-mail">{u.email || "—"}</td>
                  <td data-label="Status">{u.status === "active" ? "Active" : "Suspended"}</td>
                  <td data-label="Platform admin">{u.platform_admin ? "Yes" : "No"}</td>
                  <td data-label="Created">{dateTime(u.created_at)}</td>
                  {admin && (
                    <td data-label="Actions">
                      {u.id !== me.user.id && (
                        <div class="actions">
                          {u.status === "active" ? (
                            <button type="button" onClick={() => setSuspending(u)}>
                              Suspend<span class="visually-hidden"> {u.username}</span>
                            </button>
                          ) : (
                            <button type="button" onClick={() => void patch(u, { status: "active" })}>
                              Reactivate<span class="visually-hidden"> {u.username}</span>
                            </button>
                          )}
                          <button type="button" onClick={() => void patch(u, { platform_admin: !u.platform_admin })}>
                            {u.platform_admin ? "Remove admin" : "Make admin"}
                            <span class="visually-hidden"> {u.username}</span>
                          </button>
                        </div>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {suspending && (
        <ConfirmDialog
          title={`Suspend ${suspending.username}?`}
          confirmLabel="Suspend user"
          danger
          onClose={() => setSuspending(undefined)}
          onConfirm={async () => {
            await api.patch(`/users/${suspending.id}`, { status: "suspended" });
            users.reload();
          }}
        >
          <p>They are signed out everywhere and their API keys stop working until you reactivate them.</p>
        </ConfirmDialog>
      )}
    </Page>
  );
}

function CreateUser({ onCreated }: { onCreated: () => void }) {
  const { me } = useAuth();
  const empty = { username: "", display_name: "", email: "", password: "", org_id: "", role: "member", platform_admin: false };
  const [f, setF] = useState(empty);
  const [error, setError] = useState("");
  const [done, setDone] = useState("");
  const set = (k: keyof typeof empty) => (e: Event) => {
    const t = e.currentTarget as HTMLInputElement;
    setF({ ...f, [k]: t.type === "checkbox" ? t.checked : t.value });
  };

  async function submit(e: Event) {
    e.preventDefault();
    setError("");
    setDone("");
    try {
      const u = await api.post<User>("/users", {
        username: f.username,
        display_name: f.display_name,
        email: f.email,
        password: f.password || null,
        platform_admin: f.platform_admin,
        org_id: f.org_id || null,
        role: f.role,
      });
      setDone(`Created ${u.username}.`);
      setF(empty);
      onCreated();
    } catch (err) {
      setError(messageOf(err));
    }
  }

  return (
    <details class="panel">
      <summary>Add a user</summary>
      <form onSubmit={submit} class="grid-form">
        <label for="nu-username">Username</label>
        <input id="nu-username" required value={f.username} onInput={set("username")} autoComplete="off" />
        <label for="nu-name">Display name</label>
        <input id="nu-name" value={f.display_name} onInput={set("display_name")} />
        <label for="nu-email">E-mail</label>
        <input id="nu-email" type="email" value={f.email} onInput={set("email")} />
        <label for="nu-password">Password</label>
        <input id="nu-password" type="password" value={f.password} onInput={set("password")} autoComplete="new-password" aria-describedby="nu-password-hint" />
        <span id="nu-password-hint" class="hint">Leave empty for people who sign in through an identity provider.</span>
        <label for="nu-org">Organisation</label>
        <select id="nu-org" value={f.org_id} onChange={set("org_id")}>
          <option value="">None</option>
          {me.orgs.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
        <label for="nu-role">Role</label>
        <select id="nu-role" value={f.role} onChange={set("role")} disabled={!f.org_id}>
          <option value="member">Member</option>
          <option value="org_admin">Organisation admin</option>
        </select>
        <label class="check span">
          <input type="checkbox" checked={f.platform_admin} onChange={set("platform_admin")} />
          Platform admin (manages everything)
        </label>
        <button type="submit" class="primary">
          Add user
        </button>
      </form>
      {error && <Alert>{error}</Alert>}
      {done && <Alert kind="success">{done}</Alert>}
    </details>
  );
}
