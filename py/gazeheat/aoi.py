"""Areas of interest (AOIs): named regions of a stimulus, and gaze metrics per AOI.

An ``Aoi`` is a rectangle or a polygon in the stimulus's own pixels (the native
pixels of ``StimulusGeometry``, origin top-left), so one definition fits every
session of that stimulus whatever its screen. Fixations (viewport CSS px) are
mapped onto the stimulus with each session's geometry; a fixation is *in* an AOI
when its centroid is.

**Inside, and the boundary.** ``Aoi.contains`` uses the even-odd rule (a point is
inside when a ray from it crosses the outline an odd number of times) with
half-open edges: for a rectangle that is exactly ``x0 <= x < x1`` and ``y0 <= y <
y1`` (the left and top edges are in, the right and bottom ones out, as for pixels
and ``StimulusGeometry.contains``); for a polygon, a point exactly on an edge or a
vertex may fall either way, but two AOIs that share an edge never both contain a
point on it. Self-intersecting polygons follow the even-odd rule (a figure eight's
overlap is outside). AOIs may overlap: a fixation then counts in each.

**Metrics** (``AoiMetrics``), per AOI and session, over the session's fixations in
time order:

- ``ttff_ms`` (time to first fixation): from the session's time origin, the
  ``t_ms`` of its first sample (the start of the recording; without samples, the
  first fixation's start), to the start of the first fixation in the AOI; None if
  none is;
- ``first_fixation_duration_ms``: that fixation's duration (None if none);
- ``dwell_ms``: the summed durations of the fixations in the AOI (saccades and
  gaps between them are not counted);
- ``fixation_count``;
- ``visits``: runs of consecutive fixations in the AOI (a fixation anywhere else,
  off the stimulus included, ends a visit; a blink without fixations does not);
  ``revisits = max(visits - 1, 0)``.

``aoi_table`` makes one row per session and AOI for many sessions (fixations
stored in the session, else detected with its own settings:
``session.session_fixations``), and ``aoi_csv`` writes the rows as CSV
(``docs/aoi.md``).

**CSV and formulas.** Participant, session and AOI names are free text typed by
people, and spreadsheets run a cell starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return as a formula; ``aoi_csv`` writes such a cell with a leading ``'``
(which spreadsheets show as text). ``gazeheat.export`` writes numbers only and
needs no such guard.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from . import _check
from . import constants as C
from .errors import FormatError, InputError
from .export import _formatter
from .fixations import as_fixations
from .session import json_depth, session_fixations
from .stimulus import StimulusGeometry

__all__ = [
    "AOI_KINDS",
    "AOI_COLUMNS",
    "Aoi",
    "AoiMetrics",
    "load_aois",
    "dump_aois",
    "aoi_metrics",
    "session_aoi_metrics",
    "aoi_table",
    "aoi_csv",
]

#: Shapes an AOI can have.
AOI_KINDS = ("rect", "polygon")
#: Columns of ``aoi_table`` rows and of ``aoi_csv``, in order.
AOI_COLUMNS = ("participant", "session", "aoi", "ttff_ms", "dwell_ms", "dwell_pct",
               "fixation_count", "visits", "revisits", "first_fixation_duration_ms")

# Cells spreadsheets would run as formulas start with one of these.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_TEXT_COLUMNS = ("participant", "session", "aoi")


@dataclass(frozen=True)
class Aoi:
    """A named area of interest on a stimulus.

    ``name``: 1 to ``AOI_MAX_NAME_CHARS`` characters, not only spaces. ``kind``:
    ``"rect"`` (``points_px`` = two opposite corners, in any order, with a width and
    height > 0) or ``"polygon"`` (3 to ``AOI_MAX_VERTICES`` vertices in order, with
    an area > 0). ``points_px``: ``(x, y)`` pairs of finite numbers in the
    stimulus's native px; they may lie off the stimulus. The constructor validates
    (raises InputError) and stores the points as a tuple of float pairs.
    """

    name: str
    kind: str
    points_px: tuple

    def __post_init__(self):
        name = self.name
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"AOI name must be a non-empty string, got {_short(name)}")
        if len(name) > C.AOI_MAX_NAME_CHARS:
            raise InputError(f"AOI name is too long: {len(name)} characters "
                             f"(limit {C.AOI_MAX_NAME_CHARS})")
        if self.kind not in AOI_KINDS:
            raise InputError(f"AOI {name!r}: kind must be one of {', '.join(AOI_KINDS)}, "
                             f"got {_short(self.kind)}")
        points = _points(self.points_px, name)
        if self.kind == "rect":
            if len(points) != 2:
                raise InputError(f"AOI {name!r}: a rect needs 2 corners, got {len(points)}")
            (x0, y0), (x1, y1) = points
            if x0 == x1 or y0 == y1:
                raise InputError(f"AOI {name!r}: the rect has no area (width or height 0)")
        else:
            if not 3 <= len(points) <= C.AOI_MAX_VERTICES:
                raise InputError(f"AOI {name!r}: a polygon needs 3 to {C.AOI_MAX_VERTICES} "
                                 f"vertices, got {len(points)}")
            if _area(points) == 0.0:
                raise InputError(f"AOI {name!r}: the polygon has no area")
        object.__setattr__(self, "points_px", points)

    @property
    def vertices(self) -> tuple:
        """The outline as polygon vertices (a rect's four corners)."""
        if self.kind == "polygon":
            return self.points_px
        (x0, y0), (x1, y1) = self.points_px
        return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))

    @property
    def bounds(self) -> tuple:
        """``(min_x, min_y, max_x, max_y)`` of the outline, stimulus px."""
        xs = [p[0] for p in self.points_px]
        ys = [p[1] for p in self.points_px]
        return min(xs), min(ys), max(xs), max(ys)

    def contains(self, x_px, y_px) -> bool:
        """True if the stimulus point ``(x_px, y_px)`` is inside (even-odd rule,
        half-open edges: see the module docstring). None or NaN: False."""
        if x_px is None or y_px is None:
            return False
        if self.kind == "rect":
            x0, y0, x1, y1 = self.bounds
            return x0 <= x_px < x1 and y0 <= y_px < y1
        return _in_polygon(self.vertices, x_px, y_px)

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind,
                "points_px": [[x, y] for x, y in self.points_px]}

    @classmethod
    def from_dict(cls, d) -> Aoi:
        """Inverse of ``to_dict``; unknown keys are ignored. Raises InputError on a
        missing key or a bad value."""
        if not isinstance(d, dict):
            raise InputError(f"an AOI must be an object, got {type(d).__name__}")
        missing = [k for k in ("name", "kind", "points_px") if k not in d]
        if missing:
            raise InputError(f"AOI is missing {', '.join(missing)}")
        return cls(d["name"], d["kind"], d["points_px"])


