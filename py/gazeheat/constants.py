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
    "HEATMAP_SIGMA_DEG",
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
#: Default heatmap kernel sigma in degrees of visual angle (a user setting):
#: about webcam gaze's error, so the map shows where people looked, not the noise.
HEATMAP_SIGMA_DEG = 1.0
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

# --- Kalman filter -------------------------------------------------------------------
# (Appended later: names are added to __all__ here, next to their values.)
__all__ += [
    "KALMAN_ACCEL_PSD_PX2_S3",
    "KALMAN_MEASUREMENT_SIGMA_PX",
    "KALMAN_JUMP_SIGMAS",
    "KALMAN_START_SPEED_SIGMA_PX_S",
]
#: Spectral density of the white-noise acceleration (px^2/s^3) of the Kalman filter.
#: With the measurement noise below, the steady-state filter at 30 Hz is a
#: second-order low-pass with natural frequency (q / (sigma^2 dt))^(1/4) ~ 8.7 rad/s
#: (~1.4 Hz, close to the One Euro 1 Hz minimum cutoff): fixation jitter is halved.
KALMAN_ACCEL_PSD_PX2_S3 = 3.0e5
#: Kalman measurement noise per axis (px): webcam gaze jitters by about 1 degree,
#: ~40 px at 60 cm (see DEFAULT_PX_PER_DEG).
KALMAN_MEASUREMENT_SIGMA_PX = 40.0
#: Innovation (2-D Mahalanobis distance, in standard deviations) beyond which the
#: Kalman filter restarts at the measurement. Pure Gaussian noise exceeds 4 in
#: exp(-4^2/2) ~ 0.03 % of frames (one spurious restart per ~100 s at 30 Hz, which
#: only passes one raw sample through), while a jump of more than ~200 px (~5 deg)
#: from a settled fixation always restarts.
KALMAN_JUMP_SIGMAS = 4.0
#: Velocity standard deviation (px/s) when the Kalman filter (re)starts. Broad,
#: because at 30 Hz the restart sample often lies mid-saccade: the next sample then
#: sets the velocity and the landing is reached within ~2 frames instead of being
#: smeared over ~8 (a prior of 0 px/s, i.e. "now fixating", does that).
KALMAN_START_SPEED_SIGMA_PX_S = 1000.0

# --- fixations -----------------------------------------------------------------------
# Reasons in full in the gazeheat.fixations docstring. Tobii's I-VT defaults (30
# deg/s, merge within 75 ms and 0.5 deg, discard under 60 ms) are made for infrared
# trackers at 60-1200 Hz; webcam gaze comes at ~30 Hz with ~1-2 deg of jitter.
__all__ += [
    "CSS_PX_PER_CM",
    "VIEWING_DISTANCE_CM",
    "DEFAULT_PX_PER_DEG",
    "IVT_VELOCITY_THRESHOLD_DEG_S",
    "IDT_DISPERSION_THRESHOLD_DEG",
    "FIXATION_MIN_DURATION_MS",
    "FIXATION_MAX_GAP_MS",
    "FIXATION_MERGE_MAX_GAP_MS",
    "FIXATION_MERGE_MAX_ANGLE_DEG",
]
#: CSS px per cm of screen when the browser maps 96 CSS px to an inch (no zoom).
CSS_PX_PER_CM = 96.0 / 2.54
#: Assumed eye-to-screen distance (cm) for a laptop user.
VIEWING_DISTANCE_CM = 60.0
#: CSS px per degree of visual angle at the screen centre for those two values:
#: px_per_cm * distance_cm * tan(1 deg) ~ 39.6 px/deg.
DEFAULT_PX_PER_DEG = CSS_PX_PER_CM * VIEWING_DISTANCE_CM * 0.017455064928217585
#: I-VT velocity threshold (deg/s), not Tobii's 30: at 30 Hz, 1 deg of jitter
#: between frames is ~30 deg/s by itself; on 3-sample-smoothed positions the noise
#: is ~10 deg/s per degree of jitter, while saccades over ~5 deg exceed 50 deg/s.
IVT_VELOCITY_THRESHOLD_DEG_S = 50.0
#: I-DT dispersion threshold (deg; (max-min) x + (max-min) y), not Salvucci &
#: Goldberg's ~1: 1 deg of jitter alone spreads 10-20 samples over 6-7.5 deg raw and
#: 3-4 deg after 3-sample smoothing.
IDT_DISPERSION_THRESHOLD_DEG = 4.0
#: Shortest fixation kept (ms), not Tobii's 60 (under two frames at 30 Hz): three
#: frames, nominally 100 ms, with room for frame-time jitter; two (~67 ms) are out.
FIXATION_MIN_DURATION_MS = 90.0
#: Longest gap between valid samples (ms) bridged for detection: one dropped frame
#: at 30 Hz (66.7 ms); a blink (100-400 ms) splits a fixation.
FIXATION_MAX_GAP_MS = 75.0
#: Adjacent fixations at most this far apart in time (ms; two frames at 30 Hz) ...
FIXATION_MERGE_MAX_GAP_MS = 75.0
#: ... and in angle (deg) are merged, not Tobii's 0.5: pieces of one fixation with
#: 1 deg of jitter have centroids up to ~1.5 deg apart, and neither detector
#: separates fixations that close anyway. Also the radius within which a fixation
#: takes back the edge samples that smoothing attributed to a saccade.
FIXATION_MERGE_MAX_ANGLE_DEG = 2.0

