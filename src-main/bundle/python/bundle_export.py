"""The two ends of a bundle run: the feature check before training, the ONNX model after it."""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

from bundle_data import to_model_input
from keras_mobilenet import NhwcProbabilities


def check_features(backbone, bundle_dir, check, weights_dir):
    """
    Pictor computed the pooled features of the check images with its own backbone; this network must
    agree before hours of training start from it. The images are already 224x224 PNG, so no resizing
    or JPEG decoder difference enters the comparison: only the network and its weights.
    """
    with open(os.path.join(bundle_dir, check["features"]), encoding="utf-8") as handle:
        expected = np.asarray(json.load(handle), dtype=np.float32)
    images = torch.stack([to_model_input(Image.open(os.path.join(bundle_dir, path)).convert("RGB")) for path in check["images"]])
    was_training = backbone.training
    backbone.eval()
    with torch.no_grad():
        actual = backbone(images).mean(dim=(2, 3)).numpy()
    backbone.train(was_training)
    difference = float(np.abs(actual - expected).max())
    if not np.isfinite(difference) or difference > check["tolerance"]:
        sys.exit(
            f"train.py: the ImageNet backbone does not reproduce Pictor's features (largest difference {difference:.3g}, "
            f"allowed {check['tolerance']}). The weights in {weights_dir} or the PyTorch/torchvision install "
            "differ from what this bundle was written for; training would start from a different network, so it stops here."
        )
    return difference


def check_probabilities(classifier, bundle_dir, check, out_dir):
    """
    The trained model's probabilities for the check images, written as output/check.json: whoever runs
    model.onnx on the same images (Pictor's tests, with ONNX Runtime) can confirm the export computes
    what PyTorch computed.
    """
    images = torch.stack([to_model_input(Image.open(os.path.join(bundle_dir, path)).convert("RGB")) for path in check["images"]])
    classifier.eval()
    with torch.no_grad():
        probabilities = torch.softmax(classifier(images.to(next(classifier.parameters()).device)), dim=1).cpu().tolist()
    with open(os.path.join(out_dir, "check.json"), "w", encoding="utf-8") as handle:
        json.dump({"images": check["images"], "probabilities": probabilities}, handle)


def export_onnx(classifier, image_size, metadata, out_dir):
    """
    model.onnx taking NHWC float32 [n, size, size, 3] and answering softmax probabilities [n, classes], the
    way Pictor's own exports do, plus metadata.json (and the same record in the ONNX metadata_props when the
    onnx package is installed), so `pictor predict --model`, `pictor serve` and `pictor runs import` take it.
    """
    path = os.path.join(out_dir, "model.onnx")
    model = NhwcProbabilities(classifier).eval().cpu()
    example = torch.zeros(1, image_size, image_size, 3)
    torch.onnx.export(
        model,
        example,
        path,
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "n"}, "output": {0: "n"}},
        opset_version=13,
    )
    checked = False
    try:
        import onnx
    except ImportError:
        onnx = None
    if onnx is not None:
        proto = onnx.load(path)
        props = {
            "pictor_metadata": json.dumps(metadata),
            "labels": json.dumps(metadata["labels"]),
            "input": json.dumps(metadata["input"]),
            "preprocessing": json.dumps(metadata["preprocessing"]),
            "run_id": str(metadata["runId"]),
            "model_kind": metadata["modelKind"],
            "pictor_version": metadata["pictorVersion"],
        }
        del proto.metadata_props[:]
        for key, value in props.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.checker.check_model(proto)
        onnx.save(proto, path)
        checked = True
    with open(os.path.join(out_dir, "metadata.json"), "w", encoding="utf-8") as handle:
        json.dump(metadata, handle, indent=2)
        handle.write("\n")
    return path, checked
