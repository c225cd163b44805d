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
from .colormaps import COLORMAP_LABELS
from .export import fixations_csv, samples_csv
from .gazeplot import render_gazeplot as _render_gazeplot
from .heatmap import (
    HeatmapStyle,
    WeightedPoints,
    density_map,
    heatmap_legend,
    render_heatmap_coarse,
    render_heatmap_only,
    render_heatmap_overlay,
    WEIGHTINGS,
)
from .recording import load_recording, make_recording, recording_zip
from .replay import Replay
from .stimulus import StimulusGeometry
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
    "calibration_retry",
    "validation_start",
    "validation_finish",
    "validation_cancel",
    "recentre_start",
    "recentre_finish",
    "heatmap",
    "session",
    "clear_recording",
    "settings_schema",
    "configure",
    "live",
    "render_heatmap",
    "render_gazeplot",
    "export_csv",
    "recording_start",
    "recording_stop",
    "render_options",
    "webcam_recording_zip",
    "replay_start",
    "replay_frame",
    "replay_no_face",
    "replay_finish",
]

_tracker = None


def init(viewport_w_px, viewport_h_px) -> dict:
    """Create the tracker (forgetting any stimulus picture and replay); result
    ``{"version": package version}``."""

    def run():
        global _tracker, _stimulus_pixels, _replay
        _tracker = GazeTracker(_plain(viewport_w_px), _plain(viewport_h_px))
        _stimulus_pixels = _replay = None
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


def calibration_targets(pattern=None) -> dict:
    """Result: ``[{"index", "x_px", "y_px"}, ...]`` for the current viewport."""
    return _call(lambda: _get().calibration_targets(_plain(pattern)))


def calibration_start() -> dict:
    """Start calibrating; result: the targets of the chosen pattern (as
    ``calibration_targets``)."""

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


def calibration_retry(indices) -> dict:
    """Show bad targets again: result their targets; then ``calibration_finish``."""
    return _call(lambda: _get().retry_targets(_clean(_dict(indices))))


def validation_start() -> dict:
    """Start validation; result: the validation targets (``[{"index", "x_px", "y_px"}]``)."""
    return _call(lambda: _get().start_validation())


def validation_finish() -> dict:
    """Result: accuracy and precision (``Validation.to_dict()``)."""
    return _call(lambda: _get().finish_validation())


def validation_cancel() -> dict:
    """Stop validating without a result; result None."""
    return _call(lambda: _get().cancel_validation())


def recentre_start() -> dict:
    """Start a drift correction; result: its one target (as ``validation_start``)."""
    return _call(lambda: _get().start_recentre())


def recentre_finish() -> dict:
    """Apply the drift correction; result ``{"shift_px", "n_samples"}``."""
    return _call(lambda: _get().finish_recentre())


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


#: Outputs of ``render_heatmap``.
HEATMAP_OUTPUTS = ("overlay", "heatmap", "coarse")


def render_heatmap(options=None) -> dict:
    """A heatmap of the current recording (heatmap studio).

    ``options`` (a dict or a JS object; every key optional):

    - ``output``: ``"overlay"`` (default: full size, over the stimulus or white),
      ``"heatmap"`` (full size, transparent) or ``"coarse"`` (one pixel per grid
      cell, for the page to draw scaled by ``cell_px`` with smoothing: the fast path);
    - ``stimulus_rgba`` (bytes / Uint8Array / Uint8ClampedArray, e.g. from canvas
      ``getImageData``) with ``stimulus_w_px``, ``stimulus_h_px``: the stimulus image;
    - ``geometry``: a stimulus geometry dict (default: the recording's stimulus, else
      the viewport); an image of another size keeps its rectangle;
    - ``source`` (``"fixations"``/``"samples"``), ``weighting``, ``sigma_deg``
      (default: the ``heatmap_sigma_deg`` setting), ``px_per_deg`` (default: the
      tracker's), ``colormap``, ``opacity``, ``cutoff``, ``scale``, ``scale_max``:
      see ``gazeheat.heatmap``.

    Result: ``{"png", "output", "width_px", "height_px" (stimulus px), "grid_w",
    "grid_h", "cell_px", "max_value", "top_value", "unit", "title", "n_points",
    "total_weight", "geometry", "legend": Legend.to_dict()}``.
    """

    def run():
        tracker = _get()
        o = _options(options)
        output = o.get("output") or "overlay"
        if output not in HEATMAP_OUTPUTS:
            raise InputError(f"output must be one of {', '.join(HEATMAP_OUTPUTS)}, got {output!r}")
        session = tracker.session()
        geometry, rgba = _stimulus(o, session)
        source = o.get("source") or "fixations"
        weighting = o.get("weighting") or "duration"
        if source == "fixations":
            points = WeightedPoints.from_fixations(session["fixations"], weighting)
        elif source == "samples":
            points = WeightedPoints.from_samples(session["samples"], weighting)
        else:
            raise InputError(f"source must be fixations or samples, got {source!r}")
        sigma = o.get("sigma_deg")
        density = density_map(points, geometry,
                              tracker.settings["heatmap_sigma_deg"] if sigma is None else sigma,
                              _px_per_deg(o, tracker))
        style = HeatmapStyle.from_dict(o)
        grid = density.grid
        if output == "coarse":
            png = render_heatmap_coarse(density, style).png
        elif output == "heatmap":
            png = render_heatmap_only(density, style)
        else:
            png = render_heatmap_overlay(density, style, rgba)
        return {"png": png, "output": output, "width_px": density.width_px,
                "height_px": density.height_px, "grid_w": grid.w_cells,
                "grid_h": grid.h_cells, "cell_px": grid.cell_px,
                "max_value": density.max_value, "top_value": style.top(density),
                "unit": density.unit, "title": density.title, "n_points": grid.n_points,
                "total_weight": density.total_weight, "geometry": geometry.to_dict(),
                "legend": heatmap_legend(density, style).to_dict()}

    return _call(run)


