#!/usr/bin/python3
"""A folder of real photographs for the serve load test: scikit-image's sample images (python3-skimage) as they
are, plus crops, flips, rotations and colour shifts of them (seeded), as JPEG and PNG of 200-640 px.
   make_images.py OUT_DIR [COUNT=300]"""
import glob, os, random, sys
from PIL import Image, ImageEnhance, ImageOps
import skimage

out, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300
os.makedirs(out, exist_ok=True)
sources = sorted(glob.glob(os.path.join(skimage.data_dir, "*.png")) + glob.glob(os.path.join(skimage.data_dir, "*.jpg")))
images = []
for path in sources:
    try:
        im = Image.open(path)
        im.load()
    except OSError:
        continue
    if im.width < 64 or im.height < 64: continue
    im = im.convert("RGB")
    images.append((os.path.splitext(os.path.basename(path))[0], im))
    im.save(os.path.join(out, os.path.basename(path).rsplit(".", 1)[0] + ".jpg"), quality=90)
rng = random.Random(19)
for i in range(max(0, count - len(images))):
    name, im = rng.choice(images)
    w, h = im.size
    cw, ch = int(w * rng.uniform(0.5, 1.0)), int(h * rng.uniform(0.5, 1.0))
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    v = im.crop((x, y, x + cw, y + ch))
    if rng.random() < 0.5: v = ImageOps.mirror(v)
    if rng.random() < 0.3: v = v.rotate(rng.choice([90, 180, 270]), expand=True)
    v = ImageEnhance.Color(v).enhance(rng.uniform(0.5, 1.5))
    v = ImageEnhance.Brightness(v).enhance(rng.uniform(0.7, 1.3))
    side = rng.randint(200, 640)
    v.thumbnail((side, side))
    ext = "jpg" if rng.random() < 0.7 else "png"
    v.save(os.path.join(out, f"{name}-{i:04d}.{ext}"), **({"quality": rng.randint(70, 95)} if ext == "jpg" else {}))
print(f"{len(os.listdir(out))} images in {out}")
