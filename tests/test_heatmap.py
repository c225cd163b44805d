"""gazeheat.heatmap: density grids and maps, box-cascade blur, weights, styles, legends,
coarse and full-size rendering."""

import hashlib
import io
import math
import random
from array import array

import pytest

from gazeheat import constants as C
from gazeheat.errors import InputError
from gazeheat.fixations import Fixation
from gazeheat.heatmap import (
    COLORMAPS,
    DensityMap,
    Grid,
    HeatmapImage,
    HeatmapStyle,
    WeightedPoints,
    _box_widths,
    colorize,
    density_grid,
    density_map,
    heatmap_legend,
    heatmap_levels,
    legend_stops,
    render_heatmap_coarse,
    render_heatmap_only,
    render_heatmap_overlay,
    render_heatmap_png,
)
from gazeheat.png import decode_png_rgba
from gazeheat.stimulus import StimulusGeometry

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
        colorize(grid, "rainbow")
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
    assert stops[0.0] == (0, 0, 127)  # dark blue (matplotlib's 8-bit jet)
    r, g, b = stops[0.5]  # level 128: pale green between cyan and yellow
    assert g == 255 and abs(r - 128) <= 5 and abs(b - 128) <= 8
    assert stops[1.0] == (127, 0, 0)  # dark red


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


# === heatmap studio: weights, density maps over a stimulus, styles, full size ========

NAN = float("nan")


def _fixation(x, y, duration_ms, start_ms=0.0):
    return {"start_ms": start_ms, "end_ms": start_ms + duration_ms, "duration_ms": duration_ms,
            "x": x, "y": y, "dispersion_deg": 1.0, "n_samples": 3}


def _sha(data):
    return hashlib.sha256(bytes(data)).hexdigest()


def _studio_case(load_json):
    case = load_json("heatmap_studio_case.json")
    geometry = StimulusGeometry.from_dict(case["geometry"])
    points = WeightedPoints.from_fixations(case["fixations"], case["weighting"])
    density = density_map(points, geometry, case["sigma_deg"], case["px_per_deg"])
    return case, density


def test_golden_density_map(load_json):
    case, density = _studio_case(load_json)
    e = case["expected"]
    grid = density.grid
    assert (grid.w_cells, grid.h_cells) == (e["w_cells"], e["h_cells"])
    assert grid.cell_px == pytest.approx(e["cell_px"], rel=1e-12)
    assert _box_widths(density.sigma_x_px / grid.cell_px, 3) == e["widths_x"]
    assert _box_widths(density.sigma_y_px / grid.cell_px, 3) == e["widths_y"]
    assert grid.n_points == e["n_points"]
    assert density.total_weight == pytest.approx(e["total_weight"], rel=1e-12)
    assert density.max_value == pytest.approx(e["max_value"], rel=1e-9)
    assert list(grid.values) == pytest.approx(e["values"], rel=1e-9, abs=1e-12)
    assert (density.unit, density.title) == ("s", "fixation duration (s)")


def test_golden_levels_and_full_size_images(load_json, data_dir):
    case, density = _studio_case(load_json)
    e = case["expected"]
    style = HeatmapStyle.from_dict(case["style"])
    assert _sha(heatmap_levels(density, style)) == e["levels_sha256"]
    half = HeatmapStyle(scale="absolute", scale_max=0.5 * density.max_value)
    assert _sha(heatmap_levels(density, half)) == e["absolute_half_max_levels_sha256"]
    from gazeheat.heatmap import _full_levels

    assert _sha(_full_levels(density, style)) == e["full_levels_sha256"]
    _, _, stimulus = decode_png_rgba((data_dir / "stimulus_160x90.png").read_bytes())
    cases = [
        (render_heatmap_overlay(density, style, stimulus), "overlay_rgba_sha256"),
        (render_heatmap_overlay(density, style), "white_overlay_rgba_sha256"),
        (render_heatmap_only(density, style), "only_rgba_sha256"),
        (render_heatmap_overlay(density, HeatmapStyle("fog", 0.9, 0.1), stimulus),
         "fog_overlay_rgba_sha256"),
        (render_heatmap_overlay(density, HeatmapStyle("viridis", scale="absolute",
                                                      scale_max=0.5 * density.max_value),
                                stimulus), "viridis_absolute_overlay_rgba_sha256"),
    ]
    for png, key in cases:
        w, h, rgba = decode_png_rgba(png)
        assert (w, h) == (160, 90)
        assert _sha(rgba) == e[key], key


