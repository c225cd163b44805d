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
        "16-bit": lambda: _png((1, 1, 16, 6, 0, 0, 0), b"\x00" + bytes(8)),
        "palette": lambda: _png((1, 1, 8, 3, 0, 0, 0), b"\x00\x00"),
        "grey": lambda: _png((1, 1, 8, 0, 0, 0, 0), b"\x00\x00"),
        "interlaced": lambda: _png((1, 1, 8, 6, 0, 0, 1), b"\x00" + bytes(4)),
        "short data": lambda: _png((2, 2, 8, 6, 0, 0, 0), b"\x00" + bytes(8)),
        "bad filter": lambda: _png((1, 1, 8, 6, 0, 0, 0), b"\x07" + bytes(4)),
        "zero size": lambda: _png((0, 1, 8, 6, 0, 0, 0), b""),
        "huge": lambda: _png((1 << 20, 1 << 20, 8, 6, 0, 0, 0), b""),
        "unknown critical chunk": lambda: _png((1, 1, 8, 6, 0, 0, 0), b"\x00" + bytes(4),
                                               extra=_chunk(b"ABCD", b"")),
    }[name]()


@pytest.mark.parametrize("name", ["signature", "crc", "truncated", "empty", "16-bit", "palette", "grey",
                                  "interlaced", "short data", "bad filter", "zero size", "huge",
                                  "unknown critical chunk"])
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
