#!/usr/bin/env python3
"""Write parity fixtures: reference weights, inputs and logits for every zoo variant.

For each variant: torchvision-initialised weights with every BatchNorm's running statistics and
affine parameters randomised (so a wrong BN mapping changes the logits), saved as `.pth` and
`.safetensors`, and the reference logits for a fixed batch of two 224x224 inputs: seeded noise
and, when ../shared/data is present, a real ImageNet validation image preprocessed the
torchvision way. The Rust parity tests (tests/parity.rs) load both files and compare. Each fixture also holds
`embedding.f32`, the penultimate activations (the input of the model's last linear layer, what
torchvision gives with `fc = Identity`), and for the families timm has, `features.json`: timm's
`features_only` feature_info (module, channels, reduction) and each map's shape.

Usage: scripts/reference.py [--out tests/fixtures] [--extras | --light | --add | --add-each] [VARIANT ...]
  --extras    only (re)write embedding.f32 and features.json of existing fixtures
  --light     every variant but the HEAVY ones (with the shared inputs and the other fixtures)
  --add       only the named variants' folders (and ONNX exports), beside an earlier run's inputs
  --add-each  as --add, one folder at a time, each marked by VARIANT/.written, for a consumer
              that tests and removes each in turn (at most two on the disk at once)
  --heavy     print the HEAVY variants and exit
scripts/test.sh writes the light fixtures once and each heavy one (--add-each, in the
background) just before its tests, then removes it: all of them together take about 19 GB.
"""

import argparse
import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path

import torch
import torchvision
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ZOO_SHARED", ROOT.parent / "shared" / "data"))
REAL_IMAGE = SHARED / "imagenet-val10" / "ILSVRC2012_val_00000001.JPEG"

# variant -> torchvision builder name; all take the default 224x224 input.
VARIANTS = [
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
    "wide_resnet50_2", "wide_resnet101_2",
    "alexnet", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
    "googlenet", "densenet121", "densenet161", "densenet169", "densenet201",
    "mobilenet_v2", "inception_v3", "squeezenet1_0", "squeezenet1_1",
]
# Squeeze-and-excitation networks, whose random fixtures damp each residual branch's last BN.
SE_NETWORKS = {"seresnet50", "seresnext50_32x4d", "legacy_senet154"}
# torchvision variants at another input side than 224 (they take the 299 input written for timm).
SIDE = {"inception_v3": 299}


def side_of(name: str) -> int:
    """The side of the square input the variant's fixture uses."""
    if name in CIFAR_RESNET or name in CIFAR_WRN or name in CIFAR_PREACT or name in CIFAR_DENSENET:
        return 32
    if name in COURSE:
        return COURSE[name]
    return SIDE.get(name) or TIMM.get(name, (None, 224))[1]
# timm models: variant -> (timm name, input size).
# (At 224×224 they take torchvision's input; at other sides, timm's eval transform of the image.)
TIMM = {"xception": ("legacy_xception", 299), "seresnet50": ("seresnet50", 224),
        "seresnext50_32x4d": ("seresnext50_32x4d", 224), "inception_v4": ("inception_v4", 299),
        "inception_resnet_v2": ("inception_resnet_v2", 299), "legacy_senet154": ("legacy_senet154", 224)}

# Variants whose family timm also builds (same architecture), for feature_info: variant -> timm.
TIMM_FEATURES = {n: n for n in VARIANTS if n not in ("alexnet", "googlenet", "squeezenet1_0", "squeezenet1_1")} | {
    "xception": "legacy_xception", "mobilenet_v2": "mobilenetv2_100",
    "seresnet50": "seresnet50", "seresnext50_32x4d": "seresnext50_32x4d",
    "inception_v4": "inception_v4", "inception_resnet_v2": "inception_resnet_v2",
    "legacy_senet154": "legacy_senet154"}

# CIFAR WRN-d-k (scripts/cifar_models.py), 32x32 inputs: variant -> (depth, widen).
CIFAR_WRN = {"wrn_16_4": (16, 4), "wrn_16_8": (16, 8), "wrn_22_8": (22, 8),
             "wrn_28_10": (28, 10), "wrn_40_4": (40, 4)}
# Pre-activation ResNets (scripts/cifar_models.py): variant -> (depth, bottleneck).
CIFAR_PREACT = {"preact_resnet110": (110, False), "preact_resnet164": (164, True), "preact_resnet1001": (1001, True)}
# DenseNets (scripts/cifar_models.py): variant -> (depth, growth, bc).
CIFAR_DENSENET = {"densenet40_k12": (40, 12, False), "densenet100_k12": (100, 12, False),
                  "densenet_bc100_k12": (100, 12, True), "densenet_bc250_k24": (250, 24, True),
                  "densenet_bc190_k40": (190, 40, True)}
