"""gazeheat._raster: lane arithmetic, bilinear upscaling, compositing, spans, font."""

import math
import random

import pytest

from gazeheat import _raster


def _bytes(rng, n, top=256):
    return bytes(rng.randrange(top) for _ in range(n))


# --- lane arithmetic -------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_add_and_sub_mod256(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 3000)
    a, b = _bytes(rng, n), _bytes(rng, n)
    assert _raster.add_mod256(a, b) == bytes((x + y) % 256 for x, y in zip(a, b))
    assert _raster.sub_mod256(a, b) == bytes((x - y) % 256 for x, y in zip(a, b))


@pytest.mark.parametrize("seed", range(4))
def test_blend_is_exactly_rounded(seed):
    rng = random.Random(10 + seed)
    n = rng.randint(1, 4000)
    src, weight = _bytes(rng, n), _bytes(rng, n)
    # add <= 255 * (255 - weight), as compositing guarantees
    add = [rng.randint(0, 255 * (255 - w)) for w in weight]
    got = _raster.blend(src, weight, bytes(v >> 8 for v in add), bytes(v & 255 for v in add))
    expected = bytes((2 * (s * w + a) + 255) // 510 for s, w, a in zip(src, weight, add))
    assert got == expected
    assert _raster.blend(b"", b"", b"", b"") == b""


def test_composite_leaves_untouched_pixels_and_matches_the_formula():
    rng = random.Random(5)
    width, height = 37, 29
    n = width * height
    base = bytearray(_bytes(rng, 4 * n))
    index = bytearray(n)
    for p in range(300, 500):  # a band of changed pixels in the middle
        index[p] = rng.randrange(256)
    alpha = bytes(min(i, 230) for i in range(256))
    weight = bytes(255 - a for a in alpha)
    colour = (10, 200, 90)
    adds = tuple((bytes((c * a) >> 8 for a in alpha), bytes((c * a) & 255 for a in alpha))
                 for c in colour)
    out = _raster.composite(bytes(base), bytes(index), weight, adds, width)
    for p in range(n):
        a = alpha[index[p]]
        for c in range(3):
            s = base[4 * p + c]
            assert out[4 * p + c] == (2 * (s * (255 - a) + colour[c] * a) + 255) // 510
        assert out[4 * p + 3] == 255


def test_composite_with_large_images_matches_numpy(np):
    rng = np.random.default_rng(3)
    width, height = 613, 419  # several bands
    base = rng.integers(0, 256, (height, width, 4), dtype=np.int64)
    index = rng.integers(0, 256, (height, width), dtype=np.int64)
    index[:50] = 0  # a run of untouched rows at the top
    alpha = np.minimum(np.arange(256), 200)
    alpha[0] = 0
    colour = np.array([255, 20, 140])
    tables = tuple((bytes(((c * alpha) >> 8).astype(np.uint8)),
                    bytes(((c * alpha) & 255).astype(np.uint8))) for c in colour)
    out = _raster.composite(base.astype(np.uint8).tobytes(), index.astype(np.uint8).tobytes(),
                            bytes((255 - alpha).astype(np.uint8)), tables, width)
    a = alpha[index][..., None]
    expected = (2 * (base[..., :3] * (255 - a) + colour * a) + 255) // 510
    got = np.frombuffer(bytes(out), np.uint8).reshape(height, width, 4)
    assert np.array_equal(got[..., :3], expected)
    assert (got[..., 3] == 255).all()


# --- bilinear upscaling ----------------------------------------------------------------


def _bilinear(np, grid, cell, width, height):
    """Float bilinear interpolation with cell centres at (i + 0.5) * cell, edges held."""
    gh, gw = grid.shape

    def axis(n_out, n_in):
        v = np.clip((np.arange(n_out) + 0.5) / cell - 0.5, 0, n_in - 1)
        i = np.minimum(np.floor(v).astype(int), n_in - 1)
        return i, np.minimum(i + 1, n_in - 1), v - i

    ix, ix1, fx = axis(width, gw)
    iy, iy1, fy = axis(height, gh)
    rows = grid[:, ix] * (1 - fx) + grid[:, ix1] * fx
    return rows[iy] * (1 - fy)[:, None] + rows[iy1] * fy[:, None]


@pytest.mark.parametrize("seed", range(6))
def test_upscale_matches_float_bilinear(np, seed):
    rng = np.random.default_rng(seed)
    gw, gh = int(rng.integers(1, 40)), int(rng.integers(1, 30))
    cell = float(rng.uniform(0.7, 12.0))
    width = int(rng.integers(max(1, int((gw - 1) * cell)), int(gw * cell) + 2))
    height = int(rng.integers(max(1, int((gh - 1) * cell)), int(gh * cell) + 2))
    grid = rng.integers(0, 256, (gh, gw))
    out = _raster.upscale_bilinear(grid.astype(np.uint8).tobytes(), gw, gh, cell, width, height)
    got = np.frombuffer(out, np.uint8).reshape(height, width).astype(float)
    # Two rounding steps (after each pass) and weights rounded to 1/256: < 2 levels.
    assert np.abs(got - _bilinear(np, grid.astype(float), cell, width, height)).max() < 2.0


def test_upscale_reproduces_constant_and_linear_grids():
    flat = _raster.upscale_bilinear(bytes([77] * 12), 4, 3, 5.0, 20, 15)
    assert flat == bytes([77] * 300)
    # one row 0, 100, 200 at centres 2.5, 7.5, 12.5 px: linear in between, held outside
    row = _raster.upscale_bilinear(bytes([0, 100, 200]), 3, 1, 5.0, 15, 1)
    assert list(row) == [0, 0, 0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 200, 200]


# --- painting --------------------------------------------------------------------------


def _canvas(width, height):
    return _raster.Canvas(width, height, bytearray(b"\xff" * (4 * width * height)))


def _coverage(canvas):
    """Per-pixel darkness (0 white .. 1 black) of a canvas painted black on white."""
    return [(255 - canvas.rgba[4 * p]) / 255 for p in range(canvas.width * canvas.height)]


def test_disc_area_and_symmetry():
    canvas = _canvas(60, 50)
    canvas.disc(30.3, 24.8, 17.2, _raster.Paint((0, 0, 0)))
    cover = _coverage(canvas)
    assert sum(cover) == pytest.approx(math.pi * 17.2 ** 2, rel=0.005)
    assert cover[24 * 60 + 30] == 1.0 and cover[0] == 0.0
    assert all(0.0 <= c <= 1.0 for c in cover)


def test_ring_and_segment_areas():
    canvas = _canvas(80, 80)
    canvas.ring(40, 40, 30.0, 26.5, _raster.Paint((0, 0, 0)))
    assert sum(_coverage(canvas)) == pytest.approx(math.pi * (30.0 ** 2 - 26.5 ** 2), rel=0.01)
    canvas = _canvas(120, 90)
    canvas.segment(10.0, 20.0, 110.0, 70.0, 2.0, _raster.Paint((0, 0, 0)))
    assert sum(_coverage(canvas)) == pytest.approx(math.hypot(100, 50) * 4.0, rel=0.01)


@pytest.mark.parametrize("seed", range(3))
def test_antialiasing_matches_supersampling(np, seed):
    rng = np.random.default_rng(seed)
    w, h = 48, 40
    ax, ay, bx, by = rng.uniform(2, 46), rng.uniform(2, 38), rng.uniform(2, 46), rng.uniform(2, 38)
    half, cx, cy, r = rng.uniform(0.6, 3.0), rng.uniform(10, 38), rng.uniform(10, 30), rng.uniform(3, 9)
    canvas = _canvas(w, h)
    canvas.segment(ax, ay, bx, by, half, _raster.Paint((0, 0, 0)))
    canvas2 = _canvas(w, h)
    canvas2.disc(cx, cy, r, _raster.Paint((0, 0, 0)))
    # reference: 32 x 32 samples per pixel
    s = (np.arange(32) + 0.5) / 32
    ys = (np.arange(h)[:, None] + s[None, :]).reshape(h, 32, 1, 1)
    xs = (np.arange(w)[:, None] + s[None, :]).reshape(1, 1, w, 32)
    length = math.hypot(bx - ax, by - ay)
    ux, uy = (bx - ax) / length, (by - ay) / length
    along = (xs - ax) * ux + (ys - ay) * uy
    across = -(xs - ax) * uy + (ys - ay) * ux
    line = ((along >= 0) & (along <= length) & (np.abs(across) <= half)).mean(axis=(1, 3))
    disc = (((xs - cx) ** 2 + (ys - cy) ** 2) <= r * r).mean(axis=(1, 3))
    for got, ref in ((canvas, line), (canvas2, disc)):
        cover = np.array(_coverage(got)).reshape(h, w)
        # exact across a row, 4 samples down it: per pixel within ~1/8, on average far closer
        assert np.abs(cover - ref).max() < 0.16
        assert np.abs(cover - ref).mean() < 0.01


def test_paint_alpha_and_clipping():
    canvas = _canvas(10, 4)
    canvas.fill_rect(-5, -5, 3, 20, _raster.Paint((0, 100, 200), 0.5))
    assert canvas.rgba[0:4] == bytes([128, 178, 228, 255])  # 255 + (c - 255) / 2, rounded
    assert canvas.rgba[12:16] == b"\xff" * 4
    canvas.disc(-100, -100, 3, _raster.Paint((0, 0, 0)))  # entirely outside: nothing
    canvas.segment(5, 5, 5, 5, 2, _raster.Paint((0, 0, 0)))  # zero length: nothing


def test_text_draws_font_pixels():
    assert _raster.text_width("12", 3) == 33 and _raster.text_height(2) == 14
    canvas = _canvas(20, 12)
    canvas.text(0, 6, "1", 1, _raster.Paint((0, 0, 0)), anchor="left")
    lit = ["".join("#" if canvas.rgba[4 * (y * 20 + x)] == 0 else "." for x in range(5))
           for y in range(2, 9)]
    assert lit == ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."]
    # outlined, lower case drawn as capitals, unknown characters as "?"
    canvas = _canvas(40, 20)
    canvas.text(20, 10, "a~", 1, _raster.Paint((255, 255, 255)), _raster.Paint((0, 0, 0)))
    assert b"\x00\x00\x00" in canvas.rgba


def test_font_glyphs_are_well_formed():
    for char, spec in _raster._FONT.items():
        rows = spec.split()
        assert len(rows) == 7 and all(len(r) == 5 and set(r) <= {"#", "."} for r in rows), char
