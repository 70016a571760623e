-- Revocation that reaches live streams on every replica.
--
-- A relay ticket remembers the credential that asked for it (a login
-- session or an API key), so redeeming it can check, in one statement, that
-- the credential is still live, the user active and still a member of the
-- session's organisation. Tickets live 30 s at most: the old ones can go.
DELETE FROM relay_tickets;
ALTER TABLE relay_tickets
    ADD COLUMN login_session_id uuid REFERENCES login_sessions (id) ON DELETE CASCADE,
    ADD COLUMN api_key_id       uuid REFERENCES api_keys (id) ON DELETE CASCADE,
    ADD CONSTRAINT relay_tickets_one_credential CHECK (num_nonnulls(login_session_id, api_key_id) = 1);

-- Every change that can end a user's access announces the user's id on
-- atrium_access: a suspension, a removed membership, a revoked or deleted
-- login session or API key, a deleted user. Each replica re-checks the live
-- streams it holds for that user against these tables and closes those
-- that no longer hold, whichever replica made the change. PostgreSQL folds
-- equal notifications of one transaction into one.
CREATE FUNCTION access_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('atrium_access', to_jsonb(OLD) ->> TG_ARGV[0]);
    ELSE
        PERFORM pg_notify('atrium_access', to_jsonb(NEW) ->> TG_ARGV[0]);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER users_access_suspended AFTER UPDATE OF status ON users
    FOR EACH ROW WHEN (NEW.status <> 'active') EXECUTE FUNCTION access_notify('id');
CREATE TRIGGER users_access_deleted AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION access_notify('id');
CREATE TRIGGER memberships_access_removed AFTER DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION access_notify('user_id');
CREATE TRIGGER login_sessions_access_revoked AFTER UPDATE OF revoked_at ON login_sessions
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION access_notify('user_id');
CREATE TRIGGER login_sessions_access_deleted AFTER DELETE ON login_sessions
    FOR EACH ROW EXECUTE FUNCTION access_notify('user_id');
CREATE TRIGGER api_keys_access_revoked AFTER UPDATE OF revoked_at ON api_keys
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL) EXECUTE FUNCTION access_notify('user_id');
CREATE TRIGGER api_keys_access_deleted AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION access_notify('user_id');

-- Denied requests (404s and 403s to logged-in callers), counted per user
-- and minute: probing leaves a trace, and a bounded one — one row per user
-- per minute however fast it probes. The first denial of each minute also
-- writes an access.denied audit row. Routes are patterns
-- (/api/v1/orgs/:org): the caller may read its own audit rows, and the ids
-- it probed are in the security log, which only operators read.
CREATE TABLE access_denials (
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    window_start timestamptz NOT NULL,
    denials      integer     NOT NULL DEFAULT 1 CHECK (denials > 0),
    last_method  text        NOT NULL,
    last_route   text        NOT NULL,
    last_status  integer     NOT NULL,
    PRIMARY KEY (user_id, window_start)
);
CREATE INDEX access_denials_window_idx ON access_denials (window_start);