# CIFAR ResNets (akamaster layout): variant -> (depth, shortcut option).
CIFAR_RESNET = {"resnet20": (20, "A"), "resnet32": (32, "A"), "resnet44": (44, "A"),
                "resnet56": (56, "A"), "resnet110": (110, "A"), "resnet1202": (1202, "A"),
                "resnet20_option_b": (20, "B"),
                # Stochastic depth (Huang et al. 2016), linear decay to p_L = 0.5: evaluation
                # scales each residual branch by its survival probability.
                "resnet20_stochastic_depth": (20, "A", 10, 0.5)}
# The course's other networks (scripts/course_models.py): variant -> input side. Their fixtures
# are written beside the CIFAR ones; the 28×28 ones take the one-channel input.
COURSE = {"nin_cifar10": 32, "nin_fashion": 28, "bilinear_vgg16": 448, "highway_cnn": 28,
          "dcgan_discriminator": 28,
          **{f"{kind}_fc{depth}": 28 for kind in ("plain", "highway") for depth in (10, 20, 50)}}
GREY = {name for name, side in COURSE.items() if side == 28}
MNIST_IMAGES = SHARED / "mnist" / "t10k-images-idx3-ubyte.gz"
FASHION_NORM = (0.2860, 0.3530)
CIFAR_IMAGES = SHARED / "cifar10" / "test_batch_first1017_images.u8"
# WRN's own CIFAR-10 normalisation (official code), of pixels / 255.
CIFAR_MEAN = [125.3 / 255, 123.0 / 255, 113.9 / 255]
CIFAR_STD = [63.0 / 255, 62.1 / 255, 66.7 / 255]

# The BatchNorm the "altered fixture" test corrupts in resnet18.
BAD_BN = "layer3.1.bn2.running_var"


