#!/usr/bin/env bash
# Packs every library and the CLI tool into a local feed, installs the tool into a temporary tool
# path from that feed, and runs `clipsharp --version`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dotnet pack "$here/ClipSharp.slnx" -c Release -o "$work/feed" --nologo -v quiet
ls "$work/feed"
dotnet tool install ClipSharp.Cli --tool-path "$work/tools" --add-source "$work/feed" --version 0.1.0 >/dev/null
"$work/tools/clipsharp" --version
echo "pack-check: ok"
