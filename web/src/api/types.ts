// Shapes of the core's REST API (core/internal/api/views.go and the
// sessions contract). Only fields the UI reads are listed.

export interface User {
  id: string;
  username: string;
  email: string;
  display_name: string;
  status: "active" | "suspended";
  platform_admin: boolean;
  has_password: boolean;
  created_at: string;
}

export type Role = "member" | "org_admin";

export interface Org {
  id: string;
  slug: string;
  name: string;
  created_at: string;
}

export interface Me {
  user: User;
  orgs: (Org & { role: Role })[];
  csrf_token?: string;
}

export interface LoginResponse {
  user: User;
  csrf_token: string;
  expires_at: string;
}

export interface Member {
  org_id: string;
  user_id: string;
  username: string;
  display_name: string;
  role: Role;
  created_at: string;
}

export interface Quota {
  org_id: string;
  max_sessions: number | null;
  max_cpu_millis: number | null;
  max_memory_bytes: number | null;
  usage: { sessions: number; cpu_millis: number; memory_bytes: number };
}

export interface APIKey {
  id: string;
  org_id: string | null;
  name: string;
  scopes: string[];
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface CreatedAPIKey extends APIKey {
  secret: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  ip?: string;
  org_id: string | null;
  action: string;
  target_type: string;
  target_id: string;
  details: Record<string, unknown> | null;
}

export interface PluginStatus {
  name: string;
  kind: string;
  plugin: string;
  version: string;
  state: string;
  restarts: number;
  started_at: string;
  last_error?: string;
  /** failures counts failures since the plugin last ran stably. */
  failures: number;
  /** retry_at is the next launch while the state is "circuit_open". */
  retry_at?: string;
}

export interface PluginProbe extends PluginStatus {
  health: "ok" | "failing";
  health_error?: string;
}

export interface AuthProvider {
  name: string;
  display_name: string;
  login_url: string;
}

export interface Template {
  name: string;
  display_name?: string;
  description?: string;
  kind?: SessionKind;
  /** kind_name is the workspace's own name for its kind: "VS Code". */
  kind_name?: string;
  /** cpu is in cores; 0 means the runtime's default. */
  cpu?: number;
  memory_bytes?: number;
  pids?: number;
  /** Go durations such as "1h0m0s"; absent when there is no limit. */
  idle_timeout?: string;
  max_lifetime?: string;
}

/** SessionKind is the workspace's protocol: a desktop or a web app. */
export type SessionKind = "vnc" | "http";

export type SessionState =
  | "pending"
  | "starting"
  | "running"
  | "hibernating"
  | "hibernated"
  | "resuming"
  | "stopping"
  | "stopped"
  | "failed"
  | "deleted";

export interface Session {
  id: string;
  template: string;
  state: SessionState;
  kind: SessionKind;
  /** kind_name tells web apps apart: "VS Code", "Jupyter". */
  kind_name?: string;
  created_at: string;
  error?: string | null;
  url?: string;
  /** start_phase: how far a start or resume under way has got. */
  start_phase?: StartPhase;
  /** start_message: the runtime's (or the core's) words on that phase. */
  start_message?: string;
}

/** StartPhase: the steps of a start, in order (sdk/runtime.Phase). */
export type StartPhase = "scheduled" | "image_ready" | "container_started" | "waiting_for_app";

/**
 * SessionEvent is one change the event stream announces: of state, or
 * (from equal to state) of a start's progress.
 */
export interface SessionEvent {
  id: string;
  state: SessionState;
  from?: SessionState;
  error?: string | null;
  start_phase?: StartPhase;
  start_message?: string;
}

/** OpenedApp is where the browser goes to open a session's web app. */
export interface OpenedApp {
  url: string;
  expires_at?: string;
}

export interface ConnectTicket {
  ticket: string;
  url: string;
}

export interface List<T> {
  items: T[];
  next_cursor?: string;
}

/**
 * Orphan is a runtime session the database does not know (for example
 * after a restore from backup). Its ids are the runtime's labels, unchecked.
 */
export interface Orphan {
  id: string;
  runtime: string;
  session_id: string;
  user_id: string;
  org_id: string;
  template: string;
  labels: Record<string, string>;
  runtime_state: string;
  first_seen: string;
  last_seen: string;
}
