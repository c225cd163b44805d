"""The stateful gaze tracker the worker drives: frames in, gaze samples out.

``GazeTracker`` ties the pieces together: features per frame, a calibration
collector while calibrating, the fitted ``GazeModel``, a ``OneEuroFilter`` on the
predicted gaze, and the recording of samples that sessions and heatmaps are made
from. It takes and returns plain data (numbers, lists, dicts, bytes).

Frame states (``"state"`` in every reply):

- ``"calibrating"``: calibration is running; no gaze is reported (a blink or
  unusable frame still carries its ``"reason"``).
- ``"tracking"``: a calibrated, filtered gaze position is in ``x``/``y``.
- ``"uncalibrated"``: the face is fine but there is no gaze model yet.
- ``"blink"``: the eyes are closed; ``x``/``y`` are null.
- ``"invalid"``: features are unusable (``"reason"`` says why); ``x``/``y`` are null.
- from ``process_no_face``: the caller's reason (e.g. ``"no_face"``).

Recording: once a model exists and no calibration is running, every frame appends
one sample (null x/y when there is no valid gaze) to the recording.

Gaze model variants (issue #7, ``gazeheat.appearance``): with eye patches in the
frames, calibration also feeds an ``AppearanceTrainer``, and ``finish_calibration``
fits the ``"appearance"`` and ``"combined"`` models next to the landmark
``GazeModel``. Until a validation has chosen, the landmark model predicts. Validation
predicts every frame with every fitted variant and scores each with
``validation.validate_gaze``; ``appearance.choose_model`` picks the one that predicts
from then on (and is saved, and recorded in the session's ``models``). A frame without
patches (the crop failed) is predicted by the landmark model whatever the variant. A
drift correction (re-centre) corrects every variant from its own predictions on the
target: the landmark model as ``GazeModel.recentred``, an appearance model by an
offset (``AppearanceModel.recentred``: one target measures no scale).

Smooth-pursuit pass (setting ``smooth_pursuit``, on by default; the page runs it):
``pursuit_plan`` gives the moving dot's path; its frames arrive as ordinary calibration
frames with target indices from ``PURSUIT_FIRST_INDEX`` (one per ``PURSUIT_SEGMENT_MS``
of motion), and feed the landmark and eye-image models like the dots (see
``gazeheat.calibration``). ``retry_targets`` keeps them: only the retried dots' frames go.

Self-calibration from clicks (setting ``learn_from_clicks``, off by default):
``click`` takes the latest tracked frame (if it is at most
``SELF_CALIBRATION_MAX_AGE_MS`` old) as what the person looked at when clicking,
refuses the click unless ``appearance.accept_click`` passes (the shown gaze within
``SELF_CALIBRATION_MAX_DEG`` of it), and adds it to the calibration's trainer. The
appearance-based models are refitted (``AppearanceTrainer.refit``: one solve per axis,
no cross-validation) after the first accepted click and then after every
``SELF_CALIBRATION_REFIT_EVERY`` accepted ones: one click weighs little
(``CLICK_SAMPLE_WEIGHT``), and a refit blocks the worker for a frame or two. The
landmark model does not learn from clicks; when validation chose it, clicks only
update the appearance-based models (used after a later validation picks one).
"""

from __future__ import annotations

import math
import statistics
import time
from array import array

from bisect import bisect_left

from . import __version__, _check
from . import constants as C
from .appearance import (APPEARANCE_VARIANTS, AppearanceModel, AppearanceTrainer, EyePatches,
                         accept_click, choose_model, fit_variants, patch_features)
from .calibration import CalibrationCollector, GazeModel, calibration_pattern, pursuit_path
from .constants import CALIBRATION_SETTLE_MS, HEATMAP_CELL_PX, VIEWING_DISTANCE_CM
from .errors import CalibrationError, InputError
from .features import extract_features, px_per_deg, viewing_distance_cm
from .fixations import detect_fixations
from .heatmap import legend_stops, render_heatmap_png
from .session import make_session
from .settings import fixation_params, heatmap_sigma_px, make_filter, validate_settings
from .stimulus import StimulusGeometry
from .validation import validate_gaze, validation_targets

