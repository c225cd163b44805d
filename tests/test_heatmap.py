"""gazeheat.heatmap: density grid, box-cascade blur, colouring, PNG rendering."""

import math
import random

import pytest

from gazeheat.errors import InputError
from gazeheat.heatmap import (
    COLORMAPS,
    Grid,
    HeatmapImage,
    _box_widths,
    colorize,
    density_grid,
    legend_stops,
    render_heatmap_png,
)
from gazeheat.png import decode_png_rgba

# Measured accuracy of the 3-box cascade (widths from the standard "boxes for Gauss"
# rule) against scipy.ndimage.gaussian_filter (same sigma in cells, mode="constant"),
# as max |difference| / peak of the Gaussian result:
# - isolated points, i.e. the kernel itself (the worst case), sigma 3..14 cells:
#   up to 0.208 (sweep in 0.05-cell steps). Three boxes make a piecewise-quadratic
#   kernel whose 2-D peak is ~10 % below the Gaussian's even at equal variance, and
#   whole odd widths step the variance, so the error jumps to ~0.2 just after each
#   step up in width and falls to ~0.10 just before the next. Below 3 cells it gets
#   worse (0.32 at 1.65 cells): whole-cell boxes cannot make a narrow kernel.
# - realistic gaze (3000 points in 20 fixation clusters with 25 px jitter, 8 px
#   cells, sigma 24..64 px): up to 0.045 (0.025 at the default 40 px).
ISOLATED_TOLERANCE = 0.22
REALISTIC_TOLERANCE = 0.05


