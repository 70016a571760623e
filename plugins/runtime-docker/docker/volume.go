package docker

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"

	"github.com/atrium-hq/atrium/sdk/plugin"
)

// homeVolumeName is the Docker volume holding home volume home.
func (e *engine) homeVolumeName(home string) (string, error) {
	name := e.cfg.volumePrefix + home
	if !dockerName.MatchString(name) {
		return "", fmt.Errorf("home volume %q gives Docker volume name %q, which Docker refuses: home volume names use letters, digits, '_', '.' and '-'", home, name)
	}
	return name, nil
}

// ensureHome creates the user's home volume when it is missing. The volume
// belongs to the user, not to the session: it carries the user's labels and
// none of the session's, because it outlives every session that mounts it.
// An existing volume must be Atrium's and the same user's; mounting another
// user's home would hand over their files.
func (e *engine) ensureHome(ctx context.Context, s sessionIdentity, home string) (string, error) {
	name, err := e.homeVolumeName(home)
	if err != nil {
		return "", err
	}
	res, err := e.cli.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
	switch {
	case err == nil:
		l := res.Volume.Labels
		if l[LabelManaged] != managedValue {
			return "", fmt.Errorf("docker volume %q exists but Atrium did not create it: remove it, or set config { volume_prefix } so home volumes get other names", name)
		}
		if l[LabelUser] != s.UserID {
			return "", fmt.Errorf("home volume %q belongs to user %q, not %q: the core must name home volumes by the user's id", name, l[LabelUser], s.UserID)
		}
		return name, nil
	case !isNotFound(err):
		return "", e.engineErr("inspect volume "+name, err)
	}
	_, err = e.cli.VolumeCreate(ctx, client.VolumeCreateOptions{
		Name:   name,
		Driver: "local",
		Labels: map[string]string{
			LabelManaged: managedValue,
			LabelUser:    s.UserID,
			LabelOrg:     s.OrgID,
			LabelHome:    home,
			LabelRuntime: e.instance,
		},
	})
	if err != nil {
		return "", e.engineErr("create home volume "+name, err)
	}
	plugin.Logger().Info("created home volume", "volume", name, "user", s.UserID)
	return name, nil
}

// removeHome removes a home volume. A missing volume is not an error; one a
// container still mounts is, and names the next step.
func (e *engine) removeHome(ctx context.Context, home string) error {
	name, err := e.homeVolumeName(home)
	if err != nil {
		return err
	}
	res, err := e.cli.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return e.engineErr("inspect volume "+name, err)
	}
	if res.Volume.Labels[LabelManaged] != managedValue {
		return fmt.Errorf("refusing to remove docker volume %q: Atrium did not create it", name)
	}
	_, err = e.cli.VolumeRemove(ctx, name, client.VolumeRemoveOptions{})
	switch {
	case err == nil:
		plugin.Logger().Info("removed home volume", "volume", name)
		return nil
	case isNotFound(err):
		return nil
	case isConflict(err):
		return fmt.Errorf("home volume %q is still mounted by a container: stop the user's other sessions, then destroy again: %w", name, err)
	default:
		return e.engineErr("remove home volume "+name, err)
	}
}
