"""gazeheat.png: encoder and decoder."""

import hashlib
import io
import random
import struct
import zlib

import pytest

from gazeheat.errors import FormatError, InputError
from gazeheat.png import decode_png_rgba, encode_png


def _random_rgba(rng, w, h):
    return bytes(rng.getrandbits(8) for _ in range(w * h * 4))


@pytest.mark.parametrize("seed", range(6))
def test_round_trip(seed):
    rng = random.Random(seed)
    w, h = rng.randint(1, 40), rng.randint(1, 30)
    rgba = _random_rgba(rng, w, h)
    assert decode_png_rgba(encode_png(w, h, rgba)) == (w, h, rgba)


def test_structure_and_crcs():
    data = encode_png(3, 2, bytes(range(24)))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc
        kinds.append(kind)
        pos += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]
    assert struct.unpack(">IIBBBBB", data[16:29]) == (3, 2, 8, 6, 0, 0, 0)


@pytest.mark.parametrize("seed", range(4))
def test_pillow_reads_our_png(PIL_Image, seed):
    rng = random.Random(seed)
    w, h = rng.randint(1, 64), rng.randint(1, 48)
    rgba = _random_rgba(rng, w, h)
    img = PIL_Image.open(io.BytesIO(encode_png(w, h, rgba)))
    assert img.size == (w, h) and img.mode == "RGBA"
    assert img.tobytes() == rgba


@pytest.mark.parametrize("mode", ["RGBA", "RGB"])
def test_we_read_pillow_png(PIL_Image, mode):
    rng = random.Random(42)
    w, h = 37, 23
    raw = bytes((x * 7 + y * 3 + c * 50) % 256 if y % 4 else rng.getrandbits(8)
                for y in range(h) for x in range(w) for c in range(len(mode)))
    buf = io.BytesIO()
    PIL_Image.frombytes(mode, (w, h), raw).save(buf, "PNG")
    got_w, got_h, rgba = decode_png_rgba(buf.getvalue())
    assert (got_w, got_h) == (w, h)
    assert rgba == PIL_Image.frombytes(mode, (w, h), raw).convert("RGBA").tobytes()


@pytest.mark.parametrize("name", ["png_filters_rgba.png", "png_filters_rgb.png"])
def test_golden_png_with_all_five_filters(data_dir, load_json, name):
    expected = load_json("png_cases.json")[name]
    w, h, rgba = decode_png_rgba((data_dir / name).read_bytes())
    assert (w, h) == (expected["width"], expected["height"])
    assert hashlib.sha256(rgba).hexdigest() == expected["rgba_sha256"]


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(ihdr_fields, raw, extra=b""):
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", *ihdr_fields)) + extra
            + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))


def _corrupt(name):
    good = encode_png(2, 2, bytes(16))
    return {
        "signature": lambda: b"GIF89a" + good[6:],
        "crc": lambda: good[:30] + bytes([good[30] ^ 1]) + good[31:],
        "truncated": lambda: good[:-20],
        "empty": lambda: b"",
        "16-bit palette": lambda: _png((1, 1, 16, 3, 0, 0, 0), b"\x00" + bytes(2)),
        "palette": lambda: _png((1, 1, 8, 3, 0, 0, 0), b"\x00\x00"),
        "grey 3-bit": lambda: _png((1, 1, 3, 0, 0, 0, 0), b"\x00\x00"),
        "rgb 4-bit": lambda: _png((1, 1, 4, 2, 0, 0, 0), b"\x00\x00\x00"),
        "colour type 5": lambda: _png((1, 1, 8, 5, 0, 0, 0), b"\x00\x00"),
        "palette index": lambda: _png((2, 1, 8, 3, 0, 0, 0), b"\x00\x00\x02",
                                      extra=_chunk(b"PLTE", bytes(6))),
        "interlaced": lambda: _png((1, 1, 8, 6, 0, 0, 1), b"\x00" + bytes(4)),
        "short data": lambda: _png((2, 2, 8, 6, 0, 0, 0), b"\x00" + bytes(8)),
        "bad filter": lambda: _png((1, 1, 8, 6, 0, 0, 0), b"\x07" + bytes(4)),
        "zero size": lambda: _png((0, 1, 8, 6, 0, 0, 0), b""),
        "huge": lambda: _png((1 << 20, 1 << 20, 8, 6, 0, 0, 0), b""),
        "unknown critical chunk": lambda: _png((1, 1, 8, 6, 0, 0, 0), b"\x00" + bytes(4),
                                               extra=_chunk(b"ABCD", b"")),
    }[name]()


@pytest.mark.parametrize("name", ["signature", "crc", "truncated", "empty", "16-bit palette",
                                  "palette", "grey 3-bit", "rgb 4-bit", "colour type 5",
                                  "palette index", "interlaced", "short data", "bad filter",
                                  "zero size", "huge", "unknown critical chunk"])
def test_corrupt_inputs_raise_format_error(name):
    with pytest.raises(FormatError):
        decode_png_rgba(_corrupt(name))


