"""gazeheat.aggregate: multi-session heatmaps, selection by validation, comparison."""

import math
import random
from statistics import median

import pytest
from gazeheat import constants as C
from gazeheat.aggregate import (
    AggregateMap,
    Exclusion,
    aggregate_density,
    compare_densities,
    render_density,
    select_sessions,
    session_label,
)
from gazeheat.errors import InputError
from gazeheat.fixations import Fixation
from gazeheat.heatmap import (
    HeatmapStyle,
    WeightedPoints,
    _box_widths,
    density_map,
    heatmap_legend,
)
from gazeheat.png import decode_png_rgba
from gazeheat.session import make_session, make_stimulus_image, stimulus_key
from gazeheat.stimulus import StimulusGeometry

CREATED = "2025-01-31T12:00:00.000Z"
NATIVE = (1600, 900)


def _fix(x, y, duration_ms, start_ms=0.0):
    return Fixation(start_ms, start_ms + duration_ms, duration_ms, x, y, 0.5, 3).to_dict()


def _session(rng, n_fixations, native=NATIVE, name="shop.png", clusters=None):
    """A session over the same stimulus on a random screen: own viewport, rectangle
    (aspect kept), px_per_deg; fixations in CSS px, clustered on stimulus spots."""
    vw, vh = rng.choice([(1280, 720), (1920, 1080), (1440, 900), (1024, 768)])
    scale = rng.uniform(0.5, 1.0) * min(vw / native[0], vh / native[1])
    rw, rh = native[0] * scale, native[1] * scale
    rx, ry = rng.uniform(0, vw - rw), rng.uniform(0, vh - rh)
    stimulus = {"kind": "image", "name": name, "width_px": native[0], "height_px": native[1],
                "rect_x_px": rx, "rect_y_px": ry, "rect_w_px": rw, "rect_h_px": rh}
    fixations, t = [], 0.0
    for _ in range(n_fixations):
        if clusters:
            sx, sy = rng.choice(clusters)
            sx, sy = sx + rng.gauss(0, 30), sy + rng.gauss(0, 30)
        else:
            sx, sy = rng.uniform(-100, native[0] + 100), rng.uniform(-100, native[1] + 100)
        d = rng.uniform(90, 900)
        fixations.append(_fix(rx + sx * rw / native[0], ry + sy * rh / native[1], d, t))
        t += d + 50
    session = make_session([], vw, vh, None, CREATED)
    session.update(stimulus=stimulus, fixations=fixations, px_per_deg=rng.uniform(20, 60),
                   participant=f"P{rng.randrange(1000)}")
    return session


