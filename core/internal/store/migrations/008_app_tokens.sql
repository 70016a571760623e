-- App tokens and app sessions: how a browser logged in on the core gets into
-- one session's web app on that app's own origin ({session}.apps.…), where
-- the core's cookie never goes.
--
-- An app token is a single-use, short-lived permission, issued by
-- POST /api/v1/sessions/{id}/open and redeemed on the app's host. Redeeming
-- it creates an app session, whose secret the app host keeps in a host-only
-- cookie. Both are bound to the user, the session, the session's instance
-- and the login session that asked: a restart of the session (new
-- instance), its stop, and the user's logout all end them, because every
-- check joins back to those rows. Only SHA-256 hashes of secrets are kept.
-- They live here, not in a core's memory, because the app host may reach
-- another replica than the one that issued the token.
CREATE TABLE app_tokens (
    hash             bytea       PRIMARY KEY,
    user_id          uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id       uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    instance_id      text        NOT NULL,
    login_session_id uuid        NOT NULL REFERENCES login_sessions (id) ON DELETE CASCADE,
    expires_at       timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_at <= created_at + interval '60 seconds')
);

CREATE INDEX app_tokens_expires_at ON app_tokens (expires_at);

CREATE TABLE app_sessions (
    hash             bytea       PRIMARY KEY,
    user_id          uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id       uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    instance_id      text        NOT NULL,
    login_session_id uuid        NOT NULL REFERENCES login_sessions (id) ON DELETE CASCADE,
    expires_at       timestamptz NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_at <= created_at + interval '24 hours')
);

CREATE INDEX app_sessions_expires_at ON app_sessions (expires_at);
CREATE INDEX app_sessions_login_session ON app_sessions (login_session_id);
