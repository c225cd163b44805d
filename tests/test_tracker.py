"""gazeheat.tracker: end-to-end calibration and tracking on synthetic faces."""

import json
import math
import random

import pytest

from gazeheat import constants as C
from gazeheat.appearance import AppearanceModel, ModelChoice
from gazeheat.errors import CalibrationError, InputError
from gazeheat.features import extract_features
from gazeheat.png import decode_png_rgba
from gazeheat.session import validate_session
from gazeheat.tracker import STATES, GazeTracker
from gazeheat.validation import validate_gaze

from conftest import Face
from test_appearance import draw_patches  # the synthetic eye images

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
    session = tracker.session()
    assert {**session["validation"], "models": session["models"]} == result
    # Without eye patches only the landmark model exists, and is chosen.
    assert result["models"] == {"chosen": "landmark", "variants": {"landmark": {
        "accuracy_deg": result["accuracy_deg"], "mean_error_deg": result["mean_error_deg"]}}}


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


# --- gaze model variants: eye patches, validation's choice, clicks (issue #7) ----------


class PatchFace(Face):
    """``Face`` whose frames also carry eye patches of the gaze (their own random
    stream, so the landmarks are those a ``Face`` of the same seed gives).
    ``eye_signal=False``: the irises in the patches stay put."""

    def __init__(self, synth, seed=0, noise=0.002, eye_signal=True):
        super().__init__(synth, seed, noise)
        self.patch_rng = random.Random(seed + 1000)
        self.eye_signal = eye_signal

    def patches(self, x, y):
        return draw_patches(x, y, self.patch_rng, signal=self.eye_signal)


def run_targets(tracker, face, targets, t, frames=45, patches=True, look=None):
    """Show ``targets`` one after another (``look``: where the eyes are instead)."""
    for target in targets:
        x, y = look(target) if look else (target["x_px"], target["y_px"])
        for _ in range(frames):
            tracker.process_frame(t, *face.frame(x, y), target["index"], target["x_px"], target["y_px"],
                                  eye_patches=face.patches(x, y) if patches else None)
            t += FRAME_MS
    return t


def calibrated_with_patches(synth, noise, eye_signal=True, seed=1):
    tracker = GazeTracker(W, H)
    face = PatchFace(synth, seed=seed, noise=noise, eye_signal=eye_signal)
    tracker.start_calibration()
    t = run_targets(tracker, face, tracker.calibration_targets(), 0.0)
    summary = tracker.finish_calibration()
    return tracker, face, t, summary


def validate(tracker, face, t, patches=True):
    t = run_targets(tracker, face, tracker.start_validation(), t, frames=40, patches=patches)
    return tracker.finish_validation(), t


@pytest.fixture
def noisy_landmarks(synth):
    """Landmarks 7x noisier than ``Face``'s default, clean eye images: an
    appearance-based variant beats the landmark model."""
    return calibrated_with_patches(synth, noise=0.015)


def test_calibration_fits_the_appearance_variants(noisy_landmarks):
    tracker, _, _, summary = noisy_landmarks
    models = summary["appearance_models"]
    assert set(models) == {"appearance", "combined"}
    for variant, m in models.items():
        assert m["variant"] == variant and m["n_targets"] == 9 and m["loto_px"] > 0, m
    assert summary["appearance_fit_ms"] >= 0
    assert tracker.chosen_variant == "landmark", "validation has not chosen yet"
    assert set(tracker.appearance_models) == {"appearance", "combined"}


