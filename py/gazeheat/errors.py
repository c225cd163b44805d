"""The gazeheat exception hierarchy and its plain-data form for the worker boundary.

Every error that gazeheat raises on purpose is a ``GazeheatError``:

- ``InputError`` (also a ``ValueError``): a bad argument or bad data handed to a
  function, e.g. a landmark array of the wrong length or a NaN coordinate.
- ``CalibrationError``: calibration data is missing or degenerate, so no gaze model
  can be fitted (too few targets, singular normal equations).
- ``FormatError`` (also a ``ValueError``): a stored file (session, PNG) is malformed;
  the message says what is wrong and where.
"""

from __future__ import annotations

__all__ = [
    "GazeheatError",
    "InputError",
    "CalibrationError",
    "FormatError",
    "error_to_dict",
]


class GazeheatError(Exception):
    """Base class of every error gazeheat raises deliberately."""


class InputError(GazeheatError, ValueError):
    """A bad argument or bad input data (wrong length, type, range, non-finite)."""


class CalibrationError(GazeheatError):
    """Not enough, or degenerate, calibration data to fit a gaze model."""


class FormatError(GazeheatError, ValueError):
    """A malformed stored file (session JSON, PNG); the message says what and where."""


def error_to_dict(exc: BaseException) -> dict:
    """Return ``{"type": class name, "message": str(exc)}`` for the worker reply.

    The type is the exception's own class name (e.g. ``"InputError"``), so the page
    can branch on it; the message is the human-readable text.
    """
    return {"type": type(exc).__name__, "message": str(exc)}