def _binned(np, points, w_cells, h_cells, cell, width, height):
    grid = np.zeros((h_cells, w_cells))
    for x, y in points:
        if x is not None and 0 <= x < width and 0 <= y < height:
            grid[int(y // cell), int(x // cell)] += 1
    return grid


def _as_array(np, grid):
    return np.array(grid.values).reshape(grid.h_cells, grid.w_cells)


# --- golden --------------------------------------------------------------------------


def test_golden_grid(load_json):
    case = load_json("heatmap_case.json")
    points = [tuple(p) for p in case["points"]]
    grid = density_grid(points, case["width_px"], case["height_px"], case["cell_px"], case["sigma_px"])
    assert _box_widths(case["sigma_px"] / case["cell_px"], 3) == case["box_widths"]
    assert (grid.w_cells, grid.h_cells) == (case["w_cells"], case["h_cells"])
    assert grid.n_points == case["n_points"]
    assert math.fsum(grid.values) == pytest.approx(case["expected_sum"], rel=1e-12)
    assert grid.max_density == pytest.approx(case["expected_peak"], rel=1e-12)
    peak_at = max(range(len(grid.values)), key=grid.values.__getitem__)
    assert divmod(peak_at, grid.w_cells) == (case["expected_peak_row"], case["expected_peak_col"])
    assert list(grid.values) == pytest.approx(case["expected_values"], rel=1e-9, abs=1e-12)


# --- oracles -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_blur_equals_the_composite_box_kernel(np, ndimage, seed):
    rng = np.random.default_rng(seed)
    width, height = int(rng.integers(100, 900)), int(rng.integers(100, 700))
    cell, sigma = int(rng.choice([4, 8, 10])), float(rng.uniform(0, 60))
    points = [tuple(p) for p in rng.uniform([-40, -40], [width + 40, height + 40], (300, 2))]
    grid = density_grid(points, width, height, cell, sigma)
    kernel = np.array([1.0])
    for w in _box_widths(sigma / cell, 3):
        kernel = np.convolve(kernel, np.ones(w) / w)
    binned = _binned(np, points, grid.w_cells, grid.h_cells, cell, width, height)
    expected = ndimage.convolve1d(ndimage.convolve1d(binned, kernel, axis=0, mode="constant"),
                                  kernel, axis=1, mode="constant")
    assert np.abs(_as_array(np, grid) - expected).max() <= 1e-9 * expected.max()


@pytest.mark.parametrize("seed", range(8))
def test_close_to_gaussian_filter_for_isolated_points(np, ndimage, seed):
    rng = np.random.default_rng(100 + seed)
    width, height = int(rng.integers(300, 1200)), int(rng.integers(300, 900))
    cell = int(rng.choice([4, 8, 16]))
    sigma = float(rng.uniform(3.0, 12.0)) * cell
    points = [tuple(p) for p in rng.uniform([0, 0], [width, height], (int(rng.integers(1, 30)), 2))]
    grid = density_grid(points, width, height, cell, sigma)
    binned = _binned(np, points, grid.w_cells, grid.h_cells, cell, width, height)
    expected = ndimage.gaussian_filter(binned, sigma / cell, mode="constant")
    error = np.abs(_as_array(np, grid) - expected).max() / expected.max()
    assert error <= ISOLATED_TOLERANCE


@pytest.mark.parametrize("seed", range(6))
def test_close_to_gaussian_filter_for_realistic_gaze(np, ndimage, seed):
    rng = np.random.default_rng(200 + seed)
    width, height, cell = 1280, 720, 8
    sigma = (24.0, 40.0, 64.0)[seed % 3]
    fixations = rng.uniform([0, 0], [width, height], (20, 2))
    points = fixations[rng.integers(0, 20, 3000)] + rng.normal(0, 25, (3000, 2))
    points = [tuple(p) for p in points]
    grid = density_grid(points, width, height, cell, sigma)
    binned = _binned(np, points, grid.w_cells, grid.h_cells, cell, width, height)
    expected = ndimage.gaussian_filter(binned, sigma / cell, mode="constant")
    error = np.abs(_as_array(np, grid) - expected).max() / expected.max()
    assert error <= REALISTIC_TOLERANCE


# --- properties without numpy ----------------------------------------------------


@pytest.mark.parametrize("sigma_cells", [0.0, 0.3, 1.0, 2.5, 5.0, 13.7, 40.0])
def test_box_widths_are_odd_and_match_the_variance(sigma_cells):
    widths = _box_widths(sigma_cells, 3)
    assert len(widths) == 3 and all(w % 2 == 1 and w >= 1 for w in widths)
    assert max(widths) - min(widths) <= 2
    variance = sum((w * w - 1) / 12 for w in widths)
    # Whole boxes change the variance in steps of (hi^2 - lo^2) / 12.
    step = ((max(widths) + 2) ** 2 - max(widths) ** 2) / 12
    assert abs(variance - sigma_cells ** 2) <= 0.5 * step + 1e-9


def test_mass_is_conserved_away_from_the_edges():
    rng = random.Random(1)
    points = [(rng.uniform(400, 600), rng.uniform(300, 400)) for _ in range(500)]
    grid = density_grid(points, 1000, 700, 10, 30)
    assert grid.n_points == 500
    assert math.fsum(grid.values) == pytest.approx(500, rel=1e-9)
    assert min(grid.values) >= 0.0


def test_points_outside_or_null_are_dropped():
    points = [(-1, 5), (5, -1), (100, 5), (5, 50), (None, None), (float("nan"), 1),
              (float("inf"), 1), (0, 0), (99.999, 49.999)]
    grid = density_grid(points, 100, 50, 10, 0)
    assert (grid.w_cells, grid.h_cells) == (10, 5)
    assert grid.n_points == 2
    assert grid.values[0] == 1.0 and grid.values[-1] == 1.0
    assert sum(grid.values) == 2.0


def test_grid_size_rounds_up_and_empty_grid_is_zero():
    grid = density_grid([], 101, 49, 10, 40)
    assert (grid.w_cells, grid.h_cells, grid.n_points) == (11, 5, 0)
    assert grid.max_density == 0.0


@pytest.mark.parametrize("kwargs, message", [
    ({"width_px": 0}, "width_px"), ({"cell_px": -1}, "cell_px"),
    ({"sigma_px": -1}, "sigma_px"), ({"cell_px": 0.01}, "too large"),
    ({"points": [(1, 2, 3)]}, "pairs"), ({"points": [("a", 1)]}, "pairs"),
])
def test_density_grid_validates(kwargs, message):
    args = {"points": [], "width_px": 100, "height_px": 100, "cell_px": 8, "sigma_px": 10, **kwargs}
    with pytest.raises(InputError, match=message):
        density_grid(**args)


# --- colour ------------------------------------------------------------------------


def test_colorize_alpha_ramps_from_transparent():
    grid = density_grid([(55, 55)] * 3 + [(15, 15)], 100, 100, 10, 10)
    rgba = colorize(grid)
    assert len(rgba) == grid.w_cells * grid.h_cells * 4
    alphas = rgba[3::4]
    peak_cell = max(range(len(grid.values)), key=grid.values.__getitem__)
    assert alphas[peak_cell] == max(alphas) == round(255 * 0.8)
    assert rgba[4 * peak_cell:4 * peak_cell + 3] == bytes(legend_stops("jet", 2)[1][1])
    # zero density -> transparent; more density -> at least as opaque
    order = sorted(range(len(grid.values)), key=grid.values.__getitem__)
    assert alphas[order[0]] == 0
    assert all(alphas[a] <= alphas[b] for a, b in zip(order, order[1:]))


def test_colorize_empty_grid_is_transparent():
    grid = density_grid([], 30, 20, 10, 5)
    assert colorize(grid)[3::4] == bytes(6)


def test_colorize_validates():
    grid = density_grid([(5, 5)], 30, 20, 10, 5)
    with pytest.raises(InputError, match="colormap"):
        colorize(grid, "viridis")
    with pytest.raises(InputError, match="alpha_floor"):
        colorize(grid, alpha_floor=1.0)
    with pytest.raises(InputError, match="opacity"):
        colorize(grid, opacity=1.5)
    from array import array

    bad = Grid(2, 1, 10.0, array("d", [1.0, -1.0]), 1)
    with pytest.raises(InputError, match=">= 0"):
        colorize(bad)


@pytest.mark.parametrize("name", COLORMAPS)
def test_legend_stops(name):
    stops = legend_stops(name, 5)
    assert [f for f, _ in stops] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert all(len(c) == 3 and all(0 <= v <= 255 for v in c) for _, c in stops)
    with pytest.raises(InputError):
        legend_stops(name, 1)


def test_jet_endpoints_and_middle():
    stops = dict(legend_stops("jet", 3))
    assert stops[0.0] == (0, 0, 128)  # dark blue
    r, g, b = stops[0.5]  # level 128: pale green between cyan and yellow
    assert g == 255 and abs(r - 128) <= 3 and abs(b - 128) <= 3
    assert stops[1.0] == (128, 0, 0)  # dark red


# --- rendering -------------------------------------------------------------------------


def test_render_heatmap_png_decodes_to_grid_size():
    rng = random.Random(3)
    points = [(rng.gauss(640, 100), rng.gauss(360, 80)) for _ in range(400)]
    image = render_heatmap_png(points, 1280, 720, cell_px=8, sigma_px=40)
    assert (image.grid_w, image.grid_h) == (160, 90)
    assert image.n_points == sum(1 for x, y in points if 0 <= x < 1280 and 0 <= y < 720)
    assert image.max_density > 0
    w, h, rgba = decode_png_rgba(image.png)
    assert (w, h) == (160, 90)
    assert max(rgba[3::4]) > 0 and min(rgba[3::4]) == 0
    assert HeatmapImage.from_dict(image.to_dict()) == image
