-- Runtime sessions carrying this installation's labels that the database
-- does not know (or has deleted): after a restore from backup, sessions
-- created since then still run. The resync records them here instead of
-- destroying them; a platform admin adopts or destroys each one.
CREATE TABLE runtime_orphans (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    runtime        text        NOT NULL,
    session_id     text        NOT NULL,
    -- From the runtime's labels; no foreign keys: the owner or the
    -- organisation may be gone, which adopting then reports.
    user_id        text        NOT NULL DEFAULT '',
    org_id         text        NOT NULL DEFAULT '',
    template       text        NOT NULL DEFAULT '',
    labels         jsonb       NOT NULL DEFAULT '{}',
    handle_version integer     NOT NULL DEFAULT 0,
    handle_data    bytea,
    runtime_state  text        NOT NULL DEFAULT '',
    first_seen     timestamptz NOT NULL DEFAULT now(),
    last_seen      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (runtime, session_id)
);
