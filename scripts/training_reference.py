#!/usr/bin/env python3
"""Training-step references: three optimizer steps of torchvision's `resnet18` and the CIFAR
`resnet20` (scripts/cifar_models.py) in train mode on one fixed batch, from one set of starting
weights, with SGD (momentum, weight decay) and AdamW, each with every parameter trained and
with the backbone frozen (only the head trains; the backbone's BatchNorms in eval mode and its
parameters without gradients, the usual linear-probe recipe). `tests/training.rs` repeats the
same steps in Burn and compares the losses, the weights and the running statistics. Each case
also records its `sensitivity`: how far PyTorch's own result moves when the starting weights
move by 1e-6 of their scale (see NUDGE).

Writes, per model, OUT/<model>/: init.pth (starting state dict), input.f32 and labels.txt (the
batch), <case>.pth (the state dict after the steps) and meta.json (losses per step and the
hyperparameters), and for the first image of the batch in eval mode: saliency.f32 and
gradcam.f32, and occlusion.f32 (tests/viz.rs). Usage: training_reference.py --out DIR
"""

import argparse
import json
from pathlib import Path

import torch
import torchvision

from cifar_models import CifarResNet

STEPS = 3
SGD = {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4}
ADAMW = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2}
# The frozen backbone's eval-mode features are large: SGD takes a smaller step on the head there
# (at 0.01 ResNet-18's loss grows 3.2 -> 4.0 -> 15.9, where any difference would grow with it).
SGD_FROZEN = {**SGD, "lr": 0.001}
# (builder, head parameter prefix, input shape, last stage)
MODELS = {
    "resnet18": (lambda: torchvision.models.resnet18(num_classes=10), "fc.", (8, 3, 64, 64), "layer4"),
    "resnet20": (lambda: CifarResNet(20, "A"), "linear.", (8, 3, 32, 32), "layer3"),
}
CASES = ("sgd", "adamw", "sgd-frozen", "adamw-frozen")


def start(name: str) -> torch.nn.Module:
    """The architecture with seeded weights and BatchNorms that are not the identity, so that
    a wrong statistic or a wrong update of one shows."""
    build = MODELS[name][0]
    torch.manual_seed(0)
    model = build()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
    return model


def hyper(case: str) -> dict:
    if case.startswith("adamw"):
        return ADAMW
    return SGD_FROZEN if case.endswith("-frozen") else SGD


def attribution(name: str, init: dict, x: torch.Tensor, target: int):
    """Saliency (max over channels of |d score / d input|) and Grad-CAM on the last stage
    (its maps weighted by the spatial mean of their gradient, summed, ReLU) of the model in
    eval mode, for one image and the logit of class `target`."""
    model = start(name)
    model.load_state_dict(init)
    model.eval()
    saved = {}
    stage = getattr(model, MODELS[name][3])
    stage.register_forward_hook(lambda _m, _i, out: saved.update(maps=out) or out.retain_grad())
    x = x.clone().requires_grad_(True)
    model(x)[0, target].backward()
    saliency = x.grad.abs().amax(1)
    maps = saved["maps"]
    cam = torch.relu((maps * maps.grad.mean((2, 3), keepdim=True)).sum(1))
    return saliency.detach(), cam.detach()


# Occlusion (tests/viz.rs): a square of zeros (grey once normalised) of OCCLUSION[name] = (size,
# stride) pixels at each position, the softmax probability of the target class.
OCCLUSION = {"resnet20": (8, 4), "resnet18": (16, 8)}


@torch.no_grad()
def occlusion(name: str, init: dict, x: torch.Tensor, target: int):
    model = start(name)
    model.load_state_dict(init)
    model.eval()
    size, stride = OCCLUSION[name]
    _, _, h, w = x.shape
    batch = []
    for y0 in range(0, h - size + 1, stride):
        for x0 in range(0, w - size + 1, stride):
            o = x.clone()
            o[:, :, y0:y0 + size, x0:x0 + size] = 0
            batch.append(o)
    p = torch.softmax(model(torch.cat(batch)), 1)[:, target]
    rows, cols = (h - size) // stride + 1, (w - size) // stride + 1
    return p.reshape(rows, cols)