# --- heatmap studio --------------------------------------------------------------------
__all__ += [
    "HEATMAP_CELLS_PER_SIGMA",
    "HEATMAP_MIN_CELL_PX",
    "GAZEPLOT_MAX_RADIUS_DEG",
    "GAZEPLOT_MIN_RADIUS_FRACTION",
    "GAZEPLOT_FILL_OPACITY",
    "CSV_TIME_DECIMALS",
    "CSV_PX_DECIMALS",
    "CSV_DEG_DECIMALS",
]
#: Grid cells per kernel sigma in density_map: sqrt(20) ~ 4.47, so the kernel along
#: the stimulus's shorter-sigma axis is exactly three 9-cell boxes (variance
#: 3 * (9^2 - 1) / 12 = 20 cells^2 = sigma^2). Bilinear upscaling of a Gaussian
#: sampled every sigma / 4.47 errs by at most ~h^2/8 * max|f''| = 1/160 of its peak
#: (under 2 levels of 255). At 1 deg on a 1920x1080 screen: a 217x123 grid.
HEATMAP_CELLS_PER_SIGMA = 20.0 ** 0.5
#: Smallest heatmap cell (stimulus px): finer grids only cost time.
HEATMAP_MIN_CELL_PX = 2.0
#: Gaze plot circle radius (degrees of visual angle) of the longest fixation drawn.
GAZEPLOT_MAX_RADIUS_DEG = 1.5
#: Smallest gaze plot circle, as a fraction of the largest (keeps numbers legible).
GAZEPLOT_MIN_RADIUS_FRACTION = 0.3
#: Opacity (0..1) of the gaze plot's circle fill: the stimulus shows through.
GAZEPLOT_FILL_OPACITY = 0.6
#: Decimals in CSV exports: times in ms (1 us), positions in px, angles in degrees.
CSV_TIME_DECIMALS = 3
CSV_PX_DECIMALS = 2
CSV_DEG_DECIMALS = 3

