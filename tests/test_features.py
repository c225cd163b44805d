"""gazeheat.features: eye features and head pose from landmark arrays."""

import math
import random

import pytest

from gazeheat.errors import InputError
from gazeheat.features import (
    VECTOR_NAMES,
    EyeFeatures,
    Features,
    HeadPose,
    extract_features,
    head_pose,
    irises_inside_eyes,
)

IDENTITY = [1.0, 0, 0, 0, 0, 1.0, 0, 0, 0, 0, 1.0, 0, 0, 0, -50.0, 1.0]


# --- golden fixtures (independent numpy computation, see tests/data/README.md) -----


@pytest.mark.parametrize("name", ["frontal", "turned", "blink"])
def test_golden_landmarks(load_json, name):
    case = load_json(f"landmarks_{name}.json")
    f = extract_features(case["landmarks"], case["matrix"], case["image_w_px"], case["image_h_px"])
    exp = case["expected"]
    for eye in ("right", "left"):
        got = getattr(f, eye).to_dict()
        for key, value in exp[eye].items():
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), (eye, key)
    for key, value in exp["head"].items():
        assert getattr(f.head, key) == pytest.approx(value, rel=1e-7, abs=1e-7), key
    assert f.iris_diameter_px == pytest.approx(exp["iris_diameter_px"], rel=1e-9)
    assert f.valid is exp["valid"]
    assert f.reason == exp["reason"]
    inside = irises_inside_eyes(case["landmarks"], case["image_w_px"], case["image_h_px"])
    assert inside is case["expected_irises_inside"]


# --- geometry --------------------------------------------------------------------


def test_u_v_openness_of_a_known_layout(synth):
    f = extract_features(synth.landmarks(u=0.3, v=0.05, openness=0.3), IDENTITY, 640, 480)
    for eye in (f.right, f.left):
        assert eye.u == pytest.approx(0.3, abs=1e-9)
        assert eye.v == pytest.approx(0.05, abs=1e-9)
        assert eye.openness == pytest.approx(0.3, abs=1e-9)
        assert eye.width_px == pytest.approx(synth.eye_width_px, rel=1e-9)
    assert f.iris_diameter_px == pytest.approx(synth.iris_diameter, rel=1e-9)
    assert f.valid and f.reason == ""


def test_u_is_zero_and_one_at_the_corners(synth):
    at_a = extract_features(synth.landmarks(u=0.0), IDENTITY, 640, 480)
    at_b = extract_features(synth.landmarks(u=1.0), IDENTITY, 640, 480)
    assert at_a.right.u == pytest.approx(0.0, abs=1e-9)
    assert at_b.left.u == pytest.approx(1.0, abs=1e-9)


def test_v_positive_is_image_down(synth):
    down = extract_features(synth.landmarks(v=0.1), IDENTITY, 640, 480)
    assert down.right.v > 0 and down.left.v > 0


@pytest.mark.parametrize("seed", range(8))
def test_uv_invariant_under_similarity_transforms(synth, seed):
    rng = random.Random(seed)
    u, v = rng.uniform(0.2, 0.8), rng.uniform(-0.1, 0.1)
    lu, lv = rng.uniform(0.2, 0.8), rng.uniform(-0.1, 0.1)
    openness = rng.uniform(0.2, 0.4)
    image = (rng.choice([640, 1280, 960]), rng.choice([480, 720, 540]))
    flat = synth.landmarks(
        u=u, v=v, left_uv=(lu, lv), openness=openness,
        angle_deg=rng.uniform(-60, 60), scale=rng.uniform(0.5, 2.5),
        centre_px=(rng.uniform(250, 400), rng.uniform(200, 300)), image_px=image,
    )
    f = extract_features(flat, IDENTITY, *image)
    assert f.right.u == pytest.approx(u, abs=1e-9)
    assert f.right.v == pytest.approx(v, abs=1e-9)
    assert f.left.u == pytest.approx(lu, abs=1e-9)
    assert f.left.v == pytest.approx(lv, abs=1e-9)
    assert f.right.openness == pytest.approx(openness, abs=1e-9)
    assert f.vector()[:2] == pytest.approx(((u + lu) / 2, (v + lv) / 2), abs=1e-9)
    assert irises_inside_eyes(flat, *image)


def test_aspect_ratio_is_respected(synth):
    # The same pixel layout in a wide image: normalised x shrinks, features do not.
    narrow = extract_features(synth.landmarks(u=0.6, image_px=(640, 480)), IDENTITY, 640, 480)
    wide = extract_features(synth.landmarks(u=0.6, image_px=(1280, 480)), IDENTITY, 1280, 480)
    assert narrow.right.u == pytest.approx(wide.right.u, abs=1e-12)
    assert narrow.right.openness == pytest.approx(wide.right.openness, abs=1e-12)


def test_float32_arrays_are_accepted(synth):
    from array import array

    flat = array("f", synth.landmarks(u=0.4))
    f = extract_features(flat, array("f", IDENTITY), 640, 480)
    assert f.right.u == pytest.approx(0.4, abs=1e-4)


# --- validity ----------------------------------------------------------------------


def test_blink_is_invalid_with_reason(synth):
    f = extract_features(synth.landmarks(openness=0.05), IDENTITY, 640, 480)
    assert not f.valid and f.reason == "blink"


