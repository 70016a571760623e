// Turns RFC 9457 problems from the core into sentences a person can act on.

export interface FieldProblem {
  field: string;
  detail: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldProblem[];
}

/** ApiError is a failed API call, carrying the human message to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

// The last path segment of the problem type is its stable name.
function kindOf(p: Problem): string {
  const t = p.type ?? "";
  return t.slice(t.lastIndexOf("/") + 1);
}

const byKind: Record<string, string> = {
  "login-failed": "Wrong username or password.",
  "login-throttled": "Too many sign-in attempts. Wait a minute, then try again.",
  unauthenticated: "You are signed out. Sign in again to continue.",
  csrf: "This page's security token is out of date. Reload the page and try again.",
  "bad-origin": "This page was not loaded from the server's public address. Open Atrium from its usual address.",
  "read-only-key": "This API key may only read.",
  "not-found": "Not found, or you do not have access to it.",
  conflict: "That name is already taken. Choose another.",
  "rate-limited": "Too many requests. Wait a moment and try again.",
  "setup-token": "The setup token is unknown, expired or already used.",
};

function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const cap = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(cap) ? cap : cap + ".";
}

function humanField(name: string): string {
  return sentence(name.replace(/_/g, " ")).replace(/\.$/, "");
}

/** fromProblem builds the ApiError for a problem+json answer. */
export function fromProblem(status: number, p: Problem): ApiError {
  const kind = kindOf(p) || String(status);
  const fields = p.errors ?? [];
  let msg = byKind[kind];
  if (!msg && fields.length > 0) {
    msg = fields.map((f) => `${humanField(f.field)}: ${f.detail}`).join(" ");
    msg = sentence(msg);
  }
  if (!msg && status === 403) {
    msg = "You are not allowed to do that." + (p.detail ? " " + sentence(p.detail) : "");
  }
  if (!msg && status >= 500) {
    msg =
      status === 503
        ? "The server is not ready right now. Try again in a moment."
        : "The server failed to handle this. Try again; if it keeps happening, tell your administrator.";
  }
  if (!msg) msg = p.detail ? sentence(p.detail) : `The request failed (${p.title ?? "HTTP " + status}).`;
  return new ApiError(status, kind, msg, fields);
}

/** networkError is the ApiError for a request that never got an answer. */
export function networkError(): ApiError {
  return new ApiError(0, "network", "Cannot reach the Atrium server. Check your network connection and try again.");
}

/** messageOf turns anything thrown into a message for the page. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return sentence(err.message);
  return "Something went wrong.";
}