# --- accurate gaze: features and calibration ---------------------------------------------
__all__ += [
    "IRIS_DIAMETER_MM",
    "EYE_MIDPOINT_SEPARATION_MM",
    "CAMERA_HFOV_DEG",
    "CSS_PX_PER_MM",
    "CALIBRATION_OPENNESS_FRACTION",
    "CALIBRATION_OUTLIER_MADS",
    "MIN_TARGET_SAMPLES",
    "MIN_TARGET_SAMPLES_FRACTION",
    "BAD_TARGET_LOTO_SDS",
    "BAD_TARGET_MIN_LOTO_PX",
    "DRIFT_MIN_SCALE_SPREAD_PX",
    "DRIFT_SCALE_LIMITS",
    "PREDICT_MAX_Z",
    "PREDICT_MIN_OPENNESS_FRACTION",
]
#: Visible iris diameter of adults (mm): ~11.7 on average, with a spread of only a
#: few tenths of a mm between people, which makes it a ruler in the picture.
IRIS_DIAMETER_MM = 11.7
#: Distance (mm) between the midpoints of the two eyes' corner pairs: the mean of the
#: adult inner (~32 mm) and outer (~88 mm) canthal widths. Scale at the face for
#: head-position terms.
EYE_MIDPOINT_SEPARATION_MM = 60.0
#: Assumed horizontal field of view (deg) of a laptop webcam when the real one is not
#: known: built-in cameras mostly have 55-65 deg (about 70-78 deg diagonally).
CAMERA_HFOV_DEG = 60.0
#: CSS px per mm of screen at 96 CSS px per inch (see CSS_PX_PER_CM).
CSS_PX_PER_MM = 96.0 / 25.4
#: A calibration sample whose openness is below this fraction of its target's median
#: is dropped: lids half way through a blink move the iris and lid landmarks.
CALIBRATION_OPENNESS_FRACTION = 0.85
#: Per target, samples farther than this many robust standard deviations (1.4826 x
#: the median absolute deviation) from the median in u, v or upper_lid are dropped:
#: a glance away or a landmark glitch, not the fixation on the target.
CALIBRATION_OUTLIER_MADS = 4.0
#: A target with fewer kept samples than this (about 0.2 s at 30 Hz) is not used and
#: reported as bad ...
MIN_TARGET_SAMPLES = 6
#: ... as is one with fewer than this fraction of the median target's samples.
MIN_TARGET_SAMPLES_FRACTION = 0.3
#: A target is bad (reported, and left out of the fit when enough remain) when the
#: model fitted without it misses it by more than this many robust standard
#: deviations of the targets' misses (each miss first divided by its expected spread,
#: which grows where the refit extrapolates, as at corners) ...
BAD_TARGET_LOTO_SDS = 3.5
#: ... and by more than this many CSS px (~7 deg at 60 cm). Head movement alone makes
#: single targets miss by up to 5-6 deg in the benchmark recordings, so only a gross
#: miss (looking elsewhere, a wrong face) is called bad.
BAD_TARGET_MIN_LOTO_PX = 280.0
#: Drift correction fits a scale per axis only when the targets given span at least
#: this many CSS px on that axis; else the axis gets an offset only.
DRIFT_MIN_SCALE_SPREAD_PX = 100.0
#: Drift-correction scales are clamped to this range (a recentring, not a recalibration).
DRIFT_SCALE_LIMITS = (0.67, 1.5)
#: Standardised eye inputs are clamped to +- this many calibration standard deviations
#: when predicting. The 9 targets span ~+-1.2 SD, so 3 SD reaches well past the screen's
#: edges while a half-closed lid (often 6-10 SD) cannot throw the gaze across the room.
PREDICT_MAX_Z = 3.0
#: ``GazeModel.usable`` rejects frames whose openness is below this fraction of the
#: calibration's mean: blink edges (0.6-0.75 of it) go, while looking at the bottom of
#: the screen (the upper lid follows the eye down: ~0.9 of it) stays.
PREDICT_MIN_OPENNESS_FRACTION = 0.8

