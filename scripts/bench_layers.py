#!/usr/bin/env python3
"""Per-layer benchmark: every distinct convolution of some variants, alone, on four engines.

`zoo bench-layers` lists each variant's distinct convolutions (recorded from a forward pass)
and times them on the zoo's engine and on Burn flex's own `conv2d`; this script times the same
shapes with PyTorch (`F.conv2d` + ReLU, `inference_mode`) and ONNX Runtime (a one-node
Conv + Relu graph, all optimisations), with the same threads, batches and runs. Each op is
convolution + bias + ReLU, as the models run it after BatchNorm folding. GFLOP/s counts a
multiply-add as 2; "% peak" divides by this machine's measured FMA peak (`zoo` measures it: a
loop of independent fused multiply-adds on every thread), and the best sgemm found (NumPy's
OpenBLAS and PyTorch's `mm`, 2048³) is reported beside it.

Writes docs/layers.md and docs/layers.json.

Usage: scripts/bench.sh --layers [--models a,b] [--batch 1,8] [--runs N] [--threads T]
"""

import argparse
import datetime
import json
import math
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

warnings.filterwarnings("ignore", category=UserWarning)
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from bench_peers import geomean, machine, versions  # noqa: E402
from timing import settle, timed  # noqa: E402


def median_ms(f, warmup: int, runs: int) -> float:
    return timed(f, warmup, runs)[0]


def conv_onnx(row: dict, w: np.ndarray, b: np.ndarray, path: Path) -> None:
    """A one-node Conv + Relu model of `row`'s geometry with a dynamic batch axis."""
    p, k, s = row["padding"], row["kernel"], row["stride"]
    conv = helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[k, k], strides=[s, s],
                            pads=[p, p, p, p], group=row["groups"])
    relu = helper.make_node("Relu", ["c"], ["y"])
    graph = helper.make_graph(
        [conv, relu], "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", row["c_in"], row["h"], row["w"]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)


