"""Private full-resolution pixel work for the renderers (heatmap, gaze plot, legend).

Nothing here loops over pixels in Python where whole rows or whole images can be
handled by C-level operations instead:

- **Lane arithmetic.** A Python int is arbitrary-precision, so n bytes can be packed
  into one int with a 16-bit *lane* per byte (``_widen``: the bytes interleaved with
  zero bytes, then ``int.from_bytes``). Adding such ints, or multiplying one by a
  small constant, acts on every lane at once as long as no lane exceeds 65535 (no
  carry crosses into the next lane); ``_narrow`` reads back the high byte of every
  lane. Blending two rows with one weight per row (bilinear upscaling,
  ``lerp_lines``) is then a handful of C calls per output row. A weight that varies
  per pixel (alpha compositing, ``blend``) is a product of two variables: it is
  computed one bit of the weight at a time, with lane masks (0 or 0xFF) selecting
  the lanes whose weight has that bit set: eight masked, shifted additions.
- **Spans.** Shapes are painted row by row (``Canvas``): the fully covered run of a
  row is blended with one colour by ``bytes.translate`` (a 256-entry table per
  channel); only the edge pixels with partial coverage (anti-aliasing) are done one
  by one. Coverage is exact across a row (interval overlap) and sampled at
  ``_SUB`` sub-rows down it.
- **Text.** A 5x7 bitmap font (digits, capitals and a few signs), scaled by whole
  pixels: every run of lit font pixels becomes one span.
"""

from __future__ import annotations

import math

from .errors import InputError

# --- lane arithmetic -----------------------------------------------------------------


def _widen(data) -> int:
    """One int with a 16-bit lane per byte of ``data`` (byte in the lane's low half)."""
    wide = bytearray(2 * len(data))
    wide[1::2] = data
    return int.from_bytes(wide, "big")


def _narrow(lanes: int, n: int) -> bytes:
    """The high byte of each of the ``n`` 16-bit lanes of ``lanes``."""
    return lanes.to_bytes(2 * n, "big")[0::2]


def _lanes(value: int, n: int) -> int:
    """An int with ``value`` (< 65536) in each of ``n`` 16-bit lanes."""
    return int.from_bytes(value.to_bytes(2, "big") * n, "big")


def add_mod256(a, b) -> bytes:
    """Per byte ``(a + b) % 256`` of two equal-length byte strings (PNG Up filter)."""
    return (_widen(a) + _widen(b)).to_bytes(2 * len(a), "big")[1::2]


def sub_mod256(a, b) -> bytes:
    """Per byte ``(a - b) % 256`` of two equal-length byte strings (PNG Up filter)."""
    n = len(a)
    wide = bytearray(b"\x01" * (2 * n))  # each lane 256 + a: subtracting b never borrows
    wide[1::2] = a
    return (int.from_bytes(wide, "big") - _widen(b)).to_bytes(2 * n, "big")[1::2]


def lerp_lines(lines: list, n_out: int, cell: float) -> list:
    """Linear interpolation across equal-length byte lines, ``n_out`` output lines.

    Input line ``i`` sits at output coordinate ``(i + 0.5) * cell``; output line
    ``k`` is sampled at ``k + 0.5`` (pixel centres) and clamped to the first and last
    input lines beyond them. The weight of the second line is rounded to 1/256, and
    each output byte is ``round(a + (b - a) * q / 256)``, exactly.
    """
    n_in = len(lines)
    m = len(lines[0])
    half = _lanes(128, m)
    packed = {}

    def lanes_of(i):
        if i not in packed:
            packed[i] = _widen(lines[i])
        return packed[i]

    out = []
    top = n_in - 1
    inv = 1.0 / cell
    for k in range(n_out):
        v = (k + 0.5) * inv - 0.5
        if v <= 0.0:
            out.append(bytes(lines[0]))
            continue
        if v >= top:
            out.append(bytes(lines[top]))
            continue
        i = int(v)
        q = int((v - i) * 256.0 + 0.5)
        if q == 0:
            out.append(bytes(lines[i]))
        elif q == 256:
            out.append(bytes(lines[i + 1]))
        else:
            # Each lane: a * (256 - q) + b * q + 128 <= 255 * 256 + 128 < 65536.
            mix = lanes_of(i) * (256 - q) + lanes_of(i + 1) * q + half
            out.append(_narrow(mix, m))
    return out


