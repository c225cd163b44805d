"""Re-analysis of a recording: every frame's face measurement in, a session out.

``Replay`` collects one measurement per video frame (features of the face, or the
reason there is none), then ``finish`` calibrates on the recording's calibration
targets, validates on its validation targets, and predicts (and smooths) gaze for every
frame of the whole video. Because all frames are known before fitting, frames before
and during calibration get gaze too. The page's replay mode feeds it frame by frame
(through gazeheat._worker); tests feed it directly.

With eye patches in the frames, the model variants are fitted and chosen as the live
tracker does (``gazeheat.tracker``): the landmark ``GazeModel`` and the
appearance-based models (``gazeheat.appearance``) are all calibrated, each is
validated on the validation targets, ``choose_model`` picks one, and that one
predicts every frame (the landmark model for frames without patches). The session
records the choice in ``models`` (absent without validation targets: nothing to
choose by, the landmark model predicts).

Smooth pursuit: frames inside a ``"pursuit"`` target's interval are calibration samples
whose target is the path's position at the frame. Segments are numbered
``PURSUIT_FIRST_INDEX`` + k over all pursuit targets in time order, a new one every
``PURSUIT_SEGMENT_MS`` from each target's ``start_ms`` (as the page numbers them live);
calibration dots keep their position in the recording's target list as their index.
"""

from __future__ import annotations

from . import __version__, _check
from . import constants as C
from .appearance import (APPEARANCE_VARIANTS, AppearanceTrainer, EyePatches, choose_model,
                         fit_variants, patch_features)
from .calibration import CalibrationCollector, GazeModel
from .errors import CalibrationError, InputError
from .features import extract_features
from .fixations import detect_fixations
from .recording import Recording
from .session import make_session
from .settings import fixation_params, make_filter, validate_settings
from .validation import validate_gaze

__all__ = ["Replay"]


