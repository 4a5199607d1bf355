#!/usr/bin/env python3
"""Benchmark every zoo variant against PyTorch eager and ONNX Runtime on this machine.

For each variant, back to back so that all three see the same machine state: `zoo bench`
(Burn, flex device, the zoo's convolution engine; BatchNorm folded), then PyTorch eager
(`inference_mode`), then ONNX Runtime (all graph optimisations) on an ONNX export of the same
architecture. Each framework runs in a process of its own (so each has its own peak memory),
after the previous one's worker threads have gone idle. The same thread count, batch sizes,
warm-up and number of timed runs for all three; the median is reported, and so is the CPU time
÷ wall time of the timed runs: the threads each framework actually kept busy. Weights are
random: timing does not depend on them. FLOPs are counted by `torch.utils.flop_counter` (a
multiply-add is 2 FLOPs). With `perf` on the PATH, ResNet-50 is also profiled by symbol and
the time is split by op type.

Writes BENCHMARKS.md (tables, summary against the goals of issue 13, machine and versions), an
SVG chart of the batch-1 ratios, and the raw figures as JSON.

Usage: scripts/bench.sh [--runs N] [--warmup N] [--threads T] [VARIANT ...]
(`--worker torch` is the script timing PyTorch in a child process.)
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

# The TorchScript exporter's deprecation and constant-folding notes say nothing about timing.
warnings.filterwarnings("ignore", category=UserWarning)
warnings.filterwarnings("ignore", category=DeprecationWarning)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import reference  # noqa: E402  (the variant tables the parity fixtures use)
from timing import peak_mib, settle, timed  # noqa: E402


class LeNet5(torch.nn.Module):
    """The zoo's `lenet5` (tanh, average pooling) or `lenet5_modern` (ReLU, max pooling);
    `lenet5_fyh620` is the modern one without C1's padding (fc1 of 16 × 4 × 4 inputs)."""

    def __init__(self, modern: bool, padding: int = 2):
        super().__init__()
        side = ((28 + 2 * padding - 4) // 2 - 4) // 2
        self.conv1 = torch.nn.Conv2d(1, 6, 5, padding=padding)
        self.conv2 = torch.nn.Conv2d(6, 16, 5)
        self.fc1 = torch.nn.Linear(16 * side * side, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 10)
        self.act = torch.relu if modern else torch.tanh
        self.pool = torch.nn.functional.max_pool2d if modern else torch.nn.functional.avg_pool2d

    def forward(self, x):
        x = self.pool(self.act(self.conv1(x)), 2)
        x = self.pool(self.act(self.conv2(x)), 2)
        x = self.act(self.fc1(x.flatten(1)))
        return self.fc3(self.act(self.fc2(x)))


class Functional(torch.nn.Module):
    """The official WRN code is a function over a parameter dict; this makes it exportable."""

    def __init__(self, params, forward):
        super().__init__()
        self.params, self.f = params, forward

    def forward(self, x):
        return self.f(x)


def torch_model(name: str) -> tuple[torch.nn.Module, int, int]:
    """The reference module of `name`, its input side and channels."""
    import cifar_models as cm

    if name in ("lenet5", "lenet5_modern"):
        return LeNet5(name == "lenet5_modern"), 28, 1
    if name == "lenet5_fyh620":
        return LeNet5(True, padding=0), 28, 1
    if name in reference.TIMM:
        import timm

        timm_name, size = reference.TIMM[name]
        return timm.create_model(timm_name, pretrained=False), size, 3
    if name in reference.CIFAR_WRN:
        params, forward = cm.wrn(*reference.CIFAR_WRN[name])
        return Functional(params, forward), 32, 3
    if name in reference.CIFAR_PREACT:
        return cm.PreActResNet(*reference.CIFAR_PREACT[name]), 32, 3
    if name in reference.CIFAR_DENSENET:
        return cm.DenseNet(*reference.CIFAR_DENSENET[name]), 32, 3
    if name in reference.CIFAR_RESNET:
        return cm.CifarResNet(*reference.CIFAR_RESNET[name]), 32, 3
    if name in reference.COURSE:
        from course_models import NETWORKS

        return NETWORKS[name](), reference.COURSE[name], 1 if name in reference.GREY else 3
    # GoogLeNet and Inception-v3 as evaluated: their auxiliary classifiers never run.
    kwargs = {"init_weights": False, "aux_logits": False} if name in ("googlenet", "inception_v3") else {}
    size = reference.SIDE.get(name, 224)
    return torchvision.models.get_model(name, weights=None, **kwargs), size, 3


def zoo_list(zoo: Path) -> list[str]:
    out = subprocess.run([zoo, "list"], check=True, capture_output=True, text=True).stdout
    names = [line.split()[0] for line in out.splitlines()[1:] if line.strip()]
    return [n for n in names if re.fullmatch(r"[a-z0-9_]+", n)]


def bench_burn(zoo: Path, name: str, args, pth: Path) -> dict:
    """`zoo bench`, also timing the load of the reference's own state dict from `pth`."""
    cmd = [zoo, "bench", "--model", name, "--json", "--runs", str(args.runs),
           "--warmup", str(args.warmup), "--batch", ",".join(map(str, args.batch)),
           "--threads", str(args.threads)]
    env = {**os.environ, "RAYON_NUM_THREADS": str(args.threads)}
    run = subprocess.run(cmd + ["--weights", str(pth)], capture_output=True, text=True, env=env)
    if run.returncode != 0:  # a layout the zoo's key map does not cover: time the rest
        print(f"{name}: no .pth load time ({run.stderr.strip()[-200:]})", flush=True)
        run = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(run.stdout.strip().splitlines()[-1])


def bench_peers(name: str, model: torch.nn.Module, size: int, channels: int, args, tmp: Path) -> dict:
    """PyTorch, then ONNX Runtime on an export of `model`, each in a worker process."""
    row = {}
    x1 = torch.randn(1, channels, size, size)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model(x1)
    row["gflop"] = counter.get_total_flops() / 1e9
    onnx_path = tmp / f"{name}.onnx"
    with torch.inference_mode():
        torch.onnx.export(model, (x1,), onnx_path, dynamo=False, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
    for framework in ("torch", "ort"):
        settle()
        if framework == "torch":
            cmd = [sys.executable, __file__, "--worker", "torch", "--runs", str(args.runs),
                   "--warmup", str(args.warmup), "--threads", str(args.threads),
                   "--batch", ",".join(map(str, args.batch)), "--zoo", str(args.zoo), name]
        else:  # without importing PyTorch, so that the peak is ONNX Runtime's own
            params = {"onnx": str(onnx_path), "batch": args.batch, "channels": channels, "size": size,
                      "runs": args.runs, "warmup": args.warmup, "threads": args.threads}
            cmd = [sys.executable, str(ROOT / "scripts" / "ort_worker.py"), json.dumps(params)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        row.update({f"{framework}_{k}": v for k, v in json.loads(out.strip().splitlines()[-1]).items()})
    settle()
    onnx_path.unlink()
    for extra in tmp.iterdir():  # external-data files of the larger exports
        extra.unlink()
    return row


@torch.inference_mode()
def worker(framework: str, name: str, args) -> None:
    """Times PyTorch on one variant and prints its figures as one JSON line."""
    model, size, channels = torch_model(name)
    model.eval()
    forward = model
    row = {}
    for b in args.batch:
        x = torch.randn(b, channels, size, size)
        row[f"batch{b}_ms"], row[f"batch{b}_cpu_per_wall"] = timed(lambda: forward(x), args.warmup, args.runs)
    row["peak_mib"] = peak_mib()
    print(json.dumps(row))


# Symbol patterns → op type, first match wins (perf's symbol column).
OP_TYPES = [
    ("engine micro-kernels (zoo-kernels)", r"zoo_kernels::gemm"),
    ("engine packing, im2col (zoo-kernels)", r"zoo_kernels"),
    ("flex GEMM micro-kernels", r"gemm_f32::microkernel"),
    ("GEMM packing and dispatch", r"gemm"),
    ("convolution layout (NHWC, im2col, scatter)", r"conv"),
    ("pooling", r"pool"),
    ("BatchNorm", r"batch_norm"),
    ("element-wise (add, ReLU, copies)", r"binary|unary|zip|activation|relu|cat|slice"),
    ("memory (zeroing, copying, page faults)", r"memset|memmove|memcpy|page|alloc|folio|fault|\[k\]"),
    ("random initialisation (setup, not inference)", r"rand|random|chacha|sampl"),
]


def profile(zoo: Path, args) -> list[tuple[str, float]] | None:
    """Split of ResNet-50's time at batch 8 by op type, from `perf` samples."""
    if shutil.which("perf") is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        data = Path(d) / "perf.data"
        env = {**os.environ, "RAYON_NUM_THREADS": str(args.threads)}
        rec = subprocess.run(["perf", "record", "-F", "999", "-o", data, "--", zoo, "bench",
                              "--model", "resnet50", "--batch", "8", "--runs", "5", "--warmup", "1",
                              "--threads", str(args.threads)],
                             capture_output=True, text=True, env=env)
        if rec.returncode != 0:
            print(f"perf record failed; no profile:\n{rec.stderr[-500:]}", flush=True)
            return None
        rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "symbol",
                              "--stdio"], capture_output=True, text=True).stdout
    shares = {}
    for line in rep.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\[.\])\s+(.*)", line)
        if not m:
            continue
        pct, kind, sym = float(m[1]), m[2], m[3].strip()
        label = next((t for t, pat in OP_TYPES if re.search(pat, f"{kind} {sym}")), "other")
        shares[label] = shares.get(label, 0.0) + pct
    return sorted(shares.items(), key=lambda kv: -kv[1])


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else float("nan")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}"


