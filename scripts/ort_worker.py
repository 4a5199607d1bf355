#!/usr/bin/env python3
"""ONNX Runtime's side of scripts/bench_peers.py, in a process that imports only NumPy and
ONNX Runtime (so its peak memory is ORT's own). Argument: a JSON object with the ONNX file,
batches, input channels and size, runs, warm-up and threads; prints one JSON line."""

import json
import sys

import numpy as np
import onnxruntime as ort

from timing import peak_mib, timed


def main() -> None:
    p = json.loads(sys.argv[1])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = p["threads"]
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(p["onnx"], opts, providers=["CPUExecutionProvider"])
    row = {}
    for b in p["batch"]:
        x = np.random.randn(b, p["channels"], p["size"], p["size"]).astype(np.float32)
        row[f"batch{b}_ms"], row[f"batch{b}_cpu_per_wall"] = timed(
            lambda: session.run(None, {"x": x}), p["warmup"], p["runs"])
    row["peak_mib"] = peak_mib()
    print(json.dumps(row))


if __name__ == "__main__":
    main()
