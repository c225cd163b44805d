"""Gaze heatmaps: weighted density on a coarse grid, coloured, at grid or full size.

Pipeline::

    fixations or samples ──WeightedPoints──▶ weights (s, counts or shares)
        ──density_map──▶ DensityMap: a coarse grid over the stimulus (StimulusGeometry)
        ──HeatmapStyle──▶ levels 0..255 ──▶ render_heatmap_coarse (grid-size PNG, fast)
                                         ──▶ render_heatmap_only / _overlay (full size)

**Weighting** (``WEIGHTINGS``). Fixations: ``"duration"`` weighs each by its
duration in seconds; ``"count"`` counts each as 1; ``"relative"`` weighs each by
its share of the session's total fixation time (the session sums to 1, so
participants who looked for different times can be compared). Raw samples: each
valid sample stands for one frame, the session's median sample interval, so
``"duration"`` gives seconds of gaze, ``"count"`` samples, ``"relative"`` 1 / (valid
samples). Weights of points off the stimulus count in the session total but are
not drawn.

**Kernel.** Every point is spread by a Gaussian of ``sigma_deg`` degrees of visual
angle: ``sigma_deg * px_per_deg`` CSS px, times the stimulus's native px per CSS px
in each direction (a stretched stimulus gets an elliptical kernel, round on
screen). The kernel is normalised to a *peak* of 1: a cell's value is the sum of
``weight * kernel`` over the points, so one isolated fixation of 0.4 s peaks at
0.4 (the weighting's unit), whatever the sigma or the image resolution, and maps of
different stimuli are comparable.

**Grid.** Square cells of ``sigma / HEATMAP_CELLS_PER_SIGMA`` stimulus px (at least
``HEATMAP_MIN_CELL_PX``; larger if the grid would exceed ``HEATMAP_MAX_CELLS``).
The Gaussian is approximated by ``HEATMAP_BLUR_PASSES`` box blurs per axis, each
O(cells) with running sums: the kernel is flatter-topped with shorter tails than a
Gaussian; on realistic gaze the map stays within ~11 % of the peak of an exact
Gaussian map (~1 % on average; tested against scipy).

**Speed** (``bench/heatmap.py``, 100,000 samples, 1920x1080, CPython 3.11 / Pyodide
in Node): density + coarse PNG ~40 / ~85 ms; the full-size overlay on a photo-like
stimulus ~250 / ~400 ms (compositing and PNG encoding dominate), over white or
heatmap-only ~75 / ~120 ms. So the page shows the coarse PNG, scaled up by canvas
with smoothing, and renders full size for downloads.

**Scale and colour** (``HeatmapStyle``). ``scale="relative"``: the map's maximum is
the top colour; ``"absolute"``: ``scale_max`` (in the weighting's unit) is, so
several maps share one scale (values above it saturate). A value's fraction ``f``
of the top is quantised to a level 0..255 that indexes the colour map
(``gazeheat.colormaps``) and an alpha ramp: alpha is 0 for ``f <= cutoff`` and
``opacity * sqrt((f - cutoff) / (1 - cutoff))`` above (faint areas stay clear).
``"fog"`` inverts the ramp over black: ``opacity * (1 - ramp)``, so everything is
dimmed except where people looked.

**Full size.** The coarse levels are upscaled bilinearly (``_raster``: row-wise,
with big-integer lane arithmetic) to the stimulus's native size, coloured with
``bytes.translate`` and, for the overlay, alpha-composited over the stimulus.
Levels are interpolated, not colours, so the colour map is followed exactly.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, chain, repeat
from operator import add, mul, sub

from . import _check, _raster
from . import constants as C
from .colormaps import COLORMAPS, MASK_COLORMAPS, check_colormap, rgb_tables
from .errors import InputError
from .filters import _sample_values
from .fixations import as_fixations
from .png import encode_png
from .stimulus import StimulusGeometry

__all__ = [
    "Grid",
    "HeatmapImage",
    "COLORMAPS",
    "SOURCES",
    "WEIGHTINGS",
    "SCALES",
    "WeightedPoints",
    "DensityMap",
    "HeatmapStyle",
    "Legend",
    "density_grid",
    "density_map",
    "colorize",
    "legend_stops",
    "heatmap_levels",
    "heatmap_legend",
    "render_heatmap_png",
    "render_heatmap_coarse",
    "render_heatmap_only",
    "render_heatmap_overlay",
]

#: What a heatmap is made of.
SOURCES = ("fixations", "samples")
#: How each fixation or sample is weighted (see the module docstring).
WEIGHTINGS = ("duration", "count", "relative")
#: How values map to colours: to this map's maximum, or to a given value.
SCALES = ("relative", "absolute")

# (source, weighting) -> (unit, legend title). "relative" values are fractions of
# the session; legends show them as percentages.
_UNITS = {
    ("fixations", "duration"): ("s", "fixation duration (s)"),
    ("fixations", "count"): ("fixations", "fixations"),
    ("fixations", "relative"): ("fraction", "share of fixation time (%)"),
    ("samples", "duration"): ("s", "gaze duration (s)"),
    ("samples", "count"): ("samples", "gaze samples"),
    ("samples", "relative"): ("fraction", "share of gaze time (%)"),
}
# Frame intervals sampled for the median (evenly spread over the recording): the
# median of a few hundred intervals is as good as that of all of them, and costs
# nothing on an hour of samples.
_FRAME_SAMPLE = 501
_NAN = math.nan


@dataclass(frozen=True)
class Grid:
    """A density grid: ``w_cells`` x ``h_cells`` cells of ``cell_px`` px.

    ``values`` (``array('d')``, row-major from the top-left cell) holds the value per
    cell; ``n_points`` counts the points that fell inside the covered area. For
    ``density_grid`` the values are blurred point counts (the blur kernel sums to
    1); for ``density_map`` they are peak-normalised weighted sums in stimulus px.
    """

    w_cells: int
    h_cells: int
    cell_px: float
    values: array
    n_points: int

    @property
    def max_density(self) -> float:
        """Largest cell value (0.0 for an empty grid)."""
        return max(self.values) if self.values else 0.0


@dataclass(frozen=True)
class HeatmapImage:
    """A coloured heatmap: ``png`` is ``grid_w`` x ``grid_h`` pixels, one per cell.

    ``grid_w``/``grid_h`` are in cells, ``cell_px`` is the cell size in px (so the
    image covers ``grid_w * cell_px`` px, a little more than the area mapped, which
    starts at the top-left corner), ``max_density`` the value mapped to the top
    colour, ``n_points`` the points used. The page scales it up by ``cell_px`` with
    smoothing: cell centres sit at ``(i + 0.5) * cell_px``, as canvas expects.
    """

    png: bytes
    grid_w: int
    grid_h: int
    cell_px: float
    max_density: float
    n_points: int

    def to_dict(self) -> dict:
        return {
            "png": self.png,
            "grid_w": self.grid_w,
            "grid_h": self.grid_h,
            "cell_px": self.cell_px,
            "max_density": self.max_density,
            "n_points": self.n_points,
        }

    @classmethod
    def from_dict(cls, d: dict) -> HeatmapImage:
        """Raises InputError on missing or mistyped fields."""
        names = ("png", "grid_w", "grid_h", "cell_px", "max_density", "n_points")
        if not isinstance(d, dict) or any(n not in d for n in names):
            raise InputError(f"heatmap image needs the keys {', '.join(names)}")
        if not isinstance(d["png"], (bytes, bytearray)):
            raise InputError("heatmap image png must be bytes")
        return cls(
            png=bytes(d["png"]),
            grid_w=_check.positive_int(d["grid_w"], "grid_w"),
            grid_h=_check.positive_int(d["grid_h"], "grid_h"),
            cell_px=_check.positive(d["cell_px"], "cell_px", " px"),
            max_density=_check.non_negative(d["max_density"], "max_density"),
            n_points=_check.non_negative_int(d["n_points"], "n_points"),
        )


@dataclass(frozen=True)
class WeightedPoints:
    """Gaze points with weights, in viewport CSS px: what a density map is made of.

    ``x_px``, ``y_px``: equal-length sequences of floats, NaN where there was no
    gaze. ``weights``: one weight per point, or None when every point weighs
    ``weight``. ``source``: one of ``SOURCES``; ``weighting``: one of ``WEIGHTINGS``
    (the weights are in its unit, see ``DensityMap.unit``). ``total_weight``: the sum
    over all valid points (1.0 for ``"relative"``, 0.0 when there are none);
    ``n_valid``: how many points have a position. Build it with ``from_fixations``,
    ``from_samples`` or ``from_sample_columns``.
    """

    x_px: object
    y_px: object
    weights: object
    weight: float
    source: str
    weighting: str
    total_weight: float
    n_valid: int

    @classmethod
    def from_fixations(cls, fixations, weighting="duration") -> WeightedPoints:
        """Fixations (``Fixation`` records or their dicts) weighted per ``weighting``.

        "relative" with a zero total duration (only possible for hand-made data)
        falls back to equal shares. Raises InputError on an unknown weighting or a
        malformed fixation (naming its index).
        """
        weighting = _choice(weighting, WEIGHTINGS, "weighting")
        records = as_fixations(fixations)
        n = len(records)
        xs = array("d", (f.x for f in records))
        ys = array("d", (f.y for f in records))
        seconds = [f.duration_ms / 1000.0 for f in records]
        if weighting == "count":
            return cls(xs, ys, None, 1.0, "fixations", weighting, float(n), n)
        if weighting == "duration":
            return cls(xs, ys, seconds, 1.0, "fixations", weighting, math.fsum(seconds), n)
        total = math.fsum(seconds)
        if total > 0.0:
            return cls(xs, ys, [s / total for s in seconds], 1.0, "fixations", weighting,
                       1.0, n)
        return cls(xs, ys, None, 1.0 / n if n else 0.0, "fixations", weighting,
                   1.0 if n else 0.0, n)

    @classmethod
    def from_samples(cls, samples, weighting="duration") -> WeightedPoints:
        """Gaze samples (``GazeSample``, ``{"t_ms", "x", "y"}`` dicts or ``(t_ms, x,
        y)`` sequences, in time order; x/y None or NaN: no gaze), see
        ``from_sample_columns``. Raises InputError on a malformed sample."""
        t, xs, ys = array("d"), array("d"), array("d")
        for i, sample in enumerate(samples):
            ti, xi, yi = _sample_values(sample, i)
            t.append(ti)
            xs.append(_NAN if xi is None else xi)
            ys.append(_NAN if yi is None else yi)
        return cls.from_sample_columns(t, xs, ys, weighting)

    @classmethod
    def from_sample_columns(cls, t_ms, x_px, y_px, weighting="duration") -> WeightedPoints:
        """Samples as three equal-length columns (as the tracker records them):
        ``t_ms`` in time order, ``x_px``/``y_px`` floats with NaN for no gaze.

        Each valid sample stands for one frame: ``frame_ms`` is the median interval
        between consecutive samples (of up to ~500 spread over the recording; 0 if
        there are fewer than two samples), so blinks and dropped frames do not
        inflate it. "duration" weighs a sample ``frame_ms / 1000`` s, "count" 1,
        "relative" 1 / (valid samples). Raises InputError on an unknown weighting
        or columns of different lengths.
        """
        weighting = _choice(weighting, WEIGHTINGS, "weighting")
        n = len(t_ms)
        if len(x_px) != n or len(y_px) != n:
            raise InputError(f"t_ms, x_px and y_px must have the same length, got "
                             f"{n}, {len(x_px)}, {len(y_px)}")
        try:
            # x + y is NaN when either is: one C-level pass counts the gaps.
            n_valid = n - sum(map(math.isnan, map(add, x_px, y_px)))
        except TypeError:
            raise InputError("x_px and y_px must hold numbers (NaN for no gaze)") from None
        if weighting == "count":
            weight = 1.0
        elif weighting == "relative":
            weight = 1.0 / n_valid if n_valid else 0.0
        else:
            weight = _frame_ms(t_ms) / 1000.0
        total = 1.0 if weighting == "relative" and n_valid else weight * n_valid
        return cls(x_px, y_px, None, weight, "samples", weighting, total, n_valid)


@dataclass(frozen=True)
class DensityMap:
    """A weighted gaze density over a stimulus, on a coarse grid (``density_map``).

    ``grid``: cells of ``grid.cell_px`` native stimulus px from the stimulus's
    top-left corner, values in ``unit`` (peak-normalised kernel, see the module
    docstring). ``geometry``: the stimulus. ``sigma_x_px``/``sigma_y_px``: kernel
    sigma in stimulus px. ``total_weight``: the session's total (``WeightedPoints``).
    """

    grid: Grid
    geometry: StimulusGeometry
    source: str
    weighting: str
    sigma_x_px: float
    sigma_y_px: float
    total_weight: float

    @property
    def width_px(self) -> int:
        return self.geometry.width_px

    @property
    def height_px(self) -> int:
        return self.geometry.height_px

    @property
    def max_value(self) -> float:
        """The largest cell value, in ``unit``."""
        return self.grid.max_density

    @property
    def unit(self) -> str:
        """``"s"``, ``"fixations"``, ``"samples"`` or ``"fraction"`` (of the session)."""
        return _UNITS[self.source, self.weighting][0]

    @property
    def title(self) -> str:
        """Legend title with the unit, e.g. ``"fixation duration (s)"``."""
        return _UNITS[self.source, self.weighting][1]


@dataclass(frozen=True)
class HeatmapStyle:
    """How a density map is coloured (see the module docstring).

    ``colormap``: one of ``COLORMAPS``. ``opacity``: alpha of the top colour, 0..1.
    ``cutoff``: fraction of the scale's top at or below which the map is clear
    (fog: fully dimmed), 0 <= cutoff < 1. ``scale``: ``"relative"`` or
    ``"absolute"``; ``scale_max``: the value at the top colour for "absolute" (> 0,
    in the density's unit), ignored (None) for "relative". The constructor
    validates and raises InputError.
    """

    colormap: str = "jet"
    opacity: float = C.HEATMAP_OPACITY
    cutoff: float = C.HEATMAP_ALPHA_FLOOR
    scale: str = "relative"
    scale_max: float | None = None

    def __post_init__(self):
        check_colormap(self.colormap)
        object.__setattr__(self, "opacity", _fraction(self.opacity, "opacity", True))
        object.__setattr__(self, "cutoff", _fraction(self.cutoff, "cutoff", False))
        _choice(self.scale, SCALES, "scale")
        if self.scale == "absolute":
            if self.scale_max is None:
                raise InputError('scale "absolute" needs scale_max: the value shown at '
                                 "the top colour, in the weighting's unit")
            object.__setattr__(self, "scale_max",
                               _check.positive(self.scale_max, "scale_max"))
        else:
            object.__setattr__(self, "scale_max", None)

    def top(self, density: DensityMap) -> float:
        """The value drawn at the top colour: ``scale_max`` or the map's maximum."""
        return self.scale_max if self.scale == "absolute" else density.max_value

    def to_dict(self) -> dict:
        return {"colormap": self.colormap, "opacity": self.opacity, "cutoff": self.cutoff,
                "scale": self.scale, "scale_max": self.scale_max}

    @classmethod
    def from_dict(cls, d) -> HeatmapStyle:
        """A style from a dict: missing keys (or None values) get the defaults,
        unknown keys are ignored. Raises InputError on bad values."""
        if not isinstance(d, dict):
            raise InputError(f"heatmap style must be an object, got {type(d).__name__}")
        names = ("colormap", "opacity", "cutoff", "scale", "scale_max")
        return cls(**{k: d[k] for k in names if d.get(k) is not None})


@dataclass(frozen=True)
class Legend:
    """A heatmap's colour bar.

    ``title``: what is shown, with its unit (e.g. ``"fixation duration (s)"``).
    ``unit``: as ``DensityMap.unit``. ``max_value``: the value at the top colour;
    ``cutoff_value``: at or below it the map is clear (fog: dimmed). ``stops``:
    ``(fraction, value, (r, g, b, a))`` evenly spaced from 0 to 1, the colours and
    alpha (0..255) the map uses, for the page to draw its own bar. ``ticks``:
    ``(fraction, value, label)``; labels are numbers in the title's unit (relative
    maps in %). ``png``: the same bar drawn over white, with title and ticks.
    """

    title: str
    unit: str
    max_value: float
    cutoff_value: float
    stops: tuple
    ticks: tuple
    png: bytes

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "unit": self.unit,
            "max_value": self.max_value,
            "cutoff_value": self.cutoff_value,
            "stops": [{"fraction": f, "value": v, "rgba": list(c)} for f, v, c in self.stops],
            "ticks": [{"fraction": f, "value": v, "label": s} for f, v, s in self.ticks],
            "png": self.png,
        }


