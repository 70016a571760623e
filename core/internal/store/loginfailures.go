package store

import (
	"context"
	"strings"
	"time"
)

// LoginFailures counts the failed password logins of one client address and
// username within the window that started with the first of them. Every
// replica counts into the same row, so guesses spread over replicas add up.
type LoginFailures struct {
	Failures int
	FirstAt  time.Time
}

// RecentLoginFailures returns the failures of ip and username whose window
// has not passed at now; none is a zero count.
func (q *Queries) RecentLoginFailures(ctx context.Context, ip, username string, window time.Duration, now time.Time) (LoginFailures, error) {
	var f LoginFailures
	err := q.db.QueryRow(ctx, `SELECT failures, first_at FROM login_failures
		WHERE ip = $1 AND username = $2 AND first_at > $3`, ip, strings.ToLower(username), now.Add(-window)).Scan(&f.Failures, &f.FirstAt)
	if err == errNoRows {
		return LoginFailures{}, nil
	}
	return f, classify(err, "read failed logins")
}

// RecordLoginFailure counts one failure of ip and username, starting a new
// window at now when the last one has passed.
func (q *Queries) RecordLoginFailure(ctx context.Context, ip, username string, window time.Duration, now time.Time) error {
	_, err := q.db.Exec(ctx, `INSERT INTO login_failures AS f (ip, username, failures, first_at) VALUES ($1, $2, 1, $3)
		ON CONFLICT (ip, username) DO UPDATE SET
			failures = CASE WHEN f.first_at > $3 - $4::interval THEN f.failures + 1 ELSE 1 END,
			first_at = CASE WHEN f.first_at > $3 - $4::interval THEN f.first_at ELSE $3 END`,
		ip, strings.ToLower(username), now, window)
	return classify(err, "record failed login")
}

// ForgetLoginFailures clears the failures of ip and username after a
// successful login.
func (q *Queries) ForgetLoginFailures(ctx context.Context, ip, username string) error {
	_, err := q.db.Exec(ctx, `DELETE FROM login_failures WHERE ip = $1 AND username = $2`, ip, strings.ToLower(username))
	return classify(err, "forget failed logins")
}

// DeleteStaleLoginFailures removes the rows whose window has passed.
func (q *Queries) DeleteStaleLoginFailures(ctx context.Context, window time.Duration, now time.Time) (int64, error) {
	tag, err := q.db.Exec(ctx, `DELETE FROM login_failures WHERE first_at <= $1`, now.Add(-window))
	return tag.RowsAffected(), classify(err, "delete stale failed logins")
}
