// Package config holds Atrium's HCL configuration files as data: the default
// the core runs with when it is given no file, and annotated examples.
//
// The loader lives in core/internal/config; this package only embeds the
// files so the binary carries them and `atrium config` commands can print
// them.
package config

import "embed"

// Default is the configuration the core uses when it is started without a
// config file. Plugin paths in it are relative to the atrium binary's
// directory.
//
//go:embed default.hcl
var Default []byte

// Examples holds the annotated example configurations, as examples/*.hcl.
//
//go:embed examples/*.hcl
var Examples embed.FS
