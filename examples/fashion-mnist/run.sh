#!/usr/bin/env bash
# Fashion-MNIST end to end, offline: prepare Debian's dataset-fashion-mnist, train a small CLIP from
# scratch for SECONDS (default 300), then report zero-shot top-1 on all 10,000 test images (80 OpenAI
# templates), a linear probe, classification of a few images, and text search over the test images.
#   examples/fashion-mnist/run.sh [OUT_DIR=out/fashion-mnist] [SECONDS=300]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fm="${1:-$here/out/fashion-mnist}"
seconds="${2:-300}"
source "$here/examples/fashion-mnist/common.sh"
cs() { "$here/clipsharp" "$@"; }
rm -rf "$fm"; mkdir -p "$fm"

echo "-- prepare: the 10,000 test images as PNG files (ImageFolder), 200 training images per class for the linear probe"
fm_export "$fm/data"

echo "-- train ${seconds}s from scratch (configs/fashion-mnist.json), captions from a random OpenAI template per image"
fm_train "$fm/run" "$seconds"
model="$fm/run/checkpoint/model.safetensors"

echo "-- zero-shot top-1 on the 10,000 test images"
cs eval zeroshot --model "$model" --data "$fm/data/test" --out "$fm/eval-zeroshot"
echo "-- linear probe (2,000 training images, evaluated on the same 10,000)"
cs eval linear-probe --model "$model" --train "$fm/data/train" --test "$fm/data/test" --out "$fm/eval-linear-probe"

echo "-- classify a few sneakers"
printf 'sneaker\nsandal\nbag\ncoat\ntrouser\n' > "$fm/labels.txt"
cs classify "$fm/data/test/sneaker" --model "$model" --labels-file "$fm/labels.txt" --top 2 | head -6

echo "-- search: index the test images (three corrupt files mixed in are reported and skipped)"
fm_photos "$fm/data/test" "$fm/photos"
cs index "$fm/photos" --model "$model"
cs search "a photo of a sneaker" --dir "$fm/photos" --top 5
hits=0
for c in "${fm_classes[@]}"; do
  n=$(cs search "a photo of a $c" --dir "$fm/photos" --top 10 --json | { grep -o "\"path\":\"$c/" || true; } | wc -l)
  echo "   precision@10 for '$c': $n/10"
  hits=$((hits + n))
done
echo "-- search precision@10 averaged over the 10 classes: $(awk "BEGIN { printf \"%.2f\", $hits / 100 }")"
echo "pictures: $fm/run/loss.svg, $fm/run/accuracy.svg, $fm/eval-zeroshot/confusion.svg"
