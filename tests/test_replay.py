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
    assert session["validation"]["mean_error_deg"] == choice.variants[choice.chosen]
    assert session["validation"]["accuracy_deg"] == dict(choice.accuracy_deg)[choice.chosen]
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


# --- the smooth-pursuit pass ----------------------------------------------------------------


def pursuit_entry(start_motion_ms, width=1280, height=720):
    """A pursuit target as the page logs it: from the settle time to the end of the motion,
    the path in the recording's clock; and where the dot is at a time."""
    from gazeheat import constants as C
    from gazeheat.calibration import pursuit_path

    path = [(start_motion_ms + t, x, y) for t, x, y in pursuit_path(width, height)]

    def dot(t):
        k = max(0, min(int((t - start_motion_ms) // C.PURSUIT_POINT_MS), len(path) - 2))
        (t0, x0, y0), (t1, x1, y1) = path[k], path[k + 1]
        f = min(max((t - t0) / (t1 - t0), 0.0), 1.0)
        return x0 + f * (x1 - x0), y0 + f * (y1 - y0)

    start = start_motion_ms + C.PURSUIT_SETTLE_MS
    entry = {"phase": "pursuit", "x": dot(start)[0], "y": dot(start)[1], "start_ms": start,
             "end_ms": path[-1][0], "path": [{"t_ms": t, "x": x, "y": y} for t, x, y in path]}
    return entry, dot


def test_replay_calibrates_with_pursuit_entries(synth):
    from gazeheat import constants as C

    dots, t_dots = scripted([("calibration", CAL)])
    first, dot1 = pursuit_entry(t_dots + C.PURSUIT_STILL_MS)
    second, dot2 = pursuit_entry(first["end_ms"] + 700)  # two passes: numbered on
    val, t_val = scripted([("validation", VAL)])
    shift = second["end_ms"] + 200 - val[0]["start_ms"] + 700
    val = [{**v, "start_ms": v["start_ms"] + shift, "end_ms": v["end_ms"] + shift} for v in val]
    targets = dots + [first, second] + val
    replay = Replay(make_recording(targets))
    face = Face(synth, seed=5)
    t = 0.0
    while t < val[-1]["end_ms"] + 500:
        if t < t_dots:
            x, y = looked_at(dots, t)
        elif t < first["end_ms"] + 350:
            x, y = dot1(t)
        elif t < second["end_ms"] + 350:
            x, y = dot2(t)
        else:
            x, y = looked_at(val, t)
        replay.add_frame(t, *face.frame(x, y))
        t += FRAME_MS
    session = validate_session(replay.finish())
    summary = session["calibration_summary"]
    assert summary["n_targets"] == 9 and summary["bad_targets"] == []
    n = round((C.PURSUIT_DURATION_MS - C.PURSUIT_SETTLE_MS) / C.PURSUIT_SEGMENT_MS)  # per pass
    segments = [p["target_index"] for p in summary["per_target"] if p["target_index"] >= C.PURSUIT_FIRST_INDEX]
    assert segments == list(range(C.PURSUIT_FIRST_INDEX, C.PURSUIT_FIRST_INDEX + 2 * n))
    assert summary["pursuit"]["segments"] + summary["pursuit"]["dropped"] == 2 * n
    assert summary["pursuit"]["segments"] >= 2 * n - 2
    assert [p["target_index"] for p in summary["per_target"]][:9] == list(range(9))  # dots as before
    assert session["validation"]["accuracy_px"] < 40
    json.dumps(session, allow_nan=False)


def test_a_pursuit_entry_changes_nothing_when_the_eyes_did_not_follow(synth):
    # The same replay with and without a pursuit entry over a stretch the face looks at
    # the top-left corner, far from every point of the path: every segment is dropped, the dots'
    # fit stays as it was.
    from gazeheat import constants as C

    dots, t_dots = scripted([("calibration", CAL)])
    entry, _ = pursuit_entry(t_dots + 1000)
    plain = Replay(make_recording(dots))
    with_entry = Replay(make_recording(dots + [entry]))
    face_a, face_b = Face(synth, seed=6), Face(synth, seed=6)
    t = 0.0
    while t < entry["end_ms"] + 300:
        x, y = looked_at(dots, t) if t < t_dots else (20.0, 20.0)
        plain.add_frame(t, *face_a.frame(x, y))
        with_entry.add_frame(t, *face_b.frame(x, y))
        t += FRAME_MS
    a = plain.finish()["calibration_summary"]
    b = with_entry.finish()["calibration_summary"]
    assert "pursuit" not in a and {k: b["pursuit"][k] for k in ("segments", "dropped", "samples")} == \
        {"segments": 0, "dropped": 23, "samples": 0}
    assert b["pursuit"]["follow_r"] < C.PURSUIT_MIN_FOLLOW_R
    assert (b["rms_px"], b["loto_px"], b["lam_x"], b["lam_y"]) == (a["rms_px"], a["loto_px"], a["lam_x"], a["lam_y"])
    assert [p["target_index"] for p in a["per_target"]] == [p["target_index"] for p in b["per_target"]][:9]
    assert all(p["target_index"] >= C.PURSUIT_FIRST_INDEX for p in b["per_target"][9:])
