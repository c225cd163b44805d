"""Gaze density heatmaps on a coarse grid, coloured and encoded as PNG.

Pipeline: gaze points (viewport CSS px) are counted into square cells of
``cell_px``; the count grid is blurred with an approximate Gaussian of ``sigma_px``
(a cascade of 3 box blurs, each O(cells) via running sums); the result is
normalised to its peak, mapped through a 256-entry colour table with
``bytes.translate`` and written as a grid-sized RGBA PNG that the page upscales
smoothly to the viewport.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate, repeat
from operator import add, mul, sub

from . import _check
from . import constants as C
from .errors import InputError
from .png import encode_png

__all__ = [
    "Grid",
    "HeatmapImage",
    "COLORMAPS",
    "density_grid",
    "colorize",
    "legend_stops",
    "render_heatmap_png",
]

#: Colour maps understood by ``colorize`` and ``legend_stops``.
COLORMAPS = ("jet", "hot")


@dataclass(frozen=True)
class Grid:
    """A density grid: ``w_cells`` x ``h_cells`` cells of ``cell_px`` CSS px.

    ``values`` (``array('d')``, row-major from the top-left cell) holds the blurred
    point count per cell: the blur kernel sums to 1, so ``sum(values)`` equals
    ``n_points`` minus the mass blurred past the edges. ``n_points`` counts the
    points that fell inside the viewport.
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

    ``grid_w``/``grid_h`` are in cells, ``cell_px`` is the cell size in CSS px
    (so the image covers ``grid_w * cell_px`` CSS px), ``max_density`` the peak
    blurred count per cell (mapped to the top colour), ``n_points`` the points used.
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
    values = array("d", bytes(8 * gw * gh))
    n_points = _bin(points, values, gw, gh, width, height, 1.0 / cell)
    if n_points:
        _blur(values, gw, gh, _box_widths(sigma / cell, C.HEATMAP_BLUR_PASSES))
    return Grid(gw, gh, cell, values, n_points)


def colorize(grid: Grid, colormap="jet", alpha_floor=C.HEATMAP_ALPHA_FLOOR,
             opacity=C.HEATMAP_OPACITY) -> bytes:
    """RGBA bytes (``w_cells * h_cells * 4``, row-major) for ``grid``.

    Each cell's density is divided by the grid peak and quantised to a level
    0..255, which indexes the colour map (see ``legend_stops``) and an alpha ramp:
    with ``f = level / 255``, alpha is 0 for ``f <= alpha_floor`` and
    ``255 * opacity * sqrt((f - alpha_floor) / (1 - alpha_floor))`` above, so empty
    and faint areas stay transparent and the stimulus shows through. An all-zero
    grid is fully transparent.

    Raises InputError on an unknown colour map, ``alpha_floor`` outside [0, 1),
    ``opacity`` outside [0, 1] or negative / non-finite grid values.
    """
    tables = _tables(_colormap_name(colormap), _fraction(alpha_floor, "alpha_floor", 1.0, False),
                     _fraction(opacity, "opacity", 1.0, True))
    values = grid.values
    n = grid.w_cells * grid.h_cells
    if len(values) != n:
        raise InputError(f"grid.values has {len(values)} cells, expected {n}")
    peak = max(values) if n else 0.0
    if n and (not math.isfinite(peak) or min(values) < 0.0 or math.isnan(sum(values))):
        raise InputError("grid values must be finite and >= 0")
    if peak > 0.0:
        # level = round(255 * value / peak), computed with C-level map calls.
        scaled = map(add, map(mul, values, repeat(255.0 / peak)), repeat(0.5))
        levels = bytes(map(int, scaled))
    else:
        levels = bytes(n)
    out = bytearray(4 * n)
    for channel, table in enumerate(tables):
        out[channel::4] = levels.translate(table)
    return bytes(out)


def legend_stops(colormap="jet", n=11) -> list:
    """``n`` evenly spaced ``(fraction, (r, g, b))`` stops of a colour map (n >= 2).

    ``fraction`` runs from 0.0 (no gaze) to 1.0 (the peak); the colours are the
    ones ``colorize`` uses, so the page can draw a matching colour bar.
    Raises InputError on an unknown colour map or ``n < 2``.
    """
    name = _colormap_name(colormap)
    n = _check.positive_int(n, "n")
    if n < 2:
        raise InputError(f"n must be >= 2, got {n}")
    rgb = _rgb_tables(name)
    stops = []
    for i in range(n):
        f = i / (n - 1)
        level = int(255 * f + 0.5)
        stops.append((f, (rgb[0][level], rgb[1][level], rgb[2][level])))
    return stops


