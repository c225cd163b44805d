"""tools/synth_gaze.py: the synthetic recordings' 3-D head, scenario and smooth-pursuit pass
(no video is made)."""

import math
import random
import sys
from pathlib import Path

import pytest

from gazeheat import constants as C
from gazeheat.calibration import calibration_pattern, pursuit_path
from gazeheat.recording import make_recording, validate_recording
from gazeheat.validation import VALIDATION_POINTS


@pytest.fixture
def sg(np):
    pytest.importorskip("PIL")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import synth_gaze

    return synth_gaze


@pytest.fixture
def rig(sg, np):
    # The photo's neutral iris and nose positions as the default face puts them in the frame.
    place = sg._Placement(sg.DEFAULT_FACE_WIDTH_PX)
    irises = np.array([place.tex(sg.IRIS_CENTER_SRC[s]) for s in ("right", "left")]) - sg.TEXTURE_MARGIN_PX
    return sg._Rig(irises, place.tex(sg.NOSE_TIP_SRC) - sg.TEXTURE_MARGIN_PX)


def test_default_camera_is_the_apps_60_degree_webcam(sg, rig):
    hfov = math.degrees(2 * math.atan(sg.WIDTH_PX / 2 / rig.f))
    assert hfov == pytest.approx(sg.CAMERA_HFOV_DEG, abs=0.01) and sg.CAMERA_HFOV_DEG == 60.0
    assert 115 < sg.DEFAULT_FACE_WIDTH_PX < 130
    # The eyeball centres: EYE_SEPARATION_MM apart, HEAD_DISTANCE_MM from the camera.
    assert np_dist(rig.centers0[0], rig.centers0[1]) == pytest.approx(sg.EYE_SEPARATION_MM)
    assert set(rig.centers0[:, 2].round(6)) == {sg.HEAD_DISTANCE_MM}
    assert 30 < rig.nose_dy < 40  # the nose tip below the eyes, mm


def np_dist(a, b):
    return math.dist(list(a), list(b))


def test_neutral_pose_shows_the_photo_unchanged(sg, rig, np):
    pose = rig.pose(0.0, 0.0, 0.0, (0.0, 0.0, 0.0))
    tex = np.array([[200.0, 150.0], [384.0, 330.0], [600.0, 500.0]])
    assert np.allclose(rig.to_image(tex, pose), tex - sg.TEXTURE_MARGIN_PX, atol=1e-9)
    # Depth is 0 at the eye openings (the surface passes through them).
    assert np.allclose(rig.depth(np.array([-rig.eye_dx, rig.eye_dx]), np.zeros(2)), 0.0, atol=0.1)


@pytest.mark.parametrize("seed", range(5))
def test_frame_to_texture_map_inverts_the_projection(sg, rig, np, seed):
    rng = random.Random(seed)
    big = sg.HEAD_MOTION["large"]
    pose = rig.pose(rng.uniform(-1, 1) * big["yaw_deg"], rng.uniform(-1, 1) * big["pitch_deg"],
                    rng.uniform(-1, 1) * big["roll_deg"], [rng.uniform(-1, 1) * a for a in big["shift_mm"]])
    frame = np.stack(np.meshgrid(np.arange(200, 460, 7.0), np.arange(120, 420, 7.0)), axis=-1)
    tex = rig.to_texture(frame, pose)
    assert np.abs(rig.to_image(tex, pose) - frame).max() < 0.01


def test_a_turned_head_shows_parallax(sg, rig, np):
    # Turning the head moves the nose tip against the eyes: what a flat warp cannot do and
    # what a face-pose estimate reads as yaw.
    place = sg._Placement(sg.DEFAULT_FACE_WIDTH_PX)
    points = np.array([place.tex(sg.NOSE_TIP_SRC), *(place.tex(sg.IRIS_CENTER_SRC[s]) for s in ("right", "left"))])
    still = rig.to_image(points, rig.pose(0.0, 0.0, 0.0, (0, 0, 0)))
    turned = rig.to_image(points, rig.pose(10.0, 0.0, 0.0, (0, 0, 0)))
    nose_shift = turned[0, 0] - still[0, 0]
    eyes_shift = (turned[1:, 0] - still[1:, 0]).mean()
    assert abs(nose_shift - eyes_shift) > 2.0  # px, at a 122 px face
    # Yaw > 0 turns the face to screen +x, i.e. image -x for this plain camera.
    assert nose_shift < eyes_shift < 0


def _plan(sg, np, seed=0, pursuit_seed=None):
    pursuit_rng = np.random.default_rng([seed, 2] if pursuit_seed is None else pursuit_seed)
    return sg.plan_scenario(np.random.default_rng(seed), 5.0, pursuit_rng)


