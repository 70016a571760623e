#!/bin/bash
# entrypoint.sh starts Debian's PostgreSQL 15 the way the official postgres
# image does, for the variables compose.yaml sets: POSTGRES_USER,
# POSTGRES_PASSWORD, POSTGRES_DB, data in /var/lib/postgresql/data.
set -euo pipefail
export PGDATA=/var/lib/postgresql/data
bin=/usr/lib/postgresql/15/bin
if [[ ! -s $PGDATA/PG_VERSION ]]; then
	[[ -n ${POSTGRES_PASSWORD:-} ]] || { echo "postgres-standin: POSTGRES_PASSWORD is empty" >&2; exit 1; }
	pw=$(mktemp)
	printf '%s\n' "$POSTGRES_PASSWORD" >"$pw"
	"$bin/initdb" -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
	rm -f "$pw"
	echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
	"$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/tmp" -w start >/dev/null
	if [[ ${POSTGRES_DB:-postgres} != postgres ]]; then
		"$bin/createdb" -h /tmp -U "${POSTGRES_USER:-postgres}" "$POSTGRES_DB"
	fi
	"$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp
