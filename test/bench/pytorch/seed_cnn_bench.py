#!/usr/bin/python3
"""Training throughput of the seed CNN in PyTorch on the CPU, the reference for `npm run bench:train`.

Same model as Pictor's buildSeedCnn (Conv32-Pool-Conv64-Pool-Conv64-Flatten-Dense64-Dense, 3x3 'valid'
convolutions, 2x2 max pools, ReLU), same optimizer (Adam, lr 1e-3, eps 1e-7 as tfjs' default), same
batch, random inputs. Each step also reads the loss and the number of correct predictions back, as
Pictor's training loop does. Prints one JSON object on stdout; {"skipped": reason} when torch is missing.

  /usr/bin/python3 seed_cnn_bench.py --configs 1:nchw,2:nchw,1:channels_last --steps 30 --warmup 5 --profile 1
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    from torch import nn
except ImportError as error:  # python3-torch not installed
    print(json.dumps({"skipped": f"PyTorch is not importable ({error}); apt-get install -y python3-torch"}))
    sys.exit(0)

from torch_build import blas  # noqa: E402 (after the import check above)


def seed_cnn(channels: int, size: int, classes: int) -> nn.Module:
    side = ((size - 2) // 2 - 2) // 2 - 2
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU(),
        nn.Flatten(), nn.Linear(64 * side * side, 64), nn.ReLU(), nn.Linear(64, classes),
    )


def setup(args, layout: str):
    torch.manual_seed(0)
    model = seed_cnn(args.channels, args.size, args.classes)
    x = torch.rand(args.batch, args.channels, args.size, args.size)
    y = torch.randint(0, args.classes, (args.batch,))
    if layout == "channels_last":
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    return model, optimizer, nn.CrossEntropyLoss(), x, y


def step(model, optimizer, loss_fn, x, y):
    """One training step; returns (forward, backward, optimizer) seconds."""
    t0 = time.perf_counter()
    optimizer.zero_grad(set_to_none=True)
    logits = model(x)
    loss = loss_fn(logits, y)
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    optimizer.step()
    loss.item()
    int((logits.argmax(1) == y).sum())
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def measure(args, threads: int, layout: str) -> dict:
    torch.set_num_threads(threads)
    model, optimizer, loss_fn, x, y = setup(args, layout)
    timings = []
    for i in range(args.warmup + args.steps):
        phases = step(model, optimizer, loss_fn, x, y)
        if i >= args.warmup:
            timings.append(phases)
    totals = [sum(t) * 1000 for t in timings]
    med = statistics.median(totals)
    return {
        "threads": threads,
        "layout": layout,
        "steps": args.steps,
        "stepMs": [round(t, 2) for t in totals],
        "medianStepMs": round(med, 2),
        "imagesPerSecond": round(args.batch * 1000 / med, 1),
        "phasesMs": {
            name: round(statistics.median(t[k] for t in timings) * 1000, 2)
            for k, name in enumerate(("forward", "backward", "optimizer"))
        },
    }


def profile(args, threads: int, steps: int = 5) -> list:
    """Self CPU time per operator, ms per step, top 15."""
    torch.set_num_threads(threads)
    model, optimizer, loss_fn, x, y = setup(args, "nchw")
    for _ in range(args.warmup):
        step(model, optimizer, loss_fn, x, y)
    with torch.autograd.profiler.profile() as prof:
        for _ in range(steps):
            step(model, optimizer, loss_fn, x, y)
    rows = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)[:15]
    return [
        {"name": e.key, "calls": e.count // steps, "selfMs": round(e.self_cpu_time_total / 1000 / steps, 2)}
        for e in rows
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--configs", default="2:nchw", help="threads:layout,… (layout nchw or channels_last)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--profile", type=int, metavar="THREADS", help="also profile operators with this many threads")
    args = parser.parse_args()
    started = time.perf_counter()
    results = []
    for config in args.configs.split(","):
        threads, layout = config.split(":")
        results.append(measure(args, int(threads), layout))
    out = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "mkldnn": torch.backends.mkldnn.is_available(),
        "blas": blas(),
        "batch": args.batch,
        "results": results,
    }
    if args.profile:
        out["profile"] = profile(args, args.profile)
    out["wallSeconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
