package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/sdk/launch"
)

// SecretsDir is where a session's secrets appear, one file per secret,
// named by its key (e.g. /run/atrium/secrets/ATRIUM_VNC_PASSWORD): as with
// runtime-k8s, never in the environment, where `docker inspect` and every
// child process would see them.
const SecretsDir = "/run/atrium/secrets"

// copySecrets writes the spec's secrets into the created, not yet started
// container, readable by the session's user only. They live in the
// container's own layer and go when it is removed.
func (e *engine) copySecrets(ctx context.Context, id string, spec launch.Spec) error {
	if len(spec.Secrets) == 0 {
		return nil
	}
	archive, err := secretsArchive(spec.Secrets, spec.User)
	if err != nil {
		return err
	}
	_, err = e.cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: archive})
	if err != nil {
		return e.engineErr("write the session's secrets into container "+id, err)
	}
	return nil
}

// secretsArchive is the tar of SecretsDir. Files belong to the spec's
// numeric user, mode 0400 in a 0500 directory; without a numeric user they
// belong to root and are readable by all, since the image's user is then
// unknown.
func secretsArchive(secrets map[string]string, user string) (*bytes.Buffer, error) {
	uid, gid, known := numericUser(user)
	dirMode, fileMode := int64(0o500), int64(0o400)
	if !known {
		dirMode, fileMode = 0o555, 0o444
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	parents := []string{"run/", "run/atrium/"}
	for _, p := range parents {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: p, Mode: 0o755, ModTime: now}); err != nil {
			return nil, err
		}
	}
	dir := strings.TrimPrefix(SecretsDir, "/") + "/"
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: dirMode, Uid: uid, Gid: gid, ModTime: now}); err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		if strings.ContainsAny(k, "/\x00") || k == "." || k == ".." {
			return nil, fmt.Errorf("secret name %q cannot be a file name in %s", k, SecretsDir)
		}
		v := secrets[k]
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: dir + k, Mode: fileMode, Uid: uid, Gid: gid, Size: int64(len(v)), ModTime: now}); err != nil {
			return nil, err
		}
		if _, err := tw.Write([]byte(v)); err != nil {
			return nil, err
		}
	}
	return &buf, tw.Close()
}

// numericUser reads "uid" or "uid:gid".
func numericUser(user string) (uid, gid int, ok bool) {
	u, g, hasGroup := strings.Cut(user, ":")
	uid, err := strconv.Atoi(u)
	if err != nil || uid < 0 {
		return 0, 0, false
	}
	gid = uid
	if hasGroup {
		if gid, err = strconv.Atoi(g); err != nil || gid < 0 {
			return 0, 0, false
		}
	}
	return uid, gid, true
}
