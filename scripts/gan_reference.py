#!/usr/bin/env python3
"""PyTorch references for crates/dcgan (DCGAN, Radford et al. 2015) and transposed convolution.

  scripts/gan_reference.py --fixtures tests/fixtures/gan
      the parity fixtures tests/gan.rs reads: nn.ConvTranspose2d on strides, paddings, output
      paddings, dilations and groups; the generator and discriminator in eval and train mode;
      three training steps of the GAN loop; a Fréchet distance computed with NumPy's LAPACK.
  scripts/gan_reference.py --train OUT [--images N] [--epochs E] [--batch-size B] [--init-out DIR]
      the same training run as `zoo gan train` (same images in the same order, the same codes:
      the SplitMix64 streams and Box-Muller transform of crates/dcgan/src/train.rs are ported
      below), writing OUT/samples-idx3-ubyte, OUT/losses.csv and OUT/record.json. With
      --init-out it first writes its starting weights for `zoo gan train --init`, so both
      frameworks also start from identical weights. `zoo gan score` scores both runs' samples.
"""

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from course_models import Discriminator, Generator  # noqa: E402

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
FASHION = Path("/usr/share/datasets/fashion-mnist")


class SplitMix64:
    """zoo_model::train::SplitMix64, bit for bit; `draws(k)` gives the next k outputs at once."""

    def __init__(self, seed):
        self.state = seed & MASK

    def draws(self, k):
        with np.errstate(over="ignore"):
            z = np.uint64(self.state) + np.arange(1, k + 1, dtype=np.uint64) * np.uint64(GOLDEN)
            self.state = (self.state + k * GOLDEN) & MASK
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            return z ^ (z >> np.uint64(31))

    def shuffle(self, v):
        """Fisher-Yates as the Rust one: for i from len-1 down to 1, swap with below(i + 1)."""
        n = len(v)
        if n < 2:
            return v
        bounds = np.arange(n, 1, -1, dtype=np.uint64)  # i + 1 for i = n-1 .. 1
        js = (self.draws(n - 1) % bounds).astype(np.int64)
        for i, j in zip(range(n - 1, 0, -1), js):
            v[i], v[j] = v[j], v[i]
        return v


def codes(rng, n, latent):
    """crates/dcgan train::codes: Box-Muller on pairs of 53-bit uniforms, in f64, then f32."""
    count = n * latent
    pairs = (count + 1) // 2
    r = rng.draws(2 * pairs) >> np.uint64(11)
    unit = r.astype(np.float64) * (1.0 / (1 << 53))
    u1, u2 = 1.0 - unit[0::2], unit[1::2]
    radius = np.sqrt(-2.0 * np.log(u1))
    angle = 2.0 * np.pi * u2
    values = np.empty(2 * pairs)
    values[0::2] = radius * np.cos(angle)
    values[1::2] = radius * np.sin(angle)
    return torch.from_numpy(values[:count].astype(np.float32)).reshape(n, latent, 1, 1)


def epoch_seed(seed, epoch):
    return (seed ^ ((epoch + 1) * GOLDEN)) & MASK


def bce(logits, real):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, 1.0 if real else 0.0))


def train(g, d, images, epochs, batch_size, lr, beta1, seed, on_step=None, on_epoch=None):
    """crates/dcgan train::train: a discriminator step on real (1) and detached generated (0)
    images, then a generator step through the updated discriminator (target 1)."""
    opt_g = torch.optim.Adam(g.parameters(), lr=lr, betas=(beta1, 0.999), eps=1e-8)
    opt_d = torch.optim.Adam(d.parameters(), lr=lr, betas=(beta1, 0.999), eps=1e-8)
    g.train()
    d.train()
    n = len(images)
    for epoch in range(epochs):
        order = SplitMix64(epoch_seed(seed, epoch)).shuffle(list(range(n)))
        noise = SplitMix64((epoch_seed(seed, epoch) + 1) & MASK)
        for b, start in enumerate(range(0, n, batch_size)):
            idx = order[start:start + batch_size]
            real = images[idx]
            fake = g(codes(noise, len(idx), 100))
            opt_d.zero_grad()
            real_logits, fake_logits = d(real), d(fake.detach())
            d_loss = bce(real_logits, True) + bce(fake_logits, False)
            d_loss.backward()
            opt_d.step()
            opt_g.zero_grad()
            g_loss = bce(d(fake), True)
            g_loss.backward()
            opt_g.step()
            if on_step:
                on_step(epoch, b, d_loss.item(), g_loss.item(),
                        torch.sigmoid(real_logits).mean().item(), torch.sigmoid(fake_logits).mean().item())
        if on_epoch:
            on_epoch(epoch, g)


