-- The audit log: append-only, written in the same transaction as the change.
-- No foreign keys: entries outlive the users, keys and orgs they mention.

CREATE TABLE audit_log (
    id               bigserial   PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT now(),
    actor_user_id    uuid,
    actor_api_key_id uuid,
    org_id           uuid,
    action           text        NOT NULL CHECK (action <> ''),
    target_type      text        NOT NULL DEFAULT '',
    target_id        text        NOT NULL DEFAULT '',
    details          jsonb       NOT NULL DEFAULT '{}',
    ip               inet
);
CREATE INDEX audit_log_org_idx ON audit_log (org_id, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, id DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, id DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'AT002';
END $$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
