"""Minimal PNG encoder (8-bit RGBA) and decoder (8-bit RGBA/RGB, non-interlaced).

Pure standard library: ``zlib`` does the compression and the CRCs.
"""

from __future__ import annotations

import struct
import zlib

from . import _check
from . import constants as C
from .errors import FormatError, InputError

__all__ = ["encode_png", "decode_png_rgba"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_RGB = 2
_COLOUR_RGBA = 6
_ZLIB_LEVEL = 6


def encode_png(width, height, rgba) -> bytes:
    """Encode ``width`` x ``height`` 8-bit RGBA pixels (row-major, top row first).

    ``rgba`` is a bytes-like object of exactly ``width * height * 4`` bytes. Rows
    use filter type 0 (None): our images are small, smooth heatmaps that zlib
    packs well as is, and per-byte filtering would cost a Python loop.
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
    raw = b"".join(b"\x00" + data[i : i + stride] for i in range(0, len(data), stride))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, _COLOUR_RGBA, 0, 0, 0)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", ihdr),
            _chunk(b"IDAT", zlib.compress(raw, _ZLIB_LEVEL)),
            _chunk(b"IEND", b""),
        )
    )


def decode_png_rgba(data) -> tuple:
    """Decode a PNG into ``(width, height, rgba_bytes)``.

    Supports 8-bit truecolour (RGB, made opaque) and truecolour with alpha (RGBA),
    non-interlaced, all five row filters; ancillary chunks are ignored.
    Raises FormatError on anything else: bad signature, CRC mismatch, truncated or
    corrupt data, unsupported bit depth / colour type / interlacing, an image larger
    than ``PNG_MAX_PIXELS``.
    """
    buf = bytes(data)
    if not buf.startswith(_SIGNATURE):
        raise FormatError("not a PNG: bad signature")
    pos = len(_SIGNATURE)
    header = None
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
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        elif (kind[0] & 0x20) == 0 and kind != b"PLTE":
            # Upper-case first letter = critical chunk we cannot ignore.
            raise FormatError(f"unsupported critical PNG chunk {kind!r}")
    width, height, channels = header
    stride = width * channels
    expected = height * (stride + 1)
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(b"".join(idat), expected + 1)
    except zlib.error as exc:
        raise FormatError(f"PNG image data is corrupt: {exc}") from None
    if len(raw) != expected:
        raise FormatError(f"PNG image data has {len(raw)} bytes, expected {expected}")
    pixels = _unfilter(raw, height, stride, channels)
    if channels == 4:
        return width, height, bytes(pixels)
    rgba = bytearray(4 * width * height)
    rgba[0::4] = pixels[0::3]
    rgba[1::4] = pixels[1::3]
    rgba[2::4] = pixels[2::3]
    rgba[3::4] = b"\xff" * (width * height)
    return width, height, bytes(rgba)


# --- private helpers ---------------------------------------------------------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _parse_ihdr(body: bytes) -> tuple:
    if len(body) != 13:
        raise FormatError("PNG IHDR chunk must be 13 bytes")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", body)
    if width == 0 or height == 0:
        raise FormatError("PNG width and height must be > 0")
    if width * height > C.PNG_MAX_PIXELS:
        raise FormatError(f"PNG is too large: {width}x{height} (limit {C.PNG_MAX_PIXELS} pixels)")
    if depth != 8 or colour not in (_COLOUR_RGB, _COLOUR_RGBA):
        raise FormatError(
            f"unsupported PNG: bit depth {depth}, colour type {colour} "
            "(only 8-bit RGB and RGBA are supported)"
        )
    if compression != 0 or filtering != 0:
        raise FormatError("unsupported PNG compression or filter method")
    if interlace != 0:
        raise FormatError("unsupported PNG: interlaced")
    return width, height, 4 if colour == _COLOUR_RGBA else 3


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> bytearray:
    """Undo the per-row PNG filters (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth)."""
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
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
