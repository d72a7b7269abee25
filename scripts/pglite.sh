#!/usr/bin/env bash
# Installs (pinned, idempotent) and optionally starts PGlite — Postgres compiled to WASM — with its
# pgvector extension on the Postgres wire protocol. Used by the tests as a real Postgres server; production
# uses a real PostgreSQL >= 15 with pgvector >= 0.7.
#   scripts/pglite.sh install            -> prints the folder holding node_modules
#   scripts/pglite.sh start DIR PORT     -> runs the server in the foreground (data folder DIR, 127.0.0.1:PORT)
# Install folder: $CLIPSHARP_PGLITE_HOME or <repo>/out/pglite.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
home="${CLIPSHARP_PGLITE_HOME:-$here/out/pglite}"
pkgs=("@electric-sql/pglite@0.5.14" "@electric-sql/pglite-socket@0.2.17" "@electric-sql/pglite-pgvector@0.0.15")
install() {
  local stamp="$home/.installed"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${pkgs[*]}" ]; then return; fi
  command -v npm >/dev/null || "$here/scripts/setup.sh" nodejs npm >&2
  mkdir -p "$home"
  [ -f "$home/package.json" ] || echo '{"name":"clipsharp-pglite","private":true}' > "$home/package.json"
  (cd "$home" && npm install --no-audit --no-fund --save-exact "${pkgs[@]}" >&2)
  echo "${pkgs[*]}" > "$stamp"
}
case "${1:-install}" in
  install) install; echo "$home" ;;
  start)
    install
    dir="${2:?data folder}"; port="${3:?port}"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"   # absolute: the server runs from the install folder
    cd "$home"
    exec node node_modules/@electric-sql/pglite-socket/dist/scripts/server.js \
      --db="$dir" --port="$port" --host=127.0.0.1 -e @electric-sql/pglite-pgvector:vector -m 4 ;;
  *) echo "usage: $0 install | start DIR PORT" >&2; exit 2 ;;
esac
