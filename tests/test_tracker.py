"""gazeheat.tracker: end-to-end calibration and tracking on synthetic faces."""

import math

import pytest

from gazeheat.errors import CalibrationError, InputError
from gazeheat.png import decode_png_rgba
from gazeheat.session import validate_session
from gazeheat.tracker import STATES, GazeTracker

from conftest import Face

W, H = 1280, 720
FRAME_MS = 33.3


def calibrate(tracker, face, t=0.0, targets=None, blink_every=17):
    targets = tracker.calibration_targets() if targets is None else targets
    tracker.start_calibration()
    kept = 0
    for target in targets:
        for k in range(45):  # 1.5 s per target
            openness = 0.04 if k % blink_every == 5 else 0.3
            reply = tracker.process_frame(t, *face.frame(target["x_px"], target["y_px"], openness),
                                          target["index"], target["x_px"], target["y_px"])
            assert reply["state"] == "calibrating" and reply["x"] is None
            kept += reply["kept"]
            t += FRAME_MS
    return t, kept


@pytest.fixture
def calibrated(synth):
    tracker = GazeTracker(W, H)
    face = Face(synth, seed=1)
    t, kept = calibrate(tracker, face)
    summary = tracker.finish_calibration()
    return tracker, face, t, kept, summary


def test_calibration_summary(calibrated):
    tracker, _, _, kept, summary = calibrated
    assert tracker.calibrated and not tracker.calibrating
    assert summary["n_targets"] == 9
    assert summary["n_samples"] == kept
    # 400 ms settle of 1.5 s leaves ~32 frames per target, minus blinks.
    assert 9 * 25 <= kept <= 9 * 33
    assert summary["rms_px"] < 40.0
    assert len(summary["per_target"]) == 9
    assert all(t["mean_err_px"] < 60.0 for t in summary["per_target"])


def test_held_out_points_are_tracked(calibrated):
    tracker, face, t, _, _ = calibrated
    for fx, fy in ((0.3, 0.6), (0.7, 0.25), (0.5, 0.5), (0.2, 0.8), (0.85, 0.15)):
        x, y = fx * W, fy * H
        raw_errors = []
        for _ in range(30):
            reply = tracker.process_frame(t, *face.frame(x, y))
            t += FRAME_MS
            assert reply["state"] == "tracking"
            raw_errors.append(math.hypot(reply["raw_x"] - x, reply["raw_y"] - y))
        assert sum(raw_errors) / len(raw_errors) < 40.0
        assert math.hypot(reply["x"] - x, reply["y"] - y) < 40.0  # filtered, settled


def test_invalid_frames_and_no_face_give_null_samples(calibrated, synth):
    tracker, face, t, _, _ = calibrated
    assert tracker.n_samples == 0
    reply = tracker.process_frame(t, *face.frame(600, 300))
    assert reply["state"] == "tracking"
    reply = tracker.process_frame(t + 33, *face.frame(600, 300, openness=0.03))
    assert reply == {"t_ms": t + 33, "x": None, "y": None, "state": "blink", "reason": "blink"}
    tiny = synth.landmarks(scale=0.05)
    reply = tracker.process_frame(t + 66, tiny, synth.matrix(), 640, 480)
    assert reply["state"] == "invalid" and reply["reason"] == "eyes too small"
    reply = tracker.process_no_face(t + 100, "no_face")
    assert reply == {"t_ms": t + 100, "x": None, "y": None, "state": "no_face"}
    # the filter restarted: the next sample is the raw prediction
    reply = tracker.process_frame(t + 133, *face.frame(900, 500))
    assert (reply["x"], reply["y"]) == (reply["raw_x"], reply["raw_y"])
    session = tracker.session("2025-01-31T12:00:00Z")
    assert validate_session(session) is session
    samples = session["samples"]
    assert len(samples) == tracker.n_samples == 5
    assert [s["x"] is None for s in samples] == [False, True, True, True, False]
    assert session["calibration"]["model"] == "poly2-ridge"
    assert session["viewport"] == {"width": W, "height": H}


