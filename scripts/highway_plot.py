"""Draws the highway experiment's training-loss curves (docs/highway.png) from the runs
scripts/transfer.sh wrote: one panel per depth (10, 20, 50 layers), plain networks in red and
highway networks in blue, Burn solid and PyTorch dashed. Pillow only, so the reference venv
needs nothing more.

    python scripts/highway_plot.py target/transfer docs/highway.png
"""

import json
import sys
from pathlib import Path

from PIL import Image, ImageDraw

W, H, PANEL_W, TOP, BOTTOM, LEFT = 960, 330, 300, 34, 46, 44
COLOURS = {"plain": (214, 39, 40), "highway": (31, 119, 180)}


def losses(out: Path, model: str) -> tuple[list[float], list[float]] | None:
    burn, torch_ = out / f"{model}-1000-scratch.json", out / f"{model}-1000-scratch.torch.json"
    if not burn.exists() or not torch_.exists():
        return None
    b = [h["loss"] for h in json.loads(burn.read_text())["outcome"]["history"]]
    t = [h["loss"] for h in json.loads(torch_.read_text())["history"]]
    return b, t


def line(draw, points, colour, dashed):
    for i, (p, q) in enumerate(zip(points, points[1:])):
        if not dashed:
            draw.line([p, q], fill=colour, width=2)
            continue
        steps = 8
        for k in range(0, steps, 2):
            a = (p[0] + (q[0] - p[0]) * k / steps, p[1] + (q[1] - p[1]) * k / steps)
            z = (p[0] + (q[0] - p[0]) * (k + 1) / steps, p[1] + (q[1] - p[1]) * (k + 1) / steps)
            draw.line([a, z], fill=colour, width=2)


def main():
    out, dest = Path(sys.argv[1]), Path(sys.argv[2])
    img = Image.new("RGB", (W, H), "white")
    draw = ImageDraw.Draw(img)
    y_max = 2.4
    for panel, depth in enumerate((10, 20, 50)):
        x0 = LEFT + panel * (PANEL_W + 15)
        x1, y0, y1 = x0 + PANEL_W - LEFT, TOP, H - BOTTOM
        draw.rectangle([x0, y0, x1, y1], outline="black")
        draw.text((x0 + 4, 8), f"{depth} layers: training loss per epoch", fill="black")
        for v in (0.0, 0.5, 1.0, 1.5, 2.0):
            y = y1 - (y1 - y0) * v / y_max
            draw.line([x0 - 4, y, x0, y], fill="black")
            draw.text((x0 - 28, y - 6), f"{v:.1f}", fill="black")
        epochs = None
        for kind in ("plain", "highway"):
            found = losses(out, f"{kind}_fc{depth}")
            if found is None:
                continue
            for curve, dashed in zip(found, (False, True)):
                epochs = len(curve)
                pts = [(x0 + (x1 - x0) * i / max(1, len(curve) - 1),
                        y1 - (y1 - y0) * min(v, y_max) / y_max) for i, v in enumerate(curve)]
                line(draw, pts, COLOURS[kind], dashed)
        if epochs:
            for e in (1, epochs):
                x = x0 + (x1 - x0) * (e - 1) / max(1, epochs - 1)
                draw.text((x - 3, y1 + 4), str(e), fill="black")
    draw.text((LEFT, H - 22), "red: plain (71 units)   blue: highway (50 units)   "
              "solid: Burn (zoo finetune)   dashed: PyTorch, same recipe and starting weights",
              fill="black")
    dest.parent.mkdir(parents=True, exist_ok=True)
    img.save(dest)


if __name__ == "__main__":
    main()
