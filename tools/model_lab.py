"""Offline evaluation of the gaze model on landmark dumps of recordings.

A dump is what ``python3 build.py replay DIR -o S.json --landmarks DUMP.json`` writes:
``{"recording": DIR, "frames": [{"t_ms", "landmarks", "matrix", "image_w_px",
"image_h_px"} | {"t_ms", "reason"}]}`` -- real MediaPipe output for every video frame.
This script feeds those frames to ``gazeheat.replay.Replay`` exactly as the page's
replay does (so calibration, validation and prediction are the shipped code) and
prints:

* validation accuracy and precision (deg and px), overall and per target -- the
  figures the page shows, on targets the calibration never saw;
* leave-one-target-out (LOTO) accuracy over the calibration targets: the model is
  refitted without each target and tested on it, an estimate that needs no
  validation targets;
* with the recording's ``truth.csv`` (synthetic recordings): the error of the raw
  per-frame predictions against the true gaze after the last target (test targets and
  free viewing), on frames where the true gaze is steady (no blink, speed under 30 deg/s);
* the accuracy and precision on the synthetic recording's test targets
  (``synthetic.test_targets``, generator version 2), computed like the validation;
* the same validation when the frames ``GazeModel.usable`` rejects (blink edges) are
  skipped too, as a caller that uses it would;
* timings on this interpreter: feature extraction + prediction per frame, and one fit.

``--truth-head`` (synthetic recordings only) replaces FaceLandmarker's yaw and pitch with
the generator's true head rotation from ``truth.csv``: an oracle for what a perfect face
pose would give (FaceLandmarker reads ~0.65 of the generator's yaw and ~0.55 of its pitch).
``--head`` picks the gaze model's head model (``GazeModel.fit(head=...)``: geometric,
linear, none); ``--smooth-head`` low-passes every frame's head measurements first
(exponential, ``SMOOTH_HEAD_MS``), to try what a tracker smoothing the face pose would get.

Usage (from the repository root, with the project's .venv for nothing but speed; the
script needs only the standard library)::

    python tools/model_lab.py /tmp/rec1_landmarks.json /tmp/rec2_landmarks.json
    python tools/model_lab.py DUMP.json --per-target --pkg /tmp/baseline/py   # another gazeheat
    python tools/model_lab.py DUMP.json --json results.json
    python tools/model_lab.py DUMP.json --truth-head   # oracle, see above
    python tools/model_lab.py DUMP.json --head linear --smooth-head
    python tools/model_lab.py DUMP.json --no-pursuit   # the dots alone

``--no-pursuit`` removes the recording's smooth-pursuit entries (``"phase": "pursuit"``,
synthetic generator version 3) before the analysis: the same dump calibrated on the dots
alone. Without it a pursuit pass is calibrated on as ``gazeheat.replay`` does; the
leave-one-target-out figures hold out dots only (pursuit segments stay in every fit).

``--pkg`` puts another checkout's ``py`` directory first on ``sys.path``, to compare the
current model with an older one (e.g. ``git archive HEAD py/gazeheat | tar -x -C DIR``).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import dataclasses
import json
import math
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent

#: True-gaze speed (deg/s) above which a free-viewing frame counts as a saccade.
SACCADE_SPEED_DEG_S = 30.0
#: Frames this close (ms) to a blink or a saccade in the truth are skipped too.
TRUTH_GUARD_MS = 100.0
#: Time constant (ms) of ``--smooth-head``. (Tried for the benchmark: with the geometric
#: head model's parallax terms it no longer helps; 200 ms cost ~0.3 deg at large motion.)
SMOOTH_HEAD_MS = 200.0


def _import_gazeheat(pkg: str | None):
    sys.path.insert(0, str(Path(pkg).resolve()) if pkg else str(_ROOT / "py"))
    import gazeheat  # noqa: F401  (imported for its side effect on sys.modules)
    from gazeheat import replay, recording, calibration, features, validation
    return replay, recording, calibration, features, validation


def load_dump(path: Path, recording_dir: Path | None = None) -> tuple[dict, Path]:
    """The dump and the recording directory it names (or the one given)."""
    dump = json.loads(Path(path).read_text())
    return dump, Path(recording_dir or dump["recording"])


def read_truth(recording_dir: Path) -> list | None:
    """[(t_ms, x_px or None, y_px or None, blink)] from truth.csv, or None without it."""
    path = recording_dir / "truth.csv"
    if not path.is_file():
        return None
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            x = float(row["gaze_x_px"]) if row["gaze_x_px"] else None
            y = float(row["gaze_y_px"]) if row["gaze_y_px"] else None
            rows.append((float(row["t_ms"]), x, y, row["blink"] == "1"))
    return rows


def load_recording(recording_mod, recording_dir: Path, pursuit: bool = True):
    """The checked recording; without ``pursuit``, its pursuit entries removed first."""
    raw = json.loads((recording_dir / "recording.json").read_text())
    if not pursuit:
        raw["targets"] = [t for t in raw["targets"] if t.get("phase") != "pursuit"]
    return recording_mod.validate_recording(raw)


def build_replay(mods, dump: dict, recording_dir: Path, truth_head: bool = False, smooth_head: bool = False,
                 pursuit: bool = True):
    replay_mod, recording_mod = mods[0], mods[1]
    rec = load_recording(recording_mod, recording_dir, pursuit)
    rp = replay_mod.Replay(rec)
    t0 = time.perf_counter()
    for fr in dump["frames"]:
        if "landmarks" in fr:
            rp.add_frame(fr["t_ms"], fr["landmarks"], fr["matrix"], fr["image_w_px"], fr["image_h_px"])
        else:
            rp.add_no_face(fr["t_ms"], fr.get("reason", "noface"))
    n_faces = sum(1 for fr in dump["frames"] if "landmarks" in fr)
    extract_ms = 1000.0 * (time.perf_counter() - t0) / max(1, n_faces)
    if truth_head:
        _use_truth_head(rp, recording_dir)
    if smooth_head:
        rp._frames = _smooth_head(rp._frames)
    return rec, rp, extract_ms


def _smooth_head(frames: list) -> list:
    """The frames with yaw, pitch, roll and head position/distance low-passed (causal
    exponential smoothing over SMOOTH_HEAD_MS, restarted after a frame without a face)."""
    out, state, last = [], None, None
    for t, features, *rest in frames:
        if features is None:
            state = None
        else:
            now = (features.head.yaw_deg, features.head.pitch_deg, features.head.roll_deg,
                   features.head_x_mm, features.head_y_mm, getattr(features, "head_z_mm", 0.0))
            if state is None:
                state = now
            else:
                a = 1.0 - math.exp(-(t - last) / SMOOTH_HEAD_MS)
                state = tuple(p + a * (c - p) for p, c in zip(state, now))
            last = t
            head = dataclasses.replace(features.head, yaw_deg=state[0], pitch_deg=state[1], roll_deg=state[2])
            extra = {"head_z_mm": state[5]} if hasattr(features, "head_z_mm") else {}
            features = dataclasses.replace(features, head=head, head_x_mm=state[3], head_y_mm=state[4], **extra)
        out.append((t, features, *rest))
    return out


def _fit(mods, source, head: str | None):
    """GazeModel.fit with the chosen head model (older gazeheat versions: the default)."""
    if head is None:
        return mods[2].GazeModel.fit(source)
    return mods[2].GazeModel.fit(source, head=head)


def _use_truth_head(rp, recording_dir: Path) -> None:
    """Swap every frame's yaw/pitch for the generator's (see the module docstring).
    The generator's yaw > 0 turns the face to screen +x and pitch > 0 up; MediaPipe's
    yaw > 0 turns it to image +x (screen -x, plain camera) and pitch > 0 down."""
    rows = []
    with open(recording_dir / "truth.csv", newline="") as f:
        for row in csv.DictReader(f):
            rows.append((float(row["t_ms"]), float(row["head_yaw_deg"]), float(row["head_pitch_deg"])))
    times = [r[0] for r in rows]
    frames = []
    for t, features, *rest in rp._frames:
        if features is not None:
            k = bisect.bisect_left(times, t)
            k = min((j for j in (k - 1, k) if 0 <= j < len(times)), key=lambda j: abs(times[j] - t))
            head = dataclasses.replace(features.head, yaw_deg=-rows[k][1], pitch_deg=-rows[k][2])
            features = dataclasses.replace(features, head=head)
        frames.append((t, features, *rest))
    rp._frames = frames


def collector(mods, rec, rp):
    """The calibration samples as gazeheat.replay collects them (dots and pursuit
    segments): its own (private) helper where it has one (an older gazeheat given by
    ``--pkg`` may not), else every frame inside a calibration target."""
    if hasattr(rp, "_collectors"):
        return rp._collectors()[0]
    c = mods[2].CalibrationCollector()
    for index, target in rec.of_phase("calibration"):
        c.start_target(index, target.start_ms)
    for t, features, *_ in rp._frames:
        hit = rec.target_at(t)
        if features is not None and hit is not None and hit[1].phase == "calibration":
            c.add(t, hit[0], hit[1].x, hit[1].y, features)
    return c


def loto(mods, rec, rp, head: str | None = None) -> dict:
    """Leave-one-calibration-target-out accuracy with the shipped fit: each dot held out
    in turn (pursuit segments, whose target moves, stay in every fit)."""
    samples = list(collector(mods, rec, rp).samples)
    first_pursuit = getattr(mods[2].C, "PURSUIT_FIRST_INDEX", math.inf)
    by_target: dict = {}
    for s in samples:
        if s.target_index < first_pursuit:
            by_target.setdefault(s.target_index, []).append(s)
    errors = {}
    for index, held in sorted(by_target.items()):
        rest = [s for s in samples if s.target_index != index]
        try:
            model = _fit(mods, rest, head)
        except Exception as exc:  # noqa: BLE001 - report and go on
            errors[index] = f"fit failed: {exc}"
            continue
        preds = [_predict_sample(model, s) for s in held]
        mx = math.fsum(p[0] for p in preds) / len(preds)
        my = math.fsum(p[1] for p in preds) / len(preds)
        errors[index] = math.hypot(mx - held[0].target_x_px, my - held[0].target_y_px)
    return errors


def _predict_sample(model, sample):
    """Prediction for a stored calibration sample (its inputs, not a Features)."""
    if hasattr(model, "predict_sample"):
        return model.predict_sample(sample)
    return model.predict_vector(sample.inputs)


def truth_error(session: dict, truth: list, rec, px_per_deg: float) -> dict | None:
    """Error of the raw predictions against the true gaze after the last target."""
    if truth is None:
        return None
    last_end = max(t.end_ms for t in rec.targets)
    raw = session["_raw"]
    times = [t for t, *_ in truth]
    bad = set()
    # Frames near a blink or a fast true gaze (saccade) are skipped: 30 Hz predictions
    # cannot be compared there, and the truth has no gaze inside blinks.
    for i, (t, x, y, blink) in enumerate(truth):
        fast = False
        if x is not None and i > 0 and truth[i - 1][1] is not None:
            dt = (t - truth[i - 1][0]) / 1000.0
            step = math.hypot(x - truth[i - 1][1], y - truth[i - 1][2]) / px_per_deg
            fast = step / dt > SACCADE_SPEED_DEG_S
        if blink or x is None or fast:
            bad.update(u for u in times if abs(u - t) <= TRUTH_GUARD_MS)
    errs = []
    for t, point in raw:
        if t <= last_end or point is None:
            continue
        # The page's frame times are whole ms; truth.csv has exact ones: take the nearest.
        k = bisect.bisect_left(times, t)
        k = min((j for j in (k - 1, k) if 0 <= j < len(times)), key=lambda j: abs(times[j] - t))
        if abs(times[k] - t) > 5.0 or times[k] in bad or truth[k][1] is None:
            continue
        errs.append(math.hypot(point[0] - truth[k][1], point[1] - truth[k][2]) / px_per_deg)
    if not errs:
        return None
    errs.sort()
    return {"n": len(errs), "mean_deg": math.fsum(errs) / len(errs), "median_deg": errs[len(errs) // 2],
            "p90_deg": errs[int(0.9 * (len(errs) - 1))]}


def evaluate(mods, dump_path: Path, recording_dir: Path | None = None, do_loto: bool = True,
             truth_head: bool = False, head: str | None = None, smooth_head: bool = False,
             pursuit: bool = True) -> dict:
    dump, recording_dir = load_dump(dump_path, recording_dir)
    rec, rp, extract_ms = build_replay(mods, dump, recording_dir, truth_head, smooth_head, pursuit)
    t0 = time.perf_counter()
    model = _fit(mods, collector(mods, rec, rp), head)
    fit_ms = 1000.0 * (time.perf_counter() - t0)
    # Replay keeps (t_ms, Features or None, reason, ...) per frame.
    frames = [f for _, f, *_ in rp._frames if f is not None and f.valid]
    t0 = time.perf_counter()
    for f in frames:
        model.predict(f)
    predict_ms = 1000.0 * (time.perf_counter() - t0) / max(1, len(frames))
    session = rp.finish()
    # Replay.finish fits with its defaults: the figures below use this model instead.
    session["_raw"] = [(t, None if f is None or not f.valid else model.predict(f)) for t, f, *_ in rp._frames]
    # What the validation would be if the caller also skipped the frames the model
    # calls unusable (blink edges; GazeModel.usable), where the model provides that.
    usable_validation = None
    if hasattr(model, "usable"):
        raw = [(t, model.predict(f) if f is not None and model.usable(f) else None) for t, f, *_ in rp._frames]
        per_target = []
        for index, target in rec.of_phase("validation"):
            settled = target.start_ms + 400.0
            points = [(t, p[0], p[1]) for t, p in raw if p is not None and settled <= t < target.end_ms]
            per_target.append((index, target.x, target.y, points))
        usable_validation = mods[4].validate_gaze(per_target, session["validation"]["px_per_deg"]).to_dict()
        session["_raw_usable"] = raw
        tests = json.loads((recording_dir / "recording.json").read_text()).get("synthetic", {}).get("test_targets")
        if tests:
            per_target = []
            for index, target in enumerate(tests):
                settled = target["start_ms"] + 400.0
                points = [(t, p[0], p[1]) for t, p in raw if p is not None and settled <= t < target["end_ms"]]
                per_target.append((index, target["x"], target["y"], points))
            session["_test"] = mods[4].validate_gaze(per_target, session["validation"]["px_per_deg"]).to_dict()
    result = {
        "dump": str(dump_path),
        "recording": str(recording_dir),
        "frames": len(dump["frames"]),
        "no_face": sum(1 for fr in dump["frames"] if "landmarks" not in fr),
        "validation": session["validation"],
        "validation_usable": usable_validation,
        "test_targets": session.get("_test"),
        "calibration_summary": session["calibration_summary"],
        "timing": {"extract_ms_per_frame": extract_ms, "predict_ms_per_frame": predict_ms, "fit_ms": fit_ms},
        "truth": truth_error(session, read_truth(recording_dir), rec, session["validation"]["px_per_deg"]),
    }
    if do_loto:
        result["loto_px"] = loto(mods, rec, rp, head)
    return result


def report(result: dict, per_target: bool) -> None:
    v = result["validation"]
    ppd = v["px_per_deg"]
    print(f"== {result['dump']}  ({result['frames']} frames, {result['no_face']} without face)")
    print(f"validation: accuracy {v['accuracy_deg']:.2f} deg ({v['accuracy_px']:.1f} px), "
          f"precision {v['precision_deg']:.2f} deg ({v['precision_px']:.1f} px), grade {v['grade']}")
    vu = result.get("validation_usable")
    if vu:
        print(f"  (skipping frames GazeModel.usable rejects: accuracy {vu['accuracy_deg']:.2f} deg "
              f"({vu['accuracy_px']:.1f} px), precision {vu['precision_deg']:.2f} deg)")
    tt = result.get("test_targets")
    if tt:
        print(f"test targets: accuracy {tt['accuracy_deg']:.2f} deg ({tt['accuracy_px']:.1f} px), "
              f"precision {tt['precision_deg']:.2f} deg")
    if per_target:
        for t in v["targets"]:
            print(f"  target {t['target_index']:2d} ({t['x_px']:6.1f}, {t['y_px']:6.1f}): "
                  f"mean ({t['mean_x_px']:7.1f}, {t['mean_y_px']:7.1f}) "
                  f"acc {t['accuracy_deg']:.2f} deg, prec {t['precision_deg']:.2f} deg, n={t['n_samples']}")
    cs = result["calibration_summary"]
    extra = {k: cs[k] for k in cs if k not in ("per_target", "n_targets", "n_samples", "rms_px")}
    print(f"calibration: {cs['n_targets']} targets, {cs['n_samples']} samples, rms {cs['rms_px']:.1f} px"
          + (f", {extra}" if extra else ""))
    if "loto_px" in result:
        vals = [e for e in result["loto_px"].values() if isinstance(e, float)]
        line = " ".join(f"{i}:{e / ppd:.2f}" if isinstance(e, float) else f"{i}:fail"
                        for i, e in result["loto_px"].items())
        if vals:
            print(f"LOTO accuracy: mean {math.fsum(vals) / len(vals) / ppd:.2f} deg  [{line}]")
    if result["truth"]:
        tr = result["truth"]
        print(f"free viewing vs truth (raw, steady frames, n={tr['n']}): mean {tr['mean_deg']:.2f} deg, "
              f"median {tr['median_deg']:.2f}, p90 {tr['p90_deg']:.2f}")
    tm = result["timing"]
    print(f"timing: extract {tm['extract_ms_per_frame']:.3f} ms/frame, predict "
          f"{tm['predict_ms_per_frame']:.4f} ms/frame, fit {tm['fit_ms']:.1f} ms")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dumps", nargs="+", type=Path, help="landmark dumps (JSON)")
    parser.add_argument("--recording", type=Path, help="recording directory (default: the dump's)")
    parser.add_argument("--pkg", help="directory holding the gazeheat package to evaluate")
    parser.add_argument("--per-target", action="store_true", help="print every validation target")
    parser.add_argument("--no-loto", action="store_true", help="skip leave-one-target-out")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--truth-head", action="store_true",
                        help="oracle: the generator's true head yaw/pitch instead of MediaPipe's")
    parser.add_argument("--head", choices=["geometric", "linear", "none"],
                        help="the gaze model's head model (default: GazeModel.fit's)")
    parser.add_argument("--smooth-head", action="store_true", help="low-pass the head measurements first")
    parser.add_argument("--no-pursuit", action="store_true",
                        help="remove the recording's smooth-pursuit entries: calibrate on the dots alone")
    args = parser.parse_args(argv)
    mods = _import_gazeheat(args.pkg)
    results = []
    for path in args.dumps:
        result = evaluate(mods, path, args.recording, not args.no_loto, args.truth_head, args.head,
                          args.smooth_head, not args.no_pursuit)
        report(result, args.per_target)
        results.append(result)
    if len(results) > 1:
        accs = [r["validation"]["accuracy_deg"] for r in results]
        mean = math.fsum(accs) / len(accs)
        print(f"mean validation accuracy over {len(results)} recordings: {mean:.2f} deg")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