def test_scenario_has_test_targets_nobody_calibrates_or_validates_on(sg, np):
    targets, _, _, end_ms = _plan(sg, np)
    phases = [t.phase for t in targets]
    n_cal, n_val = len(sg.CALIBRATION_FRACTIONS), len(sg.VALIDATION_FRACTIONS)
    assert phases == ["calibration"] * n_cal + ["validation"] * n_val + ["test"] * len(sg.TEST_FRACTIONS)
    assert all(a.end_ms <= b.start_ms for a, b in zip(targets, targets[1:]))
    assert end_ms == pytest.approx(targets[-1].end_ms + 5000.0)
    seen = {(t.x, t.y) for t in targets if t.phase != "test"}
    assert {(t.x_px, t.y_px) for t in calibration_pattern("9", 1280, 720)} <= seen
    seen |= {(fx * 1280, fy * 720) for fx, fy in VALIDATION_POINTS}  # the app's own validation
    for t in targets:
        if t.phase == "test":
            # At least 1.5 deg (60 px) from every calibration and validation point.
            assert min(math.dist((t.x, t.y), p) for p in seen) > 60.0


def test_pursuit_pass_lies_between_calibration_and_validation(sg, np):
    targets, pursuit, saccades, _ = _plan(sg, np)
    last_dot = [t for t in targets if t.phase == "calibration"][-1]
    first_validation = next(t for t in targets if t.phase == "validation")
    # The dot appears when the last calibration target ends, waits, moves, and the first
    # validation target's lead-in starts when it stops.
    assert pursuit.appear_ms == last_dot.end_ms
    assert pursuit.motion_start_ms == pursuit.appear_ms + C.PURSUIT_STILL_MS
    assert pursuit.motion_end_ms == pursuit.motion_start_ms + C.PURSUIT_DURATION_MS
    assert first_validation.start_ms == pursuit.motion_end_ms + sg.LEAD_IN_MS
    # The path is the app's for the viewport.
    assert np.array_equal(np.column_stack([pursuit.path_ms, pursuit.path_px]), np.array(pursuit_path(1280, 720)))
    # One saccade takes the eyes to the path's start after the dot appears, as for a dot.
    onto = [s for s in saccades if pursuit.appear_ms <= s.onset_ms < pursuit.motion_start_ms]
    assert len(onto) == 1 and (onto[0].x1, onto[0].y1) == tuple(pursuit.path_px[0])
    lo, hi = sg.SACCADE_LATENCY_MS
    assert lo <= onto[0].onset_ms - pursuit.appear_ms <= hi
    assert sg.PURSUIT_LAG_MS[0] <= pursuit.lag_ms <= sg.PURSUIT_LAG_MS[1]


def test_pursuit_entry_follows_the_recording_contract(sg, np):
    targets, pursuit, _, _ = _plan(sg, np, seed=3)
    entry = pursuit.entry()
    assert entry["phase"] == "pursuit"
    assert entry["start_ms"] == pursuit.motion_start_ms + C.PURSUIT_SETTLE_MS
    assert entry["end_ms"] == pursuit.motion_end_ms
    times = [p["t_ms"] for p in entry["path"]]
    assert times[0] == entry["start_ms"] and times[-1] == entry["end_ms"]
    assert all(a < b for a, b in zip(times, times[1:]))
    assert (entry["x"], entry["y"]) == (entry["path"][0]["x"], entry["path"][0]["y"])
    # Each path point is where the dot is at that time (in the recording's clock).
    for p in entry["path"][::17]:
        assert np.allclose(pursuit.dot(p["t_ms"]), (p["x"], p["y"]), atol=1e-3)
    # The package's recording checks accept it between the dots and the validation targets.
    listed = sorted([t.to_dict() for t in targets if t.phase != "test"] + [entry], key=lambda t: t["start_ms"])
    rec = validate_recording(make_recording("video.webm", 1280, 720, listed))
    assert [t.phase for t in rec.targets].count("pursuit") == 1


