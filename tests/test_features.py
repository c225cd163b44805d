"""gazeheat.features: eye features and head pose from landmark arrays."""

import math
import random

import pytest

from gazeheat.errors import InputError
from gazeheat import constants as C
from gazeheat.features import (
    VECTOR_NAMES,
    EyeFeatures,
    Features,
    HeadPose,
    extract_features,
    head_pose,
    irises_inside_eyes,
    px_per_deg,
    viewing_distance_cm,
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


@pytest.mark.parametrize("index", range(4))
def test_golden_mediapipe_frames(load_json, index):
    # Real FaceLandmarker output; expected values from numpy/scipy (see the file's "about").
    case = load_json("landmarks_mediapipe.json")["cases"][index]
    f = extract_features(case["landmarks"], case["matrix"], case["image_w_px"], case["image_h_px"])
    exp = case["expected"]
    for eye in ("right", "left"):
        got = getattr(f, eye).to_dict()
        assert set(got) == set(exp[eye])
        for key, value in exp[eye].items():
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), (case["name"], eye, key)
    for key, value in exp["head"].items():
        # MediaPipe's float32 rotation is orthonormal to ~1e-7 only, and scipy makes it
        # exactly so before taking angles: agreement to 1e-4 deg is all there is.
        assert getattr(f.head, key) == pytest.approx(value, abs=1e-4), key
    for key in ("iris_diameter_px", "eye_distance_px", "head_x_mm", "head_y_mm"):
        assert getattr(f, key) == pytest.approx(exp[key], rel=1e-9, abs=1e-12), key
    assert viewing_distance_cm(f, case["image_w_px"], 60.0) == pytest.approx(
        exp["viewing_distance_cm_hfov60"], rel=1e-9)
    assert (f.valid, f.reason) == (exp["valid"], exp["reason"])


def test_golden_mediapipe_frames_make_sense(load_json):
    cases = {c["name"]: c for c in load_json("landmarks_mediapipe.json")["cases"]}

    def feats(name):
        c = cases[name]
        return extract_features(c["landmarks"], c["matrix"], c["image_w_px"], c["image_h_px"])

    top_left, bottom_right = feats("top_left_target"), feats("bottom_right_target")
    # Plain (un-mirrored) camera: looking to the screen's left moves the irises to the
    # image's right (larger u); looking down lowers the upper lid (larger upper_lid).
    assert top_left.vector()[0] > bottom_right.vector()[0]
    assert top_left.vector()[2] < bottom_right.vector()[2] < 0
    assert feats("blink").reason == "blink"
    # A blink edge passes the absolute threshold: GazeModel.usable catches it.
    assert feats("blink_edge").valid and feats("blink_edge").openness < 0.8 * top_left.openness


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
    assert f.right.upper_lid == pytest.approx(-openness / 2, abs=1e-9)
    assert f.vector()[:4] == pytest.approx(((u + lu) / 2, (v + lv) / 2, -openness / 2, openness), abs=1e-9)
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
    f = extract_features(synth.landmarks(u=0.4, v=0.02, left_uv=(0.6, 0.04), centre_px=(380.0, 200.0)),
                         synth.matrix(10, -5, 2), 640, 480)
    assert Features.from_dict(f.to_dict()) == f
    assert len(f.vector()) == len(VECTOR_NAMES) == 8
    values = dict(zip(VECTOR_NAMES, f.vector()))
    assert (values["u"], values["v"]) == pytest.approx((0.5, 0.03), abs=1e-9)
    assert (values["upper_lid"], values["openness"]) == pytest.approx((-0.15, 0.3), abs=1e-9)
    assert (values["yaw_deg"], values["pitch_deg"]) == pytest.approx((10, -5), abs=1e-9)
    # Corner midpoints 100 px apart (see conftest): 0.6 mm per px at the face.
    assert f.eye_distance_px == pytest.approx(100.0, abs=1e-9)
    assert (values["head_x_mm"], values["head_y_mm"]) == pytest.approx((60 * 0.6, -40 * 0.6), abs=1e-9)
    assert f.openness == pytest.approx(0.3, abs=1e-9)


