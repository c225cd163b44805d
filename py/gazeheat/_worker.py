"""Adapter between the JavaScript worker and ``GazeTracker`` (the only module that
knows about Pyodide, and only by duck typing: it imports neither ``js`` nor
``pyodide``).

The worker calls these functions by name with plain values. Each returns
``{"ok": True, "result": ...}`` or ``{"ok": False, "error": {"type", "message"}}``:
gazeheat errors keep their class name (``InputError``, ``CalibrationError``, ...),
anything unexpected is reported as ``"InternalError"``. Nothing is raised.

Landmark and matrix arrays may arrive as Python sequences, as bytes-like objects
holding float32 values, or as Pyodide proxies of JS typed arrays (anything with
``to_bytes()``); they are unpacked into ``array('f')`` without per-element work.
"""

from __future__ import annotations

from array import array

from . import __version__
from . import settings as gazeheat_settings
from .errors import GazeheatError, InputError, error_to_dict
from .tracker import GazeTracker

__all__ = [
    "init",
    "set_viewport",
    "frame",
    "no_face",
    "calibration_targets",
    "calibration_start",
    "calibration_cancel",
    "calibration_finish",
    "heatmap",
    "session",
    "clear_recording",
    "settings_schema",
    "configure",
    "live",
]

_tracker = None


def init(viewport_w_px, viewport_h_px) -> dict:
    """Create the tracker; result ``{"version": package version}``."""

    def run():
        global _tracker
        _tracker = GazeTracker(_plain(viewport_w_px), _plain(viewport_h_px))
        return {"version": __version__}

    return _call(run)


def set_viewport(viewport_w_px, viewport_h_px) -> dict:
    """Change the viewport size (CSS px); result None."""
    return _call(lambda: _get().set_viewport(_plain(viewport_w_px), _plain(viewport_h_px)))


def frame(t_ms, landmarks, matrix, image_w_px, image_h_px,
          target_index=None, target_x_px=None, target_y_px=None) -> dict:
    """One frame with a face; result as ``GazeTracker.process_frame``."""
    return _call(
        lambda: _get().process_frame(
            _plain(t_ms), _floats(landmarks), _floats(matrix), _plain(image_w_px),
            _plain(image_h_px), _plain(target_index), _plain(target_x_px), _plain(target_y_px),
        )
    )


def no_face(t_ms, reason="no_face") -> dict:
    """A frame without a face (reason null/None means ``"no_face"``); result as
    ``GazeTracker.process_no_face``."""
    reason = _plain(reason)
    return _call(lambda: _get().process_no_face(_plain(t_ms), "no_face" if reason is None else reason))


def calibration_targets(rows=3, cols=3) -> dict:
    """Result: ``[{"index", "x_px", "y_px"}, ...]`` for the current viewport."""
    return _call(lambda: _get().calibration_targets(_plain(rows), _plain(cols)))


def calibration_start() -> dict:
    """Start calibrating; result: the default 3x3 targets (as ``calibration_targets``)."""

    def run():
        tracker = _get()
        tracker.start_calibration()
        return tracker.calibration_targets()

    return _call(run)


def calibration_cancel() -> dict:
    """Stop calibrating without fitting (the previous model stays); result: None."""
    return _call(lambda: _get().cancel_calibration())


def calibration_finish() -> dict:
    """Fit the model; result: the calibration summary."""
    return _call(lambda: _get().finish_calibration())


def heatmap(width_px=None, height_px=None) -> dict:
    """Result: ``GazeTracker.heatmap_png`` (``"png"`` is bytes)."""
    return _call(lambda: _get().heatmap_png(_plain(width_px), _plain(height_px)))


def session(created_iso=None) -> dict:
    """Result: the session dict of the recording."""
    return _call(lambda: _get().session(_plain(created_iso)))


def settings_schema() -> dict:
    """Result: the settings table (``settings.settings_schema``)."""
    return _call(gazeheat_settings.settings_schema)


def configure(settings) -> dict:
    """Apply user settings (a dict, or a JS object); result: the validated settings."""
    return _call(lambda: _get().configure(_dict(settings)))


def live(since_ms, with_fixations=True, with_heatmap=False, width_px=None, height_px=None) -> dict:
    """The page's once-a-second refresh; result ``{"fixations": [...] (from since_ms
    on, [] unless asked), "heatmap": heatmap result or None (unless asked or empty)}``."""

    def run():
        tracker = _get()
        fixations = tracker.fixations(_plain(since_ms)) if _plain(with_fixations) else []
        heatmap = (tracker.heatmap_png(_plain(width_px), _plain(height_px))
                   if _plain(with_heatmap) and tracker.n_samples else None)
        return {"fixations": fixations, "heatmap": heatmap}

    return _call(run)


def clear_recording() -> dict:
    """Drop the recording; result None."""
    return _call(lambda: _get().clear_recording())


# --- private helpers ---------------------------------------------------------------


def _call(fn) -> dict:
    try:
        return {"ok": True, "result": fn()}
    except GazeheatError as exc:
        return {"ok": False, "error": error_to_dict(exc)}
    except Exception as exc:  # the worker must always get a reply, never a throw
        return {"ok": False, "error": {"type": "InternalError", "message": f"{type(exc).__name__}: {exc}"}}


def _get() -> GazeTracker:
    if _tracker is None:
        raise InputError("init() must be called before any other function")
    return _tracker


def _plain(value):
    """Map Pyodide's JsNull (JavaScript null) to None; pass anything else through."""
    if type(value).__name__ == "JsNull":
        return None
    return value


def _dict(value):
    """A Python dict from a dict or a Pyodide proxy of a JS object."""
    value = _plain(value)
    if hasattr(value, "to_py"):
        value = value.to_py()
    return value


def _floats(values):
    """A flat float sequence from a list/tuple/array, float32 bytes, a memoryview or
    a Pyodide typed-array proxy."""
    values = _plain(values)
    try:
        if hasattr(values, "to_bytes"):
            # Pyodide proxy of a JS typed array: one copy of its bytes.
            itemsize = getattr(values, "BYTES_PER_ELEMENT", 4)
            out = array("d" if itemsize == 8 else "f")
            out.frombytes(values.to_bytes())
            return out
        if isinstance(values, memoryview):
            out = array("d" if values.format == "d" else "f")
            out.frombytes(values.cast("B"))  # frombytes wants a byte-format view
            return out
        if isinstance(values, (bytes, bytearray)):
            out = array("f")
            out.frombytes(values)
            return out
    except (ValueError, TypeError) as exc:
        raise InputError(f"cannot read a float array: {exc}") from None
    if hasattr(values, "to_py"):
        return values.to_py()
    return values