@torch.inference_mode()
def bench_shape(row: dict, args, tmp: Path) -> dict:
    g = row["groups"]
    w = torch.randn(row["c_out"], row["c_in"] // g, row["kernel"], row["kernel"])
    b = torch.randn(row["c_out"])
    x = torch.randn(row["batch"], row["c_in"], row["h"], row["w"])
    out = {}
    out["torch_ms"] = median_ms(lambda: F.relu(F.conv2d(x, w, b, row["stride"], row["padding"], 1, g)),
                                args.warmup, args.runs)
    settle()
    path = tmp / "conv.onnx"
    conv_onnx(row, w.numpy(), b.numpy(), path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    xn = x.numpy()
    out["ort_ms"] = median_ms(lambda: session.run(None, {"x": xn}), args.warmup, args.runs)
    del session
    settle()
    return out


def sgemm_peak(threads: int) -> dict:
    """Best of 5 for a 2048³ product: PyTorch's `mm`, and NumPy's BLAS in a child process
    (its thread count and core-type settings must be fixed before it loads)."""
    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)
    best = min(median_ms(lambda: torch.mm(a, b), 2, 1) for _ in range(5))
    out = {"torch_mm_gflops": 2 * n ** 3 / best / 1e6}
    code = ("import numpy as np, time\nn=2048\na=np.random.rand(n,n).astype(np.float32)\n"
            "b=np.random.rand(n,n).astype(np.float32)\na@b\nbest=9e9\nfor _ in range(5):\n"
            " t=time.perf_counter(); a@b; best=min(best, time.perf_counter()-t)\n"
            "print(2*n**3/best/1e9)")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if run.returncode == 0:
        out["numpy_gflops"] = float(run.stdout.strip())
    return out


def fmt(x, digits=1):
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def write(rows, peaks, args, started, zoo: Path, path: Path) -> None:
    peak = rows[0]["peak_gflops"] if rows else float("nan")
    best_gemm = max(v for v in peaks.values())
    gemms = ", ".join(f"{k.replace('_gflops', '')} {v:.0f}" for k, v in peaks.items())
    lines = [
        "# Per-layer benchmark",
        "",
        f"Produced by `scripts/bench.sh --layers` (runs {args.runs}, warm-up {args.warmup}, "
        f"{args.threads} threads for every framework) on {started}. Do not edit by hand.",
        "",
        f"- Machine: {machine()}",
        f"- Software: {versions(zoo)}",
        f"- Measured peak: **{peak:.0f} GFLOP/s** (independent FMAs on every thread, the widest "
        f"vectors the engine uses); best sgemm found: {fmt(best_gemm, 0)} GFLOP/s at 2048³ "
        f"({gemms}).",
        "- Each row is one distinct convolution of the model (×n: how often it occurs in one "
        "forward pass), convolution + bias + ReLU, timed alone. Engine = the zoo's "
        "(`zoo-kernels`: direct GEMM micro-kernels, Winograd F(2×2, 3×3) where it applies, "
        "filters prepared once); flex = Burn's own `conv2d` then ReLU; PyTorch = `F.conv2d` + "
        "`F.relu`; ORT = a one-node Conv + Relu graph. Figures are GFLOP/s of the direct "
        "algorithm's work (so Winograd can pass the peak).",
        "",
    ]
    for batch in args.batch:
        sel = [r for r in rows if r["batch"] == batch]
        gm = {k: geomean([r[k] for r in sel]) for k in ("engine_gflops", "flex_gflops", "torch_gflops", "ort_gflops")}
        wins = sum(1 for r in sel if r["engine_gflops"] >= r["ort_gflops"])
        # Whole-model time of the convolutions alone, as each engine would run them.
        lines += [
            f"## Batch {batch}",
            "",
            f"Geometric mean GFLOP/s over the {len(sel)} rows: engine {fmt(gm['engine_gflops'])}, "
            f"flex {fmt(gm['flex_gflops'])}, PyTorch {fmt(gm['torch_gflops'])}, ORT "
            f"{fmt(gm['ort_gflops'])}; the engine is at least as fast as ORT on {wins} of "
            f"{len(sel)} shapes.",
            "",
            "| model | n× | shape (c_in×h×w → c_out) | k/s | groups | GFLOP | engine | flex | PyTorch | ORT | engine % peak | engine ÷ ORT (time) |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in sel:
            lines.append(
                f"| {r['model']} | {r['count']} | {r['c_in']}×{r['h']}×{r['w']} → {r['c_out']} | "
                f"{r['kernel']}/{r['stride']} | {r['groups']} | {r['gflop']:.3f} | "
                f"{fmt(r['engine_gflops'])} | {fmt(r['flex_gflops'])} | {fmt(r['torch_gflops'])} | "
                f"{fmt(r['ort_gflops'])} | {100 * r['engine_gflops'] / peak:.0f} % | "
                f"{r['engine_ms'] / r['ort_ms']:.2f} |")
        lines.append("")
    path.write_text("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zoo", type=Path, required=True)
    ap.add_argument("--models", default="resnet18,resnet50,vgg16,densenet121,googlenet,xception,resnext50_32x4d")
    ap.add_argument("--batch", default="1,8")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "layers.md")
    ap.add_argument("--json", type=Path, default=ROOT / "docs" / "layers.json")
    args = ap.parse_args()
    args.batch = [int(b) for b in args.batch.split(",")]
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cmd = [args.zoo, "bench-layers", "--json", "--models", args.models, "--batch",
           ",".join(map(str, args.batch)), "--runs", str(args.runs), "--warmup", str(args.warmup),
           "--threads", str(args.threads)]
    zoo_rows = [json.loads(l) for l in subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()]
    settle()
    seen, rows = {}, []
    key = lambda r: (r["batch"], r["c_in"], r["h"], r["w"], r["c_out"], r["kernel"], r["stride"], r["padding"], r["groups"])
    with tempfile.TemporaryDirectory() as tmp:
        for r in zoo_rows:
            if key(r) not in seen:
                seen[key(r)] = bench_shape(r, args, Path(tmp))
            r.update(seen[key(r)])
            for fw in ("torch", "ort"):
                r[f"{fw}_gflops"] = r["gflop"] * 1e3 / r[f"{fw}_ms"]
            rows.append(r)
            print(f"{r['model']:<16} b{r['batch']} {r['c_in']}x{r['h']}x{r['w']}->{r['c_out']} k{r['kernel']}/{r['stride']} "
                  f"g{r['groups']}: engine {r['engine_gflops']:.0f}, flex {r['flex_gflops']:.0f}, "
                  f"torch {r['torch_gflops']:.0f}, ort {r['ort_gflops']:.0f} GFLOP/s", flush=True)
    peaks = sgemm_peak(args.threads)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"started": started, "machine": machine(), "sgemm": peaks, "rows": rows}, indent=1) + "\n")
    write(rows, peaks, args, started, args.zoo, args.out)
    print(f"wrote {args.out} and {args.json}")


if __name__ == "__main__":
    main()
