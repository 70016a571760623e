package deploy

import (
	"os"
	"syscall"
)

// socketGID is the group owning a file (the Docker socket), which the
// container's user must join to use it.
func socketGID(fi os.FileInfo) uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Gid
	}
	return 0
}