class Replay:
    """Frames of one recording, in time order (``t_ms`` after the first video frame)."""

    def __init__(self, recording: Recording, settings=None, px_per_deg: float = C.DEFAULT_PX_PER_DEG):
        """Raises InputError on bad settings or px_per_deg."""
        self.recording = recording
        self.settings = validate_settings(settings or {})
        self.px_per_deg = _check.positive(px_per_deg, "px_per_deg")
        # (t_ms, Features or None, reason or None, patch_features or None)
        self._frames = []

    def add_frame(self, t_ms, landmarks, matrix, image_w_px, image_h_px, eye_patches=None) -> dict:
        """Measure one frame with a face; returns ``{"t_ms", "valid", "reason"}``.
        ``eye_patches``: the frame's ``EyePatches`` (or its ``EYE_PATCH_VALUES``
        numbers), None when the page could not crop them. Raises InputError on bad
        input or time going backwards."""
        t_ms = self._next_time(t_ms)
        features = extract_features(landmarks, matrix, image_w_px, image_h_px)
        feats = None
        if eye_patches is not None:
            if not isinstance(eye_patches, EyePatches):
                eye_patches = EyePatches(eye_patches)
            feats = patch_features(eye_patches)  # reduced now: 480 values -> 46
        self._frames.append((t_ms, features, None if features.valid else features.reason, feats))
        return {"t_ms": t_ms, "valid": features.valid, "reason": features.reason}

    def add_no_face(self, t_ms, reason="noface") -> None:
        """A frame without a usable face (no face, several faces, too dark, ...)."""
        self._frames.append((self._next_time(t_ms), None, str(reason), None))

    @property
    def n_frames(self) -> int:
        return len(self._frames)

    def finish(self, created_iso=None) -> dict:
        """Calibrate, validate and predict; return the session (format v1 with the added
        ``validation``, ``models``, ``calibration_summary``, ``fixations``, ``settings``,
        ``source``). ``calibration_summary`` is the landmark model's summary plus
        ``"appearance_models"`` (as ``GazeTracker.finish_calibration``).

        Raises CalibrationError when the calibration targets have too few usable frames.
        """
        collector, trainer = self._collectors()
        model = GazeModel.fit(collector, screen_px_per_cm=self.settings["screen_px_per_cm"])
        appearance, errors = fit_variants(trainer, model)
        raw = {"landmark": [model.predict(f) if f is not None and model.usable(f) else None
                            for _, f, _, _ in self._frames]}
        for variant, am in appearance.items():
            raw[variant] = [None if p is None else am.predict_features(feats, f.vector())
                            if feats is not None else p
                            for (_, f, _, feats), p in zip(self._frames, raw["landmark"], strict=True)]
        validations = {v: self._validation(r, strict=v == "landmark") for v, r in raw.items()}
        choice = None
        chosen = "landmark"
        if validations["landmark"] is not None:
            choice = choose_model({v: None if r is None else r["mean_error_deg"] for v, r in validations.items()},
                                  {v: None if r is None else r["accuracy_deg"] for v, r in validations.items()})
            chosen = choice.chosen
        samples = self._smoothed(raw[chosen])
        session = make_session(samples, self.recording.viewport_w_px, self.recording.viewport_h_px,
                               model.to_dict(), created_iso, __version__)
        session["calibration_summary"] = {**model.summary(), "appearance_models": {
            v: appearance[v].summary() if v in appearance else {"error": errors[v]}
            for v in APPEARANCE_VARIANTS}}
        session["validation"] = validations[chosen]
        if choice is not None:
            session["models"] = choice.to_dict()
        session["fixations"] = [f.to_dict() for f in detect_fixations(
            [(s["t_ms"], s["x"], s["y"]) for s in samples], px_per_deg=self.px_per_deg,
            **fixation_params(self.settings))]
        session["settings"] = dict(self.settings)
        session["px_per_deg"] = self.px_per_deg
        session["source"] = {"kind": "replay", "video": self.recording.video,
                             "frames": len(self._frames)}
        return session

    # --- private -----------------------------------------------------------------------

    def _next_time(self, t_ms) -> float:
        t_ms = _check.finite(t_ms, "t_ms")
        if self._frames and t_ms < self._frames[-1][0]:
            raise InputError(f"t_ms {t_ms} is earlier than the previous frame "
                                    f"({self._frames[-1][0]})")
        return t_ms

    def _collectors(self) -> tuple:
        """The calibration frames, dots and pursuit segments numbered as
        ``Recording.calibration_target_at``, in a ``CalibrationCollector`` and an
        ``AppearanceTrainer`` (None when no frame has eye patches). Raises FormatError
        as that does."""
        collector = CalibrationCollector()
        trainer = AppearanceTrainer() if any(f[3] is not None for f in self._frames) else None
        for number, start_ms in self.recording.calibration_dots():
            collector.start_target(number, start_ms)
            if trainer is not None:
                trainer.start_target(number, start_ms)
        for t_ms, features, _, feats in self._frames:
            hit = self.recording.calibration_target_at(t_ms) if features is not None else None
            if hit is None:
                continue
            collector.add(t_ms, *hit, features)
            if trainer is not None:
                trainer.add_features(t_ms, *hit, feats, features)
        return collector, trainer

    def _smoothed(self, raw) -> list:
        """One sample dict per frame; the filter restarts after every frame without gaze."""
        filt = make_filter(self.settings)
        samples = []
        for (t_ms, _, _, _), point in zip(self._frames, raw, strict=True):
            if point is None:
                if filt is not None:
                    filt.reset()
                samples.append({"t_ms": t_ms, "x": None, "y": None})
                continue
            x, y = point if filt is None else filt.update(t_ms, *point)
            samples.append({"t_ms": t_ms, "x": x, "y": y})
        return samples

    def _validation(self, raw, strict=True):
        """Validation on the unsmoothed predictions (a filter would hide the jitter that
        precision measures), or None when the recording has no validation targets.
        Raises CalibrationError when no validation target has gaze, unless not
        ``strict`` (then None)."""
        targets = self.recording.of_phase("validation")
        if not targets:
            return None
        per_target = []
        for index, target in targets:
            settled = target.start_ms + C.CALIBRATION_SETTLE_MS
            points = [(t, p[0], p[1]) for (t, _, _, _), p in zip(self._frames, raw, strict=True)
                      if p is not None and settled <= t < target.end_ms]
            per_target.append((index, target.x, target.y, points))
        try:
            return validate_gaze(per_target, self.px_per_deg).to_dict()
        except CalibrationError:
            if strict:
                raise
            return None