def test_head_position_follows_the_face_not_its_size(synth):
    near = extract_features(synth.landmarks(scale=2.0, centre_px=(420.0, 240.0)), IDENTITY, 640, 480)
    far = extract_features(synth.landmarks(scale=1.0, centre_px=(370.0, 240.0)), IDENTITY, 640, 480)
    # 100 image px at twice the size and 50 px at the normal size are the same 60 mm.
    assert near.head_x_mm == pytest.approx(far.head_x_mm, abs=1e-9) == pytest.approx(30.0)
    assert near.eye_distance_px == pytest.approx(2 * far.eye_distance_px)


def test_viewing_distance_and_px_per_deg(synth):
    f = extract_features(synth.landmarks(), IDENTITY, 640, 480)  # iris 16 px wide
    focal = 320.0 / math.tan(math.radians(30.0))
    assert viewing_distance_cm(f, 640) == pytest.approx(focal * 1.17 / 16.0)
    assert viewing_distance_cm(f, 640, hfov_deg=90.0) == pytest.approx(320.0 * 1.17 / 16.0)
    assert C.CAMERA_HFOV_DEG == 60.0 and C.IRIS_DIAMETER_MM == 11.7
    assert px_per_deg(60.0) == pytest.approx(C.DEFAULT_PX_PER_DEG, rel=1e-6)
    assert px_per_deg(50.0, px_per_cm=40.0) == pytest.approx(50 * 40 * math.tan(math.radians(1)))
    for bad in (0, 180, -5, float("nan")):
        with pytest.raises(InputError, match="hfov_deg"):
            viewing_distance_cm(f, 640, bad)
    with pytest.raises(InputError, match="image_w_px"):
        viewing_distance_cm(f, 0)
    with pytest.raises(InputError, match="distance_cm"):
        px_per_deg(0)
    closed = extract_features([0.5] * 1434, IDENTITY, 640, 480)  # collapsed irises: diameter 0
    with pytest.raises(InputError, match="iris_diameter_px"):
        viewing_distance_cm(closed, 640)


def test_from_dict_rejects_bad_records():
    with pytest.raises(InputError, match="missing 'u'"):
        EyeFeatures.from_dict({"v": 0})
    with pytest.raises(InputError, match="head.yaw_deg must be finite"):
        HeadPose.from_dict({k: (math.inf if k == "yaw_deg" else 0.0) for k in
                            ("yaw_deg", "pitch_deg", "roll_deg", "tx_cm", "ty_cm", "tz_cm")})
    with pytest.raises(InputError):
        Features.from_dict([])


# --- head distance and true 3-D head rotation ---------------------------------------------

# A 3-D face (mm, camera frame: x right in the image, y down, z away from the camera): the
# eye corners, lids and irises of both eyes. Each eye's points lie in one plane facing the
# camera, its corners 30 mm wide and their midpoints 60 mm apart (EYE_MIDPOINT_SEPARATION_MM).
_FOCAL_60 = 320.0 / math.tan(math.radians(30.0))  # 640 px wide, 60 deg


def _face_points(u, v, open_mm=9.0, iris_mm=11.7):
    """{landmark index: (x, y, z) mm} in the face's own frame, centred between the eyes."""
    points = {}
    for (a, b, up, low, iris), cx in ((_RIGHT, -30.0), (_LEFT, 30.0)):
        ax, bx = cx - 15.0, cx + 15.0
        ix, iy = ax + 30.0 * u, 30.0 * v
        points.update({a: (ax, 0.0, 0.0), b: (bx, 0.0, 0.0), up: (ix, -open_mm / 2, 0.0),
                       low: (ix, open_mm / 2, 0.0), iris: (ix, iy, 0.0)})
        for k, (dx, dy) in enumerate(((1, 0), (0, -1), (-1, 0), (0, 1))):
            points[iris + 1 + k] = (ix + dx * iris_mm / 2, iy + dy * iris_mm / 2, 0.0)
    return points


_RIGHT = (33, 133, 159, 145, 468)
_LEFT = (362, 263, 386, 374, 473)


def _project(np, points, rot, distance_mm, shift_mm=(0.0, 0.0)):
    """Flat landmarks (478 * 3, normalised to 640 x 480) of the face turned by ``rot`` (3x3,
    camera frame) and placed ``distance_mm`` in front of a 60-degree pinhole camera."""
    flat = [0.5] * 1434
    for k, p in points.items():
        x, y, z = rot @ np.array(p) + np.array([shift_mm[0], shift_mm[1], distance_mm])
        flat[3 * k] = (320.0 + _FOCAL_60 * x / z) / 640.0
        flat[3 * k + 1] = (240.0 + _FOCAL_60 * y / z) / 480.0
    return flat


