-- Session addresses: what the runtime reported as the session's own
-- addresses on its network (a literal IP, or IP:port), recorded at start,
-- resume and recovery. The core dials a tunnel endpoint only if it is one
-- of them, so a plugin cannot point the core at another session. Kept in
-- the row, not in one core's memory, so that every replica checks against
-- the same record. Emptied when the session stops running: its addresses
-- may be handed to another session then.
ALTER TABLE sessions
    ADD COLUMN addresses text[] NOT NULL DEFAULT '{}' CHECK (cardinality(addresses) <= 16);