def test_tiny_eyes_are_invalid(synth):
    f = extract_features(synth.landmarks(scale=0.05), IDENTITY, 640, 480)
    assert not f.valid and f.reason == "eyes too small"


def test_collapsed_eye_does_not_divide_by_zero():
    f = extract_features([0.5] * 1434, IDENTITY, 640, 480)
    assert not f.valid and f.reason == "eyes too small"


def test_irises_outside_eyes_detected(synth):
    assert not irises_inside_eyes(synth.landmarks(u=1.5), 640, 480)
    assert not irises_inside_eyes(synth.landmarks(v=0.5), 640, 480)
    assert irises_inside_eyes(synth.landmarks(u=0.95, v=0.1), 640, 480)


@pytest.mark.parametrize(
    "landmarks, matrix, size, message",
    [
        ([0.5] * 1433, IDENTITY, (640, 480), "1434"),
        ([0.5] * (468 * 3), IDENTITY, (640, 480), "got 1404"),
        (None, IDENTITY, (640, 480), "sequence"),
        ([0.5] * 1433 + [float("nan")], IDENTITY, (640, 480), "non-finite"),
        ([0.5] * 1433 + [float("inf")], IDENTITY, (640, 480), "non-finite"),
        (["a"] * 1434, IDENTITY, (640, 480), "only numbers"),
        ([0.5] * 1434, IDENTITY[:15], (640, 480), "matrix must have 16"),
        ([0.5] * 1434, IDENTITY[:15] + [float("nan")], (640, 480), "matrix contains a non-finite"),
        ([0.5] * 1434, [0.0] * 16, (640, 480), "zero-length rotation"),
        ([0.5] * 1434, IDENTITY, (0, 480), "image_w_px"),
        ([0.5] * 1434, IDENTITY, (640, float("nan")), "image_h_px"),
    ],
)
def test_bad_input_raises_input_error(landmarks, matrix, size, message):
    with pytest.raises(InputError, match=message):
        extract_features(landmarks, matrix, *size)


# --- head pose ---------------------------------------------------------------------


def test_identity_pose_is_zero():
    pose = head_pose(IDENTITY)
    assert (pose.yaw_deg, pose.pitch_deg, pose.roll_deg) == (0.0, 0.0, 0.0)
    assert (pose.tx_cm, pose.ty_cm, pose.tz_cm) == (0.0, 0.0, -50.0)


@pytest.mark.parametrize("angles", [(20, 0, 0), (0, -15, 0), (0, 0, 30), (-25, 10, -5)])
def test_pose_round_trip_pure_python(synth, angles):
    pose = head_pose(synth.matrix(*angles, t_cm=(1, 2, -40), scale=1.4))
    assert (pose.yaw_deg, pose.pitch_deg, pose.roll_deg) == pytest.approx(angles, abs=1e-9)
    assert (pose.tx_cm, pose.ty_cm, pose.tz_cm) == (1, 2, -40)


@pytest.mark.parametrize("seed", range(5))
def test_pose_matches_scipy_rotation(np, Rotation, seed):
    rng = np.random.default_rng(seed)
    rotations = Rotation.random(50, random_state=seed)
    for rot in rotations:
        m = np.eye(4)
        m[:3, :3] = rot.as_matrix() * rng.uniform(0.5, 2.0)
        m[:3, 3] = rng.normal(0, 20, 3)
        pose = head_pose(m.ravel(order="F").tolist())  # column-major, as MediaPipe JS
        yaw, pitch, roll = rot.as_euler("YXZ", degrees=True)
        assert pose.pitch_deg == pytest.approx(pitch, abs=1e-7)
        if abs(pitch) < 89.0:  # yaw/roll are only defined away from gimbal lock
            assert _angle_diff(pose.yaw_deg, yaw) < 1e-7
            assert _angle_diff(pose.roll_deg, roll) < 1e-7
        assert (pose.tx_cm, pose.ty_cm, pose.tz_cm) == pytest.approx(m[:3, 3].tolist())


def _angle_diff(a, b):
    d = (a - b) % 360.0
    return min(d, 360.0 - d)


# --- records -----------------------------------------------------------------------


def test_features_round_trip_and_vector(synth):
    f = extract_features(synth.landmarks(u=0.4, v=0.02, left_uv=(0.6, 0.04)),
                         synth.matrix(10, -5, 2), 640, 480)
    assert Features.from_dict(f.to_dict()) == f
    assert len(f.vector()) == len(VECTOR_NAMES)
    u, v, yaw, pitch = f.vector()
    assert (u, v) == pytest.approx((0.5, 0.03), abs=1e-9)
    assert (yaw, pitch) == pytest.approx((10, -5), abs=1e-9)
    assert f.openness == pytest.approx(0.3, abs=1e-9)


def test_from_dict_rejects_bad_records():
    with pytest.raises(InputError, match="missing 'u'"):
        EyeFeatures.from_dict({"v": 0})
    with pytest.raises(InputError, match="head.yaw_deg must be finite"):
        HeadPose.from_dict({k: (math.inf if k == "yaw_deg" else 0.0) for k in
                            ("yaw_deg", "pitch_deg", "roll_deg", "tx_cm", "ty_cm", "tz_cm")})
    with pytest.raises(InputError):
        Features.from_dict([])