def versions(zoo: Path) -> str:
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"Burn 0.22.1 (flex), {rustc or 'rustc ?'}; PyTorch {torch.__version__}, "
            f"torchvision {torchvision.__version__}, ONNX Runtime {ort.__version__}, "
            f"Python {platform.python_version()}")


def fmt(x, digits=1):
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def chart(rows: list[dict], path: Path) -> None:
    """Horizontal bars of Burn's batch-1 time over PyTorch's and over ORT's, log scale."""
    rows = [r for r in rows if r.get("burn_batch1_ms")]
    bar, gap, left, width = 7, 6, 150, 520
    height = 40 + len(rows) * (2 * bar + gap) + 30
    lo, hi = 0.25, 8.0
    xpos = lambda v: left + width * (math.log(min(max(v, lo), hi) / lo) / math.log(hi / lo))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 40}" height="{height}" '
           'font-family="sans-serif" font-size="10">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{left}" y="14" font-size="12">Burn time ÷ peer time at batch 1 (log scale; '
           'left of 1 = Burn faster)</text>',
           f'<rect x="{left}" y="20" width="10" height="8" fill="#d62728"/><text x="{left + 14}" y="28">'
           'over PyTorch eager</text>',
           f'<rect x="{left + 130}" y="20" width="10" height="8" fill="#1f77b4"/>'
           f'<text x="{left + 144}" y="28">over ONNX Runtime</text>']
    y = 40
    for r in rows:
        out.append(f'<text x="{left - 4}" y="{y + bar + 3}" text-anchor="end">{r["variant"]}</text>')
        for key, colour in (("burn_over_torch_b1", "#d62728"), ("burn_over_ort_b1", "#1f77b4")):
            v = r.get(key)
            if v:
                out.append(f'<rect x="{left}" y="{y}" width="{xpos(v) - left:.1f}" height="{bar}" '
                           f'fill="{colour}"><title>{r["variant"]}: {v:.2f}×</title></rect>')
            y += bar
        y += gap
    for tick in (0.25, 0.5, 1, 2, 4, 8):
        x = xpos(tick)
        dash = "" if tick == 1 else ' stroke-dasharray="2,3"'
        out.append(f'<line x1="{x:.1f}" y1="36" x2="{x:.1f}" y2="{y}" stroke="#444"{dash}/>')
        out.append(f'<text x="{x:.1f}" y="{y + 12}" text-anchor="middle">{tick}×</text>')
    out.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")


