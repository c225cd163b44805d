"""Session files: the gaze samples of one recording, as versioned JSON.

Format (version 1)::

    {"format": "gazeheat.session", "version": 1,
     "created": "2025-01-31T12:00:00.000Z",        # ISO 8601 time
     "app_version": "0.1.0",
     "viewport": {"width": 1280, "height": 720},   # CSS px
     "samples": [{"t_ms": 0.0, "x": 640.5, "y": 300.0},
                 {"t_ms": 33.3, "x": null, "y": null}, ...],
     "calibration": {...} or null}

``t_ms`` never decreases; ``x``/``y`` are viewport CSS px (origin top-left) and are
both null when there was no valid gaze. Readers ignore keys they do not know, so
later versions may add fields. Optional fields (``fixations``, ``stimulus``,
``settings``, ``px_per_deg``, ``validation``, ``participant``, ``recording_id``,
``stimulus_image``, ...) are described in ``docs/session.md``; when present, their
types and ranges are checked too, so a hostile file fails here with a message
rather than deep inside an analysis.

Several sessions are analysed together (``gazeheat.aggregate``, ``gazeheat.aoi``)
when they share a ``stimulus_key``; ``session_fixations`` gives a session's
fixations the way every tool does (stored, else detected with its settings).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from dataclasses import dataclass
from itertools import accumulate
from datetime import UTC, datetime

from . import _check
from . import constants as C
from .errors import FormatError, InputError

__all__ = [
    "GazeSample",
    "make_session",
    "validate_session",
    "load_session",
    "dump_session",
    "stimulus_key",
    "make_stimulus_image",
    "stimulus_image_bytes",
    "session_settings",
    "session_px_per_deg",
    "session_fixations",
    "json_depth",
]

# Leading bytes of each embedded picture type: the data must be what it claims.
_IMAGE_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/webp": (b"RIFF",),
}
_HEX = frozenset("0123456789abcdef")
# Longest value quoted in an error message (characters).
_SHOWN_CHARS = 60
# For json_depth: the bytes that are neither brackets nor quotes; a string once its
# escaped quotes and backslashes are gone; an empty pair of brackets.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_BARE_STRING = re.compile(rb'"[^"]*"')
_EMPTY_PAIR = re.compile(rb"\{\}|\[\]")
_BRACKET_STEP = [1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256)]


@dataclass(frozen=True)
class GazeSample:
    """One gaze sample: time (ms) and viewport position (CSS px), or None/None."""

    t_ms: float
    x: float | None
    y: float | None

    def to_dict(self) -> dict:
        return {"t_ms": self.t_ms, "x": self.x, "y": self.y}

    @classmethod
    def from_dict(cls, d: dict) -> GazeSample:
        """Raises InputError unless t_ms is finite and x, y are both finite or both None."""
        if not isinstance(d, dict) or any(k not in d for k in ("t_ms", "x", "y")):
            raise InputError(f"gaze sample must be a dict with t_ms, x and y, got {d!r}")
        message = _sample_problem(d)
        if message:
            raise InputError(f"gaze sample {message}")
        x, y = d["x"], d["y"]
        return cls(float(d["t_ms"]), None if x is None else float(x), None if y is None else float(y))


def make_session(samples, viewport_w_px, viewport_h_px, calibration=None,
                 created=None, app_version="") -> dict:
    """Build a version-1 session dict (see the module docstring).

    ``samples``: iterable of ``GazeSample`` or ``{"t_ms", "x", "y"}`` dicts.
    ``calibration``: a JSON-ready dict (e.g. ``GazeModel.to_dict()``) or None.
    ``created``: ISO 8601 time string (None: now, in UTC). The result passes
    ``validate_session``; anything that would not raises FormatError naming it.
    """
    if created is None:
        created = datetime.now(UTC).isoformat(timespec="milliseconds")
    rows = [s.to_dict() if isinstance(s, GazeSample) else dict(s) for s in samples]
    session = {
        "format": C.SESSION_FORMAT,
        "version": C.SESSION_VERSION,
        "created": created,
        "app_version": app_version,
        "viewport": {"width": viewport_w_px, "height": viewport_h_px},
        "samples": rows,
        "calibration": calibration,
    }
    return validate_session(session)


def validate_session(obj) -> dict:
    """Check a parsed session; return it unchanged if it is valid.

    Raises FormatError whose message says what is wrong and where, e.g.
    ``samples[12].x must be a number or null``. Checked: the format and version, an
    ISO 8601 ``created`` string, ``app_version`` a string if present, a positive
    viewport, at most ``MAX_SESSION_SAMPLES`` samples, each with a finite ``t_ms``
    that does not decrease and x/y both finite numbers or both null, and
    ``calibration`` an object or null, and ``fixations`` (optional) a list of
    fixation records. Optional fields, when present and not null: ``participant``
    and ``recording_id`` strings (at most ``SESSION_MAX_PARTICIPANT_CHARS`` /
    ``SESSION_MAX_RECORDING_ID_CHARS`` characters), ``stimulus`` a valid
    ``StimulusGeometry`` dict, ``stimulus_image`` (see ``make_stimulus_image``: media
    type, base64, size, sha256 and leading bytes all checked), ``px_per_deg`` a
    number > 0, ``settings``, ``source`` and ``calibration_summary`` objects,
    ``validation`` an object whose ``accuracy_deg`` (if any) is a number >= 0. Free
    text is at most ``SESSION_MAX_TEXT_CHARS`` characters.
    """
    try:
        _validate(obj)
    except OverflowError:  # an int too large for a float, in a dict built by hand
        raise FormatError("session holds a number too large for a float") from None
    return obj


def _validate(obj) -> None:
    if not isinstance(obj, dict):
        raise FormatError(f"session must be a JSON object, got {_kind(obj)}")
    if obj.get("format") != C.SESSION_FORMAT:
        raise FormatError(f'format must be "{C.SESSION_FORMAT}", got {_show(obj.get("format"))}')
    version = obj.get("version")
    if not (_check.is_number(version) and version == C.SESSION_VERSION):
        raise FormatError(f"version must be {C.SESSION_VERSION}, got {_show(version)} "
                          "(unsupported version)")
    created = obj.get("created")
    if (not isinstance(created, str) or len(created) > C.SESSION_MAX_TEXT_CHARS
            or not _is_iso_time(created)):
        raise FormatError(f"created must be an ISO 8601 time string, got {_show(created)}")
    if "app_version" in obj:
        _text(obj["app_version"], "app_version", C.SESSION_MAX_TEXT_CHARS, nullable=False)
    viewport = obj.get("viewport")
    if not isinstance(viewport, dict):
        raise FormatError(f"viewport must be an object with width and height, got {_kind(viewport)}")
    for key in ("width", "height"):
        value = viewport.get(key)
        if not (_check.is_number(value) and math.isfinite(value) and value > 0):
            raise FormatError(f"viewport.{key} must be a number > 0, got {_show(value)}")
    calibration = obj.get("calibration")
    if calibration is not None and not isinstance(calibration, dict):
        raise FormatError(f"calibration must be an object or null, got {_kind(calibration)}")
    _validate_samples(obj.get("samples"))
    if "fixations" in obj:
        _validate_fixations(obj["fixations"])
    _validate_optional(obj)


def load_session(text_or_bytes) -> dict:
    """Parse and validate session JSON given as str or UTF-8 bytes.

    Raises FormatError if the input is larger than ``MAX_SESSION_BYTES``, is not
    UTF-8, is not JSON (NaN/Infinity literals included), or fails
    ``validate_session``.
    """
    data = text_or_bytes
    if isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) > C.MAX_SESSION_BYTES:
            raise FormatError(f"session file is too large: {len(data)} bytes (limit {C.MAX_SESSION_BYTES})")
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FormatError(f"session file is not UTF-8 text: {exc}") from None
    elif isinstance(data, str):
        # A str is at most 4 UTF-8 bytes per character; only count exactly if close.
        if len(data) > C.MAX_SESSION_BYTES // 4 and len(data.encode("utf-8")) > C.MAX_SESSION_BYTES:
            raise FormatError(f"session file is too large (limit {C.MAX_SESSION_BYTES} bytes)")
        data = data.removeprefix("\ufeff")
    else:
        raise FormatError(f"session must be given as text or bytes, got {type(text_or_bytes).__name__}")
    if json_depth(data) > C.JSON_MAX_DEPTH:
        raise FormatError("session file is not valid JSON: nested too deeply "
                          f"(limit {C.JSON_MAX_DEPTH} levels)")
    try:
        obj = json.loads(data, parse_constant=_reject_constant, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise FormatError(f"session file is not valid JSON: {exc}") from None
    except RecursionError:
        raise FormatError("session file is not valid JSON: nested too deeply") from None
    return validate_session(obj)


def dump_session(session: dict) -> str:
    """Serialise a valid session to compact JSON text (validates it first).

    Raises FormatError like ``validate_session``, and if an unchecked part (e.g.
    ``calibration``) cannot be written as JSON.
    """
    validate_session(session)
    try:
        return json.dumps(session, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise FormatError(f"session cannot be written as JSON: {exc}") from None


def stimulus_key(session: dict) -> str:
    """The identity of a (validated) session's stimulus: sessions with equal keys
    were recorded over the same stimulus and can be analysed together.

    ``"sha256:<hex>"`` when the session embeds its picture (``stimulus_image``) or
    names its hash (``stimulus_sha256``: the picture is kept apart, as in the page's
    storage), else ``"<kind>:<name>:<width_px>x<height_px>"`` from its ``stimulus`` geometry,
    else ``"viewport:<w>x<h>"`` (the viewport rounded to whole CSS px). Two sessions of
    one picture where only one embeds it get different keys. Raises FormatError on
    a malformed session.
    """
    if not isinstance(session, dict):
        raise FormatError(f"session must be an object, got {_kind(session)}")
    image = session.get("stimulus_image")
    if isinstance(image, dict) and isinstance(image.get("sha256"), str):
        return "sha256:" + image["sha256"].lower()
    if isinstance(session.get("stimulus_sha256"), str):
        return "sha256:" + session["stimulus_sha256"].lower()
    stimulus = session.get("stimulus")
    if isinstance(stimulus, dict):
        geometry = _geometry(stimulus)
        return f"{geometry.kind}:{geometry.name}:{geometry.width_px}x{geometry.height_px}"
    viewport = session.get("viewport")
    try:
        w, h = (max(1, round(viewport[k])) for k in ("width", "height"))
    except (TypeError, KeyError, ValueError, OverflowError):
        raise FormatError("session viewport must have numeric width and height") from None
    return f"viewport:{w}x{h}"


def make_stimulus_image(data, media_type: str) -> dict:
    """The ``stimulus_image`` field for a picture's encoded bytes (PNG, JPEG or WebP,
    as in its file): ``{"media_type", "data_base64", "sha256"}``, the sha256 in
    lowercase hex of ``data``. Raises FormatError on an unknown media type, data that
    does not start like that type, or more than ``SESSION_MAX_IMAGE_BYTES``."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise FormatError(f"stimulus picture must be bytes, got {type(data).__name__}")
    raw = bytes(data)
    image = {"media_type": media_type, "data_base64": base64.b64encode(raw).decode("ascii"),
             "sha256": hashlib.sha256(raw).hexdigest()}
    _validate_image(image)
    return image


