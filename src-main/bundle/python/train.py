"""Fine-tunes MobileNetV2 on this bundle's images with PyTorch, on one process or many (torchrun).

    python3 train.py --max-images 48 --epochs 1          # a smoke test, any machine
    python3 train.py                                     # one process (one GPU, or the CPU)
    torchrun --standalone --nproc_per_node=N train.py    # N GPUs (or N CPU processes) on one machine
    torchrun --nnodes=M --nproc_per_node=N --rdzv-id=pictor --rdzv-backend=c10d \\
             --rdzv-endpoint=HOST:29400 train.py          # M machines

Every training setting in config.json can be given on the command line (--epochs 30, --learning-rate 3e-4,
--no-train-backbone, ...). The run writes to --out (./output): checkpoint.pt after every epoch (a run
started again with the same --out resumes from it), history.json, and at the end model.onnx +
metadata.json, which `pictor runs import --project P output/` brings back into Pictor for review.
"""
import argparse
import copy
import json
import os
import sys
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bundle_data import ImageDataset, augmentation, hold_out, limit, load_splits, read_classes  # noqa: E402
from bundle_export import check_features, check_probabilities, export_onnx  # noqa: E402
from keras_mobilenet import Classifier, build_backbone  # noqa: E402


def number(text):
    """3 → int, 0.3 or 1e-4 → float: a setting written as 0 in config.json still takes 0.25 on the command line."""
    value = float(text)
    return int(value) if value.is_integer() and not any(mark in text.lower() for mark in ".e") else value


def parse_arguments(config):
    """Fixed options, plus one per training setting in config.json, typed by its value there."""
    parser = argparse.ArgumentParser(description="Fine-tune MobileNetV2 on a Pictor bundle (PyTorch, DDP).")
    parser.add_argument("--out", default="output", help="folder for checkpoints and the model (default ./output)")
    parser.add_argument("--max-images", type=int, default=None, help="at most this many images per split (a smoke test)")
    parser.add_argument("--workers", type=int, default=None, help="data loader processes per rank (default 4 on GPU, 0 on CPU)")
    parser.add_argument("--restart", action="store_true", help="ignore a checkpoint in --out and start over")
    parser.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    for key, value in config["training"].items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=value)
        elif isinstance(value, (int, float)):
            parser.add_argument(flag, type=number, default=value, help=f"default {value}")
        elif isinstance(value, str):
            parser.add_argument(flag, default=value, help=f"default {value}")
        else:  # lists, objects and nulls as JSON, e.g. --augmentation null
            parser.add_argument(flag, type=json.loads, default=value, help=f"JSON, default {json.dumps(value)}")
    return parser.parse_args()


class Distributed:
    """Rank, world size and device; a single process when torchrun did not start this one."""

    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        cuda = torch.cuda.is_available()
        self.device = torch.device(f"cuda:{self.local_rank}" if cuda else "cpu")
        if cuda:
            torch.cuda.set_device(self.device)
        else:
            # Processes on one machine share its cores instead of each taking all of them.
            local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
            torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))
        if self.world > 1:
            dist.init_process_group("nccl" if cuda else "gloo")
        self.main = self.rank == 0

    def sum(self, values):
        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        if self.world > 1:
            dist.all_reduce(tensor)
        return tensor.tolist()

    def barrier(self):
        if self.world > 1:
            dist.barrier()

    def close(self):
        if self.world > 1:
            dist.destroy_process_group()


def log(run, message):
    if run.main:
        print(message, flush=True)


