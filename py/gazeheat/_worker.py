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
    WEIGHTINGS,
)
from .recording import load_recording, make_recording, recording_zip
from .replay import Replay
from .stimulus import StimulusGeometry
from .tracker import GazeTracker
# The dashboard: stored sessions of several participants, areas of interest.
from . import aoi as gazeheat_aoi
from . import constants as C
from .aggregate import OUTPUTS, aggregate_density, render_density, select_sessions, shared_scale
from .png import decode_png_rgba
from .session import (
    load_session,
    make_stimulus_image,
    session_fixations,
    session_px_per_deg,
    session_settings,
    stimulus_image_bytes,
    stimulus_key,
    validate_session,
)

__all__ = [
    "init",
    "set_viewport",
    "frame",
    "click",
    "no_face",
    "calibration_targets",
    "calibration_start",
    "calibration_cancel",
    "calibration_finish",
    "calibration_retry",
    "pursuit_plan",
    "validation_start",
    "validation_finish",
    "validation_cancel",
    "recentre_start",
    "recentre_finish",
    "calibration_saved",
    "calibration_restore",
    "recording_tail",
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
    "session_check",
    "stimulus_image",
    "aggregate_heatmap",
    "compare_heatmaps",
    "session_heatmap",
    "session_gazeplot",
    "aoi_table",
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
          target_index=None, target_x_px=None, target_y_px=None, eye_patches=None) -> dict:
    """One frame with a face (``eye_patches``: the page's Float32Array of both eyes'
    patches, or null when it could not crop them); result as
    ``GazeTracker.process_frame``."""
    return _call(
        lambda: _get().process_frame(
            _plain(t_ms), _floats(landmarks), _floats(matrix), _plain(image_w_px),
            _plain(image_h_px), _plain(target_index), _plain(target_x_px), _plain(target_y_px),
            _optional_floats(eye_patches),
        )
    )


def click(t_ms, x_px, y_px) -> dict:
    """A click on the page while tracking (self-calibration); result as
    ``GazeTracker.click``."""
    return _call(lambda: _get().click(_plain(t_ms), _plain(x_px), _plain(y_px)))


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


def pursuit_plan() -> dict:
    """Result: the smooth-pursuit pass for the current viewport
    (``GazeTracker.pursuit_plan``)."""
    return _call(lambda: _get().pursuit_plan())


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


def calibration_saved() -> dict:
    """Result: the calibration to keep (``GazeTracker.saved_calibration``)."""
    return _call(lambda: _get().saved_calibration())


def calibration_restore(saved) -> dict:
    """Track with a kept calibration; result ``{"px_per_deg"}``."""
    return _call(lambda: _get().restore_calibration(_clean(_dict(saved))))


def recording_tail(start) -> dict:
    """Result: the samples from index ``start`` on (``GazeTracker.recording_tail``)."""
    return _call(lambda: _get().recording_tail(_plain(start)))


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
        o = _options(options)
        session = _get().session()
        geometry, rgba = _stimulus(o, session)
        return _heatmap(session, o, geometry, rgba)

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
        o = _options(options)
        session = _get().session()
        geometry, rgba = _stimulus(o, session)
        return _gazeplot(session, o, geometry, rgba)

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


def replay_frame(t_ms, landmarks, matrix, image_w_px, image_h_px, eye_patches=None) -> dict:
    """One video frame with a face (t_ms after the first frame; ``eye_patches`` as for
    ``frame``); result as ``Replay.add_frame``."""
    return _call(lambda: _get_replay().add_frame(
        _plain(t_ms), _floats(landmarks), _floats(matrix), _plain(image_w_px), _plain(image_h_px),
        _optional_floats(eye_patches)))


def replay_no_face(t_ms, reason="noface") -> dict:
    """One video frame without a usable face; result None."""
    return _call(lambda: _get_replay().add_no_face(_plain(t_ms), _plain(reason) or "noface"))


def replay_finish(created_iso=None) -> dict:
    """Calibrate, validate, predict every frame; result: the session dict."""
    return _call(lambda: _get_replay().finish(_plain(created_iso)))


# --- stored sessions: the dashboard (several participants, areas of interest) --------


