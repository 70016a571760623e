package plugin

// SDKVersion is the release of this SDK. Plugins report it in GetInfo so
// that the core can tell which SDK a misbehaving plugin was built with.
const SDKVersion = "0.1.0"
