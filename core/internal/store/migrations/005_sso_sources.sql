-- Who granted a membership or the platform admin flag. '' is a person (an
-- admin through the API); 'auth:NAME' is the group mapping of the auth
-- block NAME, which re-applies it at every login through that block and
-- may take back only what it granted itself.
ALTER TABLE memberships ADD COLUMN source text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN platform_admin_source text NOT NULL DEFAULT '';