def stimulus_image_bytes(session: dict):
    """``(media_type, bytes)`` of the picture a (validated) session embeds, or None.
    Raises FormatError if the field is malformed."""
    image = session.get("stimulus_image") if isinstance(session, dict) else None
    if image is None:
        return None
    return image["media_type"], _validate_image(image)


def session_settings(session: dict) -> dict:
    """The session's ``settings`` completed with defaults
    (``settings.validate_settings``). Raises InputError on a bad setting."""
    from .settings import validate_settings  # settings -> filters -> session: lazy

    return validate_settings(session.get("settings") or {})


def session_px_per_deg(session: dict) -> float:
    """The session's ``px_per_deg`` (CSS px per degree, measured while recording), or
    ``DEFAULT_PX_PER_DEG`` when it has none."""
    value = session.get("px_per_deg")
    ok = _check.is_number(value) and math.isfinite(value) and value > 0
    return float(value) if ok else C.DEFAULT_PX_PER_DEG


def session_fixations(session: dict, px_per_deg=None) -> list:
    """The session's fixations: its stored ``fixations`` (dicts) if it has them,
    else ``Fixation`` records detected in its samples with its settings
    (``settings.fixation_params``; default I-VT) at ``px_per_deg`` (None: the
    session's, see ``session_px_per_deg``). Raises InputError on bad settings."""
    from .fixations import detect_fixations
    from .settings import fixation_params

    if "fixations" in session:
        return session["fixations"]
    ppd = session_px_per_deg(session) if px_per_deg is None else px_per_deg
    return detect_fixations(session["samples"], px_per_deg=ppd,
                            **fixation_params(session_settings(session)))


