#!/usr/bin/env bash
# dex.sh builds the Dex OpenID provider once and prints the binary's path.
#
# The OIDC end-to-end tests sign in through a real Dex. Dex does not build
# with `go install` (its go.mod has a replace directive), so this script
# writes a tiny module outside the repository that requires Dex at a pinned
# version and builds cmd/dex from it. Nothing from Dex is committed here.
# The binary is cached; later runs print the path at once.
#
# Cache: $ATRIUM_DEX_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/atrium-test/dex.
set -euo pipefail

dex_version=v0.0.0-20260303133905-11d2eeb52b42 # release v2.45.1
dex_api_version=v2.4.0

cache=${ATRIUM_DEX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/atrium-test/dex}
bin="$cache/bin/dex-$dex_version"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

mod="$cache/module"
mkdir -p "$mod" "$cache/bin"
cat >"$mod/go.mod" <<GOMOD
module atrium.test/dexbuild

go 1.26.0

require (
	github.com/dexidp/dex $dex_version
	github.com/dexidp/dex/api/v2 $dex_api_version
)
GOMOD
cat >"$mod/tools.go" <<'GO'
//go:build tools

// Package dexbuild only pins Dex so that `go build` can find cmd/dex.
package dexbuild

import _ "github.com/dexidp/dex/cmd/dex"
GO

cd "$mod"
# Outside any workspace: the build must not see Atrium's go.work.
export GOWORK=off GOFLAGS=-mod=mod
echo "dex.sh: building Dex $dex_version into $cache (1-2 minutes cold)" >&2
go mod download github.com/dexidp/dex >&2
go get "github.com/dexidp/dex@$dex_version" "github.com/dexidp/dex/api/v2@$dex_api_version" >&2
go build -o "$bin.tmp" github.com/dexidp/dex/cmd/dex >&2
mv "$bin.tmp" "$bin"
echo "$bin"