def test_validation_scores_every_variant_and_the_best_predicts(noisy_landmarks, synth):
    tracker, face, t, _ = noisy_landmarks
    result, t = validate(tracker, face, t)
    models = ModelChoice.from_dict(result["models"])
    errors = models.variants
    assert set(errors) == {"landmark", "appearance", "combined"}
    assert models.chosen in ("appearance", "combined") and tracker.chosen_variant == models.chosen
    assert errors[models.chosen] <= min(errors.values()) + C.MODEL_CHOICE_TIE_DEG
    assert errors[models.chosen] < 0.7 * errors["landmark"], errors
    assert result["mean_error_deg"] == errors[models.chosen]  # the figures shown are the choice's
    assert result["accuracy_deg"] == dict(models.accuracy_deg)[models.chosen]
    # The landmark error is what a tracker without eye patches measures on the same frames.
    plain = GazeTracker(W, H)
    twin = PatchFace(synth, seed=1, noise=0.015)
    plain.start_calibration()
    t2 = run_targets(plain, twin, plain.calibration_targets(), 0.0, patches=False)
    plain.finish_calibration()
    alone, _ = validate(plain, twin, t2, patches=False)
    assert alone["mean_error_deg"] == pytest.approx(errors["landmark"], rel=1e-9)
    assert list(alone["models"]["variants"]) == ["landmark"]

    # From now on the chosen variant predicts; a frame without patches falls back.
    chosen = tracker.appearance_models[models.chosen]
    lm, matrix, w, h = face.frame(500, 300)
    patches = face.patches(500, 300)
    reply = tracker.process_frame(t, lm, matrix, w, h, eye_patches=patches)
    features = tracker_features(lm, matrix, w, h)
    assert (reply["raw_x"], reply["raw_y"]) == chosen.predict(patches, features)
    reply = tracker.process_frame(t + 33, lm, matrix, w, h)
    assert (reply["raw_x"], reply["raw_y"]) == tracker.model.predict(features)
    session = validate_session(tracker.session("2026-11-21T12:00:00Z"))
    assert session["models"] == result["models"]
    json.dumps(session, allow_nan=False)


def tracker_features(lm, matrix, w, h):
    return extract_features(lm, matrix, w, h)


def test_eye_images_without_gaze_leave_the_landmark_model_chosen(synth):
    tracker, face, t, _ = calibrated_with_patches(synth, noise=0.002, eye_signal=False)
    result, _ = validate(tracker, face, t)
    assert result["models"]["chosen"] == "landmark" and tracker.chosen_variant == "landmark"
    errors = ModelChoice.from_dict(result["models"]).variants
    assert errors["appearance"] > 3 * errors["landmark"], errors


def test_validation_errors_per_variant_are_validate_gaze_of_its_predictions(noisy_landmarks):
    # Recompute each variant's accuracy from its own predictions of the same frames.
    tracker, face, t, _ = noisy_landmarks
    targets = tracker.start_validation()
    frames = []
    for target in targets:
        for k in range(40):
            lm, matrix, w, h = face.frame(target["x_px"], target["y_px"])
            patches = None if k % 7 == 3 else face.patches(target["x_px"], target["y_px"])
            tracker.process_frame(t, lm, matrix, w, h, target["index"], target["x_px"],
                                  target["y_px"], eye_patches=patches)
            frames.append((target, k, t, tracker_features(lm, matrix, w, h), patches))
            t += FRAME_MS
    result = tracker.finish_validation()
    for variant, entry in result["models"]["variants"].items():
        per_target = []
        for target in targets:
            points = []
            for tg, k, tt, features, patches in frames:
                if tg is not target or k < 13:  # the first 400 ms settle
                    continue
                if variant == "landmark" or patches is None:  # no patches: landmark model
                    x, y = tracker.model.predict(features)
                else:
                    x, y = tracker.appearance_models[variant].predict(patches, features)
                points.append((tt, x, y))
            per_target.append((target["index"], target["x_px"], target["y_px"], points))
        want = validate_gaze(per_target, tracker.px_per_deg).accuracy_deg
        assert entry["accuracy_deg"] == pytest.approx(want, rel=1e-9), variant


