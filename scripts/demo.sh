#!/usr/bin/env bash
# The main job: an offline end-to-end run on the reference fixtures.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${CLIPSHARP_SHARED:-$here/../shared}"
"$here/scripts/setup.sh" dataset-fashion-mnist
mkdir -p "$here/out"
fx="$shared/fixtures/vit-tiny"
"$here/clipsharp" info --model "$fx/openai/model.safetensors"
"$here/clipsharp" embed --model "$fx/openai/model.safetensors" \
  --pixels "$fx/expected.safetensors:pixel_values" --tokens "$fx/expected.safetensors:tokens" \
  --out "$here/out/demo_features.safetensors"
echo "wrote $here/out/demo_features.safetensors"
