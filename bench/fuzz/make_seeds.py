#!/usr/bin/env python3
"""Writes the small checkpoint seeds of the fuzz harness (bench/fuzz/seeds/): torch.save zips with the
layouts the readers must handle (fp32/fp16/int64, views with offsets and strides, shared storages,
nested dicts, OrderedDict metadata), a TorchScript archive of a tiny module, and safetensors files.
Deterministic: fixed values, no randomness. Run with the Debian torch: /usr/bin/python3 make_seeds.py"""
import collections, json, os, struct
import torch

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
os.makedirs(out, exist_ok=True)

def ramp(*shape, dtype=torch.float32):
    n = 1
    for s in shape: n *= s
    return (torch.arange(n, dtype=torch.float64) * 0.25 - 3).reshape(*shape).to(dtype)

base = ramp(6, 8)
sd = collections.OrderedDict()
sd["visual.proj"] = ramp(8, 4)
sd["text_projection"] = ramp(4, 4).t()              # transposed: non-contiguous strides
sd["logit_scale"] = torch.tensor(4.6052)
sd["ln_final.weight"] = ramp(4, dtype=torch.float16)
sd["positional_embedding"] = base[1:4]               # view with a storage offset
sd["token_embedding.weight"] = base[:, ::2]          # strided view, shared storage
sd["bn.num_batches_tracked"] = torch.tensor(7, dtype=torch.int64)
sd["conv1.weight"] = ramp(2, 3, 2, 2, dtype=torch.bfloat16)
torch.save(sd, os.path.join(out, "small_state_dict.pt"))
torch.save({"state_dict": sd, "epoch": 3, "name": "seed"}, os.path.join(out, "nested.pt"))
torch.save({"model": {"w": ramp(3, 3), "b": ramp(3)}, "optimizer": {"lr": 1e-3, "betas": (0.9, 0.98)}},
           os.path.join(out, "with_optimizer.pt"))

class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(4, 3)
        self.ln = torch.nn.LayerNorm(3)
        with torch.no_grad():
            self.proj.weight.copy_(ramp(3, 4)); self.proj.bias.copy_(ramp(3)); self.ln.weight.copy_(ramp(3))
        self.register_buffer("scale", torch.tensor([2.0]))
    def forward(self, x):
        return self.ln(self.proj(x)) * self.scale

torch.jit.save(torch.jit.script(Tiny()), os.path.join(out, "tiny_jit.pt"))

def safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata: header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw); offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for b in blobs: f.write(b)

f32 = lambda t: t.contiguous().numpy().astype("<f4").tobytes()
safetensors(os.path.join(out, "small.safetensors"), {
    "visual.proj": ("F32", [8, 4], f32(ramp(8, 4))),
    "logit_scale": ("F32", [], f32(torch.tensor(4.6))),
    "ln.weight": ("F16", [4], ramp(4, dtype=torch.float16).numpy().tobytes()),
    "ids": ("I64", [3], struct.pack("<3q", 1, 2, 3)),
    "empty": ("F32", [0, 4], b""),
}, {"format": "pt"})
for name in sorted(os.listdir(out)):
    print(name, os.path.getsize(os.path.join(out, name)))