@torch.no_grad()
def sample(g, n, seed):
    """crates/dcgan train::sample: eval mode, codes of SplitMix64(seed) in chunks of 500."""
    g.eval()
    rng, out = SplitMix64(seed), []
    for start in range(0, n, 500):
        out.append(g(codes(rng, min(500, n - start), 100)))
    g.train()
    return torch.cat(out)


def to_bytes(x):
    """Rust's ((v + 1) · 127.5).round() (half away from zero) clamped to 0..255."""
    v = (x.double() + 1.0) * 127.5
    return torch.clamp(torch.sign(v) * torch.floor(v.abs() + 0.5), 0, 255).to(torch.uint8)


def write_idx(path, images):
    data = images.numpy().astype(np.uint8)
    header = bytes([0, 0, 8, data.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in data.shape)
    Path(path).write_bytes(header + data.tobytes())


def read_idx(path):
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


def write_f32(path, t):
    Path(path).write_bytes(t.detach().contiguous().float().numpy().tobytes())


def state(module):
    return {k: v.detach().contiguous() for k, v in module.state_dict().items()
            if not k.endswith("num_batches_tracked")}


def randomise_bn(module, gen):
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.5)
            m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
            m.weight.data.copy_(1.0 + 0.2 * torch.randn(c, generator=gen))
            m.bias.data.copy_(0.2 * torch.randn(c, generator=gen))


# (c_in, c_out, kernel, stride, padding, output_padding, dilation, groups, bias, input h×w)
DECONV_CASES = [
    (3, 4, 3, 1, 0, 0, 1, 1, True, (5, 5)),
    (4, 6, 4, 2, 1, 0, 1, 1, True, (6, 6)),        # the PyTorch DCGAN example's layer
    (4, 2, 5, 2, 2, 1, 1, 1, False, (7, 7)),       # crates/dcgan's: exactly doubles the side
    (6, 4, 3, 3, 1, 2, 1, 2, True, (4, 5)),        # groups, output padding 2 < stride 3
    (2, 3, 3, 2, 2, 1, 2, 1, True, (5, 3)),        # dilation 2
    (100, 8, 7, 1, 0, 0, 1, 1, False, (1, 1)),     # the generator's projection of a code
]


def fixtures(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(20151119)  # DCGAN's arXiv date
    cases = []
    for i, (ci, co, k, s, p, op, dil, grp, bias, (h, w)) in enumerate(DECONV_CASES):
        layer = torch.nn.ConvTranspose2d(ci, co, k, s, p, op, grp, bias, dil)
        with torch.no_grad():
            layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen) * 0.3)
            if bias:
                layer.bias.copy_(torch.randn(co, generator=gen))
        x = torch.randn(2, ci, h, w, generator=gen)
        y = layer(x)
        write_f32(out / f"deconv{i}-weight.f32", layer.weight)
        if bias:
            write_f32(out / f"deconv{i}-bias.f32", layer.bias)
        write_f32(out / f"deconv{i}-input.f32", x)
        write_f32(out / f"deconv{i}-output.f32", y)
        cases.append({"c_in": ci, "c_out": co, "kernel": k, "stride": s, "padding": p,
                      "output_padding": op, "dilation": dil, "groups": grp, "bias": bias,
                      "input": list(x.shape), "output": list(y.shape)})
    (out / "deconv.json").write_text(json.dumps(cases, indent=1))

    # The pair, with BatchNorm statistics and affine parameters away from their defaults.
    torch.manual_seed(2015)
    g, d = Generator(), Discriminator()
    randomise_bn(g, gen)
    randomise_bn(d, gen)
    save_file(state(g), out / "generator.safetensors")
    save_file(state(d), out / "discriminator.safetensors")
    z = codes(SplitMix64(7), 4, 100)
    images = torch.rand(4, 1, 28, 28, generator=gen) * 2 - 1
    write_f32(out / "images.f32", images)
    with torch.no_grad():
        g.eval(), d.eval()
        write_f32(out / "generator-eval.f32", g(z))
        write_f32(out / "discriminator-eval.f32", d(images))
        g.train(), d.train()
        write_f32(out / "generator-train.f32", g(z))
        write_f32(out / "discriminator-train.f32", d(images))

    # Three steps of the loop from fresh pairs (default BatchNorm) on 24 random images.
    torch.manual_seed(11)
    g, d = Generator(), Discriminator()
    save_file(state(g), out / "train-generator-start.safetensors")
    save_file(state(d), out / "train-discriminator-start.safetensors")
    train_images = torch.rand(24, 1, 28, 28, generator=gen) * 2 - 1
    write_f32(out / "train-images.f32", train_images)
    steps = []
    train(g, d, train_images, epochs=1, batch_size=8, lr=2e-4, beta1=0.5, seed=3,
          on_step=lambda e, b, dl, gl, dr, df: steps.append([dl, gl, dr, df]))
    save_file(state(g), out / "train-generator-end.safetensors")
    save_file(state(d), out / "train-discriminator-end.safetensors")

    # A Fréchet distance: two skewed sets of 600 and 500 embeddings of width 12.
    a = (torch.randn(600, 12, generator=gen) @ torch.randn(12, 12, generator=gen)).double()
    b = (torch.randn(500, 12, generator=gen) ** 2 + 0.3).double()
    write_f32(out / "frechet-a.f32", a)
    write_f32(out / "frechet-b.f32", b)
    a, b = a.float().double().numpy(), b.float().double().numpy()
    fd = frechet_numpy(a, b)
    first = SplitMix64(5).draws(3).tolist()
    (out / "meta.json").write_text(json.dumps({
        "training_steps": steps, "steps_config": {"epochs": 1, "batch_size": 8, "lr": 2e-4,
                                                 "beta1": 0.5, "seed": 3},
        "frechet": fd, "codes_seed7": z.flatten()[:6].tolist(), "splitmix_seed5": [str(v) for v in first],
        "torch": torch.__version__}, indent=1))
    print(f"gan fixtures: {len(DECONV_CASES)} transposed convolutions, the pair, 3 training steps, "
          f"Fréchet distance {fd:.6f}")