def render_gazeplot(options=None) -> dict:
    """A gaze plot of the current recording's fixations, full size.

    ``options`` (dict or JS object; every key optional): ``stimulus_rgba``,
    ``stimulus_w_px``, ``stimulus_h_px``, ``geometry``, ``px_per_deg`` as in
    ``render_heatmap``; ``sizing`` (``"sqrt"``/``"linear"``), ``max_radius_deg``:
    see ``gazeheat.gazeplot``. Result: ``{"png", "width_px", "height_px",
    "n_fixations", "geometry"}``.
    """

    def run():
        tracker = _get()
        o = _options(options)
        session = tracker.session()
        geometry, rgba = _stimulus(o, session)
        extra = {k: o[k] for k in ("sizing", "max_radius_deg") if o.get(k) is not None}
        png = _render_gazeplot(session["fixations"], geometry, rgba,
                               px_per_deg=_px_per_deg(o, tracker), **extra)
        return {"png": png, "width_px": geometry.width_px, "height_px": geometry.height_px,
                "n_fixations": len(session["fixations"]), "geometry": geometry.to_dict()}

    return _call(run)


def export_csv(kind, geometry=None) -> dict:
    """The current recording's ``kind`` (``"samples"`` or ``"fixations"``) as CSV text
    (``gazeheat.export``). Stimulus columns come from ``geometry`` (a dict) or else
    the recording's stimulus, if any. Result: the CSV text."""

    def run():
        session = _get().session()
        g = _clean(_dict(geometry))
        if g is None and session.get("stimulus") is not None:
            g = session["stimulus"]
        stimulus = None if g is None else StimulusGeometry.from_dict(g)
        which = _plain(kind)
        if which == "samples":
            return samples_csv(session, stimulus)
        if which == "fixations":
            return fixations_csv(session["fixations"], stimulus)
        raise InputError(f"kind must be samples or fixations, got {which!r}")

    return _call(run)


# --- recording over a stimulus, and replay of recordings ---------------------------

#: How the results panel names the heatmap weightings (gazeheat.heatmap.WEIGHTINGS).
WEIGHTING_LABELS = {"duration": "Fixation duration", "count": "Fixation count",
                    "relative": "Relative duration (per participant)"}
#: The current recording's stimulus picture: (rgba bytes, width_px, height_px) or None.
_stimulus_pixels = None
#: The replay in progress (``gazeheat.replay.Replay``) or None.
_replay = None


def recording_start(stimulus, rgba=None, width_px=None, height_px=None) -> dict:
    """Start a new recording over ``stimulus`` (a stimulus geometry dict) whose picture
    is ``rgba`` (width_px x height_px x 4 bytes, may be None); result None."""

    def run():
        global _stimulus_pixels
        _get().start_recording(_clean(_dict(stimulus)))
        _stimulus_pixels = _pixels(rgba, width_px, height_px)

    return _call(run)


def recording_stop(rgba=None, width_px=None, height_px=None) -> dict:
    """Stop recording; a new picture (e.g. a shared screen's last frame) replaces the
    stored one. Result: ``GazeTracker.stop_recording()``."""

    def run():
        global _stimulus_pixels
        pixels = _pixels(rgba, width_px, height_px)
        if pixels is not None:
            _stimulus_pixels = pixels
        return _get().stop_recording()

    return _call(run)


def render_options() -> dict:
    """Choices for the page's results panel: ``{"colormaps": [[key, label]...],
    "weightings": [[key, label]...], "opacity", "cutoff"}`` (the defaults of both)."""
    default = HeatmapStyle()
    return _call(lambda: {"colormaps": [[k, v] for k, v in COLORMAP_LABELS.items()],
                          "weightings": [[k, WEIGHTING_LABELS[k]] for k in WEIGHTINGS],
                          "opacity": default.opacity, "cutoff": default.cutoff})