def run(name: str, case: str, init: dict, x: torch.Tensor, y: torch.Tensor):
    model = start(name)
    model.load_state_dict(init)
    model.train()
    head = MODELS[name][1]
    if case.endswith("-frozen"):
        for key, p in model.named_parameters():
            p.requires_grad_(key.startswith(head))
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, **hyper(case)) if case.startswith("sgd") else \
        torch.optim.AdamW(params, **hyper(case))
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model.state_dict(), losses


# Float32 implementations differ in the last bits (Burn's logits agree with PyTorch's to about
# 1e-6 of their scale): starting the same steps from weights nudged by that much shows how far
# the trajectory itself moves (a ReLU input near zero can flip sign at the next step).
NUDGE = 1e-6


def relative(a: dict, b: dict) -> float:
    """The largest per-tensor ||a - b|| / ||b|| over floating tensors."""
    return max(((a[k].double() - b[k].double()).norm() / b[k].double().norm().clamp(min=1e-12)).item()
               for k in b if b[k].is_floating_point())


def sensitivity(name: str, case: str, init: dict, x, y, state: dict) -> float:
    """How far the reference moves when its starting weights move by NUDGE (two draws)."""
    gen = torch.Generator().manual_seed(5)
    worst = 0.0
    for _ in range(2):
        nudged = {k: v + NUDGE * v.abs().max() * torch.randn(v.shape, generator=gen)
                  if v.is_floating_point() and "running" not in k else v for k, v in init.items()}
        worst = max(worst, relative(run(name, case, nudged, x, y)[0], state))
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    torch.use_deterministic_algorithms(True)
    for name, (_, head, shape, _) in MODELS.items():
        d = args.out / name
        d.mkdir(parents=True, exist_ok=True)
        init = start(name).state_dict()
        torch.save(init, d / "init.pth")
        gen = torch.Generator().manual_seed(2)
        x = torch.randn(shape, generator=gen)
        y = torch.randint(0, 10, (shape[0],), generator=gen)
        (d / "input.f32").write_bytes(x.numpy().astype("<f4").tobytes())
        (d / "labels.txt").write_text("".join(f"{int(v)}\n" for v in y))
        meta = {"input": list(shape), "steps": STEPS, "head": head.rstrip("."), "cases": {}}
        for case in CASES:
            state, losses = run(name, case, init, x, y)
            torch.save(state, d / f"{case}.pth")
            h = hyper(case)
            meta["cases"][case] = {"lr": h["lr"], "weight_decay": h["weight_decay"], "losses": losses,
                                   "sensitivity": sensitivity(name, case, init, x, y, state),
                                   **({"momentum": h["momentum"]} if "momentum" in h else
                                      {"beta_1": h["betas"][0], "beta_2": h["betas"][1], "eps": h["eps"]})}
            print(f"{name} {case}: losses {', '.join(f'{v:.6f}' for v in losses)}, "
                  f"sensitivity {meta['cases'][case]['sensitivity']:.1e}")
        target = int(y[0])
        saliency, cam = attribution(name, init, x[:1], target)
        (d / "saliency.f32").write_bytes(saliency.numpy().astype("<f4").tobytes())
        (d / "gradcam.f32").write_bytes(cam.numpy().astype("<f4").tobytes())
        meta["attribution"] = {"image": 0, "target": target, "gradcam": list(cam.shape)}
        occluded = occlusion(name, init, x[:1], target)
        (d / "occlusion.f32").write_bytes(occluded.numpy().astype("<f4").tobytes())
        size, stride = OCCLUSION[name]
        meta["occlusion"] = {"size": size, "stride": stride, "shape": list(occluded.shape)}
        (d / "meta.json").write_text(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
