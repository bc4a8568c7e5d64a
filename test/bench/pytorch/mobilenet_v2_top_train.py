#!/usr/bin/python3
"""Stage 2 of MobileNetV2 fine-tuning in PyTorch on the CPU, the reference for `npm run bench:transfer` part 3.

The same computation as Pictor's top model (src-main/transfer/fine-tune/top-model.ts): on cached
block-14 inputs [n, 160, h, w], MobileNetV2's inverted-residual blocks 14, 15, 16 (expand 1×1, depthwise
3×3, project 1×1, residual add for 14 and 15) and Conv_1 (320 → 1280), each conv with a bias and no
batch norm (Pictor folds batch norm into the conv in inference mode, so there is none left to run),
ReLU6, global average pooling, dropout 0.2, a linear layer and softmax cross-entropy. Only the top
--blocks blocks + Conv_1 + the head train (requires_grad off below); Adam; the same batch size.
The activations are read from --activations (float32, row-major NHWC as Pictor caches them) with
--labels (int32 class indices); values and weights do not change the cost, so the weights are torch's
default initialisation. The timed figure is images/s of forward + backward + Adam step over --epochs
full epochs after one warm-up epoch, batches shuffled each epoch, as Pictor's epochs count them
(validation excluded). Prints one JSON object; {"skipped": reason} when torch is missing.

  /usr/bin/python3 mobilenet_v2_top_train.py --activations A.bin --labels L.bin --shape 7,7,160 --classes 10 --blocks 3 --batch 64 --epochs 2 --threads 2
"""
import argparse
import json
import sys
import time

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as error:  # pragma: no cover - reported, not raised
    print(json.dumps({"skipped": f"PyTorch is not installed ({error})"}))
    sys.exit(0)


def block(inp: int, out: int, residual: bool) -> nn.Module:
    hidden = inp * 6

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.expand = nn.Conv2d(inp, hidden, 1, bias=True)
            self.depthwise = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden, bias=True)
            self.project = nn.Conv2d(hidden, out, 1, bias=True)
            self.relu = nn.ReLU6()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.project(self.relu(self.depthwise(self.relu(self.expand(x)))))
            return x + y if residual else y

    return Block()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--activations", required=True)
    parser.add_argument("--labels", required=True)
    parser.add_argument("--shape", required=True, help="h,w,c of one image's activations")
    parser.add_argument("--classes", type=int, required=True)
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lr", type=float, default=5e-5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    h, w, c = (int(v) for v in args.shape.split(","))
    x = np.fromfile(args.activations, dtype=np.float32).reshape(-1, h, w, c)
    labels = torch.from_numpy(np.fromfile(args.labels, dtype=np.int32).astype(np.int64))
    # NHWC as cached → NCHW as torch convolves (converted once, as a reader of the cache would).
    data = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    blocks = [block(160, 160, True), block(160, 160, True), block(160, 320, False)]
    model = nn.Sequential(*blocks, nn.Conv2d(320, 1280, 1, bias=True), nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(1280, args.classes))
    for frozen in blocks[: 3 - args.blocks]:
        for parameter in frozen.parameters():
            parameter.requires_grad_(False)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    n = data.shape[0]

    def epoch() -> float:
        order = torch.randperm(n)
        started = time.perf_counter()
        for start in range(0, n, args.batch):
            rows = order[start:start + args.batch]
            optimizer.zero_grad()
            loss = loss_fn(model(data[rows]), labels[rows])
            loss.backward()
            optimizer.step()
            loss.item()  # read back, as Pictor reads each batch's loss
        return time.perf_counter() - started

    epoch()  # warm-up
    timed = [epoch() for _ in range(args.epochs)]
    print(json.dumps({
        "imagesPerSecond": n * len(timed) / sum(timed),
        "images": n,
        "epochs": len(timed),
        "threads": args.threads,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
