#!/usr/bin/env bash
# Installs what the tests need and runs the default (non-slow) test suite.
# Fixtures are read from ../shared (override with CLIPSHARP_SHARED).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
"$here/scripts/setup.sh" dataset-fashion-mnist chromium openmpi-bin libopenmpi-dev   # Open MPI: the mpirun training tests
"$here/scripts/pglite.sh" install >/dev/null   # PGlite + pgvector (npm, pinned): the Postgres store's tests
dotnet test ClipSharp.slnx -c Release --nologo --filter "Category!=Slow" "$@"
"$here/scripts/pack-check.sh"
