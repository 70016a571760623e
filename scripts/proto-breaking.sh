#!/usr/bin/env bash
# proto-breaking.sh: refuse changes to sdk/proto that break released
# protocol files (buf breaking, FILE rules: released files only grow).
#
# The protos of the working tree are compared with a base commit:
#   - $PROTO_AGAINST when set (any git ref);
#   - on a branch, where the branch left main (git merge-base HEAD main, or
#     origin/main in a CI clone), so every change of the branch is checked;
#   - on main itself, its previous commit;
#   - in a clone with one commit only (a shallow CI clone), nothing: it says
#     so and passes, since there is no older protocol to break.
set -euo pipefail
cd "$(dirname "$0")/.."
BUF=${BUF:-bin/tools/buf}

head=$(git rev-parse HEAD)
base=${PROTO_AGAINST:-}
if [[ -z $base ]]; then
	for main in main origin/main; do
		if git rev-parse -q --verify "$main^{commit}" >/dev/null; then
			mb=$(git merge-base HEAD "$main" || true)
			if [[ -n $mb && $mb != "$head" ]]; then
				base=$mb
				break
			fi
		fi
	done
fi
if [[ -z $base ]] && git rev-parse -q --verify HEAD~1 >/dev/null; then
	base=$(git rev-parse HEAD~1)
fi
if [[ -z $base ]]; then
	echo "proto-breaking: no earlier commit in this clone to compare sdk/proto with; skipped (fetch more history, or set PROTO_AGAINST)"
	exit 0
fi
base=$(git rev-parse "$base")
echo "proto-breaking: sdk/proto against $(git log -1 --format='%h %s' "$base")"
exec "$BUF" breaking sdk/proto --against ".git#ref=$base,subdir=sdk/proto"
