package store

// FieldError is a value the database refused, told as the request field
// it came from. It is ErrInvalid. Its text never holds the constraint's
// name or the SQL: those stay in the server log's copy of the error chain.
type FieldError struct {
	// Field is the API field at fault; "" when the constraint is not one
	// a client's value can break.
	Field  string
	Detail string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return ErrInvalid.Error() + ": " + e.Detail
	}
	return ErrInvalid.Error() + ": " + e.Field + ": " + e.Detail
}

// Is makes a FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// checkFields maps the CHECK constraints on columns a client writes
// (migrations, PostgreSQL's default names) to the API field and its rule.
// TestCheckConstraintsMapped keeps it complete.
var checkFields = map[string]FieldError{
	"organisations_slug_check":      {"slug", "must be 1 to 63 lower-case letters, digits or hyphens, starting with a letter or digit"},
	"organisations_name_check":      {"name", "must not be empty"},
	"users_username_check":          {"username", "must not be empty"},
	"users_status_check":            {"status", `must be "active" or "suspended"`},
	"memberships_role_check":        {"role", `must be "org_admin" or "member"`},
	"quotas_max_sessions_check":     {"max_sessions", "must be zero or more, or null for no limit"},
	"quotas_max_cpu_millis_check":   {"max_cpu_millis", "must be zero or more, or null for no limit"},
	"quotas_max_memory_bytes_check": {"max_memory_bytes", "must be zero or more, or null for no limit"},
}

// constraintError is the FieldError for a violated CHECK constraint.
func constraintError(constraint string) *FieldError {
	if fe, ok := checkFields[constraint]; ok {
		return &fe
	}
	return &FieldError{Detail: "a value is outside what this server accepts"}
}
