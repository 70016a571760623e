#!/usr/bin/env bash
# fuzz.sh runs every fuzz target for FUZZTIME each (default 10s). Go runs
# one target per `go test -fuzz` call, so they are listed here: package
# and target. A crasher lands in the package's testdata/fuzz/<Target>/;
# commit it with the fix, and it runs as a seed in every `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
targets=(
	"./core/internal/vncauth FuzzAuthenticate"
	"./core/internal/vncauth FuzzGreet"
	"./core/internal/relay FuzzBinaryFrameHeader"
	"./core/internal/relay FuzzCheckEndpoint"
	"./core/internal/framing FuzzCheck"
	"./core/internal/appproxy FuzzCopyResponseHeader"
	"./core/internal/sso FuzzCheckNext"
	"./core/internal/api FuzzDecodeBody"
	"./sdk/internal/tunnel FuzzReadStatus"
)
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "fuzz $pkg $name for $fuzztime"
	go test -count=1 -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel 2 "$pkg"
done
