"""Calibration: targets, sample collection and the feature-to-screen gaze model.

The page shows targets (``calibration_pattern`` / ``grid_targets``); while the person
looks at target ``i`` every frame's ``Features`` goes to a ``CalibrationCollector``;
``GazeModel.fit`` then maps ``Features.vector()`` (named by
``features.VECTOR_NAMES``) to viewport CSS px.

The model, per screen axis (``reference`` and ``geometry``: see "Head models")::

    g = (sum_t coef_x[t] * term_t(z), sum_t coef_y[t] * term_t(z))   # gaze, reference head pose
    (x_px, y_px) = reference.to_screen(g, geometry) + (prior_x . d, prior_y . d)

with ``d_i = input_i - input_mean[i]``.

* ``z_i = d_i / input_scale[i]``: standardised inputs (centred before squaring, so the
  quadratic terms are not collinear with the linear ones).
* ``term_t``: polynomial terms of the eye features, ``TERMS_X`` for x (the iris's
  horizontal position and its square: the eyeball turns, so equal steps on the screen
  are unequal steps of the iris) and ``TERMS_Y`` for y (the iris's vertical position,
  the upper lid and the openness: FaceLandmarker follows the iris's vertical motion
  only partly, the lid much better). Each axis gets only its own few terms: with 9
  targets every extra term is fitted mostly to the noise of the targets' means.
* ``prior``: head terms (px per unit of head position and rotation), because the eye
  features only see the eye's turn in the head: moving the head by 1 mm moves the gaze
  point by 1 mm (``screen_px_per_cm`` / 10 px per mm: the screen-scale setting), turning
  it by 1 degree moves the gaze point by about one degree of visual angle at the head's
  distance. The sign of the x terms follows the camera image: a mirrored image (iris
  moving right in the image as the gaze moves right) flips them.
* Coefficients by ridge regression (intercept and the main eye term of each axis, ``u``
  for x and ``upper_lid`` for y, not penalised: shrinking those would pull every
  prediction towards the screen's centre), every target weighing
  the same however many samples it kept; the ridge strength per axis is chosen from
  ``GAZE_MODEL_LAMBDAS`` by leave-one-target-out cross-validation (LOTO): refit
  without each target, predict that target's mean gaze, keep the strength with the
  smallest RMS miss (ties go to the stronger one).

Head models (``HEAD_MODELS``, ``GazeModel.fit(head=...)``):

* ``"geometric"`` (default): as ``"linear"`` with the head terms times
  1 + ``EYE_CORNER_PARALLAX`` (the eye corners sit behind the iris, so the iris moves
  against them when the head turns or moves across the camera's view, on top of the
  eye's own counter-turn), and (1) the calibration fits the
  head-rotation terms (yaw for x, pitch for y) as one more ridge-penalised column per
  axis, added to the geometric value (the face pose reads only part of a turn; the head
  moves a little while the eyes rest on each target, which tells by how much; a still
  head leaves the geometric value); (2) with every sample's ``geometry`` (head distance
  and roll, ``Features.geometry()``), a ``HeadReference`` (the calibration's mean
  distance and roll, and the point straight ahead of the eyes): the calibration targets
  are moved back to that reference pose before fitting, and predictions moved out to
  the frame's pose: the gaze offset from the point ahead grows with the distance (the
  same eye angle reaches farther) and turns with the roll (the eye features are
  measured in the head's frame).
* ``"linear"``: the fixed head terms only (version 2 models).
* ``"none"``: no head terms (for comparison).

Before fitting, each target's samples are cleaned: frames with lids part-way through a
blink (openness below ``CALIBRATION_OPENNESS_FRACTION`` of the target's median) and
robust outliers (``CALIBRATION_OUTLIER_MADS``) are dropped. A target is **bad** when it
keeps too few samples or when the model fitted without it misses it by far more than
it misses the others (``BAD_TARGET_LOTO_SDS``, ``BAD_TARGET_MIN_LOTO_PX``): bad
targets are listed in ``summary()["bad_targets"]`` (so the page can show them again)
and left out of the final fit while enough targets remain.

Smooth pursuit (``pursuit_path``, issue #3): after the dots, one dot moves along a
smooth path and every frame's target is its position then. Each ``PURSUIT_SEGMENT_MS``
of motion is one target (index ``PURSUIT_FIRST_INDEX`` + k) for cleaning, weighting
(it weighs 1, like a dot) and LOTO (its mean prediction against its mean position).
A segment with too few samples is bad. The model fitted to the dots alone then judges
the others, first the pass as a whole, model-free: per screen axis the correlation
across segments between that model's mean gaze and the dot's mean position
(``follow_r``, the smaller of the two; an affine misfit of the dots' model leaves it
high, eyes that did not follow leave it near 0). Below ``PURSUIT_MIN_FOLLOW_R`` every
segment is bad, however large the dots' own misses are. Not judged (``follow_r``
None) with fewer than 4 usable segments or a dot that did not move on an axis. Then
each segment is bad when the dots' model misses it by far more than it misses the dots
(``PURSUIT_MISS_DOT_MEDIANS``, ``PURSUIT_MISS_FLOOR_PX``: the eyes left the dot;
checked before the LOTO rule, since when most segments are off it cannot tell), or by
the LOTO rule of the dots. A bad segment is left out of the fit but not listed in
``bad_targets`` (the page cannot show a moving dot again), only counted in
``summary()["pursuit"]`` (with ``follow_r``); its ``loto_err_px`` is the dots' model's
miss when that dropped it. ``min_targets`` counts dot targets only: pursuit segments
add samples to a calibration of the dots, they do not replace it (one path, followed
with lag and catch-up saccades, and the page shows only dots again when a fit fails).

``GazeModel.recentred`` adds a drift correction (offset, or offset and scale) from a
few (predicted, target) pairs, without a new calibration.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from . import _check
from . import constants as C
from ._linalg import combine_terms, cross, dot, gauss_solve, gram, parse_term, term_value
from .errors import CalibrationError, InputError
from .features import GEOMETRY_NAMES, VECTOR_NAMES, Features

__all__ = [
    "Target",
    "CalibrationSample",
    "CalibrationCollector",
    "TargetFit",
    "GazeModel",
    "HeadReference",
    "HEAD_MODELS",
    "TERMS_X",
    "TERMS_Y",
    "CALIBRATION_PATTERNS",
    "calibration_pattern",
    "grid_targets",
    "pursuit_path",
    "ridge_solve",
]

#: Regression terms for screen x and y, in order: ``"1"`` (intercept) or products of
#: standardised inputs named by ``VECTOR_NAMES`` (``"u^2"``, ``"u*v"``).
TERMS_X = ("1", "u", "u^2")
TERMS_Y = ("1", "v", "upper_lid", "openness")

#: Names accepted by ``calibration_pattern``.
CALIBRATION_PATTERNS = ("9", "13", "16")

#: Head models ``GazeModel.fit`` knows (see the module docstring): ``"geometric"`` (the
#: default), ``"linear"`` (fixed head terms only, as version 2 models) and ``"none"``.
HEAD_MODELS = ("geometric", "linear", "none")

_MODEL = "poly2-ridge"
#: 3: the geometric head model (``reference``); version 2 models are still read.
_MODEL_VERSION = 3
_READ_VERSIONS = (2, 3)

_I = {name: i for i, name in enumerate(VECTOR_NAMES)}

# Smallest scale used to standardise each input (eye features in eye widths, head
# position in mm, angles in degrees). An input that did not move during calibration
# has zero spread and one that barely moved has a coefficient fitted mostly to noise:
# flooring the scale avoids the division by zero and leaves such a term with a small
# standardised spread, so the ridge penalty shrinks its coefficient harder.
_SCALE_FLOOR = {"u": 0.005, "v": 0.005, "upper_lid": 0.005, "openness": 0.005,
                "head_x_mm": 1.0, "head_y_mm": 1.0, "yaw_deg": 2.0, "pitch_deg": 2.0}

# Per axis (x, y), the main eye term, left out of the ridge penalty like the intercept: it
# carries the gaze, and shrinking it pulls every prediction towards the screen's centre
# (on the benchmark the calibration's noisy target means made the cross-validation pick
# strong penalties, which compressed the gaze by up to ~15 %). The ridge still tames
# the correction terms around it.
_UNPENALISED = (("u",), ("upper_lid",))

# The head inputs whose terms the geometric head model fits, per axis (x, y): the
# rotation, whose reading by the face pose is uncertain. (Fitting the position terms
# too was tried: on the benchmark it costs ~0.1-0.2 deg, the ridge cannot tell them
# from the rotation with 9 targets.)
_HEAD_FITTED = (("yaw_deg",), ("pitch_deg",))

# Inputs whose per-target outliers are dropped (the eye features the terms use).
_OUTLIER_INPUTS = ("u", "v", "upper_lid")

# Consistency constant: 1.4826 * MAD estimates the standard deviation of Gaussian data.
_MAD_TO_SD = 1.4826

# Fewest pursuit segments ``_follow_r`` judges: over 2 or 3 points a correlation is
# near +-1 by chance (a whole pass has ~23 segments; with few usable ones the face was
# mostly lost, and the per-segment rule alone decides).
_FOLLOW_MIN_SEGMENTS = 4


@dataclass(frozen=True)
class Target:
    """A calibration target position in viewport CSS px (origin top-left)."""

    x_px: float
    y_px: float

    def to_dict(self) -> dict:
        return {"x_px": self.x_px, "y_px": self.y_px}

    @classmethod
    def from_dict(cls, d: dict) -> Target:
        """Raises InputError on a missing or non-finite coordinate."""
        if not isinstance(d, dict) or "x_px" not in d or "y_px" not in d:
            raise InputError(f"target must be a dict with x_px and y_px, got {d!r}")
        return cls(_check.finite(d["x_px"], "target.x_px"), _check.finite(d["y_px"], "target.y_px"))


@dataclass(frozen=True)
class CalibrationSample:
    """One kept calibration frame: when, which target, and the regression inputs.

    ``inputs`` is ``Features.vector()`` (named by ``features.VECTOR_NAMES``);
    ``geometry`` is ``Features.geometry()`` (``features.GEOMETRY_NAMES``: head distance
    and roll), or empty when unknown (the head model then takes them as constant).
    """

    t_ms: float
    target_index: int
    target_x_px: float
    target_y_px: float
    inputs: tuple
    geometry: tuple = ()


@dataclass(frozen=True)
class TargetFit:
    """How the fitted model does at one calibration target (px).

    ``n_samples``: samples collected; ``n_used``: left after cleaning (blinks,
    outliers). ``mean_err_px``: mean distance of the model's predictions for the used
    samples from the target (training error). ``loto_err_px``: distance of the mean
    prediction of a model fitted *without* this target (leave-one-target-out), or
    None when the target was not part of the cross-validation (too few samples).
    ``bad``: the target is listed in ``bad_targets``.
    """

    target_index: int
    x_px: float
    y_px: float
    n_samples: int
    mean_err_px: float
    n_used: int = 0
    loto_err_px: float | None = None
    bad: bool = False

    def to_dict(self) -> dict:
        return {
            "target_index": self.target_index,
            "x_px": self.x_px,
            "y_px": self.y_px,
            "n_samples": self.n_samples,
            "n_used": self.n_used,
            "mean_err_px": self.mean_err_px,
            "loto_err_px": self.loto_err_px,
            "bad": self.bad,
        }

    @classmethod
    def from_dict(cls, d: dict) -> TargetFit:
        """Raises InputError on missing or bad fields (``n_used``, ``loto_err_px`` and
        ``bad`` may be missing: older summaries did not have them)."""
        _check.require_keys(d, ("target_index", "x_px", "y_px", "n_samples", "mean_err_px"), "per_target")
        loto = d.get("loto_err_px")
        bad = d.get("bad", False)
        if not isinstance(bad, bool):
            raise InputError(f"per_target.bad must be a bool, got {bad!r}")
        return cls(
            target_index=_check.non_negative_int(d["target_index"], "per_target.target_index"),
            x_px=_check.finite(d["x_px"], "per_target.x_px"),
            y_px=_check.finite(d["y_px"], "per_target.y_px"),
            n_samples=_check.non_negative_int(d["n_samples"], "per_target.n_samples"),
            mean_err_px=_check.finite(d["mean_err_px"], "per_target.mean_err_px"),
            n_used=_check.non_negative_int(d.get("n_used", d["n_samples"]), "per_target.n_used"),
            loto_err_px=None if loto is None else _check.non_negative(loto, "per_target.loto_err_px"),
            bad=bad,
        )


def grid_targets(width_px, height_px, rows=3, cols=3, margin=0.10) -> list:
    """Targets on a ``rows`` x ``cols`` grid, row-major from the top-left.

    The first and last column sit at ``margin`` and ``1 - margin`` of ``width_px``
    (likewise rows and ``height_px``); a single row or column is centred.
    Raises InputError unless sizes are > 0, rows/cols are integers >= 1 and
    0 <= margin < 0.5.
    """
    w = _check.positive(width_px, "width_px", " px")
    h = _check.positive(height_px, "height_px", " px")
    rows = _check.positive_int(rows, "rows")
    cols = _check.positive_int(cols, "cols")
    margin = _check.non_negative(margin, "margin")
    if margin >= 0.5:
        raise InputError(f"margin must be < 0.5, got {margin!r}")
    xs = _spread(cols, margin, w)
    ys = _spread(rows, margin, h)
    return [Target(x, y) for y in ys for x in xs]


def calibration_pattern(name, width_px, height_px, margin=0.10) -> list:
    """Calibration targets (``Target``, CSS px) of a named pattern.

    * ``"9"``: the 3 x 3 grid of ``grid_targets`` (row-major from the top-left);
    * ``"13"``: those 9, then the centres of the grid's four cells (row-major), which
      sit half-way between the grid's points;
    * ``"16"``: a 4 x 4 grid, row-major.

    Outer targets sit at ``margin`` and ``1 - margin`` of each side. ``name`` may also
    be the int 9, 13 or 16. Raises InputError on an unknown name or bad sizes/margin
    (as ``grid_targets``).
    """
    key = str(name) if isinstance(name, (str, int)) and not isinstance(name, bool) else None
    if key not in CALIBRATION_PATTERNS:
        raise InputError(f"calibration pattern must be one of {', '.join(CALIBRATION_PATTERNS)}, "
                         f"got {name!r}")
    if key == "16":
        return grid_targets(width_px, height_px, 4, 4, margin)
    grid = grid_targets(width_px, height_px, 3, 3, margin)
    if key == "9":
        return grid
    # Cell centres: the mean of each 2 x 2 block of neighbouring grid points.
    inner = []
    for r in range(2):
        for c in range(2):
            a, b, d, e = grid[3 * r + c], grid[3 * r + c + 1], grid[3 * r + c + 3], grid[3 * r + c + 4]
            inner.append(Target(0.25 * (a.x_px + b.x_px + d.x_px + e.x_px),
                                0.25 * (a.y_px + b.y_px + d.y_px + e.y_px)))
    return grid + inner


def pursuit_path(width_px, height_px, margin=0.10) -> list:
    """The smooth-pursuit dot's path: ``(t_ms, x_px, y_px)`` tuples of floats.

    One point every ``PURSUIT_POINT_MS`` from ``t_ms = 0`` (the motion's start) to
    ``PURSUIT_DURATION_MS`` inclusive (241 points); positions between points are
    linear interpolations. The curve is a Lissajous figure, x one cycle and y two::

        x = cx + ax * sin(2 pi t / T),   y = cy + ay * sin(4 pi t / T)

    with (cx, cy) the viewport's centre and ax, ay reaching ``margin`` of each side
    (so every point lies within [margin, 1 - margin] of ``width_px`` and
    ``height_px``). It starts and ends at the centre (closed: the last point equals
    the first), is smooth (no corners: the eyes can follow it), and passes through
    all four quadrants at varied speeds and directions, so the samples vary gaze and
    head pose more than the dots do. Raises InputError unless sizes are > 0 and
    0 <= margin < 0.5 (as ``grid_targets``).
    """
    w = _check.positive(width_px, "width_px", " px")
    h = _check.positive(height_px, "height_px", " px")
    margin = _check.non_negative(margin, "margin")
    if margin >= 0.5:
        raise InputError(f"margin must be < 0.5, got {margin!r}")
    n = round(C.PURSUIT_DURATION_MS / C.PURSUIT_POINT_MS)
    cx, cy = 0.5 * w, 0.5 * h
    ax, ay = (0.5 - margin) * w, (0.5 - margin) * h
    points = []
    for k in range(n + 1):
        # The phase wraps at the last point, so the path closes exactly.
        phase = 2.0 * math.pi * ((k % n) / n)
        points.append((k * C.PURSUIT_POINT_MS, cx + ax * math.sin(phase), cy + ay * math.sin(2.0 * phase)))
    return points


def ridge_solve(X, y, lam, intercept_col=0) -> list:
    """Ridge regression coefficients ``beta`` for ``X @ beta ~ y``.

    Solves ``(X^T X + lam * I') beta = X^T y`` where ``I'`` is the identity with a
    zero at ``intercept_col`` (the intercept is not penalised; ``None`` penalises
    every column). ``X`` is a list of equal-length rows of finite numbers, ``y`` one
    number per row, ``lam >= 0``. Gaussian elimination with partial pivoting.

    Raises InputError on bad shapes/values and CalibrationError if the system is
    singular (e.g. ``lam == 0`` and collinear columns).
    """
    n = len(X)
    if n == 0:
        raise InputError("X must have at least one row")
    p = len(X[0])
    if p == 0:
        raise InputError("X rows must not be empty")
    if len(y) != n:
        raise InputError(f"y has {len(y)} values but X has {n} rows")
    lam = _check.non_negative(lam, "lam")
    if intercept_col is not None and not (0 <= intercept_col < p):
        raise InputError(f"intercept_col must be in 0..{p - 1} or None, got {intercept_col!r}")
    for i, row in enumerate(X):
        if len(row) != p:
            raise InputError(f"X[{i}] has {len(row)} values, expected {p}")
    try:
        cols = [tuple(map(float, col)) for col in zip(*X)]
        yv = tuple(map(float, y))
    except (TypeError, ValueError):
        raise InputError("X and y must contain only numbers") from None
    if not all(all(map(math.isfinite, c)) for c in cols) or not all(map(math.isfinite, yv)):
        raise InputError("X and y must contain only finite numbers")
    ones = (1.0,) * n
    a = gram(cols, ones)
    for i in range(p):
        if i != intercept_col:
            a[i][i] += lam
    return gauss_solve(a, cross(cols, ones, yv))


class CalibrationCollector:
    """Collects calibration samples, skipping each target's settling time.

    A sample is kept only if its features are valid and it comes at least
    ``settle_ms`` after its target started. A target starts at the time given to
    ``start_target`` or else at the first sample seen for that target index.
    Smooth-pursuit segments (indices >= ``PURSUIT_FIRST_INDEX``) are not settled:
    the page sends them only from ``PURSUIT_SETTLE_MS`` after the motion started, and
    each segment follows the previous one without a jump. (Blinks' edges and outliers
    are removed later, per target, by ``GazeModel.fit``.)
    """

    def __init__(self, settle_ms=C.CALIBRATION_SETTLE_MS):
        """Raises InputError unless ``settle_ms`` is a finite number >= 0 (ms)."""
        self.settle_ms = _check.non_negative(settle_ms, "settle_ms", " ms")
        self._start_ms: dict = {}
        self._samples: list = []

    def start_target(self, target_index, t_ms) -> None:
        """Declare that target ``target_index`` appeared at ``t_ms`` (ms)."""
        self._start_ms[_check.non_negative_int(target_index, "target_index")] = _check.finite(t_ms, "t_ms")

    def add(self, t_ms, target_index, target_x_px, target_y_px, features: Features) -> bool:
        """Offer one frame; return True if it was kept.

        Raises InputError on non-finite times/coordinates or a negative index.
        """
        t_ms = _check.finite(t_ms, "t_ms")
        index = _check.non_negative_int(target_index, "target_index")
        x = _check.finite(target_x_px, "target_x_px")
        y = _check.finite(target_y_px, "target_y_px")
        start = self._start_ms.setdefault(index, t_ms)
        settle = self.settle_ms if index < C.PURSUIT_FIRST_INDEX else 0.0
        if not features.valid or t_ms - start < settle:
            return False
        self._samples.append(CalibrationSample(t_ms, index, x, y, features.vector(), features.geometry()))
        return True

    @property
    def samples(self) -> tuple:
        """Kept samples in arrival order."""
        return tuple(self._samples)

    @property
    def n_targets(self) -> int:
        """Number of distinct targets with at least one kept sample."""
        return len({s.target_index for s in self._samples})

    def clear(self) -> None:
        """Forget all samples and target start times."""
        self._start_ms.clear()
        self._samples.clear()

    def drop_targets(self, indices) -> None:
        """Forget the samples and start times of these targets (to show them again)."""
        drop = {_check.non_negative_int(i, "target index") for i in indices}
        self._samples = [s for s in self._samples if s.target_index not in drop]
        for i in drop:
            self._start_ms.pop(i, None)


@dataclass(frozen=True)
class HeadReference:
    """The calibration's head pose, for moving the calibrated gaze with the head.

    ``centre_x_px``, ``centre_y_px``: the screen point straight in front of the eyes
    (CSS px of the viewport; the camera is taken to sit above the centre of the
    calibration pattern, ``CAMERA_ABOVE_VIEWPORT_MM`` above the viewport's top edge).
    ``head_z_mm``: mean camera-to-eyes distance during calibration
    (``Features.head_z_mm``, > 0). ``roll_deg``: mean head roll (degrees).
    ``roll_sign``: +1 for a plain camera image, -1 for a mirrored one (which way an
    image roll turns screen directions). ``px_per_mm``: CSS px per mm of screen.
    """

    centre_x_px: float
    centre_y_px: float
    head_z_mm: float
    roll_deg: float
    roll_sign: float
    px_per_mm: float

    def _turn(self, geometry) -> tuple:
        """(scale, cos, sin) for ``geometry`` = (head_z_mm, roll_deg), or none for ()."""
        if not geometry:
            return 1.0, 1.0, 0.0
        z, roll = geometry
        scale = z / self.head_z_mm if z > 0.0 else 1.0
        angle = math.radians(self.roll_sign * (roll - self.roll_deg))
        return scale, math.cos(angle), math.sin(angle)

    def to_screen(self, x_px: float, y_px: float, geometry) -> tuple:
        """A gaze point of the reference head pose moved to the head's distance and roll in
        ``geometry``: the offset from the centre grows with the distance (the same eye
        angle reaches farther) and turns with the roll (the eye features are measured in
        the head's frame)."""
        k, c, s = self._turn(geometry)
        dx, dy = x_px - self.centre_x_px, y_px - self.centre_y_px
        return self.centre_x_px + k * (c * dx - s * dy), self.centre_y_px + k * (s * dx + c * dy)

    def to_reference(self, x_px: float, y_px: float, geometry) -> tuple:
        """The inverse of ``to_screen``."""
        k, c, s = self._turn(geometry)
        dx, dy = (x_px - self.centre_x_px) / k, (y_px - self.centre_y_px) / k
        return self.centre_x_px + c * dx + s * dy, self.centre_y_px - s * dx + c * dy

    def to_dict(self) -> dict:
        return {"centre_x_px": self.centre_x_px, "centre_y_px": self.centre_y_px,
                "head_z_mm": self.head_z_mm, "roll_deg": self.roll_deg, "roll_sign": self.roll_sign,
                "px_per_mm": self.px_per_mm}

    @classmethod
    def from_dict(cls, d: dict) -> HeadReference:
        """Raises InputError on missing or bad fields."""
        names = ("centre_x_px", "centre_y_px", "head_z_mm", "roll_deg", "roll_sign", "px_per_mm")
        _check.require_keys(d, names, "calibration.reference")
        values = {n: _check.finite(d[n], f"calibration.reference.{n}") for n in names}
        _check.positive(values["head_z_mm"], "calibration.reference.head_z_mm", " mm")
        _check.positive(values["px_per_mm"], "calibration.reference.px_per_mm")
        if values["roll_sign"] not in (1.0, -1.0):
            raise InputError(f"calibration.reference.roll_sign must be 1 or -1, got {d['roll_sign']!r}")
        return cls(**values)


@dataclass(frozen=True)
class GazeModel:
    """Fitted map from ``Features.vector()`` to viewport CSS px (see the module
    docstring for the formula).

    ``inputs``: the input names at fit time (``VECTOR_NAMES``). ``input_mean`` /
    ``input_scale``: per input, the calibration mean and the (floored) standard
    deviation. ``terms_x`` / ``terms_y`` and ``coef_x`` / ``coef_y``: the regression
    terms and their coefficients (px). ``prior_x`` / ``prior_y``: per input, the fixed
    head-term coefficients (px per input unit). ``lam_x`` / ``lam_y``: the ridge
    strengths used. ``n_samples``: samples offered; ``n_used``: samples fitted.
    ``rms_px``: training RMS distance between prediction and target over the used
    samples. ``loto_px``: mean leave-one-target-out miss over the fitted targets (None
    if it could not be computed). ``per_target``: ``TargetFit`` per target with
    samples; ``bad_targets``: indices of bad targets. ``correction``: drift correction
    ``(x_offset_px, x_scale, y_offset_px, y_scale)`` applied last:
    ``x = x_offset_px + x_scale * x_model`` (identity after ``fit``).
    ``reference``: the geometric head model's ``HeadReference``, or None (a
    ``"linear"``/``"none"`` head model, or a version 2 model): the polynomial then
    gives screen px directly. ``pursuit_follow_r``: how well the eyes followed the
    smooth-pursuit dot (see ``summary``), or None (not judged, or no pursuit).
    """

    inputs: tuple
    input_mean: tuple
    input_scale: tuple
    terms_x: tuple
    terms_y: tuple
    coef_x: tuple
    coef_y: tuple
    prior_x: tuple
    prior_y: tuple
    lam_x: float
    lam_y: float
    n_samples: int
    n_used: int
    rms_px: float
    loto_px: float | None
    per_target: tuple
    bad_targets: tuple
    correction: tuple = (0.0, 1.0, 0.0, 1.0)
    reference: HeadReference | None = None
    pursuit_follow_r: float | None = None

    def __post_init__(self):
        # Terms as tuples of input indices, parsed once (predict runs every frame).
        object.__setattr__(self, "_tx", tuple(parse_term(t, self.inputs) for t in self.terms_x))
        object.__setattr__(self, "_ty", tuple(parse_term(t, self.inputs) for t in self.terms_y))

    @classmethod
    def fit(cls, source, lam=None, min_targets=C.MIN_CALIBRATION_TARGETS,
            lambdas=C.GAZE_MODEL_LAMBDAS, screen_px_per_cm=C.CSS_PX_PER_CM,
            head="geometric") -> GazeModel:
        """Fit to a ``CalibrationCollector`` or an iterable of ``CalibrationSample``.

        ``lam``: a fixed ridge strength (>= 0) for both axes; None (default) chooses
        one per axis from ``lambdas`` by leave-one-target-out cross-validation.
        ``screen_px_per_cm``: CSS px per cm of the physical screen (the
        ``screen_px_per_cm`` setting), for the head terms. ``head``: one of
        ``HEAD_MODELS`` (see the module docstring); ``"geometric"`` needs every sample's
        ``geometry`` and falls back to ``"linear"`` with a fitted head gain without it.
        Raises CalibrationError if fewer than ``min_targets`` distinct dot targets
        (indices below ``PURSUIT_FIRST_INDEX``; pursuit segments do not count) have
        (enough clean) samples or the regression is singular; InputError on a bad
        ``lam``/``lambdas``/``screen_px_per_cm``/``head``.
        """
        px_per_mm = 0.1 * _check.positive(screen_px_per_cm, "screen_px_per_cm", " px/cm")
        if head not in HEAD_MODELS:
            raise InputError(f"head must be one of {', '.join(HEAD_MODELS)}, got {head!r}")
        samples = list(source.samples if isinstance(source, CalibrationCollector) else source)
        if lam is not None:
            lambdas = (_check.non_negative(lam, "lam"),)
        else:
            lambdas = tuple(_check.non_negative(v, "lambdas[]") for v in lambdas)
            if not lambdas:
                raise InputError("lambdas must not be empty")
        by_target: dict = {}
        for s in samples:
            if len(s.inputs) != len(VECTOR_NAMES):
                raise InputError(f"calibration sample has {len(s.inputs)} inputs, expected "
                                 f"{len(VECTOR_NAMES)} ({', '.join(VECTOR_NAMES)})")
            if s.geometry and len(s.geometry) != len(GEOMETRY_NAMES):
                raise InputError(f"calibration sample has {len(s.geometry)} geometry values, expected "
                                 f"{len(GEOMETRY_NAMES)} ({', '.join(GEOMETRY_NAMES)}) or none")
            by_target.setdefault(s.target_index, []).append(s)
        n_dots = sum(1 for i in by_target if i < C.PURSUIT_FIRST_INDEX)
        if n_dots < min_targets:
            raise CalibrationError(
                f"need samples at {min_targets} or more targets, got {n_dots} "
                f"({len(samples)} samples); look at each target until it disappears"
            )
        cleaned = {i: _clean(group) for i, group in sorted(by_target.items())}
        usable = _enough_samples(cleaned)
        n_dots = sum(1 for i in usable if i < C.PURSUIT_FIRST_INDEX)
        if n_dots < min_targets:
            raise CalibrationError(
                f"only {n_dots} targets have enough steady samples, need {min_targets}; "
                "look at each target until it disappears"
            )
        # Pursuit segments the eyes did not follow are left out before the fit: judged
        # by the dots' model (the robust LOTO rule below cannot see them when most
        # segments are off, e.g. the eyes stayed put while the dot moved), first the
        # whole pass by correlation, then each segment by its miss.
        off, follow_r = _off_the_dots(usable, lambda dots: _fit(dots, lambdas, px_per_mm, head))
        usable_fit = {i: g for i, g in usable.items() if i not in off}
        fit = _fit(usable_fit, lambdas, px_per_mm, head)
        first_loto = {**off, **fit.loto}
        bad_loto = _outlying_targets(fit)
        # Bad pursuit segments always go; bad dots only while enough dots remain.
        drop = {i for i in bad_loto if i >= C.PURSUIT_FIRST_INDEX}
        bad_dots = set(bad_loto) - drop
        if bad_dots and n_dots - len(bad_dots) >= min_targets:
            drop |= bad_dots
        if drop:
            fit = _fit({i: g for i, g in usable_fit.items() if i not in drop}, lambdas, px_per_mm, head)
        loto = {**first_loto, **fit.loto}
        bad_all = set(cleaned) - set(usable) | set(bad_loto) | set(off)
        bad = tuple(sorted(i for i in bad_all if i < C.PURSUIT_FIRST_INDEX))
        model = cls._of(fit, len(samples), bad, follow_r)
        return model._with_errors(by_target, cleaned, set(fit.loto), loto, bad_all)

    @classmethod
    def _of(cls, fit: _Fitted, n_samples: int, bad: tuple = (), follow_r: float | None = None) -> GazeModel:
        """The model ``fit`` describes, before ``_with_errors`` fills in its errors."""
        return cls(
            inputs=VECTOR_NAMES, input_mean=fit.mean, input_scale=fit.scale,
            terms_x=TERMS_X, terms_y=TERMS_Y, coef_x=fit.coef[0], coef_y=fit.coef[1],
            prior_x=fit.prior[0], prior_y=fit.prior[1], lam_x=fit.lam[0], lam_y=fit.lam[1],
            n_samples=n_samples, n_used=0, rms_px=0.0, loto_px=None, per_target=(),
            bad_targets=bad, reference=fit.reference, pursuit_follow_r=follow_r,
        )

    @property
    def excluded_targets(self) -> tuple:
        """Indices of every bad target, dots (``bad_targets``) and smooth-pursuit
        segments, sorted: what other models fitted to the same calibration frames leave
        out."""
        return tuple(sorted(set(self.bad_targets) | {t.target_index for t in self.per_target if t.bad}))

    def predict(self, features: Features) -> tuple:
        """Gaze ``(x_px, y_px)`` for ``features`` (validity is the caller's concern: see
        ``usable``)."""
        return self.predict_vector(features.vector(), features.geometry())

    def usable(self, features: Features) -> bool:
        """True if ``features`` is valid and its eyes are open at least
        ``PREDICT_MIN_OPENNESS_FRACTION`` as wide as on average during calibration.

        Frames at the edges of a blink pass ``Features.valid`` (an absolute threshold
        that must hold for every face) but their lids, and so the vertical gaze, are far
        off; relative to the person's own calibration they stand out. Callers should
        skip frames for which this is False as they skip invalid ones.
        """
        if not features.valid:
            return False
        i = _I["openness"]
        return features.vector()[i] >= C.PREDICT_MIN_OPENNESS_FRACTION * self.input_mean[i]

    def predict_vector(self, inputs, geometry=()) -> tuple:
        """Gaze ``(x_px, y_px)`` for a ``Features.vector()``-shaped sequence and, for the
        geometric head model, a ``Features.geometry()``-shaped one (empty: the head at
        the calibration's distance and roll).

        The polynomial terms see each standardised input clamped to
        +-``PREDICT_MAX_Z``: beyond a few calibration standard deviations a polynomial
        only extrapolates noise (a half-closed lid would otherwise throw the gaze far
        off the screen).
        """
        d = [a - m for a, m in zip(inputs, self.input_mean)]
        lim = C.PREDICT_MAX_Z
        z = [min(max(a / s, -lim), lim) for a, s in zip(d, self.input_scale)]
        x = combine_terms(z, self._tx, self.coef_x)
        y = combine_terms(z, self._ty, self.coef_y)
        if self.reference is not None:
            x, y = self.reference.to_screen(x, y, geometry)
        x += dot(self.prior_x, d)
        y += dot(self.prior_y, d)
        ax, sx, ay, sy = self.correction
        return ax + sx * x, ay + sy * y

    def predict_sample(self, sample: CalibrationSample) -> tuple:
        """Gaze ``(x_px, y_px)`` for a stored calibration sample."""
        return self.predict_vector(sample.inputs, sample.geometry)

    def recentred(self, points) -> GazeModel:
        """A copy with a drift correction fitted to ``points``.

        ``points``: one or more ``(pred_x_px, pred_y_px, target_x_px, target_y_px)``:
        where *this* model puts the gaze (e.g. the mean over a second of looking) while
        the person looked at a known target. Per axis the correction is an offset
        (the mean miss); with 3 or more points spread over at least
        ``DRIFT_MIN_SCALE_SPREAD_PX`` on that axis, an offset and a scale (least
        squares, scale clamped to ``DRIFT_SCALE_LIMITS``). It composes with any
        correction this model already has. Raises InputError on no points, a point
        that is not 4 finite numbers.
        """
        pts = []
        for k, p in enumerate(points):
            if not isinstance(p, (list, tuple)) or len(p) != 4:
                raise InputError(f"points[{k}] must be (pred_x_px, pred_y_px, target_x_px, "
                                 f"target_y_px), got {p!r}")
            pts.append(tuple(_check.finite(v, f"points[{k}][{j}]") for j, v in enumerate(p)))
        if not pts:
            raise InputError("recentred needs at least one (predicted, target) point")
        ax, sx = _axis_correction([p[0] for p in pts], [p[2] for p in pts])
        ay, sy = _axis_correction([p[1] for p in pts], [p[3] for p in pts])
        x0, sx0, y0, sy0 = self.correction
        return dataclasses.replace(self, correction=(ax + sx * x0, sx * sx0, ay + sy * y0, sy * sy0))

    def summary(self) -> dict:
        """``{"n_targets", "n_samples", "n_used", "rms_px", "loto_px", "lam_x", "lam_y",
        "bad_targets": [indices], "per_target": [TargetFit dicts]}``; ``n_targets``
        counts every dot target with samples, bad ones included. With smooth-pursuit
        segments (``per_target`` entries from ``PURSUIT_FIRST_INDEX``; ``x_px``/``y_px``
        their mean target) also ``"pursuit": {"segments": used in the fit, "dropped":
        bad (too few samples, far off, or the whole pass when the eyes did not follow;
        never in ``bad_targets``), "samples": samples of the used segments in the fit,
        "follow_r": how well the eyes followed the dot (in [-1, 1], 3 decimals: the
        smaller per-axis correlation across segments between the dots' model's mean gaze
        and the dot's mean position; below ``PURSUIT_MIN_FOLLOW_R`` the whole pass was
        left out), or null when not judged (fewer than 4 usable segments, a dot that did
        not move on an axis, or no dots' model)}``."""
        pursuit = [t for t in self.per_target if t.target_index >= C.PURSUIT_FIRST_INDEX]
        extra = {}
        if pursuit:
            used = [t for t in pursuit if not t.bad]
            r = self.pursuit_follow_r
            extra["pursuit"] = {"segments": len(used), "dropped": len(pursuit) - len(used),
                                "samples": sum(t.n_used for t in used),
                                "follow_r": None if r is None else round(r, 3)}
        return {
            "n_targets": len(self.per_target) - len(pursuit),
            "n_samples": self.n_samples,
            "n_used": self.n_used,
            "rms_px": self.rms_px,
            "loto_px": self.loto_px,
            "lam_x": self.lam_x,
            "lam_y": self.lam_y,
            "bad_targets": list(self.bad_targets),
            "per_target": [t.to_dict() for t in self.per_target],
            **extra,
        }

    def to_dict(self) -> dict:
        ax, sx, ay, sy = self.correction
        return {
            "model": _MODEL,
            "version": _MODEL_VERSION,
            "inputs": list(self.inputs),
            "input_mean": list(self.input_mean),
            "input_scale": list(self.input_scale),
            "terms_x": list(self.terms_x),
            "terms_y": list(self.terms_y),
            "coef_x": list(self.coef_x),
            "coef_y": list(self.coef_y),
            "prior_x": list(self.prior_x),
            "prior_y": list(self.prior_y),
            "lam_x": self.lam_x,
            "lam_y": self.lam_y,
            "n_samples": self.n_samples,
            "n_used": self.n_used,
            "rms_px": self.rms_px,
            "loto_px": self.loto_px,
            "per_target": [t.to_dict() for t in self.per_target],
            "bad_targets": list(self.bad_targets),
            "correction": {"x_offset_px": ax, "x_scale": sx, "y_offset_px": ay, "y_scale": sy},
            "reference": None if self.reference is None else self.reference.to_dict(),
            "pursuit_follow_r": self.pursuit_follow_r,
        }

    @classmethod
    def from_dict(cls, d: dict) -> GazeModel:
        """Rebuild from ``to_dict`` output (this version or version 2, which has no
        ``reference``); raises InputError if anything is off, including a model made for
        other inputs (an older gazeheat: calibrate again)."""
        _check.require_keys(d, ("model", "version", "inputs", "input_mean", "input_scale", "terms_x", "terms_y",
                  "coef_x", "coef_y", "prior_x", "prior_y", "lam_x", "lam_y", "n_samples",
                  "n_used", "rms_px", "loto_px", "per_target", "bad_targets", "correction"),
              "calibration")
        if d["model"] != _MODEL or d["version"] not in _READ_VERSIONS:
            raise InputError(f"calibration.model must be {_MODEL!r} version "
                             f"{' or '.join(map(str, _READ_VERSIONS))}, got {d['model']!r} version "
                             f"{d['version']!r}: calibrate again")
        reference = None
        if d["version"] >= 3:
            _check.require_keys(d, ("reference",), "calibration")
            if d["reference"] is not None:
                reference = HeadReference.from_dict(d["reference"])
        if list(d["inputs"]) != list(VECTOR_NAMES):
            raise InputError(f"calibration.inputs {d['inputs']!r} are not this gazeheat's "
                             f"{list(VECTOR_NAMES)!r}: calibrate again")
        k = len(VECTOR_NAMES)
        scale = _check.finite_list(d["input_scale"], k, "calibration.input_scale")
        if min(scale) <= 0.0:
            raise InputError("calibration.input_scale values must be > 0")
        terms = []
        for key in ("terms_x", "terms_y"):
            t = d[key]
            if not isinstance(t, list) or not all(isinstance(v, str) for v in t):
                raise InputError(f"calibration.{key} must be a list of term names")
            for name in t:
                parse_term(name, VECTOR_NAMES)
            terms.append(tuple(t))
        for key in ("per_target", "bad_targets"):
            if not isinstance(d[key], list):
                raise InputError(f"calibration.{key} must be a list")
        c = d["correction"]
        _check.require_keys(c, ("x_offset_px", "x_scale", "y_offset_px", "y_scale"), "calibration.correction")
        loto = d["loto_px"]
        follow_r = d.get("pursuit_follow_r")  # optional: added later
        if follow_r is not None and not -1.0 <= _check.finite(follow_r, "calibration.pursuit_follow_r") <= 1.0:
            raise InputError(f"calibration.pursuit_follow_r must be in [-1, 1] or null, got {follow_r!r}")
        return cls(
            inputs=VECTOR_NAMES,
            input_mean=_check.finite_list(d["input_mean"], k, "calibration.input_mean"),
            input_scale=scale,
            terms_x=terms[0],
            terms_y=terms[1],
            coef_x=_check.finite_list(d["coef_x"], len(terms[0]), "calibration.coef_x"),
            coef_y=_check.finite_list(d["coef_y"], len(terms[1]), "calibration.coef_y"),
            prior_x=_check.finite_list(d["prior_x"], k, "calibration.prior_x"),
            prior_y=_check.finite_list(d["prior_y"], k, "calibration.prior_y"),
            lam_x=_check.non_negative(d["lam_x"], "calibration.lam_x"),
            lam_y=_check.non_negative(d["lam_y"], "calibration.lam_y"),
            n_samples=_check.non_negative_int(d["n_samples"], "calibration.n_samples"),
            n_used=_check.non_negative_int(d["n_used"], "calibration.n_used"),
            rms_px=_check.non_negative(d["rms_px"], "calibration.rms_px"),
            loto_px=None if loto is None else _check.non_negative(loto, "calibration.loto_px"),
            per_target=tuple(TargetFit.from_dict(t) for t in d["per_target"]),
            bad_targets=tuple(_check.non_negative_int(v, "calibration.bad_targets[]")
                              for v in d["bad_targets"]),
            correction=(_check.finite(c["x_offset_px"], "calibration.correction.x_offset_px"),
                        _check.finite(c["x_scale"], "calibration.correction.x_scale"),
                        _check.finite(c["y_offset_px"], "calibration.correction.y_offset_px"),
                        _check.finite(c["y_scale"], "calibration.correction.y_scale")),
            reference=reference,
            pursuit_follow_r=None if follow_r is None else float(follow_r),
        )

    def _with_errors(self, by_target: dict, cleaned: dict, fitted: set, loto: dict,
                     bad: set = frozenset()) -> GazeModel:
        """This model with training errors per target and overall, and the LOTO misses;
        ``bad``: every bad target, pursuit segments included (``bad_targets`` lists
        only the dots)."""
        squared, n_used, fits = 0.0, 0, []
        for index, group in sorted(by_target.items()):
            used = cleaned[index]
            errors = [math.hypot(x - s.target_x_px, y - s.target_y_px)
                      for s in used for x, y in (self.predict_sample(s),)]
            if index in fitted:
                squared += math.fsum(e * e for e in errors)
                n_used += len(used)
            x_px, y_px = group[0].target_x_px, group[0].target_y_px
            if index >= C.PURSUIT_FIRST_INDEX:  # a moving target: where it was on average
                x_px = math.fsum(s.target_x_px for s in group) / len(group)
                y_px = math.fsum(s.target_y_px for s in group) / len(group)
            fits.append(TargetFit(
                target_index=index, x_px=x_px, y_px=y_px,
                n_samples=len(group), mean_err_px=math.fsum(errors) / len(errors) if errors else 0.0,
                n_used=len(used) if index in fitted else 0, loto_err_px=loto.get(index),
                bad=index in self.bad_targets or index in bad,
            ))
        known = [loto[i] for i in fitted if loto.get(i) is not None]
        return dataclasses.replace(
            self, n_used=n_used, rms_px=math.sqrt(squared / n_used) if n_used else 0.0,
            loto_px=math.fsum(known) / len(known) if known else None, per_target=tuple(fits),
        )


# --- private helpers ---------------------------------------------------------------


@dataclass(frozen=True)
class _Fitted:
    """What ``_fit`` found: input means/scales, per axis (x, y) the coefficients, the
    head coefficients (``prior``) and the ridge strength; per target the LOTO miss (px,
    None if that refit was singular) and the standardised LOTO miss per axis (the miss
    over its expected spread ``sqrt(1 + leverage)``, in units of one target's own
    scatter); the geometric head model's reference (or None)."""

    mean: tuple
    scale: tuple
    coef: tuple
    prior: tuple
    lam: tuple
    loto: dict
    standard: dict
    reference: HeadReference | None = None


def _fit(groups: dict, lambdas: tuple, px_per_mm: float = C.CSS_PX_PER_MM, head: str = "linear") -> _Fitted:
    """Fit both axes to ``{target_index: [CalibrationSample]}`` (every group non-empty)
    with the head model ``head`` (see ``GazeModel.fit``)."""
    order = sorted(groups)
    samples = [s for i in order for s in groups[i]]
    # Every target weighs 1 in total, however many samples it kept.
    weights = tuple(1.0 / len(groups[s.target_index]) for s in samples)
    n_targets = len(order)
    columns = list(zip(*(s.inputs for s in samples)))
    mean = tuple(dot(c, weights) / n_targets for c in columns)
    scale = tuple(
        max(math.sqrt(max(dot([(v - m) ** 2 for v in c], weights), 0.0) / n_targets), _SCALE_FLOOR[name])
        for c, m, name in zip(columns, mean, VECTOR_NAMES)
    )
    plain = _plain(samples, weights, mean)
    reference = _reference(samples, weights, mean, plain, px_per_mm) if head == "geometric" else None
    if head == "none":
        prior = ((0.0,) * len(VECTOR_NAMES),) * 2
    else:
        distance = reference.head_z_mm if reference is not None else 10.0 * C.VIEWING_DISTANCE_CM
        prior = _priors(plain, px_per_mm, distance, 1.0 + C.EYE_CORNER_PARALLAX if head == "geometric" else 1.0)
    # Rows of each target in ``samples`` (contiguous, in ``order``).
    spans, start = [], 0
    for i in order:
        spans.append((i, start, start + len(groups[i])))
        start += len(groups[i])
    z = [[(v - m) / s for v, m, s in zip(smp.inputs, mean, scale)] for smp in samples]
    designs = [[tuple(term_value(row, t) for row in z) for t in (parse_term(name, VECTOR_NAMES) for name in terms)]
               for terms in (TERMS_X, TERMS_Y)]  # per axis: term columns
    # The geometric model adds the head's rotation as one more (ridge-penalised) column
    # per axis: what the calibration says about it corrects the geometric term. A head
    # that did not turn at all leaves nothing to fit (and a zero column).
    fitted = ()
    if head == "geometric":
        fitted = tuple(tuple(n for n in names if max(columns[_I[n]]) > min(columns[_I[n]])) for names in _HEAD_FITTED)
        for design, names in zip(designs, fitted):
            design.extend(tuple(row[_I[n]] for row in z) for n in names)
    # The main eye terms go unpenalised when their input really moved (spread above its
    # floor): a column that did not move needs the penalty to stay solvable.
    free = tuple(tuple(k for k, name in enumerate(terms) if name in _UNPENALISED[axis]
                       and scale[_I[name]] > _SCALE_FLOOR[name])
                 for axis, terms in enumerate((TERMS_X, TERMS_Y)))
    axes = _fit_axes(designs, samples, weights, spans, lambdas, mean, prior, reference, free)
    if fitted:
        prior, axes = _fold_head(prior, axes, scale, fitted)
    coefs, lams, misses, spreads, _ = zip(*axes)
    loto, standard = {}, {}
    for k, (index, _, _) in enumerate(spans):
        ex, ey = misses[0][k], misses[1][k]
        if ex is None or ey is None:
            loto[index] = standard[index] = None
        else:
            loto[index] = math.hypot(ex, ey)
            standard[index] = (ex / spreads[0][k], ey / spreads[1][k])
    return _Fitted(mean, scale, tuple(coefs), prior, tuple(lams), loto, standard, reference)


def _fit_axes(designs, samples, weights, spans, lambdas, mean, prior, reference, free=((), ())) -> list:
    """Per axis ``(coef, lam, LOTO misses, spreads, goals)`` (see ``_fit_axis``) for the
    goals the head model gives: each target moved by the head terms ``prior`` and, with
    a ``reference``, back to the reference head distance and roll. ``free``: per axis,
    the columns not penalised besides the intercept."""
    goals = []
    for smp in samples:
        d = [v - m for v, m in zip(smp.inputs, mean)]
        x, y = smp.target_x_px - dot(prior[0], d), smp.target_y_px - dot(prior[1], d)
        goals.append(reference.to_reference(x, y, smp.geometry) if reference is not None else (x, y))
    out = []
    for axis in (0, 1):
        targets = [smp.target_x_px if axis == 0 else smp.target_y_px for smp in samples]
        goal = [g[axis] for g in goals]
        offsets = [t - g for t, g in zip(targets, goal)]
        # Per target its coordinate; a pursuit segment's mean one (its LOTO miss is that
        # of the mean prediction, which is linear in the samples).
        values = [targets[a] if i < C.PURSUIT_FIRST_INDEX else math.fsum(targets[a:b]) / (b - a)
                  for i, a, b in spans]
        fitted = _fit_axis(designs[axis], goal, weights, offsets, spans, lambdas, values, free[axis])
        out.append((*fitted, goal))
    return out


def _fold_head(prior, axes, scale, fitted) -> tuple:
    """(prior, axes) with each axis's fitted head coefficients (the last ones, for the
    inputs named in ``fitted[axis]``) moved into the head terms (px per input unit),
    each kept within ``HEAD_GAIN_LIMITS`` times its geometric value.

    The geometric values assume the face pose reads the head's whole rotation and that
    the eye features see nothing but the eye's turn in the head. MediaPipe's face pose
    reads only part of a turn (~0.5-0.65 on our recordings), and its iris and eye-corner
    estimates follow the head's position and turn a little too. While the eyes rest on
    the targets the head keeps moving, so the calibration itself can tell: its ridge
    estimate is added, shrunk towards 0 (the geometric value) like every term when the
    head barely moved.
    """
    new, out = [list(prior[0]), list(prior[1])], []
    lo, hi = C.HEAD_GAIN_LIMITS
    for axis, names in enumerate(fitted):
        coef, lam, miss, spread, goal = axes[axis]
        extra = coef[len(coef) - len(names):]
        for name, c in zip(names, extra):
            i = _I[name]
            p = prior[axis][i]
            value = p + c / scale[i]
            new[axis][i] = min(max(value, min(lo * p, hi * p)), max(lo * p, hi * p))
        out.append((coef[:len(coef) - len(names)], lam, miss, spread, goal))
    return (tuple(new[0]), tuple(new[1])), out


def _fit_axis(design, goal, weights, offsets, spans, lambdas, target_values, free=()):
    """One axis: ridge coefficients at the LOTO-chosen strength, that strength, and per
    target at it the LOTO miss (px, signed) and its expected spread ``sqrt(1 +
    leverage)`` (both None where the refit was singular).

    ``design``: term columns (the first the intercept); ``goal``: target coordinate
    minus the prior offset, per sample; ``spans``: (index, first row, end row) per
    target; ``target_values``: each target's coordinate; ``free``: indices of columns
    that, like the intercept, are not penalised.
    """
    p = len(design)
    n_targets = len(spans)
    # Per-target normal-equation pieces: the full system minus one target's piece is
    # the system without that target, so LOTO needs no new sums.
    pieces = []
    for _, a, b in spans:
        cols = [c[a:b] for c in design]
        w = weights[a:b]
        pieces.append((gram(cols, w), cross(cols, w, goal[a:b]),
                       [math.fsum(c) / (b - a) for c in cols], math.fsum(offsets[a:b]) / (b - a)))
    total_a = [[math.fsum(pc[0][i][j] for pc in pieces) for j in range(p)] for i in range(p)]
    total_b = [math.fsum(pc[1][i] for pc in pieces) for i in range(p)]

    def system(a, lam, n):
        a = [row[:] for row in a]
        for i in range(1, p):  # column 0 is the intercept: not penalised, nor the free ones
            if i not in free:
                a[i][i] += lam * n
        return a

    best = None
    # Strongest first, and a weaker one must be better by more than 2 %: with few
    # targets the LOTO score is noisy, and the smoother model is the safer bet.
    for lam in sorted(lambdas, reverse=True):
        miss, spread = [], []
        for (a_t, b_t, m_t, o_t), value in zip(pieces, target_values):
            a = system([[x - y for x, y in zip(r, rt)] for r, rt in zip(total_a, a_t)], lam, n_targets - 1)
            b = [x - y for x, y in zip(total_b, b_t)]
            try:
                coef = gauss_solve([row[:] for row in a], b)
                # m_t A^-1 m_t: the variance of the refit's prediction at this target
                # in units of one target's own variance (large where it extrapolates).
                lever = dot(m_t, gauss_solve(a, list(m_t)))
            except CalibrationError:
                miss.append(None)
                spread.append(None)
                continue
            miss.append(dot(m_t, coef) + o_t - value)
            spread.append(math.sqrt(1.0 + max(lever, 0.0)))
        known = [m for m in miss if m is not None]
        score = math.sqrt(math.fsum(m * m for m in known) / len(known)) if known else math.inf
        if best is None or score < 0.98 * best[0]:
            best = (score, lam, miss, spread)
    _, lam, miss, spread = best
    return tuple(gauss_solve(system(total_a, lam, n_targets), list(total_b))), lam, miss, spread


def _outlying_targets(fit: _Fitted) -> list:
    """Targets whose LOTO miss is far beyond the others'.

    Each axis's standardised misses are divided by a robust scale (1.4826 x their
    median absolute value, i.e. the targets' typical scatter); a target is outlying
    when the resulting distance exceeds ``BAD_TARGET_LOTO_SDS`` and its miss is
    above ``BAD_TARGET_MIN_LOTO_PX``. Standardising first matters: corner targets are
    extrapolated by the refit and miss by more without anything being wrong.
    """
    known = {i: z for i, z in fit.standard.items() if z is not None}
    if len(known) < 4:
        return []
    scales = []
    for axis in (0, 1):
        typical = _MAD_TO_SD * _median([abs(z[axis]) for z in known.values()])
        scales.append(typical if typical > 0.0 else math.inf)
    return [i for i, z in known.items()
            if math.hypot(z[0] / scales[0], z[1] / scales[1]) > C.BAD_TARGET_LOTO_SDS
            and fit.loto[i] > C.BAD_TARGET_MIN_LOTO_PX]


def _plain(samples, weights, mean) -> float:
    """+1 for a plain camera image, -1 for a mirrored one.

    The iris moves towards image -x when the gaze moves right on the screen in a plain
    webcam image, towards +x in a mirrored one: the sign of the calibration's
    covariance between ``u`` and the target's x tells which.
    """
    iu = _I["u"]
    mx = dot([s.target_x_px for s in samples], weights) / math.fsum(weights)
    cov = dot([(s.inputs[iu] - mean[iu]) * (s.target_x_px - mx) for s in samples], weights)
    return 1.0 if cov <= 0.0 else -1.0


def _priors(plain: float, px_per_mm: float, distance_mm: float, gain: float = 1.0) -> tuple:
    """Head-term coefficients from geometry (px per input unit) for x and y: the gaze
    point moves with the head (1 mm per mm) and, by one degree of visual angle at
    ``distance_mm``, per degree of head rotation; both times ``gain`` (see
    ``EYE_CORNER_PARALLAX``). ``plain``: see ``_plain``; a mirrored image flips the
    horizontal terms."""
    px, py = [0.0] * len(VECTOR_NAMES), [0.0] * len(VECTOR_NAMES)
    px_per_mm = gain * px_per_mm
    per_deg = px_per_mm * distance_mm * math.tan(math.radians(1.0))
    # Plain image: the head moving to image +x (the subject's left) moves the gaze
    # point to screen -x; a yaw > 0 (face turned towards image +x) does the same.
    px[_I["head_x_mm"]] = -plain * px_per_mm
    px[_I["yaw_deg"]] = -plain * per_deg
    # Image +y is down, as on the screen; pitch > 0 turns the face down (MediaPipe's
    # face frame has z out of the face: R = Ry Rx Rz sends it to (.., -sin pitch, ..)).
    py[_I["head_y_mm"]] = px_per_mm
    py[_I["pitch_deg"]] = per_deg
    return tuple(px), tuple(py)


def _reference(samples, weights, mean, plain: float, px_per_mm: float) -> HeadReference | None:
    """The calibration's head pose (``HeadReference``), or None when a sample lacks its
    geometry or the distances are not all > 0."""
    if not all(len(s.geometry) == len(GEOMETRY_NAMES) and s.geometry[0] > 0.0 for s in samples):
        return None
    total = math.fsum(weights)
    z = dot([s.geometry[0] for s in samples], weights) / total
    roll = dot([s.geometry[1] for s in samples], weights) / total
    mx = dot([s.target_x_px for s in samples], weights) / total
    # The camera sits above the pattern's centre; the eyes are (head_x, head_y) mm from
    # its axis (image +x is screen -x in a plain image).
    cx = mx - plain * mean[_I["head_x_mm"]] * px_per_mm
    cy = (mean[_I["head_y_mm"]] - C.CAMERA_ABOVE_VIEWPORT_MM) * px_per_mm
    return HeadReference(cx, cy, z, roll, plain, px_per_mm)


def _off_the_dots(usable: dict, fit_dots) -> tuple:
    """Pursuit segments of ``usable`` the eyes did not follow, judged by the model fitted
    to the dots alone: ``({index: miss px}, follow_r)``, the miss being the distance
    between the segment's mean gaze by that model and the dot's mean position.

    First the whole pass (``_follow_r``, model-free: no threshold in px): below
    ``PURSUIT_MIN_FOLLOW_R`` every segment is off. Otherwise (or not judged: follow_r
    None) a segment is off when it misses by more than ``PURSUIT_MISS_DOT_MEDIANS``
    times the dots' median LOTO miss, and at least ``PURSUIT_MISS_FLOOR_PX``.
    ``fit_dots``: dot groups -> ``_Fitted``.
    ``({}, None)`` without pursuit segments, or when the dots alone cannot be fitted
    (the LOTO rule then judges every target)."""
    dots = {i: g for i, g in usable.items() if i < C.PURSUIT_FIRST_INDEX}
    if len(dots) == len(usable):
        return {}, None
    try:
        fitted = fit_dots(dots)
    except CalibrationError:
        return {}, None
    model = GazeModel._of(fitted, sum(len(g) for g in dots.values()))
    means = {i: _segment_means(model, g) for i, g in usable.items() if i >= C.PURSUIT_FIRST_INDEX}
    misses = {i: math.hypot(px - tx, py - ty) for i, (px, py, tx, ty) in means.items()}
    follow_r = _follow_r(list(means.values()))
    if follow_r is not None and follow_r < C.PURSUIT_MIN_FOLLOW_R:
        return misses, follow_r
    known = [v for v in fitted.loto.values() if v is not None]
    limit = max(C.PURSUIT_MISS_FLOOR_PX, C.PURSUIT_MISS_DOT_MEDIANS * _median(known) if known else 0.0)
    return {i: m for i, m in misses.items() if m > limit}, follow_r


def _segment_means(model, group: list) -> tuple:
    """``(gaze_x, gaze_y, target_x, target_y)`` px: the mean of ``model``'s gaze over the
    samples of ``group`` (non-empty) and the mean of their targets."""
    n = len(group)
    predicted = [model.predict_sample(s) for s in group]
    return (math.fsum(p[0] for p in predicted) / n, math.fsum(p[1] for p in predicted) / n,
            math.fsum(s.target_x_px for s in group) / n, math.fsum(s.target_y_px for s in group) / n)


def _follow_r(means: list) -> float | None:
    """How well the gaze followed the moving dot over a whole pursuit pass, in [-1, 1]:
    per screen axis the Pearson correlation, across segments, between the mean gaze and
    the mean target (``means``: ``_segment_means`` tuples), and the smaller of the two.

    Model-free: a dots' model off by an affine map (scale, offset) leaves r near 1,
    eyes that stayed put or wandered give r near 0 however large the dots' misses are.
    None (not judged) with fewer than ``_FOLLOW_MIN_SEGMENTS`` segments or targets that
    do not vary on an axis (nothing to correlate with); a gaze that does not vary at
    all on an axis did not follow: r = 0 there."""
    if len(means) < _FOLLOW_MIN_SEGMENTS:
        return None
    rs = []
    for axis in (0, 1):
        gaze, target = [m[axis] for m in means], [m[axis + 2] for m in means]
        if min(target) == max(target):
            return None
        r = _correlation(gaze, target)
        rs.append(0.0 if r is None else r)
    return min(rs)


def _correlation(a: list, b: list) -> float | None:
    """Pearson correlation of two equally long sequences of floats, in [-1, 1]; None
    when there are fewer than 2 values or either sequence is constant (undefined)."""
    n = len(a)
    if n < 2 or min(a) == max(a) or min(b) == max(b):
        return None
    ma, mb = math.fsum(a) / n, math.fsum(b) / n
    da, db = [v - ma for v in a], [v - mb for v in b]
    saa, sbb = math.fsum(v * v for v in da), math.fsum(v * v for v in db)
    if saa <= 0.0 or sbb <= 0.0:  # differences so tiny that their squares underflow
        return None
    r = math.fsum(x * y for x, y in zip(da, db)) / math.sqrt(saa * sbb)
    return min(max(r, -1.0), 1.0)  # rounding can step just past 1


def _enough_samples(cleaned: dict) -> dict:
    """The targets of ``{index: cleaned samples}`` with enough samples: at least
    ``MIN_TARGET_SAMPLES`` and ``MIN_TARGET_SAMPLES_FRACTION`` of the median target's.
    Dots and pursuit segments are compared with their own kind: a segment lasts
    ``PURSUIT_SEGMENT_MS``, much shorter than a dot is looked at."""
    usable = {}
    for pursuit in (False, True):
        groups = {i: g for i, g in cleaned.items() if (i >= C.PURSUIT_FIRST_INDEX) == pursuit}
        if groups:
            need = max(C.MIN_TARGET_SAMPLES,
                       C.MIN_TARGET_SAMPLES_FRACTION * _median([len(g) for g in groups.values()]))
            usable.update((i, g) for i, g in groups.items() if len(g) >= need)
    return dict(sorted(usable.items()))


def _clean(group: list) -> list:
    """One target's samples without blink edges and robust outliers (order kept)."""
    io = _I["openness"]
    floor = C.CALIBRATION_OPENNESS_FRACTION * _median([s.inputs[io] for s in group])
    kept = [s for s in group if s.inputs[io] >= floor]
    for name in _OUTLIER_INPUTS:
        i = _I[name]
        values = [s.inputs[i] for s in kept]
        if not values:
            break
        centre = _median(values)
        limit = C.CALIBRATION_OUTLIER_MADS * _MAD_TO_SD * _median([abs(v - centre) for v in values])
        if limit > 0.0:  # zero spread (identical samples): nothing to call an outlier
            kept = [s for s in kept if abs(s.inputs[i] - centre) <= limit]
    return kept


def _axis_correction(predicted: list, target: list) -> tuple:
    """(offset, scale) with ``target ~ offset + scale * predicted`` (see ``recentred``)."""
    n = len(predicted)
    mp, mt = math.fsum(predicted) / n, math.fsum(target) / n
    if n >= 3 and max(target) - min(target) >= C.DRIFT_MIN_SCALE_SPREAD_PX:
        var = math.fsum((p - mp) ** 2 for p in predicted)
        if var > 0.0:
            cov = math.fsum((p - mp) * (t - mt) for p, t in zip(predicted, target))
            lo, hi = C.DRIFT_SCALE_LIMITS
            scale = min(max(cov / var, lo), hi)
            return mt - scale * mp, scale
    return mt - mp, 1.0


def _median(values) -> float:
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def _spread(count: int, margin: float, size: float) -> list:
    if count == 1:
        return [0.5 * size]
    step = (1.0 - 2.0 * margin) / (count - 1)
    return [(margin + i * step) * size for i in range(count)]