def _reference(np, ndimage, sessions, aggregate, weighting):
    """Bin every session's fixations (mapped with its own geometry, weighted from the
    definitions) and convolve with the composite box kernel at the map's sigma."""
    density = aggregate.density
    grid = density.grid
    binned = np.zeros((grid.h_cells, grid.w_cells))
    width, height = density.width_px, density.height_px
    with_gaze = [s for s in sessions if s["fixations"]]
    for s in with_gaze:
        st = s["stimulus"]
        total = sum(f["duration_ms"] for f in s["fixations"])
        for f in s["fixations"]:
            sx = (f["x"] - st["rect_x_px"]) * width / st["rect_w_px"]
            sy = (f["y"] - st["rect_y_px"]) * height / st["rect_h_px"]
            w = (f["duration_ms"] / total / len(with_gaze) if weighting == "equal"
                 else f["duration_ms"] / 1000)
            if 0 <= sx < width and 0 <= sy < height:
                binned[int(sy / grid.cell_px), int(sx / grid.cell_px)] += w
    out = binned
    for axis in (0, 1):
        kernel = np.array([1.0])
        for w in _box_widths(density.sigma_x_px / grid.cell_px, 3):
            kernel = np.convolve(kernel, np.ones(w))
        out = ndimage.convolve1d(out, kernel / kernel[len(kernel) // 2], axis=axis, mode="constant")
    return binned, out


@pytest.mark.parametrize("seed", range(8))
def test_aggregate_equals_the_reference_on_random_sessions(np, ndimage, seed):
    rng = random.Random(seed)
    sessions = [_session(rng, rng.randint(0 if k else 1, 60)) for k in range(rng.randint(1, 5))]
    weighting = ("equal", "time")[seed % 2]
    sigma_deg = rng.uniform(0.5, 2.0)
    agg = aggregate_density(sessions, sigma_deg, weighting)
    assert isinstance(agg, AggregateMap) and agg.stimulus_key == "image:shop.png:1600x900"
    assert (agg.density.width_px, agg.density.height_px) == NATIVE
    expected_ppd = median(s["px_per_deg"] * math.sqrt(NATIVE[0] / s["stimulus"]["rect_w_px"]
                                                      * NATIVE[1] / s["stimulus"]["rect_h_px"])
                          for s in sessions)
    assert agg.px_per_deg == pytest.approx(expected_ppd, rel=1e-12)
    assert agg.density.sigma_x_px == pytest.approx(sigma_deg * expected_ppd, rel=1e-12)
    assert agg.n_sessions == len(sessions)
    assert agg.n_with_gaze == sum(1 for s in sessions if s["fixations"])
    binned, expected = _reference(np, ndimage, sessions, agg, weighting)
    got = np.array(agg.density.grid.values).reshape(agg.density.grid.h_cells, agg.density.grid.w_cells)
    assert np.abs(got - expected).max() <= 1e-9 * max(expected.max(), 1e-300)
    assert agg.density.grid.n_points == int(np.count_nonzero(binned) and sum(
        1 for s in sessions for f in s["fixations"]
        if 0 <= (f["x"] - s["stimulus"]["rect_x_px"]) * NATIVE[0] / s["stimulus"]["rect_w_px"] < NATIVE[0]
        and 0 <= (f["y"] - s["stimulus"]["rect_y_px"]) * NATIVE[1] / s["stimulus"]["rect_h_px"] < NATIVE[1]))
    if weighting == "equal":
        assert agg.density.total_weight == pytest.approx(1.0)
        assert agg.density.unit == "fraction"
    else:
        assert agg.density.total_weight == pytest.approx(
            sum(f["duration_ms"] for s in sessions for f in s["fixations"]) / 1000)
        assert agg.density.unit == "s"


@pytest.mark.parametrize("seed", range(3))
def test_aggregate_is_close_to_a_gaussian_sum(np, ndimage, seed):
    """Against scipy's Gaussian (peak 1) of the same weighted points, realistic gaze."""
    rng = random.Random(50 + seed)
    clusters = [(rng.uniform(100, 1500), rng.uniform(100, 800)) for _ in range(12)]
    sessions = [_session(rng, 60, clusters=clusters) for _ in range(4)]
    agg = aggregate_density(sessions, 1.0)
    binned, _ = _reference(np, ndimage, sessions, agg, "equal")
    s = agg.density.sigma_x_px / agg.density.grid.cell_px
    gauss = ndimage.gaussian_filter(binned, s, mode="constant", truncate=6.0) * 2 * np.pi * s * s
    got = np.array(agg.density.grid.values).reshape(binned.shape)
    assert np.abs(got - gauss).max() <= 0.13 * gauss.max()
    assert np.abs(got - gauss).mean() <= 0.04 * gauss.max()


def test_one_session_on_its_native_rect_equals_the_single_session_map():
    rng = random.Random(4)
    session = _session(rng, 40)
    session["stimulus"].update(rect_x_px=0.0, rect_y_px=0.0, rect_w_px=1600.0, rect_h_px=900.0)
    session["px_per_deg"] = 33.0
    agg = aggregate_density([session], 1.2, "equal")
    single = density_map(WeightedPoints.from_fixations(session["fixations"], "relative"),
                         StimulusGeometry.from_dict(session["stimulus"]), 1.2, 33.0)
    assert list(agg.density.grid.values) == pytest.approx(list(single.grid.values), rel=1e-12, abs=1e-15)
    assert agg.density.grid.n_points == single.grid.n_points


def test_equal_weighting_gives_participants_the_same_weight():
    # Two participants each fixate one spot; B looks ten times longer.
    a = make_session([], 1600, 900, None, CREATED)
    b = make_session([], 1600, 900, None, CREATED)
    a["fixations"] = [_fix(400, 450, 300)]
    b["fixations"] = [_fix(1200, 450, 1500), _fix(1200, 450, 1500, 2000)]
    for weighting, ratio in (("equal", 1.0), ("time", 10.0)):
        agg = aggregate_density([a, b], 1.0, weighting)
        grid = agg.density.grid
        row = int(450 / grid.cell_px)
        left = max(grid.values[row * grid.w_cells: row * grid.w_cells + grid.w_cells // 2])
        right = max(grid.values[row * grid.w_cells + grid.w_cells // 2: (row + 1) * grid.w_cells])
        assert right / left == pytest.approx(ratio, rel=1e-9)
    # Each participant's share: one isolated spot peaks at 1 / (number of participants).
    assert aggregate_density([a, b], 1.0).density.max_value == pytest.approx(0.5, rel=1e-9)


def test_sessions_without_gaze_add_nothing_and_do_not_dilute():
    rng = random.Random(8)
    full = _session(rng, 30)
    empty = dict(full, fixations=[])
    one = aggregate_density([full])
    two = aggregate_density([full, empty])
    assert two.n_sessions == 2 and two.n_with_gaze == 1
    assert list(two.density.grid.values) == pytest.approx(list(one.density.grid.values))
    none = aggregate_density([empty])
    assert none.density.max_value == 0.0 and none.n_with_gaze == 0


def test_samples_source_and_detection_from_samples():
    rng = random.Random(12)
    samples, t = [], 0.0
    for cx, cy in ((300, 300), (900, 500), (300, 310)):
        for _ in range(20):
            samples.append({"t_ms": t, "x": cx + rng.gauss(0, 2), "y": cy + rng.gauss(0, 2)})
            t += 33.3
    session = make_session(samples, 1280, 720, None, CREATED)
    by_samples = aggregate_density([session], source="samples")
    assert by_samples.stimulus_key == "viewport:1280x720"
    assert by_samples.density.source == "samples" and by_samples.density.grid.n_points == 60
    detected = aggregate_density([session])  # no stored fixations: detected
    assert detected.density.grid.n_points == 3
    assert detected.density.total_weight == pytest.approx(1.0)


def test_size_px_maps_onto_the_picture_size():
    rng = random.Random(2)
    sessions = [_session(rng, 30) for _ in range(3)]
    full = aggregate_density(sessions, 1.0)
    half = aggregate_density(sessions, 1.0, size_px=(800, 450))
    assert (half.density.width_px, half.density.height_px) == (800, 450)
    assert half.px_per_deg == pytest.approx(full.px_per_deg / 2)
    assert half.density.max_value == pytest.approx(full.density.max_value, rel=0.15)


def test_different_stimuli_are_refused():
    rng = random.Random(3)
    a, b = _session(rng, 5), _session(rng, 5, name="other.png")
    with pytest.raises(InputError, match="different stimuli.*shop.png.*other.png"):
        aggregate_density([a, b, a])
    c = dict(a, stimulus_image=make_stimulus_image(b"\x89PNG\r\n\x1a\n" + bytes(8), "image/png"))
    with pytest.raises(InputError, match="sha256"):
        aggregate_density([a, c])
    with pytest.raises(InputError, match="no sessions"):
        aggregate_density([])
    with pytest.raises(InputError, match="weighting"):
        aggregate_density([a], weighting="relative")
    with pytest.raises(InputError, match="source"):
        aggregate_density([a], source="video")
    with pytest.raises(InputError, match="sigma_deg"):
        aggregate_density([a], sigma_deg=0)
    unstored = {k: v for k, v in a.items() if k != "fixations"}  # detection needs settings
    with pytest.raises(InputError, match=r"sessions\[1\]: Fixation algorithm"):
        aggregate_density([a, {**unstored, "settings": {"fixation_method": "x"}}])


def test_select_sessions_by_validation_error():
    def with_error(error, **extra):
        s = make_session([], 100, 100, None, CREATED)
        if error is not None:
            s["validation"] = {"accuracy_deg": error, "grade": "good"}
        s.update(extra)
        return s

    sessions = [with_error(1.5, participant="Ann"), with_error(2.34, participant="Bo"),
                with_error(None, recording_id="r-7"), with_error(2.0), with_error(0.2)]
    assert select_sessions(sessions) == ([0, 1, 2, 3, 4], [])
    included, excluded = select_sessions(sessions, 2.0)
    assert included == [0, 3, 4]
    assert excluded == [Exclusion(1, "Bo", "validation 2.3° > 2.0°"),
                        Exclusion(2, "r-7", "no validation")]
    assert excluded[0].to_dict() == {"index": 1, "label": "Bo", "reason": "validation 2.3° > 2.0°"}
    assert session_label({"participant": "  "}, 4) == "session 5"
    with pytest.raises(InputError, match="max_error_deg"):
        select_sessions(sessions, -1)


def test_compare_uses_one_scale_for_both_groups(PIL_Image):
    rng = random.Random(21)
    group_a = [_session(rng, 40) for _ in range(3)]
    group_b = [_session(rng, 5) for _ in range(2)]
    map_a, map_b, style = compare_densities(group_a, group_b, HeatmapStyle("viridis"), sigma_deg=1.0)
    top = max(map_a.density.max_value, map_b.density.max_value)
    assert style.scale == "absolute" and style.scale_max == top and style.colormap == "viridis"
    assert style.top(map_a.density) == style.top(map_b.density) == top
    legend = heatmap_legend(map_a.density, style)
    assert legend.max_value == top
    for m in (map_a, map_b):
        for output in ("overlay", "heatmap", "coarse"):
            png = render_density(m.density, style, output)
            w, h, _ = decode_png_rgba(png)
            if output == "coarse":
                assert (w, h) == (m.density.grid.w_cells, m.density.grid.h_cells)
            else:
                assert (w, h) == NATIVE
    # A fixed absolute scale chosen by the user is kept.
    fixed = HeatmapStyle(scale="absolute", scale_max=0.01)
    assert compare_densities(group_a, group_b, fixed)[2] == fixed
    with pytest.raises(InputError, match="group B"):
        compare_densities(group_a, [])
    with pytest.raises(InputError, match="output"):
        render_density(map_a.density, style, "svg")


def test_compare_allows_different_stimuli_per_group():
    rng = random.Random(5)
    a = [_session(rng, 10)]
    b = [_session(rng, 10, native=(800, 600), name="variant-b.png")]
    map_a, map_b, _ = compare_densities(a, b)
    assert map_a.stimulus_key != map_b.stimulus_key
    assert (map_b.density.width_px, map_b.density.height_px) == (800, 600)


def test_long_sessions_stay_linear():
    # One hour at 30 Hz of samples: mapping and weighing are single C-level passes.
    import time

    n = 108_000
    samples = [{"t_ms": i * 33.3, "x": 100.0 + (i % 500), "y": 200.0 + (i % 300)} for i in range(n)]
    session = make_session(samples, 1280, 720, None, CREATED)
    start = time.perf_counter()
    agg = aggregate_density([session, session], source="samples")
    assert agg.density.grid.n_points == 2 * n
    assert time.perf_counter() - start < 30  # loose: a quadratic path would take hours
    assert stimulus_key(session) == agg.stimulus_key
    assert agg.density.sigma_x_px == pytest.approx(C.HEATMAP_SIGMA_DEG * C.DEFAULT_PX_PER_DEG)


# --- the worker adapter for the dashboard (gazeheat._worker) -------------------------------


def _ok(reply):
    assert reply["ok"] is True, reply
    return reply["result"]


def test_worker_session_check_reports_summaries_and_errors_as_data():
    from gazeheat import _worker
    from gazeheat.session import dump_session

    rng = random.Random(31)
    session = _session(rng, 5)
    session["samples"] = [{"t_ms": 100.0, "x": 1.0, "y": 2.0}, {"t_ms": 400.0, "x": None, "y": None}]
    session["validation"] = {"accuracy_deg": 1.25, "grade": "good"}
    session["recording_id"] = "rec-9"
    text = dump_session(session)
    summary = _ok(_worker.session_check(text))
    assert summary["ok"] is True
    assert (summary["participant"], summary["recording_id"]) == (session["participant"], "rec-9")
    assert summary["duration_ms"] == 300.0 and summary["n_samples"] == 2
    assert summary["valid_fraction"] == 0.5 and summary["n_fixations"] == 5
    assert (summary["accuracy_deg"], summary["grade"]) == (1.25, "good")
    assert summary["stimulus_key"] == "image:shop.png:1600x900"
    assert summary["stimulus"]["width_px"] == 1600 and summary["image_media_type"] is None
    assert _ok(_worker.session_check(text.encode()))["ok"] is True
    assert _ok(_worker.session_check(session))["ok"] is True
    for bad in (text[: len(text) // 2], b"\xff\xfe", "[]", 42):
        result = _ok(_worker.session_check(bad))
        assert result["ok"] is False and result["error"]["type"] == "FormatError"
        assert result["error"]["message"]


def test_worker_aggregate_and_compare(PIL_Image):
    from gazeheat import _worker
    from gazeheat.png import encode_png
    from gazeheat.session import dump_session

    rng = random.Random(32)
    sessions = [_session(rng, 30) for _ in range(4)]
    for k, s in enumerate(sessions):
        s["validation"] = {"accuracy_deg": 0.5 + k, "grade": "good"}
    texts = [dump_session(s) for s in sessions]
    result = _ok(_worker.aggregate_heatmap(texts, {"max_error_deg": 2.0, "output": "coarse"}))
    assert result["included"] == [0, 1]
    assert [e["reason"] for e in result["excluded"]] == ["validation 2.5° > 2.0°",
                                                         "validation 3.5° > 2.0°"]
    expected = aggregate_density(sessions[:2])
    assert result["max_value"] == pytest.approx(expected.density.max_value)
    assert result["unit"] == "fraction" and result["picture"] == "none"
    assert result["legend"]["max_value"] == pytest.approx(result["top_value"])
    w, h, _ = decode_png_rgba(result["png"])
    assert (w, h) == (result["grid_w"], result["grid_h"])
    # A picture given as RGBA sets the output size.
    rgba = bytes([200, 10, 10, 255]) * (160 * 90)
    full = _ok(_worker.aggregate_heatmap(texts, {"stimulus_rgba": rgba, "stimulus_w_px": 160,
                                                 "stimulus_h_px": 90, "weighting": "time"}))
    assert decode_png_rgba(full["png"])[:2] == (160, 90) and full["picture"] == "given"
    assert full["unit"] == "s" and full["included"] == [0, 1, 2, 3]
    # An embedded PNG is used when no picture is given.
    picture = encode_png(32, 18, bytes([0, 0, 255, 255]) * (32 * 18))
    from gazeheat.session import make_stimulus_image

    embedded = [dict(s, stimulus_image=make_stimulus_image(picture, "image/png")) for s in sessions]
    result = _ok(_worker.aggregate_heatmap(embedded, {}))
    assert result["picture"] == "embedded" and (result["width_px"], result["height_px"]) == (32, 18)
    # Errors come back as data.
    reply = _worker.aggregate_heatmap(texts, {"max_error_deg": 0.1})
    assert reply["ok"] is False and "no session left" in reply["error"]["message"]
    assert "no validation" not in reply["error"]["message"]
    other = dict(sessions[0], stimulus=dict(sessions[0]["stimulus"], name="b.png"))
    reply = _worker.aggregate_heatmap([sessions[0], other], {})
    assert reply["ok"] is False and reply["error"]["type"] == "InputError"
    reply = _worker.aggregate_heatmap([texts[0], texts[1][:50]], {})
    assert reply["error"]["type"] == "FormatError" and "sessions[1]" in reply["error"]["message"]
    # Comparison: one scale for both sides.
    both = _ok(_worker.compare_heatmaps(texts[:1], texts[1:], {"output": "heatmap"}))
    top = max(both["a"]["max_value"], both["b"]["max_value"])
    assert both["a"]["top_value"] == both["b"]["top_value"] == both["top_value"] == top
    assert both["legend"]["max_value"] == top
    assert both["b"]["included"] == [0, 1, 2]
    reply = _worker.compare_heatmaps(texts, [], {})
    assert reply["ok"] is False and "group B" in reply["error"]["message"]


def test_worker_single_stored_session_heatmap_and_gazeplot(PIL_Image):
    from gazeheat import _worker
    from gazeheat.session import dump_session

    rng = random.Random(33)
    session = _session(rng, 12)
    text = dump_session(session)
    result = _ok(_worker.session_heatmap(text, {"output": "heatmap", "weighting": "count"}))
    geometry = StimulusGeometry.from_dict(session["stimulus"])
    expected = density_map(WeightedPoints.from_fixations(session["fixations"], "count"), geometry,
                           C.HEATMAP_SIGMA_DEG, session["px_per_deg"])
    assert result["max_value"] == pytest.approx(expected.max_value)
    assert decode_png_rgba(result["png"])[:2] == NATIVE and result["unit"] == "fixations"
    plot = _ok(_worker.session_gazeplot(text, {"sizing": "linear"}))
    assert plot["n_fixations"] == 12 and decode_png_rgba(plot["png"])[:2] == NATIVE
    rgba = bytes(4 * 80 * 45)
    small = _ok(_worker.session_gazeplot(session, {"stimulus_rgba": rgba, "stimulus_w_px": 80,
                                                  "stimulus_h_px": 45}))
    assert (small["width_px"], small["height_px"]) == (80, 45)
    reply = _worker.session_heatmap(text, {"source": "video"})
    assert reply["ok"] is False and reply["error"]["type"] == "InputError"
    reply = _worker.session_heatmap(text, {"stimulus_rgba": rgba, "stimulus_w_px": 81,
                                           "stimulus_h_px": 45})
    assert reply["ok"] is False and "width x height x 4" in reply["error"]["message"]


def test_worker_stimulus_image():
    from gazeheat import _worker
    from gazeheat.png import encode_png

    png = encode_png(2, 2, bytes(16))
    image = _ok(_worker.stimulus_image(png, "image/png"))
    assert image["media_type"] == "image/png" and len(image["sha256"]) == 64
    reply = _worker.stimulus_image(png, "image/gif")
    assert reply["ok"] is False and reply["error"]["type"] == "FormatError"


def test_js_py_calls_match_the_worker_functions():
    """Every dashboard entry of js/messages.js names a worker function with exactly
    those parameters, in that order."""
    import inspect
    import re
    from pathlib import Path

    from gazeheat import _worker

    path = Path(__file__).resolve().parents[1] / "js" / "messages.js"
    if not path.exists():  # the Pyodide runner may mount only part of the tree
        pytest.skip("js/messages.js not available")
    text = path.read_text(encoding="utf-8")
    entries = re.findall(r'(\w+): \{\s*fn: "(\w+)",\s*args: \[([^\]]*)\]', text)
    ours = {"session_check", "stimulus_image", "aggregate_heatmap", "compare_heatmaps",
            "session_heatmap", "session_gazeplot", "aoi_table"}
    found = {fn: [a.strip().strip('"') for a in args.split(",") if a.strip()]
             for _, fn, args in entries if fn in ours}
    assert set(found) == ours
    for fn, args in found.items():
        assert list(inspect.signature(getattr(_worker, fn)).parameters) == args, fn
