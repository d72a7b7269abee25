#!/usr/bin/env python3
"""Cosine agreement of a peer's features with ClipSharp's on the same inputs.

  agreement.py OURS.safetensors PEER.json  ->  {"image_cosine_min": ..., "text_cosine_min": ...}
"""
import json, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import torch
from torch_clip import load_safetensors

ours = load_safetensors(sys.argv[1])
peer = json.load(open(sys.argv[2]))
out = {}
for key, n in (("image_features", peer["images"]), ("text_features", peer["texts"])):
    a = ours[key]
    b = torch.tensor(peer[key], dtype=torch.float32).reshape(n, -1)
    cos = torch.nn.functional.cosine_similarity(a.double(), b.double(), dim=1)
    out[key.split("_")[0] + "_cosine_min"] = cos.min().item()
print(json.dumps(out))
