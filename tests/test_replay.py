"""gazeheat.replay: a recording's frames in, a calibrated, validated session out."""
import json
import random
from pathlib import Path

import pytest

from gazeheat.appearance import ModelChoice
from gazeheat.errors import CalibrationError, InputError
from gazeheat.recording import validate_recording
from gazeheat.replay import Replay
from gazeheat.session import validate_session

from conftest import Face
from test_appearance import draw_patches  # the synthetic eye images

FRAME_MS = 1000 / 30
CAL = [(x, y) for y in (72, 360, 648) for x in (128, 640, 1152)]
VAL = [(384, 216), (896, 216), (640, 400), (384, 504), (896, 504)]


def scripted(targets_xy, lead_ms=700, hold_ms=1800):
    """Targets one after the other; returns (recording targets, timeline of (t0, t1, x, y))."""
    targets, t = [], 500.0
    for phase, points in targets_xy:
        for x, y in points:
            targets.append({"phase": phase, "x": x, "y": y, "start_ms": t + lead_ms,
                            "end_ms": t + lead_ms + hold_ms})
            t += lead_ms + hold_ms
    return targets, t


def make_recording(targets):
    return validate_recording({"format": "gazeheat.recording", "version": 1, "video": "v.webm",
                               "viewport": {"width": 1280, "height": 720}, "targets": targets})


def looked_at(targets, t):
    """Where the eyes are at t: on the current target, moving to the next one before."""
    for target in targets:
        if t < target["end_ms"]:
            return target["x"], target["y"]
    return 640.0, 360.0


def run_replay(synth, drop_every=0):
    targets, end_ms = scripted([("calibration", CAL), ("validation", VAL)])
    replay = Replay(make_recording(targets))
    face = Face(synth, seed=3)
    t, n = 0.0, 0
    while t < end_ms + 1000:
        if drop_every and n % drop_every == 7:
            replay.add_no_face(t, "noface")
        else:
            replay.add_frame(t, *face.frame(*looked_at(targets, t)))
        t += FRAME_MS
        n += 1
    return replay, n


def test_replay_calibrates_validates_and_predicts_every_frame(synth):
    replay, n = run_replay(synth, drop_every=25)
    session = validate_session(replay.finish("2026-11-21T10:00:00+00:00"))
    assert len(session["samples"]) == n == replay.n_frames
    nulls = sum(s["x"] is None for s in session["samples"])
    assert nulls == len(range(7, n, 25))  # exactly the frames without a face
    validation = session["validation"]
    assert len(validation["targets"]) == 5
    assert validation["accuracy_px"] < 40, validation  # the synthetic face maps almost exactly
    assert validation["grade"] in ("excellent", "good")
    assert session["calibration_summary"]["n_targets"] == 9
    assert session["source"] == {"kind": "replay", "video": "v.webm", "frames": n}
    json.dumps(session, allow_nan=False)


def test_replay_refuses_time_going_back_and_a_recording_without_calibration(synth):
    targets, _ = scripted([("validation", VAL)])
    replay = Replay(make_recording(targets))
    face = Face(synth)
    replay.add_frame(100.0, *face.frame(640, 360))
    with pytest.raises(InputError):
        replay.add_frame(50.0, *face.frame(640, 360))
    with pytest.raises(CalibrationError):
        replay.finish()


# --- gaze model variants (issue #7) ------------------------------------------------------


def run_replay_with_patches(synth, targets_xy, noise=0.015, missing_every=0):
    targets, end_ms = scripted(targets_xy)
    replay = Replay(make_recording(targets))
    face = Face(synth, seed=3, noise=noise)
    rng = random.Random(4)
    t, n = 0.0, 0
    while t < end_ms + 1000:
        x, y = looked_at(targets, t)
        patches = None if missing_every and n % missing_every == 5 else draw_patches(x, y, rng)
        replay.add_frame(t, *face.frame(x, y), eye_patches=patches)
        t += FRAME_MS
        n += 1
    return replay


def test_replay_fits_validates_and_chooses_among_the_variants(synth, jsonschema):
    replay = run_replay_with_patches(synth, [("calibration", CAL), ("validation", VAL)], missing_every=9)
    session = validate_session(replay.finish("2026-11-21T10:00:00+00:00"))
    choice = ModelChoice.from_dict(session["models"])
    assert set(choice.variants) == {"landmark", "appearance", "combined"}
    assert choice.chosen in ("appearance", "combined"), choice  # noisy landmarks, clean eyes
    assert session["validation"]["accuracy_deg"] == choice.variants[choice.chosen]
    fitted = session["calibration_summary"]["appearance_models"]
    assert fitted["appearance"]["n_targets"] == fitted["combined"]["n_targets"] == 9
    schema = json.loads((Path(__file__).resolve().parents[1] / "docs" / "session.schema.json").read_text())
    jsonschema.validate(session, schema)
    for bad in ({"variants": {"cnn": {"accuracy_deg": 1.0}}, "chosen": "cnn"},
                {"variants": {"landmark": {"accuracy_deg": -1.0}}, "chosen": "landmark"},
                {"variants": {"landmark": {}}, "chosen": "landmark"}, {"chosen": "landmark"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**session, "models": bad}, schema)
    json.dumps(session, allow_nan=False)


def test_replay_without_patches_or_validation(synth):
    # No patches: the landmark model alone, as before; no validation targets: no choice.
    replay, _ = run_replay(synth)
    session = replay.finish()
    assert list(session["models"]["variants"]) == ["landmark"]
    assert session["calibration_summary"]["appearance_models"]["appearance"]["error"]
    replay = run_replay_with_patches(synth, [("calibration", CAL)])
    session = validate_session(replay.finish())
    assert "models" not in session and session["validation"] is None
    assert "loto_px" in session["calibration_summary"]["appearance_models"]["combined"]


def test_replay_refuses_bad_patches(synth):
    targets, _ = scripted([("calibration", CAL)])
    replay = Replay(make_recording(targets))
    with pytest.raises(InputError, match="eye patches"):
        replay.add_frame(0.0, *Face(synth).frame(640, 360), eye_patches=[1.0, 2.0])