def test_saved_calibration_keeps_the_chosen_appearance_model(noisy_landmarks, synth):
    tracker, face, t, _ = noisy_landmarks
    result, t = validate(tracker, face, t)
    saved = json.loads(json.dumps(tracker.saved_calibration()))
    chosen = result["models"]["chosen"]
    assert saved["appearance"]["variant"] == chosen
    assert saved["model"]["model"] == "poly2-ridge", "the landmark model stays under model"
    again = GazeTracker(W, H)
    again.restore_calibration(saved)
    assert again.chosen_variant == chosen and list(again.appearance_models) == [chosen]
    assert again.appearance_models[chosen] == AppearanceModel.from_dict(saved["appearance"])
    again.configure({"filter": "none"})
    tracker.configure({"filter": "none"})
    for x, y in ((300, 200), (900, 500)):
        lm, matrix, w, h = face.frame(x, y)
        patches = face.patches(x, y)
        a = tracker.process_frame(t, lm, matrix, w, h, eye_patches=patches)
        b = again.process_frame(t, lm, matrix, w, h, eye_patches=patches)
        assert (a["x"], a["y"]) == (b["x"], b["y"])
        t += FRAME_MS
    # A re-validation after restoring chooses among what was kept.
    result, _ = validate(again, face, t)
    assert set(result["models"]["variants"]) == {"landmark", chosen}
    # A landmark-only calibration saves no appearance model; a bad one is refused.
    plain = GazeTracker(W, H)
    plain.restore_calibration({k: v for k, v in saved.items() if k != "appearance"})
    assert plain.chosen_variant == "landmark" and "appearance" not in plain.saved_calibration()
    with pytest.raises(InputError, match="appearance model"):
        plain.restore_calibration({**saved, "appearance": {"model": "other"}})


def test_recentre_corrects_the_chosen_appearance_variant(noisy_landmarks):
    tracker, face, t, _ = noisy_landmarks
    _, t = validate(tracker, face, t)
    chosen = tracker.chosen_variant
    assert chosen != "landmark"
    target = tracker.start_recentre()[0]
    drift = lambda _target: (target["x_px"] - 80, target["y_px"])  # noqa: E731
    t = run_targets(tracker, face, [target], t, look=drift)
    result = tracker.finish_recentre()
    assert 50 < result["shift_px"] < 110 and result["n_samples"] > 20
    assert tracker.appearance_models[chosen].correction_px != (0.0, 0.0)
    xs = []
    for _ in range(20):
        reply = tracker.process_frame(t, *face.frame(W / 2 - 80, H / 2),
                                      eye_patches=face.patches(W / 2 - 80, H / 2))
        xs.append(reply["raw_x"])
        t += FRAME_MS
    assert abs(sum(xs) / len(xs) - W / 2) < 30, "after re-centring the gaze lands on the target"


def test_retried_targets_are_dropped_from_the_eye_image_training_too(noisy_landmarks):
    tracker, face, t, summary = noisy_landmarks
    n_before = summary["appearance_models"]["appearance"]["n_used"]
    targets = tracker.retry_targets([2, 7])
    t = run_targets(tracker, face, targets, t, frames=34)  # shorter: fewer frames kept
    again = tracker.finish_calibration()
    assert again["appearance_models"]["appearance"]["n_targets"] == 9
    assert again["appearance_models"]["appearance"]["n_used"] < n_before


def test_bad_eye_patches_are_refused(noisy_landmarks):
    tracker, face, t, _ = noisy_landmarks
    with pytest.raises(InputError, match="eye patches"):
        tracker.process_frame(t, *face.frame(100, 100), eye_patches=[0.0] * 10)


def test_clicks_teach_the_appearance_models_when_the_setting_is_on(noisy_landmarks):
    tracker, face, t, _ = noisy_landmarks
    _, t = validate(tracker, face, t)
    chosen = tracker.chosen_variant

    def look(x, y):
        nonlocal t
        reply = tracker.process_frame(t, *face.frame(x, y), eye_patches=face.patches(x, y))
        t += FRAME_MS
        return reply

    reply = look(400, 300)
    assert tracker.click(t, reply["x"], reply["y"])["reason"] == "off"  # off by default
    tracker.configure({"learn_from_clicks": "on"})
    look(400, 300)
    reply = look(400, 300)
    near = (reply["x"] + 0.5 * C.SELF_CALIBRATION_MAX_DEG * tracker.px_per_deg, reply["y"])
    far = (reply["x"] + 1.5 * C.SELF_CALIBRATION_MAX_DEG * tracker.px_per_deg, reply["y"])
    assert tracker.click(t, *far) == {"accepted": False, "reason": "far", "refitted": False,
                                      "n_clicks": 0}
    before = tracker.appearance_models[chosen]
    first = tracker.click(t, *near)
    assert first == {"accepted": True, "reason": None, "refitted": True, "n_clicks": 1}
    assert tracker.appearance_models[chosen].n_clicks == 1
    assert tracker.appearance_models[chosen] != before
    assert tracker.click(t + 1000, *near)["reason"] == "no_gaze", "no frame for 1 s: refused"
    refits = [tracker.click(t, *near)["refitted"] for _ in range(C.SELF_CALIBRATION_REFIT_EVERY)]
    assert refits == [False] * (C.SELF_CALIBRATION_REFIT_EVERY - 1) + [True]
    assert tracker.appearance_models[chosen].n_clicks == 1 + C.SELF_CALIBRATION_REFIT_EVERY
    # Clicks never reach the landmark model, nor count while validating.
    tracker.start_validation()
    assert tracker.click(t, *near)["reason"] == "busy"
    tracker.cancel_validation()
    tracker.process_no_face(t + 10)
    assert tracker.click(t + 10, *near)["reason"] == "no_gaze"
    with pytest.raises(InputError, match="x_px"):
        tracker.click(t, float("nan"), 0)