def render_heatmap_png(points, width_px, height_px, cell_px=C.HEATMAP_CELL_PX,
                       sigma_px=C.HEATMAP_SIGMA_PX, colormap="jet") -> HeatmapImage:
    """``density_grid`` + ``colorize`` + ``encode_png`` in one call.

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


# --- private helpers ---------------------------------------------------------------


def _bin(points, values: array, gw: int, gh: int, width: float, height: float, inv: float) -> int:
    count = 0
    try:
        for x, y in points:
            if x is None or y is None:
                continue
            # NaN and infinities fail these comparisons and are dropped with the
            # off-screen points.
            if 0.0 <= x < width and 0.0 <= y < height:
                col = int(x * inv)
                row = int(y * inv)
                # x * inv can round up to gw for x just below width.
                values[min(row, gh - 1) * gw + min(col, gw - 1)] += 1.0
                count += 1
    except (TypeError, ValueError):
        raise InputError("points must be (x_px, y_px) pairs of numbers or None") from None
    return count


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


def _blur(values: array, gw: int, gh: int, widths: list) -> None:
    """Blur ``values`` in place with the box cascade along rows, then columns."""
    radii = [w // 2 for w in widths if w > 1]
    if not radii:
        return
    for r in range(gh):
        lo, hi = r * gw, (r + 1) * gw
        line = values[lo:hi]
        if any(line):
            values[lo:hi] = array("d", _blur_line(line.tolist(), radii))
    for c in range(gw):
        line = values[c::gw]
        if any(line):
            values[c::gw] = array("d", _blur_line(line.tolist(), radii))
    # The passes summed instead of averaged; one multiply normalises them all.
    norm = 1.0
    for w in widths:
        norm *= w
    values[:] = array("d", map(mul, values, repeat(1.0 / (norm * norm))))


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
        ext = list(map(sub, prefix[width : width + size], prefix[:size]))
    return ext[total : total + n]


def _colormap_name(colormap) -> str:
    if colormap not in COLORMAPS:
        raise InputError(f"unknown colormap {colormap!r}; choose one of {', '.join(COLORMAPS)}")
    return colormap


def _fraction(value, name: str, top: float, inclusive: bool) -> float:
    f = _check.non_negative(value, name)
    if f > top or (f == top and not inclusive):
        bound = "<=" if inclusive else "<"
        raise InputError(f"{name} must be {bound} {top}, got {value!r}")
    return f


def _clamp01(v: float) -> float:
    return 0.0 if v < 0.0 else 1.0 if v > 1.0 else v


@cache
def _rgb_tables(name: str) -> tuple:
    """256-byte R, G, B tables of a colour map.

    jet: three overlapping tent ramps, for ``f`` in [0, 1]:
    ``r = clamp(1.5 - |4f - 3|)``, ``g = clamp(1.5 - |4f - 2|)``,
    ``b = clamp(1.5 - |4f - 1|)`` — dark blue, blue, cyan, yellow, red, dark red.
    hot: ``r = clamp(3f)``, ``g = clamp(3f - 1)``, ``b = clamp(3f - 2)`` — black,
    red, yellow, white.
    """
    r, g, b = bytearray(256), bytearray(256), bytearray(256)
    for level in range(256):
        f = level / 255.0
        if name == "jet":
            rgb = (1.5 - abs(4 * f - 3), 1.5 - abs(4 * f - 2), 1.5 - abs(4 * f - 1))
        else:
            rgb = (3 * f, 3 * f - 1, 3 * f - 2)
        r[level], g[level], b[level] = (int(255 * _clamp01(c) + 0.5) for c in rgb)
    return bytes(r), bytes(g), bytes(b)


@lru_cache(maxsize=32)
def _tables(name: str, alpha_floor: float, opacity: float) -> tuple:
    alpha = bytearray(256)
    for level in range(256):
        f = level / 255.0
        if f > alpha_floor:
            ramp = math.sqrt((f - alpha_floor) / (1.0 - alpha_floor))
            alpha[level] = int(255 * opacity * ramp + 0.5)
    return _rgb_tables(name) + (bytes(alpha),)