# --- weights ---------------------------------------------------------------------------


def test_fixation_weightings():
    fixations = [_fixation(10, 10, 200), Fixation(0, 600, 600, 50, 50, 1.0, 9),
                 _fixation(90, 90, 200)]
    duration = WeightedPoints.from_fixations(fixations)
    assert list(duration.weights) == [0.2, 0.6, 0.2] and duration.total_weight == 1.0
    count = WeightedPoints.from_fixations(fixations, "count")
    assert count.weights is None and count.weight == 1.0 and count.total_weight == 3.0
    relative = WeightedPoints.from_fixations(fixations, "relative")
    assert relative.weights == pytest.approx([0.2, 0.6, 0.2]) and relative.total_weight == 1.0
    assert (relative.n_valid, relative.source) == (3, "fixations")
    zero = WeightedPoints.from_fixations([_fixation(1, 1, 0), _fixation(2, 2, 0)], "relative")
    assert zero.weights is None and zero.weight == 0.5
    empty = WeightedPoints.from_fixations([], "relative")
    assert (empty.n_valid, empty.total_weight) == (0, 0.0)


def test_sample_weightings_use_the_median_frame():
    t = [0.0, 33.0, 66.0, 100.0, 133.0, 500.0, 533.0]  # one 367 ms gap
    x = [1.0, 2.0, NAN, 4.0, 5.0, 6.0, 7.0]
    y = [1.0, 2.0, NAN, 4.0, 5.0, 6.0, 7.0]
    duration = WeightedPoints.from_sample_columns(t, x, y)
    assert duration.n_valid == 6 and duration.weight == pytest.approx(0.033)
    assert duration.total_weight == pytest.approx(6 * 0.033)
    assert WeightedPoints.from_sample_columns(t, x, y, "count").total_weight == 6.0
    relative = WeightedPoints.from_sample_columns(t, x, y, "relative")
    assert relative.weight == pytest.approx(1 / 6) and relative.total_weight == 1.0
    samples = [{"t_ms": ti, "x": None if xi != xi else xi, "y": None if yi != yi else yi}
               for ti, xi, yi in zip(t, x, y)]
    from_dicts = WeightedPoints.from_samples(samples)
    assert (from_dicts.n_valid, from_dicts.weight) == (6, duration.weight)
    one = WeightedPoints.from_sample_columns([5.0], [1.0], [1.0])
    assert one.weight == 0.0 and one.n_valid == 1


def test_weighting_errors():
    with pytest.raises(InputError, match="weighting"):
        WeightedPoints.from_fixations([], "time")
    with pytest.raises(InputError, match=r"fixations\[1\]"):
        WeightedPoints.from_fixations([_fixation(1, 1, 100), {"x": 1}])
    with pytest.raises(InputError, match="same length"):
        WeightedPoints.from_sample_columns([0.0, 1.0], [1.0], [1.0])
    with pytest.raises(InputError, match=r"samples\[0\]"):
        WeightedPoints.from_samples([{"t_ms": 0.0, "x": "a", "y": 1}])


# --- density maps ----------------------------------------------------------------------


