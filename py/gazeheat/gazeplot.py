"""Gaze plots: numbered fixation circles joined by saccade lines, over the stimulus.

Fixations (viewport CSS px) are mapped to the stimulus's native px with its
``StimulusGeometry`` and drawn in time order: first every saccade line (from each
fixation's centre to the next), then the circles (later ones on top), then the
numbers (1 = the first fixation, matching the ``index`` column of the fixations
CSV), so no circle hides a number.

Circle size. ``sizing="sqrt"`` (default): the circle's *area* is proportional to the
fixation's duration, ``radius = max_radius * sqrt(duration / longest)``, which is how
the eye compares circles; ``"linear"``: the radius is. ``max_radius`` is
``max_radius_deg`` of visual angle (the longest fixation), no circle smaller than
``GAZEPLOT_MIN_RADIUS_FRACTION`` of it. Numbers are white with a dark outline in a
5x7 bitmap font scaled with the circles. Edges are anti-aliased (``_raster``);
circle centres are rounded to whole pixels.
"""

from __future__ import annotations

import math

from . import _check, _raster
from . import constants as C
from .errors import InputError
from .fixations import as_fixations
from .png import encode_png
from .stimulus import StimulusGeometry

__all__ = ["SIZINGS", "render_gazeplot", "circle_radii"]

#: How circle radii follow fixation durations.
SIZINGS = ("sqrt", "linear")

_LINE = _raster.Paint((50, 50, 50), 0.8)
_FILL = _raster.Paint((31, 119, 180), C.GAZEPLOT_FILL_OPACITY)
_RING = _raster.Paint((255, 255, 255), 1.0)
_DIGITS = _raster.Paint((255, 255, 255), 1.0)
_OUTLINE = _raster.Paint((20, 20, 20), 1.0)


def circle_radii(durations_ms, max_radius_px: float, sizing="sqrt") -> list:
    """Radius (px) per fixation duration: see the module docstring. Durations >= 0;
    all zero gives the smallest radius. Raises InputError on a bad sizing."""
    if sizing not in SIZINGS:
        raise InputError(f"sizing must be one of {', '.join(SIZINGS)}, got {sizing!r}")
    longest = max(durations_ms, default=0.0)
    smallest = max_radius_px * C.GAZEPLOT_MIN_RADIUS_FRACTION
    radii = []
    for d in durations_ms:
        f = d / longest if longest > 0.0 else 0.0
        r = max_radius_px * (math.sqrt(f) if sizing == "sqrt" else f)
        radii.append(max(r, smallest))
    return radii


def render_gazeplot(fixations, geometry: StimulusGeometry, stimulus_rgba=None, *,
                    px_per_deg=C.DEFAULT_PX_PER_DEG, sizing="sqrt",
                    max_radius_deg=C.GAZEPLOT_MAX_RADIUS_DEG) -> bytes:
    """PNG at the stimulus's native size: the gaze plot of ``fixations`` over it.

    ``fixations``: ``Fixation`` records or their dicts, in time order.
    ``stimulus_rgba``: ``width_px * height_px * 4`` RGBA bytes, or None for white
    (transparent pixels are laid over white; the result is opaque).
    ``px_per_deg`` (> 0): CSS px per degree; ``max_radius_deg`` (> 0): radius of the
    longest fixation's circle. Raises InputError on bad arguments, a malformed
    fixation (naming its index) or a wrong stimulus byte count.
    """
    if not isinstance(geometry, StimulusGeometry):
        raise InputError(f"geometry must be a StimulusGeometry, got {type(geometry).__name__}")
    ppd = _check.positive(px_per_deg, "px_per_deg", " px/deg")
    max_deg = _check.positive(max_radius_deg, "max_radius_deg", " deg")
    records = as_fixations(fixations)
    width, height = geometry.width_px, geometry.height_px
    canvas = _raster.Canvas(width, height,
                            bytearray(_raster.opaque_rgba(stimulus_rgba, width, height)))
    # A degree is scale_x native px across and scale_y down; circles use the mean.
    max_radius = max_deg * ppd * math.sqrt(geometry.scale_x * geometry.scale_y)
    radii = circle_radii([f.duration_ms for f in records], max_radius, sizing)
    centres = [tuple(round(v) for v in geometry.to_stimulus(f.x, f.y)) for f in records]
    line_half = max(0.75, max_radius / 40.0)
    ring = max(2.0, max_radius / 25.0)
    font = max(1, round(max_radius / 25.0))
    for (ax, ay), (bx, by) in zip(centres, centres[1:]):
        canvas.segment(ax, ay, bx, by, line_half, _LINE)
    for (cx, cy), r in zip(centres, radii):
        # The fill ends mid-ring: the opaque ring hides its edge, which therefore
        # needs no anti-aliasing.
        canvas.disc(cx, cy, r - ring / 2.0, _FILL, smooth=False)
        canvas.ring(cx, cy, r, r - ring, _RING)
    for number, (cx, cy) in enumerate(centres, start=1):
        canvas.text(cx, cy, str(number), font, _DIGITS, outline=_OUTLINE)
    return encode_png(width, height, canvas.rgba, fast=True)