# --- density ---------------------------------------------------------------------------


def density_grid(points, width_px, height_px, cell_px=C.HEATMAP_CELL_PX,
                 sigma_px=C.HEATMAP_SIGMA_PX) -> Grid:
    """Blurred point counts on a grid covering ``[0, width_px) x [0, height_px)``.

    ``points``: iterable of ``(x_px, y_px)`` pairs; pairs with a None or non-finite
    coordinate (null gaze) and points outside the area are dropped. The grid has
    ``ceil(width_px / cell_px)`` x ``ceil(height_px / cell_px)`` cells. The blur
    approximates a Gaussian of standard deviation ``sigma_px / cell_px`` cells with
    zero outside the grid (like ``scipy.ndimage.gaussian_filter(mode="constant")``);
    ``sigma_px == 0`` means no blur. Measured against that Gaussian, for sigma >= 3
    cells the difference stays within ~21 % of the peak for isolated points (the
    3-box kernel is flatter-topped) and ~5 % for realistic gaze clusters.

    Raises InputError on non-positive sizes, negative sigma, a grid larger than
    ``HEATMAP_MAX_CELLS`` or points that are not pairs of numbers / None.
    """
    width = _check.positive(width_px, "width_px", " px")
    height = _check.positive(height_px, "height_px", " px")
    cell = _check.positive(cell_px, "cell_px", " px")
    sigma = _check.non_negative(sigma_px, "sigma_px", " px")
    gw = max(1, math.ceil(width / cell))
    gh = max(1, math.ceil(height / cell))
    if gw * gh > C.HEATMAP_MAX_CELLS:
        raise InputError(
            f"heatmap grid of {gw}x{gh} cells is too large (limit {C.HEATMAP_MAX_CELLS}); "
            "use a larger cell_px"
        )
    values = [0.0] * (gw * gh)
    n_points = _bin(points, repeat(1.0), values, gw, 0.0, 0.0, 1.0 / cell, 1.0 / cell,
                    width / cell, height / cell)
    widths = _box_widths(sigma / cell, C.HEATMAP_BLUR_PASSES)
    norm = 1.0
    for w in widths:
        norm *= w * w  # the blur sums boxes; dividing by their sizes averages them
    return Grid(gw, gh, cell, _blur(values, gw, gh, widths, widths, 1.0 / norm), n_points)


