package connect

import "github.com/atrium-hq/atrium/sdk/internal/protocol"

// Handshake is the go-plugin handshake for Atrium plugins. Its magic cookie
// only stops a plugin binary from serving when run by hand; pin binaries
// with SecureConfig and use AutoMTLS for security.
var Handshake = protocol.Handshake
