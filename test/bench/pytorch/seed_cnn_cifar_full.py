#!/usr/bin/python3
"""The seed's CIFAR-10 experiment in PyTorch, on the very files and split lists `pictor train` used:
the reference of `npm run bench:train` part cifar-full (test/bench/train-bench-cifar-full.ts).

Model, initialisation, optimizer and scaling as seed_cnn_cifar.py (the seed CNN, Glorot-uniform kernels
and zero biases as Keras, Adam lr 1e-3 eps 1e-7, byte / 255, batch 64, a new shuffle each epoch, the last
epoch's weights tested). What this script adds:
  - the split comes from list files (train.txt, val.txt, test.txt: "<class>\t<path under --root>"), written
    once by the benchmark, so both sides train, validate and test on exactly the same images;
  - --augment JSON applies Pictor's augmentation (src-main/training/data/augment.ts) to every training
    batch, with the same semantics: uniform draws in [-r, r] for rotation (degrees), shifts (fractions of
    the side) and zoom (one scale for both axes), a left-right flip half the time, a brightness factor;
    one affine map per image about the image centre, bilinear sampling with coordinates clamped to the
    edge (Keras' fill_mode 'nearest'), brightness folded in, rounded once to 8 bits, then / 255.
    The random draws are PyTorch's own, not Pictor's mulberry32 streams: same distributions, other numbers.

Per-epoch lines go to stderr; one JSON object goes to stdout ({"skipped": reason} without torch or PIL).

  /usr/bin/python3 seed_cnn_cifar_full.py --root CIFAR_ROOT --lists DIR --epochs 20 --threads 2 \
      [--augment '{"rotation":15,"widthShift":0.1,"heightShift":0.1,"horizontalFlip":true}']
"""
import argparse
import json
import math
import os
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
    from PIL import Image
    from torch import nn
except ImportError as error:  # python3-torch / python3-pil not installed
    print(json.dumps({"skipped": f"PyTorch or PIL is not importable ({error}); apt-get install -y python3-torch python3-pil"}))
    sys.exit(0)

from seed_cnn_bench import seed_cnn
from seed_cnn_cifar import accuracy, keras_init, train_epochs
from torch_build import blas


def read_list(lists: str, split: str):
    """[(class name, path under the root)] of one split, in the list's order."""
    with open(os.path.join(lists, f"{split}.txt"), encoding="utf-8") as handle:
        return [tuple(line.rstrip("\n").split("\t", 1)) for line in handle if line.strip()]


def load(root: str, entries, classes: list, size: int):
    """uint8 images [n, 3, size, size] and class indices [n]."""
    index = {name: i for i, name in enumerate(classes)}
    images = np.empty((len(entries), 3, size, size), dtype=np.uint8)
    for i, (_, path) in enumerate(entries):
        with Image.open(os.path.join(root, path)) as image:
            image = image.convert("RGB")
            if image.size != (size, size):
                image = image.resize((size, size), Image.BILINEAR)
            images[i] = np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)
    return torch.from_numpy(images), torch.tensor([index[name] for name, _ in entries], dtype=torch.long)


def draw_augmentation(options: dict, b: int, w: int, h: int, generator: torch.Generator) -> dict:
    """b draws of Pictor's sampleAugmentation (rotation in degrees, shifts in pixels), as float64 tensors."""
    def uniform() -> torch.Tensor:
        return torch.rand(b, generator=generator, dtype=torch.float64)

    def symmetric(limit: float) -> torch.Tensor:
        return (uniform() * 2 - 1) * limit

    return {
        "rotation": symmetric(options.get("rotation", 0)),
        "shiftX": symmetric(options.get("widthShift", 0)) * w,
        "shiftY": symmetric(options.get("heightShift", 0)) * h,
        "zoom": 1 + symmetric(options.get("zoom", 0)),
        "flip": (uniform() < 0.5) & bool(options.get("horizontalFlip", False)),
        "brightness": 1 + symmetric(options.get("brightness", 0)),
    }


def apply_augmentation(x: torch.Tensor, params: dict) -> torch.Tensor:
    """Pictor's applyAugmentation on a float batch [b, c, h, w] of byte values; returns byte values (rounded)."""
    b, _, h, w = x.shape
    # Pictor's inverse map in pixels: source = c + R(x - c - shift) / zoom, x mirrored about the centre when
    # flipping; in align_corners coordinates (u = (x - cx) / cx) that is this theta.
    angle = params["rotation"] * math.pi / 180
    cos, sin = torch.cos(angle) / params["zoom"], torch.sin(angle) / params["zoom"]
    f = 1 - 2 * params["flip"].double()
    shift_x, shift_y = params["shiftX"], params["shiftY"]
    cx, cy = (w - 1) / 2, (h - 1) / 2
    theta = torch.stack([
        torch.stack([f * cos, -f * sin * cy / cx, f * (-cos * shift_x + sin * shift_y) / cx], 1),
        torch.stack([sin * cx / cy, cos, (-sin * shift_x - cos * shift_y) / cy], 1),
    ], 1).float()
    grid = F.affine_grid(theta, list(x.shape), align_corners=True)
    warped = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)
    return torch.floor(warped * params["brightness"].float().view(b, 1, 1, 1) + 0.5).clamp_(max=255)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True, help="the extracted cifar10_jpg folder the lists' paths are under")
    parser.add_argument("--lists", required=True, help="folder with train.txt, val.txt, test.txt")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--augment", default="", help="Pictor's AugmentOptions as JSON; empty: none")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    options = json.loads(args.augment) if args.augment else None

    entries = {split: read_list(args.lists, split) for split in ("train", "val", "test")}
    classes = sorted({name for name, _ in entries["train"]})
    started = time.perf_counter()
    splits = {split: load(args.root, entries[split], classes, args.size) for split in entries}
    decode_seconds = time.perf_counter() - started
    x_train, y_train = splits["train"]

    model = seed_cnn(3, args.size, len(classes))
    keras_init(model)
    def augment(x: torch.Tensor, rows: int, generator: torch.Generator) -> torch.Tensor:
        return apply_augmentation(x, draw_augmentation(options, rows, args.size, args.size, generator))

    history, train_seconds = train_epochs(model, splits, args, augment if options else None)

    print(json.dumps({
        "torch": torch.__version__,
        "blas": blas(),
        "threads": args.threads,
        "epochs": args.epochs,
        "batch": args.batch,
        "augment": options,
        "counts": {split: len(y) for split, (_, y) in splits.items()},
        "classes": len(classes),
        "decodeSeconds": round(decode_seconds, 1),
        "trainSeconds": round(train_seconds, 1),
        "imagesPerSecond": round(len(y_train) * args.epochs / train_seconds, 1) if train_seconds > 0 else None,
        "valAccuracy": history[-1]["valAccuracy"] if history else None,
        "testAccuracy": accuracy(model, *splits["test"], 256),
        "history": history,
    }))


if __name__ == "__main__":
    main()