def session_check(text) -> dict:
    """Validate one session file (JSON text, UTF-8 bytes or an already parsed object)
    for the dashboard's import, file by file. The call itself always succeeds; its
    result is ``{"ok": True, "participant", "recording_id", "created",
    "duration_ms", "n_samples", "valid_fraction", "n_fixations" (stored, or None),
    "accuracy_deg", "grade" (None without validation), "px_per_deg",
    "stimulus_key", "stimulus": geometry dict, "image_media_type" (None if no
    picture is embedded)}`` or ``{"ok": False, "error": {"type", "message"}}``."""

    def run():
        try:
            return {"ok": True, **_session_summary(_stored_session(text))}
        except GazeheatError as exc:
            return {"ok": False, "error": error_to_dict(exc)}

    return _call(run)


def stimulus_image(data, media_type) -> dict:
    """The ``stimulus_image`` field of a session for a picture file's bytes (PNG,
    JPEG or WebP; ``session.make_stimulus_image``); result ``{"media_type",
    "data_base64", "sha256"}``."""
    return _call(lambda: make_stimulus_image(_bytes(data), _plain(media_type)))


def aggregate_heatmap(sessions, options=None) -> dict:
    """One heatmap over several stored sessions of the same stimulus
    (``gazeheat.aggregate``).

    ``sessions``: a list of session files (text, bytes or parsed objects).
    ``options`` (every key optional): ``max_error_deg`` (leave out sessions whose
    validation error is larger, or that have none), ``weighting`` (``"equal"``,
    default, or ``"time"``), ``source`` (``"fixations"``/``"samples"``),
    ``sigma_deg`` (default ``HEATMAP_SIGMA_DEG``), ``output`` (``"overlay"``,
    ``"heatmap"``, ``"coarse"``), ``stimulus_rgba`` with ``stimulus_w_px`` and
    ``stimulus_h_px`` (the picture as RGBA; default: a PNG the sessions embed, else
    white), and the style keys of ``HeatmapStyle``.

    Result: the map (``"png"``, ``"output"``, ``"width_px"``, ``"height_px"``,
    ``"grid_w"``, ``"grid_h"``, ``"cell_px"``, ``"max_value"``, ``"top_value"``,
    ``"unit"``, ``"title"``, ``"n_points"``, ``"total_weight"``, ``"legend"``) plus
    ``"included"`` (indices), ``"excluded"`` (``[{"index", "label", "reason"}]``),
    ``"stimulus_key"``, ``"n_with_gaze"``, ``"px_per_deg"`` (native px per degree
    of the kernel) and ``"picture"`` (``"given"``, ``"embedded"`` or ``"none"``).
    """

    def run():
        o = _options(options)
        group = _group(sessions, o, "")
        style = HeatmapStyle.from_dict(o)
        return {**_aggregate_result(group, style, _output(o)),
                "legend": heatmap_legend(group["map"].density, style).to_dict()}

    return _call(run)


def compare_heatmaps(group_a, group_b, options=None) -> dict:
    """Two groups of stored sessions side by side on one colour scale (the larger
    maximum of the two, unless ``options`` set an absolute ``scale_max``).

    ``options``: as ``aggregate_heatmap`` (applied to both groups); the picture for
    group B is ``stimulus_b_rgba`` / ``stimulus_b_w_px`` / ``stimulus_b_h_px`` when
    it showed another stimulus, else the same as A's. Result ``{"a": ..., "b": ...}``
    (each as ``aggregate_heatmap`` without the legend), ``"legend"`` (one for both)
    and ``"top_value"``.
    """

    def run():
        o = _options(options)
        a = _group(group_a, o, "", "group A: ")
        b = _group(group_b, o, "_b" if o.get("stimulus_b_rgba") is not None else "", "group B: ")
        style = shared_scale(HeatmapStyle.from_dict(o), a["map"].density, b["map"].density)
        output = _output(o)
        return {"a": _aggregate_result(a, style, output), "b": _aggregate_result(b, style, output),
                "legend": heatmap_legend(a["map"].density, style).to_dict(),
                "top_value": style.top(a["map"].density)}

    return _call(run)


def session_heatmap(session, options=None) -> dict:
    """A heatmap of one stored session (text, bytes or parsed object), as
    ``render_heatmap`` does for the live recording.

    ``options``: as ``render_heatmap`` (``output``, ``stimulus_rgba`` +
    ``stimulus_w_px``/``stimulus_h_px``, ``geometry``, ``source``, ``weighting``,
    ``sigma_deg`` (default: the session's setting), ``px_per_deg`` (default: the
    session's), style keys). Without a picture, a PNG the session embeds is used.
    Result: as ``render_heatmap``, plus ``"picture"``.
    """

    def run():
        o = _options(options)
        stored = _stored_session(session)
        geometry, rgba, picture = _session_picture(o, stored)
        return {**_heatmap(stored, o, geometry, rgba), "picture": picture}

    return _call(run)


