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
later versions may add fields.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
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
]


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
    fixation records.
    """
    if not isinstance(obj, dict):
        raise FormatError(f"session must be a JSON object, got {_kind(obj)}")
    if obj.get("format") != C.SESSION_FORMAT:
        raise FormatError(f'format must be "{C.SESSION_FORMAT}", got {obj.get("format")!r}')
    version = obj.get("version")
    if not (_check.is_number(version) and version == C.SESSION_VERSION):
        raise FormatError(f"version must be {C.SESSION_VERSION}, got {version!r} (unsupported version)")
    created = obj.get("created")
    if not isinstance(created, str) or not _is_iso_time(created):
        raise FormatError(f"created must be an ISO 8601 time string, got {created!r}")
    if "app_version" in obj and not isinstance(obj["app_version"], str):
        raise FormatError("app_version must be a string")
    viewport = obj.get("viewport")
    if not isinstance(viewport, dict):
        raise FormatError(f"viewport must be an object with width and height, got {_kind(viewport)}")
    for key in ("width", "height"):
        value = viewport.get(key)
        if not (_check.is_number(value) and math.isfinite(value) and value > 0):
            raise FormatError(f"viewport.{key} must be a number > 0, got {value!r}")
    calibration = obj.get("calibration")
    if calibration is not None and not isinstance(calibration, dict):
        raise FormatError(f"calibration must be an object or null, got {_kind(calibration)}")
    _validate_samples(obj.get("samples"))
    if "fixations" in obj:
        _validate_fixations(obj["fixations"])
    return obj


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
    try:
        obj = json.loads(data, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise FormatError(f"session file is not valid JSON: {exc}") from None
    except RecursionError:
        raise FormatError("session file is not valid JSON: nested too deeply") from None
    return validate_session(obj)


def dump_session(session: dict) -> str:
    """Serialise a valid session to compact JSON text (validates it first).

    Raises FormatError like ``validate_session``.
    """
    validate_session(session)
    return json.dumps(session, separators=(",", ":"), allow_nan=False)


# --- private helpers ---------------------------------------------------------------


def _validate_fixations(fixations) -> None:
    """``fixations`` (added in 0.2, optional): a list of ``Fixation.to_dict()``."""
    # Imported here: fixations -> filters -> session would be a circular import.
    from .fixations import as_fixations

    if not isinstance(fixations, list):
        raise FormatError(f"fixations must be a list, got {_kind(fixations)}")
    try:
        as_fixations(fixations)
    except InputError as exc:
        raise FormatError(str(exc)) from None


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
        return f".t_ms must be a finite number, got {t!r}"
    for key, value in (("x", x), ("y", y)):
        if value is not None and not (_check.is_number(value) and math.isfinite(value)):
            return f".{key} must be a number or null, got {value!r}"
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


def _reject_constant(name: str):
    raise FormatError(f"session file is not valid JSON: {name} is not allowed (numbers must be finite)")


def _kind(value) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
