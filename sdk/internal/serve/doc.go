// Package serve is the plugin-side plumbing every kind shares: the go-plugin
// configuration, the base PluginService, the Configure gate that kind calls
// wait behind, and the watcher that ends an orphaned plugin process.
package serve
