"""Benchmark: fixation detection (and re-filtering) on one hour of 30 Hz gaze.

Standard library + gazeheat only, so the same code runs on CPython and in Pyodide.
Run ``python3 bench/fixations.py``, or import it and call ``run()``, which returns
a dict (also printed as one line per method by ``main``):

    {"samples": 108000, "duration_s": 3600.0, "repeats": 3,
     "methods": {"ivt": {"seconds": ..., "fixations": ..., "samples_per_s": ...},
                 "idt": {...}, "one_euro": {...}, "kalman": {...}}}

``seconds`` is the best of ``repeats`` runs (wall clock, ``time.perf_counter``).
The input is synthetic: fixations of 150-600 ms at random places on a 1920x1080
viewport, saccades of 1-2 frames, 0.7 deg of Gaussian jitter per axis, a blink
(150-300 ms of null samples) every ~4 s and 1 % dropped frames; frame intervals
33.3 +- 3 ms. It is generated once per ``run()`` and not timed.
"""

from __future__ import annotations

import platform
import random
import sys
import time
from pathlib import Path

_PY = Path(__file__).resolve().parents[1] / "py"
if _PY.is_dir() and str(_PY) not in sys.path:
    sys.path.insert(0, str(_PY))

from gazeheat.filters import KalmanFilter, OneEuroFilter, filter_series  # noqa: E402
from gazeheat.fixations import DEFAULT_PX_PER_DEG, detect_fixations  # noqa: E402

SAMPLES = 108_000  # one hour at 30 Hz
FRAME_MS = 1000.0 / 30.0


def synthetic_hour(n_samples: int = SAMPLES, seed: int = 1) -> list:
    """``n_samples`` samples ``(t_ms, x, y)`` (None/None in gaps); see the module
    docstring."""
    rng = random.Random(seed)
    jitter = 0.7 * DEFAULT_PX_PER_DEG
    out = []
    t = 0.0
    x, y = 960.0, 540.0
    next_blink = rng.uniform(2000, 6000)
    while len(out) < n_samples:
        nx, ny = rng.uniform(50, 1870), rng.uniform(50, 1030)
        for k in range(rng.choice((1, 2))):  # saccade frames
            a = (k + 1) / 3.0
            out.append((t, x + a * (nx - x), y + a * (ny - y)))
            t += FRAME_MS + rng.uniform(-3, 3)
        x, y = nx, ny
        end = t + rng.uniform(150, 600)
        while t < end:
            if t >= next_blink:
                blink_end = t + rng.uniform(150, 300)
                while t < blink_end:
                    out.append((t, None, None))
                    t += FRAME_MS + rng.uniform(-3, 3)
                next_blink = t + rng.uniform(2000, 6000)
            elif rng.random() < 0.01:
                out.append((t, None, None))
            else:
                out.append((t, x + rng.gauss(0, jitter), y + rng.gauss(0, jitter)))
            t += FRAME_MS + rng.uniform(-3, 3)
    return out[:n_samples]


def _best(repeats: int, work) -> tuple:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def run(n_samples: int = SAMPLES, repeats: int = 3, seed: int = 1) -> dict:
    """Time I-VT and I-DT (defaults) and both filters over ``n_samples`` synthetic
    samples; return the dict described in the module docstring."""
    samples = synthetic_hour(n_samples, seed)
    methods = {}
    for method in ("ivt", "idt"):
        seconds, found = _best(repeats, lambda m=method: detect_fixations(samples, m))
        methods[method] = {"seconds": seconds, "fixations": len(found),
                           "samples_per_s": n_samples / seconds}
    for name, cls in (("one_euro", OneEuroFilter), ("kalman", KalmanFilter)):
        seconds, _ = _best(repeats, lambda c=cls: filter_series(c(), samples))
        methods[name] = {"seconds": seconds, "samples_per_s": n_samples / seconds}
    return {"samples": n_samples, "duration_s": samples[-1][0] / 1000.0,
            "repeats": repeats, "methods": methods}


def main() -> None:
    result = run()
    print(f"fixation benchmark: {result['samples']} samples ({result['duration_s'] / 60:.1f} min "
          f"at 30 Hz), best of {result['repeats']}, {platform.python_implementation()} "
          f"{platform.python_version()} on {sys.platform}")
    for name, row in result["methods"].items():
        extra = f", {row['fixations']} fixations" if "fixations" in row else ""
        print(f"  {name:9s} {row['seconds'] * 1000:8.1f} ms  "
              f"({row['samples_per_s'] / 1e6:.2f} M samples/s{extra})")


if __name__ == "__main__":
    main()
