# Sourced by the other scripts: finds the project root and a Node 24 to run with.
# shellcheck shell=bash
set -euo pipefail

NIMBUS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NODE_MAJOR_WANTED=24
NODE_TOOLS_DIR="$NIMBUS_ROOT/.tools/node"

say() { printf '%s\n' "$*" >&2; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Puts a Node >= 24 first on PATH: the system's when it is new enough, else the one
# scripts/setup installed under .tools/.
use_node() {
  if [ -x "$NODE_TOOLS_DIR/bin/node" ]; then
    export PATH="$NODE_TOOLS_DIR/bin:$PATH"
    export npm_config_nodedir="$NODE_TOOLS_DIR"
  fi
  local have
  have=$(command -v node >/dev/null && node_major node || echo 0)
  [ "$have" -ge "$NODE_MAJOR_WANTED" ]
}
