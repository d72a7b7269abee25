#!/usr/bin/env python3
"""PyTorch peer for `clipsharp bench`: the same architecture on the same weights, timed the same way.

  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/peer/bench_torch.py --config CFG.json \
      --weights W.safetensors --tokens T.json --batch 32 --text-batch 256 --threads 2

Prints one JSON object: images_per_s, texts_per_s, and the settings.
"""
import argparse, json, os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import torch
from torch_clip import Clip, load_safetensors


def best_rate(fn, items, warmup, iters):
    for _ in range(warmup):
        fn()
    best = 0.0
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        best = max(best, items / (time.perf_counter() - t0))
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--tokens", required=True, help="JSON array of padded token rows")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--text-batch", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open(a.config) as f:
        cfg = json.load(f)
    model = Clip(cfg).eval()
    sd = load_safetensors(a.weights)
    sd = {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit(f"weights do not match: missing {missing[:5]}, unexpected {unexpected[:5]}")
    r = cfg["vision_cfg"]["image_size"]
    pixels = torch.randn(a.batch, 3, r, r, generator=torch.Generator().manual_seed(0))
    with open(a.tokens) as f:
        rows = json.load(f)
    tokens = torch.tensor((rows * (a.text_batch // len(rows) + 1))[: a.text_batch], dtype=torch.int64)
    with torch.no_grad():
        images = best_rate(lambda: model.visual(pixels), a.batch, 1, a.iters)
        texts = best_rate(lambda: model.encode_text(tokens), a.text_batch, 1, a.iters)
        one_pixel, one_text = pixels[:1].clone(), tokens[:1].clone()
        image_latency_ms = 1000 / best_rate(lambda: model.visual(one_pixel), 1, 1, a.iters * 4)
        text_latency_ms = 1000 / best_rate(lambda: model.encode_text(one_text), 1, 1, a.iters * 4)
    import resource
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peer": f"pytorch {torch.__version__}", "threads": a.threads, "batch": a.batch, "peak_rss_mb": peak_rss_mb,
                      "text_batch": a.text_batch, "images_per_s": images, "texts_per_s": texts,
                      "image_latency_ms": image_latency_ms, "text_latency_ms": text_latency_ms,
                      "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "")}))


if __name__ == "__main__":
    main()
