"""Heatmaps over several sessions of one stimulus, selection by validation error, and
side-by-side comparison of two groups on one colour scale.

**Same stimulus.** Sessions are aggregated only when they share a
``session.stimulus_key`` (the embedded picture's sha256, else the stimulus's kind,
name and native size, else the viewport size); otherwise InputError. Each session
has its own viewport, stimulus rectangle and ``px_per_deg`` (participants may have
had other screens): every session's points are mapped into the stimulus's native
px with its own geometry, ``stim = (x - rect_x_px) * width_px / rect_w_px`` (same
for y), onto one map of the stimulus's native size (or the size of the picture
given, ``size_px``).

**Weighting** (``WEIGHTINGS``). ``"equal"`` (default): each participant weighs the
same: within a session the points are weighed as ``heatmap``'s ``"relative"``
weighting (shares of the session's fixation or gaze time, summing to 1), then
divided by the number of sessions with any gaze, so the map is the mean share per
participant (in %) and groups of different sizes compare. ``"time"``: seconds of
fixation (or gaze), summed over the sessions: long viewers count more. Sessions
with no fixation (or no valid sample) add nothing and are not counted.

**Kernel.** A single Gaussian of ``sigma_deg`` degrees for the whole map, in native
px: per session ``sigma_deg * px_per_deg * sqrt(kx * ky)`` where ``kx, ky`` are its
native px per CSS px; the map uses the **median** over the sessions. One kernel is
needed because the densities are summed on one grid; the median keeps one
participant with an odd screen or distance from widening or narrowing everyone's
kernel, and with one screen setup it is exactly that setup's sigma. The geometric
mean of ``kx`` and ``ky`` makes the kernel round (stimuli are shown at their aspect
ratio; a stretched one gets the mean scale).

**Selection.** ``select_sessions`` keeps sessions whose validation accuracy
(``validation.accuracy_deg``) is at most ``max_error_deg`` and names the reason for
each one left out.

**Comparison.** ``compare_densities`` computes both groups' maps and one style
whose absolute scale is the larger of the two maxima, so a colour means the same
value on both sides; one legend serves both.

Rendering reuses ``gazeheat.heatmap`` (``density_map``, ``HeatmapStyle``, the
render functions). Cost: O(points) per session to map and weigh, plus one
density map.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from itertools import repeat
from operator import mul, sub
from statistics import median

from . import _check
from . import constants as C
from .errors import FormatError, InputError
from .heatmap import (
    SOURCES,
    DensityMap,
    HeatmapStyle,
    WeightedPoints,
    density_map,
    render_heatmap_coarse,
    render_heatmap_only,
    render_heatmap_overlay,
)
from .session import session_fixations, session_px_per_deg, stimulus_key
from .stimulus import StimulusGeometry

__all__ = [
    "WEIGHTINGS",
    "OUTPUTS",
    "Exclusion",
    "AggregateMap",
    "session_label",
    "select_sessions",
    "aggregate_density",
    "compare_densities",
    "shared_scale",
    "render_density",
]

#: How sessions are weighed against each other (see the module docstring).
WEIGHTINGS = ("equal", "time")
#: What ``render_density`` draws: full size over the stimulus (or white), full size
#: over transparency, or one pixel per grid cell (the page's fast path).
OUTPUTS = ("overlay", "heatmap", "coarse")

# Aggregate weighting -> the per-session heatmap weighting it is built on.
_SESSION_WEIGHTING = {"equal": "relative", "time": "duration"}


@dataclass(frozen=True)
class Exclusion:
    """A session left out: its ``index`` in the list given, a ``label`` for people
    (``session_label``) and the ``reason``, e.g. ``"validation 2.3° > 2.0°"``."""

    index: int
    label: str
    reason: str

    def to_dict(self) -> dict:
        return {"index": self.index, "label": self.label, "reason": self.reason}


@dataclass(frozen=True)
class AggregateMap:
    """An aggregate density (``aggregate_density``).

    ``density``: the map over the stimulus (its geometry has the map's native size
    at (0, 0), one px per px). ``stimulus_key``: what the sessions showed.
    ``n_sessions``: sessions given; ``n_with_gaze``: those that added points.
    ``px_per_deg``: the native px per degree used for the kernel (the median rule);
    ``weighting``: one of ``WEIGHTINGS``.
    """

    density: DensityMap
    stimulus_key: str
    n_sessions: int
    n_with_gaze: int
    px_per_deg: float
    weighting: str


def session_label(session: dict, index: int) -> str:
    """How tables and messages name a session: its ``participant``, else its
    ``recording_id``, else ``"session <index + 1>"``."""
    if isinstance(session, dict):
        for key in ("participant", "recording_id"):
            value = session.get(key)
            if isinstance(value, str) and value.strip():
                return value
    return f"session {index + 1}"


def select_sessions(sessions, max_error_deg=None) -> tuple:
    """``(included, excluded)``: indices of the sessions to use, and an ``Exclusion``
    for each of the others, both in the given order.

    ``max_error_deg``: the largest validation accuracy error (degrees) allowed, or
    None to keep every session. With a limit, a session is excluded when its
    ``validation.accuracy_deg`` is above it (``"validation 2.3° > 2.0°"``) or when it
    has no validation (``"no validation"``). Raises InputError on a bad limit.
    """
    limit = None if max_error_deg is None else _check.non_negative(max_error_deg,
                                                                   "max_error_deg", " deg")
    included, excluded = [], []
    for i, session in enumerate(sessions):
        if limit is None:
            included.append(i)
            continue
        validation = session.get("validation") if isinstance(session, dict) else None
        error = validation.get("accuracy_deg") if isinstance(validation, dict) else None
        if not (_check.is_number(error) and math.isfinite(error)):
            excluded.append(Exclusion(i, session_label(session, i), "no validation"))
        elif error > limit:
            excluded.append(Exclusion(i, session_label(session, i),
                                      f"validation {error:.1f}° > {limit:.1f}°"))
        else:
            included.append(i)
    return included, excluded


def aggregate_density(sessions, sigma_deg=C.HEATMAP_SIGMA_DEG, weighting="equal",
                      source="fixations", size_px=None) -> AggregateMap:
    """The aggregate density of ``sessions`` (validated session dicts, at least one,
    all with the same ``stimulus_key``) over their stimulus.

    ``sigma_deg`` (> 0): kernel sigma in degrees; ``weighting``: one of
    ``WEIGHTINGS``; ``source``: ``"fixations"`` (stored, else detected with each
    session's settings: ``session.session_fixations``) or ``"samples"``;
    ``size_px``: ``(width, height)`` of the map in px (e.g. the picture's size), or
    None for the first session's stimulus native size. Units: ``"equal"`` gives
    fractions (mean share per participant), ``"time"`` seconds.

    Raises InputError when there are no sessions, the stimulus keys differ, or an
    argument or session is bad (naming the session).
    """
    sessions = list(sessions)
    if not sessions:
        raise InputError("no sessions to aggregate")
    if weighting not in WEIGHTINGS:
        raise InputError(f"weighting must be one of {', '.join(WEIGHTINGS)}, got {weighting!r}")
    if source not in SOURCES:
        raise InputError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    sigma = _check.positive(sigma_deg, "sigma_deg", " deg")
    key = _common_key(sessions)
    geometries = [_session_call(i, StimulusGeometry.of_session, s) for i, s in enumerate(sessions)]
    first = geometries[0]
    if size_px is None:
        width, height = first.width_px, first.height_px
    else:
        width, height = (_check.positive_int(v, "size_px") for v in size_px)
    target = StimulusGeometry(first.kind, width, height, 0.0, 0.0, float(width),
                              float(height), first.name)
    xs, ys, weights = array("d"), array("d"), array("d")
    scales, totals, n_valid = [], [], 0
    for i, (session, g) in enumerate(zip(sessions, geometries)):
        points = _session_call(i, _session_points, session, source, _SESSION_WEIGHTING[weighting])
        kx, ky = width / g.rect_w_px, height / g.rect_h_px
        scales.append(session_px_per_deg(session) * math.sqrt(kx * ky))
        if not points.n_valid:
            continue
        n = len(points.x_px)
        # C-level passes: CSS px of this session -> native px of the map (NaN stays NaN).
        xs.extend(map(mul, map(sub, points.x_px, repeat(g.rect_x_px)), repeat(kx)))
        ys.extend(map(mul, map(sub, points.y_px, repeat(g.rect_y_px)), repeat(ky)))
        weights.extend(repeat(points.weight, n) if points.weights is None else points.weights)
        totals.append(points.total_weight)
        n_valid += points.n_valid
    with_gaze = len(totals)
    if weighting == "equal" and with_gaze:
        weights = array("d", map(mul, weights, repeat(1.0 / with_gaze)))
        total = math.fsum(totals) / with_gaze
    else:
        total = math.fsum(totals)
    combined = WeightedPoints(xs, ys, weights, 1.0, source, _SESSION_WEIGHTING[weighting],
                              total, n_valid)
    ppd = median(scales)
    density = density_map(combined, target, sigma, ppd)
    return AggregateMap(density, key, len(sessions), with_gaze, ppd, weighting)


def compare_densities(group_a, group_b, style=None, **options) -> tuple:
    """``(map_a, map_b, shared_style)``: ``aggregate_density`` of each group (same
    ``options``: ``sigma_deg``, ``weighting``, ``source``; ``size_px`` applies to
    both) and ``style`` (a ``HeatmapStyle``; None: the defaults) set to an absolute
    scale whose top is the larger of the two maps' maxima, so equal colours mean
    equal values on both sides. A style that already has an absolute scale is kept.
    Both maps of empty groups leave the style relative. The groups may show
    different stimuli (e.g. two versions of a page). Raises InputError like
    ``aggregate_density``, naming the group.
    """
    style = HeatmapStyle() if style is None else style
    if not isinstance(style, HeatmapStyle):
        raise InputError(f"style must be a HeatmapStyle, got {type(style).__name__}")
    maps = []
    for name, group in (("group A", group_a), ("group B", group_b)):
        try:
            maps.append(aggregate_density(group, **options))
        except (InputError, FormatError) as exc:
            raise type(exc)(f"{name}: {exc}") from None
    return maps[0], maps[1], shared_scale(style, maps[0].density, maps[1].density)


def shared_scale(style: HeatmapStyle, *densities: DensityMap) -> HeatmapStyle:
    """``style`` with an absolute scale at the largest maximum of ``densities`` (same
    unit), so their colours compare; unchanged if it already has an absolute scale or
    every map is empty."""
    top = max((d.max_value for d in densities), default=0.0)
    if style.scale == "relative" and top > 0.0:
        return HeatmapStyle(style.colormap, style.opacity, style.cutoff, "absolute", top)
    return style


def render_density(density: DensityMap, style: HeatmapStyle, output="overlay",
                   stimulus_rgba=None) -> bytes:
    """A PNG of ``density`` in ``style``: ``output`` one of ``OUTPUTS``;
    ``stimulus_rgba`` (``"overlay"`` only): ``width_px * height_px * 4`` bytes or None
    for white. Raises InputError on a bad output or a wrong byte count."""
    if output == "coarse":
        return render_heatmap_coarse(density, style).png
    if output == "heatmap":
        return render_heatmap_only(density, style)
    if output == "overlay":
        return render_heatmap_overlay(density, style, stimulus_rgba)
    raise InputError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}")


# --- private helpers ---------------------------------------------------------------


def _session_points(session: dict, source: str, weighting: str) -> WeightedPoints:
    if source == "fixations":
        return WeightedPoints.from_fixations(session_fixations(session), weighting)
    return WeightedPoints.from_samples(session["samples"], weighting)


def _common_key(sessions: list) -> str:
    keys = {}
    for i, session in enumerate(sessions):
        keys.setdefault(_session_call(i, stimulus_key, session), []).append(i)
    if len(keys) > 1:
        listed = "; ".join(f"{k} (sessions {', '.join(str(i + 1) for i in v[:5])}"
                           f"{', ...' if len(v) > 5 else ''})" for k, v in keys.items())
        raise InputError(f"sessions of different stimuli cannot be aggregated: {listed}")
    return next(iter(keys))


def _session_call(index: int, fn, *args):
    """``fn(*args)`` with errors naming the session (``sessions[3]: ...``)."""
    try:
        return fn(*args)
    except (InputError, FormatError) as exc:
        raise type(exc)(f"sessions[{index}]: {exc}") from None
    except (KeyError, TypeError, AttributeError):
        raise InputError(f"sessions[{index}] is not a valid session") from None
