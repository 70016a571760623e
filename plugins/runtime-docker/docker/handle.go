package docker

import (
	"encoding/json"
	"fmt"

	"github.com/atrium-hq/atrium/sdk/runtime"
)

// handleVersion is the version of the handle layout this plugin writes.
// A newer plugin keeps reading version 1.
const handleVersion = 1

// handleV1 is what the core stores for a session. It is a hint: the
// session label is the truth, so a lost or stale handle still finds the
// container.
type handleV1 struct {
	ContainerID   string `json:"container_id"`
	ContainerName string `json:"container_name"`
	SessionID     string `json:"session_id"`
}

// encodeHandle returns the handle of a session's container.
func encodeHandle(h handleV1) runtime.Handle {
	data, err := json.Marshal(h)
	if err != nil {
		// Marshalling three strings cannot fail.
		panic(fmt.Sprintf("encode docker handle: %v", err))
	}
	return runtime.Handle{Version: handleVersion, Data: data}
}

// decodeHandle reads a handle the core stored. An empty handle is not an
// error: the caller then finds the container by its session label.
func decodeHandle(h runtime.Handle) (handleV1, error) {
	if len(h.Data) == 0 {
		return handleV1{}, nil
	}
	if h.Version != handleVersion {
		return handleV1{}, fmt.Errorf("docker handle version %d is unknown to this plugin, which reads version %d: upgrade the runtime-docker plugin", h.Version, handleVersion)
	}
	var v handleV1
	if err := json.Unmarshal(h.Data, &v); err != nil {
		return handleV1{}, fmt.Errorf("decode docker handle version %d: %w", h.Version, err)
	}
	return v, nil
}
