"""tools/synth_gaze.py: the synthetic recordings' 3-D head and scenario (no video is made)."""

import math
import random
import sys
from pathlib import Path

import pytest

from gazeheat.calibration import calibration_pattern
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


def test_scenario_has_test_targets_nobody_calibrates_or_validates_on(sg, np):
    targets, saccades, end_ms = sg.plan_scenario(np.random.default_rng(0), 5.0)
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
