#!/usr/bin/env bash
# build.sh builds the atrium/code image: VS Code in the browser
# (code-server, from npm) on a minimal Debian 12, with entrypoint.sh as its
# entrypoint. The steps every image shares live in ../lib.sh.
#
# code-server 4.100.3 is the last release for Node 20, and Debian 12's own
# nodejs is 18, too old. The build machines carry Node 20 as a Debian
# package built for Debian 12's libc, so the build copies that node binary
# into the image, together with the host's npm and Node headers for the
# install only. npm then installs code-server inside the image's root, where
# its native modules compile against the image's own libraries.
#
# Usage: images/code/build.sh [-f]     (-f rebuilds even when up to date)
# Environment: IMAGE (default atrium/code:1), DEBIAN_MIRROR; see ../lib.sh.
# Needs, besides ../lib.sh's: node 20 and npm on the host, and the npm
# registry.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

image_init code atrium/code:1 "$@"

code_server_version=4.100.3
# Where npm installs it, with its dependencies, in the image.
code_server_dir=/opt/code-server

# The ripgrep that code-server's @vscode/ripgrep expects. Its postinstall
# script downloads a prebuilt rg from GitHub, which these machines cannot
# reach, unless it finds that download's tarball in its cache folder,
# $TMPDIR/vscode-ripgrep-cache-<package version>/. The build puts Debian's
# rg there under the name it looks for. These follow
# lib/vscode/npm-shrinkwrap.json of code-server $code_server_version and
# node_modules/@vscode/ripgrep/lib/postinstall.js; the build checks the
# result, so a new code-server that changes them fails loudly.
ripgrep_package_version=1.15.11
ripgrep_asset=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

# Run-time packages on top of minbase: git for VS Code's source control,
# ssh for git remotes, ripgrep for search, Kerberos and C++ runtime
# libraries that code-server's native modules link against.
packages=(
	ca-certificates
	git
	openssh-client
	ripgrep
	libkrb5-3
	libgssapi-krb5-2
	libstdc++6
	procps
	less
)
# Only for compiling the native modules; purged before the import.
build_packages=(g++ make python3 libkrb5-dev)

node=$(command -v node) || image_die "node is missing on the host; install Node 20 (the build copies it into the image)"
node_version=$("$node" --version)
[[ $node_version == v20.* ]] || image_die "the host's node is $node_version; code-server $code_server_version needs Node 20"
npm_dir=$(npm root -g 2>/dev/null)/npm
[[ -f $npm_dir/bin/npm-cli.js ]] || image_die "npm is missing on the host (looked in $npm_dir); install it with Node 20"
node_headers=$(dirname "$(dirname "$node")")/include/node
[[ -f $node_headers/common.gypi ]] || image_die "Node's headers are missing ($node_headers); node-gyp needs them to build code-server's native modules"

image_up_to_date "${packages[*]} | ${build_packages[*]} | node $node_version | code-server $code_server_version" && exit 0
image_root
image_debootstrap "${packages[@]}"
root=$image_root_dir

image_log "installing the build tools (${build_packages[*]})"
image_apt update
image_apt install --no-install-recommends "${build_packages[@]}"

# Node stays in the image; npm and the headers are only for the install.
# They go where a Node installed in /usr/local keeps them, because npm's
# own scripts, which code-server's postinstall calls, look for them there.
install -m 0755 "$node" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules/npm" "$root/usr/local/include"
cp -a "$npm_dir/." "$root/usr/local/lib/node_modules/npm/"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
cp -a "$node_headers" "$root/usr/local/include/node"

mkdir -p "$root/tmp/vscode-ripgrep-cache-$ripgrep_package_version"
tar -C "$root/usr/bin" -czf "$root/tmp/vscode-ripgrep-cache-$ripgrep_package_version/$ripgrep_asset" rg

# npm trusts the certificate authorities the host trusts, which may include
# one for a TLS-inspecting egress proxy; the image keeps Debian's own.
host_ca=/etc/ssl/certs/ca-certificates.crt
[[ -r $host_ca ]] || image_die "the host has no CA bundle at $host_ca; install ca-certificates"
cp "$host_ca" "$root/tmp/atrium-build-ca.crt"

image_log "installing code-server $code_server_version from npm (compiles native modules; minutes)"
# A local install in its own folder, not `npm install --global`: code-server's
# postinstall runs `npm install` in its lib/vscode, and that inner npm
# would inherit global mode and install the folder as a global package. npm
# runs as root here; code-server's postinstall refuses to run as root
# unless npm_config_unsafe_perm is true (npm 11 no longer knows the setting
# but passes the variable on). nodedir: node-gyp would download headers.
mkdir -p "$root$code_server_dir"
image_run "install code-server $code_server_version with npm; check that the npm registry answers" \
	npm_config_yes=true npm_config_unsafe_perm=true npm_config_nodedir=/usr/local \
	npm_config_cache=/tmp/npm-cache npm_config_update_notifier=false \
	npm_config_fund=false npm_config_audit=false \
	npm_config_cafile=/tmp/atrium-build-ca.crt NODE_EXTRA_CA_CERTS=/tmp/atrium-build-ca.crt \
	/bin/sh -c "cd $code_server_dir && exec npm install code-server@$code_server_version"
ln -s "$code_server_dir/node_modules/.bin/code-server" "$root/usr/local/bin/code-server"

cs=$root$code_server_dir/node_modules/code-server
rg=$cs/lib/vscode/node_modules/@vscode/ripgrep/bin/rg
cmp -s "$rg" "$root/usr/bin/rg" ||
	image_die "code-server's ripgrep ($rg) is not Debian's rg: @vscode/ripgrep changed its version or cache; update ripgrep_package_version and ripgrep_asset in this script"
[[ -x $root$code_server_dir/node_modules/.bin/code-server ]] || image_die "npm did not install the code-server command"

image_apt purge --autoremove "${build_packages[@]}"
rm -rf "$root/usr/local/lib/node_modules/npm" "$root/usr/local/bin/npm" "$root/usr/local/bin/npx" "$root/usr/local/include/node"

image_add_user
install -m 0755 "$image_dir/entrypoint.sh" "$root/usr/local/bin/atrium-code"
install -D -m 0644 "$image_dir/config.yaml" "$root/etc/atrium/code-server.yaml"
image_slim

image_import \
	'ENTRYPOINT ["/usr/local/bin/atrium-code"]' \
	'ENV SHELL=/bin/bash' \
	'EXPOSE 8080'