def density_map(points: WeightedPoints, geometry: StimulusGeometry,
                sigma_deg=C.HEATMAP_SIGMA_DEG, px_per_deg=C.DEFAULT_PX_PER_DEG) -> DensityMap:
    """The weighted density of ``points`` over the stimulus of ``geometry``.

    ``sigma_deg`` (> 0): kernel sigma in degrees of visual angle; ``px_per_deg`` (>
    0): CSS px per degree (see ``gazeheat.fixations``). Grid, kernel and units as in
    the module docstring; points off the stimulus are dropped. Cell values equal
    ``sum(weight * kernel)`` with the 3-box approximation of the Gaussian, whose
    peak is 1.

    Raises InputError on bad arguments or malformed points.
    """
    if not isinstance(points, WeightedPoints):
        raise InputError(f"points must be WeightedPoints, got {type(points).__name__}")
    if not isinstance(geometry, StimulusGeometry):
        raise InputError(f"geometry must be a StimulusGeometry, got {type(geometry).__name__}")
    sigma_css = (_check.positive(sigma_deg, "sigma_deg", " deg")
                 * _check.positive(px_per_deg, "px_per_deg", " px/deg"))
    sigma_x, sigma_y = sigma_css * geometry.scale_x, sigma_css * geometry.scale_y
    width, height = geometry.width_px, geometry.height_px
    cell = _cell_size(width, height, min(sigma_x, sigma_y))
    gw, gh = max(1, math.ceil(width / cell)), max(1, math.ceil(height / cell))
    values = [0.0] * (gw * gh)
    weights = repeat(1.0) if points.weights is None else points.weights
    n_points = _bin(zip(points.x_px, points.y_px), weights, values, gw,
                    geometry.rect_x_px, geometry.rect_y_px,
                    geometry.scale_x / cell, geometry.scale_y / cell,
                    width / cell, height / cell)
    widths_x = _box_widths(sigma_x / cell, C.HEATMAP_BLUR_PASSES)
    widths_y = _box_widths(sigma_y / cell, C.HEATMAP_BLUR_PASSES)
    # The blur sums boxes; dividing by the summed kernel's centre value gives the
    # kernel a peak of 1. Constant weights are applied in the same pass.
    factor = ((points.weight if points.weights is None else 1.0)
              / (_kernel_centre(widths_x) * _kernel_centre(widths_y)))
    grid = Grid(gw, gh, cell, _blur(values, gw, gh, widths_x, widths_y, factor), n_points)
    return DensityMap(grid, geometry, points.source, points.weighting, sigma_x, sigma_y,
                      points.total_weight)


