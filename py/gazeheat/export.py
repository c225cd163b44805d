"""CSV exports of gaze samples and fixations, and parsers that read them back.

Both files are UTF-8 text (all ASCII), one header row, comma-separated, rows ended
by ``"\\n"`` (spreadsheets and CSV readers also accept it; the parsers accept
``"\\r\\n"`` too). Cells are plain numbers, never quoted; an empty cell is null.
Numbers have fixed decimals: times in ms ``CSV_TIME_DECIMALS`` (3: microseconds),
positions in px ``CSV_PX_DECIMALS`` (2), angles in degrees ``CSV_DEG_DECIMALS``
(3). Column by column in ``docs/csv.md``:

- samples: ``t_ms,x_px,y_px,valid`` (+ ``stim_x_px,stim_y_px``), one row per sample;
- fixations: ``index,start_ms,end_ms,duration_ms,x_px,y_px,dispersion_deg,n_samples``
  (+ ``stim_x_px,stim_y_px``), ``index`` from 1, as in the gaze plot.

The stimulus columns (native px of the stimulus, see ``StimulusGeometry``) are there
when a stimulus geometry is known; they are not clipped (off-stimulus gaze gives
values outside the image).
"""

from __future__ import annotations

from . import constants as C
from .errors import FormatError, InputError
from .filters import _sample_values
from .fixations import as_fixations
from .stimulus import StimulusGeometry

__all__ = [
    "SAMPLE_COLUMNS",
    "FIXATION_COLUMNS",
    "STIMULUS_COLUMNS",
    "samples_csv",
    "fixations_csv",
    "parse_samples_csv",
    "parse_fixations_csv",
]

#: Sample columns, in order.
SAMPLE_COLUMNS = ("t_ms", "x_px", "y_px", "valid")
#: Fixation columns, in order.
FIXATION_COLUMNS = ("index", "start_ms", "end_ms", "duration_ms", "x_px", "y_px",
                    "dispersion_deg", "n_samples")
#: Appended to either when a stimulus geometry is given.
STIMULUS_COLUMNS = ("stim_x_px", "stim_y_px")

_NEWLINE = "\n"
# column -> decimals (None: an integer column).
_DECIMALS = {
    "t_ms": C.CSV_TIME_DECIMALS, "start_ms": C.CSV_TIME_DECIMALS,
    "end_ms": C.CSV_TIME_DECIMALS, "duration_ms": C.CSV_TIME_DECIMALS,
    "x_px": C.CSV_PX_DECIMALS, "y_px": C.CSV_PX_DECIMALS,
    "stim_x_px": C.CSV_PX_DECIMALS, "stim_y_px": C.CSV_PX_DECIMALS,
    "dispersion_deg": C.CSV_DEG_DECIMALS,
    "valid": None, "index": None, "n_samples": None,
}


def samples_csv(session: dict, geometry: StimulusGeometry | None = None) -> str:
    """The samples of ``session`` (a session dict) as CSV.

    ``valid`` is 1 when the sample has a gaze position, else 0 with empty x/y.
    Stimulus columns: with ``geometry``, or else the session's own ``"stimulus"``
    if it has one. Raises InputError on a malformed session, sample or geometry.
    """
    if not isinstance(session, dict) or not isinstance(session.get("samples"), list):
        raise InputError("session must be a session dict with a samples list")
    if geometry is None and session.get("stimulus") is not None:
        geometry = StimulusGeometry.from_dict(session["stimulus"])
    columns = SAMPLE_COLUMNS + (STIMULUS_COLUMNS if geometry is not None else ())
    fmt_t, fmt_px = _formatter("t_ms"), _formatter("x_px")
    lines = [",".join(columns)]
    for i, sample in enumerate(session["samples"]):
        t, x, y = _sample_values(sample, i)
        if x is None:
            cells = [fmt_t(t), "", "", "0"]
            if geometry is not None:
                cells += ["", ""]
        else:
            cells = [fmt_t(t), fmt_px(x), fmt_px(y), "1"]
            if geometry is not None:
                sx, sy = geometry.to_stimulus(x, y)
                cells += [fmt_px(sx), fmt_px(sy)]
        lines.append(",".join(cells))
    return _NEWLINE.join(lines) + _NEWLINE


