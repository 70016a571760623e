// The API client: same-origin fetches with the login cookie, the CSRF token
// on writes, and problem+json turned into ApiError.
import { ApiError, fromProblem, networkError, type Problem } from "./problem";

const base = "/api/v1";
let csrfToken = "";

/** setCsrfToken stores the token from the login answer or GET /me. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token ?? "";
}

type Listener = () => void;
const signedOutListeners = new Set<Listener>();

/** onSignedOut calls fn whenever the core answers 401 (the login expired). */
export function onSignedOut(fn: Listener): () => void {
  signedOutListeners.add(fn);
  return () => signedOutListeners.delete(fn);
}

async function parseError(res: Response): Promise<ApiError> {
  let p: Problem = {};
  const type = res.headers.get("Content-Type") ?? "";
  if (type.includes("json")) {
    try {
      p = (await res.json()) as Problem;
    } catch {
      // A broken body still has a status worth reporting.
    }
  }
  return fromProblem(res.status, p);
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  try {
    return await fetch(base + path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw networkError();
  }
}

/** request calls the API and returns its JSON answer (undefined for 204). */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body);
  if (res.status === 403 && method !== "GET") {
    const err = await parseError(res);
    if (err.kind !== "csrf") throw err;
    // The login session was renewed elsewhere (another tab logged in
    // again): fetch the current token once and retry.
    const me = await send("GET", "/me");
    if (!me.ok) throw err;
    setCsrfToken(((await me.json()) as { csrf_token?: string }).csrf_token);
    res = await send(method, path, body);
  }
  if (!res.ok) {
    const err = await parseError(res);
    if (res.status === 401 && path !== "/auth/login") signedOutListeners.forEach((fn) => fn());
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  del: (path: string) => request<void>("DELETE", path),
};

/** query builds "?a=b&…" from the non-empty values. */
export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

export { ApiError };