def test_eyes_follow_the_dot_with_a_lag_after_a_catch_up_saccade(sg, np):
    _, pursuit, _, _ = _plan(sg, np, seed=1)
    t0 = pursuit.motion_start_ms
    t = t0 + np.arange(-300.0, C.PURSUIT_DURATION_MS + 500.0, 1000.0 / 30)
    eyes = sg._pursuit_track(pursuit, t)
    start = pursuit.path_px[0]
    # Still on the start until pursuit begins.
    assert np.allclose(eyes[t < t0 + pursuit.latency_after_ms], start)
    # Before the catch-up saccade the eyes fall behind the lagged point...
    behind = (t > t0 + pursuit.latency_after_ms + 30) & (t < t0 + pursuit.catch_up_after_ms)
    lagged = pursuit.dot(t - pursuit.lag_ms)
    gap = np.hypot(*(eyes - lagged).T)
    assert gap[behind].min() > 2.0 and np.all(np.diff(gap[behind]) > 0)
    # ...after it they are exactly on it (the saccade lasts under 60 ms at these distances)...
    after = t > t0 + pursuit.catch_up_after_ms + 60
    assert np.allclose(eyes[after], lagged[after])
    # ...which trails the dot by lag_ms: on average lag x speed behind it while it moves.
    moving = after & (t < pursuit.motion_end_ms - 100)
    speed = np.hypot(*np.gradient(pursuit.dot(t), t, axis=0).T)  # px per ms
    trail = np.hypot(*(pursuit.dot(t) - eyes).T)
    assert trail[moving].mean() == pytest.approx((speed[moving] * pursuit.lag_ms).mean(), rel=0.05)
    # At rest where the dot stopped once the lag has passed.
    assert np.allclose(eyes[t > pursuit.motion_end_ms + pursuit.lag_ms], pursuit.path_px[-1])


def test_gaze_track_carries_pursuit_noise_only_while_the_dot_moves(sg, np):
    _, pursuit, saccades, end_ms = _plan(sg, np, seed=2)
    t = np.arange(int(end_ms * sg.FPS / 1000.0)) * 1000.0 / sg.FPS
    with_noise = sg._gaze_track(saccades, t, np.random.default_rng(5), pursuit, np.random.default_rng(6))
    follow = (t >= pursuit.motion_start_ms) & (t < pursuit.motion_end_ms + pursuit.lag_ms)
    ppd = sg.HEAD_DISTANCE_MM * math.tan(math.radians(1.0)) / (sg.SCREEN_W_MM / sg.VIEWPORT_W_PX)
    off = np.hypot(*(with_noise[follow] - sg._pursuit_track(pursuit, t[follow])).T) / ppd
    # Drift and pursuit noise together: ~0.18 deg RMS per axis, never more than ~1 deg.
    assert 0.1 < np.sqrt(np.mean(off**2) / 2) < 0.4 and off.max() < 1.2
    # Outside the pass the pursuit stream changes nothing.
    other = sg._gaze_track(saccades, t, np.random.default_rng(5), pursuit, np.random.default_rng(7))
    outside = (t < pursuit.motion_start_ms) | (t > pursuit.motion_end_ms)
    assert np.array_equal(with_noise[outside], other[outside])
    assert not np.array_equal(with_noise[follow], other[follow])


def test_the_pursuit_stream_leaves_the_rest_of_the_scenario_alone(sg, np):
    a_targets, a_pursuit, a_saccades, a_end = _plan(sg, np, seed=4, pursuit_seed=10)
    b_targets, b_pursuit, b_saccades, b_end = _plan(sg, np, seed=4, pursuit_seed=11)
    assert a_targets == b_targets and a_end == b_end
    assert a_pursuit.lag_ms != b_pursuit.lag_ms
    # Every saccade but the one onto the path's start is the same.
    same = [(a, b) for a, b in zip(a_saccades, b_saccades) if not a_pursuit.appear_ms <= a.onset_ms < a_pursuit.motion_start_ms]
    assert len(same) == len(a_saccades) - 1 and all(a == b for a, b in same)


def test_recording_key_names_every_parameter_and_the_version(sg):
    key = sg.recording_key(seed=1, head_motion="large")
    assert key.startswith(f"synth-v{sg.GENERATOR_VERSION}-large-seed1-")
    others = {sg.recording_key(seed=2, head_motion="large"), sg.recording_key(seed=1, head_motion="small"),
              sg.recording_key(seed=1, head_motion="large", free_viewing_s=6.0),
              sg.recording_key(seed=1, head_motion="large", face_width_px=200.0)}
    assert key not in others and len(others) == 4
    assert sg.recording_key(seed=1, head_motion="large") == key
    levels = sg.HEAD_MOTION
    assert list(levels) == ["small", "medium", "large"]
    for field in ("yaw_deg", "pitch_deg", "roll_deg"):
        assert levels["small"][field] < levels["medium"][field] < levels["large"][field]
    with pytest.raises(ValueError, match="head_motion"):
        sg.generate_recording("/nonexistent", "/nonexistent.whl", head_motion="huge")