# --- multi-participant sessions and areas of interest ------------------------------------
__all__ += [
    "SESSION_MAX_PARTICIPANT_CHARS",
    "SESSION_MAX_RECORDING_ID_CHARS",
    "SESSION_MAX_TEXT_CHARS",
    "SESSION_MAX_NUMBER_DIGITS",
    "JSON_MAX_DEPTH",
    "SESSION_MAX_IMAGE_BYTES",
    "SESSION_IMAGE_MEDIA_TYPES",
    "AOI_FORMAT",
    "AOI_VERSION",
    "AOI_MAX_NAME_CHARS",
    "AOI_MAX_COUNT",
    "AOI_MAX_VERTICES",
    "AOI_MAX_FILE_BYTES",
    "CSV_PCT_DECIMALS",
]
#: Longest participant label in a session (characters).
SESSION_MAX_PARTICIPANT_CHARS = 200
#: Longest recording id in a session (characters): the page's stable storage key.
SESSION_MAX_RECORDING_ID_CHARS = 100
#: Longest other text in a session (characters): created, app_version, the stimulus
#: name, the validation grade. Far above any real value; it keeps a hostile file from
#: carrying megabytes in a label that ends up in tables and messages.
SESSION_MAX_TEXT_CHARS = 1000
#: Most digits in a JSON integer of a session: larger integers exceed a float's range
#: (~1.8e308) anyway, and Python refuses to convert ones over 4300 digits.
SESSION_MAX_NUMBER_DIGITS = 309
#: Deepest nesting of arrays and objects accepted in a session or AOI file. Real files
#: nest a few levels; in Pyodide, JSON nested ~20,000 deep overflows the WebAssembly
#: stack and kills the worker before Python can raise RecursionError.
JSON_MAX_DEPTH = 100
#: Largest embedded stimulus picture (bytes, decoded): a 4K photo as PNG is ~10-25 MB.
SESSION_MAX_IMAGE_BYTES = 32 * 1024 * 1024
#: Media types of an embedded stimulus picture (what browsers decode everywhere).
SESSION_IMAGE_MEDIA_TYPES = ("image/png", "image/jpeg", "image/webp")
#: The AOI definition file: format name and version (docs/aoi.md).
AOI_FORMAT = "gazeheat.aois"
AOI_VERSION = 1
#: Longest AOI name (characters).
AOI_MAX_NAME_CHARS = 100
#: Most AOIs on one stimulus.
AOI_MAX_COUNT = 200
#: Most vertices of one polygon AOI.
AOI_MAX_VERTICES = 1000
#: Largest AOI definition file (bytes or characters): the most AOIs with the most
#: vertices each take ~10 MB of JSON.
AOI_MAX_FILE_BYTES = 16 * 1024 * 1024
#: Decimals of percentages in CSV exports (dwell share of fixation time).
CSV_PCT_DECIMALS = 2

