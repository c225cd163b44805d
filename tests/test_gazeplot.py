"""gazeheat.gazeplot: numbered fixation circles joined by saccade lines."""

import io
import math

import pytest

from gazeheat import constants as C
from gazeheat.errors import InputError
from gazeheat.gazeplot import circle_radii, render_gazeplot
from gazeheat.png import decode_png_rgba
from gazeheat.stimulus import StimulusGeometry


def _fixation(x, y, duration_ms, start_ms=0.0):
    return {"start_ms": start_ms, "end_ms": start_ms + duration_ms, "duration_ms": duration_ms,
            "x": x, "y": y, "dispersion_deg": 1.0, "n_samples": 3}


def _pixel(rgba, width, x, y):
    i = 4 * (y * width + x)
    return tuple(rgba[i:i + 4])


def test_radii_sqrt_and_linear():
    assert circle_radii([100, 400, 0], 40.0) == pytest.approx(
        [20.0, 40.0, 40.0 * C.GAZEPLOT_MIN_RADIUS_FRACTION])
    assert circle_radii([100, 400], 40.0, "linear") == pytest.approx([12.0, 40.0])
    assert circle_radii([0, 0], 10.0) == [10.0 * C.GAZEPLOT_MIN_RADIUS_FRACTION] * 2
    assert circle_radii([], 10.0) == []
    with pytest.raises(InputError, match="sizing"):
        circle_radii([1], 10.0, "area")


def test_gazeplot_over_white():
    geometry = StimulusGeometry.viewport(400, 300)
    fixations = [_fixation(100, 100, 400), _fixation(300, 100, 100, 500),
                 _fixation(200, 240, 900, 700)]
    w, h, rgba = decode_png_rgba(render_gazeplot(fixations, geometry, px_per_deg=30.0))
    assert (w, h) == (400, 300)
    assert set(rgba[3::4]) == {255}
    assert _pixel(rgba, w, 5, 295) == (255, 255, 255, 255)  # nothing drawn here
    # inside the first circle, away from its number: the fill over white
    r0 = circle_radii([400, 100, 900], 1.5 * 30.0)[0]
    fill = _pixel(rgba, w, 100, round(100 + r0 * 0.6))
    assert fill[2] > fill[0] and fill != (255, 255, 255, 255)
    # on the saccade from fixation 1 to 2, midway (y = 100), outside both circles: dark
    assert max(_pixel(rgba, w, 200, 100)[:3]) < 120
    # the numbers: white glyph pixels with dark outlines near each centre
    for cx, cy in ((100, 100), (300, 100), (200, 240)):
        block = [_pixel(rgba, w, x, y) for x in range(cx - 8, cx + 8) for y in range(cy - 8, cy + 8)]
        assert (255, 255, 255, 255) in block and any(max(p[:3]) < 40 for p in block)


def test_gazeplot_over_a_stimulus_and_the_scale(PIL_Image, data_dir):
    _, _, stimulus = decode_png_rgba((data_dir / "stimulus_160x90.png").read_bytes())
    geometry = StimulusGeometry("image", 160, 90, 100.0, 50.0, 640.0, 360.0)
    fixations = [_fixation(300, 200, 300), _fixation(500, 300, 600, 400)]
    png = render_gazeplot(fixations, geometry, stimulus, px_per_deg=40.0, sizing="linear")
    img = PIL_Image.open(io.BytesIO(png))
    assert img.size == (160, 90) and img.mode == "RGBA"
    w, h, rgba = decode_png_rgba(png)
    assert img.tobytes() == rgba
    # far from the fixations the (opaque) stimulus shows unchanged
    assert _pixel(rgba, w, 155, 5) == _pixel(stimulus, w, 155, 5)
    # the stimulus is 1/4 the CSS size: the longest fixation's circle has a radius of
    # 1.5 deg * 40 px/deg / 4 = 15 native px (its ring ends there)
    cx, cy = geometry.to_stimulus(500, 300)
    row = [_pixel(rgba, w, x, round(cy)) for x in range(w)]
    changed = [x for x in range(w) if row[x] != _pixel(stimulus, w, x, round(cy))]
    assert max(changed) == pytest.approx(cx + 15, abs=1.5)


def test_many_fixations_and_numbers_past_nine():
    geometry = StimulusGeometry.viewport(300, 200)
    fixations = [_fixation(20 + 25 * (i % 11), 30 + 60 * (i // 11), 100 + 10 * i, 200 * i)
                 for i in range(24)]
    w, h, rgba = decode_png_rgba(render_gazeplot(fixations, geometry, max_radius_deg=0.3))
    assert (w, h) == (300, 200)


def test_validation():
    geometry = StimulusGeometry.viewport(100, 100)
    with pytest.raises(InputError, match=r"fixations\[0\]"):
        render_gazeplot([{"x": 1}], geometry)
    with pytest.raises(InputError, match="StimulusGeometry"):
        render_gazeplot([], {"kind": "blank"})
    with pytest.raises(InputError, match="100x100"):
        render_gazeplot([], geometry, bytes(12))
    with pytest.raises(InputError, match="px_per_deg"):
        render_gazeplot([], geometry, px_per_deg=0)
    with pytest.raises(InputError, match="sizing"):
        render_gazeplot([_fixation(5, 5, 100)], geometry, sizing="log")
    assert decode_png_rgba(render_gazeplot([], geometry))[2] == b"\xff" * 40000
    assert math.isfinite(C.GAZEPLOT_MAX_RADIUS_DEG)
