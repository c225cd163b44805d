"""The appearance model (issue #7) on synthetic recordings: every gaze model variant, the
one validation would choose, and a WebGazer-style reference, on test targets that
neither calibration nor validation saw; plus training time and per-frame cost.

Recordings: the synthetic ones ``bench/accuracy.py`` makes (``tools/synth_gaze.py``,
cached under ``.cache/recordings/``); by default every complete recording there made by
the current generator version (``synth_gaze.GENERATOR_VERSION``: 3, with the pursuit pass). Each is
replayed through the whole in-browser pipeline (``tools/replay.py --landmarks``:
Chromium, MediaPipe, the page's eye crop in ``js/eye_crop.js``), whose dump holds every
frame's landmarks **and eye patches**; the variants are then fitted and evaluated on
those in CPython with the same gazeheat code that runs in Pyodide, once per calibration
of ``bench/accuracy.py`` (``CALIBRATIONS``: the dots alone, with the recording's
smooth-pursuit entries removed, and, where the recording has the pass, the dots plus
the pursuit pass), from the same replay:

* ``landmark``: ``GazeModel`` (the shipped landmark and head-pose model);
* ``appearance``: ridge on the eye patches' DCT features (``gazeheat.appearance``);
* ``combined``: both in one regression;
* ``chosen``: the variant ``choose_model`` picks from the validation targets' mean
  error per sample, as the page does (``gazeheat.replay.Replay`` chooses the same way);
* ``webgazer-style``: WebGazer's model as a reference: ridge regression on the raw
  pixels of 10 x 6 eye images (our 20 x 12 patches averaged in 2 x 2 blocks, both eyes:
  120 columns), every calibration frame after the settling time weighing the same, an
  unpenalised intercept, a fixed small ridge (``WEBGAZER_LAMBDA`` per frame); no
  landmark or head features, no cross-validation, no outlier cleaning.

Figures per calibration and variant, with ``bench/accuracy.py``'s conventions (test targets from
``CALIBRATION_SETTLE_MS`` after their onset; degrees at the recording's true geometry:
``head_distance_mm * tan 1°`` over the screen's mm per CSS px): mean and median error of
every raw (unfiltered) predicted frame (px, deg), accuracy (per target the offset of the
mean prediction, averaged), precision (RMS frame-to-frame step), valid fraction (frames
with a prediction). Costs: the fit of the appearance and combined models in CPython per
recording, and in Pyodide (``bench/appearance_cost.mjs``: the fit at the end of a
9-target calibration, one tracking frame per variant through ``gazeheat._worker.frame``
with a Float32Array of patches, one validation frame where all variants predict).

JSON (appearance.json): per recording ``calibrations`` -> calibration -> ``{"variants",
"chosen", ...}``; ``summary`` -> calibration -> ``{"variants", "levels", ...}``
(``levels``: per head-motion level, per variant, the figures averaged over that level's
recordings).

Library::

    run(reuse=False, recordings=None, pyodide=True) -> dict   # JSON-ready results
    rows(results) -> list                                      # (name, value, target, met)

CLI (the project's .venv)::

    python bench/appearance.py [--reuse] [--no-pyodide] [--out DIR] [--recordings DIR,...]
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "py"))
from gazeheat import constants as C  # noqa: E402
from gazeheat.appearance import (AppearanceTrainer, EyePatches, choose_model,  # noqa: E402
                                 fit_variants, patch_features)
from gazeheat.calibration import CalibrationCollector, GazeModel  # noqa: E402
from gazeheat.features import extract_features  # noqa: E402
from gazeheat.validation import validate_gaze  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from accuracy import (CALIBRATIONS, LEVELS, TARGET_LARGE_OVER_SMALL, TARGET_MEAN_DEG,  # noqa: E402
                      calibrations, synth_gaze)

CACHE = ROOT / ".cache" / "recordings"
#: WebGazer's ridge parameter (its regression's default), per calibration frame here.
WEBGAZER_LAMBDA = 1e-5
#: Budgets of the issue: training at the end of calibration, one frame, in Pyodide.
TARGET_FIT_MS = 1000.0
TARGET_FRAME_MS = 2.0
VARIANTS = ("landmark", "appearance", "combined")
_W, _H = C.EYE_PATCH_WIDTH_PX, C.EYE_PATCH_HEIGHT_PX

NOTES = """\
Notes (read before trusting the ranking):
- The synthetic eyes are a rendered iris disc (with a corneal glint and a lid that
  follows vertical gaze) pasted into a still photo; everything else in the eye patch is
  the same photo, warped. The patches therefore change only with the gaze, the head
  warp and small lighting/sensor noise: no eyelash or skin texture motion, no pupil
  size change, no reflections of a screen, no glasses, no motion blur, no
  auto-exposure. Real webcam eye images are much noisier, so the appearance model's
  margin over the landmark model here is an upper bound; on real faces it may lose.
