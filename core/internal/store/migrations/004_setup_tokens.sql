-- One-time setup tokens: printed on a first start with no users, consumed by
-- creating the first admin. Only the token's SHA-256 is kept.
CREATE TABLE setup_tokens (
    hash       bytea       PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
