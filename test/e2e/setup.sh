#!/usr/bin/env bash
# Installs what test/e2e/vscode.test.ts needs, outside the repo and without any download but the npm registry
# and Debian packages:
#   - Debian: chromium (driven by playwright-core), ripgrep (VS Code's search binary), libkrb5-dev and a
#     C++ toolchain (native modules are built from source, since their prebuilt downloads are not reachable);
#   - code-server 4.100.3 (VS Code 1.100.3, the last release on Node 20) into $PLIMSOLL_E2E_CACHE
#     (default ~/.cache/plimsoll-e2e/code-server).
# code-server's own postinstall (postinstall.sh in its package) runs `npm install` in lib/vscode and
# lib/vscode/extensions, where @vscode/ripgrep downloads rg from GitHub and argon2/kerberos try prebuilt
# binaries. This script does the same steps with --ignore-scripts, then rebuilds the native modules from
# source and links Debian's rg. Idempotent: a finished install is recognised by a stamp file.
set -euo pipefail

VERSION=4.100.3
CACHE=${PLIMSOLL_E2E_CACHE:-$HOME/.cache/plimsoll-e2e}
PREFIX=$CACHE/code-server
STAMP=$PREFIX/.installed-$VERSION
CS=$PREFIX/node_modules/code-server

log() { printf 'e2e setup: %s\n' "$*"; }

# ---- Debian packages
apt_pkgs=(chromium ripgrep libkrb5-dev g++ make python3)
missing=()
for p in "${apt_pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
    exit 1
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -f "$STAMP" ] && [ -x "$CS/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ]; then
  log "code-server $VERSION already installed in $PREFIX"
  exit 0
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" != 20 ]; then
  log "code-server $VERSION needs Node 20 (this is $(node -v))"
  exit 1
fi

# npm settings for every install below: no audit/fund chatter, and `yes` so npm never waits on a prompt
# (CI has no stdin).
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false npm_config_yes=true

log "npm install code-server@$VERSION into $PREFIX"
mkdir -p "$PREFIX"
# --prefix with its own package.json, so the install never climbs into an enclosing project.
[ -f "$PREFIX/package.json" ] || echo '{"private":true}' >"$PREFIX/package.json"
npm install --prefix "$PREFIX" --no-save --ignore-scripts "code-server@$VERSION" >/dev/null

# argon2 (password auth; loaded at start-up even with --auth none) has no reachable prebuilt.
log "building argon2"
# node-pre-gyp reads build-from-source from npm's environment (npm 11 warns that it does not know it).
(cd "$PREFIX" && npm_config_build_from_source=true npm rebuild argon2 >/dev/null)

# ---- postinstall.sh, step by step
cd "$CS/lib/vscode"
log "npm install in lib/vscode (scripts off)"
npm install --omit=dev --ignore-scripts >/dev/null
log "building VS Code's native modules from source"
npm rebuild @parcel/watcher @vscode/spdlog @vscode/deviceid kerberos native-watchdog node-pty >/dev/null
# @vscode/ripgrep's postinstall downloads rg; use Debian's.
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
# symlink_asar and symlink_bin_script from postinstall.sh
rm -rf node_modules.asar && ln -s node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)

cd extensions
log "npm install in lib/vscode/extensions"
npm install --omit=dev --ignore-scripts >/dev/null
node ./postinstall.mjs >/dev/null

# Smoke check without touching the real home: code-server writes a config file on first start.
tmp=$(mktemp -d)
XDG_CONFIG_HOME=$tmp XDG_DATA_HOME=$tmp node "$CS/out/node/entry.js" --version
rm -rf "$tmp"
touch "$STAMP"
log "done: $CS"
