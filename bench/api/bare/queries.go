package main

// The statements the core's store runs for the three endpoints, written
// out here because this program may not import core/internal. The bench
// (core/internal/api/apibench) checks on every run that both servers send
// PostgreSQL the same statements per request: it compares the query ids
// pg_stat_statements records for each, which hash the parsed statement,
// so spacing may differ but nothing else may.
const (
	// authentication (store.APIKeyByPrefix, ScopeForUser, GetUser)
	sqlKeyByPrefix = `SELECT k.id, k.prefix, k.hash, k.user_id, k.org_id, k.name, k.scopes, k.expires_at, k.last_used_at, k.revoked_at, k.created_at
		FROM api_keys k JOIN users u ON u.id = k.user_id
		WHERE k.prefix = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
		  AND u.status = 'active'`
	sqlScopeUser        = `SELECT platform_admin FROM users WHERE id = $1 AND status = 'active'`
	sqlScopeMemberships = `SELECT org_id, role FROM memberships WHERE user_id = $1`
	sqlGetUser          = `SELECT u.id, u.username, u.email, u.display_name, u.password_hash, u.status, u.platform_admin, u.created_at, u.updated_at
		FROM users u WHERE ($1::bool OR u.id = $3::uuid OR EXISTS (
		SELECT 1 FROM memberships vm WHERE vm.user_id = u.id AND vm.org_id = ANY($2::uuid[]))) AND u.id = $4`
	sqlTouchKey = `UPDATE api_keys SET last_used_at = now() WHERE id = $1`

	sessionCols = `s.id, s.org_id, s.user_id, s.template, s.runtime, s.state, s.instance_id, s.handle_version,
	s.handle_data, s.cpu_millis, s.memory_bytes, s.secrets_sealed, s.created_at, s.updated_at, s.started_at,
	s.last_activity_at, s.stopped_at, s.error, s.start_phase, s.start_message, s.start_phase_at`
	sessionVisible = `($1::bool OR s.org_id = ANY($2::uuid[]) OR (s.org_id = ANY($3::uuid[]) AND s.user_id = $4::uuid))`

	// list (store.ListSessions)
	sqlListSessions = `SELECT ` + sessionCols + ` FROM sessions s
		WHERE ` + sessionVisible + `
		  AND ($5::uuid IS NULL OR s.org_id = $5)
		  AND ($6::uuid IS NULL OR s.user_id = $6)
		  AND (cardinality($7::text[]) = 0 OR s.state = ANY($7::text[]))
		  AND ($8 = '' OR s.runtime = $8)
		  AND (NOT $9::bool OR (s.created_at, s.id) < ($10::timestamptz, $11::uuid))
		ORDER BY s.created_at DESC, s.id DESC LIMIT $12`

	// get (store.GetSession)
	sqlGetSession = `SELECT ` + sessionCols + ` FROM sessions s WHERE ` + sessionVisible + ` AND s.id = $5`

	// create (session.Manager.Create and the store calls it makes)
	sqlGetOrg = `SELECT id, slug, name, created_at FROM organisations
		WHERE ($1::bool OR id = ANY($2::uuid[])) AND id = $3`
	sqlLockAdmission = `SELECT pg_advisory_xact_lock(hashtextextended('atrium.quota.org.' || $1::text, 0)),
		pg_advisory_xact_lock(hashtextextended('atrium.quota.user.' || $2::text, 0))`
	sqlHomeRemovalPending = `SELECT EXISTS (SELECT 1 FROM session_teardowns t JOIN sessions s ON s.id = t.session_id
		WHERE s.user_id = $1 AND t.remove_home AND t.done_at IS NULL)`
	sqlQuotaOrg = `SELECT max_sessions, max_cpu_millis, max_memory_bytes, updated_at FROM quotas
		WHERE scope = $1 AND org_id = $2`
	sqlQuotaUser = `SELECT max_sessions, max_cpu_millis, max_memory_bytes, updated_at FROM quotas
		WHERE scope = $1 AND user_id = $2`
	sqlUsageOrg = `SELECT count(*), coalesce(sum(s.cpu_millis), 0), coalesce(sum(s.memory_bytes), 0)
		FROM sessions s JOIN session_states st ON st.name = s.state
		WHERE st.active AND s.org_id = $1`
	sqlUsageUser = `SELECT count(*), coalesce(sum(s.cpu_millis), 0), coalesce(sum(s.memory_bytes), 0)
		FROM sessions s JOIN session_states st ON st.name = s.state
		WHERE st.active AND s.user_id = $1`
	sqlInsertSession = `INSERT INTO sessions AS s (org_id, user_id, template, runtime, cpu_millis, memory_bytes, secrets_sealed)
			SELECT m.org_id, m.user_id, $3, $4, $5, $6, $7 FROM memberships m
			WHERE m.org_id = $1 AND m.user_id = $2 FOR SHARE
			RETURNING ` + sessionCols
	sqlInsertEvent = `INSERT INTO session_events (session_id, from_state, to_state, message) VALUES ($1, NULL, $2, 'created')`
	sqlAudit       = `INSERT INTO audit_log
		(actor_user_id, actor_api_key_id, ip, org_id, action, target_type, target_id, details)
		VALUES ($1, $2, $3::inet, $4, $5, $6, $7, coalesce($8::jsonb, '{}'))`
)
