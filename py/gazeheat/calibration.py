"""Calibration: targets, sample collection and the feature-to-screen gaze model.

The page shows targets (``grid_targets``); while the person looks at target ``i``
every frame's ``Features`` goes to a ``CalibrationCollector``; ``GazeModel.fit`` then
maps ``Features.vector() = (u, v, yaw_deg, pitch_deg)`` to screen px with a
second-order polynomial fitted by ridge regression (``ridge_solve``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from operator import mul

from . import _check
from . import constants as C
from .errors import CalibrationError, InputError
from .features import VECTOR_NAMES, Features

__all__ = [
    "Target",
    "CalibrationSample",
    "CalibrationCollector",
    "TargetFit",
    "GazeModel",
    "TERM_NAMES",
    "grid_targets",
    "ridge_solve",
]

#: Regression terms of ``GazeModel`` in order; ``zu`` etc. are the standardised
#: inputs (see ``GazeModel``).
TERM_NAMES = ("1", "zu", "zv", "zu^2", "zv^2", "zu*zv", "zyaw", "zpitch")

# Smallest scale used to standardise each input of VECTOR_NAMES (u and v in eye
# widths, yaw and pitch in degrees). An input that did not move during calibration
# (a perfectly still head, a constant matrix) has zero spread; and one that barely
# moved has a coefficient fitted mostly to noise. Flooring the scale avoids the
# division by zero and leaves such a term with a small standardised spread, so the
# ridge penalty shrinks its poorly determined coefficient harder.
_SCALE_FLOOR = (0.005, 0.005, 2.0, 2.0)


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

    ``inputs`` is ``Features.vector()`` (named by ``features.VECTOR_NAMES``).
    """

    t_ms: float
    target_index: int
    target_x_px: float
    target_y_px: float
    inputs: tuple


