#!/usr/bin/python3
"""MobileNetV2 feature extraction in PyTorch on the CPU, the reference for `npm run bench:transfer`.

The same architecture as Pictor's backbone: torchvision's mobilenet_v2 (1.0/224, weights=None)
`features` + adaptive average pooling → 1280 values an image, eval mode, no_grad, 224×224×3 float inputs.
With --weights MODEL_JSON the network gets Pictor's own ImageNet weights (the TF.js layers model's
float32 shards, Keras layer order = torchvision module order; batch-norm epsilon 1e-3 as Keras), so both
sides compute on the same activations. (Checked once by hand: on identical input tensors, with its stride-2
convolutions padded as Keras pads them, (0, 1) instead of torchvision's symmetric 1, this network gives
Pictor's features to within 2e-5. The padding changes values, not cost, so the benchmark keeps
torchvision's architecture as it is.) Without it, the random initialisation's batch norms are first
calibrated on random inputs: uncalibrated, eval mode shrinks activations to ~1e-9 (denormal floats, which
slow the CPU down several-fold and would make PyTorch look slower than it is). Each batch's features are read back into a NumPy array, as
Pictor reads them back from the backend. Prints one JSON object on stdout; {"skipped": reason} when
torch or torchvision is missing.

  /usr/bin/python3 mobilenet_v2_features.py --configs 2:nchw,2:channels_last,1:nchw --batch 32 --warmup 2 --batches 4
  ... --images LIST --loader-workers 4   also the 'end to end' figure: every file named in LIST (one path a
                                         line) decoded + resized + scaled with PIL by a torch DataLoader with
                                         that many worker processes (Pictor's decode parallelism: sharp on
                                         libuv's pool), overlapped with the backbone, in batches, once

Timing, the same way as Pictor's figures: the backbone figure excludes --warmup batches (Pictor warms
its engines up too); the end-to-end figure includes the first batch and excludes loading the model
(Pictor's extractMissingFeatures starts its clock once the model is loaded), and counts the DataLoader
workers' start, as Pictor's decode pool needs none.
"""
import argparse
import json
import statistics
import sys
import time

try:
    import numpy as np
    import torch
    import torchvision
    from torch import nn
except ImportError as error:  # python3-torch / python3-torchvision not installed
    print(json.dumps({"skipped": f"PyTorch is not importable ({error}); apt-get install -y python3-torch python3-torchvision"}))
    sys.exit(0)

from torch_build import blas  # noqa: E402 (after the import check above)

SIZE = 224


class Features(nn.Module):
    """torchvision MobileNetV2's convolutional part + global average pooling: [n, 3, 224, 224] → [n, 1280]."""

    def __init__(self) -> None:
        super().__init__()
        self.features = torchvision.models.mobilenet_v2(weights=None).features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(nn.functional.adaptive_avg_pool2d(self.features(x), 1), 1)


# Keras layer names of MobileNetV2 1.0/224 in network order; each conv is followed by its batch norm.
def keras_layers() -> list:
    names = ["Conv1", "bn_Conv1", "expanded_conv_depthwise", "expanded_conv_depthwise_BN", "expanded_conv_project", "expanded_conv_project_BN"]
    for block in range(1, 17):
        for part in ("expand", "depthwise", "project"):
            names += [f"block_{block}_{part}", f"block_{block}_{part}_BN"]
    return names + ["Conv_1", "Conv_1_bn"]


def load_keras_weights(model: Features, model_json: str) -> None:
    """Copies the TF.js layers model's weights (Keras MobileNetV2, include_top=False) into torchvision's modules."""
    import os

    with open(model_json, encoding="utf8") as handle:
        manifest = json.load(handle)["weightsManifest"]
    data = b"".join(open(os.path.join(os.path.dirname(model_json), path), "rb").read() for group in manifest for path in group["paths"])
    weights, offset = {}, 0
    for spec in (spec for group in manifest for spec in group["weights"]):
        if spec["dtype"] != "float32" or "quantization" in spec:
            raise ValueError(f"{spec['name']}: only plain float32 weights are supported")
        count = int(np.prod(spec["shape"])) if spec["shape"] else 1
        weights[spec["name"]] = np.frombuffer(data, np.float32, count, offset).reshape(spec["shape"])
        offset += count * 4
    modules = [m for m in model.features.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]
    names = keras_layers()
    if len(modules) != len(names):
        raise ValueError(f"{len(modules)} conv/batch-norm modules, {len(names)} Keras layers")
    with torch.no_grad():
        for module, name in zip(modules, names):
            if isinstance(module, nn.Conv2d):
                depthwise = f"{name}/depthwise_kernel" in weights
                kernel = torch.from_numpy(weights[f"{name}/depthwise_kernel" if depthwise else f"{name}/kernel"].copy())
                # HWIO → OIHW; a depthwise kernel [h, w, channels, 1] → [channels, 1, h, w].
                kernel = kernel.permute(2, 3, 0, 1) if depthwise else kernel.permute(3, 2, 0, 1)
                if tuple(kernel.shape) != tuple(module.weight.shape):
                    raise ValueError(f"{name}: shape {tuple(kernel.shape)} ≠ torch {tuple(module.weight.shape)}")
                module.weight.copy_(kernel)
            else:
                for field, key in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"), ("running_var", "moving_variance")):
                    getattr(module, field).copy_(torch.from_numpy(weights[f"{name}/{key}"].copy()))
                module.eps = 1e-3


