#!/usr/bin/python3
"""The seed CNN trained in PyTorch on the same image folder as `pictor train`: the measured accuracy
reference of `npm run bench:train` (CIFAR-10 and Fashion-MNIST), instead of a figure printed elsewhere.

Same model as Pictor's buildSeedCnn (seed_cnn_bench.seed_cnn: Conv32-Pool-Conv64-Pool-Conv64-Flatten-
Dense64-Dense), initialised as Keras and TF.js do (Glorot-uniform kernels, zero biases), same optimizer
(Adam, lr 1e-3, eps 1e-7 as tfjs' default), same batch, same epochs, inputs scaled as Pictor's seed CNN
(byte / 255), a new shuffle each epoch, no augmentation, no early stopping (the last epoch's weights are
tested, as pictor train does without --patience). The folder is Keras-style: train/<class>/…,
val/<class>/…, test/<class>/… (the benchmark's split folders).

Every file is decoded once with PIL (resized to --size when it is not already, bilinear, aspect ratio not
kept, as Pictor's fit 'fill') before training; that time is reported apart from the training time.
Per-epoch lines go to stderr; one JSON object goes to stdout ({"skipped": reason} without torch or PIL).

  /usr/bin/python3 seed_cnn_cifar.py --folder DIR --epochs 10 --batch 64 --threads 1 [--size 32] [--grayscale]
"""
import argparse
import json
import os
import sys
import time

try:
    import numpy as np
    import torch
    from PIL import Image
    from torch import nn
except ImportError as error:  # python3-torch / python3-pil not installed
    print(json.dumps({"skipped": f"PyTorch or PIL is not importable ({error}); apt-get install -y python3-torch python3-pil"}))
    sys.exit(0)

from seed_cnn_bench import seed_cnn
from torch_build import blas


def load_split(folder: str, split: str, classes: list, size: int, grayscale: bool):
    """uint8 images [n, channels, size, size] and class indices [n] of one split (empty when the split is absent)."""
    images, labels = [], []
    for index, name in enumerate(classes):
        directory = os.path.join(folder, split, name)
        if not os.path.isdir(directory):
            continue
        for file in sorted(os.listdir(directory)):
            with Image.open(os.path.join(directory, file)) as image:
                image = image.convert("L" if grayscale else "RGB")
                if image.size != (size, size):
                    image = image.resize((size, size), Image.BILINEAR)
                pixels = np.asarray(image, dtype=np.uint8)
            images.append(pixels[None] if grayscale else pixels.transpose(2, 0, 1))
            labels.append(index)
    channels = 1 if grayscale else 3
    x = torch.from_numpy(np.stack(images)) if images else torch.zeros((0, channels, size, size), dtype=torch.uint8)
    return x, torch.tensor(labels, dtype=torch.long)


def keras_init(model: nn.Module) -> None:
    """Glorot-uniform kernels and zero biases, as Keras / TF.js layers start."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int):
    if len(y) == 0:
        return None
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(y), batch):
            logits = model(x[start:start + batch].float() / 255)
            correct += int((logits.argmax(1) == y[start:start + batch]).sum())
    model.train()
    return correct / len(y)


def train_epochs(model: nn.Module, splits: dict, args, augment=None):
    """The seed's training: Adam (Keras' epsilon), cross-entropy, shuffled batches, x/255, validation after
    each epoch (printed on stderr). `augment(x, rows, generator)`, when given, transforms each batch's 0-255
    pixels first, drawing from the same generator as the shuffle. Returns (history, training seconds)."""
    x_train, y_train = splits["train"]
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(args.seed)
    history = []
    train_seconds = 0.0
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        order = torch.randperm(len(y_train), generator=generator)
        total_loss, correct = 0.0, 0
        for start in range(0, len(order), args.batch):
            index = order[start:start + args.batch]
            x = x_train[index].float()
            if augment:
                x = augment(x, len(index), generator)
            y = y_train[index]
            optimizer.zero_grad(set_to_none=True)
            logits = model(x / 255)
            loss = loss_fn(logits, y)
            loss.backward()
            optimizer.step()
            total_loss += float(loss) * len(y)
            correct += int((logits.argmax(1) == y).sum())
        seconds = time.perf_counter() - t0
        train_seconds += seconds
        val = accuracy(model, *splits["val"], 256)
        entry = {"epoch": epoch, "loss": round(total_loss / len(y_train), 4), "accuracy": round(correct / len(y_train), 4),
                 "valAccuracy": None if val is None else round(val, 4), "seconds": round(seconds, 1)}
        history.append(entry)
        print(f"    PyTorch epoch {epoch + 1}: loss {entry['loss']:.3f}, acc {entry['accuracy'] * 100:.1f}%, "
              f"val acc {'—' if val is None else f'{val * 100:.1f}%'}, {len(y_train) / seconds:.0f} images/s, {seconds:.1f} s", file=sys.stderr, flush=True)
    return history, train_seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folder", required=True)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--grayscale", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    classes = sorted(e.name for e in os.scandir(os.path.join(args.folder, "train")) if e.is_dir())
    started = time.perf_counter()
    splits = {split: load_split(args.folder, split, classes, args.size, args.grayscale) for split in ("train", "val", "test")}
    decode_seconds = time.perf_counter() - started
    x_train, y_train = splits["train"]

    model = seed_cnn(1 if args.grayscale else 3, args.size, len(classes))
    keras_init(model)
    history, train_seconds = train_epochs(model, splits, args)

    print(json.dumps({
        "torch": torch.__version__,
        "blas": blas(),
        "threads": args.threads,
        "epochs": args.epochs,
        "batch": args.batch,
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
