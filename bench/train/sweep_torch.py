"""Accuracy against optimiser steps for the Fashion-MNIST recipe (our PyTorch CLIP, tools/torch_clip.py,
initialised as ClipSharp initialises), to learn how many steps a 5-minute run needs: CUDA when present.

  /usr/bin/python3 bench/train/sweep_torch.py DATA_DIR '[{"steps": 250, "sched": "cos", "warmup": 20,
      "lr": 1e-3, "aug": "none", "seed": 0, "init": "cs"}]'

DATA_DIR holds the four Fashion-MNIST idx .gz files and tokens.json (written by bench/train/run.sh).
Prints one JSON line per configuration: zero-shot top-1 on the 10,000 test images (80 templates).
"""
import gzip, json, math, os, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
from torch_clip import Clip

D = sys.argv[1]
dev = "cuda" if torch.cuda.is_available() else "cpu"
MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)


def idx(name):
    raw = gzip.open(os.path.join(D, name + ".gz")).read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def pixels(images):
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1).expand(-1, 3, -1, -1)
    return ((x - MEAN) / STD).contiguous()


def clipsharp_init(model, cfg):
    t = cfg["text_cfg"]; w, L = t["width"], t["layers"]
    nn.init.normal_(model.token_embedding.weight, std=0.02)
    nn.init.normal_(model.positional_embedding, std=0.01)
    for b in model.transformer.resblocks:
        nn.init.normal_(b.attn.in_proj_weight, std=w ** -0.5)
        nn.init.normal_(b.attn.out_proj.weight, std=w ** -0.5 * (2 * L) ** -0.5)
        nn.init.normal_(b.mlp.c_fc.weight, std=(2 * w) ** -0.5)
        nn.init.normal_(b.mlp.c_proj.weight, std=w ** -0.5 * (2 * L) ** -0.5)


cfg = json.load(open(os.path.join(HERE, "..", "..", "configs", "fashion-mnist.json")))
tok = json.load(open(os.path.join(D, "tokens.json")))
captions = torch.tensor(tok["captions"]).to(dev)
zs = captions
xtr = pixels(idx("train-images-idx3-ubyte")).to(dev)
ytr = torch.from_numpy(idx("train-labels-idx1-ubyte").astype(np.int64)).to(dev)
xte = pixels(idx("t10k-images-idx3-ubyte")).to(dev)
yte = torch.from_numpy(idx("t10k-labels-idx1-ubyte").astype(np.int64)).to(dev)
assert (captions[:, :, -1] == 0).all()


def evaluate(model):
    model.eval()
    with torch.no_grad():
        w = F.normalize(model.encode_text(zs.flatten(0, 1)), dim=-1).view(10, -1, cfg["embed_dim"]).mean(1)
        w = F.normalize(w, dim=-1)
        correct = 0
        for s in range(0, len(yte), 2000):
            f = F.normalize(model.visual(xte[s:s + 2000]), dim=-1)
            correct += (f @ w.T).argmax(-1).eq(yte[s:s + 2000]).sum().item()
    model.train()
    return correct / len(yte)


def augment(x, kind, gen):
    if kind == "none":
        return x
    b = x.shape[0]
    if "flip" in kind:
        m = torch.rand(b, device=dev, generator=gen) < 0.5
        x = torch.where(m.view(b, 1, 1, 1), x.flip(-1), x)
    if "rrc" in kind:
        lo = 0.7 if "rrc7" in kind else 0.85
        s = torch.empty(b, device=dev).uniform_(lo, 1.0, generator=gen).sqrt()
        r = torch.exp(torch.empty(b, device=dev).uniform_(math.log(3 / 4), math.log(4 / 3), generator=gen))
        sx, sy = (s * r.sqrt()).clamp(max=1), (s / r.sqrt()).clamp(max=1)
        tx = (torch.rand(b, device=dev, generator=gen) * 2 - 1) * (1 - sx)
        ty = (torch.rand(b, device=dev, generator=gen) * 2 - 1) * (1 - sy)
        theta = torch.zeros(b, 2, 3, device=dev)
        theta[:, 0, 0], theta[:, 0, 2], theta[:, 1, 1], theta[:, 1, 2] = sx, tx, sy, ty
        grid = F.affine_grid(theta, x.shape, align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return x


def run(steps, sched, warmup, lr, aug, seed, init, evals=(), batch=256, wd=0.2, beta2=0.98, sampler="epoch"):
    torch.manual_seed(seed)
    model = Clip(cfg)
    if init == "cs":
        clipsharp_init(model, cfg)
    model.to(dev)
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (decay if p.ndim >= 2 and not any(s in n for s in ("bn", "ln", "bias", "logit_scale")) else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, beta2), eps=1e-6)
    gen = torch.Generator(device=dev).manual_seed(seed)
    accs = {}
    perm, pos = torch.randperm(len(ytr), device=dev, generator=gen), 0
    for step in range(steps):
        if sched == "cos":
            f = (step + 1) / warmup if step < warmup else 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))
        elif sched == "const":
            f = min(1.0, (step + 1) / warmup)
        elif sched == "lin":  # linear decay to 0
            f = (step + 1) / warmup if step < warmup else 1 - (step - warmup) / max(1, steps - warmup)
        for g in opt.param_groups:
            g["lr"] = lr * f
        if pos + batch > len(ytr):
            perm, pos = torch.randperm(len(ytr), device=dev, generator=gen), 0
        i = perm[pos:pos + batch]; pos += batch
        t = torch.randint(0, captions.shape[1], (batch,), device=dev, generator=gen)
        img = F.normalize(model.visual(augment(xtr[i], aug, gen)), dim=-1)
        txt = F.normalize(model.encode_text(captions[ytr[i], t]), dim=-1)
        logits = model.logit_scale.exp() * img @ txt.T
        labels = torch.arange(batch, device=dev)
        loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if step + 1 in evals:
            accs[step + 1] = evaluate(model)
    accs[steps] = evaluate(model)
    return accs, loss.item(), model.logit_scale.exp().item()


if __name__ == "__main__":
    grid = json.loads(sys.argv[2])
    t0 = time.time()
    for cfgrun in grid:
        t1 = time.time()
        accs, loss, scale = run(**cfgrun)
        print(json.dumps({"cfg": cfgrun, "acc": accs, "loss": round(loss, 4), "scale": round(scale, 2), "s": round(time.time() - t1, 1)}), flush=True)
    print("total", time.time() - t0)
