-- Refreshing logins through auth plugins: when the core last asked the
-- plugin's provider about a login session (NULL: not since it opened), and
-- whether the plugin can for this session at all (false once it said it
-- cannot, e.g. the provider issued no refresh token).
ALTER TABLE login_sessions ADD COLUMN refreshed_at timestamptz;
ALTER TABLE login_sessions ADD COLUMN refreshable boolean NOT NULL DEFAULT true;
CREATE INDEX login_sessions_refresh_due_idx ON login_sessions (auth_plugin, (coalesce(refreshed_at, created_at)))
    WHERE revoked_at IS NULL AND auth_plugin <> '' AND refreshable;
