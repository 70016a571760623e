package connect

import (
	"google.golang.org/grpc/codes"

	"github.com/atrium-hq/atrium/sdk/internal/wire"
	"github.com/atrium-hq/atrium/sdk/runtime"
)

// sessionNotFound carries runtime.ErrSessionNotFound as codes.NotFound.
var sessionNotFound = wire.Sentinel{Err: runtime.ErrSessionNotFound, Code: codes.NotFound}

// fromStatus turns a gRPC error into the plugin's error, keeping its text
// and the SDK sentinel its code carries.
func fromStatus(err error) error {
	return wire.FromStatus(err, sessionNotFound)
}
