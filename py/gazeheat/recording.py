"""Recording files (``gazeheat.recording`` version 1): a webcam video plus the targets
that were on screen when. Format and rules: docs/recording.md.

``load_recording`` parses and checks ``recording.json`` and refuses anything that breaks a
rule, naming the field, before any video file is opened; in particular the video name
must be a plain file name in the same directory (never a path out of it).

Target phases: ``"calibration"`` and ``"validation"`` (a still dot) and, added for the
smooth-pursuit pass, ``"pursuit"`` (a moving dot, with its ``path``). Readers that do not
know the pursuit phase are older gazeheat versions, which refuse the file with a clear
message; the format stays version 1 (an added phase value and an added field).
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property

from . import _check
from . import constants as C
from .errors import FormatError

__all__ = ["RECORDING_FORMAT", "RECORDING_VERSION", "RecordingTarget", "Recording",
           "load_recording", "validate_recording", "make_recording", "recording_zip"]

RECORDING_FORMAT = "gazeheat.recording"
RECORDING_VERSION = 1
MAX_RECORDING_JSON_BYTES = 1 << 20
MAX_TARGETS = 10_000
#: Most points in one pursuit target's ``path``: 12 s of motion at 50 ms spacing are 241,
#: a path logged every video frame at 60 frames/s ~720.
MAX_PATH_POINTS = 10_000
#: A pursuit ``path`` may start or end this many ms inside [start_ms, end_ms] (times
#: rounded when written); positions beyond its ends are its end points.
PATH_COVER_SLACK_MS = 1.0
PHASES = ("calibration", "validation", "pursuit")


@dataclass(frozen=True)
class RecordingTarget:
    """One target: ``phase`` "calibration" | "validation" | "pursuit", centre (CSS px of
    the viewport; a pursuit target's position at ``start_ms``) and the interval (ms after
    the first video frame) the eyes are on it. ``path``: a pursuit target's
    ``(t_ms, x, y)`` points (strictly increasing ``t_ms``, covering the interval), empty
    for the other phases."""

    phase: str
    x: float
    y: float
    start_ms: float
    end_ms: float
    path: tuple = ()

    def to_dict(self) -> dict:
        d = {"phase": self.phase, "x": self.x, "y": self.y,
             "start_ms": self.start_ms, "end_ms": self.end_ms}
        if self.phase == "pursuit":
            d["path"] = [{"t_ms": t, "x": x, "y": y} for t, x, y in self.path]
        return d

    def position_at(self, t_ms: float) -> tuple:
        """``(x, y)`` CSS px of the target at ``t_ms``: a pursuit target's path linearly
        interpolated (held at its end points beyond them); ``(x, y)`` for a still one."""
        path = self.path
        if not path:
            return self.x, self.y
        k = bisect_right(path, (t_ms, math.inf, math.inf))
        if k == 0:
            return path[0][1], path[0][2]
        if k == len(path):
            return path[-1][1], path[-1][2]
        (t0, x0, y0), (t1, x1, y1) = path[k - 1], path[k]
        f = (t_ms - t0) / (t1 - t0)
        return x0 + f * (x1 - x0), y0 + f * (y1 - y0)


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

    def calibration_dots(self) -> list:
        """``[(number, start_ms)]`` of the calibration dots, numbered as calibration
        targets (see ``calibration_target_at``). Raises FormatError as it does."""
        return [(self._numbers[i], t.start_ms) for i, t in self.of_phase("calibration")]

    def calibration_target_at(self, t_ms: float):
        """The calibration sample a frame at ``t_ms`` gives: ``(number, x, y)`` with the
        target's number as gazeheat calibrates (``CalibrationCollector`` indices) and
        where the eyes are taken to look (CSS px): a dot's position, or where a pursuit
        target was ``PURSUIT_LAG_MS`` earlier (the eyes trail it); None outside
        calibration and pursuit targets.

        A dot is numbered by its index in ``targets`` (its rank among the dots when
        some index reaches ``PURSUIT_FIRST_INDEX``); pursuit targets are cut into
        segments of ``PURSUIT_SEGMENT_MS`` from their ``start_ms``, numbered
        ``PURSUIT_FIRST_INDEX`` + k over all pursuit targets in time order, as the page
        numbers them live. Raises FormatError when there are more dots than
        ``PURSUIT_FIRST_INDEX`` (they could not be told from pursuit segments).
        """
        hit = self.target_at(t_ms)
        if hit is None or hit[1].phase == "validation":
            return None
        index, target = hit
        number = self._numbers[index]
        if target.phase == "calibration":
            return number, target.x, target.y
        number += int((t_ms - target.start_ms) // C.PURSUIT_SEGMENT_MS)
        return (number, *target.position_at(t_ms - C.PURSUIT_LAG_MS))

    @cached_property
    def _numbers(self) -> dict:
        """Per calibration or pursuit target (index in ``targets``) its (first) number."""
        dots = [i for i, _ in self.of_phase("calibration")]
        if dots and dots[-1] >= C.PURSUIT_FIRST_INDEX:
            if len(dots) > C.PURSUIT_FIRST_INDEX:
                raise FormatError(f"the recording has {len(dots)} calibration targets, at most "
                                  f"{C.PURSUIT_FIRST_INDEX} can be told from pursuit segments")
            numbers = {i: rank for rank, i in enumerate(dots)}
        else:
            numbers = {i: i for i in dots}
        following = C.PURSUIT_FIRST_INDEX
        for i, target in self.of_phase("pursuit"):
            numbers[i] = following
            following += max(1, math.ceil((target.end_ms - target.start_ms) / C.PURSUIT_SEGMENT_MS))
        return numbers


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
        path = _path(raw.get("path"), where, start, end, width, height) if raw["phase"] == "pursuit" else ()
        targets.append(RecordingTarget(raw["phase"], x, y, start, end, path))
    return Recording(video, width, height, tuple(targets))


def make_recording(video: str, viewport_w_px, viewport_h_px, targets) -> dict:
    """A checked ``recording.json`` object; ``targets``: dicts with phase, x, y,
    start_ms, end_ms (and a pursuit target's path). Raises FormatError naming the first
    rule broken."""
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


def _path(raw, where: str, start: float, end: float, width: float, height: float) -> tuple:
    """A pursuit target's checked ``path`` as ``((t_ms, x, y), ...)``."""
    if not isinstance(raw, list) or len(raw) < 2:
        raise FormatError(f"{where}.path must be a list of at least 2 points for a pursuit target")
    if len(raw) > MAX_PATH_POINTS:
        raise FormatError(f"{where}.path has too many points: {len(raw)} (limit {MAX_PATH_POINTS})")
    points = []
    for k, point in enumerate(raw):
        at = f"{where}.path[{k}]"
        if not isinstance(point, dict):
            raise FormatError(f"{at} must be an object with t_ms, x and y")
        t = _number(point.get("t_ms"), f"{at}.t_ms")
        x, y = _number(point.get("x"), f"{at}.x"), _number(point.get("y"), f"{at}.y")
        if not (0 <= x <= width and 0 <= y <= height):
            raise FormatError(f"{at} ({x}, {y}) lies outside the {width:g} x {height:g} viewport")
        if points and t <= points[-1][0]:
            raise FormatError(f"{at}.t_ms must be > the previous point's ({points[-1][0]}): "
                              "path times must increase strictly")
        points.append((t, x, y))
    if points[0][0] > start + PATH_COVER_SLACK_MS or points[-1][0] < end - PATH_COVER_SLACK_MS:
        raise FormatError(f"{where}.path must cover start_ms .. end_ms ({start} .. {end}), "
                          f"covers {points[0][0]} .. {points[-1][0]}")
    return tuple(points)


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
