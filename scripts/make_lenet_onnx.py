#!/usr/bin/env python3
"""Writes crates/lenet/tests/data/: a seeded LeNet-5 (the zoo's `lenet5_modern` layout: conv 5x5
pad 2, ReLU, max-pool, conv 5x5, ReLU, max-pool, 400-120-84-10) exported to ONNX by PyTorch's
TorchScript exporter (tensor names `onnx::Conv_…`, weights matched by structure), with a fixed
input batch and the reference logits. Small enough to commit: the fast tier's ONNX test.

Usage: scripts/make_lenet_onnx.py (from the repository root; output committed)."""

import json
import pathlib
import warnings

import sys

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_peers import LeNet5  # noqa: E402  (the zoo's LeNet-5 layouts in PyTorch)

OUT = pathlib.Path("crates/lenet/tests/data")


@torch.no_grad()
def main():
    warnings.filterwarnings("ignore")
    torch.manual_seed(5)
    model = LeNet5(modern=True).eval()
    x = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(6))
    OUT.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(model, x[:1], OUT / "lenet5_modern.onnx", dynamo=False)
    (OUT / "input.f32").write_bytes(x.numpy().astype("<f4").tobytes())
    (OUT / "logits.f32").write_bytes(model(x).numpy().astype("<f4").tobytes())
    (OUT / "meta.json").write_text(json.dumps({"torch": torch.__version__, "input": [2, 1, 28, 28]}))
    print("wrote", sorted(p.name for p in OUT.iterdir()))


if __name__ == "__main__":
    main()