@dataclass(frozen=True)
class AoiMetrics:
    """One AOI's metrics in one session (see the module docstring): times in ms,
    None where the AOI was never fixated."""

    aoi: str
    ttff_ms: float | None
    first_fixation_duration_ms: float | None
    dwell_ms: float
    fixation_count: int
    visits: int
    revisits: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def load_aois(obj) -> tuple:
    """AOIs from an AOI definition: a list of ``Aoi.to_dict()`` objects, or the file
    object ``{"format": "gazeheat.aois", "version": 1, "aois": [...]}``
    (``dump_aois``), or that JSON as text or UTF-8 bytes.

    Returns a tuple of ``Aoi`` in the given order. Raises FormatError saying what
    and where (``aois[2]: ...``) on malformed JSON, a bad AOI, duplicate names
    (compared exactly) or more than ``AOI_MAX_COUNT`` AOIs.
    """
    if isinstance(obj, (str, bytes, bytearray)):
        obj = _parse_json(obj)
    if isinstance(obj, dict):
        if obj.get("format") != C.AOI_FORMAT:
            raise FormatError(f'AOI file format must be "{C.AOI_FORMAT}", got '
                              f'{_short(obj.get("format"))}')
        if not (_check.is_number(obj.get("version")) and obj.get("version") == C.AOI_VERSION):
            raise FormatError(f"AOI file version must be {C.AOI_VERSION}, got "
                              f"{_short(obj.get('version'))} (unsupported version)")
        obj = obj.get("aois")
    if not isinstance(obj, list):
        raise FormatError(f"AOIs must be a list, got {type(obj).__name__}")
    if len(obj) > C.AOI_MAX_COUNT:
        raise FormatError(f"too many AOIs: {len(obj)} (limit {C.AOI_MAX_COUNT})")
    aois, seen = [], set()
    for i, item in enumerate(obj):
        try:
            aoi = Aoi.from_dict(item)
        except InputError as exc:
            raise FormatError(f"aois[{i}]: {exc}") from None
        if aoi.name in seen:
            raise FormatError(f"aois[{i}]: the name {aoi.name!r} is used twice")
        seen.add(aoi.name)
        aois.append(aoi)
    return tuple(aois)


