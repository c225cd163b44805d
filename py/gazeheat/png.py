"""Minimal PNG encoder (8-bit RGBA) and decoder (every non-interlaced PNG, as RGBA).

Pure standard library: ``zlib`` does the compression and the CRCs; filtering and
unpacking work on whole rows (``bytes.translate``, slices, big-integer lanes from
``_raster``) except the Average and Paeth filters, which are per byte by nature.
"""

from __future__ import annotations

import struct
import zlib
from itertools import accumulate, repeat
from operator import and_

from . import _check
from . import constants as C
from ._raster import add_mod256, sub_mod256
from .errors import FormatError, InputError

__all__ = ["encode_png", "decode_png_rgba"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_GREY = 0
_COLOUR_RGB = 2
_COLOUR_PALETTE = 3
_COLOUR_GREY_ALPHA = 4
_COLOUR_RGBA = 6
# colour type -> (channels, allowed bit depths)
_COLOUR_TYPES = {
    _COLOUR_GREY: (1, (1, 2, 4, 8, 16)),
    _COLOUR_RGB: (3, (8, 16)),
    _COLOUR_PALETTE: (1, (1, 2, 4, 8)),
    _COLOUR_GREY_ALPHA: (2, (8, 16)),
    _COLOUR_RGBA: (4, (8, 16)),
}
_ZLIB_LEVEL = 6
# For large images (full-size renders): the Up filter plus zlib level 1. Measured on
# a 1920x1080 photo with a heatmap over it: 3x faster and 30 % smaller than no
# filter at level 6; on a smooth heatmap over white 2x faster (and 2x larger).
_FAST_ZLIB_LEVEL = 1
# Rows per Up-filter band: keeps the big ints small enough for the CPU cache.
_FILTER_BAND_BYTES = 1 << 18


def encode_png(width, height, rgba, fast=False) -> bytes:
    """Encode ``width`` x ``height`` 8-bit RGBA pixels (row-major, top row first).

    ``rgba`` is a bytes-like object of exactly ``width * height * 4`` bytes.
    ``fast=False``: rows use filter type 0 (None) and zlib level 6, right for small,
    smooth images (heatmap grids, legends). ``fast=True``: filter type 2 (Up) and
    zlib level 1, for full-size images (see ``_FAST_ZLIB_LEVEL``).
    Raises InputError on bad sizes or a wrong byte count.
    """
    w = _check.positive_int(width, "width")
    h = _check.positive_int(height, "height")
    if w >= 1 << 31 or h >= 1 << 31:
        raise InputError(f"PNG width and height must be < 2**31, got {w}x{h}")
    data = bytes(rgba)
    stride = 4 * w
    if len(data) != stride * h:
        raise InputError(f"rgba must have width*height*4 = {stride * h} bytes, got {len(data)}")
    if fast:
        kind, level = b"\x02", _FAST_ZLIB_LEVEL
        # Up: each byte minus the byte above it (the first row has zeros above).
        rows = max(1, _FILTER_BAND_BYTES // stride)
        bands = [data[:stride]]
        for start in range(stride, len(data), rows * stride):
            end = min(start + rows * stride, len(data))
            bands.append(sub_mod256(data[start:end], data[start - stride:end - stride]))
        data = b"".join(bands)
    else:
        kind, level = b"\x00", _ZLIB_LEVEL
    raw = b"".join(kind + data[i : i + stride] for i in range(0, len(data), stride))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, _COLOUR_RGBA, 0, 0, 0)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", ihdr),
            _chunk(b"IDAT", zlib.compress(raw, level)),
            _chunk(b"IEND", b""),
        )
    )


