#!/usr/bin/env bash
# One-time machine set-up: Debian packages the tests and demo use (idempotent; needs root or sudo).
set -euo pipefail
need=()
for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi
dotnet restore "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/ClipSharp.slnx" --nologo -v quiet
