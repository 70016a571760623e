-- Start progress: how far a starting or resuming session has got, as the
-- runtime plugin (and the core, while it waits for the app) reports it, so
-- the "Starting" card of every replica's clients says what happens.

-- The phases, in the order a start goes through them: the runtime SDK's
-- fixed set (sdk/runtime.Phase), of which the core itself reports
-- waiting_for_app. A phase is only ever replaced by one of equal or
-- higher rank, so a late or repeated report cannot move a start backwards.
CREATE TABLE session_start_phases (
    name text    PRIMARY KEY,
    rank integer NOT NULL UNIQUE CHECK (rank > 0)
);
INSERT INTO session_start_phases (name, rank) VALUES
    ('scheduled', 1), ('image_ready', 2), ('container_started', 3), ('waiting_for_app', 4);

-- NULL start_phase: no start under way, or none reported yet. Cleared when
-- the session changes state, except to failed, where it records how far
-- the start got.
ALTER TABLE sessions
    ADD COLUMN start_phase    text REFERENCES session_start_phases (name),
    ADD COLUMN start_message  text NOT NULL DEFAULT '' CHECK (length(start_message) <= 200),
    ADD COLUMN start_phase_at timestamptz;

-- The state notification now carries the phase too, and a change of phase
-- alone is announced as well (from = to: the state did not change).
CREATE OR REPLACE FUNCTION sessions_notify_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('atrium_session_state', json_build_object(
        'id', NEW.id, 'org_id', NEW.org_id, 'user_id', NEW.user_id,
        'from', CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.state END,
        'to', NEW.state,
        'start_phase', NEW.start_phase, 'start_message', NEW.start_message)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER sessions_notify_start_phase AFTER UPDATE OF start_phase, start_message ON sessions
    FOR EACH ROW WHEN (OLD.state IS NOT DISTINCT FROM NEW.state
        AND (OLD.start_phase IS DISTINCT FROM NEW.start_phase OR OLD.start_message IS DISTINCT FROM NEW.start_message))
    EXECUTE FUNCTION sessions_notify_state();
