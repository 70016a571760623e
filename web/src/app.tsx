// The application shell: who is signed in, the navigation, and the routes.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, onSignedOut, setCsrfToken } from "./api/client";
import { messageOf } from "./api/problem";
import type { Me } from "./api/types";
import { AuthContext, isAdmin, isPlatformAdmin, useAuth, type AuthState } from "./auth";
import { Alert } from "./components/Alert";
import { Link } from "./components/Link";
import { match, navigate, useLocation } from "./router";
import { ApiKeysPage } from "./pages/ApiKeys";
import { AuditPage } from "./pages/admin/Audit";
import { OrgPage, OrgsPage } from "./pages/admin/Orgs";
import { OrphansPage } from "./pages/admin/Orphans";
import { PluginsPage } from "./pages/admin/Plugins";
import { TemplatesPage } from "./pages/admin/Templates";
import { UsersPage } from "./pages/admin/Users";
import { DesktopPage } from "./pages/Desktop";
import { LoginPage } from "./pages/Login";
import { NewSessionPage } from "./pages/NewSession";
import { ForbiddenPage, NotFoundPage } from "./pages/NotFound";
import { SessionsPage } from "./pages/Sessions";

type Boot = { state: "loading" } | { state: "signed-out" } | { state: "error"; message: string } | { state: "in"; me: Me };

export function App() {
  const [boot, setBoot] = useState<Boot>({ state: "loading" });
  const loc = useLocation();

  async function loadMe() {
    try {
      const me = await api.get<Me>("/me");
      setCsrfToken(me.csrf_token);
      setBoot({ state: "in", me });
    } catch (err) {
      if ((err as { status?: number }).status === 401) setBoot({ state: "signed-out" });
      else setBoot({ state: "error", message: messageOf(err) });
    }
  }

  useEffect(() => {
    void loadMe();
    return onSignedOut(() => setBoot({ state: "signed-out" }));
  }, []);

  if (boot.state === "loading") return <p class="boot">Loading Atrium…</p>;
  if (boot.state === "error")
    return (
      <main id="main" class="narrow">
        <h1>Atrium is not reachable</h1>
        <Alert>{boot.message}</Alert>
        <button type="button" onClick={() => void loadMe()}>
          Try again
        </button>
      </main>
    );
  if (boot.state === "signed-out") {
    const next = loc.path === "/login" ? loc.search.get("next") ?? "/" : loc.path + location.search;
    if (loc.path !== "/login") history.replaceState(null, "", "/login?next=" + encodeURIComponent(next));
    return (
      <LoginPage
        next={next}
        onSignedIn={(me) => {
          setBoot({ state: "in", me });
          navigate(next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
        }}
      />
    );
  }

  const auth: AuthState = {
    me: boot.me,
    refresh: loadMe,
    signOut: async () => {
      // The core ends its session first; a provider that offers logout
      // answers with its URL, where the browser goes next (it comes back
      // to /login).
      let logoutURL = "";
      try {
        const res = await api.post<{ logout_url?: string } | undefined>("/auth/logout");
        logoutURL = res?.logout_url ?? "";
      } finally {
        setCsrfToken("");
        if (/^https?:\/\//.test(logoutURL)) {
          location.assign(logoutURL);
        } else {
          setBoot({ state: "signed-out" });
          navigate("/login", { replace: true });
        }
      }
    },
  };
  return (
    <AuthContext.Provider value={auth}>
      <Routes path={loc.path} me={boot.me} />
    </AuthContext.Provider>
  );
}

function Routes({ path, me }: { path: string; me: Me }) {
  if (path === "/" || path === "/login") return <Redirect to="/sessions" />;
  // The desktop fills the window, without the app's header.
  const desktop = match("/sessions/:id", path);
  if (desktop && desktop.id !== "new") return <DesktopPage id={desktop.id!} />;

  let page;
  const admin = path === "/admin" || path.startsWith("/admin/");
  if (admin && !isAdmin(me)) page = <ForbiddenPage />;
  else if (path === "/sessions") page = <SessionsPage />;
  else if (path === "/sessions/new") page = <NewSessionPage />;
  else if (path === "/api-keys") page = <ApiKeysPage />;
  else if (path === "/admin" || path === "/admin/users") page = <UsersPage />;
  else if (path === "/admin/orgs") page = <OrgsPage />;
  else if (match("/admin/orgs/:id", path)) page = <OrgPage id={match("/admin/orgs/:id", path)!.id!} />;
  else if (path === "/admin/templates") page = <TemplatesPage />;
  else if (path === "/admin/plugins") page = isPlatformAdmin(me) ? <PluginsPage /> : <ForbiddenPage />;
  else if (path === "/admin/orphans") page = isPlatformAdmin(me) ? <OrphansPage /> : <ForbiddenPage />;
  else if (path === "/admin/audit") page = <AuditPage />;
  else page = <NotFoundPage />;
  return <Shell path={path}>{page}</Shell>;
}

function Shell({ path, children }: { path: string; children: ComponentChildren }) {
  const { me, signOut } = useAuth();
  const nav: [string, string][] = [
    ["/sessions", "Sessions"],
    ["/api-keys", "API keys"],
  ];
  const adminNav: [string, string][] = [
    ["/admin/users", "Users"],
    ["/admin/orgs", "Organisations"],
    ["/admin/templates", "Templates"],
    ...(isPlatformAdmin(me)
      ? ([
          ["/admin/plugins", "Plugins"],
          ["/admin/orphans", "Orphans"],
        ] as [string, string][])
      : []),
    ["/admin/audit", "Audit log"],
  ];
  const current = (href: string) => (path === href || path.startsWith(href + "/") ? "page" : undefined);
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="app-header">
        <Link href="/sessions" class="brand">
          Atrium
        </Link>
        <nav aria-label="Main">
          <ul>
            {nav.map(([href, label]) => (
              <li key={href}>
                <Link href={href} aria-current={current(href)}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        {isAdmin(me) && (
          <nav aria-label="Administration">
            <ul>
              {adminNav.map(([href, label]) => (
                <li key={href}>
                  <Link href={href} aria-current={current(href)}>
                    {label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div class="account">
          <span class="who" title={me.user.email}>
            {me.user.display_name || me.user.username}
          </span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** Redirect replaces the current URL once rendered (never during render). */
function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