def test_a_restored_calibration_cannot_learn_from_clicks(noisy_landmarks):
    tracker, face, t, _ = noisy_landmarks
    _, t = validate(tracker, face, t)
    again = GazeTracker(W, H)
    again.restore_calibration(tracker.saved_calibration())
    again.configure({"learn_from_clicks": "on"})
    reply = again.process_frame(t, *face.frame(600, 300), eye_patches=face.patches(600, 300))
    assert again.click(t, reply["x"], reply["y"])["reason"] == "no_model"


# --- the smooth-pursuit pass (issue #3) -----------------------------------------------------


def test_pursuit_plan_for_the_viewport():
    from gazeheat.calibration import pursuit_path

    tracker = GazeTracker(1000, 500)
    plan = tracker.pursuit_plan()
    assert {k: v for k, v in plan.items() if k != "points"} == {
        "first_index": C.PURSUIT_FIRST_INDEX, "still_ms": C.PURSUIT_STILL_MS,
        "settle_ms": C.PURSUIT_SETTLE_MS, "segment_ms": C.PURSUIT_SEGMENT_MS,
        "duration_ms": C.PURSUIT_DURATION_MS, "lag_ms": C.PURSUIT_LAG_MS}
    assert plan["points"] == [{"t_ms": t, "x_px": x, "y_px": y} for t, x, y in pursuit_path(1000, 500)]
    assert plan["points"][0] == {"t_ms": 0.0, "x_px": 500.0, "y_px": 250.0}
    tracker.set_viewport(2000, 1000)
    assert tracker.pursuit_plan()["points"][0] == {"t_ms": 0.0, "x_px": 1000.0, "y_px": 500.0}
    json.dumps(plan, allow_nan=False)


