"""Shared fixtures for the gazeheat tests.

The same test files run on CPython (with numpy/scipy/Pillow as oracles) and inside
Pyodide (standard library + pytest only): oracle libraries are only reached through
the fixtures below, which skip the test when the library is missing.
"""

from __future__ import annotations

import json
import math
import random
import os
import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
# Make `import gazeheat` work without PYTHONPATH (the package lives in py/).
_PY = _HERE.parent / "py"
if _PY.is_dir() and str(_PY) not in sys.path:
    sys.path.insert(0, str(_PY))

DATA_DIR = _HERE / "data"


# --- optional oracle libraries -----------------------------------------------------


@pytest.fixture
def np():
    return pytest.importorskip("numpy")


@pytest.fixture
def ndimage():
    pytest.importorskip("numpy")
    return pytest.importorskip("scipy.ndimage")


@pytest.fixture
def Rotation():
    pytest.importorskip("numpy")
    return pytest.importorskip("scipy.spatial.transform").Rotation


@pytest.fixture
def jsonschema():
    return pytest.importorskip("jsonschema")


@pytest.fixture
def PIL_Image():
    return pytest.importorskip("PIL.Image")


# --- golden data ---------------------------------------------------------------------


@pytest.fixture
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture
def load_json():
    def load(name: str):
        with open(os.path.join(DATA_DIR, name), encoding="utf-8") as f:
            return json.load(f)

    return load


# --- synthetic faces -----------------------------------------------------------------

# Canonical eye layout in px, face centre at the origin, upright face, image axes
# (x right, y down). Corner A is the image-left corner of each eye.
EYE_WIDTH_PX = 40.0
RIGHT_EYE = {"a": 33, "b": 133, "upper": 159, "lower": 145, "iris": 468,
             "a_px": (-70.0, 0.0)}
LEFT_EYE = {"a": 362, "b": 263, "upper": 386, "lower": 374, "iris": 473,
            "a_px": (30.0, 0.0)}
IRIS_RADIUS = 0.2  # of the eye width


def _eye_points(eye: dict, u: float, v: float, openness: float) -> dict:
    """Canonical px positions of one eye's landmarks (upright, unit scale)."""
    ax, ay = eye["a_px"]
    w = EYE_WIDTH_PX
    cx, cy = ax + u * w, ay + v * w
    r = IRIS_RADIUS * w
    half = 0.5 * openness * w
    pts = {
        eye["a"]: (ax, ay),
        eye["b"]: (ax + w, ay),
        eye["upper"]: (ax + 0.5 * w, ay - half),
        eye["lower"]: (ax + 0.5 * w, ay + half),
        eye["iris"]: (cx, cy),
    }
    for k, (dx, dy) in enumerate(((r, 0.0), (0.0, -r), (-r, 0.0), (0.0, r))):
        pts[eye["iris"] + 1 + k] = (cx + dx, cy + dy)
    return pts


def synth_landmarks(u=0.5, v=0.0, openness=0.3, angle_deg=0.0, scale=1.0,
                    centre_px=(320.0, 240.0), image_px=(640, 480), left_uv=None):
    """A flat 478*3 landmark list with the eyes placed as asked.

    ``u``/``v``: iris position in both eyes (or the right eye when ``left_uv`` is
    given), in eye widths of the eye frame. The whole layout is rotated by
    ``angle_deg`` (counter-clockwise on screen), scaled and moved to ``centre_px``,
    then normalised by ``image_px``. Landmarks the features do not use sit on a
    plausible oval around the face centre.
    """
    lu, lv = left_uv if left_uv is not None else (u, v)
    pts = {}
    pts.update(_eye_points(RIGHT_EYE, u, v, openness))
    pts.update(_eye_points(LEFT_EYE, lu, lv, openness))
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    w_img, h_img = image_px
    flat = [0.0] * (478 * 3)
    for i in range(478):
        if i in pts:
            x, y = pts[i]
        else:
            t = 2.0 * math.pi * i / 478.0
            x, y = 90.0 * math.cos(t), 120.0 * math.sin(t) + 20.0
        # Screen-counter-clockwise rotation with y pointing down.
        xr, yr = scale * (c * x + s * y), scale * (-s * x + c * y)
        flat[3 * i] = (xr + centre_px[0]) / w_img
        flat[3 * i + 1] = (yr + centre_px[1]) / h_img
        flat[3 * i + 2] = 0.01 * math.sin(i)
    return flat


def pose_matrix(yaw_deg=0.0, pitch_deg=0.0, roll_deg=0.0, t_cm=(0.0, 0.0, -50.0), scale=1.0):
    """Column-major 4x4 matrix with rotation Ry(yaw) Rx(pitch) Rz(roll)."""
    a, b, g = (math.radians(d) for d in (yaw_deg, pitch_deg, roll_deg))
    ry = [[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]]
    rx = [[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]]
    rz = [[math.cos(g), -math.sin(g), 0], [math.sin(g), math.cos(g), 0], [0, 0, 1]]

    def mm(p, q):
        return [[sum(p[i][k] * q[k][j] for k in range(3)) for j in range(3)] for i in range(3)]

    r = mm(mm(ry, rx), rz)
    data = [0.0] * 16
    for col in range(3):
        for row in range(3):
            data[4 * col + row] = scale * r[row][col]
    data[12], data[13], data[14], data[15] = t_cm[0], t_cm[1], t_cm[2], 1.0
    return data


@pytest.fixture
def synth():
    """Synthetic-face helpers: ``synth.landmarks(...)``, ``synth.matrix(...)``."""

    class Synth:
        landmarks = staticmethod(synth_landmarks)
        matrix = staticmethod(pose_matrix)
        eye_width_px = EYE_WIDTH_PX
        iris_diameter = 2 * IRIS_RADIUS * EYE_WIDTH_PX

    return Synth


# --- a synthetic person looking at screen points (tracker and replay tests) ----------
FACE_VIEWPORT = (1280, 720)


def eye_uv(x, y):
    """Where the irises sit (eye widths) when looking at (x, y) px: a smooth map."""
    xn, yn = x / FACE_VIEWPORT[0] - 0.5, y / FACE_VIEWPORT[1] - 0.5
    return 0.5 + 0.24 * xn + 0.03 * xn * xn, 0.02 + 0.10 * yn + 0.02 * xn * yn


class Face:
    """Synthetic MediaPipe output for a person looking at screen points."""

    def __init__(self, synth, seed=0, noise=0.002):
        self.synth = synth
        self.rng = random.Random(seed)
        self.noise = noise

    def frame(self, x, y, openness=0.3):
        u, v = eye_uv(x, y)
        u += self.rng.gauss(0, self.noise)
        v += self.rng.gauss(0, self.noise)
        landmarks = self.synth.landmarks(u=u, v=v, left_uv=(u + 0.01, v), openness=openness)
        matrix = self.synth.matrix(self.rng.gauss(0, 0.3), self.rng.gauss(0, 0.3), 0.0)
        return landmarks, matrix, 640, 480


