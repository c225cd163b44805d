"""Constants of the Python runtime, each stated once, with its unit.

Other modules import these names; change a value here and nowhere else.
"""

from __future__ import annotations

__all__ = [
    "LANDMARK_COUNT",
    "LANDMARK_VALUES",
    "MATRIX_VALUES",
    "BLINK_OPENNESS",
    "MIN_EYE_WIDTH_PX",
    "IRIS_INSIDE_MARGIN",
    "CALIBRATION_SETTLE_MS",
    "MIN_CALIBRATION_TARGETS",
    "RIDGE_LAMBDA",
    "ONE_EURO_MIN_CUTOFF_HZ",
    "ONE_EURO_BETA",
    "ONE_EURO_D_CUTOFF_HZ",
    "FILTER_MAX_GAP_MS",
    "HEATMAP_CELL_PX",
    "HEATMAP_SIGMA_PX",
    "HEATMAP_BLUR_PASSES",
    "HEATMAP_MAX_CELLS",
    "HEATMAP_ALPHA_FLOOR",
    "HEATMAP_OPACITY",
    "PNG_MAX_PIXELS",
    "SESSION_FORMAT",
    "SESSION_VERSION",
    "MAX_SESSION_SAMPLES",
    "MAX_SESSION_BYTES",
]

# --- MediaPipe FaceLandmarker output ---------------------------------------------
#: Landmarks per face (468 mesh points + 10 iris points).
LANDMARK_COUNT = 478
#: Floats in one flat landmark array (x, y, z per landmark).
LANDMARK_VALUES = LANDMARK_COUNT * 3
#: Floats in the 4x4 facial transformation matrix (column-major).
MATRIX_VALUES = 16

# --- features ----------------------------------------------------------------------
#: Mean eye openness (lid distance / eye width, dimensionless) below which a frame is
#: treated as a blink. Open eyes measure ~0.25-0.35, closed ones ~0.05-0.10.
BLINK_OPENNESS = 0.12
#: Eye width (corner to corner) in image px below which features are unreliable.
MIN_EYE_WIDTH_PX = 4.0
#: Margin, in eye widths, around an eye's corner/lid box for ``irises_inside_eyes``.
IRIS_INSIDE_MARGIN = 0.1

# --- calibration -------------------------------------------------------------------
#: Samples earlier than this many ms after a target appeared are dropped (the eyes
#: are still travelling to it).
CALIBRATION_SETTLE_MS = 400.0
#: Fewest distinct targets with usable samples for a gaze model fit.
MIN_CALIBRATION_TARGETS = 5
#: Ridge strength per sample on standardised terms (dimensionless).
RIDGE_LAMBDA = 1e-3

# --- filters -------------------------------------------------------------------------
#: One Euro defaults for gaze in screen px sampled at ~30 Hz: 1 Hz minimum cutoff
#: removes fixation jitter; beta 0.01 (1/px) lifts the cutoff to ~20 Hz at saccade
#: speeds of ~2000 px/s so saccades are not smeared.
ONE_EURO_MIN_CUTOFF_HZ = 1.0
ONE_EURO_BETA = 0.01
ONE_EURO_D_CUTOFF_HZ = 1.0
#: A time gap longer than this (ms) restarts a filter.
FILTER_MAX_GAP_MS = 500.0

# --- heatmaps ------------------------------------------------------------------------
#: Default heatmap cell size in CSS px (the grid is upscaled by the page).
HEATMAP_CELL_PX = 8
#: Default Gaussian kernel sigma in CSS px (~1 degree of visual angle at 60 cm).
HEATMAP_SIGMA_PX = 40.0
#: Box blur passes approximating the Gaussian.
HEATMAP_BLUR_PASSES = 3
#: Largest heatmap grid, in cells (keeps one render well under a second in Pyodide).
HEATMAP_MAX_CELLS = 1 << 22
#: Density, as a fraction of the peak, at or below which a cell is fully transparent.
HEATMAP_ALPHA_FLOOR = 0.02
#: Opacity (0..1) of the densest cell.
HEATMAP_OPACITY = 0.8

# --- files ---------------------------------------------------------------------------
#: Largest PNG (width * height) that ``decode_png_rgba`` accepts.
PNG_MAX_PIXELS = 1 << 26
#: Session file identity.
SESSION_FORMAT = "gazeheat.session"
SESSION_VERSION = 1
#: Most samples in one session (~92 hours at 30 Hz).
MAX_SESSION_SAMPLES = 10_000_000
#: Largest session file in bytes that ``load_session`` reads (512 MiB).
MAX_SESSION_BYTES = 512 * 1024 * 1024