def test_isolated_fixation_peaks_at_its_weight():
    geometry = StimulusGeometry.viewport(800, 600)
    points = WeightedPoints.from_fixations([_fixation(400.3, 300.7, 420)])
    density = density_map(points, geometry, 1.0, 40.0)
    assert density.max_value == pytest.approx(0.42, rel=1e-12)
    assert density.grid.cell_px == pytest.approx(40.0 / 20 ** 0.5)
    count = density_map(WeightedPoints.from_fixations([_fixation(400, 300, 420)], "count"),
                        geometry, 1.0, 40.0)
    assert count.max_value == pytest.approx(1.0) and count.unit == "fixations"


def test_points_off_the_stimulus_count_in_the_total_only():
    geometry = StimulusGeometry("image", 100, 100, 50.0, 50.0, 200.0, 200.0)
    fixations = [_fixation(150, 150, 300), _fixation(20, 20, 700), _fixation(251, 100, 100)]
    density = density_map(WeightedPoints.from_fixations(fixations, "relative"), geometry)
    assert density.grid.n_points == 1 and density.total_weight == 1.0
    assert density.max_value == pytest.approx(300 / 1100)
    assert density.title == "share of fixation time (%)"


def _reference_density(np, ndimage, points, geometry, density):
    """Bin and convolve with the peak-normalised composite box kernels (numpy)."""
    grid = density.grid
    binned = np.zeros((grid.h_cells, grid.w_cells))
    weights = [points.weight] * len(points.x_px) if points.weights is None else points.weights
    for x, y, w in zip(points.x_px, points.y_px, weights):
        sx, sy = geometry.to_stimulus(x, y)
        if sx == sx and 0 <= sx < geometry.width_px and 0 <= sy < geometry.height_px:
            binned[int(sy / grid.cell_px), int(sx / grid.cell_px)] += w
    out = binned
    for axis, sigma in ((1, density.sigma_x_px), (0, density.sigma_y_px)):
        kernel = np.array([1.0])
        for w in _box_widths(sigma / grid.cell_px, 3):
            kernel = np.convolve(kernel, np.ones(w))
        out = ndimage.convolve1d(out, kernel / kernel[len(kernel) // 2], axis=axis,
                                 mode="constant")
    return out


@pytest.mark.parametrize("seed", range(6))
def test_density_map_equals_the_composite_box_kernel(np, ndimage, seed):
    rng = np.random.default_rng(300 + seed)
    width, height = int(rng.integers(40, 700)), int(rng.integers(40, 500))
    rect = rng.uniform([-50, -50, 100, 100], [200, 200, 900, 700])
    geometry = StimulusGeometry("image", width, height, *rect)
    n = int(rng.integers(1, 300))
    xs = rng.uniform(rect[0] - 30, rect[0] + rect[2] + 30, n)
    ys = rng.uniform(rect[1] - 30, rect[1] + rect[3] + 30, n)
    if seed % 2:
        fixations = [_fixation(float(x), float(y), float(d))
                     for x, y, d in zip(xs, ys, rng.uniform(50, 900, n))]
        points = WeightedPoints.from_fixations(fixations, ("duration", "relative")[seed % 4 // 2])
    else:
        xs[::7] = np.nan
        t = np.cumsum(rng.uniform(25, 40, n))
        points = WeightedPoints.from_sample_columns(array("d", t), array("d", xs),
                                                    array("d", np.where(np.isnan(xs), np.nan, ys)),
                                                    ("duration", "count")[seed % 4 // 2])
    density = density_map(points, geometry, float(rng.uniform(0.3, 2.5)), float(rng.uniform(20, 60)))
    expected = _reference_density(np, ndimage, points, geometry, density)
    got = np.array(density.grid.values).reshape(density.grid.h_cells, density.grid.w_cells)
    assert np.abs(got - expected).max() <= 1e-9 * max(expected.max(), 1e-300)


@pytest.mark.parametrize("seed", range(4))
def test_density_map_is_close_to_a_gaussian(np, ndimage, seed):
    """Against the sampled Gaussian scaled to peak 1 (scipy), on realistic gaze."""
    rng = np.random.default_rng(400 + seed)
    geometry = StimulusGeometry("image", 1600, 900, 0.0, 0.0, 1280.0, 720.0)
    centres = rng.uniform([0, 0], [1280, 720], (15, 2))
    which = rng.integers(0, 15, 200)
    xy = centres[which] + rng.normal(0, 25, (200, 2))
    fixations = [_fixation(float(x), float(y), float(d))
                 for (x, y), d in zip(xy, rng.uniform(100, 600, 200))]
    points = WeightedPoints.from_fixations(fixations)
    density = density_map(points, geometry, 1.0, 40.0)
    grid = density.grid
    binned = np.zeros((grid.h_cells, grid.w_cells))
    for f in fixations:
        sx, sy = geometry.to_stimulus(f["x"], f["y"])
        if 0 <= sx < 1600 and 0 <= sy < 900:
            binned[int(sy / grid.cell_px), int(sx / grid.cell_px)] += f["duration_ms"] / 1000
    s = density.sigma_x_px / grid.cell_px
    gauss = ndimage.gaussian_filter(binned, s, mode="constant", truncate=6.0) * 2 * np.pi * s * s
    got = np.array(grid.values).reshape(grid.h_cells, grid.w_cells)
    # Both are "sum of weight x kernel with peak 1"; the 3-box kernel is flatter-topped
    # with shorter tails (measured: up to 0.11 of the peak, 0.01 on average).
    assert np.abs(got - gauss).max() <= 0.13 * gauss.max()
    assert np.abs(got - gauss).mean() <= 0.025 * gauss.max()


def test_grid_size_follows_sigma_and_limits():
    geometry = StimulusGeometry.viewport(1920, 1080)
    points = WeightedPoints.from_fixations([_fixation(5, 5, 100)])
    grid = density_map(points, geometry, 1.0, C.DEFAULT_PX_PER_DEG).grid
    assert grid.cell_px == pytest.approx(C.DEFAULT_PX_PER_DEG / C.HEATMAP_CELLS_PER_SIGMA)
    assert (grid.w_cells, grid.h_cells) == (217, 123)
    tiny = density_map(points, geometry, 0.01, 10.0).grid
    assert tiny.cell_px == C.HEATMAP_MIN_CELL_PX
    from gazeheat.heatmap import _cell_size

    cell = _cell_size(40000, 40000, 1.0)  # a 40000 px image and a tiny kernel
    # the smallest cell (in steps of 1.25x) whose grid fits
    assert math.ceil(40000 / cell) ** 2 <= C.HEATMAP_MAX_CELLS < math.ceil(50000 / cell) ** 2


def test_density_map_validates():
    geometry = StimulusGeometry.viewport(100, 100)
    points = WeightedPoints.from_fixations([])
    with pytest.raises(InputError, match="sigma_deg"):
        density_map(points, geometry, 0.0)
    with pytest.raises(InputError, match="px_per_deg"):
        density_map(points, geometry, 1.0, -1)
    with pytest.raises(InputError, match="WeightedPoints"):
        density_map([(1, 2)], geometry)
    with pytest.raises(InputError, match="StimulusGeometry"):
        density_map(points, {"kind": "blank"})
    assert density_map(points, geometry).max_value == 0.0


# --- styles, levels, legends -----------------------------------------------------------


def test_style_validation_and_dicts():
    assert HeatmapStyle() == HeatmapStyle.from_dict({"colormap": None, "future": 1})
    style = HeatmapStyle("turbo", 0.5, 0.1, "absolute", 2)
    assert HeatmapStyle.from_dict(style.to_dict()) == style and style.scale_max == 2.0
    assert HeatmapStyle(scale="relative", scale_max=3.0).scale_max is None
    for kwargs, message in [({"colormap": "nope"}, "colormap"), ({"opacity": 1.5}, "opacity"),
                            ({"cutoff": 1.0}, "cutoff"), ({"scale": "log"}, "scale"),
                            ({"scale": "absolute"}, "scale_max"),
                            ({"scale": "absolute", "scale_max": 0}, "scale_max")]:
        with pytest.raises(InputError, match=message):
            HeatmapStyle(**kwargs)
    with pytest.raises(InputError, match="object"):
        HeatmapStyle.from_dict("jet")


def _two_blobs():
    geometry = StimulusGeometry.viewport(400, 200)
    points = WeightedPoints.from_fixations([_fixation(100, 100, 1000), _fixation(300, 100, 250)])
    return density_map(points, geometry, 1.0, 30.0)


def test_levels_relative_and_absolute_scales():
    density = _two_blobs()
    relative = heatmap_levels(density, HeatmapStyle())
    assert max(relative) == 255 and min(relative) == 0
    same_scale = heatmap_levels(density, HeatmapStyle(scale="absolute",
                                                      scale_max=density.max_value))
    assert same_scale == relative
    doubled = heatmap_levels(density, HeatmapStyle(scale="absolute", scale_max=2.0))
    assert max(doubled) in (127, 128)  # 1.0 s of 2.0 s
    clipped = heatmap_levels(density, HeatmapStyle(scale="absolute", scale_max=0.1))
    assert max(clipped) == 255 and clipped.count(255) > relative.count(255)


def test_legend_titles_ticks_and_png():
    density = _two_blobs()
    legend = heatmap_legend(density, HeatmapStyle("viridis", cutoff=0.1))
    assert (legend.title, legend.unit) == ("fixation duration (s)", "s")
    assert legend.max_value == pytest.approx(1.0) and legend.cutoff_value == pytest.approx(0.1)
    assert [t[2] for t in legend.ticks] == ["0.00", "0.25", "0.50", "0.75", "1.00"]
    assert len(legend.stops) == 11 and legend.stops[0][2][3] == 0
    assert legend.stops[-1][2] == (253, 231, 36, 204)
    w, h, _ = decode_png_rgba(legend.png)
    assert w >= 300 and 40 <= h <= 120
    d = legend.to_dict()
    assert set(d) == {"title", "unit", "max_value", "cutoff_value", "stops", "ticks", "png"}
    assert d["stops"][0] == {"fraction": 0.0, "value": 0.0, "rgba": [68, 1, 84, 0]}
    relative = density_map(WeightedPoints.from_fixations([_fixation(100, 100, 300)], "relative"),
                           StimulusGeometry.viewport(400, 200), 1.0, 30.0)
    assert [t[2] for t in heatmap_legend(relative, HeatmapStyle(), 3).ticks] == ["0", "50", "100"]
    with pytest.raises(InputError, match="n_ticks"):
        heatmap_legend(density, HeatmapStyle(), 1)


def test_fog_dims_everything_but_the_looked_at_areas():
    density = _two_blobs()
    levels = heatmap_levels(density, HeatmapStyle("fog"))
    rgba = decode_png_rgba(render_heatmap_only(density, HeatmapStyle("fog", opacity=0.9)))[2]
    assert set(rgba[0::4]) == {0}  # a black mask
    alpha = rgba[3::4]
    assert max(alpha) == round(255 * 0.9)  # nobody looked: dimmed
    assert min(alpha) <= 10  # the peak: clear
    assert len(levels) == density.grid.w_cells * density.grid.h_cells


# --- rendering -------------------------------------------------------------------------


def test_coarse_png_is_grid_sized(PIL_Image):
    density = _two_blobs()
    image = render_heatmap_coarse(density, HeatmapStyle())
    assert (image.grid_w, image.grid_h) == (density.grid.w_cells, density.grid.h_cells)
    assert image.max_density == pytest.approx(density.max_value) and image.n_points == 2
    img = PIL_Image.open(io.BytesIO(image.png))
    assert img.size == (image.grid_w, image.grid_h) and img.mode == "RGBA"


def test_full_size_pngs_have_the_stimulus_size(PIL_Image):
    geometry = StimulusGeometry("image", 333, 211, 10.0, 20.0, 600.0, 400.0)
    points = WeightedPoints.from_fixations([_fixation(300, 200, 500), _fixation(100, 90, 200)])
    density = density_map(points, geometry)
    for png, mode in ((render_heatmap_overlay(density, HeatmapStyle()), "RGBA"),
                      (render_heatmap_only(density, HeatmapStyle()), "RGBA")):
        w, h, rgba = decode_png_rgba(png)
        assert (w, h) == (333, 211)
        img = PIL_Image.open(io.BytesIO(png))
        assert img.size == (333, 211) and img.mode == mode
        assert img.tobytes() == rgba


def test_overlay_over_white_equals_overlay_over_a_white_image():
    density = _two_blobs()
    style = HeatmapStyle("turbo", 0.7, 0.05)
    white = b"\xff" * (4 * 400 * 200)
    fast = decode_png_rgba(render_heatmap_overlay(density, style))
    general = decode_png_rgba(render_heatmap_overlay(density, style, white))
    assert fast == general


def test_overlay_matches_numpy_compositing(np):
    rng = np.random.default_rng(9)
    geometry = StimulusGeometry("image", 257, 143, 0.0, 0.0, 514.0, 286.0)
    fixations = [_fixation(float(x), float(y), float(d)) for x, y, d in
                 zip(rng.uniform(0, 514, 30), rng.uniform(0, 286, 30), rng.uniform(100, 900, 30))]
    density = density_map(WeightedPoints.from_fixations(fixations), geometry, 1.0, 40.0)
    stimulus = rng.integers(0, 256, (143, 257, 4))
    stimulus[..., 3] = np.where(rng.random((143, 257)) < 0.2, rng.integers(0, 256, (143, 257)), 255)
    style = HeatmapStyle("jet", 0.8, 0.02)
    png = render_heatmap_overlay(density, style, stimulus.astype(np.uint8).tobytes())
    got = np.frombuffer(decode_png_rgba(png)[2], np.uint8).reshape(143, 257, 4).astype(float)
    # reference in floats: bilinear levels, tables, "over" on the stimulus laid over white
    from gazeheat.heatmap import _tables

    grid = density.grid
    values = np.array(grid.values).reshape(grid.h_cells, grid.w_cells)
    levels = np.floor(255 * values / values.max() + 0.5)
    cell = grid.cell_px

    def axis(n_out, n_in):
        v = np.clip((np.arange(n_out) + 0.5) / cell - 0.5, 0, n_in - 1)
        i = np.minimum(np.floor(v).astype(int), n_in - 1)
        return i, np.minimum(i + 1, n_in - 1), v - i

    ix, ix1, fx = axis(257, grid.w_cells)
    iy, iy1, fy = axis(143, grid.h_cells)
    rows = levels[:, ix] * (1 - fx) + levels[:, ix1] * fx
    full = np.rint(rows[iy] * (1 - fy)[:, None] + rows[iy1] * fy[:, None]).astype(int)
    r, g, b, a = (np.frombuffer(t, np.uint8).astype(float) for t in _tables("jet", 0.02, 0.8))
    colour = np.stack([r[full], g[full], b[full]], axis=-1)
    alpha = a[full][..., None] / 255
    sa = stimulus[..., 3:4] / 255
    base = stimulus[..., :3] * sa + 255 * (1 - sa)
    expected = base * (1 - alpha) + colour * alpha
    diff = np.abs(got[..., :3] - expected)
    # Levels may differ by up to 2 after the integer upscale; one level of jet moves a
    # channel by up to ~8 where it is steepest, times alpha <= 0.8; plus rounding.
    assert diff.max() <= 16 and diff.mean() < 0.5
    assert (got[..., 3] == 255).all()


def test_overlay_rejects_a_stimulus_of_the_wrong_size():
    density = _two_blobs()
    with pytest.raises(InputError, match="400x200"):
        render_heatmap_overlay(density, HeatmapStyle(), bytes(4 * 10))
    assert isinstance(density, DensityMap)
