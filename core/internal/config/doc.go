// Package config loads and validates Atrium's HCL configuration.
//
// Load and Parse decode the core's own blocks (server, database, plugin,
// runtime, workspace, auth, template) into typed structs and check them in
// one pass, so a user sees every problem at once, each with file, line and
// column. On failure they return a *Diagnostics, which renders itself with
// source snippets.
//
// The `config { }` block inside runtime, workspace, auth and template blocks
// belongs to a plugin, whose schema is known only once the plugin runs. Those
// bodies are kept undecoded (hcl.Body) and decoded later with
// DecodePluginConfig against the schema the plugin reports, using the same
// functions (env, file, …) as the rest of the file, so errors in them still
// point into the user's file.
package config
