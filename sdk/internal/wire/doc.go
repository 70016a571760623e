// Package wire converts between the SDK's Go types and their protobuf
// messages for the types both the plugin side and the host side share:
// configuration schemas, launch specs, plugin kinds, times and errors.
// Types owned by a kind package (runtime.Status, auth.Identity, …) are
// converted next to their gRPC server in that package and next to their
// client in sdk/connect, because the kind packages cannot import a package
// that imports them.
package wire