def decode_png_rgba(data) -> tuple:
    """Decode a PNG into ``(width, height, rgba_bytes)`` (8 bits per channel).

    Supports every non-interlaced PNG: greyscale (1, 2, 4, 8, 16 bits), truecolour
    (8, 16), palette (1, 2, 4, 8; with ``tRNS`` transparency), grey + alpha and
    truecolour + alpha (8, 16); all five row filters. 16-bit channels keep their
    high byte; images without alpha come out opaque (``tRNS`` colour keys of grey
    and truecolour images are ignored). Other ancillary chunks are ignored.
    Raises FormatError on anything else: bad signature, CRC mismatch, truncated or
    corrupt data, an invalid bit depth / colour type, a missing or short palette,
    interlacing (Adam7), an image larger than ``PNG_MAX_PIXELS``.
    """
    buf = bytes(data)
    if not buf.startswith(_SIGNATURE):
        raise FormatError("not a PNG: bad signature")
    pos = len(_SIGNATURE)
    header = None
    palette = None
    transparency = None
    idat = []
    while True:
        if pos + 8 > len(buf):
            raise FormatError("PNG is truncated (no IEND chunk)")
        length, kind = struct.unpack(">I4s", buf[pos : pos + 8])
        end = pos + 8 + length + 4
        if end > len(buf):
            raise FormatError(f"PNG chunk {kind!r} is truncated")
        body = buf[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", buf[end - 4 : end])
        if zlib.crc32(kind + body) != crc:
            raise FormatError(f"PNG chunk {kind!r} has a bad CRC")
        pos = end
        if header is None and kind != b"IHDR":
            raise FormatError("PNG does not start with an IHDR chunk")
        if kind == b"IHDR":
            header = _parse_ihdr(body)
        elif kind == b"PLTE":
            if len(body) % 3 or not 3 <= len(body) <= 768:
                raise FormatError(f"PNG palette has {len(body)} bytes (must be 3..768, a multiple of 3)")
            palette = body
        elif kind == b"tRNS":
            transparency = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        elif (kind[0] & 0x20) == 0:
            # Upper-case first letter = critical chunk we cannot ignore.
            raise FormatError(f"unsupported critical PNG chunk {kind!r}")
    width, height, depth, colour = header
    channels = _COLOUR_TYPES[colour][0]
    bits = channels * depth
    stride = (width * bits + 7) // 8
    expected = height * (stride + 1)
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(b"".join(idat), expected + 1)
    except zlib.error as exc:
        raise FormatError(f"PNG image data is corrupt: {exc}") from None
    if len(raw) != expected:
        raise FormatError(f"PNG image data has {len(raw)} bytes, expected {expected}")
    pixels = _unfilter(raw, height, stride, max(1, bits // 8))
    n = width * height
    if depth == 16:
        pixels = pixels[0::2]  # big-endian samples: keep the high byte
    elif depth < 8:
        pixels = _unpack(pixels, height, stride, width, depth, colour == _COLOUR_GREY)
    rgba = bytearray(4 * n)
    if colour == _COLOUR_PALETTE:
        if palette is None:
            raise FormatError("PNG palette image has no PLTE chunk")
        entries = len(palette) // 3
        if max(pixels) >= entries:
            raise FormatError(f"PNG pixel uses palette entry {max(pixels)}, "
                              f"but the palette has {entries}")
        alpha = (transparency or b"")[:entries]
        alpha += b"\xff" * (256 - len(alpha))
        for c, table in enumerate((palette[0::3], palette[1::3], palette[2::3], alpha)):
            rgba[c::4] = pixels.translate(table.ljust(256, b"\x00"))
        return width, height, bytes(rgba)
    if channels == 4:
        return width, height, bytes(pixels)
    if channels == 3:
        for c in range(3):
            rgba[c::4] = pixels[c::3]
    else:
        grey = pixels[0::channels]
        for c in range(3):
            rgba[c::4] = grey
    rgba[3::4] = pixels[1::2] if channels == 2 else b"\xff" * n
    return width, height, bytes(rgba)


# --- private helpers ---------------------------------------------------------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _parse_ihdr(body: bytes) -> tuple:
    """``(width, height, bit depth, colour type)``, validated."""
    if len(body) != 13:
        raise FormatError("PNG IHDR chunk must be 13 bytes")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", body)
    if width == 0 or height == 0:
        raise FormatError("PNG width and height must be > 0")
    if width * height > C.PNG_MAX_PIXELS:
        raise FormatError(f"PNG is too large: {width}x{height} (limit {C.PNG_MAX_PIXELS} pixels)")
    if colour not in _COLOUR_TYPES or depth not in _COLOUR_TYPES[colour][1]:
        raise FormatError(f"invalid PNG: bit depth {depth} with colour type {colour}")
    if compression != 0 or filtering != 0:
        raise FormatError("unsupported PNG compression or filter method")
    if interlace != 0:
        raise FormatError("unsupported PNG: interlaced (save it without interlacing)")
    return width, height, depth, colour


def _unpack(pixels: bytes, height: int, stride: int, width: int, depth: int,
            grey: bool) -> bytes:
    """Samples of ``depth`` < 8 bits (packed from the high bits, rows padded to a byte)
    to one byte each; greyscale scaled to 0..255, palette indices kept."""
    per_byte = 8 // depth
    mask = (1 << depth) - 1
    scale = 255 // mask if grey else 1
    out = bytearray(per_byte * len(pixels))
    for k in range(per_byte):
        shift = 8 - depth * (k + 1)
        out[k::per_byte] = pixels.translate(bytes(((b >> shift) & mask) * scale for b in range(256)))
    row = per_byte * stride
    if row == width:
        return bytes(out)
    return b"".join(out[r * row : r * row + width] for r in range(height))


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> bytearray:
    """Undo the per-row PNG filters (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth).

    None and Up work on whole rows, Sub on whole channels of a row (running sums);
    Average and Paeth need each byte's left neighbour after unfiltering, so they
    stay per-byte loops.
    """
    out = bytearray(height * stride)
    prev = bytes(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind = raw[start]
        line = raw[start + 1 : start + 1 + stride]
        if kind == 2:
            line = add_mod256(line, prev)
        elif kind == 1:
            line = bytearray(line)
            for c in range(bpp):
                line[c::bpp] = bytes(map(and_, accumulate(line[c::bpp]), repeat(0xFF)))
        elif kind == 3:
            line = bytearray(line)
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            line = bytearray(line)
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        elif kind != 0:
            raise FormatError(f"PNG row {row} has unknown filter type {kind}")
        out[row * stride : (row + 1) * stride] = line
        prev = line
    return out