def json_depth(text) -> int:
    """How deeply arrays and objects nest in JSON ``text`` (str or UTF-8 bytes): 0
    for a scalar, 1 for ``[1, 2]``, 2 for ``[{}]``. Brackets inside strings do not
    count; malformed JSON gives some number (the parser then reports it). O(n) in C
    passes, so it runs before ``json.loads``, whose recursion a hostile file could
    otherwise drive past the stack (fatal in Pyodide)."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    # Escapes first (left to right, as a JSON reader pairs them), then only quotes and
    # brackets are kept and the strings, brackets inside them included, dropped.
    raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = _BARE_STRING.sub(b"", raw.translate(None, _NOT_STRUCTURE))
    # Empty pairs are the innermost levels: a few C-level passes strip the millions of
    # "{}" of the samples, so the Python-visible pass below sees only a short rest.
    removed = 0
    for _ in range(4):
        shorter = _EMPTY_PAIR.sub(b"", brackets)  # one level: pairs formed now stay
        if len(shorter) == len(brackets):
            break
        brackets, removed = shorter, removed + 1
    if not brackets:
        return removed
    return removed + max(0, max(accumulate(map(_BRACKET_STEP.__getitem__, brackets))))


# --- private helpers ---------------------------------------------------------------


def _validate_optional(obj: dict) -> None:
    """The optional fields (absent or null: nothing to check)."""
    _text(obj.get("participant"), "participant", C.SESSION_MAX_PARTICIPANT_CHARS)
    _text(obj.get("recording_id"), "recording_id", C.SESSION_MAX_RECORDING_ID_CHARS)
    if obj.get("stimulus") is not None:
        _geometry(obj["stimulus"])
    if obj.get("stimulus_image") is not None:
        _validate_image(obj["stimulus_image"])
    digest = obj.get("stimulus_sha256")
    if digest is not None:
        if not (isinstance(digest, str) and len(digest) == 64 and set(digest.lower()) <= _HEX):
            raise FormatError(f"stimulus_sha256 must be 64 hex digits, got {_show(digest)}")
        image = obj.get("stimulus_image")
        if image is not None and image["sha256"].lower() != digest.lower():
            raise FormatError("stimulus_sha256 does not match stimulus_image.sha256")
    ppd = obj.get("px_per_deg")
    if ppd is not None and not (_check.is_number(ppd) and math.isfinite(ppd) and ppd > 0):
        raise FormatError(f"px_per_deg must be a number > 0, got {_show(ppd)}")
    for key in ("settings", "source", "calibration_summary", "validation"):
        value = obj.get(key)
        if value is not None and not isinstance(value, dict):
            raise FormatError(f"{key} must be an object, got {_kind(value)}")
    validation = obj.get("validation")
    if validation is not None:
        accuracy = validation.get("accuracy_deg")
        if accuracy is not None and not (_check.is_number(accuracy) and math.isfinite(accuracy)
                                         and accuracy >= 0):
            raise FormatError(f"validation.accuracy_deg must be a number >= 0, got {_show(accuracy)}")
        _text(validation.get("grade"), "validation.grade", C.SESSION_MAX_TEXT_CHARS)


def _geometry(stimulus):
    """``StimulusGeometry`` of a session's ``stimulus``; FormatError if malformed."""
    from .stimulus import StimulusGeometry  # stimulus needs nothing of ours; kept local

    try:
        geometry = StimulusGeometry.from_dict(stimulus)
    except InputError as exc:
        raise FormatError(_cut(str(exc))) from None
    if len(geometry.name) > C.SESSION_MAX_TEXT_CHARS:
        raise FormatError(f"stimulus name is too long: {len(geometry.name)} characters "
                          f"(limit {C.SESSION_MAX_TEXT_CHARS})")
    return geometry


