-- Templates, sessions and their lifecycle, quotas.

-- Synced from the HCL configuration; the configuration is the source of truth.
CREATE TABLE templates (
    name             text        PRIMARY KEY,
    workspace        text        NOT NULL,
    runtime          text        NOT NULL,
    display_name     text        NOT NULL DEFAULT '',
    description      text        NOT NULL DEFAULT '',
    cpu_millis       bigint      NOT NULL DEFAULT 0 CHECK (cpu_millis >= 0),
    memory_bytes     bigint      NOT NULL DEFAULT 0 CHECK (memory_bytes >= 0),
    pids             bigint      NOT NULL DEFAULT 0 CHECK (pids >= 0),
    idle_timeout     interval,
    max_lifetime     interval,
    allow            jsonb       NOT NULL DEFAULT '{}',
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- The lifecycle lives here and only here: the states, and which changes of
-- state are allowed. The trigger on sessions refuses every other change.
CREATE TABLE session_states (
    name     text    PRIMARY KEY,
    -- active: the session counts against quotas and the reconciler drives it.
    active   boolean NOT NULL
);
INSERT INTO session_states (name, active) VALUES
    ('pending', true), ('starting', true), ('running', true),
    ('hibernating', true), ('hibernated', true), ('resuming', true),
    ('stopping', true), ('stopped', false), ('failed', false), ('deleted', false);

CREATE TABLE session_transitions (
    from_state text NOT NULL REFERENCES session_states (name),
    to_state   text NOT NULL REFERENCES session_states (name),
    PRIMARY KEY (from_state, to_state)
);
INSERT INTO session_transitions (from_state, to_state) VALUES
    ('pending', 'starting'),
    ('starting', 'running'),
    ('running', 'hibernating'),
    ('hibernating', 'hibernated'),
    ('hibernated', 'resuming'),
    ('resuming', 'running'),
    ('pending', 'stopping'), ('starting', 'stopping'), ('running', 'stopping'),
    ('hibernating', 'stopping'), ('hibernated', 'stopping'), ('resuming', 'stopping'),
    ('stopping', 'stopped'),
    ('pending', 'failed'), ('starting', 'failed'), ('running', 'failed'),
    ('hibernating', 'failed'), ('hibernated', 'failed'), ('resuming', 'failed'),
    ('stopping', 'failed'),
    -- Addition: a failed session may still own a container or pod; stopping
    -- it again lets the reconciler clean the runtime up before the tombstone.
    ('failed', 'stopping'),
    ('stopped', 'deleted'),
    ('failed', 'deleted');

CREATE TABLE sessions (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid        NOT NULL REFERENCES organisations (id),
    user_id          uuid        NOT NULL REFERENCES users (id),
    template         text        NOT NULL,
    runtime          text        NOT NULL,
    state            text        NOT NULL DEFAULT 'pending' REFERENCES session_states (name),
    instance_id      text        NOT NULL DEFAULT '',
    handle_version   integer     NOT NULL DEFAULT 0,
    handle_data      bytea,
    cpu_millis       bigint      NOT NULL DEFAULT 0 CHECK (cpu_millis >= 0),
    memory_bytes     bigint      NOT NULL DEFAULT 0 CHECK (memory_bytes >= 0),
    -- Sealed by the caller before it reaches the store; never plaintext.
    secrets_sealed   bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    last_activity_at timestamptz,
    stopped_at       timestamptz,
    error            text        NOT NULL DEFAULT ''
);
CREATE INDEX sessions_org_created_idx ON sessions (org_id, created_at DESC, id DESC);
CREATE INDEX sessions_user_created_idx ON sessions (user_id, created_at DESC, id DESC);
CREATE INDEX sessions_runtime_state_idx ON sessions (runtime, state)
    WHERE state NOT IN ('stopped', 'failed', 'deleted');

CREATE FUNCTION sessions_guard_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'pending' THEN
            RAISE EXCEPTION 'a session is created in state pending, not %', NEW.state
                USING ERRCODE = 'AT001';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.state IS DISTINCT FROM OLD.state AND NOT EXISTS (
        SELECT 1 FROM session_transitions
        WHERE from_state = OLD.state AND to_state = NEW.state
    ) THEN
        RAISE EXCEPTION 'session % may not go from % to %', OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'AT001';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER sessions_guard_state BEFORE INSERT OR UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_guard_state();

-- Tell every core replica about a change of state (LISTEN atrium_session_state).
CREATE FUNCTION sessions_notify_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('atrium_session_state', json_build_object(
        'id', NEW.id, 'org_id', NEW.org_id, 'user_id', NEW.user_id,
        'from', CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.state END,
        'to', NEW.state)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER sessions_notify_insert AFTER INSERT ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_notify_state();
CREATE TRIGGER sessions_notify_state AFTER UPDATE OF state ON sessions
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION sessions_notify_state();

CREATE TABLE session_events (
    id         bigserial   PRIMARY KEY,
    session_id uuid        NOT NULL REFERENCES sessions (id),
    at         timestamptz NOT NULL DEFAULT now(),
    from_state text        REFERENCES session_states (name),
    to_state   text        NOT NULL REFERENCES session_states (name),
    message    text        NOT NULL DEFAULT ''
);
CREATE INDEX session_events_session_idx ON session_events (session_id, id);

-- NULL limits mean "no limit". A user quota applies across all organisations.
CREATE TABLE quotas (
    id               bigserial PRIMARY KEY,
    scope            text      NOT NULL CHECK (scope IN ('org', 'user')),
    org_id           uuid      REFERENCES organisations (id) ON DELETE CASCADE,
    user_id          uuid      REFERENCES users (id) ON DELETE CASCADE,
    max_sessions     integer   CHECK (max_sessions >= 0),
    max_cpu_millis   bigint    CHECK (max_cpu_millis >= 0),
    max_memory_bytes bigint    CHECK (max_memory_bytes >= 0),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((scope = 'org' AND org_id IS NOT NULL AND user_id IS NULL)
        OR (scope = 'user' AND user_id IS NOT NULL AND org_id IS NULL))
);
CREATE UNIQUE INDEX quotas_org_key ON quotas (org_id) WHERE scope = 'org';
CREATE UNIQUE INDEX quotas_user_key ON quotas (user_id) WHERE scope = 'user';
