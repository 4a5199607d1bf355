#!/usr/bin/env bash
# The DCGAN experiment of the README: scripts/gan_reference.py --train (PyTorch) and
# `zoo gan train` on the same Fashion-MNIST images in the same order, with the same codes and
# from the same starting weights (PyTorch's), one after the other, each timed with the threads
# it actually used; then `zoo gan score` rates both generators' 10,000 samples the same way
# (Fréchet distance of LeNet-5 embeddings to the 10,000 test images).
#   scripts/gan.sh        the README's run: 20,000 images, 3 epochs in batches of 64 (about 12
#                         minutes on 2 cores)
#   scripts/gan.sh --ci   1 epoch on 5,000 images (about 2 minutes); fails when Burn's distance
#                         is more than 5 % from PyTorch's
# Results go to $CARGO_TARGET_DIR/gan.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
ci=0
[ "${1:-}" != --ci ] || ci=1
images=20000 epochs=3 batch=64
[ "$ci" = 0 ] || { images=5000; epochs=1; }

source scripts/fashion.sh
source scripts/venv.sh
source scripts/zoo-bin.sh
out="$CARGO_TARGET_DIR/gan"
rm -rf "$out"
mkdir -p "$out"

echo "== DCGAN, $images images, $epochs epochs: PyTorch"
timed "$out/torch.time" "$out/torch.log" "$venv/bin/python" scripts/gan_reference.py \
  --train "$out/pytorch" --images "$images" --epochs "$epochs" --batch-size "$batch" \
  --threads "$(nproc)" \
  --init-out "$out/init"
echo "== DCGAN: Burn"
timed "$out/burn.time" "$out/burn.log" "$zoo" gan train --data "$fashion" --images "$images" \
  --epochs "$epochs" --batch-size "$batch" --init "$out/init" --out "$out/burn"
"$zoo" gan score "$out/pytorch/samples-idx3-ubyte" --data "$fashion" \
  --grid "$out/pytorch/grid.png" > "$out/pytorch/score.txt"
[ "$ci" = 1 ] || "$zoo" gan score "$fashion/train-images-idx3-ubyte.gz" --data "$fashion" \
  > "$out/real-score.txt"

"$venv/bin/python" - "$out" "$ci" <<'EOF'
import json, re, sys
from pathlib import Path
out, ci = Path(sys.argv[1]), sys.argv[2] == "1"
burn = json.loads((out / "burn" / "record.json").read_text())
torch_ = json.loads((out / "pytorch" / "record.json").read_text())
fd = {"burn": burn["frechet_distance"],
      "torch": float(re.search(r"distance ([0-9.]+)", (out / "pytorch" / "score.txt").read_text())[1])}
threads = {}
for side in ("burn", "torch"):
    wall, cpu = map(float, (out / f"{side}.time").read_text().split())
    threads[side] = cpu / wall
median = lambda v: sorted(v)[len(v) // 2]
print("| framework | images | epochs | batch | final D loss | final G loss | Fréchet distance | s/epoch | threads used |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for name, rec, side in (("Burn", burn, "burn"), ("PyTorch", torch_, "torch")):
    print(f"| {name} | {rec['images']} | {rec['epochs']} | {rec['batch_size']} | {rec['final_d_loss']:.3f} | "
          f"{rec['final_g_loss']:.3f} | {fd[side]:.2f} | {median(rec['seconds_per_epoch']):.1f} | "
          f"{threads[side]:.1f} |")
real = out / "real-score.txt"
if real.exists():
    print(f"\nreal images (the 60,000 training images): {real.read_text().strip()}")
gap = abs(fd["burn"] - fd["torch"]) / fd["torch"]
print(f"\nBurn's Fréchet distance is {100 * gap:.1f} % from PyTorch's")
if ci and gap > 0.05:
    sys.exit(f"Burn's Fréchet distance {fd['burn']:.2f} is {100 * gap:.1f} % from PyTorch's "
             f"{fd['torch']:.2f} (bound 5 %)")
EOF