def _validate_image(image) -> bytes:
    """Check a ``stimulus_image`` object; return the decoded picture bytes."""
    if not isinstance(image, dict):
        raise FormatError(f"stimulus_image must be an object, got {_kind(image)}")
    media = image.get("media_type")
    if media not in C.SESSION_IMAGE_MEDIA_TYPES:
        raise FormatError(f"stimulus_image.media_type must be one of "
                          f"{', '.join(C.SESSION_IMAGE_MEDIA_TYPES)}, got {_show(media)}")
    data = image.get("data_base64")
    if not isinstance(data, str):
        raise FormatError(f"stimulus_image.data_base64 must be a string, got {_kind(data)}")
    limit = C.SESSION_MAX_IMAGE_BYTES
    # 4 base64 characters per 3 bytes: refuse before decoding anything.
    if len(data) > 4 * -(-limit // 3):
        raise FormatError(f"stimulus_image is too large (limit {limit} bytes)")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError("stimulus_image.data_base64 is not valid base64") from None
    if len(raw) > limit:
        raise FormatError(f"stimulus_image is too large: {len(raw)} bytes (limit {limit})")
    digest = image.get("sha256")
    if not (isinstance(digest, str) and len(digest) == 64 and set(digest.lower()) <= _HEX):
        raise FormatError(f"stimulus_image.sha256 must be 64 hex digits, got {_show(digest)}")
    if hashlib.sha256(raw).hexdigest() != digest.lower():
        raise FormatError("stimulus_image.sha256 does not match the picture's bytes "
                          "(damaged or edited file)")
    if not raw.startswith(_IMAGE_MAGIC[media]) or (media == "image/webp" and raw[8:12] != b"WEBP"):
        raise FormatError(f"stimulus_image data is not a {media} picture")
    return raw


def _text(value, name: str, limit: int, nullable: bool = True) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str):
        raise FormatError(f"{name} must be a string, got {_kind(value)}")
    if len(value) > limit:
        raise FormatError(f"{name} is too long: {len(value)} characters (limit {limit})")


