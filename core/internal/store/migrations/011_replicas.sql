-- State several core replicas must share, moved out of each core's memory
-- and state directory.

-- Deletes in progress. Cores before this migration created the table at run
-- time, hence IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS session_teardowns (
    session_id   uuid        PRIMARY KEY REFERENCES sessions (id),
    remove_home  boolean     NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    done_at      timestamptz
);
CREATE INDEX IF NOT EXISTS session_teardowns_pending_idx ON session_teardowns (requested_at)
    WHERE done_at IS NULL;

-- Failed password logins per client address and username, so that guesses
-- spread over replicas add up. Rows older than the throttle window are
-- reset on the next failure and deleted by the janitor.
CREATE TABLE login_failures (
    ip        text        NOT NULL,
    username  text        NOT NULL,
    failures  integer     NOT NULL CHECK (failures > 0),
    first_at  timestamptz NOT NULL,
    PRIMARY KEY (ip, username)
);

-- Which key seals session secrets: a fingerprint (never the key), so a
-- replica started with another key refuses to start instead of failing
-- only when someone connects to a session.
ALTER TABLE installation ADD COLUMN secrets_key_fingerprint text;
