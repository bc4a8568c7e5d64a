"""The bundle's images as PyTorch datasets, preprocessed exactly as Pictor does.

Pictor's preprocessing (its metadata.json says the same in words): EXIF orientation applied, transparency
flattened onto white, RGB, resized to exactly size x size (stretching, no crop; Lanczos), then
x / 127.5 - 1 per byte. The dataset is Pictor's imagefolder export (<split>/metadata.jsonl beside the
images) or its WebDataset tar shards (<split>-NNNNNN.tar); both become one list of samples, so
DistributedSampler shards either the same way.
"""
import glob
import io
import json
import os
import random
import tarfile

import numpy as np
import torch
from PIL import Image, ImageOps
from torchvision import transforms

SPLITS = ("train", "val", "test", "unsplit")


class Sample:
    __slots__ = ("path", "offset", "size", "label")

    def __init__(self, path, label, offset=None, size=None):
        self.path, self.label, self.offset, self.size = path, label, offset, size

    def read(self):
        if self.offset is None:
            with open(self.path, "rb") as handle:
                return handle.read()
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            return handle.read(self.size)


def read_classes(data_dir):
    with open(os.path.join(data_dir, "classes.json"), encoding="utf-8") as handle:
        return json.load(handle)["names"]


def _imagefolder_split(data_dir, split, index_of):
    listing = os.path.join(data_dir, split, "metadata.jsonl")
    if not os.path.exists(listing):
        return []
    samples = []
    with open(listing, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("label") is None:
                continue
            samples.append(Sample(os.path.join(data_dir, split, row["file_name"]), index_of[row["label"]]))
    return samples


def _webdataset_split(data_dir, split):
    """Indexes the split's shards once (headers only) so any rank can read any sample by offset."""
    samples = []
    for shard in sorted(glob.glob(os.path.join(data_dir, f"{split}-[0-9]*.tar"))):
        members = {}
        with tarfile.open(shard) as archive:
            for member in archive:
                key, _, ext = member.name.partition(".")
                members.setdefault(key, {})[ext] = member
            for parts in members.values():
                if "cls" not in parts:
                    continue  # an unlabeled image
                label = int(archive.extractfile(parts["cls"]).read().decode().strip())
                image = next(member for ext, member in parts.items() if ext not in ("cls", "json"))
                samples.append(Sample(shard, label, image.offset_data, image.size))
    return samples


def load_splits(data_dir, data_format, classes):
    index_of = {name: index for index, name in enumerate(classes)}
    read = (lambda split: _webdataset_split(data_dir, split)) if data_format == "webdataset" else (lambda split: _imagefolder_split(data_dir, split, index_of))
    splits = {split: read(split) for split in SPLITS}
    # Labeled images no split was assigned to train when the project had no splits at all.
    if not splits["train"] and splits["unsplit"]:
        splits["train"] = splits["unsplit"]
    return splits


def hold_out(samples, fraction, seed):
    """(kept, held out): about `fraction` of each class held out for validation, drawn with the seed, as Pictor
    does when a project has no validation split; a class with fewer than 2 images keeps them all."""
    by_class = {}
    for sample in samples:
        by_class.setdefault(sample.label, []).append(sample)
    kept, held = [], []
    for label in sorted(by_class):
        members = list(by_class[label])
        random.Random(seed * 1000003 + label).shuffle(members)
        count = int(round(len(members) * fraction)) if len(members) >= 2 else 0
        held += members[:count]
        kept += members[count:]
    return kept, held


def limit(samples, count, seed):
    """At most `count` samples, drawn with the seed (every rank draws the same ones)."""
    if count is None or len(samples) <= count:
        return samples
    chosen = list(samples)
    random.Random(seed).shuffle(chosen)
    return chosen[:count]


def decode_like_pictor(data, size):
    """Bytes of an image file -> size x size RGB PIL image, the way Pictor decodes before scaling."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    if image.mode in ("RGBA", "LA", "P") or "transparency" in image.info:
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    return image.convert("RGB").resize((size, size), Image.LANCZOS)


def to_model_input(image):
    """RGB PIL image -> float32 CHW tensor in [-1, 1] (x / 127.5 - 1)."""
    array = np.asarray(image, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(array.transpose(2, 0, 1).copy())


def augmentation(settings):
    """Pictor's augmentation settings as torchvision transforms on the resized image (None when off)."""
    if not settings:
        return None
    steps = []
    if settings.get("horizontalFlip"):
        steps.append(transforms.RandomHorizontalFlip())
    rotation, zoom = settings.get("rotation", 0), settings.get("zoom", 0)
    shift = (settings.get("widthShift", 0), settings.get("heightShift", 0))
    if rotation or zoom or any(shift):
        steps.append(transforms.RandomAffine(degrees=rotation, translate=shift if any(shift) else None, scale=(1 - zoom, 1 + zoom) if zoom else None))
    if settings.get("brightness"):
        steps.append(transforms.ColorJitter(brightness=settings["brightness"]))
    return transforms.Compose(steps) if steps else None


class ImageDataset(torch.utils.data.Dataset):
    def __init__(self, samples, size, augment=None):
        self.samples, self.size, self.augment = samples, size, augment

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        sample = self.samples[index]
        image = decode_like_pictor(sample.read(), self.size)
        if self.augment is not None:
            image = self.augment(image)
        return to_model_input(image), sample.label