def _validate_fixations(fixations) -> None:
    """``fixations`` (added in 0.2, optional): a list of ``Fixation.to_dict()``."""
    # Imported here: fixations -> filters -> session would be a circular import.
    from .fixations import as_fixations

    if not isinstance(fixations, list):
        raise FormatError(f"fixations must be a list, got {_kind(fixations)}")
    try:
        as_fixations(fixations)
    except InputError as exc:
        raise FormatError(_cut(str(exc))) from None


def _validate_samples(samples) -> None:
    if not isinstance(samples, list):
        raise FormatError(f"samples must be a list, got {_kind(samples)}")
    if len(samples) > C.MAX_SESSION_SAMPLES:
        raise FormatError(f"too many samples: {len(samples)} (limit {C.MAX_SESSION_SAMPLES})")
    last = -math.inf
    for i, sample in enumerate(samples):
        if not isinstance(sample, dict):
            raise FormatError(f"samples[{i}] must be an object, got {_kind(sample)}")
        for key in ("t_ms", "x", "y"):
            if key not in sample:
                raise FormatError(f"samples[{i}] is missing {key}")
        message = _sample_problem(sample)
        if message:
            raise FormatError(f"samples[{i}]{message}")
        t = sample["t_ms"]
        if t < last:
            raise FormatError(
                f"samples[{i}].t_ms ({t}) is less than samples[{i - 1}].t_ms ({last}); "
                "times must not decrease"
            )
        last = t


def _sample_problem(sample: dict) -> str:
    """Empty string if the sample's values are fine, else what is wrong ('.x must ...')."""
    t, x, y = sample["t_ms"], sample["x"], sample["y"]
    if not (_check.is_number(t) and math.isfinite(t)):
        return f".t_ms must be a finite number, got {_show(t)}"
    for key, value in (("x", x), ("y", y)):
        if value is not None and not (_check.is_number(value) and math.isfinite(value)):
            return f".{key} must be a number or null, got {_show(value)}"
    if (x is None) != (y is None):
        return ": x and y must both be numbers or both be null"
    return ""


def _is_iso_time(text: str) -> bool:
    try:
        # fromisoformat on 3.11+ accepts the "Z" suffix JavaScript's toISOString emits.
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _parse_int(text: str) -> int:
    # Beyond a float's range anyway; and int() refuses over 4300 digits with a
    # ValueError that is not a JSON error.
    if len(text) > C.SESSION_MAX_NUMBER_DIGITS + 1:
        raise FormatError(f"session file holds a number with {len(text)} digits "
                          f"(limit {C.SESSION_MAX_NUMBER_DIGITS})")
    return int(text)


def _show(value) -> str:
    """A value for an error message: repr, with long text cut and containers named."""
    if isinstance(value, str):
        if len(value) > _SHOWN_CHARS:
            return repr(value[:_SHOWN_CHARS]) + f"... ({len(value)} characters)"
        return repr(value)
    if value is None or isinstance(value, (bool, float)):
        return repr(value)
    if isinstance(value, int):
        text = str(value) if value.bit_length() < 200 else "a huge integer"
        return text
    return _kind(value)


def _cut(message: str) -> str:
    """A message from another module, which may quote a huge value, kept short."""
    limit = 4 * _SHOWN_CHARS
    return message if len(message) <= limit else message[:limit] + "..."


def _reject_constant(name: str):
    raise FormatError(f"session file is not valid JSON: {name} is not allowed (numbers must be finite)")


def _kind(value) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
