package store

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultConnectTimeout bounds one connection attempt (TCP, TLS and
// authentication) when the database URL sets no connect_timeout. Without
// it a database that accepts TCP but never answers, as one behind a broken
// network does, would hold every request that needs a new connection for
// as long as the kernel keeps trying.
const DefaultConnectTimeout = 3 * time.Second

// Unavailable reports whether err means the database cannot be reached or
// is going away — a refused or timed-out connection, a server shutting
// down or starting up, a connection broken mid-query — rather than a
// refusal of the statement itself. Such a failure says nothing about the
// request: the caller answers "try again later" (the API's 503), and
// nothing was committed.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.Is(err, pgconn.ErrConnClosed) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
			return true
		case len(pe.Code) == 5 && pe.Code[:2] == "08": // connection_exception
			return true
		}
		return false
	}
	// A socket error, not a context's deadline (which is a net.Error too,
	// and the caller's own doing).
	var oe *net.OpError
	return errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF)
}
