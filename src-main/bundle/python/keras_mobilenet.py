"""MobileNetV2 with Pictor's ImageNet weights, in PyTorch.

Pictor's backbone is Keras' MobileNetV2 (1.0, 224) as a TF.js layers model; this bundle holds a copy of
its weights (weights/model.json + shards). torchvision's mobilenet_v2 is the same network with two
differences that change its output, so both are undone here:
  * Keras pads stride-2 convolutions asymmetrically (TensorFlow's "same": the extra row and column go at
    the bottom and right); torchvision pads one pixel on every side. Stride-2 convolutions here get
    padding 0 and a TensorFlow-"same" pad in front of them.
  * Keras' batch norm uses epsilon 1e-3; torchvision's 1e-5.
Kernels are transposed from Keras' HWIO (depthwise: HW C 1) to PyTorch's OIHW (depthwise: C 1 HW).
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import mobilenet_v2

KERAS_BN_EPSILON = 1e-3
FEATURE_SIZE = 1280


class TensorFlowSamePad(nn.Module):
    """Pads the way TensorFlow's padding='same' does for a strided convolution: the odd pixel goes last."""

    def __init__(self, kernel_size, stride):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride

    def forward(self, x):
        pads = []
        for size in (x.shape[-1], x.shape[-2]):  # F.pad takes the last dimension first
            total = max((math.ceil(size / self.stride) - 1) * self.stride + self.kernel_size - size, 0)
            pads += [total // 2, total - total // 2]
        return F.pad(x, pads)


def read_tfjs_weights(folder):
    """The named float32 tensors of a TF.js layers model (model.json + binary shards), as numpy arrays."""
    with open(os.path.join(folder, "model.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)["weightsManifest"]
    tensors = {}
    for group in manifest:
        data = b"".join(open(os.path.join(folder, path), "rb").read() for path in group["paths"])
        offset = 0
        for spec in group["weights"]:
            if spec.get("dtype", "float32") != "float32" or "quantization" in spec:
                raise ValueError(f"{spec['name']}: only float32 weights are supported")
            count = int(np.prod(spec["shape"])) if spec["shape"] else 1
            tensors[spec["name"]] = np.frombuffer(data, dtype="<f4", count=count, offset=offset).reshape(spec["shape"])
            offset += count * 4
        if offset != len(data):
            raise ValueError(f"{folder}: the shards hold {len(data)} bytes but the manifest describes {offset}")
    return tensors


def _keras_layer_names():
    """(torchvision features index, Keras prefix) for every block, in order."""
    yield 0, "Conv1", "bn_Conv1"
    yield 1, "expanded_conv", None
    for block in range(1, 17):
        yield block + 1, f"block_{block}", None
    yield 18, "Conv_1", "Conv_1_bn"


def _copy_conv(conv, kernel, depthwise=False):
    weight = kernel.transpose(2, 3, 0, 1) if depthwise else kernel.transpose(3, 2, 0, 1)
    if tuple(conv.weight.shape) != weight.shape:
        raise ValueError(f"kernel shape {weight.shape} does not fit {tuple(conv.weight.shape)}")
    conv.weight.data.copy_(torch.from_numpy(np.ascontiguousarray(weight)))


def _copy_bn(bn, tensors, name):
    bn.weight.data.copy_(torch.from_numpy(tensors[f"{name}/gamma"].copy()))
    bn.bias.data.copy_(torch.from_numpy(tensors[f"{name}/beta"].copy()))
    bn.running_mean.copy_(torch.from_numpy(tensors[f"{name}/moving_mean"].copy()))
    bn.running_var.copy_(torch.from_numpy(tensors[f"{name}/moving_variance"].copy()))
    bn.eps = KERAS_BN_EPSILON


def _pad_strided(sequential_index_owner, index):
    """Replaces owner[index] (a stride-2 3x3 conv, or a Conv-BN-ReLU6 whose conv is one) with pad + conv(padding=0)."""
    conv = sequential_index_owner[index]
    conv.padding = (0, 0)
    sequential_index_owner[index] = nn.Sequential(TensorFlowSamePad(conv.kernel_size[0], conv.stride[0]), conv)


def build_backbone(weights_folder):
    """torchvision's mobilenet_v2 features, Keras-exact, with the bundle's ImageNet weights (NCHW in, [n, 1280, h/32, w/32] out)."""
    tensors = read_tfjs_weights(weights_folder)
    used = set()

    def take(name):
        used.add(name)
        return tensors[name]

    features = mobilenet_v2(weights=None).features
    for index, prefix, bn_name in _keras_layer_names():
        module = features[index]
        if index in (0, 18):
            _copy_conv(module[0], take(f"{prefix}/kernel"))
            for suffix in ("gamma", "beta", "moving_mean", "moving_variance"):
                used.add(f"{bn_name}/{suffix}")
            _copy_bn(module[1], tensors, bn_name)
            continue
        layers = list(module.conv)
        if index == 1:  # no expansion: depthwise Conv-BN-ReLU6, project conv, project BN
            depthwise, project, project_bn = layers
        else:
            expand, depthwise, project, project_bn = layers
            _copy_conv(expand[0], take(f"{prefix}_expand/kernel"))
            _copy_bn(expand[1], tensors, f"{prefix}_expand_BN")
            used.update(f"{prefix}_expand_BN/{s}" for s in ("gamma", "beta", "moving_mean", "moving_variance"))
        dw_name = f"{prefix}_depthwise"
        _copy_conv(depthwise[0], take(f"{dw_name}/depthwise_kernel"), depthwise=True)
        _copy_bn(depthwise[1], tensors, f"{dw_name}_BN")
        _copy_conv(project, take(f"{prefix}_project/kernel"))
        _copy_bn(project_bn, tensors, f"{prefix}_project_BN")
        used.update(f"{n}/{s}" for n in (f"{dw_name}_BN", f"{prefix}_project_BN") for s in ("gamma", "beta", "moving_mean", "moving_variance"))
    missing = set(tensors) - used
    if missing:
        raise ValueError(f"weights not placed in the network: {sorted(missing)[:5]}")
    # TensorFlow-"same" padding in front of every stride-2 convolution (after the weights are in place).
    _pad_strided(features[0], 0)
    for index in range(1, 18):
        depthwise = features[index].conv[0 if index == 1 else 1]
        if depthwise[0].stride[0] == 2:
            _pad_strided(depthwise, 0)
    return features


class Classifier(nn.Module):
    """Backbone → global average pooling → dropout → linear: the same shape as Pictor's MobileNetV2 head."""

    def __init__(self, backbone, classes, dropout=0.0):
        super().__init__()
        self.backbone = backbone
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(FEATURE_SIZE, classes)

    def features(self, x):
        return self.backbone(x).mean(dim=(2, 3))

    def forward(self, x):
        return self.head(self.dropout(self.features(x)))


class NhwcProbabilities(nn.Module):
    """What Pictor's exported models take and answer: NHWC float32 input, softmax probabilities out."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, x):
        return torch.softmax(self.classifier(x.permute(0, 3, 1, 2)), dim=1)