def dump_aois(aois, stimulus=None) -> dict:
    """The AOI definition file object for ``aois`` (``Aoi`` records or their dicts):
    ``{"format", "version", "stimulus_key", "aois": [...]}``; ``stimulus``: the
    stimulus key they were drawn on (``session.stimulus_key``) or None. Raises
    FormatError like ``load_aois``."""
    checked = load_aois([a.to_dict() if isinstance(a, Aoi) else a for a in aois])
    if stimulus is not None and not isinstance(stimulus, str):
        raise FormatError(f"stimulus_key must be a string, got {type(stimulus).__name__}")
    return {"format": C.AOI_FORMAT, "version": C.AOI_VERSION, "stimulus_key": stimulus,
            "aois": [a.to_dict() for a in checked]}


def aoi_metrics(fixations, geometry: StimulusGeometry, aois, origin_ms=0.0) -> list:
    """``AoiMetrics`` per AOI (in the order of ``aois``) for one session.

    ``fixations``: ``Fixation`` records or their dicts, in time order, positions in
    viewport CSS px; ``geometry``: maps them onto the stimulus; ``aois``: ``Aoi``
    records; ``origin_ms``: the time TTFF counts from (same clock as the
    fixations). O(fixations x AOIs), cheaper for fixations outside an AOI's bounds.
    Raises InputError on a malformed fixation or argument.
    """
    if not isinstance(geometry, StimulusGeometry):
        raise InputError(f"geometry must be a StimulusGeometry, got {type(geometry).__name__}")
    origin = _check.finite(origin_ms, "origin_ms")
    aois = _aoi_list(aois)
    records = as_fixations(fixations)
    places = [geometry.to_stimulus(f.x, f.y) for f in records]
    out = []
    for aoi in aois:
        x0, y0, x1, y1 = aoi.bounds
        first = None
        dwell, count, visits, inside_before = 0.0, 0, 0, False
        durations = []
        for f, (sx, sy) in zip(records, places):
            inside = x0 <= sx <= x1 and y0 <= sy <= y1 and aoi.contains(sx, sy)
            if inside:
                if first is None:
                    first = f
                durations.append(f.duration_ms)
                count += 1
                if not inside_before:
                    visits += 1
            inside_before = inside
        dwell = math.fsum(durations)
        out.append(AoiMetrics(aoi.name,
                              None if first is None else first.start_ms - origin,
                              None if first is None else first.duration_ms,
                              dwell, count, visits, max(visits - 1, 0)))
    return out


