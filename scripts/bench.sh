#!/usr/bin/env bash
# The zoo's benchmark command: every variant on Burn (flex), PyTorch eager and ONNX Runtime,
# back to back on this machine; writes BENCHMARKS.md, docs/benchmarks.svg and
# docs/benchmarks.json. Takes about 30 minutes on 2 cores with the defaults.
#   scripts/bench.sh                       all variants, batch 1 and 8, median of 5 runs
#   scripts/bench.sh resnet50 vgg16        some variants (the files are rewritten with just these)
#   scripts/bench.sh --runs 10 --threads 1 more runs, another thread count
#   scripts/bench.sh --layers              the per-layer benchmark instead (docs/layers.md):
#                                          every distinct convolution of seven variants on the
#                                          zoo's engine, flex, PyTorch and ORT (about 10 minutes)
# Run it on an otherwise idle machine: the three frameworks share it with whatever else runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
source scripts/venv.sh
source scripts/zoo-bin.sh
if [ "${1:-}" = "--layers" ]; then
  shift
  exec "$venv/bin/python" scripts/bench_layers.py --zoo "$zoo" "$@"
fi
exec "$venv/bin/python" scripts/bench_peers.py --zoo "$zoo" "$@"
