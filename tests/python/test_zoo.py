"""Classic architectures written in PyTorch (and a decoder that resizes), exported by torch.onnx with its defaults
(a dynamic batch, opsets 13 and 17), run by hiedge's engine without edits: each agrees
with PyTorch within 1e-4 on the same inputs. One of them is also served by a real
`hiedge serve` from a Triton-layout repository and answers a device's offloads.

Needs Debian's python3-torch (scripts/setup.sh installs it). Run by ctest (ZooTest)
with PYTHONPATH=<build>/python, HIEDGE_SOURCE_DIR and HIEDGE_BINARY set.
"""
import json
import os
import tempfile
import unittest
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import hiedge
from running_server import running_server

SOURCE = os.environ["HIEDGE_SOURCE_DIR"]
BINARY = os.environ["HIEDGE_BINARY"]
torch.manual_seed(0)
torch.set_num_threads(1)


class Vgg(nn.Module):
    """Conv-BN-ReLU-MaxPool twice, then x.view(x.size(0), -1) into a Linear."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))


class ResNet(nn.Module):
    """A residual block (an Add of two branches), a padded AvgPool2d, adaptive pooling."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.conv_a, self.bn_a = nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.conv_b, self.bn_b = nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.pool = nn.AvgPool2d(3, stride=2, padding=1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = F.relu(self.stem(x))
        y = self.bn_b(self.conv_b(F.relu(self.bn_a(self.conv_a(x)))))
        x = self.pool(F.relu(x + y))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class MobileNet(nn.Module):
    """Strided conv, depthwise conv, pointwise conv, Hardswish, ReLU6, mean pooling."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.Hardswish(),
            nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8), nn.Hardswish(),
            nn.Conv2d(8, 16, 1), nn.BatchNorm2d(16), nn.ReLU6())
        self.head = nn.Sequential(nn.Linear(16, 16), nn.Hardswish(), nn.Dropout(0.2),
                                  nn.Linear(16, 10))

    def forward(self, x):
        return self.head(self.features(x).mean([2, 3]))


class ConvNextHead(nn.Module):
    """A 7x7 conv, a pointwise conv and GELU, then LayerNorm and GELU on the pooled
    features (LayerNorm over the channels of a feature map, ConvNeXt's own, is not
    supported yet: it needs Transpose)."""

    def __init__(self):
        super().__init__()
        self.spatial = nn.Conv2d(1, 8, 7, padding=3)
        self.pointwise = nn.Conv2d(8, 16, 1)
        self.norm = nn.LayerNorm(16)
        self.fc1, self.fc2 = nn.Linear(16, 32), nn.Linear(32, 10)

    def forward(self, x):
        x = F.gelu(self.pointwise(self.spatial(x)))
        x = self.norm(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
        return self.fc2(F.gelu(self.fc1(x)))


class Mlp(nn.Module):
    """Flatten and Linear layers with Sigmoid, Tanh and LeakyReLU."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 64), nn.Sigmoid(), nn.Linear(64, 32), nn.Tanh(),
            nn.Linear(32, 32), nn.LeakyReLU(0.1), nn.Linear(32, 10))

    def forward(self, x):
        return self.net(x)


class ReshapeSoftmax(nn.Module):
    """x.reshape(x.shape[0], -1) and a softmax at the end (probabilities out)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4 * 26 * 26, 10)

    def forward(self, x):
        x = F.relu(self.conv(x))
        return F.softmax(self.fc(x.reshape(x.shape[0], -1)), dim=1)


class Upsample(nn.Module):
    """A U-Net-style decoder step: nearest upsampling by 2 and bilinear resizing to a
    size (align_corners False, or True)."""

    def __init__(self, align_corners=False):
        super().__init__()
        self.align_corners = align_corners
        self.down = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.mid = nn.Conv2d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 28 * 28, 10)

    def forward(self, x):
        x = F.interpolate(F.relu(self.down(x)), scale_factor=2, mode="nearest")
        x = F.interpolate(F.relu(self.mid(x)), size=(28, 28), mode="bilinear",
                          align_corners=self.align_corners)
        return self.fc(x.flatten(1))


ZOO = {"vgg": Vgg, "resnet": ResNet, "mobilenet": MobileNet, "convnext_head": ConvNextHead,
       "mlp": Mlp, "reshape_softmax": ReshapeSoftmax, "upsample": Upsample,
       "upsample_align_corners": lambda: Upsample(align_corners=True)}


def export(model, path, opset):
    sample = torch.rand(2, 1, 28, 28)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, sample, path, opset_version=opset, input_names=["input"],
                          output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})


def write_card(onnx_path, name, outputs=""):
    card = {"name": name, "architecture": name, "format": "onnx",
            "weights": os.path.basename(onnx_path), "input_shape": [1, 28, 28],
            "num_classes": 10}
    if outputs:
        card["outputs"] = outputs
    path = onnx_path[: -len(".onnx")] + ".json"
    with open(path, "w") as f:
        json.dump(card, f)
    return path


class ZooTest(unittest.TestCase):
    def test_every_architecture_agrees_with_pytorch_at_opsets_13_and_17(self):
        inputs = torch.rand(7, 1, 28, 28)
        with tempfile.TemporaryDirectory() as work:
            for name, build in ZOO.items():
                model = build().eval()
                with torch.no_grad():
                    for layer in model.modules():  # Non-trivial BatchNorm statistics.
                        if isinstance(layer, nn.BatchNorm2d):
                            layer.running_mean.uniform_(-0.2, 0.2)
                            layer.running_var.uniform_(0.5, 1.5)
                    expected = model(inputs).numpy()
                for opset in (13, 17):
                    with self.subTest(model=name, opset=opset):
                        path = os.path.join(work, f"{name}_{opset}.onnx")
                        export(model, path, opset)
                        probabilities = name == "reshape_softmax"
                        card = write_card(path, name, "probabilities" if probabilities else "")
                        for threads in (1, 2):
                            got = hiedge.load_model(card, threads=threads).infer(inputs.numpy())
                            if probabilities:  # Served as log probabilities.
                                got = np.exp(got)
                            np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)

    def test_an_exported_model_is_served_and_answers_offloads(self):
        model = Vgg().eval()
        images = torch.rand(40, 1, 28, 28)
        with torch.no_grad():
            expected = model(images).numpy().argmax(axis=1)
        with tempfile.TemporaryDirectory() as work:
            version = os.path.join(work, "repo", "torch_vgg", "1")
            os.makedirs(version)
            export(model, os.path.join(version, "model.onnx"), 17)
            with open(os.path.join(work, "repo", "torch_vgg", "config.pbtxt"), "w") as f:
                f.write('platform: "onnxruntime_onnx"\nmax_batch_size: 8\n'
                        'input [ { name: "input", data_type: TYPE_FP32, dims: [ 1, 28, 28 ] } ]\n'
                        'output [ { name: "logits", data_type: TYPE_FP32, dims: [ 10 ] } ]\n')
            serve = ["--model-repository", os.path.join(work, "repo"),
                     "--repository-poll-seconds", "0"]
            with running_server(BINARY, serve, work) as port:
                device = hiedge.Device(os.path.join(SOURCE, "models", "sml.json"),
                                       server=f"127.0.0.1:{port}", theta=2,
                                       remote_model="torch_vgg")
                answers = device.run(images.numpy())
        self.assertTrue(answers["offloaded"].all())
        self.assertFalse(answers["fallback"].any())
        np.testing.assert_array_equal(answers["remote_prediction"], expected)


if __name__ == "__main__":
    unittest.main()