def calibrate(model: Features) -> None:
    """Running batch-norm statistics from a few random batches (cumulative average), then eval mode."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.rand(8, 3, SIZE, SIZE) * 2 - 1)
    model.eval()


def build(args, layout: str):
    torch.manual_seed(0)
    model = Features()
    if args.weights:
        load_keras_weights(model, args.weights)
    else:
        calibrate(model)
    model = model.eval()
    if layout == "channels_last":
        model = model.to(memory_format=torch.channels_last)
    return model


def to_input(x: torch.Tensor, layout: str) -> torch.Tensor:
    return x.contiguous(memory_format=torch.channels_last) if layout == "channels_last" else x


def backbone(args, threads: int, layout: str) -> dict:
    """Preprocessed tensors only: warm-up batches, then timed batches (forward + read-back), one by one."""
    torch.set_num_threads(threads)
    model = build(args, layout)
    x = to_input(torch.rand(args.batch, 3, SIZE, SIZE) * 2 - 1, layout)
    batch_ms = []
    with torch.no_grad():
        for i in range(args.warmup + args.batches):
            t0 = time.perf_counter()
            features = model(x).numpy().copy()
            if i >= args.warmup:
                batch_ms.append((time.perf_counter() - t0) * 1000)
    med = statistics.median(batch_ms)
    total = sum(batch_ms)
    return {
        "config": f"{threads}:{layout}",
        "threads": threads,
        "layout": layout,
        "batch": args.batch,
        "batches": args.batches,
        "batchMs": [round(t, 1) for t in batch_ms],
        "medianBatchMs": round(med, 1),
        # Images over the whole timed stretch (as Pictor's figure), and at the median batch.
        "imagesPerSecond": round(args.batch * args.batches * 1000 / total, 2),
        "medianImagesPerSecond": round(args.batch * 1000 / med, 2),
        # A sanity figure: ~1e-9 would mean denormal activations (see calibrate).
        "meanAbsFeature": float(np.abs(features).mean()),
    }


def load_image(path: str) -> np.ndarray:
    """RGB, resized to 224×224 (bilinear, aspect ratio not kept, as Pictor's fit 'fill'), x / 127.5 − 1, CHW."""
    from PIL import Image

    with Image.open(path) as image:
        rgb = image.convert("RGB").resize((SIZE, SIZE), Image.BILINEAR)
        return (np.asarray(rgb, dtype=np.float32) / 127.5 - 1.0).transpose(2, 0, 1)


class ImageFiles(torch.utils.data.Dataset):
    """The files of the list, each decoded + resized + scaled by load_image in a DataLoader worker."""

    def __init__(self, paths: list) -> None:
        self.paths = paths

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(load_image(self.paths[index])))


def end_to_end(args, threads: int, layout: str, paths: list) -> dict:
    """Every file once: a DataLoader (args.loader_workers processes) decodes while the backbone runs (threads)."""
    torch.set_num_threads(threads)
    model = build(args, layout)
    workers = args.loader_workers
    loader = torch.utils.data.DataLoader(ImageFiles(paths), batch_size=args.batch, shuffle=False, num_workers=workers)
    batch_ms = []
    wait_ms = []
    with torch.no_grad():
        # The clock starts before the workers do: their start and the first batch are in the figure.
        t0 = time.perf_counter()
        last = t0
        for x in loader:
            t1 = time.perf_counter()
            model(to_input(x, layout)).numpy().copy()
            now = time.perf_counter()
            wait_ms.append((t1 - last) * 1000)
            batch_ms.append((now - last) * 1000)
            last = now
        total = (time.perf_counter() - t0) * 1000
    return {
        "config": f"{threads}:{layout}",
        "threads": threads,
        "loaderWorkers": workers,
        "batch": args.batch,
        "images": len(paths),
        "batches": len(batch_ms),
        "batchMs": [round(t, 1) for t in batch_ms],
        # Time the backbone waited for decoded images (all of it in the first batch: nothing overlaps it).
        "decodeShare": round(sum(wait_ms) / total, 3),
        "imagesPerSecond": round(len(paths) * 1000 / total, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--configs", default="2:nchw", help="threads:layout,… (layout nchw or channels_last)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--weights", help="Pictor's base model.json (TF.js layers, Keras MobileNetV2 no_top): use its weights")
    parser.add_argument("--images", help="file with one image path a line: also measure end to end")
    parser.add_argument("--loader-workers", type=int, default=4, help="DataLoader worker processes of the end-to-end figure")
    args = parser.parse_args()
    configs = []
    for item in args.configs.split(","):
        threads, layout = item.split(":")
        if layout not in ("nchw", "channels_last"):
            parser.error(f"unknown layout {layout}")
        configs.append((int(threads), layout))

    result = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "blas": blas(),
        "params": sum(p.numel() for p in Features().parameters()),
        "weights": "Pictor's ImageNet weights" if args.weights else "random, batch norm calibrated",
        "backbone": [backbone(args, threads, layout) for threads, layout in configs],
    }
    if args.images:
        with open(args.images, encoding="utf8") as handle:
            paths = [line.strip() for line in handle if line.strip()]
        threads, layout = configs[0]
        try:
            result["endToEnd"] = end_to_end(args, threads, layout, paths)
        except ImportError as error:  # PIL missing: the backbone figures still stand
            result["endToEndSkipped"] = f"PIL is not importable ({error})"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