__all__ = ["GazeTracker", "STATES"]

#: Every state ``process_frame`` can report.
STATES = ("calibrating", "validating", "recentring", "tracking", "uncalibrated", "blink", "invalid")

_NAN = math.nan


class GazeTracker:
    """Gaze tracking state for one page (viewport size in CSS px)."""

    def __init__(self, viewport_w_px, viewport_h_px):
        """Raises InputError unless both sizes are finite numbers > 0."""
        self.set_viewport(viewport_w_px, viewport_h_px)
        #: Eye-to-screen distance (cm): measured from the irises' size while
        #: calibrating; a typical laptop distance until then.
        self._distance_cm = VIEWING_DISTANCE_CM
        self.configure({})
        self._collector = None
        self._last_collector = None  # the finished calibration's samples, for retries
        self._model = None  # the landmark GazeModel
        self._trainer = None  # AppearanceTrainer while calibrating
        self._last_trainer = None  # the finished calibration's, for retries and clicks
        self._appearance = {}  # variant name -> fitted AppearanceModel
        self._appearance_errors = {}  # variant name -> why it could not be fitted
        self._chosen = "landmark"  # the variant that predicts
        self._choice = None  # ModelChoice of the last validation
        self._last_frame = None  # latest tracked frame, for clicks: (t_ms, feats, inputs, gaze)
        self._clicks_unfitted = 0  # accepted clicks since the last refit
        # target index -> (x_px, y_px, first t_ms, {variant: [(t, x, y)]})
        self._validating = None
        self._recentring = False  # the validation-like targets are a drift correction
        self._validation = None
        self.clear_recording()

    # --- configuration -------------------------------------------------------------

    def set_viewport(self, viewport_w_px, viewport_h_px) -> None:
        """Set the viewport size (CSS px). A calibration made for another size is
        kept; recalibrate if the screen geometry really changed."""
        self.viewport_w_px = _check.positive(viewport_w_px, "viewport_w_px", " px")
        self.viewport_h_px = _check.positive(viewport_h_px, "viewport_h_px", " px")

    def configure(self, settings) -> dict:
        """Apply user settings (``gazeheat.settings``; missing keys get defaults) and
        return the complete validated settings. The smoothing filter restarts.
        Raises InputError naming a bad setting; the old settings then stay."""
        valid = validate_settings(settings)
        self._filter = make_filter(valid)
        self._settings = valid
        self._update_px_per_deg()
        return dict(valid)

    def _update_px_per_deg(self) -> None:
        # CSS px per degree of visual angle: the screen's scale (a setting, e.g.
        # matched to a bank card) at the measured viewing distance.
        self.px_per_deg = px_per_deg(self._distance_cm, self._settings["screen_px_per_cm"])

    @property
    def settings(self) -> dict:
        """The settings in use (a copy)."""
        return dict(self._settings)

    @property
    def calibrated(self) -> bool:
        """True once a gaze model has been fitted."""
        return self._model is not None

    @property
    def calibrating(self) -> bool:
        """True between ``start_calibration`` and a successful ``finish_calibration``."""
        return self._collector is not None

    @property
    def model(self):
        """The current landmark ``GazeModel`` or None."""
        return self._model

    @property
    def chosen_variant(self) -> str:
        """The gaze model variant that predicts (``MODEL_VARIANTS``): ``"landmark"``
        until a validation chose another."""
        return self._chosen

    @property
    def appearance_models(self) -> dict:
        """Fitted appearance-based models: variant name -> ``AppearanceModel``."""
        return dict(self._appearance)

    @property
    def n_samples(self) -> int:
        """Samples in the recording."""
        return len(self._t)

    # --- per frame -----------------------------------------------------------------

    def process_frame(self, t_ms, landmarks, matrix, image_w_px, image_h_px,
                      target_index=None, target_x_px=None, target_y_px=None,
                      eye_patches=None) -> dict:
        """Process one frame with a face; return ``{"t_ms", "x", "y", "state", ...}``.

        ``landmarks``/``matrix``/image size as in ``features.extract_features``.
        ``eye_patches``: the frame's eye patches (``appearance.EyePatches`` or its
        ``EYE_PATCH_VALUES`` numbers), or None when the page could not crop them.
        While calibrating, pass the target shown (index and position in CSS px);
        the reply then has ``"kept"``: whether the frame became a calibration
        sample. When tracking, ``"raw_x"``/``"raw_y"`` hold the unfiltered gaze.
        Invalid frames carry ``"reason"``.

        Raises InputError on bad input (eye patches included), on a target without
        ``start_calibration``, or if ``t_ms`` is earlier than the last recorded sample.
        """
        t_ms = self._check_time(t_ms)
        features = extract_features(landmarks, matrix, image_w_px, image_h_px)
        if eye_patches is not None and not isinstance(eye_patches, EyePatches):
            eye_patches = EyePatches(eye_patches)
        self._last_frame = None
        reply = {"t_ms": t_ms, "x": None, "y": None}
        if target_index is not None:
            if self._collector is None and self._validating is None:
                raise InputError("a target was given but neither start_calibration() nor "
                                 "start_validation() was called")
            if target_x_px is None or target_y_px is None:
                raise InputError("target_x_px and target_y_px are required with target_index")
        if self._collector is not None:
            if target_index is not None:
                reply["kept"] = self._collector.add(t_ms, target_index, target_x_px, target_y_px, features)
                self._trainer.add(t_ms, target_index, target_x_px, target_y_px, eye_patches, features)
                if features.valid:
                    self._distances_cm.append(viewing_distance_cm(features, image_w_px))
            reply["state"] = "calibrating"
        elif self._validating is not None:
            reply["state"] = "recentring" if self._recentring else "validating"
            if target_index is not None and self._model.usable(features):
                feats = self._features_of(eye_patches) if self._appearance else None
                gaze = {v: self._predict(v, features, feats) for v in self._variants()}
                reply["kept"] = self._add_validation(t_ms, target_index, target_x_px, target_y_px, gaze)
        elif not features.valid:
            reply["state"] = "blink" if features.reason == "blink" else "invalid"
        elif self._model is None:
            reply["state"] = "uncalibrated"
        elif not self._model.usable(features):
            # Eyes half closed (the edge of a blink) for this person: lids, and so
            # vertical gaze, are far off; no gaze rather than a jump.
            reply["state"] = "blink"
        else:
            feats = (self._features_of(eye_patches)
                     if self._chosen != "landmark" or self._learning_from_clicks() else None)
            raw_x, raw_y = self._predict(self._chosen, features, feats)
            reply["x"], reply["y"] = (raw_x, raw_y) if self._filter is None else \
                self._filter.update(t_ms, raw_x, raw_y)
            reply["raw_x"], reply["raw_y"] = raw_x, raw_y
            reply["state"] = "tracking"
            self._last_frame = (t_ms, feats, features.vector(), (reply["x"], reply["y"]))
        if not features.valid:
            reply["reason"] = features.reason
        self._record(t_ms, reply["x"], reply["y"])
        return reply

    def process_no_face(self, t_ms, reason="no_face") -> dict:
        """A frame without a usable face: record a null sample and reset the filter.

        Returns ``{"t_ms", "x": None, "y": None, "state": reason}``. Raises
        InputError on a bad time, a non-string/empty reason, or time going back.
        """
        t_ms = self._check_time(t_ms)
        if not isinstance(reason, str) or not reason:
            raise InputError(f"reason must be a non-empty string, got {reason!r}")
        self._reset_filter()
        self._last_frame = None
        self._record(t_ms, None, None)
        return {"t_ms": t_ms, "x": None, "y": None, "state": reason}

    # --- calibration ---------------------------------------------------------------

    def calibration_targets(self, pattern=None) -> list:
        """Targets for the current viewport: ``[{"index", "x_px", "y_px"}, ...]`` of
        ``pattern`` ("9", "13", "16"; None: the ``calibration_points`` setting), see
        ``calibration.calibration_pattern``."""
        name = self._settings["calibration_points"] if pattern is None else pattern
        targets = calibration_pattern(name, self.viewport_w_px, self.viewport_h_px)
        return [{"index": i, **t.to_dict()} for i, t in enumerate(targets)]

    def pursuit_plan(self) -> dict:
        """The smooth-pursuit pass for the current viewport, for the page to run after
        the calibration dots: ``{"first_index", "still_ms", "settle_ms", "segment_ms",
        "duration_ms", "lag_ms", "points": [{"t_ms", "x_px", "y_px"}, ...]}`` (the constants
        ``PURSUIT_*`` and ``calibration.pursuit_path``; ``t_ms`` from the motion's
        start, positions between points by linear interpolation).

        The page shows the dot still at the first point for ``still_ms``, then moves it;
        frames from ``settle_ms`` after the motion started to its end are calibration
        frames with ``target_index = first_index + floor((t_since_motion - settle_ms) /
        segment_ms)`` (as replay numbers a recorded pursuit target's segments) and the
        dot's position ``lag_ms`` before that frame (where the eyes trailing it look; no
        per-target settling is applied to them). Whether to run it at all is the
        ``smooth_pursuit`` setting's business (the page's); this works either way.
        """
        points = pursuit_path(self.viewport_w_px, self.viewport_h_px)
        return {"first_index": C.PURSUIT_FIRST_INDEX, "still_ms": C.PURSUIT_STILL_MS,
                "settle_ms": C.PURSUIT_SETTLE_MS, "segment_ms": C.PURSUIT_SEGMENT_MS,
                "duration_ms": C.PURSUIT_DURATION_MS, "lag_ms": C.PURSUIT_LAG_MS,
                "points": [{"t_ms": t, "x_px": x, "y_px": y} for t, x, y in points]}

    def start_calibration(self) -> None:
        """Start collecting calibration samples (discarding any previous ones)."""
        self._collector = CalibrationCollector()
        self._trainer = AppearanceTrainer()
        self._distances_cm = []  # viewing distance per calibration frame, from the irises
        self._reset_filter()

    def start_validation(self) -> list:
        """Start measuring accuracy on targets the calibration never saw; returns them
        (``[{"index", "x_px", "y_px"}]``). Raises CalibrationError without a model."""
        if self._model is None:
            raise CalibrationError("calibrate before validating")
        self._validating = {}
        self._recentring = False
        return [{"index": i, **t.to_dict()}
                for i, t in enumerate(validation_targets(self.viewport_w_px, self.viewport_h_px))]

    def finish_validation(self) -> dict:
        """Accuracy and precision on the validation targets of every fitted model
        variant; the one with the lowest mean error (``appearance.choose_model``)
        predicts from now on. Returns the chosen variant's ``Validation.to_dict()`` plus
        ``"models"``: ``ModelChoice.to_dict()`` (each variant's ``accuracy_deg`` and
        ``mean_error_deg``, and the ``"chosen"`` one); both are kept for the session.
        Raises CalibrationError when no target has samples."""
        if self._validating is None or self._recentring:
            raise CalibrationError("start_validation() was not called")
        entries = sorted(self._validating.items())
        self._validating = None
        self._reset_filter()
        results = {}
        for variant in self._variants():
            per_target = [(i, x, y, gaze.get(variant, [])) for i, (x, y, _, gaze) in entries]
            try:
                results[variant] = validate_gaze(per_target, self.px_per_deg)
            except CalibrationError:
                if variant == "landmark":  # every variant sees the same frames
                    raise
                results[variant] = None
        choice = choose_model({v: None if r is None else r.mean_error_deg for v, r in results.items()},
                              {v: None if r is None else r.accuracy_deg for v, r in results.items()})
        self._chosen = choice.chosen
        self._choice = choice
        self._validation = results[choice.chosen].to_dict()
        return {**self._validation, "models": choice.to_dict()}

    def cancel_validation(self) -> None:
        """Stop validating (or re-centring) without a result."""
        self._validating = None
        self._recentring = False

    def start_recentre(self) -> list:
        """Start a drift correction: one target at the viewport's centre (returned as
        ``[{"index", "x_px", "y_px"}]``), looked at like a validation target. Raises
        CalibrationError without a model."""
        if self._model is None:
            raise CalibrationError("calibrate before re-centring")
        self._validating = {}
        self._recentring = True
        return [{"index": 0, "x_px": self.viewport_w_px / 2, "y_px": self.viewport_h_px / 2}]

    def finish_recentre(self) -> dict:
        """Correct the model so the gaze lands on the re-centre target (no full
        calibration); returns ``{"shift_px", "n_samples"}``: how far the correction moves
        the gaze there. Raises CalibrationError without samples."""
        if not self._recentring:
            raise CalibrationError("start_recentre() was not called")
        points = [(x, y, gaze) for x, y, _, gaze in self._validating.values() if gaze]
        self.cancel_validation()
        if not points:
            raise CalibrationError("no gaze while re-centring (face not found?): try again")
        tx, ty, by_variant = points[0]
        shift = None
        for variant, gaze in by_variant.items():
            mx = math.fsum(g[1] for g in gaze) / len(gaze)
            my = math.fsum(g[2] for g in gaze) / len(gaze)
            if variant == "landmark":
                self._model = self._model.recentred([(mx, my, tx, ty)])
            else:
                self._appearance[variant] = self._appearance[variant].recentred([(mx, my, tx, ty)])
            if variant == self._chosen:
                shift = {"shift_px": math.hypot(tx - mx, ty - my), "n_samples": len(gaze)}
        self._reset_filter()
        return shift

    def _add_validation(self, t_ms, index, x_px, y_px, gaze) -> bool:
        """Keep a predicted (unfiltered: precision measures the jitter) gaze point once the
        eyes have settled on the target."""
        entry = self._validating.setdefault(index, (x_px, y_px, t_ms, {}))
        if t_ms - entry[2] < CALIBRATION_SETTLE_MS:
            return False
        for variant, (x, y) in gaze.items():
            entry[3].setdefault(variant, []).append((t_ms, x, y))
        return True

    def retry_targets(self, indices) -> list:
        """Reopen the last calibration to show ``indices`` (bad targets) again: their
        samples are dropped, the others (other dots, pursuit segments) kept;
        ``finish_calibration`` then refits.
        Returns those targets (as ``calibration_targets``). Raises CalibrationError
        when there is no finished calibration to reopen."""
        if self._last_collector is None:
            raise CalibrationError("there is no calibration to show targets of again")
        wanted = {int(i) for i in indices}
        targets = [t for t in self.calibration_targets() if t["index"] in wanted]
        self._last_collector.drop_targets(wanted)
        self._collector, self._last_collector = self._last_collector, None
        trainer = self._last_trainer or AppearanceTrainer()
        trainer.drop_targets(wanted)
        self._trainer, self._last_trainer = trainer, None
        self._distances_cm = []
        return targets

    def cancel_calibration(self) -> None:
        """Stop calibrating without fitting: the previous model (if any) stays in use.
        Does nothing when not calibrating."""
        self._collector = None
        self._trainer = None
        self._reset_filter()

    def finish_calibration(self) -> dict:
        """Fit the gaze models: the landmark ``GazeModel`` and, from the eye patches,
        the appearance-based ones. Returns the landmark model's summary
        (``GazeModel.summary()``: ``"n_targets"``, ``"n_samples"``, ``"rms_px"``,
        ``"bad_targets"``, ``"per_target"``, ...) plus ``"viewing_distance_cm"``,
        ``"px_per_deg"``, ``"appearance_models"`` (variant -> ``AppearanceModel.summary()``,
        or ``{"error": why}`` when it could not be fitted, e.g. no patches) and
        ``"appearance_fit_ms"`` (time spent fitting those); after a smooth-pursuit pass
        also ``"pursuit": {"segments", "dropped", "samples", "follow_r"}`` (``bad_targets`` lists
        dots only: the ones to show again). The landmark model
        predicts until a validation chooses (``finish_validation``).

        Raises CalibrationError if calibration was not started, has too few targets
        or is degenerate (for the landmark model); calibration then stays open so
        more samples can be added.
        """
        if self._collector is None:
            raise CalibrationError("start_calibration() was not called")
        model = GazeModel.fit(self._collector, screen_px_per_cm=self._settings["screen_px_per_cm"])
        start = time.perf_counter()
        self._appearance, self._appearance_errors = fit_variants(self._trainer, model)
        fit_ms = 1000.0 * (time.perf_counter() - start)
        self._model = model
        self._chosen, self._choice, self._validation = "landmark", None, None
        self._clicks_unfitted = 0
        self._last_collector, self._collector = self._collector, None
        self._last_trainer, self._trainer = self._trainer, None
        self._reset_filter()
        if self._distances_cm:
            self._distance_cm = statistics.median(self._distances_cm)
            self._update_px_per_deg()
        models = {v: self._appearance[v].summary() if v in self._appearance
                  else {"error": self._appearance_errors[v]} for v in APPEARANCE_VARIANTS}
        return {**model.summary(), "viewing_distance_cm": self._distance_cm,
                "px_per_deg": self.px_per_deg, "appearance_models": models,
                "appearance_fit_ms": fit_ms}

    def saved_calibration(self) -> dict:
        """What a later page needs to track without calibrating again:
        ``{"model": GazeModel.to_dict(), "viewing_distance_cm"}`` plus, when an
        appearance-based variant is chosen, ``"appearance": AppearanceModel.to_dict()``
        (the landmark model is always kept: it predicts frames without eye patches).
        Raises CalibrationError when there is no model."""
        if self._model is None:
            raise CalibrationError("there is no calibration to save")
        saved = {"model": self._model.to_dict(), "viewing_distance_cm": self._distance_cm}
        if self._chosen != "landmark":
            saved["appearance"] = self._appearance[self._chosen].to_dict()
        return saved

    def restore_calibration(self, saved) -> dict:
        """Use a calibration from ``saved_calibration`` (e.g. kept by the page);
        any calibration, validation or drift correction under way is dropped and
        the previous validation no longer applies. Returns ``{"px_per_deg"}``.

        Raises InputError if ``saved`` is malformed or the model was made by a
        gazeheat whose model differs (the message says to calibrate again)."""
        if not isinstance(saved, dict) or "model" not in saved:
            raise InputError("saved calibration must be an object with a model")
        model = GazeModel.from_dict(saved["model"])
        distance = _check.positive(saved.get("viewing_distance_cm"), "viewing_distance_cm")
        appearance = saved.get("appearance")
        if appearance is not None:
            appearance = AppearanceModel.from_dict(appearance)
        self._appearance = {} if appearance is None else {appearance.variant: appearance}
        self._appearance_errors = {}
        self._chosen = "landmark" if appearance is None else appearance.variant
        self._choice = None
        # The calibration frames are not kept: clicks cannot refit a restored model.
        self._trainer = self._last_trainer = None
        self._collector = None
        self._validating = None
        self._recentring = False
        self._validation = None
        self._model = model
        self._distance_cm = distance
        self._update_px_per_deg()
        self._reset_filter()
        return {"px_per_deg": self.px_per_deg}

    # --- outputs -------------------------------------------------------------------

    def heatmap_png(self, width_px=None, height_px=None, cell_px=HEATMAP_CELL_PX,
                    sigma_px=None) -> dict:
        """Heatmap of the recording over ``[0, width_px) x [0, height_px)`` CSS px of
        the viewport (default: the whole viewport); ``sigma_px`` None: the
        ``heatmap_sigma_deg`` setting at ``px_per_deg``.

        Returns ``HeatmapImage.to_dict()`` (``"png"`` bytes, ``"grid_w"``,
        ``"grid_h"``, ``"cell_px"``, ``"max_density"``, ``"n_points"``) plus
        ``"width_px"``, ``"height_px"`` and ``"legend"`` (``legend_stops`` of the
        colormap, for the page's colour bar). Raises InputError on bad sizes.
        """
        w = self.viewport_w_px if width_px is None else width_px
        h = self.viewport_h_px if height_px is None else height_px
        if sigma_px is None:
            sigma_px = heatmap_sigma_px(self._settings, self.px_per_deg)
        image = render_heatmap_png(zip(self._x, self._y, strict=True), w, h, cell_px, sigma_px)
        return {**image.to_dict(), "width_px": w, "height_px": h, "legend": legend_stops()}

    def fixations(self, since_ms=None) -> list:
        """Fixations (``Fixation.to_dict()``) in the recording from ``since_ms`` on
        (None: all), detected with the current settings at ``px_per_deg``."""
        start = 0 if since_ms is None else bisect_left(self._t, _check.finite(since_ms, "since_ms"))
        samples = [(t, None, None) if x != x else (t, x, y)
                   for t, x, y in zip(self._t[start:], self._x[start:], self._y[start:], strict=True)]
        found = detect_fixations(samples, px_per_deg=self.px_per_deg, **fixation_params(self._settings))
        return [f.to_dict() for f in found]

    def session(self, created_iso=None) -> dict:
        """The recording as a session dict (``session.make_session``), with the
        current landmark calibration model (or null), and, after a validation, its
        result (the chosen variant's) and ``"models"`` (``ModelChoice.to_dict()``).
        ``created_iso``: ISO 8601 time, None for now."""
        samples = [
            {"t_ms": t, "x": None, "y": None} if x != x else {"t_ms": t, "x": x, "y": y}
            for t, x, y in zip(self._t, self._x, self._y, strict=True)
        ]
        calibration = self._model.to_dict() if self._model is not None else None
        session = make_session(samples, self.viewport_w_px, self.viewport_h_px,
                               calibration, created_iso, __version__)
        # Added fields (version 1 stays: readers ignore what they do not know).
        session["fixations"] = self.fixations()
        session["settings"] = self.settings
        session["px_per_deg"] = self.px_per_deg
        if self._stimulus is not None:
            session["stimulus"] = dict(self._stimulus)
        if self._validation is not None:
            session["validation"] = self._validation
        if self._choice is not None:
            session["models"] = self._choice.to_dict()
        return session

    def _reset_filter(self) -> None:
        if self._filter is not None:
            self._filter.reset()

    def clear_recording(self) -> None:
        """Drop all recorded samples and the stimulus (calibration is kept); recording
        goes on over the page itself."""
        self._t = array("d")
        self._x = array("d")  # NaN marks a null sample
        self._y = array("d")
        self._stimulus = None
        self._stopped = False

    def start_recording(self, stimulus=None) -> None:
        """Start a new recording (the previous one is dropped) over ``stimulus``: a
        stimulus-geometry dict (``gazeheat.stimulus.StimulusGeometry.to_dict()``) or
        None for the page itself. Raises InputError on an invalid geometry."""
        geometry = None if stimulus is None else StimulusGeometry.from_dict(stimulus).to_dict()
        self.clear_recording()
        self._stimulus = geometry

    def stop_recording(self) -> dict:
        """Stop adding samples until the next ``start_recording``/``clear_recording``;
        return ``{"n_samples", "n_valid", "duration_ms", "n_fixations"}``."""
        self._stopped = True
        valid = sum(1 for x in self._x if x == x)
        duration = self._t[-1] - self._t[0] if len(self._t) > 1 else 0.0
        return {"n_samples": len(self._t), "n_valid": valid, "duration_ms": duration,
                "n_fixations": len(self.fixations())}

    def recording_tail(self, start) -> dict:
        """Samples recorded from index ``start`` on (0-based; what the page has not
        stored yet): ``{"start", "t_ms": [...], "x": [...], "y": [...]}`` with None for
        no gaze, and ``"total"``: how many samples the recording holds. A ``start``
        past the end gives empty lists (a new recording began: start again at 0).
        Raises InputError unless ``start`` is an int >= 0."""
        start = _check.non_negative_int(start, "start")
        t = self._t[start:].tolist()
        x = [None if v != v else v for v in self._x[start:]]
        y = [None if v != v else v for v in self._y[start:]]
        return {"start": start, "t_ms": t, "x": x, "y": y, "total": len(self._t)}

    @property
    def stimulus(self):
        """The current recording's stimulus geometry dict, or None."""
        return self._stimulus

    # --- self-calibration from clicks ---------------------------------------------

    def click(self, t_ms, x_px, y_px) -> dict:
        """The person clicked at ``(x_px, y_px)`` (viewport CSS px) at ``t_ms`` (the
        frames' clock): use it to train the appearance-based models if the
        ``learn_from_clicks`` setting is on and the click passes the guard (see the
        module docstring). Returns ``{"accepted": bool, "reason": None or why not
        ("off", "busy", "no_gaze", "far", "no_model"), "refitted": bool, "n_clicks"}``.
        Raises InputError on non-finite numbers."""
        t_ms = _check.finite(t_ms, "t_ms")
        click = (_check.finite(x_px, "x_px"), _check.finite(y_px, "y_px"))
        trainer = self._last_trainer
        last = self._last_frame
        reason = None
        if not self._learning_from_clicks():
            reason = "off"
        elif self._collector is not None or self._validating is not None:
            reason = "busy"
        elif (last is None or last[1] is None
              or abs(t_ms - last[0]) > C.SELF_CALIBRATION_MAX_AGE_MS):
            reason = "no_gaze"
        elif not accept_click(last[3], click, self.px_per_deg):
            reason = "far"
        elif trainer is None or not self._appearance:
            reason = "no_model"
        refitted = False
        if reason is None:
            trainer.add_click_features(click[0], click[1], last[1], last[2])
            self._clicks_unfitted += 1
            if trainer.n_clicks == 1 or self._clicks_unfitted >= C.SELF_CALIBRATION_REFIT_EVERY:
                self._refit_from_clicks(trainer)
                refitted = True
        return {"accepted": reason is None, "reason": reason, "refitted": refitted,
                "n_clicks": 0 if trainer is None else trainer.n_clicks}

    def _refit_from_clicks(self, trainer) -> None:
        for variant, model in list(self._appearance.items()):
            try:
                self._appearance[variant] = trainer.refit(model, self._model.excluded_targets)
            except CalibrationError:
                pass  # keep the model as it is; the clicks stay for the next refit
        self._clicks_unfitted = 0

    def _learning_from_clicks(self) -> bool:
        return self._settings["learn_from_clicks"] == "on"

    # --- private -------------------------------------------------------------------

    def _variants(self) -> tuple:
        """The fitted variants, in ``MODEL_VARIANTS`` order."""
        return tuple(v for v in C.MODEL_VARIANTS if v == "landmark" or v in self._appearance)

    def _predict(self, variant, features, feats) -> tuple:
        """Gaze (x_px, y_px) of ``variant``; the landmark model's for a frame without
        patch features (``feats`` None)."""
        if variant == "landmark" or feats is None:
            return self._model.predict(features)
        return self._appearance[variant].predict_features(feats, features.vector())

    @staticmethod
    def _features_of(eye_patches):
        return None if eye_patches is None else patch_features(eye_patches)

    def _recording(self) -> bool:
        return (self._model is not None and self._collector is None and self._validating is None
                and not self._stopped)

    def _check_time(self, t_ms) -> float:
        t_ms = _check.finite(t_ms, "t_ms")
        if self._recording() and self._t and t_ms < self._t[-1]:
            raise InputError(
                f"t_ms {t_ms} is earlier than the last recorded sample ({self._t[-1]}); "
                "call clear_recording() before restarting the clock"
            )
        return t_ms

    def _record(self, t_ms: float, x, y) -> None:
        if not self._recording():
            return
        self._t.append(t_ms)
        self._x.append(_NAN if x is None else x)
        self._y.append(_NAN if y is None else y)

