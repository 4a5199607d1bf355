"""The transfer experiment of the README, in PyTorch: the same recipe as `zoo finetune`, on the
same images in the same order with the same crops (its SplitMix64 generator is ported below),
the same optimizer and cosine schedule. With --init-out it writes its starting weights (the new
head's, or from scratch the network's, random initialisation) for `zoo finetune --init`, so
both frameworks also start from identical weights.

    python scripts/transfer_reference.py --model lenet5_fyh620 --weights W.pth --mode full \
        --fashion /usr/share/datasets/fashion-mnist --per-class 1000 --epochs 10 --lr 0.05

prints one JSON line: per-epoch loss, training and test accuracy, and seconds per epoch.
"""

import argparse
import gzip
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))
from cifar_models import CifarResNet  # noqa: E402
from course_models import NETWORKS  # noqa: E402
from reference import Fyh620LeNet  # noqa: E402

MASK = (1 << 64) - 1
MNIST_NORM = ([0.1307], [0.3081])
FASHION_NORM = ([0.2860], [0.3530])
IMAGENET_NORM = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])


class SplitMix64:
    """zoo_model::train::SplitMix64, bit for bit."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next_u64() % n

    def shuffle(self, v):
        for i in range(len(v) - 1, 0, -1):
            j = self.below(i + 1)
            v[i], v[j] = v[j], v[i]


def augment(image, pad, flip, fill, rng):
    """burn_zoo::finetune::Augment::apply: the same draws in the same order."""
    c, h, w = image.shape
    dy, dx = (rng.below(2 * pad + 1), rng.below(2 * pad + 1)) if pad > 0 else (0, 0)
    flipped = flip and rng.below(2) == 1
    padded = np.empty((c, h + 2 * pad, w + 2 * pad), np.float32)
    padded[:] = np.asarray(fill, np.float32)[:, None, None]
    padded[:, pad:pad + h, pad:pad + w] = image
    out = padded[:, dy:dy + h, dx:dx + w]
    return out[:, :, ::-1] if flipped else out


def read_idx(path):
    with gzip.open(path) if str(path).endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def split(folder, name):
    find = lambda kind, n: next(  # noqa: E731
        p for p in (folder / f"{name}-{kind}-idx{n}-ubyte", folder / f"{name}-{kind}-idx{n}-ubyte.gz")
        if p.exists())
    return read_idx(find("images", 3)), read_idx(find("labels", 1)).astype(np.int64)


def preprocess(images, rgb, grey_norm=MNIST_NORM):
    """burn_zoo's Preprocess for the model: the grey model's normalisation at 28×28, or, for
    the CIFAR network, PIL's convert("RGB"), bilinear resize to 32×32 and ImageNet
    normalisation."""
    if not rgb:
        mean, std = grey_norm
        return ((images.astype(np.float32) / 255.0 - mean[0]) / std[0])[:, None], [-mean[0] / std[0]]
    mean, std = (np.asarray(v, np.float32)[:, None, None] for v in IMAGENET_NORM)
    out = np.empty((len(images), 3, 32, 32), np.float32)
    for i, img in enumerate(images):
        rgb_img = Image.fromarray(img, "L").convert("RGB").resize((32, 32), Image.BILINEAR)
        out[i] = (np.asarray(rgb_img, np.float32).transpose(2, 0, 1) / 255.0 - mean) / std
    return out, list((-mean / std).ravel())


def first_per_class(x, y, n):
    taken, keep = {}, []
    for i, label in enumerate(y):
        taken[label] = taken.get(label, 0) + 1
        if taken[label] <= n:
            keep.append(i)
    return x[keep], y[keep]


def build(args):
    if args.model == "lenet5_fyh620":
        model, head = Fyh620LeNet(), "fc3"
    elif args.model in NETWORKS:
        model = NETWORKS[args.model](args.classes)
        head = "fc" if hasattr(model, "fc") else "classifier"
    else:
        model, head = CifarResNet(20, "A", survival_last=args.stochastic_depth), "linear"
    if args.mode != "scratch":
        state = torch.load(args.weights, map_location="cpu", weights_only=False)
        state = state.get("state_dict", state)
        model.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
        old = getattr(model, head)
        setattr(model, head, torch.nn.Linear(old.in_features, args.classes))
    return model, head


def evaluate(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 16):
            pred = model(torch.from_numpy(x[i:i + 16])).argmax(1)
            correct += int((pred == torch.from_numpy(y[i:i + 16])).sum())
    return correct


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["lenet5_fyh620", "resnet20", *NETWORKS], required=True)
    p.add_argument("--stochastic-depth", type=float, help="resnet20's p_L")
    p.add_argument("--weights")
    p.add_argument("--mode", choices=["linear-probe", "full", "scratch"], required=True)
    p.add_argument("--fashion", type=Path, required=True)
    p.add_argument("--per-class", type=int, required=True)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--backbone-lr", type=float)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--optimizer", choices=["sgd", "adamw"], default="sgd")
    p.add_argument("--pad", type=int)
    p.add_argument("--flip", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--init-out", type=Path, help="write the starting state dict here (for --init)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rgb = args.model == "resnet20"
    side = 32 if rgb else 28
    pad = side // 8 if args.pad is None else args.pad
    flip = rgb if args.flip is None else bool(args.flip)
    backbone_lr = args.lr / 10 if args.backbone_lr is None else args.backbone_lr

    train_x, train_y = first_per_class(*split(args.fashion, "train"), args.per_class)
    test_x, test_y = split(args.fashion, "t10k")
    grey_norm = FASHION_NORM if args.model in NETWORKS else MNIST_NORM
    train_x, fill = preprocess(train_x, rgb, grey_norm)
    test_x, _ = preprocess(test_x, rgb, grey_norm)

    model, head_name = build(args)
    if args.init_out:
        torch.save(model.state_dict(), args.init_out)
    head = getattr(model, head_name)
    head_ids = {id(q) for q in head.parameters()}
    backbone = [q for q in model.parameters() if id(q) not in head_ids]
    if args.mode == "linear-probe":
        for q in backbone:
            q.requires_grad_(False)
        groups = [{"params": list(head.parameters()), "base": args.lr}]
    else:
        base = backbone_lr if args.mode == "full" else args.lr
        groups = [{"params": backbone, "base": base},
                  {"params": list(head.parameters()), "base": args.lr}]
    if args.optimizer == "sgd":
        optim = torch.optim.SGD(groups, lr=args.lr, momentum=0.9, weight_decay=args.weight_decay)
    else:  # zoo finetune's AdamW: β (0.9, 0.999), ε 1e-8, decoupled weight decay
        optim = torch.optim.AdamW(groups, lr=args.lr, eps=1e-8, weight_decay=args.weight_decay)
    batches = math.ceil(len(train_x) / args.batch)
    total = args.epochs * batches
    history = []
    for epoch in range(args.epochs):
        start = time.perf_counter()
        # A frozen backbone keeps its BatchNorm statistics (eval mode), as freeze_backbone does.
        model.train(args.mode != "linear-probe")
        seed = (args.seed ^ ((epoch + 1) * 0x9E3779B97F4A7C15)) & MASK
        rng = SplitMix64(seed)
        order = list(range(len(train_x)))
        rng.shuffle(order)
        loss_sum, correct = 0.0, 0
        for b in range(batches):
            idx = order[b * args.batch:(b + 1) * args.batch]
            x = np.stack([augment(train_x[i], pad, flip, fill, rng) for i in idx])
            y = torch.from_numpy(train_y[idx])
            factor = 0.5 * (1 + math.cos(math.pi * (epoch * batches + b) / total))
            for g in optim.param_groups:
                g["lr"] = g["base"] * factor
            logits = model(torch.from_numpy(np.ascontiguousarray(x)))
            loss = F.cross_entropy(logits, y)
            optim.zero_grad()
            loss.backward()
            optim.step()
            loss_sum += float(loss) * len(idx)
            correct += int((logits.argmax(1) == y).sum())
        seconds = time.perf_counter() - start
        test_correct = evaluate(model, test_x, test_y)
        history.append({"epoch": epoch + 1, "loss": loss_sum / len(train_x),
                        "train_accuracy": 100 * correct / len(train_x),
                        "val_accuracy": 100 * test_correct / len(test_x),
                        "train_seconds": seconds})
    print(json.dumps({"model": args.model, "mode": args.mode, "per_class": args.per_class,
                      "history": history}))


if __name__ == "__main__":
    main()