def frechet_numpy(a, b):
    """FID's formula with LAPACK's symmetric eigensolver: tr (Σa Σb)^½ = Σ √eig(Σa^½ Σb Σa^½)."""
    ma, mb = a.mean(0), b.mean(0)
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(ca)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root @ cb @ root), 0, None)).sum()
    return float(((ma - mb) ** 2).sum() + np.trace(ca) + np.trace(cb) - 2 * cross)


def train_run(args):
    out = Path(args.train)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(args.threads)
    pixels = read_idx(FASHION / "train-images-idx3-ubyte.gz")[: args.images]
    images = torch.from_numpy(pixels.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)
    torch.manual_seed(args.seed)
    g, d = Generator(), Discriminator()
    if args.init_out:
        init = Path(args.init_out)
        init.mkdir(parents=True, exist_ok=True)
        save_file(state(g), init / "generator.safetensors")
        save_file(state(d), init / "discriminator.safetensors")
    rows, seconds, t = [], [], [time.time()]

    def on_epoch(epoch, g):
        seconds.append(round(time.time() - t[0], 1))
        print(f"epoch {epoch + 1}: {seconds[-1]} s, last D {rows[-1][2]:.3f} G {rows[-1][3]:.3f}", flush=True)
        t[0] = time.time()

    cpu0 = time.process_time()
    wall0 = time.time()
    train(g, d, images, args.epochs, args.batch_size, args.lr, args.beta1, args.seed,
          on_step=lambda e, b, dl, gl, dr, df: rows.append([e, b, dl, gl, dr, df]), on_epoch=on_epoch)
    threads = (time.process_time() - cpu0) / (time.time() - wall0)
    samples = to_bytes(sample(g, args.samples, 2)).squeeze(1)
    write_idx(out / "samples-idx3-ubyte", samples)
    with open(out / "losses.csv", "w") as f:
        f.write("epoch,batch,d_loss,g_loss,d_real,d_fake\n")
        for r in rows:
            f.write(",".join(str(v) for v in r) + "\n")
    save_file(state(g), out / "generator.safetensors")
    record = {"command": " ".join(sys.argv), "images": len(images), "epochs": args.epochs,
              "batch_size": args.batch_size, "learning_rate": args.lr, "beta1": args.beta1,
              "seed": args.seed, "seconds_per_epoch": seconds, "threads_used": round(threads, 2),
              "final_d_loss": rows[-1][2], "final_g_loss": rows[-1][3], "torch": torch.__version__}
    (out / "record.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"PyTorch DCGAN: {args.epochs} epochs on {len(images)} images, {threads:.2f} threads used; wrote {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixtures", type=Path)
    ap.add_argument("--train", type=Path)
    ap.add_argument("--images", type=int, default=60000)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--beta1", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--samples", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init-out", type=Path)
    args = ap.parse_args()
    if args.fixtures:
        fixtures(args.fixtures)
    elif args.train:
        train_run(args)
    else:
        ap.error("--fixtures DIR or --train OUT")


if __name__ == "__main__":
    main()
