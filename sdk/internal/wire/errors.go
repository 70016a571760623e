package wire

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/atrium-hq/atrium/sdk/internal/protocol"
)

// Sentinel pairs an SDK error with the gRPC code that carries it across the
// wire, so errors.Is keeps working on the host side.
type Sentinel struct {
	Err  error
	Code codes.Code
}

// common are the sentinels every service maps.
var common = []Sentinel{
	{Err: context.Canceled, Code: codes.Canceled},
	{Err: context.DeadlineExceeded, Code: codes.DeadlineExceeded},
	{Err: protocol.ErrUnsupported, Code: codes.Unimplemented},
}

// RefreshRefused carries protocol.ErrRefreshRefused on the auth service's
// Refresh.
var RefreshRefused = Sentinel{Err: protocol.ErrRefreshRefused, Code: codes.PermissionDenied}

// ToStatus turns a plugin's error into a gRPC status error. The message is
// err's text; the code is that of the first matching sentinel in extra or
// the common set, else Unknown. Status errors a plugin got from its own
// backends are flattened to Unknown too, so that a backend's NotFound never
// reaches the host as ErrSessionNotFound.
func ToStatus(err error, extra ...Sentinel) error {
	if err == nil {
		return nil
	}
	for _, s := range append(extra, common...) {
		if errors.Is(err, s.Err) {
			return status.Error(s.Code, err.Error())
		}
	}
	return status.Error(codes.Unknown, err.Error())
}

// FromStatus turns a gRPC error the host received back into an error whose
// text is the plugin's message and which matches the sentinel its code
// carries. Errors that are not gRPC statuses pass through unchanged.
func FromStatus(err error, extra ...Sentinel) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	for _, s := range append(extra, common...) {
		if st.Code() == s.Code {
			return &remoteError{Message: st.Message(), Code: st.Code(), sentinel: s.Err}
		}
	}
	return &remoteError{Message: st.Message(), Code: st.Code()}
}

// remoteError is an error a plugin call returned: the plugin's message and
// the code it travelled with.
type remoteError struct {
	Message  string
	Code     codes.Code
	sentinel error
}

// Error returns the plugin's message; transport failures, which the plugin
// never wrote, are prefixed with their code so they are not mistaken for
// the plugin's own words.
func (e *remoteError) Error() string {
	switch e.Code {
	case codes.Unknown, codes.FailedPrecondition, codes.InvalidArgument:
		return e.Message
	}
	if e.sentinel != nil {
		return e.Message
	}
	return e.Code.String() + ": " + e.Message
}

// Unwrap returns the SDK sentinel the error's code carries, if any.
func (e *remoteError) Unwrap() error {
	return e.sentinel
}