@dataclass(frozen=True)
class TargetFit:
    """Training error of a fitted model at one target (px)."""

    target_index: int
    x_px: float
    y_px: float
    n_samples: int
    mean_err_px: float

    def to_dict(self) -> dict:
        return {
            "target_index": self.target_index,
            "x_px": self.x_px,
            "y_px": self.y_px,
            "n_samples": self.n_samples,
            "mean_err_px": self.mean_err_px,
        }

    @classmethod
    def from_dict(cls, d: dict) -> TargetFit:
        """Raises InputError on missing or bad fields."""
        _need(d, ("target_index", "x_px", "y_px", "n_samples", "mean_err_px"), "per_target")
        return cls(
            target_index=_check.non_negative_int(d["target_index"], "per_target.target_index"),
            x_px=_check.finite(d["x_px"], "per_target.x_px"),
            y_px=_check.finite(d["y_px"], "per_target.y_px"),
            n_samples=_check.non_negative_int(d["n_samples"], "per_target.n_samples"),
            mean_err_px=_check.finite(d["mean_err_px"], "per_target.mean_err_px"),
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
    # Normal equations; fsum keeps the dot products exact to ~1 ulp.
    a = [[0.0] * p for _ in range(p)]
    for i in range(p):
        for j in range(i, p):
            a[i][j] = a[j][i] = math.fsum(map(mul, cols[i], cols[j]))
        if i != intercept_col:
            a[i][i] += lam
    b = [math.fsum(map(mul, cols[i], yv)) for i in range(p)]
    return _gauss_solve(a, b)


class CalibrationCollector:
    """Collects calibration samples, skipping each target's settling time.

    A sample is kept only if its features are valid and it comes at least
    ``settle_ms`` after its target started. A target starts at the time given to
    ``start_target`` or else at the first sample seen for that target index.
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
        if not features.valid or t_ms - start < self.settle_ms:
            return False
        self._samples.append(CalibrationSample(t_ms, index, x, y, features.vector()))
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


@dataclass(frozen=True)
class GazeModel:
    """Fitted map from ``Features.vector()`` to viewport CSS px.

    Each input ``i`` of ``(u, v, yaw_deg, pitch_deg)`` is standardised,
    ``z_i = (input_i - input_mean[i]) / input_scale[i]`` (scale = training std,
    floored), and the terms ``TERM_NAMES = (1, zu, zv, zu^2, zv^2, zu*zv, zyaw,
    zpitch)`` are combined with ``coef_x`` / ``coef_y``. Centring before squaring
    keeps the quadratic terms from being collinear with the linear ones.

    ``lam`` is the ridge strength per sample; ``rms_px`` the training RMS distance
    between prediction and target; ``per_target`` the training error per target.
    """

    input_mean: tuple
    input_scale: tuple
    coef_x: tuple
    coef_y: tuple
    lam: float
    n_samples: int
    rms_px: float
    per_target: tuple

    @classmethod
    def fit(cls, source, lam=C.RIDGE_LAMBDA, min_targets=C.MIN_CALIBRATION_TARGETS) -> GazeModel:
        """Fit to a ``CalibrationCollector`` or an iterable of ``CalibrationSample``.

        Raises CalibrationError if fewer than ``min_targets`` distinct targets have
        samples or the regression is singular; InputError on a bad ``lam``.
        """
        samples = list(source.samples if isinstance(source, CalibrationCollector) else source)
        lam = _check.non_negative(lam, "lam")
        n_targets = len({s.target_index for s in samples})
        if n_targets < min_targets:
            raise CalibrationError(
                f"need samples at {min_targets} or more targets, got {n_targets} "
                f"({len(samples)} samples); look at each target until it disappears"
            )
        n = len(samples)
        k = len(VECTOR_NAMES)
        mean, scale = [], []
        for i in range(k):
            column = [s.inputs[i] for s in samples]
            m = math.fsum(column) / n
            sd = math.sqrt(math.fsum((c - m) ** 2 for c in column) / n)
            mean.append(m)
            scale.append(max(sd, _SCALE_FLOOR[i]))
        design = [_terms(s.inputs, mean, scale) for s in samples]
        # lam is per sample so the fit does not loosen as calibration gets longer.
        coef_x = ridge_solve(design, [s.target_x_px for s in samples], lam * n)
        coef_y = ridge_solve(design, [s.target_y_px for s in samples], lam * n)
        model = cls(tuple(mean), tuple(scale), tuple(coef_x), tuple(coef_y), lam, n, 0.0, ())
        return model._with_training_error(samples, design)

    def predict(self, features: Features) -> tuple:
        """Gaze ``(x_px, y_px)`` for ``features`` (validity is the caller's concern)."""
        return self.predict_vector(features.vector())

    def predict_vector(self, inputs) -> tuple:
        """Gaze ``(x_px, y_px)`` for a ``Features.vector()``-shaped tuple."""
        t = _terms(inputs, self.input_mean, self.input_scale)
        return sum(map(mul, t, self.coef_x)), sum(map(mul, t, self.coef_y))

    def summary(self) -> dict:
        """``{"n_targets", "n_samples", "rms_px", "per_target": [TargetFit dicts]}``."""
        return {
            "n_targets": len(self.per_target),
            "n_samples": self.n_samples,
            "rms_px": self.rms_px,
            "per_target": [t.to_dict() for t in self.per_target],
        }

    def to_dict(self) -> dict:
        return {
            "model": "poly2-ridge",
            "inputs": list(VECTOR_NAMES),
            "terms": list(TERM_NAMES),
            "input_mean": list(self.input_mean),
            "input_scale": list(self.input_scale),
            "coef_x": list(self.coef_x),
            "coef_y": list(self.coef_y),
            "lam": self.lam,
            "n_samples": self.n_samples,
            "rms_px": self.rms_px,
            "per_target": [t.to_dict() for t in self.per_target],
        }

    @classmethod
    def from_dict(cls, d: dict) -> GazeModel:
        """Rebuild from ``to_dict`` output; raises InputError if anything is off."""
        _need(d, ("model", "input_mean", "input_scale", "coef_x", "coef_y", "lam",
                  "n_samples", "rms_px", "per_target"), "calibration")
        if d["model"] != "poly2-ridge":
            raise InputError(f"calibration.model must be 'poly2-ridge', got {d['model']!r}")
        k, p = len(VECTOR_NAMES), len(TERM_NAMES)
        scale = _floats(d["input_scale"], k, "calibration.input_scale")
        if min(scale) <= 0.0:
            raise InputError("calibration.input_scale values must be > 0")
        if not isinstance(d["per_target"], list):
            raise InputError("calibration.per_target must be a list")
        return cls(
            input_mean=_floats(d["input_mean"], k, "calibration.input_mean"),
            input_scale=scale,
            coef_x=_floats(d["coef_x"], p, "calibration.coef_x"),
            coef_y=_floats(d["coef_y"], p, "calibration.coef_y"),
            lam=_check.non_negative(d["lam"], "calibration.lam"),
            n_samples=_check.non_negative_int(d["n_samples"], "calibration.n_samples"),
            rms_px=_check.non_negative(d["rms_px"], "calibration.rms_px"),
            per_target=tuple(TargetFit.from_dict(t) for t in d["per_target"]),
        )

    def _with_training_error(self, samples: list, design: list) -> GazeModel:
        squared = 0.0
        per: dict = {}
        for s, t in zip(samples, design, strict=True):
            x, y = sum(map(mul, t, self.coef_x)), sum(map(mul, t, self.coef_y))
            err = math.hypot(x - s.target_x_px, y - s.target_y_px)
            squared += err * err
            acc = per.setdefault(s.target_index, [s.target_x_px, s.target_y_px, 0, 0.0])
            acc[2] += 1
            acc[3] += err
        fits = tuple(
            TargetFit(i, a[0], a[1], a[2], a[3] / a[2]) for i, a in sorted(per.items())
        )
        return GazeModel(
            self.input_mean, self.input_scale, self.coef_x, self.coef_y, self.lam,
            self.n_samples, math.sqrt(squared / len(samples)), fits,
        )


# --- private helpers ---------------------------------------------------------------


def _spread(count: int, margin: float, size: float) -> list:
    if count == 1:
        return [0.5 * size]
    step = (1.0 - 2.0 * margin) / (count - 1)
    return [(margin + i * step) * size for i in range(count)]


def _terms(inputs, mean, scale) -> tuple:
    zu = (inputs[0] - mean[0]) / scale[0]
    zv = (inputs[1] - mean[1]) / scale[1]
    zyaw = (inputs[2] - mean[2]) / scale[2]
    zpitch = (inputs[3] - mean[3]) / scale[3]
    return (1.0, zu, zv, zu * zu, zv * zv, zu * zv, zyaw, zpitch)


def _gauss_solve(a: list, b: list) -> list:
    """Solve ``a x = b`` in place by Gaussian elimination with partial pivoting."""
    p = len(b)
    # Pivots below this are treated as zero: rounding noise relative to the matrix.
    tiny = 1e-12 * max(abs(v) for row in a for v in row)
    if tiny == 0.0:
        raise CalibrationError("regression matrix is all zeros")
    for col in range(p):
        pivot = max(range(col, p), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) <= tiny:
            raise CalibrationError(
                f"regression is singular at term {col}: calibration inputs are degenerate "
                "(e.g. the eyes did not move between targets)"
            )
        if pivot != col:
            a[col], a[pivot] = a[pivot], a[col]
            b[col], b[pivot] = b[pivot], b[col]
        head = a[col]
        inv = 1.0 / head[col]
        for r in range(col + 1, p):
            f = a[r][col] * inv
            if f != 0.0:
                row = a[r]
                for c in range(col, p):
                    row[c] -= f * head[c]
                b[r] -= f * b[col]
    x = [0.0] * p
    for r in range(p - 1, -1, -1):
        s = b[r] - math.fsum(a[r][c] * x[c] for c in range(r + 1, p))
        x[r] = s / a[r][r]
    if not all(math.isfinite(v) for v in x):
        raise CalibrationError("regression produced non-finite coefficients")
    return x


def _floats(values, length: int, name: str) -> tuple:
    if not isinstance(values, (list, tuple)) or len(values) != length:
        raise InputError(f"{name} must be a list of {length} numbers")
    return tuple(_check.finite(v, f"{name}[{i}]") for i, v in enumerate(values))


def _need(d, names: tuple, what: str) -> None:
    if not isinstance(d, dict):
        raise InputError(f"{what} must be a dict, got {type(d).__name__}")
    for name in names:
        if name not in d:
            raise InputError(f"{what} is missing {name!r}")
