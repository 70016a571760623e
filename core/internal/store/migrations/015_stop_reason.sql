-- A session the runtime reports stopped from outside Atrium (a Docker
-- engine restart, docker stop) goes from running straight to stopped, with
-- the runtime's reason: nothing is left for a stop step to do, and its home
-- is kept as on any stop.
INSERT INTO session_transitions (from_state, to_state) VALUES ('running', 'stopped');

-- stop_reason says why a stopped session stopped when it was not a
-- request ('' then).
ALTER TABLE sessions ADD COLUMN stop_reason text NOT NULL DEFAULT '';