# --- colour ----------------------------------------------------------------------------


def colorize(grid: Grid, colormap="jet", alpha_floor=C.HEATMAP_ALPHA_FLOOR,
             opacity=C.HEATMAP_OPACITY) -> bytes:
    """RGBA bytes (``w_cells * h_cells * 4``, row-major) for ``grid``, scaled to its
    peak: levels, colours and alpha as in the module docstring with ``cutoff =
    alpha_floor``. An all-zero grid is fully transparent (fog: fully dimmed).

    Raises InputError on an unknown colour map, ``alpha_floor`` outside [0, 1),
    ``opacity`` outside [0, 1] or negative / non-finite grid values.
    """
    tables = _tables(check_colormap(colormap), _fraction(alpha_floor, "alpha_floor", False),
                     _fraction(opacity, "opacity", True))
    return _rgba(_levels(grid, None), tables)


def legend_stops(colormap="jet", n=11) -> list:
    """``n`` evenly spaced ``(fraction, (r, g, b))`` stops of a colour map (n >= 2).

    ``fraction`` runs from 0.0 (no gaze) to 1.0 (the peak); the colours are the
    ones ``colorize`` uses, so the page can draw a matching colour bar.
    Raises InputError on an unknown colour map or ``n < 2``.
    """
    r, g, b = rgb_tables(check_colormap(colormap))
    n = _check.positive_int(n, "n")
    if n < 2:
        raise InputError(f"n must be >= 2, got {n}")
    stops = []
    for i in range(n):
        f = i / (n - 1)
        level = int(255 * f + 0.5)
        stops.append((f, (r[level], g[level], b[level])))
    return stops