def upscale_bilinear(levels, gw: int, gh: int, cell: float, width: int, height: int) -> bytes:
    """Bilinear upscaling of a ``gw`` x ``gh`` byte grid to ``width`` x ``height``.

    Grid cell ``(row, col)`` is centred at ``((col + 0.5) * cell, (row + 0.5) *
    cell)`` output px; beyond the outermost centres the edge values continue.
    Horizontal pass: the grid's columns are interpolated as lines (one per output
    column), then transposed back into ``gh`` full-width rows; vertical pass: those
    rows are interpolated into the ``height`` output rows. Returns ``width * height``
    bytes, row-major.
    """
    columns = [levels[c::gw] for c in range(gw)]
    wide_columns = b"".join(lerp_lines(columns, width, cell))  # width x gh, column-major
    rows = [wide_columns[r::gh] for r in range(gh)]
    return b"".join(lerp_lines(rows, height, cell))


# n -> constant lane ints (1, 128, 0xFF in every lane) for ``blend``.
_BIT_LANES = {}


def blend(src, weight, add_hi, add_lo) -> bytes:
    """Per byte ``round((src * weight + add) / 255)``, with ``add = add_hi * 256 + add_lo``.

    All four are bytes-like of one length; the caller guarantees ``src * weight +
    add <= 255 * 255`` per byte. Compositing ``out = (s * (255 - a) + c * a) / 255``
    passes ``weight = 255 - a`` and ``add = c * a``. The product of two per-byte
    variables is summed over the weight's 8 bits: lanes where bit k is set
    contribute ``src << k``.
    """
    n = len(src)
    if n == 0:
        return b""
    s = _widen(src)
    w = _widen(weight)
    ones = _BIT_LANES.get(n)
    if ones is None:
        if len(_BIT_LANES) >= 8:  # bands mostly share one size; keep the cache small
            _BIT_LANES.clear()
        ones = _BIT_LANES[n] = (_lanes(1, n), _lanes(128, n), _lanes(0xFF, n))
    one, half, low = ones
    add = bytearray(2 * n)
    add[0::2] = add_hi
    add[1::2] = add_lo
    acc = int.from_bytes(add, "big") + half
    for k in range(8):
        # (w >> k) & one: 0 or 1 per lane; times 0xFF: a mask of the lane's low byte.
        acc += (s & (((w >> k) & one) * 0xFF)) << k
    # round(v / 255) for v <= 255 * 255 is (t + (t >> 8)) >> 8 with t = v + 128.
    acc += (acc >> 8) & low
    return _narrow(acc, n)


# Bytes per channel plane handled by one ``blend`` call: big enough that the Python
# overhead vanishes, small enough for the ints (4x this) to stay in the CPU cache
# (measured: 2**16..2**18 is ~2.5x faster than a whole 1080p image at once).
_BAND_BYTES = 1 << 17


