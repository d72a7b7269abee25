#!/usr/bin/env python3
"""Pillow peer for `clipsharp bench-image`: full decode, decode + CLIP preprocessing (shorter side to
R with bicubic, centre crop, /255, normalise), and the same with draft-mode JPEG decoding.
Prints one JSON object. Usage: /usr/bin/python3 bench_pillow.py FILE [R] [SECONDS]"""
import json, sys, time
import numpy as np
from PIL import Image

MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)


def preprocess(img, r):
    w, h = img.size
    if w < h:
        nw, nh = r, int(r * h / w)
    else:
        nw, nh = int(r * w / h), r
    img = img.resize((nw, nh), Image.BICUBIC)
    left, top = int(round((nw - r) / 2.0)), int(round((nh - r) / 2.0))
    img = img.crop((left, top, left + r, top + r)).convert("RGB")
    x = np.asarray(img, dtype=np.float32) / 255.0
    return ((x - MEAN) / STD).transpose(2, 0, 1)


def best(fn, seconds):
    fn()
    b, t0 = float("inf"), time.perf_counter()
    while True:
        s = time.perf_counter()
        fn()
        b = min(b, time.perf_counter() - s)
        if time.perf_counter() - t0 > seconds:
            return b * 1000


def main():
    path = sys.argv[1]
    r = int(sys.argv[2]) if len(sys.argv) > 2 else 224
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0

    def decode():
        with Image.open(path) as im:
            im.load()

    def full():
        with Image.open(path) as im:
            im.load()
            preprocess(im, r)

    def draft():
        with Image.open(path) as im:
            im.draft("RGB", (r, r))
            im.load()
            preprocess(im, r)

    print(json.dumps({"peer": "Pillow " + Image.__version__, "decode_ms": best(decode, seconds),
                      "decode_preprocess_ms": best(full, seconds), "draft_decode_preprocess_ms": best(draft, seconds)}))


if __name__ == "__main__":
    main()