def run_pursuit(tracker, face, t, patches=True, look=None):
    """Run the pass as the page does: the dot still, then moving; frames carry a target
    from the settle time on (``look(x, y)``: where the eyes are instead of the dot)."""
    plan = tracker.pursuit_plan()
    points = plan["points"]
    motion = t + plan["still_ms"]
    kept = 0
    while t < motion + plan["duration_ms"]:
        since = max(t - motion, 0.0)
        k = min(int(since // 50), len(points) - 2)
        a, b = points[k], points[k + 1]
        f = (since - a["t_ms"]) / (b["t_ms"] - a["t_ms"])
        x, y = a["x_px"] + f * (b["x_px"] - a["x_px"]), a["y_px"] + f * (b["y_px"] - a["y_px"])
        ex, ey = look(x, y) if look else (x, y)
        target = (None, None, None)
        if t >= motion + plan["settle_ms"]:
            target = (plan["first_index"] + int((t - motion - plan["settle_ms"]) // plan["segment_ms"]), x, y)
        reply = tracker.process_frame(t, *face.frame(ex, ey), *target,
                                      eye_patches=face.patches(ex, ey) if patches else None)
        kept += reply.get("kept", 0)
        t += FRAME_MS
    return t, kept


def calibrate_with_pursuit(synth, seed):
    """A tracker fed the dots and the pursuit pass (not yet fitted); with the face, the
    time after the pass and the pursuit frames kept."""
    tracker = GazeTracker(W, H)
    face = PatchFace(synth, seed=seed, noise=0.004)
    tracker.start_calibration()
    t = run_targets(tracker, face, tracker.calibration_targets(), 0.0)
    t, kept = run_pursuit(tracker, face, t)
    return tracker, face, t, kept


def test_calibration_with_the_pursuit_pass(synth):
    tracker, face, t, kept = calibrate_with_pursuit(synth, seed=3)
    summary = tracker.finish_calibration()
    assert summary["n_targets"] == 9 and summary["bad_targets"] == []
    pursuit = summary["pursuit"]
    # (12 s - 0.5 s settle) / 0.5 s segments, ~15 frames each, all kept.
    assert pursuit["segments"] + pursuit["dropped"] == 23 and pursuit["segments"] >= 21
    assert pursuit["follow_r"] > 0.9  # the eyes followed the dot
    assert 300 <= pursuit["samples"] <= kept <= 23 * 16
    # The eye-image models train on every moving frame too (each at its own position).
    for m in summary["appearance_models"].values():
        assert m["n_targets"] == 9 + pursuit["segments"], m
    result, t = validate(tracker, face, t)
    assert result["accuracy_deg"] < 3.0


def test_retrying_dots_keeps_the_pursuit_samples(synth):
    tracker, face, t, _ = calibrate_with_pursuit(synth, seed=4)
    first = tracker.finish_calibration()
    targets = tracker.retry_targets([2, 7])
    assert [x["index"] for x in targets] == [2, 7]
    t = run_targets(tracker, face, targets, t)
    again = tracker.finish_calibration()
    assert again["pursuit"] == first["pursuit"]
    assert again["n_targets"] == 9
    by = {p["target_index"]: p for p in again["per_target"]}
    assert all(by[p["target_index"]]["n_samples"] == p["n_samples"] for p in first["per_target"]
               if p["target_index"] >= C.PURSUIT_FIRST_INDEX)
    apm = again["appearance_models"]["appearance"]
    assert apm["n_targets"] == first["appearance_models"]["appearance"]["n_targets"]


def test_a_moving_dot_target_is_refused_but_a_pursuit_segment_may_move(synth):
    tracker = GazeTracker(W, H)
    face = PatchFace(synth, seed=5)
    tracker.start_calibration()
    first = C.PURSUIT_FIRST_INDEX
    for k in range(3):
        tracker.process_frame(100.0 * k, *face.frame(600 + k, 300), first + 1, 600 + k, 300,
                              eye_patches=face.patches(600 + k, 300))
    for t in (400.0, 900.0):  # the second one is kept (after the settle time)
        assert tracker.process_frame(t, *face.frame(500, 300), 0, 500, 300,
                                     eye_patches=face.patches(500, 300))["kept"] == (t > 400)
    with pytest.raises(InputError, match="target 0 was at"):
        tracker.process_frame(933.0, *face.frame(501, 300), 0, 501, 300, eye_patches=face.patches(501, 300))


def test_segments_the_eyes_did_not_follow_are_left_out_of_every_model(synth):
    tracker = GazeTracker(W, H)
    face = PatchFace(synth, seed=6, noise=0.004)
    tracker.start_calibration()
    t = run_targets(tracker, face, tracker.calibration_targets(), 0.0)
    t, _ = run_pursuit(tracker, face, t, look=lambda x, y: (W / 2, H / 2))  # eyes stay put
    summary = tracker.finish_calibration()
    assert summary["bad_targets"] == [] and summary["pursuit"]["dropped"] >= 20
    # Left out as a whole: the dots' model's gaze did not go with the dot.
    assert summary["pursuit"]["segments"] == 0 and abs(summary["pursuit"]["follow_r"]) < C.PURSUIT_MIN_FOLLOW_R
    excluded = tracker.model.excluded_targets
    assert len(excluded) == summary["pursuit"]["dropped"] and min(excluded) >= C.PURSUIT_FIRST_INDEX
    for m in summary["appearance_models"].values():
        assert m["n_targets"] == 9 + summary["pursuit"]["segments"], m
    result, t = validate(tracker, face, t)
    assert result["accuracy_deg"] < 3.0
