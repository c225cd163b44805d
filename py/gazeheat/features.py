"""Gaze features from one face of MediaPipe FaceLandmarker output.

Inputs (per frame, one face):

- ``landmarks``: flat sequence of 478 * 3 floats ``x0, y0, z0, x1, ...``; x and y are
  normalised to the image width and height (roughly 0..1), z is relative depth
  (unused). Any indexable sequence works (list, tuple, ``array('f')``).
- ``matrix``: 16 floats, the 4x4 facial transformation matrix in column-major order
  (MediaPipe JS ``facialTransformationMatrixes[0].data``).
- ``image_w_px``, ``image_h_px``: size of the analysed video frame in px.

All geometry is done in image px (normalised coordinates times the image size), so a
non-square image does not distort angles or ratios.

Eye frame. Each eye has an axis from corner A to corner B, where A is the corner on
the image-left side of an upright, un-mirrored face: for the subject's right eye
A = 33 (outer), B = 133 (inner); for the left eye A = 362 (inner), B = 263 (outer).
So in both eyes the axis points towards image +x, and ``u`` grows the same way.
With ``e = B - A`` and ``d = iris - A`` (px):

- ``u = (d . e) / |e|^2``: 0 at corner A, 1 at corner B, ~0.5 when centred;
- ``v = (d x e-perp) / |e|^2`` with ``e-perp = (-e_y, e_x)``: the offset from the
  corner line in eye widths, positive towards image +y (down) for an upright face;
- ``openness = |upper lid - lower lid| / |e|`` (lids 159/145 right, 386/374 left);
- ``upper_lid``: the ``v`` of the upper-lid landmark (159 / 386), negative (above the
  corner line). The upper lid rides on the eyeball and follows its vertical rotation
  (lid-eye coordination), and FaceLandmarker places the lid edge much more steadily
  than the iris's vertical position inside the narrow opening (on our recordings the
  lid's frame-to-frame noise is about half the iris's, in degrees of gaze), so it is
  the stronger vertical gaze cue. It also moves in blinks: see ``GazeModel.usable``.

``u``, ``v``, ``openness`` and ``upper_lid`` are invariant to rotating, scaling and
translating the face in the image: the eye frame undoes the head's roll, distance and
position in the picture, and yaw shortens the corner axis and the iris's offset
alike. What a frame-by-frame eye frame cannot undo is the head's rotation itself:
looking at one point, a head turned by some angle has its eyes turned back by that
angle in the head. ``GazeModel`` adds that back from ``head`` (yaw, pitch: see
``HeadPose``) and the head's position in the picture (``head_x_mm``, ``head_y_mm``),
with coefficients from geometry (the rotation ones corrected by the calibration when the
head moved during it), and the head's distance and roll (``geometry()``). (Strictly,
the eye frame is not quite invariant to a 3-D turn either: the corners lie behind the
iris, so the iris shifts against them; ``constants.EYE_CORNER_PARALLAX``.)

Head position. ``eye_distance_px`` is the distance between the midpoints of the two
eyes' corner pairs; adults average ``EYE_MIDPOINT_SEPARATION_MM`` there, which gives
the scale at the face (mm per image px) without knowing the camera. ``head_x_mm``,
``head_y_mm``: the point midway between the eyes relative to the image centre, in mm
at the face, towards image +x / +y (not mirrored: the subject's right is image left).

Head distance. ``head_z_mm`` is the camera-to-eyes distance from the same ruler: the
eye midpoints are ``EYE_MIDPOINT_SEPARATION_MM * cos(yaw)`` apart across the picture
(a turned head shows them foreshortened), seen through a pinhole camera of
``CAMERA_HFOV_DEG``. Its absolute value is only as good as those two assumptions; its
changes (the head leaning in or back) are what the gaze model uses. ``geometry()``
returns it with the head's roll: measurements the gaze model uses to move the
calibrated gaze with the head, not regression inputs (see ``GEOMETRY_NAMES``).

Viewing distance. ``viewing_distance_cm`` turns the iris diameter (human irises are
about ``IRIS_DIAMETER_MM`` across, with little spread between adults) into the
camera-to-eye distance with a pinhole camera whose horizontal field of view is
``CAMERA_HFOV_DEG`` (typical of laptop webcams; pass the real one when known): the
focal length is ``(image_w_px / 2) / tan(hfov / 2)`` px. ``px_per_deg`` turns a
distance into CSS px per degree of visual angle at the screen centre.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import _check
from . import constants as C
from .errors import InputError

__all__ = [
    "EyeFeatures",
    "HeadPose",
    "Features",
    "VECTOR_NAMES",
    "GEOMETRY_NAMES",
    "extract_features",
    "head_pose",
    "irises_inside_eyes",
    "viewing_distance_cm",
    "px_per_deg",
]

#: Names of the entries of ``Features.vector()``, in order (see ``Features.vector``).
VECTOR_NAMES = ("u", "v", "upper_lid", "openness", "head_x_mm", "head_y_mm", "yaw_deg", "pitch_deg")
#: Names of the entries of ``Features.geometry()``, in order.
GEOMETRY_NAMES = ("head_z_mm", "roll_deg")

# Landmark indices (MediaPipe face mesh with irises): corner A, corner B, upper lid,
# lower lid, iris centre; the 4 iris ring points follow the centre.
_RIGHT_EYE = (33, 133, 159, 145, 468)
_LEFT_EYE = (362, 263, 386, 374, 473)

_BLINK = "blink"
_TOO_SMALL = "eyes too small"
_EYE_FIELDS = ("u", "v", "openness", "width_px", "iris_diameter_px", "upper_lid")
_FEATURE_FIELDS = ("iris_diameter_px", "eye_distance_px", "head_x_mm", "head_y_mm", "head_z_mm")


@dataclass(frozen=True)
class EyeFeatures:
    """Features of one eye.

    ``u``, ``v``: iris centre in the eye frame, in eye widths (see module docstring).
    ``openness``: lid distance / eye width (dimensionless, ~0.3 open, <0.12 closed).
    ``width_px``: corner-to-corner distance in image px.
    ``iris_diameter_px``: twice the mean distance of the 4 iris ring points from the
    iris centre, in image px.
    ``upper_lid``: ``v`` of the upper-lid landmark, in eye widths (about -0.15 for an
    open eye looking ahead; it rises, more negative, as the eye looks up).
    """

    u: float
    v: float
    openness: float
    width_px: float
    iris_diameter_px: float
    upper_lid: float

    def to_dict(self) -> dict:
        return {
            "u": self.u,
            "v": self.v,
            "openness": self.openness,
            "width_px": self.width_px,
            "iris_diameter_px": self.iris_diameter_px,
            "upper_lid": self.upper_lid,
        }

    @classmethod
    def from_dict(cls, d: dict) -> EyeFeatures:
        """Build from ``to_dict`` output; raises InputError on missing/non-finite fields."""
        return cls(**_floats(d, _EYE_FIELDS, "eye"))


@dataclass(frozen=True)
class HeadPose:
    """Head pose from the facial transformation matrix ``M``.

    The rotation part ``R`` (upper-left 3x3 of ``M``, columns normalised to remove
    scale) is decomposed as ``R = Ry(yaw) @ Rx(pitch) @ Rz(roll)`` (intrinsic Y-X'-Z''
    Euler angles; ``Rx/Ry/Rz`` are right-handed rotations about MediaPipe's metric
    axes: x right, y up, z towards the camera). Ranges: yaw and roll in (-180, 180],
    pitch in [-90, 90] degrees; all 0 for a face looking straight into the camera.
    ``tx_cm, ty_cm, tz_cm``: translation column of ``M`` in matrix units (cm in
    MediaPipe; tz is negative, the face is in front of the camera).
    """

    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    tx_cm: float
    ty_cm: float
    tz_cm: float

    def to_dict(self) -> dict:
        return {
            "yaw_deg": self.yaw_deg,
            "pitch_deg": self.pitch_deg,
            "roll_deg": self.roll_deg,
            "tx_cm": self.tx_cm,
            "ty_cm": self.ty_cm,
            "tz_cm": self.tz_cm,
        }

    @classmethod
    def from_dict(cls, d: dict) -> HeadPose:
        """Build from ``to_dict`` output; raises InputError on missing/non-finite fields."""
        names = ("yaw_deg", "pitch_deg", "roll_deg", "tx_cm", "ty_cm", "tz_cm")
        return cls(**_floats(d, names, "head"))


@dataclass(frozen=True)
class Features:
    """Everything gaze estimation needs from one frame.

    ``right``/``left``: the subject's right eye (landmarks 33/133, iris 468) and left
    eye (362/263, iris 473). ``iris_diameter_px``: mean of both irises, image px.
    ``eye_distance_px``: between the midpoints of the two eyes' corner pairs, image px.
    ``head_x_mm``, ``head_y_mm``: the point midway between those midpoints, relative to
    the image centre, in mm at the face (see the module docstring).
    ``head_z_mm``: camera-to-eyes distance in mm (see the module docstring; 0 when the
    eyes coincide in the picture).
    ``valid`` is False when the frame must not be used for gaze; ``reason`` then says
    why (``"blink"`` or ``"eyes too small"``), else it is ``""``.
    """

    right: EyeFeatures
    left: EyeFeatures
    head: HeadPose
    iris_diameter_px: float
    valid: bool
    reason: str
    eye_distance_px: float
    head_x_mm: float
    head_y_mm: float
    head_z_mm: float

    @property
    def openness(self) -> float:
        """Mean openness of both eyes (dimensionless)."""
        return 0.5 * (self.right.openness + self.left.openness)

    def vector(self) -> tuple:
        """Regression inputs, named by ``VECTOR_NAMES``: ``(u, v, upper_lid, openness,
        head_x_mm, head_y_mm, yaw_deg, pitch_deg)``.

        ``u``, ``v``, ``upper_lid`` (eye widths) and ``openness`` are the means over
        both eyes: one iris's landmark noise is mostly independent of the other's.
        Head position in mm, yaw and pitch (from ``head``) in degrees.
        """
        r, l = self.right, self.left
        return (
            0.5 * (r.u + l.u),
            0.5 * (r.v + l.v),
            0.5 * (r.upper_lid + l.upper_lid),
            0.5 * (r.openness + l.openness),
            self.head_x_mm,
            self.head_y_mm,
            self.head.yaw_deg,
            self.head.pitch_deg,
        )

    def geometry(self) -> tuple:
        """Head measurements the gaze model uses geometrically, named by
        ``GEOMETRY_NAMES``: ``(head_z_mm, roll_deg)``."""
        return (self.head_z_mm, self.head.roll_deg)

    def to_dict(self) -> dict:
        return {
            "right": self.right.to_dict(),
            "left": self.left.to_dict(),
            "head": self.head.to_dict(),
            "iris_diameter_px": self.iris_diameter_px,
            "eye_distance_px": self.eye_distance_px,
            "head_x_mm": self.head_x_mm,
            "head_y_mm": self.head_y_mm,
            "head_z_mm": self.head_z_mm,
            "valid": self.valid,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Features:
        """Build from ``to_dict`` output; raises InputError on missing/bad fields."""
        if not isinstance(d, dict):
            raise InputError(f"features must be a dict, got {type(d).__name__}")
        try:
            right, left, head = d["right"], d["left"], d["head"]
            valid, reason = d["valid"], d["reason"]
        except KeyError as exc:
            raise InputError(f"features is missing {exc.args[0]!r}") from None
        if not isinstance(valid, bool) or not isinstance(reason, str):
            raise InputError("features.valid must be a bool and features.reason a string")
        return cls(
            right=EyeFeatures.from_dict(right),
            left=EyeFeatures.from_dict(left),
            head=HeadPose.from_dict(head),
            valid=valid,
            reason=reason,
            **_floats(d, _FEATURE_FIELDS, "features"),
        )


def extract_features(landmarks, matrix, image_w_px, image_h_px, hfov_deg=C.CAMERA_HFOV_DEG) -> Features:
    """Compute ``Features`` for one face.

    ``hfov_deg``: the camera's horizontal field of view (degrees, 0 < hfov < 180) for
    ``head_z_mm``.
    Raises InputError if ``landmarks`` does not hold exactly 478 * 3 numbers, if
    ``matrix`` does not hold 16, if any of them is NaN/infinite, if the image size is
    not a positive finite number, if ``hfov_deg`` is out of range, or if the matrix
    rotation part is degenerate.
    A blink (mean openness < ``BLINK_OPENNESS``) or eyes narrower than
    ``MIN_EYE_WIDTH_PX`` give ``valid=False`` with a ``reason``; that is not an error.
    """
    w = _check.positive(image_w_px, "image_w_px", " px")
    h = _check.positive(image_h_px, "image_h_px", " px")
    focal_px = _focal_px(w, hfov_deg)
    _check_flat(landmarks, C.LANDMARK_VALUES, "landmarks", "478*3 = 1434")
    head = head_pose(matrix)
    right = _eye(landmarks, w, h, _RIGHT_EYE)
    left = _eye(landmarks, w, h, _LEFT_EYE)
    # Midpoints of each eye's corners: fixed to the head, unlike the irises and lids.
    rx, ry = _midpoint(_px(landmarks, _RIGHT_EYE[0], w, h), _px(landmarks, _RIGHT_EYE[1], w, h))
    lx, ly = _midpoint(_px(landmarks, _LEFT_EYE[0], w, h), _px(landmarks, _LEFT_EYE[1], w, h))
    distance = math.hypot(lx - rx, ly - ry)
    reason = ""
    if min(right.width_px, left.width_px) < C.MIN_EYE_WIDTH_PX:
        reason = _TOO_SMALL
    elif 0.5 * (right.openness + left.openness) < C.BLINK_OPENNESS:
        reason = _BLINK
    mm_per_px = C.EYE_MIDPOINT_SEPARATION_MM / distance if distance > 1e-9 else 0.0
    return Features(
        right=right,
        left=left,
        head=head,
        iris_diameter_px=0.5 * (right.iris_diameter_px + left.iris_diameter_px),
        valid=not reason,
        reason=reason,
        eye_distance_px=distance,
        head_x_mm=(0.5 * (rx + lx) - 0.5 * w) * mm_per_px,
        head_y_mm=(0.5 * (ry + ly) - 0.5 * h) * mm_per_px,
        head_z_mm=focal_px * mm_per_px * math.cos(math.radians(head.yaw_deg)),
    )


def viewing_distance_cm(features: Features, image_w_px, hfov_deg=C.CAMERA_HFOV_DEG) -> float:
    """Camera-to-eye distance (cm) from the mean iris diameter of ``features``.

    Pinhole camera with a horizontal field of view of ``hfov_deg`` degrees over
    ``image_w_px`` px (the frame the landmarks came from); irises taken as
    ``IRIS_DIAMETER_MM`` wide. The camera usually sits at the screen's edge, so this
    is also about the eye-to-screen distance. Raises InputError unless
    ``0 < hfov_deg < 180``, ``image_w_px > 0`` and the iris diameter is > 0.
    """
    w = _check.positive(image_w_px, "image_w_px", " px")
    focal_px = _focal_px(w, hfov_deg)
    diameter = _check.positive(features.iris_diameter_px, "features.iris_diameter_px", " px")
    return focal_px * (0.1 * C.IRIS_DIAMETER_MM) / diameter


def px_per_deg(distance_cm, px_per_cm=C.CSS_PX_PER_CM) -> float:
    """CSS px per degree of visual angle at the screen centre for an eye
    ``distance_cm`` from the screen: ``distance_cm * px_per_cm * tan(1 deg)``.
    Raises InputError unless both are finite and > 0."""
    d = _check.positive(distance_cm, "distance_cm", " cm")
    ppc = _check.positive(px_per_cm, "px_per_cm", " px/cm")
    return d * ppc * math.tan(math.radians(1.0))


def head_pose(matrix) -> HeadPose:
    """Head pose from a column-major 4x4 facial transformation matrix (16 numbers).

    See ``HeadPose`` for the angle convention. Raises InputError on a wrong length,
    non-finite values or a rotation column of zero length.
    """
    m = _check_flat(matrix, C.MATRIX_VALUES, "matrix", "16")
    # Column c of the rotation is m[4c:4c+3]; normalising removes any uniform scale.
    s0 = math.hypot(m[0], m[1], m[2])
    s1 = math.hypot(m[4], m[5], m[6])
    s2 = math.hypot(m[8], m[9], m[10])
    if min(s0, s1, s2) < 1e-12:
        raise InputError("matrix has a zero-length rotation column")
    # R = Ry(yaw) Rx(pitch) Rz(roll) gives R[1][2] = -sin(pitch),
    # R[0][2] / R[2][2] = tan(yaw), R[1][0] / R[1][1] = tan(roll).
    r12 = m[9] / s2
    pitch = math.asin(max(-1.0, min(1.0, -r12)))
    yaw = math.atan2(m[8] / s2, m[10] / s2)
    roll = math.atan2(m[1] / s0, m[5] / s1)
    return HeadPose(
        yaw_deg=math.degrees(yaw),
        pitch_deg=math.degrees(pitch),
        roll_deg=math.degrees(roll),
        tx_cm=float(m[12]),
        ty_cm=float(m[13]),
        tz_cm=float(m[14]),
    )


def irises_inside_eyes(landmarks, image_w_px, image_h_px, margin=C.IRIS_INSIDE_MARGIN) -> bool:
    """True if each iris centre lies inside its eye's box, grown by ``margin``.

    The box is the bounding box of the two corners and two lids in the eye frame
    (``u`` along the corner axis, ``v`` across it, both in eye widths); ``margin`` is
    in eye widths (default 0.1). A sanity check for real landmark output.
    Raises InputError like ``extract_features`` on bad landmarks or image size.
    """
    w = _check.positive(image_w_px, "image_w_px", " px")
    h = _check.positive(image_h_px, "image_h_px", " px")
    margin = _check.non_negative(margin, "margin")
    _check_flat(landmarks, C.LANDMARK_VALUES, "landmarks", "478*3 = 1434")
    for a, b, upper, lower, iris in (_RIGHT_EYE, _LEFT_EYE):
        ax, ay = _px(landmarks, a, w, h)
        ex, ey = _sub(_px(landmarks, b, w, h), (ax, ay))
        w2 = ex * ex + ey * ey
        if w2 < C.MIN_EYE_WIDTH_PX**2:
            return False
        us, vs = [0.0, 1.0], [0.0, 0.0]
        for index in (upper, lower):
            u, v = _eye_uv(_px(landmarks, index, w, h), ax, ay, ex, ey, w2)
            us.append(u)
            vs.append(v)
        u, v = _eye_uv(_px(landmarks, iris, w, h), ax, ay, ex, ey, w2)
        if not (min(us) - margin <= u <= max(us) + margin):
            return False
        if not (min(vs) - margin <= v <= max(vs) + margin):
            return False
    return True


# --- private helpers ---------------------------------------------------------------


def _check_flat(values, length: int, name: str, expected: str):
    """Check a flat numeric sequence: exact length, all finite. Returns it unchanged."""
    try:
        n = len(values)
    except TypeError:
        raise InputError(f"{name} must be a sequence of {expected} numbers") from None
    if n != length:
        raise InputError(f"{name} must have {expected} values, got {n}")
    try:
        # One C-level pass: any NaN or infinity makes the sum non-finite.
        total = sum(values)
    except TypeError:
        raise InputError(f"{name} must contain only numbers") from None
    if not math.isfinite(total):
        raise InputError(f"{name} contains a non-finite value (NaN or infinity)")
    return values


def _focal_px(image_w_px: float, hfov_deg) -> float:
    """Pinhole focal length (px) for a horizontal field of view; InputError unless
    0 < hfov_deg < 180."""
    hfov = _check.positive(hfov_deg, "hfov_deg", " deg")
    if hfov >= 180.0:
        raise InputError(f"hfov_deg must be < 180, got {hfov_deg!r}")
    return 0.5 * image_w_px / math.tan(math.radians(0.5 * hfov))


def _px(landmarks, index: int, w: float, h: float) -> tuple:
    k = 3 * index
    return landmarks[k] * w, landmarks[k + 1] * h


def _sub(p: tuple, q: tuple) -> tuple:
    return p[0] - q[0], p[1] - q[1]


def _midpoint(p: tuple, q: tuple) -> tuple:
    return 0.5 * (p[0] + q[0]), 0.5 * (p[1] + q[1])


def _eye_uv(p: tuple, ax: float, ay: float, ex: float, ey: float, w2: float) -> tuple:
    dx, dy = p[0] - ax, p[1] - ay
    return (dx * ex + dy * ey) / w2, (dy * ex - dx * ey) / w2


def _eye(landmarks, w: float, h: float, indices: tuple) -> EyeFeatures:
    a, b, upper, lower, iris = indices
    ax, ay = _px(landmarks, a, w, h)
    ex, ey = _sub(_px(landmarks, b, w, h), (ax, ay))
    width = math.hypot(ex, ey)
    cx, cy = _px(landmarks, iris, w, h)
    ring = 0.0
    for k in range(iris + 1, iris + 5):
        rx, ry = _px(landmarks, k, w, h)
        ring += math.hypot(rx - cx, ry - cy)
    diameter = 0.5 * ring  # 2 * (ring / 4)
    if width < 1e-9:
        # Degenerate eye: report it as too small rather than dividing by zero.
        return EyeFeatures(0.0, 0.0, 0.0, width, diameter, 0.0)
    w2 = width * width
    ux, uy = _px(landmarks, upper, w, h)
    lx, ly = _px(landmarks, lower, w, h)
    u, v = _eye_uv((cx, cy), ax, ay, ex, ey, w2)
    lid = _eye_uv((ux, uy), ax, ay, ex, ey, w2)[1]
    return EyeFeatures(u, v, math.hypot(ux - lx, uy - ly) / width, width, diameter, lid)


def _floats(d: dict, names: tuple, what: str) -> dict:
    _check.require_keys(d, names, what)
    return {name: _check.finite(d[name], f"{what}.{name}") for name in names}
