// Package tunnel carries socket-mode tunnels: the plugin side serves one
// unix socket per plugin process, guarded by one-time tokens, and copies
// bytes between each accepted connection and the net.Conn the runtime's
// Dialer returns. Session bytes never travel over gRPC.
//
// The exchange on a fresh connection is: the host writes TokenSize bytes of
// token; the plugin answers with one status byte, StatusOK or an error code
// followed by a big-endian uint16 length and that many bytes of message;
// after StatusOK the connection carries the session's bytes.
package tunnel