def session_gazeplot(session, options=None) -> dict:
    """A gaze plot of one stored session, as ``render_gazeplot`` for the live one
    (same ``options``). Result ``{"png", "width_px", "height_px", "n_fixations",
    "geometry", "picture"}``."""

    def run():
        o = _options(options)
        stored = _stored_session(session)
        geometry, rgba, picture = _session_picture(o, stored)
        return {**_gazeplot(stored, o, geometry, rgba), "picture": picture}

    return _call(run)


def aoi_table(sessions, aois) -> dict:
    """AOI metrics per session and AOI (``gazeheat.aoi``). ``sessions``: session
    files (text, bytes or objects); ``aois``: a list of AOI objects or an AOI file
    (object or text). Result ``{"columns", "rows": [{participant, session, aoi,
    ttff_ms, dwell_ms, dwell_pct, fixation_count, visits, revisits,
    first_fixation_duration_ms}], "csv": text}``."""

    def run():
        stored = _stored_list(sessions)
        definition = _clean(_dict(aois))
        rows = gazeheat_aoi.aoi_table(stored, gazeheat_aoi.load_aois(definition))
        return {"columns": list(gazeheat_aoi.AOI_COLUMNS), "rows": rows,
                "csv": gazeheat_aoi.aoi_csv(rows)}

    return _call(run)


def _stored_session(value) -> dict:
    """A validated session from text, bytes or a parsed object (FormatError if not)."""
    value = _plain(value)
    if isinstance(value, str):
        return load_session(value)
    if isinstance(value, (bytes, bytearray, memoryview)) or (
            hasattr(value, "to_bytes") and not isinstance(value, int)):
        return load_session(_bytes(value))
    return validate_session(_clean(_dict(value)))


def _stored_list(sessions) -> list:
    items = _dict(sessions)
    if not isinstance(items, (list, tuple)):
        raise InputError(f"sessions must be a list, got {type(items).__name__}")
    out = []
    for i, item in enumerate(items):
        try:
            out.append(_stored_session(item))
        except GazeheatError as exc:
            raise type(exc)(f"sessions[{i}]: {exc}") from None
    return out


def _session_summary(session: dict) -> dict:
    samples = session["samples"]
    n = len(samples)
    valid = sum(1 for s in samples if s["x"] is not None)
    validation = session.get("validation") or {}
    image = session.get("stimulus_image")
    return {
        "participant": session.get("participant"),
        "recording_id": session.get("recording_id"),
        "created": session["created"],
        "duration_ms": samples[-1]["t_ms"] - samples[0]["t_ms"] if n > 1 else 0.0,
        "n_samples": n,
        "valid_fraction": valid / n if n else 0.0,
        "n_fixations": len(session["fixations"]) if "fixations" in session else None,
        "accuracy_deg": validation.get("accuracy_deg"),
        "grade": validation.get("grade"),
        "px_per_deg": session_px_per_deg(session),
        "stimulus_key": stimulus_key(session),
        "stimulus": StimulusGeometry.of_session(session).to_dict(),
        "image_media_type": image["media_type"] if image else None,
    }


def _picture(o: dict, suffix: str, session):
    """``(rgba, (w, h), "given")`` from the options' ``stimulus{suffix}_rgba``, else a
    PNG embedded in ``session`` (``"embedded"``), else ``(None, None, "none")``."""
    given = _pixels(o.get(f"stimulus{suffix}_rgba"), o.get(f"stimulus{suffix}_w_px"),
                    o.get(f"stimulus{suffix}_h_px"))
    if given is not None:
        rgba, w, h = given
        return rgba, (w, h), "given"
    embedded = stimulus_image_bytes(session) if session is not None else None
    if embedded is not None and embedded[0] == "image/png":
        w, h, rgba = decode_png_rgba(embedded[1])
        return rgba, (w, h), "embedded"
    return None, None, "none"


