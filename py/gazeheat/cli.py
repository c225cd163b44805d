"""Command line: heatmaps, gaze plots and CSV files from a saved session.

    python3 -m gazeheat heatmap SESSION.json [--stimulus IMAGE.png] -o OUT.png [options]
    python3 -m gazeheat gazeplot SESSION.json [--stimulus IMAGE.png] -o OUT.png [options]
    python3 -m gazeheat csv SESSION.json [--samples OUT.csv] [--fixations OUT.csv]

Everything is documented in ``docs/cli.md``. Bad input (a missing or malformed
file, a bad option value) ends with one line ``gazeheat: error: ...`` on stderr and
exit code 2, never a traceback; success prints one line saying what was written.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from . import constants as C
from .colormaps import COLORMAPS
from .errors import GazeheatError
from .export import fixations_csv, samples_csv
from .gazeplot import SIZINGS, render_gazeplot
from .heatmap import (
    SOURCES,
    WEIGHTINGS,
    HeatmapStyle,
    WeightedPoints,
    density_map,
    heatmap_legend,
    render_heatmap_only,
    render_heatmap_overlay,
)
from .png import decode_png_rgba
from .session import load_session, session_fixations, session_px_per_deg, session_settings
from .stimulus import StimulusGeometry

__all__ = ["main"]

_JPEG_MAGIC = b"\xff\xd8\xff"


class _UserError(Exception):
    """Bad input from the user: reported as one line, exit code 2."""


def main(argv=None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit
    code (0 success, 2 bad input or usage)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage and the problem
        return int(exc.code or 0)
    try:
        message = args.run(args)
    except (_UserError, GazeheatError, OSError) as exc:
        text = str(exc) if not isinstance(exc, OSError) else _os_message(exc)
        print(f"gazeheat: error: {text}", file=sys.stderr)
        return 2
    print(message)
    return 0


# --- commands -----------------------------------------------------------------------------


def _heatmap(args) -> str:
    session = _load_session(args.session)
    args.px_per_deg = _px_per_deg(args, session)
    image = _load_stimulus(args.stimulus)
    geometry = _geometry(session, image, args.stimulus)
    settings = _settings(session)
    sigma = args.sigma_deg if args.sigma_deg is not None else settings["heatmap_sigma_deg"]
    if args.source == "fixations":
        points = WeightedPoints.from_fixations(_fixations(session, args.px_per_deg),
                                               args.weighting)
    else:
        points = WeightedPoints.from_samples(session["samples"], args.weighting)
    style = HeatmapStyle(args.colormap, args.opacity, args.cutoff,
                         "absolute" if args.scale_max is not None else "relative",
                         args.scale_max)
    density = density_map(points, geometry, sigma, args.px_per_deg)
    if args.transparent:
        png = render_heatmap_only(density, style)
    else:
        png = render_heatmap_overlay(density, style, image[2] if image else None)
    legend = heatmap_legend(density, style).png if args.legend else None
    _write(args.output, png)
    done = f"wrote {args.output} ({geometry.width_px}x{geometry.height_px} px"
    if legend is not None:
        _write(args.legend, legend)
        done += f"; legend {args.legend}"
    return (f"{done}; {points.n_valid} {args.source}, top of scale "
            f"{style.top(density):.4g} ({density.title}))")


def _gazeplot(args) -> str:
    session = _load_session(args.session)
    args.px_per_deg = _px_per_deg(args, session)
    image = _load_stimulus(args.stimulus)
    geometry = _geometry(session, image, args.stimulus)
    fixations = _fixations(session, args.px_per_deg)
    png = render_gazeplot(fixations, geometry, image[2] if image else None,
                          px_per_deg=args.px_per_deg, sizing=args.sizing,
                          max_radius_deg=args.max_radius_deg)
    _write(args.output, png)
    return (f"wrote {args.output} ({geometry.width_px}x{geometry.height_px} px, "
            f"{len(fixations)} fixations)")


def _csv(args) -> str:
    if not args.samples and not args.fixations:
        raise _UserError("nothing to write: give --samples FILE and/or --fixations FILE")
    session = _load_session(args.session)
    args.px_per_deg = _px_per_deg(args, session)
    geometry = (StimulusGeometry.from_dict(session["stimulus"])
                if session.get("stimulus") is not None else None)
    written = []
    if args.samples:
        _write(args.samples, samples_csv(session, geometry).encode("utf-8"))
        written.append(f"{args.samples} ({len(session['samples'])} samples)")
    if args.fixations:
        fixations = _fixations(session, args.px_per_deg)
        _write(args.fixations, fixations_csv(fixations, geometry).encode("utf-8"))
        written.append(f"{args.fixations} ({len(fixations)} fixations)")
    return "wrote " + ", ".join(written)


# --- helpers ------------------------------------------------------------------------------


def _load_session(path: str) -> dict:
    with open(path, "rb") as f:
        data = f.read(C.MAX_SESSION_BYTES + 1)
    try:
        session = load_session(data)
        if session.get("stimulus") is not None:
            StimulusGeometry.from_dict(session["stimulus"])
    except GazeheatError as exc:
        raise _UserError(f"{path}: {exc}") from None
    return session


def _load_stimulus(path):
    """``(width, height, rgba)`` of a PNG file, or None without a path."""
    if path is None:
        return None
    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(_JPEG_MAGIC):
        raise _UserError(f"{path}: JPEG stimuli are not supported on the command line "
                         "(no JPEG decoder in the standard library); convert it to PNG")
    try:
        return decode_png_rgba(data)
    except GazeheatError as exc:
        raise _UserError(f"{path}: {exc}") from None


def _geometry(session: dict, image, image_path) -> StimulusGeometry:
    """The session's stimulus geometry (or its viewport); with an image, the image's
    size is the native size: the session's rectangle stays, or, if the session has
    no stimulus, the image is taken to have filled the viewport."""
    geometry = StimulusGeometry.of_session(session)
    if image is None:
        return geometry
    width, height, _ = image
    if session.get("stimulus") is not None:
        return geometry.resized(width, height)
    return StimulusGeometry("image", width, height, 0.0, 0.0, geometry.rect_w_px,
                            geometry.rect_h_px, os.path.basename(image_path))


def _px_per_deg(args, session: dict) -> float:
    """--px-per-deg, else the session's own (the page stores what it measured)."""
    return session_px_per_deg(session) if args.px_per_deg is None else args.px_per_deg