# --- appearance model: eye patches (issue #7) -------------------------------------------
# Mirrored in js/constants.js (EYE_PATCH); tests/browser/test_eye_crop.py checks they agree.
__all__ += [
    "EYE_PATCH_WIDTH_PX",
    "EYE_PATCH_HEIGHT_PX",
    "EYE_PATCH_CORNER_A_PX",
    "EYE_PATCH_CORNER_B_PX",
    "EYE_PATCH_OVERSAMPLE",
    "EYE_PATCH_RIGHT_CORNERS",
    "EYE_PATCH_LEFT_CORNERS",
    "EYE_PATCH_MIN_STD_GREY",
    "EYE_PATCH_VALUES",
    "APPEARANCE_DCT_COLS",
    "APPEARANCE_DCT_ROWS",
    "APPEARANCE_LAMBDAS",
    "APPEARANCE_SCALE_FLOOR",
    "CLICK_SAMPLE_WEIGHT",
    "SELF_CALIBRATION_MAX_DEG",
    "MODEL_VARIANTS",
    "MODEL_CHOICE_TIE_DEG",
]
#: Size of one eye patch (px of the patch): small and fixed, as in WebGazer's eye images.
EYE_PATCH_WIDTH_PX = 20
EYE_PATCH_HEIGHT_PX = 12
#: Where an eye's corners A and B (see ``features``: A is the image-left corner) land in
#: the patch, in patch px with (0, 0) the patch's top-left pixel edge (canvas
#: coordinates): the corner line runs horizontally through the patch's middle, so head
#: roll, distance and position in the picture do not change the crop. The eye spans
#: 16 of the 20 px; 12 px tall is 0.75 eye widths, room for the lids (an open eye is
#: ~0.3 eye widths tall).
EYE_PATCH_CORNER_A_PX = (2.0, 6.0)
EYE_PATCH_CORNER_B_PX = (18.0, 6.0)
#: The page draws each eye at this many times the patch size and averages blocks of
#: OVERSAMPLE x OVERSAMPLE px: canvas drawing samples bilinearly, which aliases when
#: a large eye is shrunk to 16 px; block means do not.
EYE_PATCH_OVERSAMPLE = 4
#: Landmarks (corner A, corner B) of the subject's right and left eye; the patch
#: array holds the right eye first.
EYE_PATCH_RIGHT_CORNERS = (33, 133)
EYE_PATCH_LEFT_CORNERS = (362, 263)
#: Each eye patch is normalised to zero mean and unit standard deviation; the standard
#: deviation (grey levels, 0..255) is floored at this value so a flat patch (a
#: covered or over-exposed eye) stays flat instead of amplifying camera noise.
EYE_PATCH_MIN_STD_GREY = 2.0
#: Values in one frame's patch array: both eyes, row-major, right eye first.
EYE_PATCH_VALUES = 2 * EYE_PATCH_WIDTH_PX * EYE_PATCH_HEIGHT_PX
#: Appearance features: the lowest APPEARANCE_DCT_COLS x APPEARANCE_DCT_ROWS
#: orthonormal 2-D DCT-II coefficients of each normalised eye patch, without the
#: constant one (zero after normalisation): 2 x 23 = 46 regression columns instead of
#: 480 pixels. The iris moves a few px across the patch as the gaze crosses the
#: screen, which the lowest spatial frequencies (periods down to ~7 x 6 px) carry;
#: the rest is mostly noise and texture, and fewer columns keep the fit fast.
APPEARANCE_DCT_COLS = 6
APPEARANCE_DCT_ROWS = 4
#: Ridge strengths (per unit of target weight, on standardised columns) tried by the
#: appearance model's leave-one-target-out cross-validation. Wider and stronger than
#: CALIBRATION_LAMBDAS: 46 image columns against 9 targets need more shrinkage.
APPEARANCE_LAMBDAS = (1e-3, 1e-2, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
#: Smallest standard deviation used to standardise an appearance column (the unit of
#: a DCT coefficient of a unit-variance patch): a column that did not vary during
#: calibration is then penalised hard instead of divided by zero.
APPEARANCE_SCALE_FLOOR = 1e-3
#: Self-calibration: one accepted click weighs this fraction of one calibration target
#: (each target weighs 1 however many frames it kept), so a few clicks nudge the model
#: and a hundred weigh as much as ~5 targets.
CLICK_SAMPLE_WEIGHT = 0.05
#: Self-calibration guard: a click is used only when the current gaze is within this
#: many degrees of it (a person usually looks at what they click; webcam gaze errs by
#: ~2-4 deg, and a click far from the gaze is one made without looking).
SELF_CALIBRATION_MAX_DEG = 5.0
#: Gaze model variants, simplest first (the order breaks ties in ``choose_model``).
MODEL_VARIANTS = ("landmark", "appearance", "combined")
#: Validation errors within this many degrees of the best count as a tie, which the
#: simplest variant wins: a validation of a few targets cannot resolve less.
MODEL_CHOICE_TIE_DEG = 0.05

# --- accuracy under head motion: the geometric head model (issue #3) ----------------------
__all__ += [
    "CAMERA_ABOVE_VIEWPORT_MM",
    "HEAD_GAIN_LIMITS",
    "EYE_CORNER_PARALLAX",
    "GAZE_MODEL_LAMBDAS",
]
#: Assumed height (mm) of the webcam above the viewport's top edge, centred over it: a
#: laptop camera sits ~5-10 mm above the panel. Only where the geometric head model
#: puts the point straight ahead of the eyes depends on it, and that only a little.
CAMERA_ABOVE_VIEWPORT_MM = 10.0
#: The head-rotation terms the calibration fits stay within these multiples of the
#: geometric ones (MediaPipe's face pose reads only part of a turn: ~0.5-0.65 of yaw and
#: pitch on our recordings, so the right terms are up to ~2x the geometric ones).
HEAD_GAIN_LIMITS = (0.0, 3.0)

# --- appearance model stage 2: self-calibration from clicks (issue #7) -------------------
__all__ += [
    "SELF_CALIBRATION_MAX_AGE_MS",
    "SELF_CALIBRATION_REFIT_EVERY",
]
#: A click trains the model only with a tracked frame at most this old (ms): the frame is
#: taken as what the person looked at when clicking (two frames at 30 frames/s, plus the
#: worker's lag behind the page).
SELF_CALIBRATION_MAX_AGE_MS = 150.0
#: Accepted clicks between two refits of the appearance-based models (the first accepted
#: click refits at once): one click weighs CLICK_SAMPLE_WEIGHT of a target, so a refit per
#: click would change little for its cost (a solve per axis, a frame or two of worker time).
SELF_CALIBRATION_REFIT_EVERY = 3
#: How much more than the eye's own counter-turn the eye features (iris against the eye
#: corners) see of a head turn, or of a head moving across the camera's view
#: (dimensionless): the corners lie behind the iris, so the iris shifts against them
#: by (their depth behind the iris plane) / (the iris's ~10.5 mm turning radius) of the
#: turn. Real canthi lie ~2-12 mm behind the iris plane; the benchmark's head ~3 mm
#: (0.26) plus FaceLandmarker's own share. The geometric head model's terms are
#: 1 + this times the plain geometry; 0.5 did best on the benchmark (0.25-1 all help).
EYE_CORNER_PARALLAX = 0.5
#: Ridge strengths ``GazeModel.fit`` tries by leave-one-target-out (per unit of target
#: weight, on standardised terms). The main eye terms are not penalised any more, so
#: the penalty only tames the correction terms; below 0.03 the cross-validation, noisy
#: with 9 targets, sometimes picked a weak penalty that let v, upper_lid and openness
#: (nearly collinear) fight each other (up to 1.4 deg worse on a benchmark recording).
GAZE_MODEL_LAMBDAS = (0.03, 0.1, 0.3, 1.0)

# --- the combined appearance model: blending its parts (issue #7) -----------------------
__all__ += [
    "APPEARANCE_BLEND_STEP",
]
#: The combined model's per-axis prediction is a convex blend of two ridge fits on the
#: same calibration frames: the joint one on [eye-patch features | landmark terms] and
#: the eye-patch features alone (dimensionless weight of the joint fit on a grid of this
#: step, chosen by leave-one-target-out like the ridge strengths). The joint fit alone
#: lost to the eye patches alone under large head motion (by 0.2-0.4 deg on the
#: benchmark); coarse steps keep the choice stable with 9 targets. Adding the landmark
#: terms alone as a third part made the benchmark worse.
APPEARANCE_BLEND_STEP = 0.25

# --- the smooth-pursuit calibration pass (issue #3) --------------------------------------
# The page gets these numbers from ``GazeTracker.pursuit_plan`` (the worker's
# ``pursuitPlan`` message); it mirrors none of them.
__all__ += [
    "PURSUIT_FIRST_INDEX",
    "PURSUIT_DURATION_MS",
    "PURSUIT_STILL_MS",
    "PURSUIT_SETTLE_MS",
    "PURSUIT_LAG_MS",
    "PURSUIT_SEGMENT_MS",
    "PURSUIT_CV_SEGMENTS",
    "PURSUIT_POINT_MS",
    "PURSUIT_MISS_DOT_MEDIANS",
    "PURSUIT_MISS_FLOOR_PX",
    "PURSUIT_MIN_FOLLOW_R",
]
#: Calibration target indices at or above this are pursuit segments, not dots: no
#: per-target settling in the collector, never listed in ``bad_targets`` (the page
#: does not show a moving dot again). Far above any dot pattern's count (16).
PURSUIT_FIRST_INDEX = 1000
#: How long the pursuit dot moves (ms): one closed circuit of its path. At 1920 x 1080
#: the dot then moves at up to ~600 CSS px/s (~15 deg/s at 60 cm), well within smooth
#: pursuit's range (eyes follow targets up to ~30 deg/s without catch-up saccades).
PURSUIT_DURATION_MS = 12000.0
#: The dot waits still at its start point for this long (ms) before it moves, so the
#: eyes are on it when the motion starts.
PURSUIT_STILL_MS = 1000.0
#: Samples in the first this many ms of motion are dropped: pursuit starts ~100-200 ms
#: after the target does and lags until a catch-up saccade brings the eyes onto it.
PURSUIT_SETTLE_MS = 500.0
#: Once they follow it, the eyes trail a moving dot by about this much (ms; steady-state
#: smooth-pursuit lag is ~50-100 ms for slow, predictable targets): a pursuit frame's
#: target is where the dot was this long before the frame.
PURSUIT_LAG_MS = 80.0
#: Each this many ms of motion is one pseudo-target (a "segment") for the per-target
#: outlier cleaning and leave-one-target-out: the dot moves at most ~300 px in it, so
#: a segment's samples spread like a dot target's, and one segment weighs like a dot.
PURSUIT_SEGMENT_MS = 500.0
#: The appearance models' cross-validation leaves out this many consecutive pursuit
#: segments together (2 s of the path): neighbours see nearly the same eyes and head.
PURSUIT_CV_SEGMENTS = 4
#: Spacing (ms) of the path points handed to the page (it interpolates linearly
#: between them: at 50 ms the chord of the path errs by under 1 px).
PURSUIT_POINT_MS = 50.0
#: A pursuit segment is left out of the fit when the model fitted to the calibration dots
#: alone puts its mean gaze farther from the dot's mean position than this many times the
#: dots' median leave-one-target-out miss (~3.5 standard deviations of a 2-D Gaussian
#: miss, whose median is 1.18 of them, as BAD_TARGET_LOTO_SDS for dots) ...
PURSUIT_MISS_DOT_MEDIANS = 3.0
#: ... and than this many CSS px (~2 deg at 60 cm; the eyes trail a dot moving at up to
#: ~15 deg/s by ~0.1 s, ~1.5 deg, without anything being wrong). The eyes did not
#: follow the dot (they stayed put, or looked elsewhere): with most segments off, the
#: LOTO rule could not tell, and such segments would outweigh the dots.
PURSUIT_MISS_FLOOR_PX = 80.0
#: The whole pass is left out (every segment dropped, before the per-segment rule
#: above) when the eyes did not follow the dot: per screen axis the Pearson correlation,
#: across segments, between the mean gaze by the dots' model and the dot's mean position,
#: the smaller of the two, is below this. Model-free, so it holds when the dots fit badly
#: (large LOTO misses make the per-segment rule lenient): a dots' model off by a scale or
#: an offset leaves r near 1, eyes that stayed put or wandered give r near 0. Measured:
#: 0.91-0.97 on the 9 synthetic benchmark recordings (small/medium/large head motion x 3
#: seeds; r_x 0.975-0.992, r_y 0.910-0.965), -0.02 for the page's demo face (a still
#: photo). Over 23 segments, gaze that does not follow reaches 0.6 by chance with
#: probability ~0.01 when it drifts slowly (random walk, slow sway), < 1e-4 when its
#: segment means are independent. Between the two, with room for real faces' noisier
#: vertical gaze.
PURSUIT_MIN_FOLLOW_R = 0.6