def test_ancillary_chunks_are_ignored():
    data = _png((1, 1, 8, 6, 0, 0, 0), b"\x00\x01\x02\x03\x04", extra=_chunk(b"tEXt", b"Comment\x00hi"))
    assert decode_png_rgba(data) == (1, 1, b"\x01\x02\x03\x04")


def test_corrupt_zlib_stream():
    good = encode_png(4, 4, bytes(64))
    idat = good.index(b"IDAT")
    length = struct.unpack(">I", good[idat - 4:idat])[0]
    body = bytearray(good[idat + 4:idat + 4 + length])
    body[2:6] = b"\xff\xff\xff\xff"
    crc = struct.pack(">I", zlib.crc32(b"IDAT" + bytes(body)))
    bad = good[:idat + 4] + bytes(body) + crc + good[idat + 8 + length:]
    with pytest.raises(FormatError):
        decode_png_rgba(bad)


def test_encode_validates():
    with pytest.raises(InputError, match="bytes"):
        encode_png(2, 2, bytes(15))
    with pytest.raises(InputError, match="width"):
        encode_png(0, 2, b"")


# --- fast encoding (Up filter, zlib level 1) and every colour type -----------------------


@pytest.mark.parametrize("seed", range(4))
def test_fast_round_trip(seed):
    rng = random.Random(100 + seed)
    w, h = rng.randint(1, 70), rng.randint(1, 50)
    rgba = _random_rgba(rng, w, h)
    data = encode_png(w, h, rgba, fast=True)
    assert decode_png_rgba(data) == (w, h, rgba)
    raw = zlib.decompress(data[data.index(b"IDAT") + 4:])
    assert raw[0] == 2 and raw[1 + 4 * w] == 2  # every row uses the Up filter


def test_pillow_reads_fast_png(PIL_Image):
    rng = random.Random(7)
    w, h = 300, 200  # several filter bands
    rgba = _random_rgba(rng, w, h)
    img = PIL_Image.open(io.BytesIO(encode_png(w, h, rgba, fast=True)))
    assert img.size == (w, h) and img.tobytes() == rgba


def _pillow_image(PIL_Image, mode, w, h, seed):
    rng = random.Random(seed)
    if mode == "P":
        img = PIL_Image.new("P", (w, h))
        img.putpalette(bytes(rng.getrandbits(8) for _ in range(3 * 40)))
        img.putdata([rng.randrange(40) for _ in range(w * h)])
        return img
    if mode == "1":
        return PIL_Image.frombytes("L", (w, h), bytes(rng.getrandbits(8) for _ in range(w * h))
                                   ).convert("1")
    bands = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "I;16": 2}[mode]
    raw = bytes((x * 5 + y * 11 + c * 70 + rng.randrange(4)) % 256
                for y in range(h) for x in range(w) for c in range(bands))
    return PIL_Image.frombytes(mode, (w, h), raw)


@pytest.mark.parametrize("mode", ["L", "LA", "P", "1", "I;16"])
def test_we_read_other_colour_types(PIL_Image, mode):
    w, h = 29, 13
    img = _pillow_image(PIL_Image, mode, w, h, 11)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    got_w, got_h, rgba = decode_png_rgba(buf.getvalue())
    assert (got_w, got_h) == (w, h)
    if mode == "I;16":  # 16-bit grey (Pillow keeps it little-endian): the high byte
        high = img.tobytes()[1::2]
        assert rgba == bytes(v for g in high for v in (g, g, g, 255))
    else:
        assert rgba == img.convert("RGBA").tobytes()


def test_palette_transparency_and_sub_byte_depths(PIL_Image):
    img = PIL_Image.new("P", (9, 3))
    img.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9])
    img.putdata([i % 4 for i in range(27)])
    buf = io.BytesIO()
    img.save(buf, "PNG", transparency=bytes([255, 128, 0]), bits=2)
    _, _, rgba = decode_png_rgba(buf.getvalue())
    assert rgba[:16] == bytes([255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 9, 9, 9, 255])
    assert rgba == PIL_Image.open(io.BytesIO(buf.getvalue())).convert("RGBA").tobytes()


def test_golden_grey_palette_and_16_bit_pngs():
    # hand-made: a 3x2 4-bit grey image, a 2x1 palette image with tRNS, 1x1 16-bit RGBA
    grey = _png((3, 2, 4, 0, 0, 0, 0), b"\x00\x0f\x80" + b"\x00\x5a\x30")
    assert decode_png_rgba(grey) == (3, 2, bytes(
        v for g in (0, 255, 136, 85, 170, 51) for v in (g, g, g, 255)))
    palette = _png((2, 1, 8, 3, 0, 0, 0), b"\x00\x01\x00",
                   extra=_chunk(b"PLTE", bytes([1, 2, 3, 4, 5, 6])) + _chunk(b"tRNS", b"\x07"))
    assert decode_png_rgba(palette) == (2, 1, bytes([4, 5, 6, 255, 1, 2, 3, 7]))
    deep = _png((1, 1, 16, 6, 0, 0, 0), b"\x00" + bytes([1, 2, 3, 4, 5, 6, 7, 8]))
    assert decode_png_rgba(deep) == (1, 1, bytes([1, 3, 5, 7]))