def session_aoi_metrics(session: dict, aois) -> tuple:
    """``(metrics, total_fixation_ms)`` for a validated session dict: its fixations
    (stored, else detected with its settings and px_per_deg), its stimulus geometry
    (or viewport), TTFF from its first sample. Raises InputError or FormatError on
    a malformed session or bad settings."""
    geometry = StimulusGeometry.of_session(session)
    records = as_fixations(session_fixations(session))
    samples = session["samples"]
    if samples:
        origin = samples[0]["t_ms"]
    else:
        origin = records[0].start_ms if records else 0.0
    total = math.fsum(f.duration_ms for f in records)
    return aoi_metrics(records, geometry, aois, origin), total


def aoi_table(sessions, aois, labels=None) -> list:
    """One row (a dict with the keys ``AOI_COLUMNS``) per session and AOI, sessions
    in the given order, AOIs in theirs.

    ``sessions``: validated session dicts. ``aois``: ``Aoi`` records, their dicts
    or an AOI definition (``load_aois``). ``participant``: the session's
    ``participant`` or ""; ``session``: ``labels[i]`` if given, else its
    ``recording_id``, else its 1-based position as text. ``dwell_pct``: dwell time
    as a percentage of the session's total fixation time (None when it has no
    fixations). Sessions of different stimuli may be mixed (the AOIs are then
    applied to each in its own native px); check ``stimulus_key`` first if that
    is not wanted. Raises InputError / FormatError naming the session (``sessions[3]:
    ...``).
    """
    aois = _aoi_list(aois)
    if not isinstance(sessions, (list, tuple)):
        raise InputError(f"sessions must be a list, got {type(sessions).__name__}")
    if labels is not None and len(labels) != len(sessions):
        raise InputError(f"labels must have one entry per session, got {len(labels)} for "
                         f"{len(sessions)}")
    rows = []
    for i, session in enumerate(sessions):
        try:
            metrics, total = session_aoi_metrics(session, aois)
        except (InputError, FormatError) as exc:
            raise type(exc)(f"sessions[{i}]: {exc}") from None
        participant = session.get("participant") or ""
        label = (labels[i] if labels is not None
                 else session.get("recording_id") or str(i + 1))
        for m in metrics:
            rows.append({
                "participant": participant,
                "session": str(label),
                "aoi": m.aoi,
                "ttff_ms": m.ttff_ms,
                "dwell_ms": m.dwell_ms,
                "dwell_pct": 100.0 * m.dwell_ms / total if total > 0.0 else None,
                "fixation_count": m.fixation_count,
                "visits": m.visits,
                "revisits": m.revisits,
                "first_fixation_duration_ms": m.first_fixation_duration_ms,
            })
    return rows


def aoi_csv(rows) -> str:
    """``rows`` (``aoi_table``) as CSV text: a header row ``AOI_COLUMNS``, then one
    line per row, ``"\\n"`` line ends, UTF-8 (no BOM), as ``gazeheat.export``:
    times in ms with ``CSV_TIME_DECIMALS`` decimals, ``dwell_pct`` with
    ``CSV_PCT_DECIMALS``, counts as integers, None as an empty cell. Text cells are
    quoted (RFC 4180: ``"`` doubled) when they hold a comma, quote or line break,
    and start with ``'`` when a spreadsheet would read them as a formula. Raises
    InputError on a row without a column or with a non-number in a number column.
    """
    fmt_ms = _formatter("duration_ms")
    fmt_int = _formatter("n_samples")

    def fmt_pct(v):
        return f"{round(v, C.CSV_PCT_DECIMALS) + 0.0:.{C.CSV_PCT_DECIMALS}f}"

    formats = {"ttff_ms": fmt_ms, "dwell_ms": fmt_ms, "first_fixation_duration_ms": fmt_ms,
               "dwell_pct": fmt_pct, "fixation_count": fmt_int, "visits": fmt_int,
               "revisits": fmt_int}
    lines = [",".join(AOI_COLUMNS)]
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or any(c not in row for c in AOI_COLUMNS):
            raise InputError(f"rows[{i}] must be a dict with the keys {', '.join(AOI_COLUMNS)}")
        cells = []
        for column in AOI_COLUMNS:
            value = row[column]
            if column in _TEXT_COLUMNS:
                cells.append(_text_cell("" if value is None else str(value)))
            elif value is None:
                cells.append("")
            else:
                try:
                    cells.append(formats[column](_check.finite(value, f"rows[{i}].{column}")))
                except (TypeError, ValueError, OverflowError):
                    raise InputError(f"rows[{i}].{column} must be a number, got "
                                     f"{_short(value)}") from None
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


