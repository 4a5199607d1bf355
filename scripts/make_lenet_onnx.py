#!/usr/bin/env python3
"""Writes crates/lenet/tests/data/: a seeded LeNet-5 (the zoo's `lenet5_modern` layout: conv 5x5
pad 2, ReLU, max-pool, conv 5x5, ReLU, max-pool, 400-120-84-10) exported to ONNX by PyTorch's
TorchScript exporter (tensor names `onnx::Conv_…`, weights matched by structure), with a fixed
input batch and the reference logits. Small enough to commit: the fast tier's ONNX test.

Usage: scripts/make_lenet_onnx.py (from the repository root; output committed)."""

import json
import pathlib
import warnings

import torch

OUT = pathlib.Path("crates/lenet/tests/data")


class LeNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = torch.nn.Conv2d(6, 16, 5)
        self.fc1 = torch.nn.Linear(400, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)

    def forward(self, x):
        f = torch.nn.functional
        x = f.max_pool2d(f.relu(self.conv1(x)), 2)
        x = f.max_pool2d(f.relu(self.conv2(x)), 2)
        x = f.relu(self.fc1(x.flatten(1)))
        return self.fc3(f.relu(self.fc2(x)))


@torch.no_grad()
def main():
    warnings.filterwarnings("ignore")
    torch.manual_seed(5)
    model = LeNet().eval()
    x = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(6))
    OUT.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, x[:1], OUT / "lenet5_modern.onnx", dynamo=False)
    (OUT / "input.f32").write_bytes(x.numpy().astype("<f4").tobytes())
    (OUT / "logits.f32").write_bytes(model(x).numpy().astype("<f4").tobytes())
    (OUT / "meta.json").write_text(json.dumps({"torch": torch.__version__, "input": [2, 1, 28, 28]}))
    print("wrote", sorted(p.name for p in OUT.iterdir()))


if __name__ == "__main__":
    main()
