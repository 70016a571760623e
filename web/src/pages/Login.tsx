import { useEffect, useRef, useState } from "preact/hooks";
import { api, setCsrfToken } from "../api/client";
import { messageOf } from "../api/problem";
import type { AuthProvider, LoginResponse, Me } from "../api/types";
import { Alert } from "../components/Alert";

interface Props {
  next: string;
  onSignedIn: (me: Me) => void;
}

/** LoginPage signs in with a password or through an auth plugin. */
export function LoginPage({ next, onSignedIn }: Props) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [providers, setProviders] = useState<AuthProvider[]>([]);
  const user = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = "Sign in · Atrium";
    user.current?.focus();
    // Providers are optional: with no auth plugin (or a core without the
    // endpoint) the page offers the password form alone.
    api
      .get<AuthProvider[] | { items: AuthProvider[] }>("/auth/providers")
      .then((p) => setProviders(Array.isArray(p) ? p : p.items))
      .catch(() => setProviders([]));
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const res = await api.post<LoginResponse>("/auth/login", { username, password });
      setCsrfToken(res.csrf_token);
      const me = await api.get<Me>("/me");
      setCsrfToken(me.csrf_token ?? res.csrf_token);
      onSignedIn(me);
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
      setPassword("");
    }
  }

  const loginURL = (p: AuthProvider) => {
    const u = new URL(p.login_url, location.origin);
    if (u.origin === location.origin && !u.searchParams.has("next")) u.searchParams.set("next", next);
    return u.origin === location.origin ? u.pathname + u.search : u.href;
  };

  return (
    <main id="main" class="login">
      <div class="login-card">
        <h1>Sign in to Atrium</h1>
        {error && <Alert>{error}</Alert>}
        <form onSubmit={submit}>
          <label for="login-username">Username</label>
          <input
            id="login-username"
            ref={user}
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellcheck={false}
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
          <label for="login-password">Password</label>
          <input
            id="login-password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          <button type="submit" class="primary wide" disabled={busy} aria-busy={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
        {providers.length > 0 && (
          <section aria-labelledby="providers-title" class="providers">
            <h2 id="providers-title">Or sign in with</h2>
            <ul>
              {providers.map((p) => (
                <li key={p.name}>
                  <a class="button wide" href={loginURL(p)}>
                    {p.display_name || p.name}
                  </a>
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
    </main>
  );
}
