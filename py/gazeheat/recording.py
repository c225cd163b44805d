"""Recording files (``gazeheat.recording`` version 1): a webcam video plus the targets
that were on screen when. Format and rules: docs/recording.md.

``load_recording`` parses and checks ``recording.json`` and refuses anything that breaks a
rule, naming the field, before any video file is opened; in particular the video name
must be a plain file name in the same directory (never a path out of it).
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass

from . import _check
from .errors import FormatError

__all__ = ["RECORDING_FORMAT", "RECORDING_VERSION", "RecordingTarget", "Recording",
           "load_recording", "validate_recording", "make_recording", "recording_zip"]

RECORDING_FORMAT = "gazeheat.recording"
RECORDING_VERSION = 1
MAX_RECORDING_JSON_BYTES = 1 << 20
MAX_TARGETS = 10_000
PHASES = ("calibration", "validation")


@dataclass(frozen=True)
class RecordingTarget:
    """One target: ``phase`` "calibration" | "validation", centre (CSS px of the
    viewport) and the interval (ms after the first video frame) the eyes are on it."""

    phase: str
    x: float
    y: float
    start_ms: float
    end_ms: float

    def to_dict(self) -> dict:
        return {"phase": self.phase, "x": self.x, "y": self.y,
                "start_ms": self.start_ms, "end_ms": self.end_ms}


@dataclass(frozen=True)
class Recording:
    """A checked recording: the video's file name, the viewport (CSS px) and the targets
    in time order."""

    video: str
    viewport_w_px: float
    viewport_h_px: float
    targets: tuple

    def target_at(self, t_ms: float):
        """(index, target) whose interval holds ``t_ms``, or None."""
        for i, target in enumerate(self.targets):
            if target.start_ms <= t_ms < target.end_ms:
                return i, target
        return None

    def of_phase(self, phase: str) -> list:
        """[(index, target)] of one phase, in time order."""
        return [(i, t) for i, t in enumerate(self.targets) if t.phase == phase]


def load_recording(text_or_bytes) -> Recording:
    """Parse ``recording.json`` (str or UTF-8 bytes) and check every rule.

    Raises FormatError naming what is wrong (too large, not JSON, wrong format or
    version, a bad field, an unsafe video name, overlapping targets, ...).
    """
    data = text_or_bytes
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray)):
        raise FormatError(f"recording.json must be text or bytes, got {type(text_or_bytes).__name__}")
    if len(data) > MAX_RECORDING_JSON_BYTES:
        raise FormatError(f"recording.json is too large: {len(data)} bytes (limit {MAX_RECORDING_JSON_BYTES})")
    try:
        obj = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise FormatError(f"recording.json is not UTF-8 text: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"recording.json is not valid JSON: {exc}") from None
    return validate_recording(obj)


def validate_recording(obj) -> Recording:
    """Check a parsed recording object and return it as a ``Recording``."""
    if not isinstance(obj, dict):
        raise FormatError("recording must be a JSON object")
    if obj.get("format") != RECORDING_FORMAT:
        raise FormatError(f'format must be "{RECORDING_FORMAT}", got {obj.get("format")!r}')
    if not (_check.is_number(obj.get("version")) and obj["version"] == RECORDING_VERSION):
        raise FormatError(f"version must be {RECORDING_VERSION}, got {obj.get('version')!r} "
                          "(unsupported version)")
    video = _safe_file_name(obj.get("video"))
    viewport = obj.get("viewport")
    if not isinstance(viewport, dict):
        raise FormatError("viewport must be an object with width and height")
    width = _number(viewport.get("width"), "viewport.width")
    height = _number(viewport.get("height"), "viewport.height")
    if width <= 0 or height <= 0:
        raise FormatError(f"viewport must be > 0 px, got {width} x {height}")
    raw_targets = obj.get("targets")
    if not isinstance(raw_targets, list):
        raise FormatError("targets must be a list")
    if len(raw_targets) > MAX_TARGETS:
        raise FormatError(f"too many targets: {len(raw_targets)} (limit {MAX_TARGETS})")
    targets = []
    for i, raw in enumerate(raw_targets):
        where = f"targets[{i}]"
        if not isinstance(raw, dict):
            raise FormatError(f"{where} must be an object")
        if raw.get("phase") not in PHASES:
            raise FormatError(f"{where}.phase must be one of {', '.join(PHASES)}, got {raw.get('phase')!r}")
        x, y = _number(raw.get("x"), f"{where}.x"), _number(raw.get("y"), f"{where}.y")
        if not (0 <= x <= width and 0 <= y <= height):
            raise FormatError(f"{where} ({x}, {y}) lies outside the {width:g} x {height:g} viewport")
        start, end = _number(raw.get("start_ms"), f"{where}.start_ms"), _number(raw.get("end_ms"), f"{where}.end_ms")
        if not 0 <= start < end:
            raise FormatError(f"{where}.end_ms must be > start_ms >= 0, got {start} .. {end}")
        if targets and start < targets[-1].end_ms:
            raise FormatError(f"{where} starts before targets[{i - 1}] ends: targets must be in "
                              "time order and must not overlap")
        targets.append(RecordingTarget(raw["phase"], x, y, start, end))
    return Recording(video, width, height, tuple(targets))


def make_recording(video: str, viewport_w_px, viewport_h_px, targets) -> dict:
    """A checked ``recording.json`` object; ``targets``: dicts with phase, x, y,
    start_ms, end_ms. Raises FormatError naming the first rule broken."""
    obj = {"format": RECORDING_FORMAT, "version": RECORDING_VERSION, "video": video,
           "viewport": {"width": viewport_w_px, "height": viewport_h_px},
           "targets": [dict(t) for t in targets]}
    validate_recording(obj)
    return obj


def recording_zip(recording: dict, video_bytes: bytes) -> bytes:
    """A zip holding one recording directory: ``recording.json`` and the video named in
    it (stored uncompressed: the video is compressed already). Raises FormatError when
    ``recording`` breaks a rule."""
    checked = validate_recording(recording)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        z.writestr("recording.json", json.dumps(recording, indent=1, allow_nan=False) + "\n")
        z.writestr(checked.video, bytes(video_bytes))
    return buffer.getvalue()


def _safe_file_name(name) -> str:
    if not isinstance(name, str) or not name:
        raise FormatError("video must be the video's file name")
    bad = (name in (".", "..") or any(c in name for c in "/\\:")
           or any(ord(c) < 32 or ord(c) == 127 for c in name))
    if bad:
        raise FormatError(f"video must be a plain file name in the recording's directory, "
                          f"got {name!r}")
    return name


def _number(value, name: str) -> float:
    if not (_check.is_number(value) and math.isfinite(value)):
        raise FormatError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _no_constant(name):
    raise ValueError(f"{name} is not allowed in JSON")