# --- private helpers ---------------------------------------------------------------


def _points(value, name: str) -> tuple:
    if not isinstance(value, (list, tuple)):
        raise InputError(f"AOI {name!r}: points_px must be a list of [x, y] pairs")
    if len(value) > C.AOI_MAX_VERTICES:
        raise InputError(f"AOI {name!r}: too many points: {len(value)} "
                         f"(limit {C.AOI_MAX_VERTICES})")
    points = []
    for i, p in enumerate(value):
        if not isinstance(p, (list, tuple)) or len(p) != 2:
            raise InputError(f"AOI {name!r}: points_px[{i}] must be an [x, y] pair")
        try:
            points.append((_check.finite(p[0], f"AOI {name!r}: points_px[{i}][0]"),
                           _check.finite(p[1], f"AOI {name!r}: points_px[{i}][1]")))
        except OverflowError:
            raise InputError(f"AOI {name!r}: points_px[{i}] is too large") from None
    return tuple(points)


def _area(points: tuple) -> float:
    """Absolute shoelace area (px^2)."""
    n = len(points)
    twice = math.fsum(points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1]
                      for i in range(n))
    return abs(twice) / 2.0


def _in_polygon(vertices: tuple, x: float, y: float) -> bool:
    """Even-odd crossing test with half-open edges: an edge counts when it spans
    ``y`` with one end strictly above and one at or below, and crosses the
    horizontal ray to the right of ``x`` (strictly)."""
    inside = False
    xj, yj = vertices[-1]
    for xi, yi in vertices:
        if (yi > y) != (yj > y) and x < xi + (y - yi) * (xj - xi) / (yj - yi):
            inside = not inside
        xj, yj = xi, yi
    return inside


def _aoi_list(aois) -> tuple:
    if isinstance(aois, (list, tuple)) and all(isinstance(a, Aoi) for a in aois):
        names = [a.name for a in aois]
        if len(set(names)) != len(names):
            raise InputError("AOI names must be unique")
        return tuple(aois)
    return load_aois(aois)


def _text_cell(text: str) -> str:
    if text.startswith(_FORMULA_STARTS):
        text = "'" + text
    if any(c in text for c in ',"\n\r'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def _parse_json(data):
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FormatError(f"AOI file is not UTF-8 text: {exc}") from None
    if len(data) > C.AOI_MAX_FILE_BYTES:
        raise FormatError(f"AOI file is too large (limit {C.AOI_MAX_FILE_BYTES} bytes)")
    if json_depth(data) > C.JSON_MAX_DEPTH:
        raise FormatError(f"AOI file is not valid JSON: nested too deeply "
                          f"(limit {C.JSON_MAX_DEPTH} levels)")
    try:
        return json.loads(data.removeprefix("\ufeff"), parse_constant=_reject_constant)
    except FormatError:
        raise
    except json.JSONDecodeError as exc:
        raise FormatError(f"AOI file is not valid JSON: {exc}") from None
    except (RecursionError, ValueError):
        raise FormatError("AOI file is not valid JSON (nested too deeply or a huge number)") from None


def _reject_constant(name: str):
    raise FormatError(f"AOI file is not valid JSON: {name} is not allowed")


def _short(value) -> str:
    text = repr(value) if not isinstance(value, (list, dict)) else type(value).__name__
    return text if len(text) <= 60 else text[:60] + "..."