def keep_batch_norm_frozen(model):
    """Batch norm stays in inference mode while fine-tuning (Keras' guidance): small batches would wreck its statistics."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.eval()


def make_optimizer(model, settings):
    groups = [{"params": model.head.parameters(), "lr": settings.learning_rate}]
    if settings.train_backbone:
        groups.append({"params": model.backbone.parameters(), "lr": settings.backbone_learning_rate})
    if settings.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=settings.learning_rate, momentum=settings.momentum)
    return torch.optim.Adam(groups, lr=settings.learning_rate, eps=1e-7)


def evaluate(model, dataset, run, batch_size, loss_fn):
    """Loss and accuracy over the whole split, each rank taking every world-th image (exact, no padding)."""
    if len(dataset) == 0:
        return None
    indices = list(range(run.rank, len(dataset), run.world))
    loader = torch.utils.data.DataLoader(torch.utils.data.Subset(dataset, indices), batch_size=batch_size)
    model.eval()
    loss_sum, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(run.device), labels.to(run.device)
            logits = model(images)
            loss_sum += float(loss_fn(logits, labels)) * len(labels)
            correct += int((logits.argmax(1) == labels).sum())
            count += len(labels)
    loss_sum, correct, count = run.sum([loss_sum, correct, count])
    return {"loss": loss_sum / count, "accuracy": correct / count, "images": int(count)}


def save_atomically(state, path):
    temporary = path + ".partial"
    torch.save(state, temporary)
    os.replace(temporary, path)


def main():
    with open(os.path.join(HERE, "config.json"), encoding="utf-8") as handle:
        config = json.load(handle)
    settings = parse_arguments(config)
    run = Distributed()
    torch.manual_seed(settings.seed)
    os.makedirs(settings.out, exist_ok=True)
    checkpoint_path = os.path.join(settings.out, "checkpoint.pt")

    data_dir = os.path.join(HERE, config["data"]["dir"])
    classes = read_classes(data_dir)
    weights_dir = os.path.join(HERE, config["weights"])
    backbone = build_backbone(weights_dir)
    difference = check_features(backbone, HERE, config["check"], weights_dir)
    log(run, f"Backbone matches Pictor's features (largest difference {difference:.2g}).")

    splits = load_splits(data_dir, config["data"]["format"], classes)
    notes = []
    if not splits["val"] and settings.validation_fraction > 0:
        splits["train"], splits["val"] = hold_out(splits["train"], settings.validation_fraction, settings.seed)
        notes.append(f"the bundle has no validation split: {len(splits['val'])} training images are held out for validation")
    splits = {name: limit(samples, settings.max_images, settings.seed) for name, samples in splits.items()}
    if not splits["train"]:
        sys.exit("train.py: the bundle has no training images")
    size = settings.image_size
    train_set = ImageDataset(splits["train"], size, augmentation(settings.augmentation))
    val_set, test_set = ImageDataset(splits["val"], size), ImageDataset(splits["test"], size)
    log(run, f"{len(classes)} classes; {len(train_set)} training, {len(val_set)} validation, {len(test_set)} test images; "
        f"{run.world} process(es) on {run.device.type}.")
    for note in notes:
        log(run, f"Note: {note}.")

    model = Classifier(backbone, len(classes), settings.dropout).to(run.device)
    optimizer = make_optimizer(model, settings)
    amp = run.device.type == "cuda" and not settings.no_amp
    scaler = torch.cuda.amp.GradScaler(enabled=amp)
    weights = torch.tensor(settings.class_weights, dtype=torch.float32, device=run.device) if settings.class_weights else None
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    plain_loss = nn.CrossEntropyLoss()

    state = {"epoch": 0, "history": [], "best_loss": float("inf"), "best_state": None, "stale": 0, "finished": False}
    if os.path.exists(checkpoint_path) and not settings.restart:
        saved = torch.load(checkpoint_path, map_location=run.device)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scaler.load_state_dict(saved["scaler"])
        state = saved["state"]
        log(run, f"Resuming from {checkpoint_path} after epoch {state['epoch']}.")

    sampler = torch.utils.data.DistributedSampler(train_set, num_replicas=run.world, rank=run.rank, shuffle=True, seed=settings.seed)
    workers = settings.workers if settings.workers is not None else (4 if run.device.type == "cuda" else 0)
    loader = torch.utils.data.DataLoader(train_set, batch_size=settings.batch_size, sampler=sampler, num_workers=workers,
                                         pin_memory=run.device.type == "cuda", drop_last=False)
    wrapped, stage = None, None
    while not state["finished"] and state["epoch"] < settings.epochs:
        epoch = state["epoch"]
        # The head alone first, then the backbone too (the Keras transfer-learning recipe): a random head's
        # large gradients would otherwise wreck the pretrained features in the first steps.
        backbone_trains = settings.train_backbone and epoch >= settings.head_epochs
        if stage != backbone_trains:
            if stage is not None:
                log(run, "Fine-tuning the backbone from here on.")
            model.backbone.requires_grad_(backbone_trains)
            # DDP learns which parameters take gradients when it wraps the model, so it wraps it anew per stage.
            wrapped = DistributedDataParallel(model, device_ids=[run.device.index] if run.device.type == "cuda" else None) if run.world > 1 else model
            stage = backbone_trains
        sampler.set_epoch(epoch)
        wrapped.train()
        keep_batch_norm_frozen(model)
        started, loss_sum, correct, count = time.time(), 0.0, 0, 0
        for images, labels in loader:
            images, labels = images.to(run.device, non_blocking=True), labels.to(run.device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device_type="cuda", dtype=torch.float16, enabled=amp):
                logits = wrapped(images)
                loss = loss_fn(logits, labels)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            loss_sum += float(loss) * len(labels)
            correct += int((logits.argmax(1) == labels).sum())
            count += len(labels)
        loss_sum, correct, count = run.sum([loss_sum, correct, count])
        seconds = time.time() - started
        val = evaluate(model, val_set, run, settings.batch_size, plain_loss)
        entry = {"epoch": epoch + 1, "loss": loss_sum / count, "accuracy": correct / count, "seconds": seconds, "imagesPerSecond": count / seconds}
        if val:
            entry.update(valLoss=val["loss"], valAccuracy=val["accuracy"])
        state["history"].append(entry)
        state["epoch"] = epoch + 1
        monitored = val["loss"] if val else entry["loss"]
        if monitored < state["best_loss"]:
            state.update(best_loss=monitored, best_state=copy.deepcopy(model.state_dict()), stale=0)
        else:
            state["stale"] += 1
        if settings.patience and state["stale"] >= settings.patience:
            log(run, f"No validation improvement for {settings.patience} epochs: stopping early.")
            state["finished"] = True
        log(run, f"epoch {epoch + 1}/{settings.epochs}: loss {entry['loss']:.4f}, accuracy {entry['accuracy']:.3f}"
            + (f", val loss {val['loss']:.4f}, val accuracy {val['accuracy']:.3f}" if val else "") + f" ({seconds:.1f} s)")
        if run.main:
            save_atomically({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(), "state": state}, checkpoint_path)
            with open(os.path.join(settings.out, "history.json"), "w", encoding="utf-8") as handle:
                json.dump(state["history"], handle, indent=2)
        run.barrier()

    if state["best_state"] is not None:
        model.load_state_dict(state["best_state"])
    test = evaluate(model, test_set, run, settings.batch_size, plain_loss)
    if test:
        log(run, f"test accuracy {test['accuracy']:.3f} on {test['images']} images")
    if run.main:
        metadata = dict(config["metadata"])
        written = config["training"]["image_size"]
        described = metadata["preprocessing"]["description"].replace(f"{written}x{written}", f"{size}x{size}")
        metadata.update(
            input={**metadata["input"], "height": size, "width": size},
            preprocessing={**metadata["preprocessing"], "description": described, "resize": {**metadata["preprocessing"]["resize"], "width": size, "height": size}},
            createdAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            trainedWith=f"pictor bundle train.py, PyTorch {torch.__version__}, {run.world} process(es) on {run.device.type}",
            epochs=state["history"],
            test=test,
        )
        path, checked = export_onnx(model, size, metadata, settings.out)
        if size == config["training"]["image_size"]:
            check_probabilities(model, HERE, config["check"], settings.out)
        log(run, f"Wrote {path}" + (" (checked with onnx.checker)" if checked else "") + f" and metadata.json. Bring it back: pictor runs import --project P {settings.out}")
    run.barrier()
    run.close()


if __name__ == "__main__":
    main()