def seed_of(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def randomise_batchnorm(model: torch.nn.Module, gen: torch.Generator, size: int,
                        damp_residuals: bool = False) -> None:
    """Random BN affine parameters and running statistics, the latter calibrated like a trained
    network's: each BN's running mean/var are its input's real per-channel statistics on a
    calibration batch, perturbed per channel. Uncalibrated random statistics make deep
    ResNets' logits explode (|logit| ~ 1e5), which would make a relative tolerance loose."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]

    def calibrate(m, args):
        x = args[0]
        n = m.num_features
        mean = x.mean((0, 2, 3))
        var = x.var((0, 2, 3), unbiased=False)
        m.running_mean.copy_(mean + torch.randn(n, generator=gen) * 0.1 * var.sqrt())
        m.running_var.copy_(var * (torch.rand(n, generator=gen) + 0.5) + 1e-3)

    for m in bns:
        n = m.num_features
        m.weight.data.copy_(torch.rand(n, generator=gen) + 0.5)
        m.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)
    if damp_residuals:
        # The last BN of every residual branch scaled by 0.1 (trained SE networks' are small
        # too): without it the 16 … 50 gated sums of the SE networks grow the activations to
        # 1e4, where float32 itself is no longer within 1e-4 of exact arithmetic.
        for name, m in model.named_modules():
            if re.fullmatch(r"layer\d\.\d+\.bn3", name):
                m.weight.data.mul_(0.1)
    hooks = [m.register_forward_pre_hook(calibrate) for m in bns]
    model.eval()
    model(torch.randn(4, 3, size, size, generator=gen))
    for h in hooks:
        h.remove()


def timm_inputs(timm_name: str, size: int) -> tuple[torch.Tensor, bool]:
    """Batch of 2 at the model's size: seeded noise, then the real image preprocessed with
    timm's eval transform for that model (or noise)."""
    import timm
    from timm.data import create_transform, resolve_data_config

    gen = torch.Generator().manual_seed(1234)
    noise = torch.randn(2, 3, size, size, generator=gen)
    if not REAL_IMAGE.exists():
        return noise, False
    from PIL import Image

    config = resolve_data_config({}, model=timm.create_model(timm_name, pretrained=False))
    img = create_transform(**config)(Image.open(REAL_IMAGE).convert("RGB"))
    return torch.stack([noise[0], img]), True


def inputs(size: int) -> tuple[torch.Tensor, bool]:
    """Batch of 2: seeded noise, then the real image (or more noise without shared data)."""
    gen = torch.Generator().manual_seed(1234)
    noise = torch.randn(2, 3, size, size, generator=gen)
    if not REAL_IMAGE.exists():
        return noise, False
    from PIL import Image

    weights = torchvision.models.ResNet50_Weights.IMAGENET1K_V1
    img = weights.transforms()(Image.open(REAL_IMAGE).convert("RGB"))
    return torch.stack([noise[0], img]), True


def inputs_448() -> tuple[torch.Tensor, bool]:
    """Batch of 2 at 448x448 (the bilinear CNN's side): seeded noise, then the real image
    resized to 512 and centre-cropped to 448, ImageNet-normalised."""
    gen = torch.Generator().manual_seed(1448)
    noise = torch.randn(2, 3, 448, 448, generator=gen)
    if not REAL_IMAGE.exists():
        return noise, False
    from PIL import Image
    from torchvision import transforms as T

    tf = T.Compose([T.Resize(512), T.CenterCrop(448), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    return torch.stack([noise[0], tf(Image.open(REAL_IMAGE).convert("RGB"))]), True


def course_input(name: str, out: Path) -> tuple[torch.Tensor, bool]:
    """The input a course network's fixture takes, as main() wrote it to `out`."""
    side = COURSE[name]
    channels = 1 if name in GREY else 3
    stem = f"input-1x{side}" if name in GREY else f"input-{side}"
    meta = json.loads((out / f"{stem}.json").read_text())
    real = meta.get("real", meta.get("cifar_image_0"))
    return read_f32(out / f"{stem}.f32", (2, channels, side, side)), bool(real)


def cifar_inputs() -> tuple[torch.Tensor, bool]:
    """Batch of 2 at 32x32: seeded noise, then CIFAR-10 test image 0 (or noise)."""
    gen = torch.Generator().manual_seed(4321)
    noise = torch.randn(2, 3, 32, 32, generator=gen)
    if not CIFAR_IMAGES.exists():
        return noise, False
    img = torch.tensor(list(CIFAR_IMAGES.read_bytes()[: 3 * 32 * 32]), dtype=torch.float32)
    img = img.view(3, 32, 32) / 255
    img = (img - torch.tensor(CIFAR_MEAN).view(3, 1, 1)) / torch.tensor(CIFAR_STD).view(3, 1, 1)
    return torch.stack([noise[0], img]), True


def grey_inputs() -> tuple[torch.Tensor, bool]:
    """Batch of 2 at 1x28x28: seeded noise, then MNIST test image 0 (or noise), normalised with
    Fashion-MNIST's statistics as nin_fashion's input."""
    import gzip

    gen = torch.Generator().manual_seed(4322)
    noise = torch.randn(2, 1, 28, 28, generator=gen)
    if not MNIST_IMAGES.exists():
        return noise, False
    raw = gzip.decompress(MNIST_IMAGES.read_bytes())[16:16 + 28 * 28]
    img = (torch.tensor(list(raw), dtype=torch.float32).view(1, 28, 28) / 255 - FASHION_NORM[0]) / FASHION_NORM[1]
    return torch.stack([noise[0], img]), True


@torch.no_grad()
def cifar_fixture(name: str, out: Path, x: torch.Tensor, real: bool) -> None:
    from cifar_models import CifarResNet, DenseNet, PreActResNet, wrn

    if name in CIFAR_WRN:
        depth, widen = CIFAR_WRN[name]
        params, forward = wrn(depth, widen, seed=seed_of(name))
        forward(torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(7)),
                calibrate=torch.Generator().manual_seed(seed_of(name) + 1))
        logits = forward(x)
        model = forward
    else:
        torch.manual_seed(seed_of(name))
        if name in COURSE:
            from course_models import NETWORKS

            model = NETWORKS[name]()
            if name == "bilinear_vgg16":
                # L2-normalised features of 262,144 values give logits of 0.005 under
                # nn.Linear's default weights; scaled, they are of order 1, so that the
                # tolerance (1e-4 of the largest logit, at least 1e-4) is a relative one.
                model.fc.weight.data.mul_(1000.0)
        elif name in CIFAR_PREACT:
            model = PreActResNet(*CIFAR_PREACT[name])
        elif name in CIFAR_RESNET:
            model = CifarResNet(*CIFAR_RESNET[name])
        else:
            model = DenseNet(*CIFAR_DENSENET[name])
        if name not in COURSE:
            randomise_batchnorm(model, torch.Generator().manual_seed(seed_of(name) + 1), 32)
        model.eval()
        logits = model(x)
        params = model.state_dict()
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    sd = {k: v.contiguous() for k, v in params.items()}
    torch.save(sd, d / "weights.pth")
    save_file(sd, d / "weights.safetensors")
    write_f32(d / "logits.f32", logits)
    write_extras(name, d, model, x)
    learned = sum(v.numel() for k, v in sd.items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
    meta = {"variant": name, "params": learned, "logits_shape": list(logits.shape),
            "real_image": real, "torch": torch.__version__, "reference": "scripts/cifar_models.py"}
    (d / "meta.json").write_text(json.dumps(meta, indent=1))
    print(f"{name}: {learned:,} params, max |logit| {logits.abs().max():.3f}", flush=True)


@torch.no_grad()
def with_penultimate(model: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The model's output on `x` and, from the same pass, the input of its last linear layer
    (the classifier); for SqueezeNet, whose classifier is a 1×1 convolution before the pooling,
    the pooled last feature map."""
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    model.eval()
    if not linears:
        return model(x), model.features(x).mean((2, 3))
    last = linears[-1]
    seen = []
    hook = last.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
    out = model(x)
    hook.remove()
    assert len(seen) == 1, f"the last linear layer ran {len(seen)} times"
    return out, seen[0]


def penultimate(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The input of the model's last linear layer on `x` (see `with_penultimate`)."""
    return with_penultimate(model, x)[1]


@torch.no_grad()
def feature_info(name: str, size: int) -> list[dict] | None:
    """timm's features_only description of the variant's family, with each map's shape."""
    if name not in TIMM_FEATURES:
        return None
    import timm

    # Shapes only: on the meta device nothing is initialised or computed.
    with torch.device("meta"):
        model = timm.create_model(TIMM_FEATURES[name], features_only=True, pretrained=False).eval()
        maps = model(torch.zeros(1, 3, size, size))
    return [{**{k: d[k] for k in ("module", "num_chs", "reduction")}, "shape": list(m.shape[1:])}
            for d, m in zip(model.feature_info.get_dicts(), maps)]


def write_extras(name: str, d: Path, model, x: torch.Tensor, embedding: torch.Tensor | None = None) -> None:
    """embedding.f32 (penultimate activations, computed unless given) and features.json (timm's
    feature_info)."""
    if embedding is None:
        embedding = model(x, embed=True) if callable(model) and not isinstance(model, torch.nn.Module) else penultimate(model, x)
    write_f32(d / "embedding.f32", embedding)
    (d / "embedding.json").write_text(json.dumps({"shape": list(embedding.shape)}))
    info = feature_info(name, x.shape[-1])
    if info is not None:
        (d / "features.json").write_text(json.dumps({"timm_model": TIMM_FEATURES[name], "size": x.shape[-1], "features": info}, indent=1))


def read_f32(path: Path, shape) -> torch.Tensor:
    import numpy as np

    return torch.from_numpy(np.fromfile(path, dtype="<f4").reshape(shape).copy())


def write_f32(path: Path, t: torch.Tensor) -> None:
    path.write_bytes(t.detach().contiguous().numpy().astype("<f4").tobytes())


def reference_meta(name: str) -> dict:
    if name in TIMM:
        import timm

        return {"timm": timm.__version__, "timm_model": TIMM[name][0]}
    weights = torchvision.models.get_model_weights(name).DEFAULT
    return {"gflops": weights.meta.get("_ops"), "acc1": weights.meta["_metrics"]["ImageNet-1K"]["acc@1"]}


@torch.no_grad()
def fixture(name: str, out: Path, x: torch.Tensor, real: bool) -> None:
    torch.manual_seed(seed_of(name))
    if name in TIMM:
        import timm

        model = timm.create_model(TIMM[name][0], pretrained=False)
    elif name in ("googlenet", "inception_v3"):
        # torchvision's googlenet/inception_v3(weights=None): auxiliary classifiers built
        # (their weights are in the file), no input transform.
        model = torchvision.models.get_model(name, weights=None, init_weights=True)
    else:
        model = torchvision.models.get_model(name, weights=None)
    randomise_batchnorm(model, torch.Generator().manual_seed(seed_of(name) + 1), x.shape[-1],
                        damp_residuals=name in SE_NETWORKS)
    logits, embedding = with_penultimate(model, x)
    sd = model.state_dict()

    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    torch.save(sd, d / "weights.pth")
    save_file({k: v.contiguous() for k, v in sd.items()}, d / "weights.safetensors")
    write_f32(d / "logits.f32", logits)
    write_extras(name, d, model, x, embedding)
    errors = reference_error(model, x, logits, embedding)
    if name == "resnet18":
        extra_resnet18(sd, d)
    params = sum(p.numel() for p in model.parameters())
    if name == "googlenet":
        # The inference network's count, as torchvision publishes it.
        params -= sum(p.numel() for k, p in model.named_parameters() if k.startswith("aux"))
    if name in ("googlenet", "inception_v3"):
        # The published weights' preprocessing: same weights, input re-normalised.
        model.transform_input = True
        write_f32(d / "logits-transform.f32", model(x))
    if name == "densenet121":
        # torchvision's published DenseNet files use the pre-1.0 names `norm.1`, `conv.2`.
        legacy = {re.sub(r"(denselayer\d+\.(?:norm|conv))([12])\.", r"\1.\2.", k): v for k, v in sd.items()}
        assert legacy != dict(sd), "legacy renaming changed nothing"
        torch.save(legacy, d / "weights-legacy.pth")
    meta = {
        "variant": name,
        "params": params,
        "logits_shape": list(logits.shape),
        "real_image": real,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        **reference_meta(name),
        **errors,
    }
    (d / "meta.json").write_text(json.dumps(meta, indent=1))
    print(f"{name}: {meta['params']:,} params, max |logit| {logits.abs().max():.3f}", flush=True)


@torch.no_grad()
def reference_error(model: torch.nn.Module, x: torch.Tensor, logits: torch.Tensor,
                    embedding: torch.Tensor) -> dict:
    """How far the reference's own float32 logits and embedding lie from float64 arithmetic on
    the same weights and input: no float32 implementation can be held closer than that, and on
    a few fixtures (SE-ResNeXt's calibrated random BatchNorms) it exceeds 1e-4 relative."""
    import copy

    m64 = copy.deepcopy(model).double().eval()
    logits64, e64 = with_penultimate(m64, x.double())
    return {"f32_error": (logits.double() - logits64).abs().max().item(),
            "embedding_f32_error": (embedding.double() - e64).abs().max().item()}


def extra_resnet18(sd, d: Path) -> None:
    # A checkpoint as training scripts write it: legacy pickle, wrapped, DataParallel names.
    wrapped = {"epoch": 3, "state_dict": {"module." + k: v for k, v in sd.items()}}
    torch.save(wrapped, d / "weights-legacy-wrapped.pth", _use_new_zipfile_serialization=False)
    # One running_var altered: the parity check must reject it.
    bad = {k: v.clone().contiguous() for k, v in sd.items()}
    bad[BAD_BN] = bad[BAD_BN] * 4.0
    save_file(bad, d / "weights-bad-bnvar.safetensors")


@torch.no_grad()
def preprocess_fixtures(out: Path) -> None:
    """The ten ImageNet validation images through torchvision's and timm's inference
    transforms, to check the Rust preprocessing against: tests/fixtures/preprocess/."""
    from PIL import Image
    import timm
    from timm.data import create_transform, resolve_data_config

    folder = SHARED / "imagenet-val10"
    if not folder.exists():
        print(f"note: {folder} absent; no preprocessing fixtures", flush=True)
        return
    transforms = {
        "256-224-bilinear": torchvision.models.ResNet50_Weights.IMAGENET1K_V1.transforms(),
        "232-224-bilinear": torchvision.models.ResNet50_Weights.IMAGENET1K_V2.transforms(),
        "333-299-bicubic": create_transform(**resolve_data_config({}, model=timm.create_model("legacy_xception"))),
    }
    d = out / "preprocess"
    d.mkdir(parents=True, exist_ok=True)
    images = sorted(folder.glob("*.JPEG"))
    sizes = []
    for i, p in enumerate(images):
        # Pillow's (libjpeg-turbo's) decoded pixels, to check resizing apart from decoding.
        rgb = Image.open(p).convert("RGB")
        sizes.append(list(rgb.size))
        (d / f"decoded-{i}.u8").write_bytes(rgb.tobytes())
    for tag, t in transforms.items():
        batch = torch.stack([t(Image.open(p).convert("RGB")) for p in images])
        write_f32(d / f"{tag}.f32", batch)
    (d / "meta.json").write_text(json.dumps({"images": [p.name for p in images], "sizes": sizes, "transforms": {k: repr(v) for k, v in transforms.items()}}, indent=1))
    print(f"preprocess: {len(images)} images x {len(transforms)} transforms", flush=True)
    decode_fixtures(d, Image.open(images[0]).convert("RGB"))


# Held-out images for the decoder and resize-order tests: (width, height) of noise PNGs, and
# JPEG encodings of a real photo (subsampling, progressive, greyscale, odd sizes).
ASPECTS = [(320, 685), (320, 641), (320, 639), (685, 320), (97, 1000), (1000, 97), (300, 301),
           (64, 700), (511, 1100)]
JPEGS = [("444", 0, False, "RGB", None), ("422", 1, False, "RGB", None),
         ("420", 2, False, "RGB", None), ("420-progressive", 2, True, "RGB", None),
         ("grey", None, False, "L", None), ("420-333x127", 2, False, "RGB", (333, 127)),
         ("422-progressive-97x301", 1, True, "RGB", (97, 301))]


def decode_fixtures(d: Path, photo) -> None:
    """aspect-WxH.png (noise) with Pillow's torchvision Resize(256)+CenterCrop(224) bytes for
    both filters, and jpeg-NAME.jpg with Pillow's decoded RGB bytes."""
    import numpy as np
    from PIL import Image
    from torchvision.transforms import CenterCrop, InterpolationMode, Resize

    rng = np.random.default_rng(2024)
    for w, h in ASPECTS:
        img = Image.fromarray((rng.random((h, w, 3)) * 255).astype(np.uint8))
        img.save(d / f"aspect-{w}x{h}.png")
        for name, mode in (("bilinear", InterpolationMode.BILINEAR), ("bicubic", InterpolationMode.BICUBIC)):
            out = CenterCrop(224)(Resize(256, interpolation=mode)(img))
            (d / f"aspect-{w}x{h}-{name}.u8").write_bytes(out.tobytes())
    for name, sub, progressive, mode, size in JPEGS:
        img = photo.convert(mode)
        if size:
            img = img.resize(size)
        kwargs = {"quality": 87, "progressive": progressive}
        if sub is not None:
            kwargs["subsampling"] = sub
        img.save(d / f"jpeg-{name}.jpg", **kwargs)
        (d / f"jpeg-{name}.u8").write_bytes(Image.open(d / f"jpeg-{name}.jpg").convert("RGB").tobytes())
    (d / "decode.json").write_text(json.dumps({"aspects": ASPECTS, "jpegs": [j[0] for j in JPEGS]}))
    print(f"preprocess: {len(ASPECTS)} aspect ratios, {len(JPEGS)} JPEG encodings", flush=True)


# Variants of 20 M parameters or more that no test but their own parity and ONNX tests reads:
# scripts/test.sh writes each of these, runs its tests and removes it, one at a time.
HEAVY = ["resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
         "wide_resnet50_2", "wide_resnet101_2", "alexnet", "vgg11", "vgg13", "vgg16", "vgg19",
         "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn", "densenet161", "densenet201",
         "wrn_28_10", "densenet_bc190_k40", "inception_v3", "seresnet50", "seresnext50_32x4d",
         "inception_v4", "inception_resnet_v2", "legacy_senet154", "bilinear_vgg16"]

# One variant of every family, exported to ONNX both ways (see onnx_fixtures).
ONNX_VARIANTS = ["resnet18", "resnext50_32x4d", "wide_resnet50_2", "alexnet", "vgg11_bn",
                 "googlenet", "densenet121", "xception", "resnet20", "mobilenet_v2", "seresnet50",
                 "squeezenet1_1", "inception_v4", "inception_resnet_v2", "inception_v3"]


def reference_model(name: str) -> torch.nn.Module:
    """The reference module of `name` (uninitialised weights; load the fixture's into it)."""
    if name in TIMM:
        import timm

        return timm.create_model(TIMM[name][0], pretrained=False)
    if name in CIFAR_RESNET:
        from cifar_models import CifarResNet

        return CifarResNet(*CIFAR_RESNET[name])
    if name in COURSE:
        from course_models import NETWORKS

        return NETWORKS[name]()
    if name in CIFAR_PREACT:
        from cifar_models import PreActResNet

        return PreActResNet(*CIFAR_PREACT[name])
    if name in CIFAR_DENSENET:
        from cifar_models import DenseNet

        return DenseNet(*CIFAR_DENSENET[name])
    if name in CIFAR_WRN:
        from cifar_models import wrn

        return wrn(*CIFAR_WRN[name])
    kwargs = {"init_weights": False} if name in ("googlenet", "inception_v3") else {}
    return torchvision.models.get_model(name, weights=None, **kwargs)


@torch.no_grad()
def onnx_fixtures(out: Path, names: list[str]) -> None:
    """<variant>/model-names.onnx: BatchNorm nodes and state-dict initializer names kept (no
    constant folding). <variant>/model-folded.onnx: the TorchScript exporter's eval-mode export,
    BatchNorm folded into the convolutions and initializers renamed (`onnx::Conv_193`).
    <variant>/model-dynamo.onnx: torch.onnx.export's default (the dynamo exporter), which also
    folds BatchNorm. All from the fixture's weights."""
    import warnings

    import onnx

    warnings.filterwarnings("ignore")
    for name in names:
        d = out / name
        model = reference_model(name)
        model.load_state_dict(torch.load(d / "weights.pth"))
        model.eval()
        size = side_of(name)
        x = torch.randn(1, 3, size, size)
        torch.onnx.export(model, x, d / "model-names.onnx", dynamo=False, do_constant_folding=False,
                          training=torch.onnx.TrainingMode.PRESERVE)
        torch.onnx.export(model, x, d / "model-folded.onnx", dynamo=False)
        torch.onnx.export(model, (x,), d / "model-dynamo.onnx", verbose=False)
        if name == "resnet18":
            # The same graph with its weights in an external data file.
            m = onnx.load(d / "model-names.onnx")
            onnx.save_model(m, d / "model-external.onnx", save_as_external_data=True,
                            all_tensors_to_one_file=True, location="model-external.data")
        kinds = {k: sorted({n.op_type for n in onnx.load(d / f"model-{k}.onnx", load_external_data=False).graph.node} & {"BatchNormalization", "Conv", "Gemm"}) for k in ("names", "folded", "dynamo")}
        print(f"{name}: ONNX exports {kinds}", flush=True)


class Fyh620LeNet(torch.nn.Module):
    """The third-party LeNet of ../shared/data/lenet-fyh620 (its README gives the layers)."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 5)
        self.conv2 = torch.nn.Conv2d(6, 16, 5)
        self.fc1 = torch.nn.Linear(256, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)

    def forward(self, x):
        f = torch.nn.functional
        x = f.relu(f.max_pool2d(self.conv1(x), 2))
        x = f.relu(f.max_pool2d(self.conv2(x), 2))
        x = f.relu(self.fc1(x.flatten(1)))
        return self.fc3(f.relu(self.fc2(x)))


@torch.no_grad()
def lenet_onnx_fixtures(out: Path) -> None:
    """The LeNet family's ONNX exports (names kept, TorchScript default, dynamo) of the
    third-party fyh620 weights: lenet_fyh620/model-*.onnx."""
    import warnings

    warnings.filterwarnings("ignore")
    weights = SHARED / "lenet-fyh620" / "fyh620_lenet.pth"
    if not weights.exists():
        print(f"note: {weights} absent; no LeNet ONNX fixtures", flush=True)
        return
    model = Fyh620LeNet()
    model.load_state_dict(torch.load(weights))
    model.eval()
    d = out / "lenet_fyh620"
    d.mkdir(parents=True, exist_ok=True)
    x = torch.randn(1, 1, 28, 28)
    torch.onnx.export(model, x, d / "model-names.onnx", dynamo=False, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE)
    torch.onnx.export(model, x, d / "model-folded.onnx", dynamo=False)
    torch.onnx.export(model, (x,), d / "model-dynamo.onnx", verbose=False)
    print("lenet_fyh620: ONNX exports written", flush=True)


@torch.no_grad()
def extras_only(out: Path, names: list[str]) -> None:
    """Adds embedding.f32 and features.json to fixtures written by an earlier run."""
    for name in names:
        d = out / name
        sd = torch.load(d / "weights.pth")
        model = reference_model(name)
        if isinstance(model, tuple):  # the functional WRN: (params, forward)
            params, model = model
            params.update(sd)
        else:
            model.load_state_dict(sd)
            if name == "googlenet":
                model.aux1 = model.aux2 = None
        size = side_of(name)
        if name in COURSE:
            x, _ = course_input(name, out)
        else:
            x = read_f32(out / f"input-{size}.f32", (2, 3, size, size))
        write_extras(name, d, model, x)
        print(f"{name}: extras written", flush=True)


def add_only(out: Path, names: list[str], cifar: dict) -> None:
    """Writes the named variants' folders from the inputs an earlier run left in `out`."""
    real = json.loads((out / "input-224.json").read_text())["real_image"] is not None
    real_c = json.loads((out / "input-32.json").read_text())["cifar_image_0"]
    for name in names:
        if name in COURSE:
            cifar_fixture(name, out, *course_input(name, out))
        elif name in cifar:
            cifar_fixture(name, out, read_f32(out / "input-32.f32", (2, 3, 32, 32)), real_c)
        else:
            size = side_of(name)
            fixture(name, out, read_f32(out / f"input-{size}.f32", (2, 3, size, size)), real)
    onnx_fixtures(out, [n for n in ONNX_VARIANTS if n in names])


def add_each(out: Path, names: list[str], cifar: dict) -> None:
    """Writes the named variants' folders one at a time, each marked by NAME/.written, for a
    consumer (scripts/test.sh) that tests each in turn and removes it: a folder is written only
    once the one written two before it is gone, so that at most two are on the disk at once."""
    start = time.monotonic()
    for i, name in enumerate(names):
        while i >= 2 and (out / names[i - 2]).exists():
            time.sleep(0.2)
        begun = time.monotonic()
        add_only(out, [name], cifar)
        (out / name / ".written").touch()
        print(f"== [+{begun - start:.0f} s] {name}: written in {time.monotonic() - begun:.1f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures")
    cifar = {**CIFAR_RESNET, **CIFAR_WRN, **CIFAR_PREACT, **CIFAR_DENSENET, **COURSE}
    ap.add_argument("variants", nargs="*", default=VARIANTS + list(TIMM) + list(cifar))
    ap.add_argument("--extras", action="store_true", help="only embedding.f32/features.json")
    ap.add_argument("--light", action="store_true", help="all but the HEAVY variants")
    ap.add_argument("--add", action="store_true", help="only the named variants' folders")
    ap.add_argument("--add-each", action="store_true",
                    help="as --add, one at a time for a consumer that removes each (scripts/test.sh)")
    ap.add_argument("--heavy", action="store_true", help="print the HEAVY variants")
    args = ap.parse_args()
    if args.heavy:
        return print(" ".join(HEAVY))
    unknown = set(args.variants) - set(VARIANTS) - set(TIMM) - set(cifar)
    if unknown or not set(HEAVY) <= set(ap.get_default("variants")):
        sys.exit(f"unknown variants: {sorted(unknown | (set(HEAVY) - set(ap.get_default('variants'))))}")
    if args.light:
        args.variants = [n for n in args.variants if n not in HEAVY]
    torch.set_num_threads(os.cpu_count() or 1)
    # Every variant this script is the reference for; tests/parity.rs checks it against the
    # families' variant tables.
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "variants.json").write_text(json.dumps(sorted(ap.get_default("variants"))))
    if args.add:
        return add_only(args.out, args.variants, cifar)
    if args.add_each:
        return add_each(args.out, args.variants, cifar)
    if args.extras:
        preprocess_fixtures(args.out)
        return extras_only(args.out, args.variants)
    args.out.mkdir(parents=True, exist_ok=True)
    x, real = inputs(224)
    write_f32(args.out / "input-224.f32", x)
    (args.out / "input-224.json").write_text(
        json.dumps({"shape": list(x.shape), "real_image": str(REAL_IMAGE) if real else None})
    )
    if not real:
        print(f"note: {REAL_IMAGE} absent; the second input is noise too", flush=True)
    xc, real_c = cifar_inputs()
    write_f32(args.out / "input-32.f32", xc)
    (args.out / "input-32.json").write_text(json.dumps({"shape": list(xc.shape), "cifar_image_0": real_c}))
    xg, real_g = grey_inputs()
    write_f32(args.out / "input-1x28.f32", xg)
    (args.out / "input-1x28.json").write_text(json.dumps({"shape": list(xg.shape), "real": real_g}))
    x448, real_448 = inputs_448()
    write_f32(args.out / "input-448.f32", x448)
    (args.out / "input-448.json").write_text(json.dumps({"shape": list(x448.shape), "real": real_448}))
    # One input per side: timm's transform of the first variant at that side (Xception's at 299).
    for size in sorted({s for _, s in TIMM.values() if s != 224}):
        timm_name = next(t for t, s in TIMM.values() if s == size)
        xt, _ = timm_inputs(timm_name, size)
        write_f32(args.out / f"input-{size}.f32", xt)
        (args.out / f"input-{size}.json").write_text(json.dumps({"shape": list(xt.shape), "timm_transform": timm_name}))
    preprocess_fixtures(args.out)
    for name in args.variants:
        if name in COURSE:
            cifar_fixture(name, args.out, *course_input(name, args.out))
        elif name in cifar:
            cifar_fixture(name, args.out, xc, real_c)
        elif name in TIMM and TIMM[name][1] != 224:
            size = TIMM[name][1]
            xt = read_f32(args.out / f"input-{size}.f32", (2, 3, size, size))
            fixture(name, args.out, xt, real)
        elif name in SIDE:
            xs = read_f32(args.out / f"input-{SIDE[name]}.f32", (2, 3, SIDE[name], SIDE[name]))
            fixture(name, args.out, xs, real)
        else:
            fixture(name, args.out, x, real)
    onnx_fixtures(args.out, [n for n in ONNX_VARIANTS if n in args.variants])
    lenet_onnx_fixtures(args.out)


if __name__ == "__main__":
    main()
