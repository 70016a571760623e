-- Organisations, users, their external identities and memberships.

CREATE TABLE organisations (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text        NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text        NOT NULL CHECK (name <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT organisations_slug_key UNIQUE (slug)
);

-- id is immutable: it names the user's home volume.
CREATE TABLE users (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    username       text        NOT NULL CHECK (username <> ''),
    email          text        NOT NULL DEFAULT '',
    display_name   text        NOT NULL DEFAULT '',
    password_hash  text,
    status         text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    platform_admin boolean     NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
-- Usernames are unique regardless of case, so "Alice" cannot shadow "alice".
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE FUNCTION users_id_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'users.id is immutable (it names home volumes)' USING ERRCODE = 'AT003';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER users_id_immutable BEFORE UPDATE OF id ON users
    FOR EACH ROW EXECUTE FUNCTION users_id_immutable();

-- An identity from an auth plugin is keyed by issuer + subject, never e-mail.
CREATE TABLE identities (
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer        text        NOT NULL,
    subject       text        NOT NULL,
    email         text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX identities_user_id_idx ON identities (user_id);

CREATE TABLE memberships (
    org_id     uuid        NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text        NOT NULL CHECK (role IN ('org_admin', 'member')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_id_idx ON memberships (user_id);

-- Browser login sessions. Only hashes of the token and CSRF secret are kept.
CREATE TABLE login_sessions (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash          bytea       NOT NULL,
    csrf_hash           bytea,
    user_id             uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at          timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz NOT NULL,
    last_seen_at        timestamptz NOT NULL DEFAULT now(),
    revoked_at          timestamptz,
    ip                  inet,
    user_agent          text        NOT NULL DEFAULT '',
    auth_plugin         text        NOT NULL DEFAULT '',
    plugin_session_data bytea,
    CONSTRAINT login_sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX login_sessions_user_id_idx ON login_sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX login_sessions_expires_at_idx ON login_sessions (expires_at);

-- State carried across an auth plugin's redirect; consumed exactly once.
CREATE TABLE login_attempts (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    plugin     text        NOT NULL,
    state      bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX login_attempts_expires_at_idx ON login_attempts (expires_at);

-- API keys: the prefix finds the row, the hash proves the secret.
CREATE TABLE api_keys (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    prefix       text        NOT NULL,
    hash         bytea       NOT NULL,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id       uuid        REFERENCES organisations (id) ON DELETE CASCADE,
    name         text        NOT NULL DEFAULT '',
    scopes       text[]      NOT NULL DEFAULT '{}',
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_keys_prefix_key UNIQUE (prefix)
);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id, created_at);