def heatmap_levels(density: DensityMap, style: HeatmapStyle) -> bytes:
    """The grid's levels (0..255, one byte per cell, row-major): ``round(255 *
    min(value / top, 1))`` with ``top = style.top(density)`` (all 0 if top is 0)."""
    return _levels(density.grid, style.top(density))


def heatmap_legend(density: DensityMap, style: HeatmapStyle, n_ticks=5) -> Legend:
    """The legend of ``density`` drawn with ``style`` (``n_ticks`` >= 2 labels).
    Raises InputError on a bad ``n_ticks``."""
    n_ticks = _check.positive_int(n_ticks, "n_ticks")
    if n_ticks < 2:
        raise InputError(f"n_ticks must be >= 2, got {n_ticks}")
    top = style.top(density)
    tables = _tables(style.colormap, style.cutoff, style.opacity)
    percent = density.unit == "fraction"
    stops = []
    for i in range(11):
        f = i / 10
        level = int(255 * f + 0.5)
        stops.append((f, f * top, tuple(t[level] for t in tables)))
    shown = top * 100.0 if percent else top
    # Three significant digits at the top of the scale (as rounded, so 0.99999 is 1.00).
    rounded = float(f"{shown:.3g}")
    decimals = 0 if rounded <= 0.0 else min(6, max(0, 2 - math.floor(math.log10(rounded))))
    ticks = tuple(
        (f, f * top, f"{f * shown:.{decimals}f}")
        for f in (i / (n_ticks - 1) for i in range(n_ticks))
    )
    png = _legend_png(density.title, tables, ticks)
    return Legend(density.title, density.unit, top, style.cutoff * top, tuple(stops), ticks,
                  png)


