"""User settings: calibration, smoothing filter, fixation detection, heatmap kernel.

One table (``SETTINGS``) describes every setting: its key, label, kind, default,
range and unit. The page builds its settings panel from ``settings_schema()`` and
stores what the user chose; Python validates it with ``validate_settings`` and
builds the objects from it (``make_filter``, ``fixation_params``). Defaults come from
``gazeheat.constants``, so each default is stated once.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _check
from . import constants as C
from .errors import InputError
from .filters import KalmanFilter, OneEuroFilter

__all__ = [
    "Setting",
    "SETTINGS",
    "FILTERS",
    "FIXATION_METHODS",
    "SWITCH",
    "settings_schema",
    "default_settings",
    "validate_settings",
    "make_filter",
    "fixation_params",
    "heatmap_sigma_px",
]

#: Smoothing filters: key -> label. "none" passes the model's raw gaze through.
FILTERS = {"one_euro": "One Euro (adaptive)", "kalman": "Kalman (constant velocity)",
           "none": "None (raw gaze)"}
#: An on/off setting's choices: key -> label.
SWITCH = {"off": "Off", "on": "On"}
#: Fixation detection algorithms: key -> label.
FIXATION_METHODS = {"ivt": "I-VT (velocity threshold)", "idt": "I-DT (dispersion threshold)"}


@dataclass(frozen=True)
class Setting:
    """One user setting. ``kind`` is "choice" (``choices``: key -> label) or
    "number" (``min``..``max`` inclusive, ``step`` for the input, ``unit`` shown)."""

    key: str
    label: str
    kind: str
    default: object
    min: float | None = None
    max: float | None = None
    step: float | None = None
    unit: str = ""
    choices: dict | None = None
    help: str = ""

    def to_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "kind": self.kind,
                "default": self.default, "min": self.min, "max": self.max,
                "step": self.step, "unit": self.unit,
                "choices": None if self.choices is None else [[k, v] for k, v in self.choices.items()],
                "help": self.help}


SETTINGS = (
    Setting("calibration_points", "Calibration points", "choice", "9",
            choices={"9": "9 (3 × 3, about 25 s)", "13": "13 (3 × 3 + 4, about 35 s)",
                     "16": "16 (4 × 4, about 45 s)"},
            help="More points take longer but fit the gaze model better at the screen's edges."),
    Setting("filter", "Smoothing", "choice", "one_euro", choices=FILTERS,
            help="How the gaze dot is smoothed. One Euro is calm at rest and quick on jumps."),
    Setting("one_euro_min_cutoff_hz", "One Euro: minimum cutoff", "number",
            C.ONE_EURO_MIN_CUTOFF_HZ, 0.05, 10.0, 0.05, "Hz",
            help="Lower: steadier dot at rest, more lag on slow movements."),
    Setting("one_euro_beta", "One Euro: speed coefficient (beta)", "number",
            C.ONE_EURO_BETA, 0.0, 1.0, 0.001, "",
            help="Higher: less lag during fast movements, more jitter."),
    Setting("kalman_measurement_sigma_px", "Kalman: measurement noise", "number",
            C.KALMAN_MEASUREMENT_SIGMA_PX, 1.0, 400.0, 1.0, "px",
            help="Expected jitter of the raw gaze; higher: steadier, slower."),
    Setting("fixation_method", "Fixation algorithm", "choice", "ivt", choices=FIXATION_METHODS,
            help="I-VT splits at fast eye movements; I-DT groups samples that stay close."),
    Setting("ivt_velocity_threshold_deg_s", "I-VT: velocity threshold", "number",
            C.IVT_VELOCITY_THRESHOLD_DEG_S, 5.0, 500.0, 1.0, "°/s",
            help="Above this speed the eyes are moving (a saccade), below they fixate."),
    Setting("idt_dispersion_threshold_deg", "I-DT: dispersion threshold", "number",
            C.IDT_DISPERSION_THRESHOLD_DEG, 0.2, 20.0, 0.1, "°",
            help="Largest spread of gaze (x range + y range) within one fixation."),
    Setting("fixation_min_duration_ms", "Shortest fixation", "number",
            C.FIXATION_MIN_DURATION_MS, 30.0, 2000.0, 10.0, "ms",
            help="Shorter fixations are discarded (at 30 frames/s one frame is 33 ms)."),
    Setting("screen_px_per_cm", "Screen scale", "number", round(C.CSS_PX_PER_CM, 2), 10.0, 200.0,
            0.01, "px/cm",
            help="CSS pixels per centimetre of your screen, for degrees of visual angle. "
                 "'Match a card' measures it; 37.8 is the browser's nominal 96 px per inch."),
    Setting("heatmap_sigma_deg", "Heatmap kernel size (sigma)", "number",
            C.HEATMAP_SIGMA_DEG, 0.1, 10.0, 0.1, "°",
            help="Width of the Gaussian spread around each gaze sample, in degrees of visual angle."),
    # On/off as a two-way choice: the settings panel (js/settings_panel.js) draws
    # "choice" and "number" kinds only.
    Setting("learn_from_clicks", "Learn from clicks", "choice", "off", choices=SWITCH,
            help="While tracking, a click near the gaze dot (within "
                 f"{C.SELF_CALIBRATION_MAX_DEG:g}°) teaches the eye-image model where you "
                 "looked. Clicks far from the dot are ignored."),
    Setting("smooth_pursuit", "Smooth-pursuit pass", "choice", "on", choices=SWITCH,
            help="After the calibration dots, follow one dot with your eyes as it glides "
                 f"over the screen for {C.PURSUIT_DURATION_MS / 1000:g} s: many more "
                 "calibration samples, at more eye and head positions."),
)
_BY_KEY = {s.key: s for s in SETTINGS}


def settings_schema() -> list:
    """Every setting as a plain dict (see ``Setting.to_dict``), in display order."""
    return [s.to_dict() for s in SETTINGS]


def default_settings() -> dict:
    """key -> default value for every setting."""
    return {s.key: s.default for s in SETTINGS}


def validate_settings(values) -> dict:
    """Return a complete, valid settings dict from ``values`` (a dict).

    Missing keys get their defaults and unknown keys are dropped (settings saved by
    another version still load). Raises InputError naming the setting when a value
    has the wrong type or is out of range, or when ``values`` is not a dict.
    """
    if not isinstance(values, dict):
        raise InputError(f"settings must be an object, got {type(values).__name__}")
    result = default_settings()
    for key, value in values.items():
        setting = _BY_KEY.get(key)
        if setting is None:
            continue
        if setting.kind == "choice":
            if value not in setting.choices:
                raise InputError(f"{setting.label}: {value!r} is not one of "
                                 f"{', '.join(setting.choices)}")
            result[key] = value
        else:
            number = _check.finite(value, setting.label)
            if not setting.min <= number <= setting.max:
                raise InputError(f"{setting.label} must be between {setting.min:g} and "
                                 f"{setting.max:g} {setting.unit}, got {value!r}".rstrip())
            result[key] = number
    return result


def make_filter(settings: dict):
    """A fresh filter for validated ``settings``, or None for "none"."""
    name = settings["filter"]
    if name == "one_euro":
        return OneEuroFilter(min_cutoff=settings["one_euro_min_cutoff_hz"],
                             beta=settings["one_euro_beta"])
    if name == "kalman":
        return KalmanFilter(measurement_sigma_px=settings["kalman_measurement_sigma_px"])
    return None


def fixation_params(settings: dict) -> dict:
    """Keyword arguments for ``fixations.detect_fixations`` from validated ``settings``."""
    method = settings["fixation_method"]
    params = {"method": method, "min_duration_ms": settings["fixation_min_duration_ms"]}
    if method == "ivt":
        params["velocity_threshold_deg_s"] = settings["ivt_velocity_threshold_deg_s"]
    else:
        params["dispersion_threshold_deg"] = settings["idt_dispersion_threshold_deg"]
    return params


def heatmap_sigma_px(settings: dict, px_per_deg: float) -> float:
    """The heatmap kernel sigma in CSS px for ``px_per_deg`` CSS px per degree."""
    return settings["heatmap_sigma_deg"] * _check.positive(px_per_deg, "px_per_deg")
