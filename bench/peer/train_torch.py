#!/usr/bin/env python3
"""PyTorch peer for Fashion-MNIST CLIP training: the same small architecture (configs/fashion-mnist.json),
batch 256, AdamW (lr 1e-3, betas (0.9, 0.98), eps 1e-6, weight decay 0.2 on ≥2-D weights except
norms/biases/logit_scale), captions "a photo of a {class}." with a random OpenAI template, logit_scale
clamped to [0, ln 100]. Trains for SECONDS, then reports samples/s and zero-shot top-1 on the test
split with the 80-template ensemble.

  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/peer/train_torch.py TOKENS.json [SECONDS=300] [THREADS=2]

TOKENS.json is {"captions": [[class][template] padded rows], "zeroshot": [[class][template] rows]},
written by bench/train/run.sh with `clipsharp tokenize` so both sides see identical token ids.
"""
import gzip, json, math, os, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import numpy as np
import torch
import torch.nn.functional as F
from torch_clip import Clip

MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
DATA = "/usr/share/datasets/fashion-mnist"


def idx(name):
    with gzip.open(os.path.join(DATA, name + ".gz")) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def pixels(images):
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1).expand(-1, 3, -1, -1)
    return (x - MEAN) / STD


def main():
    tokens = json.load(open(sys.argv[1]))
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 300
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    torch.manual_seed(0)
    cfg = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "configs", "fashion-mnist.json")))
    model = Clip(cfg)
    captions = torch.tensor(tokens["captions"])          # (classes, templates, 77)
    zs = torch.tensor(tokens["zeroshot"])                # (classes, templates, 77)
    xtr, ytr = pixels(idx("train-images-idx3-ubyte")), torch.from_numpy(idx("train-labels-idx1-ubyte").astype(np.int64))
    xte, yte = pixels(idx("t10k-images-idx3-ubyte")), torch.from_numpy(idx("t10k-labels-idx1-ubyte").astype(np.int64))
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (decay if p.ndim >= 2 and not any(s in n for s in ("bn", "ln", "bias", "logit_scale")) else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.2}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.98), eps=1e-6)
    gen = torch.Generator().manual_seed(0)
    batch, steps, samples, t0 = 256, 0, 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        i = torch.randint(0, len(ytr), (batch,), generator=gen)
        t = torch.randint(0, captions.shape[1], (batch,), generator=gen)
        img = F.normalize(model.visual(xtr[i]), dim=-1)
        txt = F.normalize(model.encode_text(captions[ytr[i], t]), dim=-1)
        logits = model.logit_scale.exp() * img @ txt.T
        labels = torch.arange(batch)
        loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        steps += 1
        samples += batch
        if steps % 20 == 0:
            print(f"step {steps} loss {loss.item():.4f} {samples / (time.perf_counter() - t0):.1f} samples/s", file=sys.stderr)
    elapsed = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        w = F.normalize(model.encode_text(zs.flatten(0, 1)), dim=-1).view(zs.shape[0], zs.shape[1], -1).mean(1)
        w = F.normalize(w, dim=-1)
        correct = 0
        for s in range(0, len(yte), 1000):
            f = F.normalize(model.visual(xte[s:s + 1000]), dim=-1)
            correct += (f @ w.T).argmax(-1).eq(yte[s:s + 1000]).sum().item()
    print(json.dumps({"peer": f"pytorch {torch.__version__}", "steps": steps, "seconds": elapsed,
                      "samples_per_s": samples / elapsed, "final_loss": loss.item(), "zeroshot_top1": correct / len(yte)}))


if __name__ == "__main__":
    main()