def test_heatmap_of_the_recording(calibrated):
    tracker, face, t, _, _ = calibrated
    for k in range(60):
        tracker.process_frame(t + k * FRAME_MS, *face.frame(400 if k < 30 else 900, 300))
    result = tracker.heatmap_png()
    assert result["n_points"] == 60
    assert (result["width_px"], result["height_px"]) == (W, H)
    w, h, rgba = decode_png_rgba(result["png"])
    assert (w, h) == (result["grid_w"], result["grid_h"]) == (160, 90)
    assert max(rgba[3::4]) > 0
    small = tracker.heatmap_png(640, 360, cell_px=16, sigma_px=20)
    assert (small["grid_w"], small["grid_h"]) == (40, 23)
    tracker.clear_recording()
    assert tracker.n_samples == 0
    assert tracker.heatmap_png()["n_points"] == 0


def test_states_before_calibration(synth):
    tracker = GazeTracker(W, H)
    face = Face(synth)
    reply = tracker.process_frame(0, *face.frame(10, 10))
    assert reply == {"t_ms": 0.0, "x": None, "y": None, "state": "uncalibrated"}
    assert tracker.process_frame(33, *face.frame(10, 10, openness=0.02))["state"] == "blink"
    assert tracker.process_no_face(66, "no_face")["state"] == "no_face"
    assert tracker.n_samples == 0  # nothing is recorded before calibration
    assert set(STATES) == {"calibrating", "validating", "recentring", "tracking", "uncalibrated", "blink",
                           "invalid"}


def test_calibration_errors(synth):
    tracker = GazeTracker(W, H)
    face = Face(synth)
    with pytest.raises(CalibrationError, match="start_calibration"):
        tracker.finish_calibration()
    with pytest.raises(InputError, match="start_calibration"):
        tracker.process_frame(0, *face.frame(0, 0), 0, 10.0, 10.0)
    targets = tracker.calibration_targets()[:4]
    t, _ = calibrate(tracker, face, targets=targets)
    with pytest.raises(CalibrationError, match="got 4"):
        tracker.finish_calibration()
    assert tracker.calibrating  # still open: more targets can be added
    with pytest.raises(InputError, match="target_x_px"):
        tracker.process_frame(t, *face.frame(0, 0), 5, None, None)
    t, _ = calibrate(tracker, face, t=t)
    assert tracker.finish_calibration()["n_targets"] == 9


def test_time_going_back_while_recording_is_an_error(calibrated):
    tracker, face, t, _, _ = calibrated
    tracker.process_frame(t, *face.frame(100, 100))
    with pytest.raises(InputError, match="clear_recording"):
        tracker.process_frame(t - 10, *face.frame(100, 100))
    with pytest.raises(InputError, match="earlier"):
        tracker.process_no_face(t - 10)
    tracker.clear_recording()
    assert tracker.process_frame(0.0, *face.frame(100, 100))["state"] == "tracking"


def test_viewport_and_targets():
    tracker = GazeTracker(1000, 500)
    assert tracker.calibration_targets()[0] == {"index": 0, "x_px": 100.0, "y_px": 50.0}
    tracker.set_viewport(2000, 1000)
    assert len(tracker.calibration_targets("16")) == 16
    tracker.configure({"calibration_points": "13"})
    assert len(tracker.calibration_targets()) == 13
    with pytest.raises(InputError):
        tracker.set_viewport(0, 10)
    with pytest.raises(InputError):
        GazeTracker(float("nan"), 10)
    with pytest.raises(InputError, match="reason"):
        tracker.process_no_face(0, "")


def test_configure_changes_filter_and_keeps_old_settings_on_error():
    from gazeheat.tracker import GazeTracker

    tracker = GazeTracker(1280, 720)
    assert tracker.configure({"filter": "none"})["filter"] == "none"
    with pytest.raises(InputError):
        tracker.configure({"filter": "median"})
    assert tracker.settings["filter"] == "none"