# --- rendering -------------------------------------------------------------------------


def render_heatmap_png(points, width_px, height_px, cell_px=C.HEATMAP_CELL_PX,
                       sigma_px=C.HEATMAP_SIGMA_PX, colormap="jet") -> HeatmapImage:
    """``density_grid`` + ``colorize`` + ``encode_png`` in one call (the live view).

    Raises InputError like ``density_grid`` and ``colorize``.
    """
    grid = density_grid(points, width_px, height_px, cell_px, sigma_px)
    rgba = colorize(grid, colormap)
    return HeatmapImage(
        png=encode_png(grid.w_cells, grid.h_cells, rgba),
        grid_w=grid.w_cells,
        grid_h=grid.h_cells,
        cell_px=grid.cell_px,
        max_density=grid.max_density,
        n_points=grid.n_points,
    )


def render_heatmap_coarse(density: DensityMap, style: HeatmapStyle) -> HeatmapImage:
    """The fast path: one RGBA pixel per grid cell, as PNG (``max_density`` is the
    value at the top colour). The page draws it scaled by ``cell_px`` (stimulus
    px) with smoothing on."""
    grid = density.grid
    rgba = _rgba(heatmap_levels(density, style),
                 _tables(style.colormap, style.cutoff, style.opacity))
    return HeatmapImage(encode_png(grid.w_cells, grid.h_cells, rgba), grid.w_cells,
                        grid.h_cells, grid.cell_px, style.top(density), grid.n_points)


def render_heatmap_only(density: DensityMap, style: HeatmapStyle) -> bytes:
    """PNG at the stimulus's native size: the coloured heatmap over transparency."""
    levels = _full_levels(density, style)
    rgba = _rgba(levels, _tables(style.colormap, style.cutoff, style.opacity))
    return encode_png(density.width_px, density.height_px, rgba, fast=True)


def render_heatmap_overlay(density: DensityMap, style: HeatmapStyle,
                           stimulus_rgba=None) -> bytes:
    """PNG at the stimulus's native size: the heatmap composited over the stimulus.

    ``stimulus_rgba``: ``width_px * height_px * 4`` bytes (row-major RGBA, as a
    canvas ``getImageData`` or ``png.decode_png_rgba`` gives), or None for white.
    Transparent stimulus pixels are first laid over white, so the result is
    opaque. Each channel is ``round((s * (255 - a) + c * a) / 255)`` for heatmap
    colour ``c`` and alpha ``a``. Raises InputError on a wrong byte count.
    """
    width, height = density.width_px, density.height_px
    tables = _tables(style.colormap, style.cutoff, style.opacity)
    weight, adds = _composite_tables(tables)
    if stimulus_rgba is None:
        # Over plain white every pixel's colour depends on its level alone: tables.
        white = tuple(bytes(((255 * w + (h << 8 | low)) * 2 + 255) // 510
                            for w, h, low in zip(weight, hi, lo)) for hi, lo in adds)
        rgba = _rgba(_full_levels(density, style), white + (b"\xff" * 256,))
    else:
        base = _raster.opaque_rgba(stimulus_rgba, width, height)
        rgba = _raster.composite(base, _full_levels(density, style), weight, adds, width)
    return encode_png(width, height, rgba, fast=True)


# --- private helpers ---------------------------------------------------------------


def _bin(pairs, weights, values: list, gw: int, x0: float, y0: float, kx: float, ky: float,
         lim_x: float, lim_y: float) -> int:
    """Add each weight to the cell of its point; return how many points landed.

    A point's cell coordinates are ``((x - x0) * kx, (y - y0) * ky)``; it lands if
    ``0 <= col < lim_x`` and ``0 <= row < lim_y`` (``lim_x <= gw``, so ``int(col) <
    gw``). NaN fails those comparisons and is dropped with the points off the area;
    a None coordinate is skipped.
    """
    count = 0
    try:
        for (x, y), w in zip(pairs, weights):
            try:
                col = (x - x0) * kx
                row = (y - y0) * ky
            except TypeError:
                if x is None or y is None:
                    continue
                raise
            if 0.0 <= col < lim_x and 0.0 <= row < lim_y:
                values[int(row) * gw + int(col)] += w
                count += 1
    except (TypeError, ValueError):
        raise InputError("points must be (x_px, y_px) pairs of numbers or None") from None
    return count


def _cell_size(width: int, height: int, sigma_px: float) -> float:
    """Cell size (px) for a kernel of ``sigma_px``: ``sigma / HEATMAP_CELLS_PER_SIGMA``,
    at least ``HEATMAP_MIN_CELL_PX``, grown until the grid fits ``HEATMAP_MAX_CELLS``."""
    cell = max(C.HEATMAP_MIN_CELL_PX, sigma_px / C.HEATMAP_CELLS_PER_SIGMA)
    while math.ceil(width / cell) * math.ceil(height / cell) > C.HEATMAP_MAX_CELLS:
        cell *= 1.25
    return cell


