-- Relay tickets: single-use, short-lived permissions to open one session's
-- VNC relay, bound to the user, the session and the session's instance.
-- They live here, not in a core's memory, because the browser's WebSocket
-- may reach another replica than the one that issued the ticket. Only the
-- token's SHA-256 is kept.
CREATE TABLE relay_tickets (
    hash        bytea       PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id  uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    instance_id text        NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_at <= created_at + interval '30 seconds')
);

CREATE INDEX relay_tickets_expires_at ON relay_tickets (expires_at);