def _matrix_for(np, Rotation, yaw, pitch, roll):
    """MediaPipe-style column-major matrix whose head_pose is (yaw, pitch, roll), and the
    same rotation in the (x right, y down) camera frame used by ``_project``."""
    r = Rotation.from_euler("YXZ", [yaw, pitch, roll], degrees=True).as_matrix()
    m = np.eye(4)
    m[:3, :3] = r
    m[:3, 3] = (0.0, 0.0, -60.0)
    flip = np.diag([1.0, -1.0, -1.0])  # MediaPipe: y up, z towards the camera
    return m.T.reshape(-1).tolist(), flip @ r @ flip


@pytest.mark.parametrize("seed", range(6))
def test_head_distance_from_the_eyes_under_3d_rotation(np, Rotation, seed):
    rng = random.Random(seed)
    distance = rng.uniform(400.0, 900.0)
    yaw, pitch, roll = rng.uniform(-20, 20), rng.uniform(-15, 15), rng.uniform(-10, 10)
    matrix, rot = _matrix_for(np, Rotation, yaw, pitch, roll)
    flat = _project(np, _face_points(0.5, 0.0), rot, distance, (rng.uniform(-60, 60), rng.uniform(-40, 40)))
    f = extract_features(flat, matrix, 640, 480)
    # The eye midpoints are foreshortened by cos(yaw); what is left is perspective: a face
    # off the camera's axis is seen a little from the side. Within 4 % here.
    assert f.head_z_mm == pytest.approx(distance, rel=0.04)
    centred = extract_features(_project(np, _face_points(0.5, 0.0), rot, distance), matrix, 640, 480)
    assert centred.head_z_mm == pytest.approx(distance, rel=0.015)  # on the axis: within 1.5 %
    assert f.geometry() == (f.head_z_mm, f.head.roll_deg)
    assert f.head.roll_deg == pytest.approx(roll, abs=1e-6)
    # A wider field of view means a shorter focal length: the same picture, nearer.
    wide = extract_features(flat, matrix, 640, 480, hfov_deg=90.0)
    assert wide.head_z_mm == pytest.approx(f.head_z_mm * 320.0 / _FOCAL_60, rel=1e-9)
    with pytest.raises(InputError, match="hfov_deg"):
        extract_features(flat, matrix, 640, 480, hfov_deg=180.0)


@pytest.mark.parametrize("seed", range(6))
def test_eye_features_invariant_to_true_3d_head_rotation(np, Rotation, seed):
    # The iris sits in the plane of its eye's corners here, so turning the head in 3-D
    # (yaw, pitch, roll; projected by a real pinhole camera, perspective included) leaves
    # the iris's place in the eye frame: u and v barely move (the residue is the
    # perspective across a 30 mm wide eye), while the image positions move a lot.
    rng = random.Random(10 + seed)
    u, v = rng.uniform(0.3, 0.7), rng.uniform(-0.05, 0.05)
    points = _face_points(u, v)
    _, still = _matrix_for(np, Rotation, 0.0, 0.0, 0.0)
    base = extract_features(_project(np, points, still, 600.0), IDENTITY, 640, 480)
    matrix, rot = _matrix_for(np, Rotation, rng.uniform(-20, 20), rng.uniform(-15, 15), rng.uniform(-10, 10))
    turned_flat = _project(np, points, rot, 600.0)
    turned = extract_features(turned_flat, matrix, 640, 480)
    for a, b in ((base.right, turned.right), (base.left, turned.left)):
        assert b.u == pytest.approx(a.u, abs=0.01)
        assert b.v == pytest.approx(a.v, abs=0.01)
    assert base.right.u == pytest.approx(u, abs=1e-9) and base.right.v == pytest.approx(v, abs=1e-9)
    # ...whereas in the picture the eyes changed: the corner-to-corner widths shrink and
    # grow with the turn.
    assert abs(turned.right.width_px - base.right.width_px) + abs(turned.left.width_px - base.left.width_px) > 0.1