def composite(base, index, weight_table: bytes, add_tables: tuple, width: int) -> bytearray:
    """Per pixel and channel ``round((base * weight + add) / 255)``, made opaque.

    ``base``: RGBA bytes; ``index``: one byte per pixel choosing, through the
    256-entry tables, the pixel's ``weight = weight_table[i]`` and per channel
    ``add = hi[i] * 256 + lo[i]`` (``add_tables``: three ``(hi, lo)`` pairs). The
    caller guarantees ``255 * weight + add <= 255 * 255`` and ``add == 0`` where
    ``weight == 255`` (such pixels are left as they are, and skipped at the ends of
    each band). Works in bands of whole rows; each band's R, G and B are stacked
    into one plane for a single ``blend``.
    """
    n = len(index)
    out = bytearray(base)
    out[3::4] = b"\xff" * n
    band = max(1, _BAND_BYTES // (3 * width)) * width
    for p0 in range(0, n, band):
        idx = index[p0:p0 + band]
        weight = idx.translate(weight_table)
        stripped = weight.lstrip(b"\xff")
        if not stripped:
            continue
        q0 = p0 + len(weight) - len(stripped)
        q1 = q0 + len(stripped.rstrip(b"\xff"))
        idx = index[q0:q1]
        weight = weight[q0 - p0:q1 - p0]
        pixels = base[4 * q0:4 * q1]
        src = b"".join(pixels[c::4] for c in range(3))
        hi = b"".join(idx.translate(h) for h, _ in add_tables)
        lo = b"".join(idx.translate(low) for _, low in add_tables)
        mixed = blend(src, weight * 3, hi, lo)
        m = q1 - q0
        for c in range(3):
            out[4 * q0 + c:4 * q1:4] = mixed[c * m:(c + 1) * m]
    return out


def opaque_rgba(rgba, width: int, height: int) -> bytes:
    """``rgba`` (a stimulus image) laid over white: opaque RGBA bytes; all white if
    ``rgba`` is None. Raises InputError unless it has ``width * height * 4`` bytes."""
    n = width * height
    if rgba is None:
        return b"\xff" * (4 * n)
    data = bytes(rgba)
    if len(data) != 4 * n:
        raise InputError(f"stimulus RGBA must have {width}x{height}x4 = {4 * n} bytes, got "
                         f"{len(data)} (is the image {width}x{height} px?)")
    alpha = data[3::4]
    if alpha.count(255) == n:
        return data
    # Over white: (s * a + 255 * (255 - a)) / 255 per channel, indexed by the alpha.
    return bytes(composite(data, alpha, bytes(range(256)), (_WHITE_UNDER,) * 3, width))


_WHITE_UNDER = (bytes((255 * (255 - a)) >> 8 for a in range(256)),
                bytes((255 * (255 - a)) & 255 for a in range(256)))


# --- painting on an opaque RGBA canvas -------------------------------------------------

#: Sub-rows per pixel row sampled for anti-aliasing.
_SUB = 4
_SUB_Y = tuple((k + 0.5) / _SUB for k in range(_SUB))


class Paint:
    """A colour ``(r, g, b)`` (0..255) laid on at ``alpha`` (0..1), with its tables."""

    __slots__ = ("rgb", "alpha", "tables", "_parts")

    def __init__(self, rgb, alpha: float = 1.0):
        self.rgb = tuple(int(c) for c in rgb)
        self.alpha = float(alpha)
        # tables[c][s]: channel value s after blending in rgb[c] at full coverage.
        self.tables = tuple(
            bytes(int(s + (c - s) * self.alpha + 0.5) for s in range(256)) for c in self.rgb
        )
        self._parts = {}

    def part(self, count: int) -> Paint:
        """This paint at ``count / _SUB`` coverage (cached)."""
        if count not in self._parts:
            self._parts[count] = Paint(self.rgb, self.alpha * count / _SUB)
        return self._parts[count]


class Canvas:
    """An opaque ``width`` x ``height`` RGBA image (``rgba``: a bytearray) to paint on.

    Coordinates are px with the origin at the top-left corner of the top-left pixel;
    pixel ``(x, y)`` covers ``[x, x + 1) x [y, y + 1)``. Painting only changes R, G
    and B; everything is clipped to the image.
    """

    def __init__(self, width: int, height: int, rgba: bytearray):
        self.width = width
        self.height = height
        self.rgba = rgba

    def fill_span(self, y: int, x0: int, x1: int, paint: Paint) -> None:
        """Blend ``paint`` over pixels ``x0 <= x < x1`` of row ``y`` (clipped)."""
        if not 0 <= y < self.height:
            return
        x0, x1 = max(x0, 0), min(x1, self.width)
        if x0 >= x1:
            return
        start = 4 * (y * self.width + x0)
        end = 4 * (y * self.width + x1)
        data = self.rgba
        for c in range(3):
            data[start + c:end:4] = data[start + c:end:4].translate(paint.tables[c])

    def fill_rect(self, x0: int, y0: int, x1: int, y1: int, paint: Paint) -> None:
        """Blend ``paint`` over the pixels of ``[x0, x1) x [y0, y1)``."""
        for y in range(max(y0, 0), min(y1, self.height)):
            self.fill_span(y, x0, x1, paint)

    def blend_pixel(self, x: int, y: int, paint: Paint, coverage: float) -> None:
        """Blend ``paint`` over pixel ``(x, y)`` at ``coverage`` (0..1) of its alpha."""
        a = paint.alpha * coverage
        i = 4 * (y * self.width + x)
        data = self.rgba
        for c, value in enumerate(paint.rgb):
            s = data[i + c]
            data[i + c] = int(s + (value - s) * a + 0.5)

    def fill_shape(self, y0: float, y1: float, interval, paint: Paint,
                   smooth: bool = True) -> None:
        """Paint a shape whose every horizontal line ``y`` (``y0 <= y <= y1``) meets it
        in one interval: ``interval(y)`` returns ``(x_left, x_right)`` or None.
        ``smooth=False``: hard edges, each row filled over its centre line's
        interval rounded to whole pixels (for edges that something opaque covers).

        A pixel's coverage is the mean, over ``_SUB`` sub-rows, of the length of its
        overlap with that sub-row's interval. Pixels holding an interval end are
        computed one by one; between them every sub-row covers a pixel fully or not
        at all, so the coverage is constant (k / ``_SUB``) along runs, which are
        painted as spans (short runs pixel by pixel, which is cheaper).
        """
        width = self.width
        data = self.rgba
        rgb, alpha = paint.rgb, paint.alpha
        for y in range(max(math.floor(y0), 0), min(math.ceil(y1), self.height)):
            if not smooth:
                span = interval(y + 0.5)
                if span is not None:
                    self.fill_span(y, round(span[0]), round(span[1]), paint)
                continue
            spans = []
            for dy in _SUB_Y:
                span = interval(y + dy)
                if span is not None and span[1] > span[0]:
                    spans.append(span)
            if not spans:
                continue
            ends = set()     # pixels that contain an interval end
            steps = {}       # x -> change in the number of sub-rows covering x fully
            for a, b in spans:
                ends.add(math.floor(a))
                ends.add(math.ceil(b) - 1)
                full_a, full_b = math.ceil(a), math.floor(b)
                if full_a < full_b:
                    steps[full_a] = steps.get(full_a, 0) + 1
                    steps[full_b] = steps.get(full_b, 0) - 1
            cuts = sorted(set(steps) | ends | {x + 1 for x in ends})
            count = 0
            for x0, x1 in zip(cuts, cuts[1:]):
                count += steps.get(x0, 0)
                lo, hi = max(x0, 0), min(x1, width)
                if lo >= hi:
                    continue
                if x0 in ends:
                    cover, right = 0.0, x0 + 1.0
                    for a, b in spans:
                        # overlap of [a, b] with [x0, x0 + 1] (no min/max calls: hot)
                        overlap = (b if b < right else right) - (a if a > x0 else x0)
                        if overlap > 0.0:
                            cover += overlap
                    if cover > 0.0:
                        # blend_pixel, inlined: this is the hot loop of anti-aliasing.
                        a = alpha * cover / _SUB
                        i = 4 * (y * width + x0)
                        for c in range(3):
                            v = data[i + c]
                            data[i + c] = int(v + (rgb[c] - v) * a + 0.5)
                elif count == _SUB:
                    self.fill_span(y, lo, hi, paint)
                elif count > 0:
                    if hi - lo <= 4:
                        for x in range(lo, hi):
                            self.blend_pixel(x, y, paint, count / _SUB)
                    else:
                        self.fill_span(y, lo, hi, paint.part(count))

    def disc(self, cx: float, cy: float, radius: float, paint: Paint,
             smooth: bool = True) -> None:
        """A filled disc of ``radius`` px centred at ``(cx, cy)`` (``smooth``: as in
        ``fill_shape``)."""
        r2 = radius * radius

        def interval(y):
            h = r2 - (y - cy) ** 2
            if h <= 0.0:
                return None
            h = math.sqrt(h)
            return cx - h, cx + h

        self.fill_shape(cy - radius, cy + radius, interval, paint, smooth)

    def ring(self, cx: int, cy: int, outer: float, inner: float, paint: Paint) -> None:
        """The ring between radii ``inner`` < ``outer`` around an integer centre.

        Painted as its left and right halves, each one interval per line; with the
        centre on a pixel boundary no pixel belongs to both halves, so none is
        blended twice.
        """
        o2, i2 = outer * outer, inner * inner

        def half(sign):
            def interval(y):
                d2 = (y - cy) ** 2
                if d2 >= o2:
                    return None
                far = math.sqrt(o2 - d2)
                near = math.sqrt(i2 - d2) if d2 < i2 else 0.0
                return (cx - far, cx - near) if sign < 0 else (cx + near, cx + far)

            return interval

        self.fill_shape(cy - outer, cy + outer, half(-1), paint)
        self.fill_shape(cy - outer, cy + outer, half(1), paint)

    def segment(self, ax: float, ay: float, bx: float, by: float, half_width: float,
                paint: Paint) -> None:
        """A straight stroke from ``(ax, ay)`` to ``(bx, by)``, ``2 * half_width`` px
        wide, with square-cut ends at the two points (nothing for a zero length)."""
        length = math.hypot(bx - ax, by - ay)
        if length == 0.0:
            return
        ux, uy = (bx - ax) / length, (by - ay) / length
        nx, ny = -uy, ux

        def slab(slope, offset, lo, hi):
            # x - ax for which lo <= slope * (x - ax) + offset <= hi; None if empty.
            if abs(slope) < 1e-12:
                return (-math.inf, math.inf) if lo <= offset <= hi else None
            p, q = (lo - offset) / slope, (hi - offset) / slope
            return (p, q) if p <= q else (q, p)

        def interval(y):
            dy = y - ay
            across = slab(nx, ny * dy, -half_width, half_width)
            along = slab(ux, uy * dy, 0.0, length)
            if across is None or along is None:
                return None
            lo, hi = max(across[0], along[0]), min(across[1], along[1])
            return (ax + lo, ax + hi) if lo < hi else None

        pad = half_width
        self.fill_shape(min(ay, by) - pad, max(ay, by) + pad, interval, paint)

    def text(self, x: float, y: float, text: str, scale: int, paint: Paint,
             outline: Paint | None = None, anchor: str = "center") -> None:
        """Draw ``text`` in the built-in 5x7 font, each font pixel ``scale`` px square.

        ``anchor``: ``"center"`` centres the text on ``(x, y)``; ``"left"`` /
        ``"right"`` put its left / right edge at ``x`` (vertically centred on ``y``).
        ``outline``: painted first as the glyphs grown by one font pixel, so the text
        stays readable on any background. Characters the font lacks are drawn as
        ``?``; lower case is drawn as capitals.
        """
        text = text.upper()
        w_px = text_width(text, scale)
        if anchor == "center":
            left = x - w_px / 2.0
        elif anchor == "left":
            left = x
        else:
            left = x - w_px
        left = int(round(left))
        top = int(round(y - _GLYPH_H * scale / 2.0))
        layers = [(_OUTLINED, outline, -1)] if outline is not None else []
        layers.append((_GLYPHS, paint, 0))
        for glyphs, layer_paint, shift in layers:
            for i, char in enumerate(text):
                rows = glyphs.get(char, glyphs["?"])
                gx = left + i * _ADVANCE * scale + shift * scale
                for r, runs in enumerate(rows):
                    gy = top + (r + shift) * scale
                    for a, b in runs:
                        self.fill_rect(gx + a * scale, gy, gx + b * scale, gy + scale,
                                       layer_paint)


def text_width(text: str, scale: int) -> int:
    """Width in px of ``text`` drawn by ``Canvas.text`` at ``scale``."""
    return max(0, (len(text) * _ADVANCE - 1) * scale)


def text_height(scale: int) -> int:
    """Height in px of a line drawn by ``Canvas.text`` at ``scale``."""
    return _GLYPH_H * scale


# --- the font --------------------------------------------------------------------------

_GLYPH_W = 5
_GLYPH_H = 7
_ADVANCE = _GLYPH_W + 1

# Each glyph: 7 rows of 5 font pixels, top row first, "#" lit.
_FONT = {
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .#### ....# ...#. .##..",
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "####. #...# #...# #...# #...# #...# ####.",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    " ": "..... ..... ..... ..... ..... ..... .....",
    ".": "..... ..... ..... ..... ..... .##.. .##..",
    ",": "..... ..... ..... ..... .##.. ..#.. .#...",
    "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
    ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
    "%": "##... ##..# ...#. ..#.. .#... #..## ...##",
    "-": "..... ..... ..... ##### ..... ..... .....",
    "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
    "/": "..... ....# ...#. ..#.. .#... #.... .....",
    ":": "..... .##.. .##.. ..... .##.. .##.. .....",
    "?": ".###. #...# ....# ...#. ..#.. ..... ..#..",
}


def _runs(bits: int, width: int) -> tuple:
    """Runs ``(start, end)`` of set bits in a row mask (bit ``width - 1`` = column 0)."""
    runs, start = [], None
    for col in range(width + 1):
        lit = col < width and bits >> (width - 1 - col) & 1
        if lit and start is None:
            start = col
        elif not lit and start is not None:
            runs.append((start, col))
            start = None
    return tuple(runs)


def _build_font() -> tuple:
    glyphs, outlined = {}, {}
    for char, spec in _FONT.items():
        masks = [int(row.replace("#", "1").replace(".", "0"), 2) for row in spec.split()]
        glyphs[char] = tuple(_runs(m, _GLYPH_W) for m in masks)
        # Grown by one font pixel on every side: a (5 + 2) x (7 + 2) mask.
        padded = [0] + [m << 1 for m in masks] + [0]
        grown = []
        for r in range(_GLYPH_H + 2):
            near = padded[max(r - 1, 0):r + 2]
            bits = 0
            for m in near:
                bits |= m | (m << 1) | (m >> 1)
            grown.append(_runs(bits, _GLYPH_W + 2))
        outlined[char] = tuple(grown)
    return glyphs, outlined


_GLYPHS, _OUTLINED = _build_font()
