"""Generate demo and fake-webcam videos of a real face for gazeheat.

The face is NASA's public-domain astronaut portrait that scikit-image ships as
``skimage/data/astronaut.png``. The PNG is read straight out of the downloaded
scikit-image wheel (a zip), so scikit-image itself is never installed.

Outputs, all 640x480 at 30 fps, looping without a jump (every motion is periodic
over the scene's length):

* ``<scene>.y4m``  -- YUV4MPEG2, C420jpeg (planar I420), BT.601 limited range,
  written directly with numpy. Chromium plays it as a fake webcam with
  ``--use-file-for-fake-video-capture=FILE.y4m`` and loops it.
* ``<scene>.webm`` -- VP8 in WebM, yuv420p, no audio; the built-in demo video
  the site plays in a looped ``<video>``. Encoded by the static ffmpeg shipped
  in the ``imageio-ffmpeg`` wheel from the very same YUV frames as the .y4m.

Scenes (see ``SCENES``): ``demo`` (webm + y4m), ``noface``, ``twofaces``, ``frozen``,
``dark`` (y4m).

Output is deterministic: there is no randomness, and ffmpeg runs single-threaded
with bit-exact flags. An output that already exists and is newer than both the
wheel and this script is not regenerated, so a no-op build only stats files.

Runtime needs: numpy, pillow and imageio-ffmpeg, imported only when something
has to be rendered; the freshness check is stdlib-only, so build.py may import
this module from an interpreter without them.

CLI::

    python tools/demo_video.py --wheel SKIMAGE.whl --out-dir DIR [--scene NAME ...] [--force]

Library::

    generate(wheel_path, out_dir, scenes=None, force=False) -> list[Path]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

try:
    from . import face_image  # imported as part of a package (tools.demo_video)
except ImportError:
    import face_image  # run as a script, or with tools/ on sys.path

__all__ = ["SCENES", "Placement", "Scene", "generate", "main", "outputs_for"]

# --- Frame format and photo (shared with synth_gaze: see face_image) -------------
WIDTH_PX = face_image.WIDTH_PX
HEIGHT_PX = face_image.HEIGHT_PX
FPS = face_image.FPS
PHOTO_IN_WHEEL = face_image.PHOTO_IN_WHEEL
PHOTO_SHA256 = face_image.PHOTO_SHA256
FACE_CENTER_SRC = face_image.FACE_CENTER_SRC
FACE_WIDTH_SRC = face_image.FACE_WIDTH_SRC
BACKGROUND_RGB = face_image.BACKGROUND_RGB
Mask = face_image.Mask

# Scene lengths. Every motion is periodic over the scene, so any length loops.
DEMO_DURATION_S = 6.0
SHORT_DURATION_S = 2.0
# RGB factor of the "dark" scene. Measured with FaceLandmarker (tasks-vision
# 1.1.0, CPU): at 0.03 the face is still found in every frame, at 0.02 and below
# in none. So 0.03 is "dark but still tracked", right at the edge.
DARK_BRIGHTNESS = 0.03


@dataclass(frozen=True)
class Placement:
    """Where one copy of the face goes: the face centre in frame px (before the
    scene's camera motion) and its cheek-to-cheek width in frame px."""

    center_px: tuple[float, float]
    face_width_px: float


@dataclass(frozen=True)
class Scene:
    """One generated clip.

    duration_s: length; also the period of every motion, so the clip loops.
    faces: copies of the face to draw (empty for no face).
    mask: how each copy is cut out of the photo.
    drift_px: (x, y) amplitude of the camera drift, frame px. x moves once per
        period, y twice (a figure of eight).
    zoom: relative amplitude of the zoom about the frame centre (0.03 = +-3 %).
    brightness: factor on RGB before YUV conversion (0.03 = dark room).
    formats: which files to write, any of "y4m", "webm".
    """

    duration_s: float
    faces: tuple[Placement, ...]
    mask: Mask
    drift_px: tuple[float, float]
    zoom: float
    brightness: float
    formats: tuple[str, ...]

    @property
    def n_frames(self) -> int:
        return round(self.duration_s * FPS)


_MASK_LARGE = face_image.MASK_LARGE
_MASK_NARROW = face_image.MASK_NARROW

# Face ~210 px wide: within the 200-260 px asked for, and leaves room above the
# hair for the drift and zoom.
_DEMO_FACE = Placement(center_px=(320.0, 258.0), face_width_px=210.0)

SCENES: dict[str, Scene] = {
    "demo": Scene(
        duration_s=DEMO_DURATION_S,
        faces=(_DEMO_FACE,),
        mask=_MASK_LARGE,
        drift_px=(24.0, 10.0),
        zoom=0.03,
        brightness=1.0,
        formats=("webm", "y4m"),
    ),
    # A little motion: a perfectly still picture is what a frozen camera sends.
    "noface": Scene(
        duration_s=SHORT_DURATION_S,
        faces=(),
        mask=_MASK_LARGE,
        drift_px=(8.0, 4.0),
        zoom=0.01,
        brightness=1.0,
        formats=("y4m",),
    ),
    "twofaces": Scene(
        duration_s=SHORT_DURATION_S,
        faces=(Placement((160.0, 250.0), 180.0), Placement((480.0, 250.0), 180.0)),
        mask=_MASK_NARROW,
        drift_px=(6.0, 3.0),
        zoom=0.01,
        brightness=1.0,
        formats=("y4m",),
    ),
    # Same framing as demo; smaller motion because the period is 3x shorter.
    "dark": Scene(
        duration_s=SHORT_DURATION_S,
        faces=(_DEMO_FACE,),
        mask=_MASK_LARGE,
        drift_px=(8.0, 4.0),
        zoom=0.01,
        brightness=DARK_BRIGHTNESS,
        formats=("y4m",),
    ),
    # Every frame identical: a camera that stopped delivering new pictures.
    "frozen": Scene(
        duration_s=SHORT_DURATION_S,
        faces=(_DEMO_FACE,),
        mask=_MASK_LARGE,
        drift_px=(0.0, 0.0),
        zoom=0.0,
        brightness=1.0,
        formats=("y4m",),
    ),
}


def _scene_names(scenes: list[str] | None) -> list[str]:
    """Validated scene names, duplicates dropped, order kept; None means all.
    Raises ValueError for an unknown name."""
    names = list(SCENES) if scenes is None else list(dict.fromkeys(scenes))
    for name in names:
        if name not in SCENES:
            raise ValueError(f"unknown scene {name!r}; known: {', '.join(SCENES)}")
    return names


def outputs_for(out_dir: str | os.PathLike, scenes: list[str] | None = None) -> list[Path]:
    """Paths that ``generate`` writes for ``scenes`` (default: all), in order.

    Raises ValueError for an unknown scene name.
    """
    return [Path(out_dir) / f"{name}.{fmt}" for name in _scene_names(scenes) for fmt in SCENES[name].formats]


def generate(
    wheel_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    scenes: list[str] | None = None,
    force: bool = False,
) -> list[Path]:
    """Write the videos of ``scenes`` (default: all) into ``out_dir``.

    Returns every output path of those scenes, whether rewritten or already
    fresh. A scene is skipped when all its outputs exist and are newer than
    ``wheel_path``, this script and ``face_image``, unless ``force``. Each file is written
    under a temporary name and renamed, so an interrupted run never leaves a
    truncated file that looks fresh.

    Raises ValueError for an unknown scene or a wheel without the expected
    photo, FileNotFoundError for a missing wheel, RuntimeError if ffmpeg fails,
    ImportError if something must be rendered and numpy, pillow or
    imageio-ffmpeg is missing.
    """
    wheel_path = Path(wheel_path)
    out_dir = Path(out_dir)
    names = _scene_names(scenes)  # validate before touching any file
    if not wheel_path.is_file():
        raise FileNotFoundError(f"scikit-image wheel not found: {wheel_path}")
    inputs_mtime = max(wheel_path.stat().st_mtime, Path(__file__).stat().st_mtime,
                       Path(face_image.__file__).stat().st_mtime)

    stale = []
    for name in names:
        paths = outputs_for(out_dir, [name])
        if force or not all(p.is_file() and p.stat().st_mtime > inputs_mtime for p in paths):
            stale.append(name)
    if stale:
        out_dir.mkdir(parents=True, exist_ok=True)
        sprite = face_image.Sprite(face_image.read_photo(wheel_path))
        for name in stale:
            _write_scene(SCENES[name], sprite, outputs_for(out_dir, [name]))
    return outputs_for(out_dir, names)


# --- Rendering ---------------------------------------------------------------


def _camera(scene: Scene, k: int) -> tuple[float, float, float]:
    """(dx_px, dy_px, zoom) of frame k; periodic in scene.n_frames, so the
    frame after the last one is frame 0 again."""
    phase = 2.0 * math.pi * k / scene.n_frames
    dx = scene.drift_px[0] * math.sin(phase)
    dy = scene.drift_px[1] * math.sin(2.0 * phase)
    # Phase-shifted so zoom and drift do not peak together.
    zoom = 1.0 + scene.zoom * math.sin(phase + math.pi / 3.0)
    return dx, dy, zoom


def _render_rgb(scene: Scene, sprite: face_image.Sprite, k: int):
    """Frame k as a float32 (HEIGHT_PX, WIDTH_PX, 3) RGB array in 0..255."""
    import numpy as np
    from PIL import Image

    frame = np.empty((HEIGHT_PX, WIDTH_PX, 3), np.float32)
    frame[:] = BACKGROUND_RGB
    dx, dy, zoom = _camera(scene, k)
    premult_img, alpha_img = sprite.layers(scene.mask)
    for face in scene.faces:
        # Camera motion: zoom about the frame centre, then drift.
        cx = WIDTH_PX / 2 + zoom * (face.center_px[0] - WIDTH_PX / 2) + dx
        cy = HEIGHT_PX / 2 + zoom * (face.center_px[1] - HEIGHT_PX / 2) + dy
        scale = zoom * face.face_width_px / FACE_WIDTH_SRC  # frame px per source px
        # PIL's affine maps each output pixel back to a source position.
        inverse = (
            1 / scale,
            0.0,
            FACE_CENTER_SRC[0] - cx / scale,
            0.0,
            1 / scale,
            FACE_CENTER_SRC[1] - cy / scale,
        )
        size = (WIDTH_PX, HEIGHT_PX)
        bicubic = Image.Resampling.BICUBIC
        premult = premult_img.transform(size, Image.Transform.AFFINE, inverse, bicubic, fillcolor=0)
        alpha = alpha_img.transform(size, Image.Transform.AFFINE, inverse, bicubic, fillcolor=0)
        a = np.asarray(alpha, np.float32)[..., None] / 255.0
        frame = frame * (1.0 - a) + np.asarray(premult, np.float32)
    if scene.brightness != 1.0:
        frame *= scene.brightness
    return frame


def _write_scene(scene: Scene, sprite: face_image.Sprite, paths: list[Path]) -> None:
    """Write all outputs of one scene via "<name>.part" files, then rename them;
    on any failure the .part files are removed and the error re-raised."""
    parts = {p.suffix[1:]: p.with_name(p.name + ".part") for p in paths}
    try:
        _stream_scene(scene, sprite, parts)
    except BaseException:
        for part in parts.values():
            part.unlink(missing_ok=True)
        raise
    for path in paths:
        os.replace(parts[path.suffix[1:]], path)


def _stream_scene(scene: Scene, sprite: face_image.Sprite, parts: dict[str, Path]) -> None:
    """Render the scene once and stream the same Y4M bytes into the .y4m file
    and/or ffmpeg's stdin (which encodes the .webm), as ``parts`` asks."""
    with contextlib.ExitStack() as stack:
        sinks = []
        if "y4m" in parts:
            sinks.append(stack.enter_context(open(parts["y4m"], "wb")))
        if "webm" in parts:
            ffmpeg = subprocess.Popen(face_image.ffmpeg_webm_cmd(parts["webm"]), stdin=subprocess.PIPE)
            stack.callback(face_image.finish_ffmpeg, ffmpeg, parts["webm"])
            sinks.append(ffmpeg.stdin)
        for sink in sinks:
            sink.write(face_image.y4m_header())
        for k in range(scene.n_frames):
            frame = b"FRAME\n" + face_image.to_i420(_render_rgb(scene, sprite, k))
            for sink in sinks:
                sink.write(frame)


# --- CLI ----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; prints one line per output. Returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", required=True, help="path to the scikit-image wheel (.whl)")
    parser.add_argument("--out-dir", required=True, help="directory for the .webm/.y4m files")
    parser.add_argument(
        "--scene", nargs="+", action="extend", choices=list(SCENES), help="scenes to write (default: all)"
    )
    parser.add_argument("--force", action="store_true", help="regenerate even if up to date")
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        paths = generate(args.wheel, args.out_dir, args.scene, force=args.force)
    except ImportError as exc:
        print(
            f"demo_video: error: {exc}; rendering needs numpy, pillow and imageio-ffmpeg "
            "(run it with the build's virtualenv)",
            file=sys.stderr,
        )
        return 1
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"demo_video: error: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(f"{path}  {path.stat().st_size / 1e6:.2f} MB")
    print(f"demo_video: done in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
