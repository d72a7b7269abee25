#!/usr/bin/python3
"""The PyTorch side of bench/siglip/run.sh: a SigLIP-B/16-224-shaped model with random (seeded) weights, built with
tests/reference/siglip_ref.py's modules (transformers' modeling_siglip.py, line by line), written in the Hugging
Face layout for ClipSharp to load, then timed: images/s and texts/s (torch.no_grad, float32, best of --rounds).
The pixels and token ids it times, and its embeddings of them, are saved too, so the C# side checks it computes
the same model before timing it.

  torch_side.py make OUTDIR          writes OUTDIR/model (HF layout) and OUTDIR/inputs.safetensors
  torch_side.py time OUTDIR --threads T --rounds R --images N --texts M
"""
import argparse, json, os, shutil, sys, time
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
import siglip_ref as ref  # noqa: E402

# google/siglip-base-patch16-224's shape (config.json of the published checkpoint): 768 wide, 12 layers, 12 heads,
# MLP 3072, 196 patches of 16 px; text 32,000 tokens, 64 positions.
TEXT = {**ref.TEXT, "hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12, "num_hidden_layers": 12,
        "vocab_size": 32000, "max_position_embeddings": 64, "projection_size": 768}
VISION = {**ref.VISION_FIXRES, "hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
          "num_hidden_layers": 12, "image_size": 224, "patch_size": 16}
CONFIG = {"architectures": ["SiglipModel"], "model_type": "siglip", "text_config": {**TEXT, "model_type": "siglip_text_model"},
          "vision_config": {**VISION, "model_type": "siglip_vision_model"}, "torch_dtype": "float32"}
PREPROCESSOR = {"do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": ref.MEAN, "image_std": ref.STD,
                "image_processor_type": "SiglipImageProcessor", "processor_class": "SiglipProcessor", "resample": 3,
                "rescale_factor": 1 / 255, "size": {"height": 224, "width": 224}}


def build():
    torch.manual_seed(0)
    model = ref.SiglipModel(CONFIG, naflex=False)
    ref.randomise(model, seed=11)
    return model.eval()


def make(outdir):
    model = build()
    mdir = os.path.join(outdir, "model")
    ref.write_model(mdir, model, CONFIG, PREPROCESSOR)
    fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "ClipSharp.Tests", "data", "siglip", "siglip-fixres")
    for f in ["spiece.model", "tokenizer_config.json"]:  # a tokenizer for the loader; the bench feeds token ids
        shutil.copy(os.path.join(fixture, f), mdir)
    gen = torch.Generator().manual_seed(5)
    pixels = torch.rand((4, 3, 224, 224), generator=gen) * 2 - 1
    ids = torch.randint(3, TEXT["vocab_size"], (4, 64), generator=gen, dtype=torch.int64)
    torch.set_num_threads(1)
    with torch.no_grad():
        img = model.get_image_features(pixels)
        txt = model.get_text_features(ids)
    ref.save_safetensors(os.path.join(outdir, "inputs.safetensors"),
                         {"pixel_values": pixels, "input_ids": ids.to(torch.int32), "image_embeds": img, "text_embeds": txt})


def best_rate(fn, count, rounds):
    fn()  # warm-up
    best = 0.0
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = max(best, count / (time.perf_counter() - t0))
    return best


def timing(outdir, threads, rounds, images, texts):
    torch.set_num_threads(threads)
    model = build()
    gen = torch.Generator().manual_seed(6)
    pixels = torch.rand((images, 3, 224, 224), generator=gen) * 2 - 1
    ids = torch.randint(3, TEXT["vocab_size"], (texts, 64), generator=gen, dtype=torch.int64)
    with torch.no_grad():
        img = best_rate(lambda: model.get_image_features(pixels), images, rounds)
        txt = best_rate(lambda: model.get_text_features(ids), texts, rounds)
    print(json.dumps({"side": "pytorch", "torch": torch.__version__, "threads": threads, "images_per_s": img, "texts_per_s": txt,
                      "image_batch": images, "text_batch": texts}))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["make", "time"])
    p.add_argument("outdir")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--images", type=int, default=16)
    p.add_argument("--texts", type=int, default=64)
    a = p.parse_args()
    make(a.outdir) if a.what == "make" else timing(a.outdir, a.threads, a.rounds, a.images, a.texts)