def test_fixations_and_session_carry_them(calibrated):
    tracker, face, t, _, _ = calibrated
    tracker.clear_recording()
    # Two steady looks of a second each at two places, 30 frames/s.
    for i in range(60):
        x, y = (300.0, 200.0) if i < 30 else (900.0, 500.0)
        tracker.process_frame(t + 100 + i * 33.3, *face.frame(x, y))
    fixations = tracker.fixations()
    assert len(fixations) == 2, fixations
    assert abs(fixations[0]["x"] - 300) < 40 and abs(fixations[1]["y"] - 500) < 40
    later = tracker.fixations(since_ms=t + 1200.0)
    assert len(later) == 1 and abs(later[0]["x"] - fixations[1]["x"]) < 10
    session = validate_session(tracker.session("2026-11-21T09:30:00+00:00"))
    assert session["fixations"] == fixations and session["settings"] == tracker.settings


def test_validation_on_unseen_targets(calibrated):
    tracker, face, t, _, _ = calibrated
    with pytest.raises(CalibrationError):
        tracker.finish_validation()
    targets = tracker.start_validation()
    assert len(targets) == 5 and all(0 < p["x_px"] < W and 0 < p["y_px"] < H for p in targets)
    n_before = tracker.n_samples
    for target in targets:
        for k in range(40):
            reply = tracker.process_frame(t, *face.frame(target["x_px"], target["y_px"]),
                                          target["index"], target["x_px"], target["y_px"])
            assert reply["state"] == "validating" and reply["x"] is None
            t += FRAME_MS
    result = tracker.finish_validation()
    assert tracker.n_samples == n_before, "validation frames are not part of the recording"
    assert len(result["targets"]) == 5 and result["accuracy_px"] < 60, result
    assert result["grade"] in ("excellent", "good")
    assert all(r["n_samples"] == 27 for r in result["targets"])  # the first 400 ms dropped
    assert tracker.session()["validation"] == result


def test_validation_needs_a_model(synth):
    with pytest.raises(CalibrationError):
        GazeTracker(W, H).start_validation()


def test_recentre_corrects_a_drift(calibrated):
    tracker, face, t, _, _ = calibrated
    target = tracker.start_recentre()[0]
    assert (target["x_px"], target["y_px"]) == (W / 2, H / 2)
    # The person now looks 80 px right of where the model thinks (a drift).
    for k in range(45):
        reply = tracker.process_frame(t, *face.frame(target["x_px"] - 80, target["y_px"]), 0,
                                      target["x_px"], target["y_px"])
        assert reply["state"] == "recentring"
        t += FRAME_MS
    result = tracker.finish_recentre()
    assert 60 < result["shift_px"] < 100 and result["n_samples"] > 20
    xs = [tracker.process_frame(t + 33.3 * k, *face.frame(W / 2 - 80, H / 2))["raw_x"] for k in range(10)]
    assert abs(sum(xs) / len(xs) - W / 2) < 25, "after re-centring the gaze lands on the target"
    with pytest.raises(CalibrationError):
        tracker.finish_recentre()


def test_bad_targets_can_be_shown_again(calibrated):
    tracker, face, t, _, summary = calibrated
    targets = tracker.retry_targets([2, 7])
    assert [x["index"] for x in targets] == [2, 7] and tracker.calibrating
    for target in targets:
        for _ in range(45):
            tracker.process_frame(t, *face.frame(target["x_px"], target["y_px"]), target["index"],
                                  target["x_px"], target["y_px"])
            t += FRAME_MS
    again = tracker.finish_calibration()
    assert again["n_targets"] == 9 and not tracker.calibrating
    with pytest.raises(CalibrationError):
        GazeTracker(W, H).retry_targets([0])  # nothing calibrated yet
