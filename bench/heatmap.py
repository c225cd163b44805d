"""Benchmark: a heatmap of 100,000 gaze samples over a 1920x1080 stimulus.

Standard library + gazeheat only, so the same code runs on CPython and in Pyodide.
Run ``python3 bench/heatmap.py``, or import it and call ``run()``, which returns a
dict (also printed by ``main``)::

    {"samples": 100000, "width_px": 1920, "height_px": 1080, "repeats": 3,
     "grid": [w_cells, h_cells],
     "stages_ms": {"weights": ..., "density": ..., "coarse_png": ...,
                   "upscale": ..., "composite": ..., "png_encode": ...},
     "a_coarse_ms": ..., "b_overlay_ms": ..., "b_overlay_white_ms": ...,
     "heatmap_only_ms": ..., "overlay_png_bytes": ...}

- (a) ``a_coarse_ms``: weights from the sample columns + density map + coloured
  grid-size PNG: what the page needs for display (it upscales the PNG with canvas
  smoothing).
- (b) ``b_overlay_ms``: (a)'s density map rendered at full size over the stimulus:
  levels, bilinear upscale, compositing and PNG encoding (downloads and CLI).
  ``b_overlay_white_ms``: the same without a stimulus (over white).

Times are the best of ``repeats`` runs (wall clock). Inputs are generated once and
not timed: samples as ``bench/fixations.py`` makes them (fixations all over a
1920x1080 viewport, blinks, 0.7 deg jitter), and a photo-like stimulus (smooth
shading, edges and fine texture, so PNG compression has realistic work to do).
"""

from __future__ import annotations

import math
import platform
import random
import sys
import time
from array import array
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for path in (_HERE.parent / "py", _HERE):
    if path.is_dir() and str(path) not in sys.path:
        sys.path.insert(0, str(path))

from fixations import synthetic_hour  # noqa: E402

from gazeheat import _raster  # noqa: E402
from gazeheat.heatmap import (  # noqa: E402
    HeatmapStyle,
    WeightedPoints,
    _composite_tables,
    _full_levels,
    _tables,
    density_map,
    render_heatmap_coarse,
    render_heatmap_only,
    render_heatmap_overlay,
)
from gazeheat.png import encode_png  # noqa: E402
from gazeheat.stimulus import StimulusGeometry  # noqa: E402

SAMPLES = 100_000
WIDTH, HEIGHT = 1920, 1080


def synthetic_stimulus(width: int = WIDTH, height: int = HEIGHT, seed: int = 2) -> bytes:
    """Opaque RGBA bytes: diagonal shading, hard-edged blocks and +-12 levels of
    noise (a photo compresses to ~40-60 % with PNG; this to about the same)."""
    rng = random.Random(seed)
    noise = bytes(rng.randrange(25) for _ in range(4099))
    rows = []
    for y in range(height):
        row = bytearray(4 * width)
        for c in range(3):
            row[c::4] = bytes((x * (c + 1) // 8 + y // (3 - c) + 40 * ((x // 160 + y // 120) % 3))
                              % 200 for x in range(width))
        offset = (y * 97) % 4000
        row = bytearray(a + b for a, b in zip(row, (noise[offset:] + noise) * 2))
        row[3::4] = b"\xff" * width
        rows.append(bytes(row))
    return b"".join(rows)


def _best(repeats: int, work) -> tuple:
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best * 1000.0, result


def run(n_samples: int = SAMPLES, repeats: int = 3, seed: int = 1) -> dict:
    """Time the stages; return the dict described in the module docstring."""
    samples = synthetic_hour(n_samples, seed)
    t = array("d", (s[0] for s in samples))
    x = array("d", (math.nan if s[1] is None else s[1] for s in samples))
    y = array("d", (math.nan if s[2] is None else s[2] for s in samples))
    # The samples are viewport px of 1920x1080; the stimulus fills the viewport.
    geometry = StimulusGeometry("image", WIDTH, HEIGHT, 0.0, 0.0, WIDTH, HEIGHT, "bench")
    stimulus = synthetic_stimulus()
    style = HeatmapStyle()

    def coarse():
        points = WeightedPoints.from_sample_columns(t, x, y, "duration")
        density = density_map(points, geometry)
        return density, render_heatmap_coarse(density, style)

    stages = {}
    stages["weights"], points = _best(repeats, lambda: WeightedPoints.from_sample_columns(
        t, x, y, "duration"))
    stages["density"], density = _best(repeats, lambda: density_map(points, geometry))
    stages["coarse_png"], _ = _best(repeats, lambda: render_heatmap_coarse(density, style))
    a_ms, (density, _) = _best(repeats, coarse)
    stages["upscale"], levels = _best(repeats, lambda: _full_levels(density, style))
    weight, adds = _composite_tables(_tables(style.colormap, style.cutoff, style.opacity))
    stages["composite"], rgba = _best(repeats, lambda: _raster.composite(
        stimulus, levels, weight, adds, WIDTH))
    stages["png_encode"], _ = _best(repeats, lambda: encode_png(WIDTH, HEIGHT, rgba, fast=True))
    b_ms, png = _best(repeats, lambda: render_heatmap_overlay(density, style, stimulus))
    white_ms, _ = _best(repeats, lambda: render_heatmap_overlay(density, style))
    only_ms, _ = _best(repeats, lambda: render_heatmap_only(density, style))
    return {
        "samples": n_samples, "width_px": WIDTH, "height_px": HEIGHT, "repeats": repeats,
        "grid": [density.grid.w_cells, density.grid.h_cells],
        "stages_ms": stages,
        "a_coarse_ms": a_ms, "b_overlay_ms": b_ms, "b_overlay_white_ms": white_ms,
        "heatmap_only_ms": only_ms, "overlay_png_bytes": len(png),
    }


def main() -> None:
    result = run()
    print(f"heatmap benchmark: {result['samples']} samples, {result['width_px']}x"
          f"{result['height_px']} stimulus, grid {result['grid'][0]}x{result['grid'][1]}, "
          f"best of {result['repeats']}, {platform.python_implementation()} "
          f"{platform.python_version()} on {sys.platform}")
    for name, ms in result["stages_ms"].items():
        print(f"  {name:12s} {ms:8.1f} ms")
    print(f"  (a) density + coloured grid PNG      {result['a_coarse_ms']:8.1f} ms")
    print(f"  (b) full-size overlay PNG            {result['b_overlay_ms']:8.1f} ms "
          f"({result['overlay_png_bytes'] / 1e6:.1f} MB)")
    print(f"      full-size overlay PNG over white {result['b_overlay_white_ms']:8.1f} ms")
    print(f"      full-size heatmap-only PNG       {result['heatmap_only_ms']:8.1f} ms")


if __name__ == "__main__":
    main()
