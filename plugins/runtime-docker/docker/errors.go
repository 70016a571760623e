package docker

import (
	cerrdefs "github.com/containerd/errdefs"
)

// The Docker client classifies engine errors with containerd's errdefs
// package; these helpers keep that detail in one place.

// isNotFound reports whether the engine said the object does not exist.
func isNotFound(err error) bool {
	return err != nil && cerrdefs.IsNotFound(err)
}

// isConflict reports whether the engine refused because of another object
// or state, e.g. a name in use or a volume still mounted.
func isConflict(err error) bool {
	return err != nil && cerrdefs.IsConflict(err)
}

// isNotModified reports whether the engine had nothing to do, e.g. when
// starting a running container.
func isNotModified(err error) bool {
	return err != nil && cerrdefs.IsNotModified(err)
}