def _box_widths(sigma_cells: float, passes: int) -> list:
    """Odd box widths whose cascade has variance ~ ``sigma_cells**2``.

    A box of odd width ``w`` has variance ``(w*w - 1) / 12``; variances add under
    convolution. All boxes get width ``lo`` or ``lo + 2`` (``lo`` odd, just below
    the equal-width ideal), with the number of ``lo`` boxes chosen so the total
    variance is as close to ``sigma^2`` as whole boxes allow.
    """
    target = 12.0 * sigma_cells * sigma_cells
    ideal = math.sqrt(target / passes + 1.0)
    lo = int(ideal)
    if lo % 2 == 0:
        lo -= 1
    lo = max(lo, 1)
    hi = lo + 2
    # m * (lo^2 - 1) + (passes - m) * (hi^2 - 1) = target, solved for m.
    m = round((passes * (hi * hi - 1) - target) / (hi * hi - lo * lo))
    m = min(passes, max(0, m))
    return [lo] * m + [hi] * (passes - m)


def _kernel_centre(widths: list) -> int:
    """Centre value of the box cascade made of all-ones boxes of ``widths``."""
    kernel = [1]
    for w in widths:
        padded = [0] * (w - 1) + kernel + [0] * (w - 1)
        kernel = [sum(padded[i:i + w]) for i in range(len(kernel) + w - 1)]
    return kernel[len(kernel) // 2]


def _blur(values: list, gw: int, gh: int, widths_x: list, widths_y: list,
          factor: float) -> array:
    """Box sums of widths ``widths_x`` along rows and ``widths_y`` along columns over
    ``values`` (row-major), zero outside, times ``factor``; as ``array('d')``."""
    radii_x = [w // 2 for w in widths_x if w > 1]
    radii_y = [w // 2 for w in widths_y if w > 1]
    rows = [values[r * gw:(r + 1) * gw] for r in range(gh)]
    if radii_x:
        rows = [_blur_line(row, radii_x) if any(row) else row for row in rows]
    if radii_y:
        rows = _blur_rows(rows, radii_y)
    flat = chain.from_iterable(rows)
    return array("d", flat if factor == 1.0 else map(mul, flat, repeat(factor)))


def _blur_line(line: list, radii: list) -> list:
    """Run the box sums over one line, zero outside it.

    The line is first extended by the total radius on both sides so mass that one
    pass pushes past the edge is still there for the next pass; the result equals
    one convolution with the composite kernel, cropped to the line.
    """
    n = len(line)
    total = sum(radii)
    ext = [0.0] * total + line + [0.0] * total
    size = len(ext)
    for r in radii:
        width = 2 * r + 1
        # prefix[k] = sum of the first k padded values, so the box sum centred on
        # ext[i] is prefix[i + width] - prefix[i].
        prefix = list(accumulate([0.0] * r + ext + [0.0] * r, initial=0.0))
        ext = list(map(sub, prefix[width:width + size], prefix[:size]))
    return ext[total:total + n]


def _blur_rows(rows: list, radii: list) -> list:
    """``_blur_line`` down the columns, done on whole rows at a time: the running sums
    add and subtract rows with C-level ``map`` calls instead of a Python loop per
    column."""
    n, total = len(rows), sum(radii)
    zero = [0.0] * len(rows[0])
    ext = [zero] * total + rows + [zero] * total
    size = len(ext)
    for r in radii:
        width = 2 * r + 1
        prefix = [zero]
        for row in chain(repeat(zero, r), ext, repeat(zero, r)):
            prefix.append(list(map(add, prefix[-1], row)) if any(row) else prefix[-1])
        ext = [list(map(sub, prefix[i + width], prefix[i])) for i in range(size)]
    return ext[total:total + n]


def _levels(grid: Grid, top) -> bytes:
    """Levels ``round(255 * min(value / top, 1))`` per cell; ``top`` None: the grid's
    peak. Raises InputError on negative or non-finite values."""
    values = grid.values
    n = grid.w_cells * grid.h_cells
    if len(values) != n:
        raise InputError(f"grid.values has {len(values)} cells, expected {n}")
    peak = max(values) if n else 0.0
    if n and (not math.isfinite(peak) or min(values) < 0.0 or math.isnan(sum(values))):
        raise InputError("grid values must be finite and >= 0")
    if top is None:
        top = peak
    if not top > 0.0:
        return bytes(n)
    # C-level map calls: scale, round, clip at the top colour.
    scaled = map(add, map(mul, values, repeat(255.0 / top)), repeat(0.5))
    if peak > top:
        scaled = map(min, scaled, repeat(255.0))
    return bytes(map(int, scaled))


def _rgba(levels: bytes, tables: tuple) -> bytes:
    out = bytearray(4 * len(levels))
    for channel, table in enumerate(tables):
        out[channel::4] = levels.translate(table)
    return bytes(out)


def _full_levels(density: DensityMap, style: HeatmapStyle) -> bytes:
    grid = density.grid
    return _raster.upscale_bilinear(heatmap_levels(density, style), grid.w_cells, grid.h_cells,
                                    grid.cell_px, density.width_px, density.height_px)


def _choice(value, choices: tuple, name: str) -> str:
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _fraction(value, name: str, inclusive: bool) -> float:
    f = _check.non_negative(value, name)
    if f > 1.0 or (f == 1.0 and not inclusive):
        bound = "<=" if inclusive else "<"
        raise InputError(f"{name} must be {bound} 1, got {value!r}")
    return f


def _frame_ms(t_ms) -> float:
    """Median interval between consecutive samples (ms), from up to ``_FRAME_SAMPLE``
    intervals spread evenly over ``t_ms``; 0.0 with fewer than two samples."""
    n = len(t_ms)
    if n < 2:
        return 0.0
    step = max(1, (n - 1) // _FRAME_SAMPLE)
    gaps = sorted(t_ms[i + 1] - t_ms[i] for i in range(0, n - 1, step))
    mid = len(gaps) // 2
    median = gaps[mid] if len(gaps) % 2 else 0.5 * (gaps[mid - 1] + gaps[mid])
    if not (math.isfinite(median) and median >= 0.0):
        raise InputError("t_ms must be finite and must not decrease")
    return median


@lru_cache(maxsize=32)
def _tables(colormap: str, cutoff: float, opacity: float) -> tuple:
    """``(r, g, b, alpha)``: 256-byte tables indexed by level."""
    alpha = bytearray(256)
    fog = colormap in MASK_COLORMAPS
    for level in range(256):
        f = level / 255.0
        ramp = math.sqrt((f - cutoff) / (1.0 - cutoff)) if f > cutoff else 0.0
        alpha[level] = int(255 * opacity * ((1.0 - ramp) if fog else ramp) + 0.5)
    return rgb_tables(colormap) + (bytes(alpha),)


@lru_cache(maxsize=32)
def _composite_tables(tables: tuple) -> tuple:
    """For ``_raster.composite``: weight ``255 - a`` and per channel ``c * a`` split in
    high and low bytes, indexed by level."""
    *rgb, alpha = tables
    weight = bytes(255 - a for a in alpha)
    adds = []
    for channel in rgb:
        products = [c * a for c, a in zip(channel, alpha)]
        adds.append((bytes(p >> 8 for p in products), bytes(p & 255 for p in products)))
    return weight, tuple(adds)


# Legend layout, px.
_LEGEND_SCALE = 2          # font pixel size
_LEGEND_MARGIN = 14
_LEGEND_BAR_H = 18
_LEGEND_MIN_W = 340


def _legend_png(title: str, tables: tuple, ticks: tuple) -> bytes:
    """The colour bar over white with a title above and tick labels below."""
    s = _LEGEND_SCALE
    text_h = _raster.text_height(s)
    width = max(_LEGEND_MIN_W, _raster.text_width(title, s) + 2 * _LEGEND_MARGIN)
    bar_top = _LEGEND_MARGIN + text_h + 8
    bar_bottom = bar_top + _LEGEND_BAR_H
    label_y = bar_bottom + 6 + 4 + text_h / 2
    height = int(label_y + text_h / 2 + _LEGEND_MARGIN)
    canvas = _raster.Canvas(width, height, bytearray(b"\xff" * (4 * width * height)))
    ink = _raster.Paint((40, 40, 40))
    canvas.text(_LEGEND_MARGIN, _LEGEND_MARGIN + text_h / 2, title, s, ink, anchor="left")
    x0, x1 = _LEGEND_MARGIN, width - _LEGEND_MARGIN
    # One row of the bar: each column's level coloured over white, then copied down.
    levels = bytes(round(255 * i / (x1 - x0 - 1)) for i in range(x1 - x0))
    r, g, b, a = (levels.translate(t) for t in tables)
    row = bytearray(4 * (x1 - x0))
    for channel, values in enumerate((r, g, b)):
        row[channel::4] = bytes(round(255 + (v - 255) * av / 255) for v, av in zip(values, a))
    row[3::4] = b"\xff" * (x1 - x0)
    for y in range(bar_top, bar_bottom):
        start = 4 * (y * width + x0)
        canvas.rgba[start:start + len(row)] = row
    frame = _raster.Paint((40, 40, 40))
    canvas.fill_rect(x0 - 1, bar_top - 1, x1 + 1, bar_top, frame)
    canvas.fill_rect(x0 - 1, bar_bottom, x1 + 1, bar_bottom + 1, frame)
    canvas.fill_rect(x0 - 1, bar_top, x0, bar_bottom, frame)
    canvas.fill_rect(x1, bar_top, x1 + 1, bar_bottom, frame)
    last = len(ticks) - 1
    for i, (f, _, label) in enumerate(ticks):
        x = x0 + round(f * (x1 - x0 - 1))
        canvas.fill_rect(x, bar_bottom, x + 1, bar_bottom + 6, frame)
        anchor = "left" if i == 0 else "right" if i == last else "center"
        tx = x0 if i == 0 else x1 if i == last else x
        canvas.text(tx, label_y, label, s, ink, anchor=anchor)
    return encode_png(width, height, canvas.rgba)
