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
  cpu_millis?: number;
  memory_bytes?: number;
  // Further limits (idle timeout, lifetime, …) as the core reports them.
  limits?: Record<string, string | number | boolean | null>;
}

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
  created_at: string;
  error?: string | null;
  url?: string;
}

export interface SessionEvent {
  id: string;
  state: SessionState;
  error?: string | null;
}

export interface ConnectTicket {
  ticket: string;
  url: string;
}

export interface List<T> {
  items: T[];
  next_cursor?: string;
}
