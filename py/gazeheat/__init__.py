"""gazeheat: the pure-Python core of a browser webcam eye tracker.

Standard library only; runs on CPython 3.11+ and in Pyodide. Modules:
``features`` (face landmarks -> eye features), ``calibration`` (targets, the
smooth-pursuit path, gaze model), ``filters`` (One Euro, Kalman), ``fixations`` (I-VT, I-DT), ``stimulus``
(what was shown where), ``heatmap``, ``colormaps``, ``gazeplot`` and ``png``
(rendering), ``export`` (CSV), ``session`` (session files), ``aoi`` (areas of
interest and their metrics), ``aggregate`` (heatmaps over several participants),
``tracker`` (the stateful tracker the worker drives), ``cli`` (``python3 -m
gazeheat``), ``errors`` and ``constants``.
"""

__version__ = "0.1.0"

# Imported after __version__ is set: tracker and _worker read it.
from .calibration import (  # noqa: E402
    CalibrationCollector,
    GazeModel,
    Target,
    calibration_pattern,
    grid_targets,
    pursuit_path,
    ridge_solve,
)
from .errors import (  # noqa: E402
    CalibrationError,
    FormatError,
    GazeheatError,
    InputError,
    error_to_dict,
)
from .features import (  # noqa: E402
    EyeFeatures,
    Features,
    HeadPose,
    extract_features,
    irises_inside_eyes,
    px_per_deg,
    viewing_distance_cm,
)
from .filters import KalmanFilter, OneEuroFilter, filter_series  # noqa: E402
from .fixations import DEFAULT_PX_PER_DEG, Fixation, detect_fixations, idt, ivt  # noqa: E402
from .colormaps import COLORMAPS  # noqa: E402
from .export import (  # noqa: E402
    fixations_csv,
    parse_fixations_csv,
    parse_samples_csv,
    samples_csv,
)
from .gazeplot import render_gazeplot  # noqa: E402
from .heatmap import (  # noqa: E402
    DensityMap,
    Grid,
    HeatmapImage,
    HeatmapStyle,
    Legend,
    WeightedPoints,
    colorize,
    density_grid,
    density_map,
    heatmap_legend,
    legend_stops,
    render_heatmap_coarse,
    render_heatmap_only,
    render_heatmap_overlay,
    render_heatmap_png,
)
from .png import decode_png_rgba, encode_png  # noqa: E402
from .session import (  # noqa: E402
    GazeSample,
    dump_session,
    load_session,
    make_session,
    make_stimulus_image,
    session_fixations,
    session_px_per_deg,
    session_settings,
    stimulus_image_bytes,
    stimulus_key,
    validate_session,
)
from .aoi import (  # noqa: E402
    Aoi,
    AoiMetrics,
    aoi_csv,
    aoi_metrics,
    aoi_table,
    dump_aois,
    load_aois,
    session_aoi_metrics,
)
from .aggregate import (  # noqa: E402
    AggregateMap,
    Exclusion,
    aggregate_density,
    compare_densities,
    render_density,
    select_sessions,
    session_label,
    shared_scale,
)
from .stimulus import StimulusGeometry  # noqa: E402
from .tracker import GazeTracker  # noqa: E402

__all__ = [
    "__version__",
    "GazeheatError",
    "InputError",
    "CalibrationError",
    "FormatError",
    "error_to_dict",
    "EyeFeatures",
    "HeadPose",
    "Features",
    "extract_features",
    "irises_inside_eyes",
    "viewing_distance_cm",
    "px_per_deg",
    "Target",
    "CalibrationCollector",
    "GazeModel",
    "calibration_pattern",
    "grid_targets",
    "pursuit_path",
    "ridge_solve",
    "OneEuroFilter",
    "KalmanFilter",
    "filter_series",
    "Fixation",
    "DEFAULT_PX_PER_DEG",
    "detect_fixations",
    "ivt",
    "idt",
    "encode_png",
    "decode_png_rgba",
    "Grid",
    "HeatmapImage",
    "density_grid",
    "colorize",
    "legend_stops",
    "render_heatmap_png",
    "COLORMAPS",
    "StimulusGeometry",
    "WeightedPoints",
    "DensityMap",
    "HeatmapStyle",
    "Legend",
    "density_map",
    "heatmap_legend",
    "render_heatmap_coarse",
    "render_heatmap_only",
    "render_heatmap_overlay",
    "render_gazeplot",
    "samples_csv",
    "fixations_csv",
    "parse_samples_csv",
    "parse_fixations_csv",
    "GazeSample",
    "make_session",
    "validate_session",
    "load_session",
    "dump_session",
    "stimulus_key",
    "make_stimulus_image",
    "stimulus_image_bytes",
    "session_settings",
    "session_px_per_deg",
    "session_fixations",
    "Aoi",
    "AoiMetrics",
    "load_aois",
    "dump_aois",
    "aoi_metrics",
    "session_aoi_metrics",
    "aoi_table",
    "aoi_csv",
    "AggregateMap",
    "Exclusion",
    "session_label",
    "select_sessions",
    "aggregate_density",
    "compare_densities",
    "shared_scale",
    "render_density",
    "GazeTracker",
]