def _session_picture(o: dict, session: dict) -> tuple:
    """``(geometry, rgba or None, picture)`` for one stored session: the geometry
    given or the session's; a picture of another size keeps its rectangle."""
    g = o.get("geometry")
    geometry = (StimulusGeometry.from_dict(g) if g is not None
                else StimulusGeometry.of_session(session))
    rgba, size, picture = _picture(o, "", session)
    if size is not None and size != (geometry.width_px, geometry.height_px):
        geometry = geometry.resized(*size)
    return geometry, rgba, picture


def _group(sessions, o: dict, suffix: str, name: str = "") -> dict:
    """Select and aggregate one group: ``{"map", "included", "excluded", "rgba",
    "picture"}``."""
    try:
        stored = _stored_list(sessions)
        included, excluded = select_sessions(stored, o.get("max_error_deg"))
        if not included:
            reasons = "; ".join(f"{e.label}: {e.reason}" for e in excluded[:5])
            raise InputError("no session left to aggregate" + (f" ({reasons})" if reasons else ""))
        chosen = [stored[i] for i in included]
        rgba, size, picture = _picture(o, suffix, chosen[0])
        sigma = o.get("sigma_deg")
        agg = aggregate_density(chosen, C.HEATMAP_SIGMA_DEG if sigma is None else sigma,
                                o.get("weighting") or "equal", o.get("source") or "fixations", size)
    except GazeheatError as exc:
        if not name:
            raise
        raise type(exc)(f"{name}{exc}") from None
    return {"map": agg, "included": included, "excluded": [e.to_dict() for e in excluded],
            "rgba": rgba, "picture": picture}


def _aggregate_result(group: dict, style: HeatmapStyle, output: str) -> dict:
    agg = group["map"]
    return {**_map_result(agg.density, style, output, group["rgba"]),
            "included": group["included"], "excluded": group["excluded"],
            "stimulus_key": agg.stimulus_key, "n_with_gaze": agg.n_with_gaze,
            "px_per_deg": agg.px_per_deg, "picture": group["picture"]}


def _heatmap(session: dict, o: dict, geometry: StimulusGeometry, rgba) -> dict:
    """The heatmap of a session (live or stored) per ``render_heatmap``'s options;
    defaults (sigma, px per degree, fixations) come from the session itself."""
    ppd = o.get("px_per_deg") or session_px_per_deg(session)
    source = o.get("source") or "fixations"
    weighting = o.get("weighting") or "duration"
    if source == "fixations":
        points = WeightedPoints.from_fixations(session_fixations(session, ppd), weighting)
    elif source == "samples":
        points = WeightedPoints.from_samples(session["samples"], weighting)
    else:
        raise InputError(f"source must be fixations or samples, got {source!r}")
    sigma = o.get("sigma_deg")
    if sigma is None:
        sigma = session_settings(session)["heatmap_sigma_deg"]
    density = density_map(points, geometry, sigma, ppd)
    style = HeatmapStyle.from_dict(o)
    return {**_map_result(density, style, _output(o), rgba), "geometry": geometry.to_dict(),
            "legend": heatmap_legend(density, style).to_dict()}


def _gazeplot(session: dict, o: dict, geometry: StimulusGeometry, rgba) -> dict:
    """The gaze plot of a session (live or stored) per ``render_gazeplot``'s options."""
    ppd = o.get("px_per_deg") or session_px_per_deg(session)
    fixations = session_fixations(session, ppd)
    extra = {k: o[k] for k in ("sizing", "max_radius_deg") if o.get(k) is not None}
    png = _render_gazeplot(fixations, geometry, rgba, px_per_deg=ppd, **extra)
    return {"png": png, "width_px": geometry.width_px, "height_px": geometry.height_px,
            "n_fixations": len(fixations), "geometry": geometry.to_dict()}


def _map_result(density, style: HeatmapStyle, output: str, rgba) -> dict:
    grid = density.grid
    return {"png": render_density(density, style, output, rgba), "output": output,
            "width_px": density.width_px, "height_px": density.height_px,
            "grid_w": grid.w_cells, "grid_h": grid.h_cells, "cell_px": grid.cell_px,
            "max_value": density.max_value, "top_value": style.top(density),
            "unit": density.unit, "title": density.title, "n_points": grid.n_points,
            "total_weight": density.total_weight}


def _output(o: dict) -> str:
    output = o.get("output") or "overlay"
    if output not in OUTPUTS:
        raise InputError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}")
    return output


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


def _optional_floats(values):
    """``_floats`` of ``values``, or None for None / JS null."""
    values = _plain(values)
    return None if values is None else _floats(values)


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