def webcam_recording_zip(video_name, video_bytes, targets) -> dict:
    """Package a webcam recording made by the page (``targets``: [{phase, x, y,
    start_ms, end_ms}], ms after its first frame) for ``build.py replay``; result: zip
    bytes with ``recording.json`` and the video."""

    def run():
        tracker = _get()
        recording = make_recording(_plain(video_name), tracker.viewport_w_px, tracker.viewport_h_px,
                                   _clean(_dict(targets)))
        return recording_zip(recording, _bytes(video_bytes))

    return _call(run)


def replay_start(recording_json, settings=None) -> dict:
    """Start replaying a recording (its ``recording.json`` text); result ``{"video",
    "viewport": {"width", "height"}, "targets"}``. The tracker is not involved."""

    def run():
        global _replay
        recording = load_recording(_plain(recording_json))
        _replay = Replay(recording, _clean(_dict(settings)))
        return {"video": recording.video,
                "viewport": {"width": recording.viewport_w_px, "height": recording.viewport_h_px},
                "targets": len(recording.targets)}

    return _call(run)


def replay_frame(t_ms, landmarks, matrix, image_w_px, image_h_px) -> dict:
    """One video frame with a face (t_ms after the first frame); result as
    ``Replay.add_frame``."""
    return _call(lambda: _get_replay().add_frame(
        _plain(t_ms), _floats(landmarks), _floats(matrix), _plain(image_w_px), _plain(image_h_px)))


def replay_no_face(t_ms, reason="noface") -> dict:
    """One video frame without a usable face; result None."""
    return _call(lambda: _get_replay().add_no_face(_plain(t_ms), _plain(reason) or "noface"))


def replay_finish(created_iso=None) -> dict:
    """Calibrate, validate, predict every frame; result: the session dict."""
    return _call(lambda: _get_replay().finish(_plain(created_iso)))


# --- private helpers ---------------------------------------------------------------


def _call(fn) -> dict:
    try:
        return {"ok": True, "result": fn()}
    except GazeheatError as exc:
        return {"ok": False, "error": error_to_dict(exc)}
    except Exception as exc:  # the worker must always get a reply, never a throw
        return {"ok": False, "error": {"type": "InternalError", "message": f"{type(exc).__name__}: {exc}"}}


def _get_replay() -> Replay:
    if _replay is None:
        raise InputError("replay_start() must be called before replay frames")
    return _replay


def _pixels(rgba, width_px, height_px):
    """(bytes, w, h) from a picture given over the boundary, or None without one."""
    data = _bytes(rgba)
    if data is None:
        return None
    w, h = _plain(width_px), _plain(height_px)
    if not (isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0 and len(data) == w * h * 4):
        raise InputError(f"the stimulus picture must be width x height x 4 bytes, got {len(data)} "
                         f"bytes for {w} x {h}")
    return data, w, h


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


def _clean(value):
    """``value`` with JsNull (at any depth of dicts and lists) turned into None."""
    value = _plain(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _options(options) -> dict:
    o = _clean(_dict(options))
    if o is None:
        return {}
    if not isinstance(o, dict):
        raise InputError(f"options must be an object, got {type(o).__name__}")
    return o


def _bytes(value):
    """Bytes from bytes-like data or a Pyodide typed-array proxy; None stays None."""
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, memoryview):
        return value.cast("B").tobytes() if value.format != "B" else value.tobytes()
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if hasattr(value, "to_bytes") and not isinstance(value, int):  # int has to_bytes too
        return value.to_bytes()
    raise InputError(f"stimulus_rgba must be bytes or a Uint8Array, got {type(value).__name__}")


def _stimulus(o: dict, session: dict) -> tuple:
    """``(geometry, rgba or None)`` from render options and the recording: the
    geometry given, or the session's; an image of another size keeps its rectangle."""
    g = o.get("geometry")
    geometry = (StimulusGeometry.from_dict(g) if g is not None
                else StimulusGeometry.of_session(session))
    rgba = _bytes(o.get("stimulus_rgba"))
    if rgba is None and _stimulus_pixels is not None:
        rgba, w, h = _stimulus_pixels  # the picture given when the recording started
    elif rgba is None:
        return geometry, None
    else:
        w, h = o.get("stimulus_w_px"), o.get("stimulus_h_px")
    if w is None or h is None:
        raise InputError("stimulus_rgba needs stimulus_w_px and stimulus_h_px")
    if (w, h) != (geometry.width_px, geometry.height_px):
        geometry = geometry.resized(w, h)
    return geometry, rgba


def _px_per_deg(o: dict, tracker: GazeTracker) -> float:
    value = o.get("px_per_deg")
    return tracker.px_per_deg if value is None else value


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
