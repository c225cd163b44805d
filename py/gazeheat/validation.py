"""Validation: how far the gaze lands from targets the model never saw.

Per target, from the samples after the eyes have settled: **accuracy** is the distance
between the target and the mean gaze (the systematic offset), **precision** the RMS of
sample-to-sample distances (jitter), and the **mean error** the mean distance of the
samples from the target (offset and jitter together: how far one gaze sample lands
from where the person looked), each in CSS px and in degrees of visual angle at
``px_per_deg``. Overall values are means over the targets; the grade puts the overall
accuracy into words people understand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import _check
from . import constants as C
from .calibration import Target
from .errors import CalibrationError

__all__ = ["TargetValidation", "Validation", "validate_gaze", "grade", "validation_targets",
           "VALIDATION_POINTS"]

#: Validation targets as fractions of the viewport: inside the calibrated area but on
#: none of the 9-, 13- or 16-point patterns' targets, so the model is measured where
#: it interpolates, on points it never saw.
VALIDATION_POINTS = ((0.2, 0.3), (0.8, 0.3), (0.5, 0.75), (0.3, 0.55), (0.7, 0.55))

#: Grades by overall accuracy (deg): (upper bound, word). WebGazer measures ~4 deg.
GRADES = ((1.0, "excellent"), (2.0, "good"), (3.5, "fair"), (math.inf, "poor"))


@dataclass(frozen=True)
class TargetValidation:
    """One validation target's result (positions in CSS px of the viewport)."""

    target_index: int
    x_px: float
    y_px: float
    n_samples: int
    mean_x_px: float
    mean_y_px: float
    accuracy_px: float
    accuracy_deg: float
    precision_px: float
    precision_deg: float
    mean_error_px: float
    mean_error_deg: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Validation:
    """Overall result: means over the targets that had samples."""

    targets: tuple
    accuracy_px: float
    accuracy_deg: float
    precision_px: float
    precision_deg: float
    px_per_deg: float
    grade: str
    mean_error_px: float
    mean_error_deg: float

    def to_dict(self) -> dict:
        return {"targets": [t.to_dict() for t in self.targets], "accuracy_px": self.accuracy_px,
                "accuracy_deg": self.accuracy_deg, "precision_px": self.precision_px,
                "precision_deg": self.precision_deg, "px_per_deg": self.px_per_deg,
                "grade": self.grade, "mean_error_px": self.mean_error_px,
                "mean_error_deg": self.mean_error_deg}


def validation_targets(width_px, height_px) -> list:
    """The validation targets (``calibration.Target``) for a viewport in CSS px."""
    w = _check.positive(width_px, "width_px", " px")
    h = _check.positive(height_px, "height_px", " px")
    return [Target(fx * w, fy * h) for fx, fy in VALIDATION_POINTS]


def grade(accuracy_deg: float) -> str:
    """The word for an overall accuracy in degrees."""
    return next(word for bound, word in GRADES if accuracy_deg < bound)


def validate_gaze(targets, px_per_deg: float = C.DEFAULT_PX_PER_DEG) -> Validation:
    """``targets``: iterable of ``(target_index, x_px, y_px, samples)`` where samples are
    ``(t_ms, x_px, y_px)`` gaze points recorded while that target was shown and the eyes
    had settled (the caller drops the first few hundred ms); None x/y are skipped.

    Raises CalibrationError if no target has a sample; InputError on a bad px_per_deg.
    """
    px_per_deg = _check.positive(px_per_deg, "px_per_deg")
    results = []
    for index, tx, ty, samples in targets:
        points = [(x, y) for _, x, y in samples if x is not None and y is not None]
        if not points:
            continue
        mx = math.fsum(p[0] for p in points) / len(points)
        my = math.fsum(p[1] for p in points) / len(points)
        accuracy = math.hypot(mx - tx, my - ty)
        steps = [math.hypot(b[0] - a[0], b[1] - a[1]) ** 2 for a, b in zip(points, points[1:])]
        precision = math.sqrt(math.fsum(steps) / len(steps)) if steps else 0.0
        error = math.fsum(math.hypot(x - tx, y - ty) for x, y in points) / len(points)
        results.append(TargetValidation(index, tx, ty, len(points), mx, my, accuracy,
                                        accuracy / px_per_deg, precision, precision / px_per_deg,
                                        error, error / px_per_deg))
    if not results:
        raise CalibrationError("no validation target has gaze samples (face not found?)")
    n = len(results)
    accuracy_px = math.fsum(r.accuracy_px for r in results) / n
    precision_px = math.fsum(r.precision_px for r in results) / n
    error_px = math.fsum(r.mean_error_px for r in results) / n
    return Validation(tuple(results), accuracy_px, accuracy_px / px_per_deg, precision_px,
                      precision_px / px_per_deg, px_per_deg, grade(accuracy_px / px_per_deg),
                      error_px, error_px / px_per_deg)
