#!/usr/bin/env bash
# build.sh builds atrium/postgres-standin:15, Debian 12's PostgreSQL 15 with
# an entrypoint that honours the official postgres image's POSTGRES_USER,
# POSTGRES_PASSWORD and POSTGRES_DB, for trying deploy/compose/compose.yaml
# on a machine that cannot pull images:
#   ATRIUM_POSTGRES_IMAGE=atrium/postgres-standin:15 docker compose … up
# Elsewhere compose.yaml uses the official image.
#
# Usage: deploy/compose/postgres-standin/build.sh [-f]
set -euo pipefail
# shellcheck source=../../../images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../../images/lib.sh"

image_init postgres-standin atrium/postgres-standin:15 "$@"
base=(postgresql-15)
if image_up_to_date "${base[*]}"; then
	echo "$image"
	exit 0
fi
image_root
image_debootstrap "${base[@]}"
install -m 0755 "$image_dir/entrypoint.sh" "$image_root_dir/usr/local/bin/postgres-standin"
install -d -o "$(chroot "$image_root_dir" id -u postgres)" -g "$(chroot "$image_root_dir" id -g postgres)" -m 0700 "$image_root_dir/var/lib/postgresql/data"
image_slim
pg=$(chroot "$image_root_dir" id -u postgres)
image_import \
	"USER $pg:$pg" \
	'WORKDIR /var/lib/postgresql' \
	'ENV HOME=/var/lib/postgresql PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin' \
	'ENTRYPOINT ["/usr/local/bin/postgres-standin"]' \
	'EXPOSE 5432'
echo "$image"