- The head turns in 3-D (tools/synth_gaze.py v2: the photo on a smooth head surface
  seen through a pinhole camera, eyes set in sockets), but it is one smooth surface
  without lashes or skin moving: an aligned crop changes less with head pose than a
  real one would, which still favours the appearance variants under head motion.
- MediaPipe's iris landmarks on the same synthetic eyes are what the landmark model
  uses, so both families see the same rendered iris; the comparison between them is
  fair only to the extent the renderer is.
- The pursuit pass (generator v3): the synthetic eyes trail the dot by a constant lag
  (60-100 ms per recording) after one catch-up saccade, with little noise. Real pursuit
  has a gain below 1, more catch-up saccades and anticipation, and people lose the dot,
  so the gain "dots + pursuit" shows over "dots only" here is likely an upper bound.
  gazeheat takes pursuit targets 80 ms back along the path (PURSUIT_LAG_MS), the
  middle of the generator's lag range: both come from the same published range, and
  that match flatters the pass too.
- The WebGazer-style reference is our reimplementation of its model idea (ridge on
  10x6 eye images), on our aligned, normalised crops; WebGazer itself crops without
  aligning to the eye corners and equalises histograms instead."""


# --- recordings ----------------------------------------------------------------------------


def find_recordings(cache: Path = CACHE, version: int = synth_gaze.GENERATOR_VERSION) -> list:
    """Complete recording directories under ``cache`` that list test targets, made by
    generator ``version`` (older clips in the cache would mix another scenario in)."""
    out = []
    for directory in sorted(p for p in cache.glob("*") if p.is_dir()):
        manifest = directory / "recording.json"
        if not manifest.is_file():
            continue  # still being generated (only .part files)
        raw = json.loads(manifest.read_text())
        synthetic = raw.get("synthetic") or {}
        if (synthetic.get("test_targets") and synthetic.get("generator_version") == version
                and (directory / raw["video"]).is_file()):
            out.append(directory)
    return out


def _has_patches(dump_path: Path) -> bool:
    if not dump_path.is_file():
        return False
    with dump_path.open() as f:
        head = f.read(1 << 20)  # the first frames come early in the file
    return '"eye_patches"' in head


def replay(directory: Path, reuse: bool) -> tuple[dict | None, Path]:
    """The recording's frame dump with eye patches: an existing one (``reuse``; ours or
    bench/accuracy.py's ``landmarks.json`` if it holds patches), else a fresh replay in
    Chromium (tools/replay.py). Returns (the browser's session or None, dump path)."""
    session, dump = directory / "appearance-session.json", directory / "appearance-frames.json"
    if reuse:
        for candidate, s in ((dump, session), (directory / "landmarks.json", directory / "session.json")):
            if _has_patches(candidate):
                return (json.loads(s.read_text()) if s.is_file() else None), candidate
    subprocess.run([sys.executable, str(ROOT / "tools" / "replay.py"), str(directory), "-o", str(session),
                    "--landmarks", str(dump)], check=True, cwd=ROOT, capture_output=True)
    return json.loads(session.read_text()), dump


# --- frames and models ----------------------------------------------------------------------


class Frame:
    """One video frame: features (None without a face), patch features and the 10 x 6
    WebGazer-style pixels (None without patches)."""

    __slots__ = ("t_ms", "features", "feats", "small")

    def __init__(self, record: dict):
        self.t_ms = record["t_ms"]
        self.features = self.feats = self.small = None
        if "landmarks" in record:
            self.features = extract_features(record["landmarks"], record["matrix"], record["image_w_px"],
                                             record["image_h_px"])
            values = record.get("eye_patches")
            if values is not None:
                self.feats = patch_features(EyePatches(values))
                eyes = np.asarray(values, dtype=float).reshape(2, _H // 2, 2, _W // 2, 2)
                self.small = eyes.mean(axis=(2, 4)).ravel()


def calibrate(cal, frames: list) -> tuple:
    """The landmark model and the appearance-based ones from the calibration targets of
    ``cal`` (a ``bench/accuracy.py`` ``Calibration``: dots, and pursuit segments if it has
    them), as gazeheat.replay does; also the fit time of the latter (ms, CPython)."""
    collector, trainer = CalibrationCollector(), AppearanceTrainer()
    for index, start_ms in cal.dot_starts.items():
        collector.start_target(index, start_ms)
        trainer.start_target(index, start_ms)
    for fr in frames:
        hit = cal.target(fr.t_ms) if fr.features is not None else None
        if hit is not None:
            collector.add(fr.t_ms, *hit, fr.features)
            trainer.add_features(fr.t_ms, *hit, fr.feats, fr.features)
    landmark = GazeModel.fit(collector)
    start = time.perf_counter()
    models, errors = fit_variants(trainer, landmark)
    return landmark, models, errors, 1000.0 * (time.perf_counter() - start)


def predictor(variant: str, landmark, models: dict):
    """predict(Frame) -> (x, y) or None, as the page: unusable frames give none, frames
    without patches the landmark model's gaze."""
    model = models.get(variant)

    def predict(fr):
        f = fr.features
        if f is None or not landmark.usable(f):
            return None
        if model is None or fr.feats is None:
            return landmark.predict(f)
        return model.predict_features(fr.feats, f.vector())
    return predict


def webgazer_style(cal, frames: list):
    """The reference: ridge on 10 x 6 eye pixels (see the module docstring); pursuit
    frames, when ``cal`` has them, count like settled dot frames."""
    rows, goals = [], []
    for fr in frames:
        hit = cal.target(fr.t_ms) if fr.small is not None and fr.features.valid else None
        if hit is not None and cal.settled(fr.t_ms, hit[0]):
            rows.append(fr.small)
            goals.append(hit[1:3])
    x = np.column_stack([np.ones(len(rows)), np.array(rows)])
    penalty = WEBGAZER_LAMBDA * len(rows) * np.eye(x.shape[1])
    penalty[0, 0] = 0.0
    coef = np.linalg.solve(x.T @ x + penalty, x.T @ np.array(goals))

    def predict(fr):
        if fr.small is None or not fr.features.valid:
            return None
        p = np.concatenate([[1.0], fr.small]) @ coef
        return float(p[0]), float(p[1])
    return predict


def px_per_deg(raw: dict) -> float:
    """CSS px per degree of the synthetic geometry (eyes at their neutral distance)."""
    synthetic = raw["synthetic"]
    mm_per_px = synthetic["screen"]["width_mm"] / raw["viewport"]["width"]
    return synthetic["eye_model"]["head_distance_mm"] * math.tan(math.radians(1.0)) / mm_per_px


def metrics(targets: list, frames: list, predict, ppd: float) -> dict:
    """Test-target figures of one predictor (see the module docstring)."""
    errors, offsets, precisions, n_frames = [], [], [], 0
    for target in targets:
        points = []
        for fr in frames:
            if target["start_ms"] + C.CALIBRATION_SETTLE_MS <= fr.t_ms < target["end_ms"]:
                n_frames += 1
                p = predict(fr) if fr.features is not None else None
                if p is not None:
                    points.append(p)
        if not points:
            continue
        pts = np.array(points)
        errors.extend(np.hypot(pts[:, 0] - target["x"], pts[:, 1] - target["y"]).tolist())
        mean = pts.mean(axis=0)
        offsets.append(float(np.hypot(mean[0] - target["x"], mean[1] - target["y"])))
        steps = np.diff(pts, axis=0)
        precisions.append(float(np.sqrt(np.mean(np.sum(steps ** 2, axis=1)))) if len(pts) > 1 else 0.0)
    if not errors:
        return {"valid_fraction": 0.0, "n_frames": n_frames}
    err = np.array(errors)
    return {"mean_err_px": float(err.mean()), "median_err_px": float(np.median(err)),
            "mean_err_deg": float(err.mean()) / ppd, "median_err_deg": float(np.median(err)) / ppd,
            "accuracy_deg": statistics.fmean(offsets) / ppd,
            "precision_deg": statistics.fmean(precisions) / ppd,
            "valid_fraction": len(errors) / n_frames, "n_frames": n_frames}


def validation_errors_deg(rec, frames: list, predict, px_per_deg: float) -> tuple:
    """(accuracy, mean error) in degrees on the recording's validation targets, as the
    page measures them; (None, None) without gaze on any of them."""
    per_target = []
    for index, target in rec.of_phase("validation"):
        points = []
        for fr in frames:
            if target.start_ms + C.CALIBRATION_SETTLE_MS <= fr.t_ms < target.end_ms:
                p = predict(fr) if fr.features is not None else None
                if p is not None:
                    points.append((fr.t_ms, p[0], p[1]))
        per_target.append((index, target.x, target.y, points))
    try:
        result = validate_gaze(per_target, px_per_deg)
    except Exception:  # noqa: BLE001 - no gaze on any validation target: not choosable
        return None, None
    return result.accuracy_deg, result.mean_error_deg


def evaluate_calibration(cal, raw: dict, frames: list, ppd: float) -> dict:
    """Every variant, the chosen one and the reference on one recording's test targets,
    calibrated on ``cal`` (a ``bench/accuracy.py`` ``Calibration``)."""
    landmark, models, errors, fit_ms = calibrate(cal, frames)
    predictors = {v: predictor(v, landmark, models) for v in VARIANTS}
    rec = cal.recording
    validation = {v: validation_errors_deg(rec, frames, p, ppd) for v, p in predictors.items()}
    tried = {v: e for v, e in validation.items() if v == "landmark" or v in models}
    choice = choose_model({v: e[1] for v, e in tried.items()}, {v: e[0] for v, e in tried.items()})
    predictors["chosen"] = predictors[choice.chosen]
    predictors["webgazer-style"] = webgazer_style(cal, frames)
    tests = raw["synthetic"]["test_targets"]
    variants = {}
    for name, p in predictors.items():
        accuracy, error = validation.get(name, (None, None))
        variants[name] = {"test": metrics(tests, frames, p, ppd), "validation_accuracy_deg": accuracy,
                          "validation_mean_error_deg": error}
    return {"variants": variants, "chosen": choice.chosen, "model_choice": choice.to_dict(),
            "fit_ms_cpython": fit_ms, "fit_errors": errors, "landmark_summary": landmark.summary(),
            "lambdas": {v: [m.lam_x, m.lam_y] for v, m in models.items()}}


def evaluate(directory: Path, dump_path: Path) -> dict:
    """``evaluate_calibration`` for each calibration the recording supports, on frames
    measured once."""
    raw = json.loads((directory / "recording.json").read_text())
    frames = [Frame(r) for r in json.loads(dump_path.read_text())["frames"]]
    ppd = px_per_deg(raw)
    n_patches = sum(fr.feats is not None for fr in frames if fr.features is not None)
    return {"px_per_deg": ppd,
            "calibrations": {name: evaluate_calibration(cal, raw, frames, ppd)
                             for name, cal in calibrations(raw).items()},
            "patch_fraction": n_patches / max(1, sum(fr.features is not None for fr in frames))}


def pyodide_cost(runs: int = 3) -> dict:
    """bench/appearance_cost.mjs (Pyodide in Node): fit and per-frame costs."""
    out = subprocess.run(["node", str(ROOT / "bench" / "appearance_cost.mjs"), str(runs)], cwd=ROOT,
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the benchmark -----------------------------------------------------------------------------


def run(reuse: bool = False, recordings=None, pyodide: bool = True) -> dict:
    """Replay (or reuse) and evaluate every recording; JSON-ready results. ``recordings``:
    directories (default: ``find_recordings()``)."""
    directories = [Path(d) for d in recordings] if recordings is not None else find_recordings()
    results = []
    for directory in directories:
        t0 = time.monotonic()
        session, dump = replay(directory, reuse)
        t1 = time.monotonic()
        evaluation = evaluate(directory, dump)
        raw = json.loads((directory / "recording.json").read_text())
        results.append({"recording": directory.name,
                        "head_motion": (raw.get("synthetic") or {}).get("head_motion"),
                        "browser_models": (session or {}).get("models"), **evaluation,
                        "seconds": {"replay": t1 - t0, "evaluate": time.monotonic() - t1}})
        for name, e in evaluation["calibrations"].items():
            print(f"[appearance] {directory.name} ({name}): chosen {e['chosen']}, "
                  + ", ".join(f"{n} {v['test'].get('mean_err_deg', math.nan):.2f}°"
                              for n, v in e["variants"].items()), flush=True)
    return {"recordings": results, "summary": summarise(results),
            "pyodide": pyodide_cost() if pyodide else None, "notes": NOTES,
            "targets": {"fit_ms_max": TARGET_FIT_MS, "frame_ms_max": TARGET_FRAME_MS}}


_KEYS = ("mean_err_px", "mean_err_deg", "median_err_deg", "accuracy_deg", "precision_deg", "valid_fraction")


def _means(runs: list) -> dict | None:
    runs = [m for m in runs if "mean_err_px" in m]
    return {k: statistics.fmean(m[k] for m in runs) for k in _KEYS} | {"n": len(runs)} if runs else None


def _level(r: dict) -> str | None:
    return (r.get("head_motion") or {}).get("level")


def summarise(results: list) -> dict:
    """Per calibration: per variant the test figures averaged over the recordings
    (``variants``) and over each head-motion level's (``levels``); and per recording
    whether the combined model is at least as good as the best single one (mean error),
    strictly and within ``MODEL_CHOICE_TIE_DEG`` (what model choice counts as a tie)."""
    out = {}
    for cal_name in CALIBRATIONS:
        with_it = [(r, r["calibrations"][cal_name]) for r in results if cal_name in r["calibrations"]]
        if not with_it:
            continue
        names = list(with_it[0][1]["variants"])
        per_variant = {n: m for n in names if (m := _means([c["variants"][n]["test"] for _, c in with_it]))}
        levels = {}
        for level in LEVELS:
            here = [c for r, c in with_it if _level(r) == level]
            means = {n: m for n in names if (m := _means([c["variants"][n]["test"] for c in here]))}
            if means:
                levels[level] = means
        combined_ok, within_tie = [], []
        for _, c in with_it:
            err = {n: c["variants"][n]["test"].get("mean_err_deg", math.inf) for n in VARIANTS}
            best_single = min(err["landmark"], err["appearance"])
            combined_ok.append(err["combined"] <= best_single)
            within_tie.append(err["combined"] <= best_single + C.MODEL_CHOICE_TIE_DEG)
        out[cal_name] = {"variants": per_variant, "levels": levels, "combined_at_least_best_single": combined_ok,
                         "combined_within_tie_of_best_single": within_tie,
                         "chosen": [c["chosen"] for _, c in with_it],
                         "fit_ms_cpython_max": max(c["fit_ms_cpython"] for _, c in with_it)}
    return out


def table(results: dict) -> str:
    lines = [f"{'recording':44} {'calibration':14} {'variant':15} {'mean°':>6} {'mean px':>8} {'acc°':>6} "
             f"{'prec°':>6} {'valid':>6} {'val. acc°':>9}"]
    for r in results["recordings"]:
        for cal_name, c in r["calibrations"].items():
            for name, v in c["variants"].items():
                m = v["test"]
                shown = name + (f" ({c['chosen']})" if name == "chosen" else "")
                val = v["validation_accuracy_deg"]
                head = f"{r['recording'][:44]:44} {cal_name:14} {shown[:15]:15}"
                if "mean_err_px" not in m:
                    lines.append(f"{head} (no prediction)")
                    continue
                lines.append(f"{head} {m['mean_err_deg']:6.2f} {m['mean_err_px']:8.1f} {m['accuracy_deg']:6.2f} "
                             f"{m['precision_deg']:6.2f} {100 * m['valid_fraction']:5.1f}% "
                             f"{'' if val is None else f'{val:9.2f}'}")
            lines.append(f"{'':44} {cal_name:14} fit (appearance + combined, CPython): {c['fit_ms_cpython']:.0f} ms")
        lines.append(f"{'':44} frames with patches {100 * r['patch_fraction']:.0f}%")
    for cal_name, s in results["summary"].items():
        lines.append(f"{cal_name}: mean over recordings, and per head-motion level:")
        for group, per_variant in [("all", s["variants"])] + list(s["levels"].items()):
            for name, m in per_variant.items():
                lines.append(f"{'':44} {group:14} {name:15} {m['mean_err_deg']:6.2f} {m['mean_err_px']:8.1f} "
                             f"{m['accuracy_deg']:6.2f} {m['precision_deg']:6.2f} {100 * m['valid_fraction']:5.1f}%")
        lines.append(f"{cal_name}: combined at least as good as the best single variant: "
                     f"{s['combined_at_least_best_single']}; within {C.MODEL_CHOICE_TIE_DEG:g}° "
                     f"(a tie for model choice): {s['combined_within_tie_of_best_single']}; chosen: {s['chosen']}")
    cost = results.get("pyodide")
    if cost:
        lines.append(f"Pyodide: fit at the end of calibration {cost['fit_ms']['max']:.0f} ms, with a pursuit pass "
                     f"{cost['pursuit_fit_ms']['max']:.0f} ms (max of {len(cost['fit_ms']['runs'])}, budget "
                     f"{TARGET_FIT_MS:.0f}); per tracking frame, median/p99 ms: "
                     + ", ".join(f"{k} {v['median']:.2f}/{v['p99']:.2f}" for k, v in cost["frame_ms"].items())
                     + f" (budget {TARGET_FRAME_MS:g}); validation frame (all variants) "
                       f"{cost['validation_frame_ms']['median']:.2f}/{cost['validation_frame_ms']['p99']:.2f}")
    lines.append(results["notes"])
    return "\n".join(lines)


def rows(results: dict) -> list:
    """(name, value, target, met) rows for bench/run.py's table: per calibration, each
    variant's mean error over all recordings, and the landmark, combined and chosen ones
    per head-motion level; the issue's targets (medium ≤ 1.5°, large ≤ 1.3 × small) on
    the chosen model, the one the app uses."""
    out = []
    for cal_name, s in results["summary"].items():
        for name, m in s["variants"].items():
            out.append((f"test-target error, {name} model, {cal_name}, mean deg", m["mean_err_deg"], "", None))
        for level, per_variant in s["levels"].items():
            for name in ("landmark", "combined", "chosen"):
                if name in per_variant:
                    value = per_variant[name]["mean_err_deg"]
                    goal = name == "chosen" and level == "medium"
                    out.append((f"  … {name}, {level} head motion, {cal_name}, mean deg", value,
                                f"≤ {TARGET_MEAN_DEG}" if goal else "", value <= TARGET_MEAN_DEG if goal else None))
        chosen = {level: v["chosen"]["mean_err_deg"] for level, v in s["levels"].items() if "chosen" in v}
        if "small" in chosen and "large" in chosen:
            r = chosen["large"] / chosen["small"]
            out.append((f"  … chosen, large / small head motion, {cal_name}", r, f"≤ {TARGET_LARGE_OVER_SMALL}",
                        r <= TARGET_LARGE_OVER_SMALL))
        ok = s["combined_within_tie_of_best_single"]
        if ok:
            out.append((f"combined ≤ best single model + {C.MODEL_CHOICE_TIE_DEG:g}° (recordings), {cal_name}",
                        sum(ok), f"= {len(ok)}", all(ok)))
    cost = results.get("pyodide")
    if cost:
        for key, label in (("fit_ms", "dots"), ("pursuit_fit_ms", "dots + pursuit")):
            out.append((f"appearance fit at calibration end in Pyodide, {label}, max ms", cost[key]["max"],
                        f"≤ {TARGET_FIT_MS:.0f}", cost[key]["max"] <= TARGET_FIT_MS))
        worst = max(v["median"] for v in cost["frame_ms"].values())
        out.append(("Python per frame in Pyodide, slowest variant, median ms", worst,
                    f"≤ {TARGET_FRAME_MS:g}", worst <= TARGET_FRAME_MS))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="use existing frame dumps with eye patches")
    parser.add_argument("--no-pyodide", action="store_true", help="skip the Pyodide cost measurement")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--recordings", help="recording directories, comma-separated (default: all)")
    args = parser.parse_args(argv)
    recordings = args.recordings.split(",") if args.recordings else None
    results = run(args.reuse, recordings, not args.no_pyodide)
    print(table(results))
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / "appearance.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
