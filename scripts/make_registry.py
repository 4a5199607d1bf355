#!/usr/bin/env python3
"""Write crates/hub/registry.json: every published ImageNet-1k weight of every zoo variant, read
from the pinned torchvision (and timm for Xception) installed by scripts/requirements.txt.

For each weight: URL, file name, the SHA-256 prefix torchvision puts in the file name and checks,
the published file size (MiB, torchvision's `_file_size`), inference preprocessing, published
acc@1/acc@5, parameters and GFLOPs. The 1,000 ImageNet class names are stored once.

Usage: scripts/make_registry.py [--out crates/hub/registry.json]
"""

import argparse
import json
import re
from pathlib import Path

import torchvision
from torchvision.models import get_model_weights

ROOT = Path(__file__).resolve().parent.parent

TORCHVISION = [
    "alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
    "googlenet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2",
    "wide_resnet101_2", "densenet121", "densenet161", "densenet169", "densenet201", "mobilenet_v2",
    "inception_v3", "squeezenet1_0", "squeezenet1_1",
]


def enum_name(name: str) -> str:
    """IMAGENET1K_V2 -> ImageNet1kV2 (the Rust enum variant)."""
    return "ImageNet1k" + name.split("_", 1)[1].title().replace("_", "")


def torchvision_entries(variant: str) -> list[dict]:
    enum = get_model_weights(variant)
    out = []
    for w in enum:
        if w.meta.get("categories") is None:
            # vgg16's IMAGENET1K_FEATURES: a feature extractor without an ImageNet classifier.
            continue
        t = w.transforms()
        file = w.url.rsplit("/", 1)[1]
        metrics = w.meta["_metrics"]["ImageNet-1K"]
        out.append({
            "id": f"{variant}.{w.name}",
            "name": w.name,
            "enum": enum_name(w.name),
            "default": w is enum.DEFAULT,
            "source": f"torchvision {torchvision.__version__}",
            "url": w.url,
            "file": file,
            "sha256_prefix": re.search(r"-([a-f0-9]+)\.", file).group(1),
            "file_size_mib": w.meta["_file_size"],
            "preprocess": {
                "resize": t.resize_size[0], "crop": t.crop_size[0],
                "interpolation": t.interpolation.value, "mean": list(t.mean), "std": list(t.std),
            },
            "acc1": metrics["acc@1"], "acc5": metrics["acc@5"],
            "params": w.meta["num_params"], "gflops": w.meta["_ops"],
            "recipe": w.meta.get("recipe"),
            # torchvision re-normalises GoogLeNet's input inside the model for these weights.
            **({"transform_input": True} if variant == "googlenet" else {}),
        })
    return out


def xception_entries() -> list[dict]:
    import timm

    cfg = timm.models.get_pretrained_cfg("legacy_xception.tf_in1k").to_dict()
    size = cfg["input_size"][-1]
    return [{
        "id": "xception.IMAGENET1K_V1",
        "name": "IMAGENET1K_V1",
        "enum": "ImageNet1kV1",
        "default": True,
        "source": f"timm {timm.__version__} legacy_xception.tf_in1k (Keras weights, Cadene's port)",
        "url": cfg["url"],
        "file": cfg["url"].rsplit("/", 1)[1],
        # timm does not check this file; its name carries no hash torchvision's way either.
        "sha256_prefix": None,
        "file_size_mib": None,
        "preprocess": {
            "resize": int(size / cfg["crop_pct"]), "crop": size,
            "interpolation": cfg["interpolation"], "mean": list(cfg["mean"]), "std": list(cfg["std"]),
        },
        # Not in the timm package; the Keras weights these are ported from publish 0.790 / 0.945
        # (keras-applications' xception.py docstring).
        "acc1": 79.0, "acc5": 94.5,
        "params": 22855952, "gflops": 8.357,
        "recipe": None,
    }]


# timm's published figures for its default weights at their default input, from
# huggingface/pytorch-image-models results/results-imagenet.csv (commit aa4b585, 2026-08-08);
# the package itself does not carry them.
TIMM = {
    # variant: (timm pretrained name, acc@1, acc@5)
    "seresnet50": ("seresnet50.a1_in1k", 80.012, 94.704),
    "seresnext50_32x4d": ("seresnext50_32x4d.racm_in1k", 81.268, 95.624),
    "inception_v4": ("inception_v4.tf_in1k", 80.144, 94.982),
    "inception_resnet_v2": ("inception_resnet_v2.tf_in1k", 80.434, 95.312),
    "legacy_senet154": ("legacy_senet154.in1k", 81.320, 95.502),
}


def timm_entries(variant: str) -> list[dict]:
    """The default published weights of a timm model: its release file (SHA-256 prefix in the
    name, torch.hub's convention) or, without one, the Hugging Face hub's safetensors."""
    import timm
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    name, acc1, acc5 = TIMM[variant]
    cfg = timm.models.get_pretrained_cfg(name).to_dict()
    model = timm.create_model(name.split(".")[0], pretrained=False).eval()
    size = cfg["input_size"][-1]
    with torch.no_grad(), FlopCounterMode(display=False) as flops:
        model(torch.zeros(1, 3, size, size))
    url = cfg.get("url") or f"https://huggingface.co/{cfg['hf_hub_id']}/resolve/main/model.safetensors"
    file = url.rsplit("/", 1)[1]
    prefix = re.search(r"-([a-f0-9]{8,})\.", file)
    return [{
        "id": f"{variant}.IMAGENET1K_V1",
        "name": "IMAGENET1K_V1",
        "enum": "ImageNet1kV1",
        "default": True,
        "source": f"timm {timm.__version__} {name}",
        "url": url,
        "file": file if cfg.get("url") else f"{name}.safetensors",
        "sha256_prefix": prefix.group(1) if prefix else None,
        "file_size_mib": None,
        "preprocess": {
            "resize": int(size / cfg["crop_pct"]), "crop": size,
            "interpolation": cfg["interpolation"], "mean": list(cfg["mean"]), "std": list(cfg["std"]),
        },
        "acc1": acc1, "acc5": acc5,
        "params": sum(p.numel() for p in model.parameters()),
        "gflops": round(flops.get_total_flops() / 2e9, 3),
        "recipe": None,
    }]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "crates" / "hub" / "registry.json")
    args = ap.parse_args()
    models = {v: torchvision_entries(v) for v in TORCHVISION}
    models["xception"] = xception_entries()
    models.update({v: timm_entries(v) for v in TIMM})
    categories = get_model_weights("resnet50").DEFAULT.meta["categories"]
    assert len(categories) == 1000
    doc = {
        "about": "Published ImageNet-1k weights of the burn-zoo variants; written by "
                 "scripts/make_registry.py from the pinned torchvision and timm.",
        "models": models,
        "categories": categories,
    }
    args.out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    n = sum(len(v) for v in models.values())
    print(f"{args.out}: {n} weights of {len(models)} variants")


if __name__ == "__main__":
    main()