def _settings(session: dict) -> dict:
    try:
        return session_settings(session)
    except GazeheatError as exc:
        raise _UserError(f"session settings: {exc}") from None


def _fixations(session: dict, px_per_deg: float) -> list:
    """``session.session_fixations`` with a user-facing error on bad settings."""
    _settings(session)
    return session_fixations(session, px_per_deg)


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def _os_message(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0.0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 -m gazeheat",
        description="Heatmaps, gaze plots and CSV files from a gazeheat session (JSON).",
        epilog="Stimulus images must be PNG. See docs/cli.md.")
    parser.add_argument("--version", action="version", version=f"gazeheat {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    def common(p, stimulus=True):
        p.add_argument("session", metavar="SESSION.json", help="a saved gazeheat session")
        if stimulus:
            p.add_argument("--stimulus", metavar="IMAGE.png",
                           help="the stimulus image (PNG); default: white, the size of the "
                                "session's stimulus or viewport")
            p.add_argument("-o", "--output", metavar="OUT.png", required=True,
                           help="the PNG to write")
        p.add_argument("--px-per-deg", type=_positive, default=None,
                       metavar="P", help="CSS px per degree of visual angle (default: the "
                                         "session's, measured while calibrating, else "
                                         f"{C.DEFAULT_PX_PER_DEG:.1f}: 96 dpi at 60 cm)")

    heat = commands.add_parser("heatmap", help="heatmap PNG at the stimulus's native size",
                               description="Render a heatmap over the stimulus.")
    common(heat)
    heat.set_defaults(run=_heatmap)
    heat.add_argument("--sigma-deg", type=_positive, metavar="S",
                      help="Gaussian kernel sigma in degrees (default: the session's "
                           f"setting, else {C.HEATMAP_SIGMA_DEG})")
    heat.add_argument("--colormap", choices=COLORMAPS, default="jet",
                      help="colour map (default jet); fog dims what nobody looked at")
    heat.add_argument("--weighting", choices=WEIGHTINGS, default="duration",
                      help="duration: seconds; count: each counts 1; relative: share of "
                           "the session's total (default: duration)")
    heat.add_argument("--source", choices=SOURCES, default="fixations",
                      help="fixations (default) or raw gaze samples")
    heat.add_argument("--opacity", type=_fraction, default=C.HEATMAP_OPACITY, metavar="F",
                      help=f"opacity of the densest areas, 0..1 (default {C.HEATMAP_OPACITY})")
    heat.add_argument("--cutoff", type=_fraction, default=C.HEATMAP_ALPHA_FLOOR, metavar="F",
                      help="fraction of the scale's top below which the map is clear, "
                           f"0..1 (default {C.HEATMAP_ALPHA_FLOOR})")
    heat.add_argument("--scale-max", type=_positive, metavar="V",
                      help="absolute scale: this value (in the weighting's unit) is the "
                           "top colour, so several maps compare; default: this map's maximum")
    heat.add_argument("--transparent", action="store_true",
                      help="write the heatmap alone over transparency (no stimulus)")
    heat.add_argument("--legend", metavar="LEGEND.png", help="also write the colour bar")

    plot = commands.add_parser("gazeplot", help="numbered fixations joined by saccades",
                               description="Render a gaze plot over the stimulus.")
    common(plot)
    plot.set_defaults(run=_gazeplot)
    plot.add_argument("--sizing", choices=SIZINGS, default="sqrt",
                      help="circle area (sqrt, default) or radius (linear) proportional to "
                           "the fixation's duration")
    plot.add_argument("--max-radius-deg", type=_positive, default=C.GAZEPLOT_MAX_RADIUS_DEG,
                      metavar="R", help="radius of the longest fixation, in degrees "
                                        f"(default {C.GAZEPLOT_MAX_RADIUS_DEG})")

    csv = commands.add_parser("csv", help="samples and/or fixations as CSV",
                              description="Write the session's samples and/or fixations as "
                                          "CSV (docs/csv.md).")
    common(csv, stimulus=False)
    csv.set_defaults(run=_csv)
    csv.add_argument("--samples", metavar="OUT.csv", help="write the samples here")
    csv.add_argument("--fixations", metavar="OUT.csv", help="write the fixations here")
    return parser