# Where Winograd applies (3×3 stride-1 convolutions dominate): issue 13's ≤ 0.8 × ORT target.
WINOGRAD_FAMILIES = re.compile(r"vgg|resnet(18|34|20|32|44|56|110|1202)$|preact_|wrn_")


def write_markdown(rows, prof, args, path: Path, chart_path: Path, started: str, zoo: Path) -> None:
    b1 = [r for r in rows if r.get("burn_over_torch_b1")]
    faster = [r["variant"] for r in b1 if r["burn_over_torch_b1"] < 1.0]
    slower = [r["variant"] for r in b1 if r["burn_over_torch_b1"] >= 1.0]
    gm_ort = geomean([r.get("burn_over_ort_b1") for r in rows])
    gm_torch = geomean([r.get("burn_over_torch_b1") for r in rows])
    wino = [r for r in rows if WINOGRAD_FAMILIES.search(r["variant"])]
    gm_wino = geomean([r.get("burn_over_ort_b1") for r in wino])
    r50 = next((r for r in rows if r["variant"] == "resnet50"), None)
    load_ratio = r50["load_bpk_ms"] / r50["read_bpk_ms"] if r50 else None
    met = lambda ok: "**met**" if ok else "**not met**"
    big = max(args.batch)
    through = [r for r in rows if r["variant"] in ("resnet50", "vgg16", "densenet121")
               and r.get(f"burn_batch{big}_ms") and r.get(f"ort_batch{big}_ms")]
    through_ok = [r["variant"] for r in through if r[f"burn_batch{big}_ms"] <= r[f"ort_batch{big}_ms"]]
    mem = [r for r in rows if r.get("burn_peak_mib") and r.get("torch_peak_mib")]
    mem_over = [r["variant"] for r in mem if r["burn_peak_mib"] > r["torch_peak_mib"]]
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `scripts/bench.sh` (runs {args.runs}, warm-up {args.warmup}, batches "
        f"{', '.join(map(str, args.batch))}, {args.threads} threads given to every framework) on "
        f"{started}. Do not edit by hand: run the command again.",
        "",
        f"- Machine: {machine()}",
        f"- Software: {versions(zoo)}",
        "- Burn: `zoo bench --threads T` on the flex device, BatchNorm folded into the "
        "convolutions (`Fuse::fused`), convolutions by the zoo's engine (`zoo-kernels`); "
        "PyTorch: eager, `torch.inference_mode()`, `set_num_threads(T)`; ONNX Runtime: CPU "
        "provider, all graph optimisations, `intra_op_num_threads = T`, an export of the same "
        "architecture (TorchScript exporter). Each framework runs in a process of its own.",
        "- Threads used = CPU time ÷ wall time over the timed runs (what each framework really "
        "kept busy, not what it was told). Each variant is timed by the three back to back "
        "(interleaved), so a ratio compares like with like even when the shared machine's speed "
        "drifts between variants. Weights are random. Times are medians.",
        "",
        "## Against the goals (issue 13)",
        "",
        f"- Every variant faster than PyTorch eager at batch 1: {met(not slower and bool(b1))} — "
        f"{len(faster)} of {len(b1)} faster; geometric mean Burn ÷ PyTorch {fmt(gm_torch, 2)}×"
        + (f"; slower: {', '.join(slower)}." if slower else "."),
        f"- Geometric mean Burn ÷ ONNX Runtime at batch 1 ≤ 1.0×: {met(gm_ort <= 1.0)} — "
        f"{fmt(gm_ort, 2)}×.",
        f"- Where Winograd applies (VGG, ResNet-18/34, the CIFAR ResNets and WRNs; {len(wino)} "
        f"variants here) ≤ 0.8×: {met(bool(wino) and gm_wino <= 0.8)} — {fmt(gm_wino, 2)}×.",
        f"- Batch-{big} throughput ≥ ORT on ResNet-50, VGG-16, DenseNet-121: "
        f"{met(len(through) == 3 and len(through_ok) == 3)} — "
        + (", ".join(f"{r['variant']} {r[f'burn_batch{big}_ms'] / r[f'ort_batch{big}_ms']:.2f}× ORT's time"
                     for r in through) or "not measured") + ".",
        f"- Peak memory ≤ PyTorch's for every variant: {met(bool(mem) and not mem_over)}"
        + (f" — over: {', '.join(mem_over)}." if mem_over else "."),
        f"- Loading a Burn-format ResNet-50 ≤ 2× the time to read its bytes: "
        f"{met(load_ratio is not None and load_ratio <= 2.0)} — "
        f"{fmt(r50 and r50['load_bpk_ms'])} ms against {fmt(r50 and r50['read_bpk_ms'])} ms, "
        f"{fmt(load_ratio, 2)}×." if r50 else "- ResNet-50 load: not measured in this run.",
        "",
        f"![Burn over PyTorch and ONNX Runtime at batch 1]({chart_path.relative_to(path.parent)})",
        "",
        "## Latency at batch 1",
        "",
        "Threads used: CPU time ÷ wall time, Burn / PyTorch / ORT.",
        "",
        "| variant | GFLOP | Burn ms | PyTorch ms | ORT ms | Burn ÷ PyTorch | Burn ÷ ORT | Burn GFLOP/s | ORT GFLOP/s | threads used |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    used = lambda r, b: " / ".join(fmt(r.get(f"{fw}_batch{b}_cpu_per_wall")) for fw in ("burn", "torch", "ort"))
    for r in rows:
        g = r.get("gflop")
        gps = lambda ms: g * 1e3 / ms if g and ms else None
        lines.append(
            f"| {r['variant']} | {fmt(g, 2)} | {fmt(r.get('burn_batch1_ms'))} | "
            f"{fmt(r.get('torch_batch1_ms'))} | {fmt(r.get('ort_batch1_ms'))} | "
            f"{fmt(r.get('burn_over_torch_b1'), 2)} | {fmt(r.get('burn_over_ort_b1'), 2)} | "
            f"{fmt(gps(r.get('burn_batch1_ms')))} | {fmt(gps(r.get('ort_batch1_ms')))} | {used(r, 1)} |")
    if big != 1:
        lines += [
            "",
            f"## Throughput at batch {big} (images/s)",
            "",
            "| variant | Burn | PyTorch | ORT | Burn ÷ PyTorch (time) | Burn ÷ ORT (time) | Burn GFLOP/s | threads used |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            ips = lambda k: big * 1e3 / r[k] if r.get(k) else None
            ratio = lambda k: r["burn_batch%d_ms" % big] / r[k] if r.get(k) and r.get("burn_batch%d_ms" % big) else None
            g = r.get("gflop")
            burn_ms = r.get(f"burn_batch{big}_ms")
            lines.append(
                f"| {r['variant']} | {fmt(ips(f'burn_batch{big}_ms'))} | {fmt(ips(f'torch_batch{big}_ms'))} | "
                f"{fmt(ips(f'ort_batch{big}_ms'))} | {fmt(ratio(f'torch_batch{big}_ms'), 2)} | "
                f"{fmt(ratio(f'ort_batch{big}_ms'), 2)} | {fmt(g * big * 1e3 / burn_ms if g and burn_ms else None)} | "
                f"{used(r, big)} |")
    lines += [
        "",
        "## Loading and memory",
        "",
        "Load = build the model, then read and apply its burnpack file; read = reading the same "
        "file's bytes into memory and nothing else (page cache warm for both); load .pth = the "
        "same from the reference model's own `torch.save`d state dict (name mapping included). "
        "Peak = each framework's peak resident memory while it loads the model and runs it at "
        "every batch size (Burn: `zoo bench` from loading the burnpack file on, after the other "
        "loads were timed and dropped, prepared Winograd filters included; PyTorch and ORT: "
        "their worker process, interpreter and libraries included; the PyTorch wheel is the "
        "CUDA build, whose libraries alone take about 700 MiB).",
        "",
        "| variant | params | burnpack MiB | read ms | load ms | load ÷ read | load .pth ms | peak MiB Burn | PyTorch | ORT |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = r["load_bpk_ms"] / r["read_bpk_ms"] if r.get("read_bpk_ms") else None
        lines.append(f"| {r['variant']} | {r['params']:,} | {fmt(r.get('bpk_mib'))} | "
                     f"{fmt(r.get('read_bpk_ms'))} | {fmt(r.get('load_bpk_ms'))} | {fmt(ratio, 2)} | "
                     f"{fmt(r.get('load_weights_ms'))} | {fmt(r.get('burn_peak_mib'))} | "
                     f"{fmt(r.get('torch_peak_mib'))} | {fmt(r.get('ort_peak_mib'))} |")
    if prof:
        lines += [
            "",
            "## Where Burn's time goes (ResNet-50, batch 8)",
            "",
            "Share of `perf` samples by symbol, grouped by op type (the run includes building and "
            "loading the model, which is where random initialisation comes from).",
            "",
            "| op type | share |",
            "|---|---:|",
        ] + [f"| {label} | {pct:.1f} % |" for label, pct in prof]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zoo", type=Path, required=True, help="the zoo binary")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batch", type=lambda s: [int(b) for b in s.split(",")], default=[1, 8])
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--chart", type=Path, default=ROOT / "docs" / "benchmarks.svg")
    ap.add_argument("--json", type=Path, default=ROOT / "docs" / "benchmarks.json")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--worker", choices=["torch"], help=argparse.SUPPRESS)
    ap.add_argument("variants", nargs="*")
    args = ap.parse_args()
    if args.worker:
        torch.set_num_threads(args.threads)
        torch.set_num_interop_threads(1)
        worker(args.worker, args.variants[0], args)
        return
    if 1 not in args.batch:
        sys.exit("--batch must include 1 (the goals are stated at batch 1)")
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    names = args.variants or zoo_list(args.zoo)
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            t = time.time()
            model, size, channels = torch_model(name)
            model.eval()
            pth = Path(tmp) / f"{name}.pth"
            state = model.params if isinstance(model, Functional) else model.state_dict()
            torch.save({k: v.contiguous() for k, v in state.items()}, pth)
            settle()
            row = bench_burn(args.zoo, name, args, pth)
            pth.unlink()
            row.update(bench_peers(name, model, size, channels, args, Path(tmp)))
            for b in args.batch:
                row[f"burn_batch{b}_ms"] = row.pop(f"batch{b}_ms", None)
                row[f"burn_batch{b}_cpu_per_wall"] = row.pop(f"batch{b}_cpu_per_wall", None)
                row.pop(f"batch{b}_images_per_s", None)
            row["burn_peak_mib"] = row.pop("peak_mib", None)
            if row.get("burn_batch1_ms"):
                row["burn_over_torch_b1"] = row["burn_batch1_ms"] / row["torch_batch1_ms"]
                row["burn_over_ort_b1"] = row["burn_batch1_ms"] / row["ort_batch1_ms"]
            rows.append(row)
            print(f"{name:<20} burn {fmt(row['burn_batch1_ms'])} ms, torch {fmt(row['torch_batch1_ms'])} ms, "
                  f"ort {fmt(row['ort_batch1_ms'])} ms at batch 1 ({time.time() - t:.0f} s)", flush=True)
    prof = None if args.no_profile else profile(args.zoo, args)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"started": started, "machine": machine(), "versions": versions(args.zoo),
                                     "rows": rows, "profile": prof}, indent=1) + "\n")
    chart(rows, args.chart)
    write_markdown(rows, prof, args, args.out, args.chart, started, args.zoo)
    print(f"wrote {args.out}, {args.chart} and {args.json}")


if __name__ == "__main__":
    main()