def fixations_csv(fixations, geometry: StimulusGeometry | None = None) -> str:
    """``fixations`` (``Fixation`` records or their dicts, in time order) as CSV, with
    stimulus columns when ``geometry`` is given. Raises InputError on a malformed
    fixation (naming its index)."""
    columns = FIXATION_COLUMNS + (STIMULUS_COLUMNS if geometry is not None else ())
    formats = [_formatter(c) for c in columns]
    lines = [",".join(columns)]
    for i, f in enumerate(as_fixations(fixations)):
        values = [i + 1, f.start_ms, f.end_ms, f.duration_ms, f.x, f.y, f.dispersion_deg,
                  f.n_samples]
        if geometry is not None:
            values += geometry.to_stimulus(f.x, f.y)
        lines.append(",".join(fmt(v) for fmt, v in zip(formats, values)))
    return _NEWLINE.join(lines) + _NEWLINE


def parse_samples_csv(text: str) -> list:
    """Rows of a samples CSV as dicts keyed by column (floats; ``valid`` a bool; None
    for empty cells). Raises FormatError naming the line on a bad header, a wrong
    number of cells, a non-number, or x/y present without ``valid`` 1 (or the
    reverse)."""
    rows = _parse(text, SAMPLE_COLUMNS)
    for line, row in enumerate(rows, start=2):
        if row["t_ms"] is None or row["valid"] not in (0, 1):
            raise FormatError(f"line {line}: t_ms must be given and valid must be 0 or 1")
        row["valid"] = bool(row["valid"])
        if row["valid"] != (row["x_px"] is not None and row["y_px"] is not None):
            raise FormatError(f"line {line}: valid must be 1 exactly when x_px and y_px are given")
    return rows


def parse_fixations_csv(text: str) -> list:
    """Rows of a fixations CSV as dicts keyed by column (floats; ``index`` and
    ``n_samples`` ints). Raises FormatError naming the line on a bad header, a
    wrong number of cells, a non-number or an empty cell."""
    rows = _parse(text, FIXATION_COLUMNS)
    for line, row in enumerate(rows, start=2):
        empty = [k for k, v in row.items() if v is None]
        if empty:
            raise FormatError(f"line {line}: {', '.join(empty)} must not be empty")
    return rows


# --- private helpers ---------------------------------------------------------------


def _formatter(column: str):
    decimals = _DECIMALS[column]
    if decimals is None:
        return lambda v: str(int(v))

    def fmt(v):
        # round() first so that -0.0001 prints as 0.000, not -0.000
        return f"{round(v, decimals) + 0.0:.{decimals}f}"

    return fmt


def _parse(text, columns: tuple) -> list:
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FormatError(f"CSV is not UTF-8 text: {exc}") from None
    if not isinstance(text, str):
        raise FormatError(f"CSV must be text, got {type(text).__name__}")
    lines = text.removeprefix("\ufeff").splitlines()
    if not lines:
        raise FormatError("CSV is empty (no header row)")
    header = tuple(lines[0].strip().split(","))
    allowed = (columns, columns + STIMULUS_COLUMNS)
    if header not in allowed:
        raise FormatError(f"CSV header must be {','.join(columns)} (optionally followed by "
                          f"{','.join(STIMULUS_COLUMNS)}), got {lines[0]!r}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split(",")
        if len(cells) != len(header):
            raise FormatError(f"line {number}: expected {len(header)} cells, got {len(cells)}")
        row = {}
        for name, cell in zip(header, cells):
            cell = cell.strip()
            if not cell:
                row[name] = None
                continue
            try:
                row[name] = int(cell) if _DECIMALS[name] is None else float(cell)
            except ValueError:
                raise FormatError(f"line {number}: {name} must be a number, got {cell!r}") from None
            if row[name] != row[name] or row[name] in (float("inf"), float("-inf")):
                raise FormatError(f"line {number}: {name} must be finite, got {cell!r}")
        rows.append(row)
    return rows
