#!/usr/bin/env bash
# The transfer experiment of the README: `zoo finetune` and scripts/transfer_reference.py
# (PyTorch, the same images, order, crops, optimizer and schedule) side by side, one run after
# the other, each timed with the threads it actually used (CPU time ÷ wall time).
#   scripts/transfer.sh        the README's schedules (about an hour on 2 cores)
#   scripts/transfer.sh NAME   only the runs whose name (model-images-mode) contains NAME
#   scripts/transfer.sh --ci   a reduced schedule (about 6 minutes) that fails when a Burn
#                              figure is more than 2 points from PyTorch's (5 where each
#                              framework draws its own dropout or stochastic-depth masks)
# Needs Fashion-MNIST's training set (Debian's dataset-fashion-mnist, installed when run as
# root) and ../shared/data (the MNIST LeNet and the CIFAR-10 ResNet-20). Results and the table
# go to $CARGO_TARGET_DIR/transfer.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
ci=0 only=""
for arg in "$@"; do
  if [ "$arg" = --ci ]; then ci=1; else only=$arg; fi
done

source scripts/fashion.sh
shared="${ZOO_SHARED:-$PWD/../shared/data}"
lenet="$shared/lenet-fyh620/fyh620_lenet.pth"
resnet="$shared/cifar10-resnet/resnet20-12fca82f.th"
for f in "$lenet" "$resnet"; do [ -e "$f" ] || { echo "$f is absent" >&2; exit 1; }; done

source scripts/venv.sh
source scripts/zoo-bin.sh
out="$CARGO_TARGET_DIR/transfer"
# A filter (`scripts/transfer.sh resnet20`) reruns the matching runs and keeps the others.
[ -n "$only" ] || rm -rf "$out"
mkdir -p "$out"

# model, weights (- for none: from scratch), images per class, mode, epochs, peak learning rate,
# then optionally stochastic depth's p_L (- for none) and the optimizer (default sgd)
if [ "$ci" = 1 ]; then
  runs=(
    "lenet5_fyh620 $lenet 100 linear-probe 10 0.05"
    "lenet5_fyh620 $lenet 100 full 10 0.05"
    "lenet5_fyh620 $lenet 100 scratch 10 0.05"
    "resnet20 $resnet 100 linear-probe 3 0.05"
    "nin_fashion - 100 scratch 5 0.05"
    "resnet20 - 50 scratch 2 0.05 0.5"
    "plain_fc10 - 100 scratch 5 0.01"
    "highway_fc50 - 100 scratch 5 0.01"
  )
else
  runs=()
  for n in 100 1000; do
    epochs=$((n == 100 ? 50 : 10))
    for mode in linear-probe full scratch; do
      runs+=("lenet5_fyh620 $lenet $n $mode $epochs 0.05")
    done
  done
  runs+=("resnet20 $resnet 1000 linear-probe 5 0.05")
  # The course's other networks, trained from scratch (issue: NiN, stochastic depth).
  runs+=("nin_fashion - 1000 scratch 6 0.001 - adamw")
  runs+=("resnet20 - 500 scratch 4 0.05" "resnet20 - 500 scratch 4 0.05 0.5")
  # Highway against plain networks of 10, 20 and 50 layers, one recipe (docs/highway.png).
  for depth in 10 20 50; do
    runs+=("plain_fc$depth - 1000 scratch 10 0.01" "highway_fc$depth - 1000 scratch 10 0.01")
  done
fi

for run in "${runs[@]}"; do
  read -r model weights n mode epochs lr sd opt <<< "$run"
  [ "$sd" != - ] || sd=""
  opt=${opt:-sgd}
  name="$model-$n-$mode${sd:+-sd$sd}"
  [ "$opt" = sgd ] || name="$name-$opt"
  extra=(--optimizer "$opt")
  [ -z "$sd" ] || extra+=(--stochastic-depth "$sd")
  [ "$weights" != - ] || weights=""
  [[ "$name" == *"$only"* ]] || continue
  rm -rf "$out/$name".*
  # PyTorch first: it draws the new head (from scratch, the whole network) and writes it, and
  # Burn starts from the same weights.
  echo "== $name: PyTorch"
  timed "$out/$name.torch.time" "$out/$name.torch.json" "$venv/bin/python" \
    scripts/transfer_reference.py --model "$model" ${weights:+--weights "$weights"} \
    --fashion "$fashion" --classes 10 --per-class "$n" --mode "$mode" --epochs "$epochs" \
    --lr "$lr" --batch 64 --seed 0 --threads "$(nproc)" --init-out "$out/$name.init.pth" \
    "${extra[@]}"
  echo "== $name: Burn"
  timed "$out/$name.burn.time" /dev/null "$zoo" finetune --model "$model" \
    --init "$out/$name.init.pth" --data "$fashion" --val "$fashion" --classes 10 \
    --per-class "$n" --mode "$mode" --epochs "$epochs" --lr "$lr" --batch 64 --seed 0 \
    --out "$out/$name.bpk" "${extra[@]}"
done

"$venv/bin/python" - "$out" "$ci" <<'EOF'
import json, sys
from pathlib import Path
out, ci = Path(sys.argv[1]), sys.argv[2] == "1"
rows, worst, loose = [], 0.0, 0.0
head = ("| network | images per class | mode | stochastic depth p_L | epochs | Burn top-1 | PyTorch top-1 | Δ | "
        "Burn s/epoch | PyTorch s/epoch | threads used (Burn / PyTorch) |")
print(head)
print("|" + " --- |" * head.count(" | ") + " --- |")
for rec in sorted(out.glob("*.json")):
    if rec.name.endswith(".torch.json"):
        continue
    name = rec.stem
    burn = json.loads(rec.read_text())
    torch_ = json.loads((out / f"{name}.torch.json").read_text())
    bh, th = burn["outcome"]["history"], torch_["history"]
    b, t = bh[-1]["val_accuracy"], th[-1]["val_accuracy"]
    bs = sorted(h["seconds"] for h in bh)[len(bh) // 2]
    ts = sorted(h["train_seconds"] for h in th)[len(th) // 2]
    threads = []
    for side in ("burn", "torch"):
        wall, cpu = map(float, (out / f"{name}.{side}.time").read_text().split())
        threads.append(cpu / wall)
    s = burn["settings"]
    sd = s.get("stochastic_depth") or "–"
    mode = s["mode"] + (" (AdamW)" if s["optimizer"] == "adamw" else "")
    print(f"| {s['model']} | {burn['train_images'] // 10} | {mode} | {sd} | {s['epochs']} | {b:.2f} % | "
          f"{t:.2f} % | {b - t:+.2f} | {bs:.2f} | {ts:.2f} | {threads[0]:.1f} / {threads[1]:.1f} |")
    # Dropout (NiN) and stochastic depth draw their own random masks in each framework, so those
    # runs agree as two seeds do, not as two roundings of one trajectory.
    if s["model"].startswith("nin_") or s.get("stochastic_depth"):
        loose = max(loose, abs(b - t))
    else:
        worst = max(worst, abs(b - t))
print(f"\nlargest |Burn − PyTorch|: {worst:.2f} points; with dropout or stochastic depth (masks "
      f"drawn by each framework): {loose:.2f} points (test accuracy after the last epoch, 10,000 "
      "Fashion-MNIST test images; s/epoch: median training time per epoch)")
if ci and (worst > 2.0 or loose > 5.0):
    sys.exit(f"Burn and PyTorch differ by {worst:.2f} points (bound 2) and, with their own random "
             f"masks, by {loose:.2f} points (bound 5)")
EOF
