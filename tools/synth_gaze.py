"""Synthetic gaze recordings for gazeheat: a real face whose eyes look at known screen points.

The face is NASA's astronaut portrait that scikit-image ships (``skimage/data/astronaut.png``,
read out of the wheel by ``face_image``). Its irises are moved inside the eye openings
according to a 3D eye model, so that a benchmark can compare gazeheat's estimate with
the exact point the eyes were aimed at.

Output: a recording directory in gazeheat's recording format v1 (``docs/recording.md``):

* ``recording.json`` -- format, version, video, viewport, calibration and validation
  targets and the smooth-pursuit pass; the generator's parameters and the test targets
  under the extra key ``"synthetic"``.
* ``video.webm`` -- VP8, yuv420p, 640x480, 30 fps; optionally ``video.y4m`` (the same
  frames, uncompressed) for Chromium's fake webcam.
* ``truth.csv`` -- per frame: ``frame,t_ms,gaze_x_px,gaze_y_px,blink,head_yaw_deg,
  head_pitch_deg,head_roll_deg,head_x_mm,head_y_mm,head_z_mm``; gaze is empty while the
  lids are moving in a blink; head_*_mm is the head's shift from its neutral position.
* ``eyes.csv`` -- per frame, where the irises were drawn (frame px) and how open each
  eye was: the image-level truth, for checking landmark detection apart from gaze.

The model (all lengths in mm, world frame fixed to the screen)
------------------------------------------------------------------
* Axes: X along the screen's rows (to the viewer's right), Y down the screen, Z from the
  screen towards the viewer. The viewport (1280x720 CSS px) is a 345 x 194 mm panel
  (square CSS px), its top edge CAMERA_ABOVE_SCREEN_MM below the camera.
* Camera: a pinhole at the origin, in the screen plane above the screen's centre,
  looking along +Z; not mirrored, so the viewer's right appears on the image's left:
  ``u = cx - f X / Z``, ``v = cy + f Y / Z`` with (cx, cy) the image centre. The focal
  length ``f`` is chosen so that the face has its real size: the photo's eyeball centres
  are EYE_SEPARATION_MM apart at HEAD_DISTANCE_MM. The default face width (~122 px,
  DEFAULT_FACE_WIDTH_PX) makes that a CAMERA_HFOV_DEG = 60 deg camera (f = 554 px), as
  gazeheat assumes for a laptop webcam; ``face_width_px`` 210 is a closer-up, easier case
  (f ~ 954 px, 37 deg).
* Eyes: each eyeball is a sphere of EYEBALL_RADIUS_MM turning about its centre. The iris
  is a disc of IRIS_RADIUS_MM whose rim lies on the sphere (its centre 10.45 mm in front
  of the eyeball centre). Each eye turns separately so that its axis passes through the
  gaze point on the screen (vergence); the visual and optical axes are taken as one
  (no angle kappa). The photo's eyeball centres lie on the camera rays through the
  photo's irises: the astronaut is assumed to look into the lens, so the unchanged
  photo is what the model draws when the gaze point is the camera.
* Iris image: the disc is projected with the camera's local (affine) projection at its
  centre, which turns it into the foreshortened ellipse; its colours are the photo's own
  iris colours as a function of radius (pupil, iris, limbus). The corneal reflection of
  a small light at LIGHT_MM is drawn where a sphere of CORNEA_RADIUS_MM (centred
  CORNEA_CENTER_MM in front of the eyeball centre) mirrors that light into the camera,
  so it moves about half as far as the pupil, as on a real eye. Refraction by the
  cornea (which makes the real iris look ~10 % bigger and slightly nearer) is ignored.
* Lids: the eye opening is the region between the photo's upper and lower lid contours.
  The original iris is removed once by filling it from the sclera and skin on either
  side, along curves that follow the lids. Each frame draws sclera and the moved iris
  and composites them through the opening, so the iris never covers skin or lashes.
  The upper lid follows the eye's vertical rotation (LID_FOLLOW of the iris's vertical
  shift) by stretching or compressing a band of lid skin above it; a blink moves the
  same lid down to the lower lid. The lower lid stays where it is.
* Head: the photo is laid on a 3-D surface ("Head surface" below: a head that curves
  back to the sides and top, a nose ridge, the eyes set back in their sockets; depth
  relative to the eye openings, which sit LID_ANCHOR_MM in front of the eyeball centres),
  seen in the neutral pose exactly as the photo. Each frame moves that surface rigidly
  (yaw, pitch and roll about a pivot in the neck, plus translation; each a smooth random
  curve within the HEAD_MOTION level's amplitudes) and projects it through the pinhole
  camera, so turns show real parallax and foreshortening (the nose moves against the
  cheeks, the far cheek narrows, the outline turns) and FaceLandmarker reads them as
  head pose: it reports ~0.65 of the yaw and ~0.55 of the pitch, and the roll in full.
  The frame-to-texture map is solved by fixed-point and Newton iterations on a grid of
  MESH_CELL_PX cells (to < 0.01 px) and drawn by PIL's mesh transform; parts of the head
  the nose would hide at large angles are not removed (there are none at these
  amplitudes), shading does not change. The eyes are aimed at the gaze point from their
  moved 3-D centres, and the iris is drawn where the surface shows that 3-D point, so the
  iris-in-eye position encodes the eye-in-head angle.
* Camera effects: a slow global lighting drift (a gain within +-LIGHT_DRIFT) and
  Gaussian sensor noise of NOISE_SIGMA grey levels per RGB channel, then VP8 coding.

Head-motion levels (HEAD_MOTION; the largest excursion over the clip):

=======  =====  =====  =====  ==================================
level    yaw    pitch  roll   shift X / Y / Z (across, down, away)
=======  =====  =====  =====  ==================================
small    2°     1.5°   1°     5 / 4 / 10 mm
medium   5°     4°     2.5°   15 / 10 / 30 mm
large    10°    8°     5°     40 / 25 / 60 mm
=======  =====  =====  =====  ==================================

Scenario (times in ms from the first frame): the eyes rest on the screen centre for
START_MS; then a 3x3 calibration grid at 10/50/90 % of the viewport (row-major from the
top-left, like ``gazeheat.calibration.grid_targets``), then the smooth-pursuit pass (see
below), then 5 validation targets the
calibration does not use, then 8 test targets (TEST_FRACTIONS) at least 1.5 deg from all
of those and from the app's own validation points, each with the live app's timing: a
LEAD_IN_MS lead-in in which
the eyes jump to the new target (after a saccade latency), then TARGET_MS on it, which
is the interval a target's ``start_ms``/``end_ms`` record. The recording format knows
only calibration and validation targets: the test targets are listed under
``"synthetic"`` (``test_targets``), so to the app they are free viewing. Then free viewing: fixations of
200-600 ms at random points, joined by saccades. Saccades follow the main sequence
(duration 21 ms + 2.2 ms/deg) with a minimum-jerk profile; fixations carry a small slow
drift (GAZE_JITTER_DEG). Blinks every 3-6 s, BLINK_MS long.

The smooth-pursuit pass (generator version 3; the app's optional pass, shared contract
in ``gazeheat.constants`` PURSUIT_*): the dot appears still at the start of
``gazeheat.calibration.pursuit_path`` for the viewport and the eyes saccade to it as to a
dot; after PURSUIT_STILL_MS it moves along the path for PURSUIT_DURATION_MS. The eyes
start to follow after a pursuit latency at reduced speed, a catch-up saccade puts them
on the path, and from then on they trail the dot by a lag drawn once per recording
(PURSUIT_LAG_MS), with a little extra pursuit noise (PURSUIT_NOISE_DEG) on top of the
fixational drift; after the motion they rest where the dot stopped until the first
validation target. recording.json lists the pass as one ``"phase": "pursuit"`` target
(``start_ms`` = motion start + PURSUIT_SETTLE_MS, the dot's path in the recording's
clock), and its parameters under ``"synthetic"`` (``pursuit``). The pass draws from its
own random stream, so every other part of the scenario keeps the times and saccade
latencies of version 2 (shifted by the pass's length).

Everything random comes from the seed (one stream for the scenario, head, blinks and
lighting, a second one for the sensor noise, a third one for the pursuit pass); ffmpeg
runs single-threaded and bit-exact, so one seed gives byte-identical files. The default 74 s clip (2220 frames) takes
~90-135 s on a 2-core machine (~40 ms of Python per frame: ~20 to draw, the rest noise
and colour conversion; VP8 runs in parallel in ffmpeg). ``cached_recording`` keeps one directory per set of
parameters and GENERATOR_VERSION (``recording_key``), so a rerun costs nothing.

Checked with the real FaceLandmarker (tasks-vision 1.1.0, CPU), generator version 1 (a
flat 2D head warp, 210 px face) on a 56 s video.webm (seed 0): face found in every frame; its iris centres (468, 473) follow the drawn ones
with correlation >= 0.98 in x and y (image px) and 0.95-0.98 for the iris position
relative to the eye corners (x), which spans ~7 px; its vertical iris-in-eye signal is
weak (slope ~0.2), as on real webcams; eye openness drops from 0.32 to ~0.15 at the
closed point of a blink.

CLI (run with the project's .venv)::

    python tools/synth_gaze.py --wheel SKIMAGE.whl --out DIR [--seed N]
                               [--free-viewing-s S] [--face-width-px W]
                               [--head-motion small|medium|large] [--y4m]

Library::

    generate_recording(out_dir, wheel_path, *, seed=0, free_viewing_s=5.0,
                       write_y4m=False, face_width_px=DEFAULT_FACE_WIDTH_PX,
                       head_motion="medium") -> Path
    recording_key(*, seed=0, free_viewing_s=5.0, face_width_px=..., head_motion="medium") -> str
    cached_recording(cache_dir, wheel_path, **generate_recording_kwargs) -> Path
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

try:
    from . import face_image  # imported as part of a package (tools.synth_gaze)
except ImportError:
    import face_image  # run as a script, or with tools/ on sys.path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "py"))
from gazeheat import constants as C  # noqa: E402
from gazeheat.calibration import pursuit_path  # noqa: E402
from gazeheat.recording import RecordingTarget as Target, make_recording  # noqa: E402

__all__ = ["HEAD_MOTION", "Target", "cached_recording", "generate_recording", "main", "plan_scenario",
           "recording_key"]

GENERATOR = "gazeheat tools/synth_gaze.py"
# 2: true 3-D head motion (a depth surface under a pinhole camera), head-motion levels,
# test targets, a realistic 60-degree camera by default.
# 3: a smooth-pursuit pass after the calibration dots (a "pursuit" target).
GENERATOR_VERSION = 3

# --- Frame (face_image: the same size and rate as the demo) ----------------------------
WIDTH_PX = face_image.WIDTH_PX
HEIGHT_PX = face_image.HEIGHT_PX
FPS = face_image.FPS
FACE_CENTER_PX = (320.0, 258.0)  # face centre in the frame, neutral pose (as the demo)
# Room around the frame in the head texture, so that head motion never shows its edge.
TEXTURE_MARGIN_PX = 64

# --- Screen and camera (world frame, mm; see the module docstring) -------------------
VIEWPORT_W_PX = 1280
VIEWPORT_H_PX = 720
SCREEN_W_MM = 345.0  # a 15.6" 16:9 laptop panel
SCREEN_H_MM = SCREEN_W_MM * VIEWPORT_H_PX / VIEWPORT_W_PX  # 194.06: CSS px are square
CAMERA_ABOVE_SCREEN_MM = 10.0  # lens centre above the viewport's top edge

# --- Head and eyes ------------------------------------------------------------------
HEAD_DISTANCE_MM = 600.0  # screen plane to the eyeball centres, neutral pose
EYE_SEPARATION_MM = 63.0  # between the eyeball centres (a typical adult IPD)
EYEBALL_RADIUS_MM = 12.0
IRIS_RADIUS_MM = 5.9
# The iris rim lies on the eyeball, so its centre is this far in front of the eyeball centre.
IRIS_PLANE_MM = math.sqrt(EYEBALL_RADIUS_MM**2 - IRIS_RADIUS_MM**2)  # 10.45
CORNEA_RADIUS_MM = 7.8
CORNEA_CENTER_MM = 5.65  # eyeball centre to the cornea's centre of curvature (apex at 13.45)
# The eye openings (lids, corners) sit this far in front of the eyeball centres: the head
# surface passes through them there, so the eyeball turns behind them with the head.
LID_ANCHOR_MM = 11.0
# Head rotations turn about this point, relative to the midpoint of the eyeball centres:
# below and behind the eyes, roughly where the head sits on the neck.
HEAD_PIVOT_OFFSET_MM = (0.0, 60.0, 100.0)
# Horizontal field of view of the simulated webcam (deg): as gazeheat assumes
# (constants.CAMERA_HFOV_DEG). With the head at HEAD_DISTANCE_MM it sets the face's size
# in the picture (DEFAULT_FACE_WIDTH_PX, computed below from the photo).
CAMERA_HFOV_DEG = 60.0
# A small lamp a little above and to the viewer's right of the camera: it puts the
# corneal reflections where the photo has its catchlights (~1 photo px up-left of the
# iris centres in the image).
LIGHT_MM = (150.0, -60.0, 0.0)

# --- Measured on the photo (512x512 source px; pixel edges at integers) ---------------
# Iris centres, iris radius and lid contours: FaceLandmarker (tasks-vision 1.1.0, CPU,
# float16 model) run in headless Chromium on the still photo placed by tools/demo_video.py's
# renderer at 5 sizes/positions (face 180-300 px wide), mapped back to photo px and
# averaged; the spread between placements was <= 0.4 px. The iris centres agree with the
# centroid of the dark iris pixels to 0.3 px. The upper contour is landmarks 33, 246, 161,
# 160, 159, 158, 157, 173, 133 (right eye; 362, 398, 384, 385, 386, 387, 388, 466, 263
# left), the lower one 33, 7, 163, 144, 145, 153, 154, 155, 133 (362, 382, 381, 380, 374,
# 373, 390, 249, 263). "right"/"left" are the subject's: the right eye is on the image's left.
IRIS_CENTER_SRC = {"right": (203.68, 101.55), "left": (246.58, 103.70)}
IRIS_RADIUS_SRC = 4.05  # mean of landmarks 469-472 / 474-477 around their centres
UPPER_LID_SRC = {
    "right": ((195.59, 100.95), (196.37, 100.26), (197.46, 99.48), (199.46, 98.61), (202.83, 98.23),
              (206.38, 98.75), (209.97, 100.44), (212.70, 102.62), (213.98, 103.93)),
    "left": ((236.74, 105.03), (238.15, 103.75), (240.98, 101.85), (244.73, 100.50), (248.50, 100.43),
             (251.82, 101.21), (253.86, 102.38), (254.92, 103.25), (255.63, 103.95)),
}
LOWER_LID_SRC = {
    "right": ((195.59, 100.95), (197.05, 102.22), (198.62, 103.18), (200.93, 104.03), (204.42, 104.49),
              (207.84, 104.34), (211.08, 104.09), (213.18, 104.10), (213.98, 103.93)),
    "left": ((236.74, 105.03), (237.64, 105.25), (239.65, 105.55), (242.82, 106.12), (246.42, 106.60),
             (249.93, 106.47), (252.37, 105.92), (254.10, 105.14), (255.63, 103.95)),
}
# FaceLandmarker's upper contour runs through the lower half of the lash line; the
# visible edge of the white (checked on a 16x enlargement) is this much lower.
UPPER_LID_DOWN_SRC = 0.6
# The catchlights (brightest pixel inside each iris, by eye on the enlargement).
GLINT_SRC = {"right": (203.0, 100.8), "left": (245.5, 103.4)}
# The nose tip (by eye on the enlargement), ~36 mm below the line between the eyes.
NOSE_TIP_SRC = (225.0, 127.0)

# Face width (cheek to cheek, frame px) that puts the photo's eyeball centres
# EYE_SEPARATION_MM apart at HEAD_DISTANCE_MM under a CAMERA_HFOV_DEG camera: ~122 px.
DEFAULT_FACE_WIDTH_PX = round(
    (WIDTH_PX / 2 / math.tan(math.radians(CAMERA_HFOV_DEG / 2))) * EYE_SEPARATION_MM / HEAD_DISTANCE_MM
    / math.dist(IRIS_CENTER_SRC["right"], IRIS_CENTER_SRC["left"]) * face_image.FACE_WIDTH_SRC, 2)

# --- Head surface (mm; x across the face, y down it, depth towards the camera) --------
# The photo is laid on a smooth surface so that turning the head shows parallax and
# foreshortening. Depth relative to the eye openings (which sit LID_ANCHOR_MM in front of
# the eyeball centres): a head that curves back with radius HEAD_RADIUS_X_MM across and
# HEAD_RADIUS_Y_MM along the face (most forward FACE_CREST_Y_MM below the eyes), plus a
# nose ridge from the bridge (NOSE_BRIDGE_MM high) to the tip (NOSE_TIP_MM), and the eyes
# set back in their sockets. The nose's sides slope by up to ~2.3 and its underside by
# ~3.2, so yaw up to ~20 deg and pitch up to ~15 deg never fold the surface over itself
# (what would be hidden is not removed: there is nothing hidden at those angles).
# FaceLandmarker reads ~0.65 of a turn of this head as yaw and ~0.55 as pitch (0.55 and
# 0.45 with a nose of 20 mm): a flatter face shows a turn less.
HEAD_RADIUS_X_MM = 65.0
HEAD_RADIUS_Y_MM = 110.0
FACE_CREST_Y_MM = 10.0
HEAD_CURVE_MAX_RAD = 1.3  # the curve's angle stops here (slope sin 1.3 = 0.96): hair, ears
NOSE_BRIDGE_MM = 12.0
NOSE_TIP_MM = 30.0
NOSE_SIGMA_X_MM = (5.0, 8.0)  # half-width (Gaussian sigma) of the ridge at the bridge and the tip
NOSE_FADE_MM = 14.0  # below the tip the nose ends over this distance
EYE_SOCKET_MM = 6.0  # the eye openings lie this far behind a brow/cheek surface around them...
EYE_SOCKET_SIGMA_MM = 12.0  # ...over a Gaussian bowl of this sigma
# Inverse map from frame to texture: solved on the corners of MESH_CELL_PX cells and
# drawn piecewise-bilinearly by PIL (error ~0.01 px on this smooth surface).
MESH_CELL_PX = 8
INVERSE_ITERATIONS = 6
NEWTON_STEPS = 2

# --- Rendering (photo px, scaled to the frame with the face) ------------------------
LID_EDGE_SRC = 0.8  # width of the opening's soft edge (the photo's own blur)
IRIS_EDGE_SRC = 0.5  # width of the iris's soft rim...
EYEBALL_BLUR_SRC = 0.45  # ...and the Gaussian blur (sigma) of the drawn eyeball: the photo's sharpness
FILL_MARGIN_SRC = 1.3  # the original iris is removed out to its radius plus this
FILL_SAMPLES_SRC = 1.2  # sclera/skin averaged over this width beside the removed iris
LID_SKIN_SRC = 8.0  # band of upper-lid skin (lashes to crease) that stretches in a blink...
LASH_SRC = 2.5  # ...above the lash line, which keeps its thickness and moves with the lid
BLINK_OVERLAP_SRC = 0.5  # a closed upper lid comes down this far over the lower lid
# The photo's iris colours are used out to this fraction of the radius; beyond it they
# are mixed with the white by the photo's blur. The drawn rim (the limbus) is darker.
IRIS_PROFILE_MAX = 0.75
LIMBUS_DARKEN = 0.85
LID_FOLLOW = 0.8  # upper-lid shift per unit of vertical iris shift (lid-eye coordination)
IRIS_SHADOW = 0.5  # the upper lid and lashes darken the iris just below them...
IRIS_SHADOW_SRC = 1.5  # ...fading out over this distance (the photo's iris top is darker)
GLINT_SIGMA_SRC = 0.55
GLINT_STRENGTH = 0.6
GLINT_RGB = (238.0, 236.0, 232.0)

# --- Scenario (ms; targets in viewport fractions) ----------------------------------------
START_MS = 1000.0  # the eyes rest on the screen centre before the first target
LEAD_IN_MS = 700.0  # as js/constants.js CALIBRATION.leadInMs
TARGET_MS = 1800.0  # as js/constants.js CALIBRATION.targetMs
CALIBRATION_FRACTIONS = tuple((fx, fy) for fy in (0.1, 0.5, 0.9) for fx in (0.1, 0.5, 0.9))
VALIDATION_FRACTIONS = ((0.3, 0.3), (0.7, 0.3), (0.3, 0.7), (0.7, 0.7), (0.4, 0.58))
# Test targets, after validation: at least 60 px (1.5 deg) from the recording's calibration
# and validation targets and from the app's validation points
# (gazeheat.validation.VALIDATION_POINTS), spread over the calibrated area. Listed in recording.json under "synthetic" only (the recording
# format knows calibration and validation), so to the app they are free viewing.
TEST_FRACTIONS = ((0.2, 0.2), (0.6, 0.16), (0.84, 0.4), (0.16, 0.62), (0.55, 0.45), (0.8, 0.78),
                  (0.36, 0.84), (0.62, 0.66))
DEFAULT_FREE_VIEWING_S = 5.0
MAX_FREE_VIEWING_S = 3600.0
FIXATION_MS = (200.0, 600.0)  # free viewing: fixation durations, uniform
FREE_VIEWING_MARGIN = 0.05  # free-viewing points stay this fraction inside the viewport
SACCADE_LATENCY_MS = (150.0, 250.0)  # target onset to saccade onset, uniform
SACCADE_BASE_MS = 21.0  # main sequence: duration = base + slope * amplitude
SACCADE_MS_PER_DEG = 2.2
GAZE_JITTER_DEG = 0.1  # fixational drift: standard deviation of an Ornstein-Uhlenbeck process...
GAZE_JITTER_TAU_MS = 400.0  # ...with this correlation time
BLINK_FIRST_MS = (1000.0, 4000.0)  # first blink onset, uniform
BLINK_INTERVAL_MS = (3000.0, 6000.0)  # onset to next onset, uniform
BLINK_MS = 150.0  # lids close in 40 %, stay shut 10 %, open in 50 % of it
# Smooth pursuit of the moving dot (times from the motion's start). Pursuit starts ~100-150 ms
# after a target starts to move, at first too slowly, and a catch-up saccade ~200-300 ms
# after motion onset removes the position error built up meanwhile (Lisberger, Morris &
# Tychsen 1987, Annu. Rev. Neurosci. 10:97-129). In steady pursuit the eyes trail the
# target; on a smooth, predictable path prediction keeps that delay well below the
# visual-motor latency (Barnes & Asselman 1991, J. Physiol. 439:439-461), so each
# recording draws one lag from 60-100 ms: 15-40 px (0.4-1 deg) behind the app's dot,
# which moves at ~270 px/s on average (up to ~400 px/s, 10 deg/s) on this 1280 x 720 viewport.
PURSUIT_LATENCY_MS = (100.0, 150.0)  # motion onset to pursuit onset, uniform
PURSUIT_ONSET_GAIN = 0.5  # eye speed / dot speed before the catch-up saccade
PURSUIT_CATCH_UP_MS = (200.0, 300.0)  # motion onset to the catch-up saccade, uniform
PURSUIT_LAG_MS = (60.0, 100.0)  # steady-state lag behind the dot, uniform, one per recording
PURSUIT_NOISE_DEG = 0.15  # pursuit's own position noise (Ornstein-Uhlenbeck), standard deviation...
PURSUIT_NOISE_TAU_MS = 200.0  # ...and correlation time, on top of the fixational drift

# --- Head motion, lighting, noise -----------------------------------------------------
#: Head-motion levels: the largest yaw, pitch, roll (deg) and shift along X, Y, Z (mm) over
#: the clip. Each motion is a smooth random curve within +- its amplitude, so the head also
#: moves during calibration. "small": a still, attentive sitter; "medium": ordinary
#: fidgeting; "large": leaning and turning well away from the calibration pose.
HEAD_MOTION = {
    "small": {"yaw_deg": 2.0, "pitch_deg": 1.5, "roll_deg": 1.0, "shift_mm": (5.0, 4.0, 10.0)},
    "medium": {"yaw_deg": 5.0, "pitch_deg": 4.0, "roll_deg": 2.5, "shift_mm": (15.0, 10.0, 30.0)},
    "large": {"yaw_deg": 10.0, "pitch_deg": 8.0, "roll_deg": 5.0, "shift_mm": (40.0, 25.0, 60.0)},
}
DEFAULT_HEAD_MOTION = "medium"
HEAD_SMOOTH_MS = 1200.0  # sigma of the Gaussian that smooths white noise into the curves
LIGHT_DRIFT = 0.10  # global gain within 1 +- this
LIGHT_SMOOTH_MS = 5000.0
NOISE_SIGMA = 2.0  # grey levels, per RGB channel, per frame

# --- Encoding ------------------------------------------------------------------------
# About what Chromium's MediaRecorder produces for a 640x480 VP8 webcam stream.
WEBM_BITRATE = "2500k"
WEBM_CRF = "10"
WEBM_CPU_USED = "4"


@dataclass(frozen=True)
class _Saccade:
    """A gaze jump from (x0, y0) to (x1, y1) (viewport px) starting at onset_ms."""

    onset_ms: float
    duration_ms: float
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class _Pursuit:
    """The smooth-pursuit pass: the dot's path and how the eyes follow it. Times in ms of
    the recording's clock except where relative to the motion start (``*_after_ms``,
    ``path_ms``); positions in viewport px."""

    appear_ms: float  # the dot appears, still, at the path's start
    motion_start_ms: float
    path_ms: np.ndarray  # (k,) times after the motion start, 0 .. PURSUIT_DURATION_MS
    path_px: np.ndarray  # (k, 2)
    lag_ms: float
    latency_after_ms: float  # pursuit onset
    catch_up_after_ms: float  # catch-up saccade onset

    @property
    def motion_end_ms(self) -> float:
        return self.motion_start_ms + float(self.path_ms[-1])

    def dot(self, t_ms) -> np.ndarray:
        """(..., 2) the dot's position at recording times ``t_ms`` (still at the ends)."""
        r = np.asarray(t_ms, float) - self.motion_start_ms
        return np.stack([np.interp(r, self.path_ms, self.path_px[:, 0]),
                         np.interp(r, self.path_ms, self.path_px[:, 1])], axis=-1)

    def entry(self) -> dict:
        """The recording's ``"phase": "pursuit"`` target (docs/recording.md): from the end of
        the settling time to the end of the motion, with the path points in that interval
        (the path's spacing divides the settling time, so both ends are path points)."""
        start = self.motion_start_ms + C.PURSUIT_SETTLE_MS
        keep = self.path_ms >= C.PURSUIT_SETTLE_MS - 1e-6
        x, y = self.dot(start)
        return {"phase": "pursuit", "x": round(float(x), 3), "y": round(float(y), 3),
                "start_ms": start, "end_ms": self.motion_end_ms,
                "path": [{"t_ms": round(self.motion_start_ms + float(t), 3), "x": round(float(px), 3),
                          "y": round(float(py), 3)}
                         for t, (px, py) in zip(self.path_ms[keep], self.path_px[keep])]}


# --- Scenario --------------------------------------------------------------------------


def _mm_per_px() -> float:
    return SCREEN_W_MM / VIEWPORT_W_PX


def _angle_deg(x0: float, y0: float, x1: float, y1: float) -> float:
    """Angle between two screen points seen from HEAD_DISTANCE_MM, degrees (small-angle)."""
    return math.degrees(math.hypot(x1 - x0, y1 - y0) * _mm_per_px() / HEAD_DISTANCE_MM)


def _saccade(onset_ms: float, x0: float, y0: float, x1: float, y1: float) -> _Saccade:
    duration = SACCADE_BASE_MS + SACCADE_MS_PER_DEG * _angle_deg(x0, y0, x1, y1)
    return _Saccade(onset_ms, duration, x0, y0, x1, y1)


def plan_scenario(rng: np.random.Generator, free_viewing_s: float,
                  pursuit_rng: np.random.Generator) -> tuple[list[Target], _Pursuit, list[_Saccade], float]:
    """The scenario: (targets, the pursuit pass, saccades in time order, total duration in ms).

    Targets cover the calibration, validation and test phases (phase "test" exists only
    here and in the "synthetic" extras of recording.json); the pursuit pass lies between
    the last calibration and the first validation target; free viewing follows the test
    targets and has no targets. The gaze starts on the viewport's centre. Everything
    about the pursuit pass is drawn from ``pursuit_rng`` (so ``rng`` gives every other
    part the same draws as without the pass). Raises ValueError unless
    0 <= ``free_viewing_s`` <= MAX_FREE_VIEWING_S (NaN included).
    """
    if not 0 <= free_viewing_s <= MAX_FREE_VIEWING_S:
        raise ValueError(f"free_viewing_s must be within 0..{MAX_FREE_VIEWING_S:g}, got {free_viewing_s!r}")
    targets: list[Target] = []
    saccades: list[_Saccade] = []
    pursuit = None
    gx, gy = VIEWPORT_W_PX / 2, VIEWPORT_H_PX / 2
    t = START_MS
    phases = ([("calibration", f) for f in CALIBRATION_FRACTIONS] + [("validation", f) for f in VALIDATION_FRACTIONS]
              + [("test", f) for f in TEST_FRACTIONS])
    for phase, (fx, fy) in phases:
        if phase == "validation" and pursuit is None:
            pursuit = _plan_pursuit(pursuit_rng, t)
            x0, y0 = pursuit.path_px[0]
            saccades.append(_saccade(t + pursuit_rng.uniform(*SACCADE_LATENCY_MS), gx, gy, x0, y0))
            gx, gy = (float(v) for v in pursuit.path_px[-1])  # where the dot stops
            t = pursuit.motion_end_ms
        x, y = round(fx * VIEWPORT_W_PX, 3), round(fy * VIEWPORT_H_PX, 3)
        saccades.append(_saccade(t + rng.uniform(*SACCADE_LATENCY_MS), gx, gy, x, y))
        gx, gy = x, y
        targets.append(Target(phase, x, y, t + LEAD_IN_MS, t + LEAD_IN_MS + TARGET_MS))
        t += LEAD_IN_MS + TARGET_MS
    end_ms = t + free_viewing_s * 1000.0
    lo, hi = FREE_VIEWING_MARGIN, 1.0 - FREE_VIEWING_MARGIN
    t += rng.uniform(*SACCADE_LATENCY_MS)  # the last target disappears; the eyes leave it after a latency
    while t < end_ms:
        x, y = rng.uniform(lo, hi) * VIEWPORT_W_PX, rng.uniform(lo, hi) * VIEWPORT_H_PX
        s = _saccade(t, gx, gy, x, y)
        saccades.append(s)
        gx, gy = x, y
        t += s.duration_ms + rng.uniform(*FIXATION_MS)
    return targets, pursuit, saccades, end_ms


def _plan_pursuit(rng: np.random.Generator, appear_ms: float) -> _Pursuit:
    """The pursuit pass with its dot appearing at ``appear_ms``: the app's path for the
    viewport, and this recording's pursuit latency, catch-up time and lag."""
    points = np.array(pursuit_path(VIEWPORT_W_PX, VIEWPORT_H_PX), float)
    return _Pursuit(appear_ms=appear_ms, motion_start_ms=appear_ms + C.PURSUIT_STILL_MS,
                    path_ms=points[:, 0], path_px=points[:, 1:],
                    latency_after_ms=rng.uniform(*PURSUIT_LATENCY_MS),
                    catch_up_after_ms=rng.uniform(*PURSUIT_CATCH_UP_MS),
                    lag_ms=rng.uniform(*PURSUIT_LAG_MS))


def _pursuit_track(pursuit: _Pursuit, t_ms: np.ndarray) -> np.ndarray:
    """(n, 2) where the eyes are while they follow the dot, at times ``t_ms`` from its
    motion start on (before it: the path's start). Until the pursuit latency they stay on
    the start; then they move PURSUIT_ONSET_GAIN as fast as the dot (delayed by the
    latency) until the catch-up saccade (main-sequence duration, minimum-jerk profile)
    takes them onto the path ``lag_ms`` behind the dot, where they stay; after the
    motion that lagged point comes to rest where the dot stopped."""
    start = pursuit.path_px[0]

    def early(t):  # open-loop pursuit, too slow: the eyes fall behind (the dot is still before its start)
        return start + PURSUIT_ONSET_GAIN * (pursuit.dot(t - pursuit.latency_after_ms) - start)

    t_ms = np.asarray(t_ms, float)
    before, steady = early(t_ms), pursuit.dot(t_ms - pursuit.lag_ms)
    onset = np.array([pursuit.motion_start_ms + pursuit.catch_up_after_ms])
    jump = _saccade(0.0, *early(onset)[0], *pursuit.dot(onset - pursuit.lag_ms)[0])
    u = np.clip((t_ms - onset[0]) / jump.duration_ms, 0.0, 1.0)[:, None]
    blend = u**3 * (10.0 - 15.0 * u + 6.0 * u * u)  # minimum-jerk, as the other saccades
    return before + blend * (steady - before)


def _gaze_track(saccades: list[_Saccade], t_ms: np.ndarray, rng: np.random.Generator,
                pursuit: _Pursuit | None = None, pursuit_rng: np.random.Generator | None = None) -> np.ndarray:
    """(n, 2) gaze points, viewport px, at times t_ms: the saccade plan plus fixational
    drift; with ``pursuit``, from its motion start to the next saccade the eyes follow
    the dot (``_pursuit_track``) and, while it moves, carry pursuit noise drawn from
    ``pursuit_rng`` (required then)."""
    out = np.empty((len(t_ms), 2))
    gx, gy = VIEWPORT_W_PX / 2, VIEWPORT_H_PX / 2
    k = 0
    for i, t in enumerate(t_ms):
        while k < len(saccades) and saccades[k].onset_ms <= t:
            gx, gy = saccades[k].x1, saccades[k].y1
            k += 1
        out[i] = gx, gy
        if k > 0:
            s = saccades[k - 1]
            u = (t - s.onset_ms) / s.duration_ms
            if u < 1.0:
                p = u**3 * (10.0 - 15.0 * u + 6.0 * u * u)  # minimum-jerk position profile
                out[i] = s.x0 + p * (s.x1 - s.x0), s.y0 + p * (s.y1 - s.y0)
    px_per_deg = HEAD_DISTANCE_MM * math.tan(math.radians(1.0)) / _mm_per_px()
    if pursuit is not None:
        after = [s.onset_ms for s in saccades if s.onset_ms > pursuit.motion_start_ms]
        follow = (t_ms >= pursuit.motion_start_ms) & (t_ms < (after[0] if after else math.inf))
        out[follow] = _pursuit_track(pursuit, t_ms[follow])
        moving = np.flatnonzero((t_ms >= pursuit.motion_start_ms + pursuit.latency_after_ms)
                                & (t_ms <= pursuit.motion_end_ms))
        decay = math.exp(-1000.0 / FPS / PURSUIT_NOISE_TAU_MS)
        kick = PURSUIT_NOISE_DEG * math.sqrt(1.0 - decay * decay)
        noise = pursuit_rng.standard_normal(2) * PURSUIT_NOISE_DEG  # stationary from the start
        for i in moving:
            out[i] += noise * px_per_deg
            noise = decay * noise + kick * pursuit_rng.standard_normal(2)
    # Ornstein-Uhlenbeck drift in degrees, converted to px on the screen.
    decay = math.exp(-1000.0 / FPS / GAZE_JITTER_TAU_MS)
    kick = GAZE_JITTER_DEG * math.sqrt(1.0 - decay * decay)
    drift = np.zeros(2)
    for i in range(len(t_ms)):
        drift = decay * drift + kick * rng.standard_normal(2)
        out[i] += drift * px_per_deg
    return out


def _smooth_curve(rng: np.random.Generator, n: int, sigma_ms: float, amplitude: float) -> np.ndarray:
    """A smooth random curve of n frames, Gaussian-filtered white noise scaled so that
    its largest magnitude is ``amplitude``."""
    sigma = sigma_ms * FPS / 1000.0
    half = int(math.ceil(4 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    noise = rng.standard_normal(n + 2 * half)
    curve = np.convolve(noise, kernel / kernel.sum(), mode="valid")[:n]
    peak = np.max(np.abs(curve))
    return curve * (amplitude / peak) if peak > 0 else curve


def _blink_track(rng: np.random.Generator, t_ms: np.ndarray, end_ms: float) -> tuple[np.ndarray, np.ndarray]:
    """(closure 0..1, in_blink bool) per frame. closure is how far the upper lid has come
    down towards the lower one; in_blink marks frames inside a blink's BLINK_MS."""
    closure = np.zeros(len(t_ms))
    in_blink = np.zeros(len(t_ms), bool)
    onset = rng.uniform(*BLINK_FIRST_MS)
    while onset < end_ms:
        u = (t_ms - onset) / BLINK_MS
        inside = (u >= 0) & (u < 1)
        down = np.clip(u / 0.4, 0, 1)
        up = np.clip((1.0 - u) / 0.5, 0, 1)
        c = np.minimum(down, up)
        c = c * c * (3 - 2 * c)  # smoothstep: lids accelerate and brake
        closure = np.where(inside, np.maximum(closure, c), closure)
        in_blink |= inside
        onset += rng.uniform(*BLINK_INTERVAL_MS)
    return closure, in_blink


# --- 3D model ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pose:
    """A head pose: world point -> ``rot @ point + offset``; and, for inverting the image
    map, a texture point near the face's centre with the inverse 2x2 Jacobian there."""

    rot: np.ndarray
    offset: np.ndarray
    centre_tex: np.ndarray | None
    inv_jac: np.ndarray | None

    def move(self, points: np.ndarray) -> np.ndarray:
        return points @ self.rot.T + self.offset


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """Head rotation in the world frame. yaw > 0 turns the face towards the viewer's right
    (screen +x); pitch > 0 turns it up; roll > 0 tilts the head towards the subject's
    right shoulder (the right eye, on the image's left, goes down)."""
    y, p, r = (math.radians(a) for a in (yaw_deg, pitch_deg, roll_deg))
    ry = np.array([[math.cos(y), 0, -math.sin(y)], [0, 1, 0], [math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), math.sin(p)], [0, -math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return rz @ ry @ rx


class _Rig:
    """Camera, screen, the head surface and the two eyes (index 0 = subject's right, 1 = left).

    Built from the neutral frame positions of the photo's iris centres and nose tip (frame
    px). All world coordinates are mm; image coordinates are frame px with pixel edges at
    integers; texture coordinates are neutral frame px plus TEXTURE_MARGIN_PX.
    """

    def __init__(self, iris_img_px: np.ndarray, nose_img_px: np.ndarray):
        self.cx, self.cy = WIDTH_PX / 2, HEIGHT_PX / 2
        # Eyeball centres on the camera rays through the photo's irises, at the head distance,
        # EYE_SEPARATION_MM apart: that fixes the focal length.
        self.f = float(np.hypot(*(iris_img_px[0] - iris_img_px[1]))) * HEAD_DISTANCE_MM / EYE_SEPARATION_MM
        self.centers0 = np.array([self.unproject(p, HEAD_DISTANCE_MM) for p in iris_img_px])
        self.pivot = self.centers0.mean(axis=0) + np.array(HEAD_PIVOT_OFFSET_MM)
        # The face surface passes through the eye openings, LID_ANCHOR_MM in front of the
        # eyeball centres: the iris (IRIS_PLANE_MM in front) is drawn where it belongs.
        self.anchor_z = HEAD_DISTANCE_MM - LID_ANCHOR_MM
        mid = self.centers0.mean(axis=0) * self.anchor_z / HEAD_DISTANCE_MM
        self.mid_xy = mid[:2]
        self.eye_dx = 0.5 * abs(self.centers0[0, 0] - self.centers0[1, 0]) * self.anchor_z / HEAD_DISTANCE_MM
        self.nose_dy = float(self.unproject(nose_img_px, self.anchor_z)[1] - mid[1])
        self.depth0 = 0.0
        self.depth0 = float(np.mean(self.depth(np.array([-self.eye_dx, self.eye_dx]), np.zeros(2))))

    def depth(self, hx: np.ndarray, hy: np.ndarray) -> np.ndarray:
        """Surface depth towards the camera (mm) at face coordinates (mm from the point between
        the eye openings, hy down), 0 at the eye openings (see "Head surface")."""
        lim = HEAD_CURVE_MAX_RAD
        d = HEAD_RADIUS_X_MM * (np.cos(np.clip(hx / HEAD_RADIUS_X_MM, -lim, lim)) - 1.0)
        d += HEAD_RADIUS_Y_MM * (np.cos(np.clip((hy - FACE_CREST_Y_MM) / HEAD_RADIUS_Y_MM, -lim, lim)) - 1.0)
        t = np.clip(hy / self.nose_dy, 0.0, 1.0)  # 0 at the bridge, 1 at the tip
        height = NOSE_BRIDGE_MM + (NOSE_TIP_MM - NOSE_BRIDGE_MM) * t
        up = _smoothstep(1.0 + hy / NOSE_FADE_MM)  # the ridge fades into the forehead...
        down = _smoothstep(1.0 - (hy - self.nose_dy) / NOSE_FADE_MM)  # ...and ends below the tip
        sigma = NOSE_SIGMA_X_MM[0] + (NOSE_SIGMA_X_MM[1] - NOSE_SIGMA_X_MM[0]) * t
        d += height * up * down * np.exp(-0.5 * (hx / sigma) ** 2)
        for ex in (-self.eye_dx, self.eye_dx):
            d -= EYE_SOCKET_MM * np.exp(-((hx - ex) ** 2 + hy**2) / (2 * EYE_SOCKET_SIGMA_MM**2))
        return d - self.depth0

    def surface(self, tex: np.ndarray) -> np.ndarray:
        """World points (..., 3) of the head surface, neutral pose, seen at texture px (..., 2)."""
        px = tex[..., 0] - TEXTURE_MARGIN_PX - self.cx
        py = tex[..., 1] - TEXTURE_MARGIN_PX - self.cy
        k = self.anchor_z / self.f
        z = self.anchor_z - self.depth(-px * k - self.mid_xy[0], py * k - self.mid_xy[1])
        return np.stack([-px * z / self.f, py * z / self.f, z], axis=-1)

    def pose(self, yaw_deg, pitch_deg, roll_deg, shift_mm) -> _Pose:
        """The head's rigid motion for these angles (deg) and shift (mm)."""
        rot = _rotation(yaw_deg, pitch_deg, roll_deg)
        offset = self.pivot - self.pivot @ rot.T + np.asarray(shift_mm, float)
        pose = _Pose(rot, offset, None, None)
        centre = np.array([[FACE_CENTER_PX[0] + TEXTURE_MARGIN_PX, FACE_CENTER_PX[1] + TEXTURE_MARGIN_PX]])
        jac = self.texture_jacobian(centre, pose)[0]
        return _Pose(rot, offset, centre[0], np.linalg.inv(jac))

    def to_image(self, tex: np.ndarray, pose: _Pose) -> np.ndarray:
        """Frame px (..., 2) where the surface at texture px (..., 2) appears in ``pose``."""
        w = self.surface(tex) @ pose.rot.T + pose.offset
        return np.stack([self.cx - self.f * w[..., 0] / w[..., 2], self.cy + self.f * w[..., 1] / w[..., 2]], axis=-1)

    def texture_jacobian(self, tex: np.ndarray, pose: _Pose, h: float = 0.25) -> np.ndarray:
        """d(frame px)/d(texture px) at texture points (n, 2): (n, 2, 2), central differences."""
        cols = []
        for e in (np.array([h, 0.0]), np.array([0.0, h])):
            cols.append((self.to_image(tex + e, pose) - self.to_image(tex - e, pose)) / (2 * h))
        return np.stack(cols, axis=-1)

    def to_texture(self, img: np.ndarray, pose: _Pose) -> np.ndarray:
        """Texture px (..., 2) of the surface point seen at frame px (..., 2) in ``pose``:
        fixed-point iteration preconditioned with the inverse Jacobian at the face centre
        (the map is close to that affine one, so each step shrinks the miss ~5x)."""
        img = np.asarray(img, float)
        c_img = self.to_image(pose.centre_tex[None], pose)[0]
        t = pose.centre_tex + (img - c_img) @ pose.inv_jac.T
        for _ in range(INVERSE_ITERATIONS):
            t = t + (img - self.to_image(t, pose)) @ pose.inv_jac.T
        # Newton steps with each point's own Jacobian finish where the surface bends most
        # (the nose), to well under 0.01 px.
        flat = t.reshape(-1, 2)
        goal = img.reshape(-1, 2)
        for _ in range(NEWTON_STEPS):
            jac = self.texture_jacobian(flat, pose)
            flat = flat + np.linalg.solve(jac, (goal - self.to_image(flat, pose))[..., None])[..., 0]
        return flat.reshape(t.shape)

    def unproject(self, p, z_mm: float) -> np.ndarray:
        return np.array([-(p[0] - self.cx) * z_mm / self.f, (p[1] - self.cy) * z_mm / self.f, z_mm])

    def project(self, point) -> np.ndarray:
        x, y, z = point
        return np.array([self.cx - self.f * x / z, self.cy + self.f * y / z])

    def jacobian(self, point) -> np.ndarray:
        """d(u, v)/d(X, Y, Z) of the projection at ``point``: 2x3, px per mm."""
        x, y, z = point
        return np.array([[-self.f / z, 0.0, self.f * x / z**2], [0.0, self.f / z, -self.f * y / z**2]])

    @staticmethod
    def screen_point(x_px: float, y_px: float) -> np.ndarray:
        """World position of a viewport point (CSS px) on the screen."""
        return np.array([
            (x_px / VIEWPORT_W_PX - 0.5) * SCREEN_W_MM,
            CAMERA_ABOVE_SCREEN_MM + y_px / VIEWPORT_H_PX * SCREEN_H_MM,
            0.0,
        ])

    def eye(self, center: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One eye aimed at ``target`` (world mm): (iris centre px, 2x2 matrix mapping the unit
        disc onto the iris ellipse in px, corneal reflection px)."""
        g = target - center
        g /= np.linalg.norm(g)
        iris = center + IRIS_PLANE_MM * g
        a = np.array([g[2], 0.0, -g[0]])
        a /= np.linalg.norm(a)
        b = np.cross(g, a)
        disc = IRIS_RADIUS_MM * self.jacobian(iris) @ np.stack([a, b], axis=1)
        cornea = center + CORNEA_CENTER_MM * g
        to_cam = -cornea / np.linalg.norm(cornea)
        to_light = np.asarray(LIGHT_MM) - cornea
        to_light /= np.linalg.norm(to_light)
        normal = to_cam + to_light
        glint = cornea + CORNEA_RADIUS_MM * normal / np.linalg.norm(normal)
        return self.project(iris), disc, self.project(glint)


# --- Photo, texture and eyes ---------------------------------------------------------------


class _Placement:
    """Photo px <-> texture px for the neutral pose. The texture is the neutral frame
    with TEXTURE_MARGIN_PX of extra room on every side."""

    def __init__(self, face_width_px: float):
        self.scale = face_width_px / face_image.FACE_WIDTH_SRC  # texture px per photo px
        self.origin = np.array(FACE_CENTER_PX) + TEXTURE_MARGIN_PX - self.scale * np.array(face_image.FACE_CENTER_SRC)

    def tex(self, src) -> np.ndarray:
        return self.origin + self.scale * np.asarray(src, float)


def _head_texture(photo, place: _Placement) -> np.ndarray:
    """The photo's head cut out (face_image's soft mask) on the plain wall, neutral pose,
    as a float32 (H, W, 3) texture in 0..255."""
    premult, alpha = face_image.Sprite(photo).layers(face_image.MASK_LARGE)
    size = (WIDTH_PX + 2 * TEXTURE_MARGIN_PX, HEIGHT_PX + 2 * TEXTURE_MARGIN_PX)
    s = place.scale
    inverse = (1 / s, 0.0, -place.origin[0] / s, 0.0, 1 / s, -place.origin[1] / s)
    layers = [
        np.asarray(im.transform(size, Image.Transform.AFFINE, inverse, Image.Resampling.BICUBIC, fillcolor=0),
                   np.float32)
        for im in (premult, alpha)
    ]
    a = layers[1][..., None] / 255.0
    return layers[0] + np.asarray(face_image.BACKGROUND_RGB, np.float32) * (1.0 - a)


def _sample(img: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear samples of an (H, W, C) image at continuous positions (pixel edges at
    integers), clamped to the image."""
    h, w = img.shape[:2]
    fx = np.clip(x - 0.5, 0, w - 1.001)
    fy = np.clip(y - 0.5, 0, h - 1.001)
    x0, y0 = fx.astype(int), fy.astype(int)
    tx, ty = (fx - x0)[..., None], (fy - y0)[..., None]
    top = img[y0, x0] * (1 - tx) + img[y0, x0 + 1] * tx
    bottom = img[y0 + 1, x0] * (1 - tx) + img[y0 + 1, x0 + 1] * tx
    return top * (1 - ty) + bottom * ty


def _ramp(t: np.ndarray) -> np.ndarray:
    """Coverage of a pixel by a half-plane whose edge is t pixel widths inside it."""
    return np.clip(t + 0.5, 0.0, 1.0)


class _Eye:
    """One eye of the texture: everything precomputed to redraw its patch each frame.

    Patch pixels are addressed by their centres in texture px. ``render`` returns the patch
    (float RGB) for an iris ellipse, a corneal reflection and a lid state.
    """

    def __init__(self, side: str, texture: np.ndarray, place: _Placement):
        s = place.scale
        upper = place.tex(UPPER_LID_SRC[side]) + np.array([0.0, UPPER_LID_DOWN_SRC * s])
        lower = place.tex(LOWER_LID_SRC[side])
        self.iris0 = place.tex(IRIS_CENTER_SRC[side])
        self.radius0 = IRIS_RADIUS_SRC * s
        x_lo, x_hi = lower[0, 0], lower[-1, 0]
        self.width = float(np.hypot(*(lower[-1] - lower[0])))  # corner to corner
        skin = LID_SKIN_SRC * s
        self.x0 = int(math.floor(x_lo - 3 * s))
        self.x1 = int(math.ceil(x_hi + 3 * s))
        self.y0 = int(math.floor(upper[:, 1].min() - skin - 2 * s))
        self.y1 = int(math.ceil(lower[:, 1].max() + 3 * s))
        xs = np.arange(self.x0, self.x1) + 0.5
        ys = np.arange(self.y0, self.y1) + 0.5
        self.xs, self.ys = np.meshgrid(xs, ys)
        self.edge = LID_EDGE_SRC * s
        self.iris_edge = IRIS_EDGE_SRC * s
        self.skin = skin
        self.lash = LASH_SRC * s
        self.overlap = BLINK_OVERLAP_SRC * s
        self.shadow_px = IRIS_SHADOW_SRC * s
        self.glint_sigma = GLINT_SIGMA_SRC * s
        sigma = EYEBALL_BLUR_SRC * s
        half = int(math.ceil(3 * sigma))
        kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
        self.blur_kernel = kernel / kernel.sum()

        lid_u = lambda x: np.interp(x, upper[:, 0], upper[:, 1])  # noqa: E731
        lid_l = lambda x: np.interp(x, lower[:, 0], lower[:, 1])  # noqa: E731
        inside = (xs > x_lo) & (xs < x_hi)
        # Outside the corners the "opening" is closed: upper lid = lower lid.
        self.upper = np.where(inside, np.minimum(lid_u(xs), lid_l(xs)), lid_l(xs))
        self.lower = lid_l(xs)
        height = self.lower - self.upper
        self.taper = height / height.max()  # lid movements vanish at the corners

        original = texture[self.y0:self.y1, self.x0:self.x1]
        self.base = self._remove_iris(texture, place, lid_u, lid_l, original)
        # Sclera under the lids: the inpainted white, its top and bottom rows continued
        # beyond the neutral opening (shown when the upper lid rises).
        y_clamped = np.clip(self.ys, self.upper + 0.6 * s, self.lower - 0.4 * s)
        self.sclera = _sample(self._with_base(texture), self.xs, y_clamped)
        self.profile_r, self.profile_rgb = self._iris_profile(original, place, side)

    def _with_base(self, texture: np.ndarray) -> np.ndarray:
        out = texture.copy()
        out[self.y0:self.y1, self.x0:self.x1] = self.base
        return out

    def _remove_iris(self, texture, place, lid_u, lid_l, original) -> np.ndarray:
        """The patch with the photo's iris replaced by what lies beside it.

        Inside a band over the iris, each pixel is interpolated between samples to the left
        and right of the iris taken on the same lid-following curve: the same fraction of
        the way from upper to lower lid inside the opening, the same distance above the upper
        (below the lower) lid outside it. So sclera continues sclera, lashes continue lashes.
        """
        s = place.scale
        reach = self.radius0 + FILL_MARGIN_SRC * s
        cx = self.iris0[0]
        x, y = self.xs, self.ys
        yu, yl = lid_u(x), lid_l(x)
        open_h = np.maximum(yl - yu, 1e-3)
        frac = (y - yu) / open_h
        above = y < yu
        below = y > yl

        def on_curve(xq):
            """y on the same lid-following curve as each patch pixel, at column xq."""
            qu, ql = lid_u(xq), lid_l(xq)
            return np.where(above, qu + (y - yu), np.where(below, ql + (y - yl), qu + frac * (ql - qu)))

        offsets = np.linspace(0.0, FILL_SAMPLES_SRC * s, 4)
        left = np.mean([_sample(texture, np.full_like(x, cx - reach - d), on_curve(cx - reach - d)) for d in offsets],
                       axis=0)
        right = np.mean([_sample(texture, np.full_like(x, cx + reach + d), on_curve(cx + reach + d)) for d in offsets],
                        axis=0)
        t = np.clip((x - (cx - reach)) / (2 * reach), 0, 1)[..., None]
        fill = left * (1 - t) + right * t
        # The band: the iris's columns, from above the lash line to below the lower lid.
        feather = 0.8 * s
        wx = np.clip((reach - np.abs(x - cx)) / feather, 0, 1)
        wy = np.clip((y - (yu - 2.0 * s)) / feather, 0, 1) * np.clip(((yl + 1.5 * s) - y) / feather, 0, 1)
        w = (wx * wy)[..., None]
        return original * (1 - w) + fill * w

    def _iris_profile(self, original, place, side) -> tuple[np.ndarray, np.ndarray]:
        """Iris colour as a function of radius (texture px), from 0 to the radius.

        Inner part: median colour of the photo's visible iris pixels (inside the opening, away
        from the catchlight) in rings. Outer part: the last ring's colour darkening towards the
        rim, because there the photo's pixels are already mixed with the white.
        """
        s = place.scale
        r = np.hypot(self.xs - self.iris0[0], self.ys - self.iris0[1])
        glint = place.tex(GLINT_SRC[side])
        visible = (self.ys > self.upper + 0.5 * s) & (self.ys < self.lower - 0.3 * s)
        far_from_glint = np.hypot(self.xs - glint[0], self.ys - glint[1]) > 1.2 * s
        use = visible & far_from_glint & (r < IRIS_PROFILE_MAX * self.radius0)
        edges = np.linspace(0.0, IRIS_PROFILE_MAX * self.radius0, 7)
        centers, colours = [], []
        for lo, hi in zip(edges[:-1], edges[1:]):
            sel = use & (r >= lo) & (r < hi)
            if sel.sum() >= 3:
                centers.append((lo + hi) / 2)
                colours.append(np.median(original[sel], axis=0))
        if len(centers) < 2:
            raise ValueError(f"too few visible iris pixels in the {side} eye; check the eye constants")
        centers.append(self.radius0)
        colours.append(colours[-1] * LIMBUS_DARKEN)
        return np.array(centers), np.array(colours)

    def lid_line(self, closure: float, follow_px: float) -> np.ndarray:
        """Upper lid per patch column: neutral, moved by the gaze (follow_px, + = down)
        and by a blink (closure 0..1 of the way to just over the lower lid)."""
        moved = self.upper + follow_px * self.taper
        moved = np.clip(moved, self.upper - 0.5 * self.skin, self.lower)
        return moved + closure * (self.lower + self.overlap * self.taper - moved)

    def render(self, iris_px, disc_px, glint_px, closure: float, follow_px: float) -> np.ndarray:
        """The patch (float32 RGB, 0..255) with the iris ellipse ``disc_px`` (2x2: unit disc ->
        texture px) centred at ``iris_px``, the reflection at ``glint_px`` and the lid state."""
        x, y = self.xs, self.ys
        lid = self.lid_line(closure, follow_px)

        # Eyeball: sclera, then the iris through its ellipse, darkened just below the lid.
        inv = np.linalg.inv(disc_px)
        dx, dy = x - iris_px[0], y - iris_px[1]
        ux = inv[0, 0] * dx + inv[0, 1] * dy
        uy = inv[1, 0] * dx + inv[1, 1] * dy
        rho = np.hypot(ux, uy)
        radius = math.sqrt(abs(np.linalg.det(disc_px)))
        rr = rho * self.radius0
        iris = np.stack([np.interp(rr, self.profile_r, self.profile_rgb[:, c]) for c in range(3)], axis=-1)
        shade = 1.0 - IRIS_SHADOW * np.exp(-np.maximum(y - lid, 0.0) / self.shadow_px)
        iris *= shade[..., None]
        alpha = np.clip((1.0 - rho) * radius / self.iris_edge + 0.5, 0, 1)[..., None]
        eyeball = self.sclera * (1 - alpha) + iris * alpha
        g = GLINT_STRENGTH * np.exp(-((x - glint_px[0]) ** 2 + (y - glint_px[1]) ** 2) / (2 * self.glint_sigma**2))
        g = g * np.clip(1.3 - rho, 0, 1)  # only on the cornea
        eyeball += (np.asarray(GLINT_RGB) - eyeball) * g[..., None]
        eyeball = _blur(eyeball, self.blur_kernel)

        # Skin above the moved lid: the lash line moves with the lid; the band of lid skin
        # above it stretches (or squeezes) to stay attached to the crease. The lash line ends
        # a little above the white while the lid closes, so a closed lid's edge is lashes.
        shift = lid - self.upper
        top = self.upper - self.skin
        lash_top = self.upper - self.lash
        scale = (lash_top - top) / np.maximum(lash_top + shift - top, 1e-3)
        lash_end = self.upper - closure * self.edge
        y_above = np.where(y <= lash_top + shift, top + (y - top) * scale, np.minimum(y - shift, lash_end))
        y_above = np.where(y < top, y, y_above)
        # Skin below the moved lid: it only shows through the opening's soft edges, so there
        # it is the nearer lid's edge (never the white behind it); below the eye, the lower lid.
        nearer_upper = (y - lid) < (self.lower - y)
        y_below = np.where(nearer_upper, self.upper - 0.3 * self.edge, np.maximum(y, self.lower + 0.3 * self.edge))
        w = _ramp((lid - y) / self.edge)[..., None]
        skin = _sample_rows(self.base, self.y0, y_above) * w + _sample_rows(self.base, self.y0, y_below) * (1 - w)

        # Opening: below the moved upper lid and above the lower lid; fades where it is thin.
        open_ = _ramp(np.minimum(y - lid, self.lower - y) / self.edge)
        open_ *= np.clip((self.lower - lid) / self.edge, 0, 1)
        m = open_[..., None]
        return skin * (1 - m) + eyeball * m


def _blur(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Separable blur of an (H, W, C) image with a 1D kernel; edges replicated."""
    half = len(kernel) // 2
    for axis in (0, 1):
        pad = [(0, 0)] * img.ndim
        pad[axis] = (half, half)
        padded = np.pad(img, pad, mode="edge")
        n = img.shape[axis]
        img = sum(w * padded.take(np.arange(k, k + n), axis=axis) for k, w in enumerate(kernel))
    return img


def _sample_rows(patch: np.ndarray, y0: int, y: np.ndarray) -> np.ndarray:
    """patch sampled at each pixel's own column and continuous texture row y (linear)."""
    h = patch.shape[0]
    fy = np.clip(y - y0 - 0.5, 0, h - 1.001)
    i = fy.astype(int)
    t = (fy - i)[..., None]
    cols = np.arange(patch.shape[1])[None, :]
    return patch[i, cols] * (1 - t) + patch[i + 1, cols] * t


# --- Frames --------------------------------------------------------------------------------


class _Renderer:
    """The head texture with both eyes, the rig, and the per-frame drawing.

    The texture (uint8) always holds the latest eye patches; each frame overwrites them and
    warps the whole texture into the frame."""

    def __init__(self, photo, face_width_px: float):
        self.place = _Placement(face_width_px)
        texture = _head_texture(photo, self.place)
        self.eyes = [_Eye(side, texture, self.place) for side in ("right", "left")]
        for eye in self.eyes:
            texture[eye.y0:eye.y1, eye.x0:eye.x1] = eye.base
        self.texture = np.clip(np.rint(texture), 0, 255).astype(np.uint8)
        neutral_iris = np.array([e.iris0 for e in self.eyes]) - TEXTURE_MARGIN_PX
        self.rig = _Rig(neutral_iris, self.place.tex(NOSE_TIP_SRC) - TEXTURE_MARGIN_PX)
        # Mesh vertices (frame px, pixel edges) and the cells PIL fills from them.
        gx = np.arange(0, WIDTH_PX + 1, MESH_CELL_PX, dtype=float)
        gy = np.arange(0, HEIGHT_PX + 1, MESH_CELL_PX, dtype=float)
        self.grid = np.stack(np.meshgrid(gx, gy), axis=-1)  # (rows, cols, 2)
        self.cells = [(int(x), int(y), int(x) + MESH_CELL_PX, int(y) + MESH_CELL_PX)
                      for y in gy[:-1] for x in gx[:-1]]
        # Texture box outside which there is only wall: cells mapped entirely outside it
        # are left to PIL's fill colour (the same wall), which saves most of the drawing.
        head = np.any(self.texture != np.asarray(face_image.BACKGROUND_RGB, np.uint8), axis=2)
        rows, cols = np.flatnonzero(head.any(axis=1)), np.flatnonzero(head.any(axis=0))
        margin = 4.0  # the bicubic kernel's reach, and then some
        self.head_box = (cols[0] - margin, rows[0] - margin, cols[-1] + 1 + margin, rows[-1] + 1 + margin)

    def frame(self, gaze_px, head_deg, shift_mm, closure: float) -> tuple[np.ndarray, list, list]:
        """Render one frame: (RGB float32 (H, W, 3), iris centres in frame px, openness).
        openness is the upper-to-lower lid distance at the iris column over the eye's width."""
        rig = self.rig
        pose = rig.pose(*head_deg, shift_mm)
        centers = pose.move(rig.centers0)
        target = rig.screen_point(*gaze_px)
        irises, openness = [], []
        for eye, center in zip(self.eyes, centers):
            iris_img, disc_img, glint_img = rig.eye(center, target)
            iris_tex, glint_tex = rig.to_texture(np.array([iris_img, glint_img]), pose)
            # The iris ellipse in texture px: undo the surface's local stretch at the iris.
            disc_tex = np.linalg.inv(rig.texture_jacobian(iris_tex[None], pose)[0]) @ disc_img
            follow = LID_FOLLOW * (iris_tex[1] - eye.iris0[1])
            patch = eye.render(iris_tex, disc_tex, glint_tex, closure, follow)
            self.texture[eye.y0:eye.y1, eye.x0:eye.x1] = np.clip(np.rint(patch), 0, 255).astype(np.uint8)
            irises.append((float(iris_img[0]), float(iris_img[1])))
            col = int(np.clip(np.searchsorted(eye.xs[0], iris_tex[0]), 0, eye.xs.shape[1] - 1))
            lid = eye.lid_line(closure, follow)
            openness.append(float(max(eye.lower[col] - lid[col], 0.0) / eye.width))
        # PIL maps each output cell back into the texture through the quad of its corners'
        # texture positions (upper-left, lower-left, lower-right, upper-right).
        tex = rig.to_texture(self.grid, pose)
        ul, ll, lr, ur = tex[:-1, :-1], tex[1:, :-1], tex[1:, 1:], tex[:-1, 1:]
        quads = np.concatenate([ul, ll, lr, ur], axis=-1).reshape(-1, 8)
        x0, y0, x1, y1 = self.head_box
        xs, ys = quads[:, 0::2], quads[:, 1::2]
        keep = (xs.max(axis=1) >= x0) & (xs.min(axis=1) <= x1) & (ys.max(axis=1) >= y0) & (ys.min(axis=1) <= y1)
        mesh = [(cell, quad) for cell, quad, k in zip(self.cells, quads.tolist(), keep) if k]
        img = Image.fromarray(self.texture).transform(
            (WIDTH_PX, HEIGHT_PX), Image.Transform.MESH, mesh, Image.Resampling.BICUBIC,
            fillcolor=face_image.BACKGROUND_RGB)
        return np.asarray(img, np.float32), irises, openness


# --- Output ----------------------------------------------------------------------------------


def _ffmpeg_cmd(out_path: Path) -> list[str]:
    """face_image's bit-exact, single-threaded VP8 command with a webcam-like bitrate instead
    of the demo's cap, and a faster encoder setting (PSNR within 0.2 dB of cpu-used 1 on
    these frames, 5x faster)."""
    cmd = face_image.ffmpeg_webm_cmd(out_path)
    for flag, value in (("-b:v", WEBM_BITRATE), ("-crf", WEBM_CRF), ("-cpu-used", WEBM_CPU_USED)):
        cmd[cmd.index(flag) + 1] = value
    return cmd


def generate_recording(
    out_dir: str | os.PathLike,
    wheel_path: str | os.PathLike,
    *,
    seed: int = 0,
    free_viewing_s: float = DEFAULT_FREE_VIEWING_S,
    write_y4m: bool = False,
    face_width_px: float = DEFAULT_FACE_WIDTH_PX,
    head_motion: str = DEFAULT_HEAD_MOTION,
) -> Path:
    """Write one synthetic recording into ``out_dir`` (created if needed); return the path of
    its ``recording.json``.

    Files: recording.json, video.webm, truth.csv, eyes.csv and, if ``write_y4m``, video.y4m
    (~0.46 MB per frame; without it, a video.y4m already there is deleted). Each is written
    under a ``.part`` name and renamed when complete.
    Deterministic: the same arguments give byte-identical files.

    ``head_motion``: a key of HEAD_MOTION ("small", "medium", "large").

    Raises ValueError for a seed that is not an integer >= 0, ``free_viewing_s`` outside
    0..MAX_FREE_VIEWING_S, a ``face_width_px`` outside
    120..320 (the head would not fit or the eyes would be too coarse), an unknown
    ``head_motion`` or a wheel without the
    expected photo; FileNotFoundError for a missing wheel; RuntimeError if ffmpeg fails.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    if not 120.0 <= face_width_px <= 320.0:
        raise ValueError(f"face_width_px must be within 120..320, got {face_width_px!r}")
    if head_motion not in HEAD_MOTION:
        raise ValueError(f"head_motion must be one of {', '.join(HEAD_MOTION)}, got {head_motion!r}")
    motion = HEAD_MOTION[head_motion]
    wheel_path = Path(wheel_path)
    if not wheel_path.is_file():
        raise FileNotFoundError(f"scikit-image wheel not found: {wheel_path}")
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    pursuit_rng = np.random.default_rng([seed, 2])  # separate stream: the pass never shifts the rest
    targets, pursuit, saccades, end_ms = plan_scenario(rng, free_viewing_s, pursuit_rng)
    n = int(math.ceil(end_ms * FPS / 1000.0))
    t_ms = np.arange(n) * 1000.0 / FPS
    gaze = _gaze_track(saccades, t_ms, rng, pursuit, pursuit_rng)
    closure, in_blink = _blink_track(rng, t_ms, end_ms)
    yaw = _smooth_curve(rng, n, HEAD_SMOOTH_MS, motion["yaw_deg"])
    pitch = _smooth_curve(rng, n, HEAD_SMOOTH_MS, motion["pitch_deg"])
    roll = _smooth_curve(rng, n, HEAD_SMOOTH_MS, motion["roll_deg"])
    shift = np.stack([_smooth_curve(rng, n, HEAD_SMOOTH_MS, a) for a in motion["shift_mm"]], axis=1)
    gain = 1.0 + _smooth_curve(rng, n, LIGHT_SMOOTH_MS, LIGHT_DRIFT)
    noise_rng = np.random.default_rng([seed, 1])  # separate stream: noise never shifts the plan

    renderer = _Renderer(face_image.read_photo(wheel_path), face_width_px)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"webm": out_dir / "video.webm", "truth": out_dir / "truth.csv", "eyes": out_dir / "eyes.csv",
             "json": out_dir / "recording.json"}
    if write_y4m:
        paths["y4m"] = out_dir / "video.y4m"
    parts = {k: p.with_name(p.name + ".part") for k, p in paths.items()}
    try:
        with contextlib.ExitStack() as stack:
            sinks = []
            ffmpeg = subprocess.Popen(_ffmpeg_cmd(parts["webm"]), stdin=subprocess.PIPE)
            stack.callback(face_image.finish_ffmpeg, ffmpeg, parts["webm"])
            sinks.append(ffmpeg.stdin)
            if write_y4m:
                sinks.append(stack.enter_context(open(parts["y4m"], "wb")))
            truth = csv.writer(stack.enter_context(open(parts["truth"], "w", newline="")), lineterminator="\n")
            eyes = csv.writer(stack.enter_context(open(parts["eyes"], "w", newline="")), lineterminator="\n")
            truth.writerow(["frame", "t_ms", "gaze_x_px", "gaze_y_px", "blink",
                            "head_yaw_deg", "head_pitch_deg", "head_roll_deg",
                            "head_x_mm", "head_y_mm", "head_z_mm"])
            eyes.writerow(["frame", "t_ms", "right_iris_x_px", "right_iris_y_px", "left_iris_x_px",
                           "left_iris_y_px", "right_openness", "left_openness", "lid_closure"])
            for sink in sinks:
                sink.write(face_image.y4m_header())
            for k in range(n):
                rgb, irises, openness = renderer.frame(gaze[k], (yaw[k], pitch[k], roll[k]), shift[k], closure[k])
                rgb *= gain[k]
                rgb += noise_rng.standard_normal(rgb.shape, dtype=np.float32) * NOISE_SIGMA
                frame = b"FRAME\n" + face_image.to_i420(rgb)
                for sink in sinks:
                    sink.write(frame)
                gx, gy = ("", "") if in_blink[k] else (f"{gaze[k, 0]:.2f}", f"{gaze[k, 1]:.2f}")
                truth.writerow([k, f"{t_ms[k]:.3f}", gx, gy, int(in_blink[k]),
                                f"{yaw[k]:.3f}", f"{pitch[k]:.3f}", f"{roll[k]:.3f}",
                                *(f"{v:.3f}" for v in shift[k])])
                eyes.writerow([k, f"{t_ms[k]:.3f}", *(f"{v:.3f}" for p in irises for v in p),
                               *(f"{o:.4f}" for o in openness), f"{closure[k]:.3f}"])
        parts["json"].write_text(json.dumps(_recording_json(targets, pursuit, seed, free_viewing_s, n, renderer,
                                                            head_motion), indent=1) + "\n")
    except BaseException:
        for part in parts.values():
            part.unlink(missing_ok=True)
        raise
    for key, path in paths.items():
        os.replace(parts[key], path)
    if not write_y4m:
        # A video.y4m left by an earlier run would no longer show the same frames.
        (out_dir / "video.y4m").unlink(missing_ok=True)
    return paths["json"]


def _recording_json(targets: list[Target], pursuit: _Pursuit, seed: int, free_viewing_s: float, n_frames: int,
                    renderer: _Renderer, head_motion: str) -> dict:
    rig = renderer.rig
    r = lambda v, d=3: round(float(v), d)  # noqa: E731
    motion = HEAD_MOTION[head_motion]
    listed = sorted([t.to_dict() for t in targets if t.phase != "test"] + [pursuit.entry()],
                    key=lambda t: t["start_ms"])
    tests = [{k: v for k, v in t.to_dict().items() if k != "phase"} for t in targets if t.phase == "test"]
    # The normative part is made (and checked) by the package's own recording writer.
    return {
        **make_recording("video.webm", VIEWPORT_W_PX, VIEWPORT_H_PX, listed),
        "synthetic": {
            "generator": GENERATOR,
            "generator_version": GENERATOR_VERSION,
            "seed": seed,
            "test_targets": tests,
            "photo": face_image.PHOTO_IN_WHEEL,
            "photo_sha256": face_image.PHOTO_SHA256,
            "frames": n_frames,
            "fps": FPS,
            "frame_size_px": [WIDTH_PX, HEIGHT_PX],
            "truth": "truth.csv",
            "eyes": "eyes.csv",
            "scenario": {
                "start_ms": START_MS,
                "lead_in_ms": LEAD_IN_MS,
                "target_ms": TARGET_MS,
                "free_viewing_s": free_viewing_s,
                "fixation_ms": list(FIXATION_MS),
                "saccade_latency_ms": list(SACCADE_LATENCY_MS),
                "saccade_duration_ms": f"{SACCADE_BASE_MS} + {SACCADE_MS_PER_DEG} * amplitude_deg",
                "gaze_jitter_deg": GAZE_JITTER_DEG,
                "gaze_jitter_tau_ms": GAZE_JITTER_TAU_MS,
                "blink_interval_ms": list(BLINK_INTERVAL_MS),
                "blink_ms": BLINK_MS,
            },
            "pursuit": {
                "appear_ms": r(pursuit.appear_ms),
                "motion_start_ms": r(pursuit.motion_start_ms),
                "motion_end_ms": r(pursuit.motion_end_ms),
                "lag_ms": r(pursuit.lag_ms, 2),
                "latency_ms": r(pursuit.latency_after_ms, 2),
                "catch_up_saccade_ms": r(pursuit.catch_up_after_ms, 2),
                "onset_gain": PURSUIT_ONSET_GAIN,
                "noise_deg": PURSUIT_NOISE_DEG,
                "noise_tau_ms": PURSUIT_NOISE_TAU_MS,
                "times": "latency and catch_up_saccade after the motion start; the eyes trail the dot by lag",
            },
            "screen": {
                "width_mm": SCREEN_W_MM,
                "height_mm": r(SCREEN_H_MM),
                "camera_above_top_edge_mm": CAMERA_ABOVE_SCREEN_MM,
                "axes": "X right along the screen, Y down, Z from the screen towards the viewer; camera at the origin",
            },
            "camera": {
                "focal_length_px": r(rig.f),
                "image_size_px": [WIDTH_PX, HEIGHT_PX],
                "principal_point_px": [rig.cx, rig.cy],
                "horizontal_fov_deg": r(math.degrees(2 * math.atan(WIDTH_PX / 2 / rig.f)), 2),
                "mirrored": False,
            },
            "eye_model": {
                "head_distance_mm": HEAD_DISTANCE_MM,
                "eye_separation_mm": EYE_SEPARATION_MM,
                "eyeball_radius_mm": EYEBALL_RADIUS_MM,
                "iris_radius_mm": IRIS_RADIUS_MM,
                "cornea_radius_mm": CORNEA_RADIUS_MM,
                "cornea_center_mm": CORNEA_CENTER_MM,
                "eyeball_centers_mm": [[r(v, 2) for v in c] for c in rig.centers0],
                "light_mm": list(LIGHT_MM),
                "lid_follow": LID_FOLLOW,
                "face_width_px": r(renderer.place.scale * face_image.FACE_WIDTH_SRC, 1),
            },
            "head_surface_mm": {
                "radius_x": HEAD_RADIUS_X_MM, "radius_y": HEAD_RADIUS_Y_MM, "crest_y": FACE_CREST_Y_MM,
                "nose_bridge": NOSE_BRIDGE_MM, "nose_tip": NOSE_TIP_MM, "nose_tip_below_eyes": r(rig.nose_dy, 2),
                "eye_socket": EYE_SOCKET_MM,
            },
            "head_motion": {
                "level": head_motion,
                "yaw_deg": motion["yaw_deg"],
                "pitch_deg": motion["pitch_deg"],
                "roll_deg": motion["roll_deg"],
                "shift_mm": list(motion["shift_mm"]),
                "smoothing_ms": HEAD_SMOOTH_MS,
                "pivot_offset_mm": list(HEAD_PIVOT_OFFSET_MM),
                "angles": "relative to the photo's own pose; yaw > 0 face turns to screen +x, pitch > 0 up, "
                          "roll > 0 towards the subject's right shoulder",
                "rendering": "the photo on a 3-D head surface (depth from a smooth head shape and a nose), moved "
                             "rigidly and projected by the pinhole camera: parallax and foreshortening",
            },
            "camera_effects": {"light_drift": LIGHT_DRIFT, "noise_sigma": NOISE_SIGMA,
                               "webm": f"VP8 crf {WEBM_CRF}, max {WEBM_BITRATE}"},
            "simulated": ["per-eye vergence on the gaze point", "foreshortened iris", "corneal reflection",
                          "upper lid following vertical gaze", "blinks", "saccades (main sequence)",
                          "smooth pursuit (latency, catch-up saccade, lag, noise)",
                          "fixational drift", "head rotation and translation in 3-D (parallax, foreshortening)",
                          "lighting drift", "sensor noise", "VP8 compression"],
            "not_simulated": ["angle kappa", "corneal refraction", ("occlusion by the nose, ears and hair of a turning "
                                                                       "head (none at these angles)"), "shading changes of a turning head",
                              "pupil size changes", "lower-lid motion",
                              "pursuit gain below 1 and anticipation of the dot's turns", "motion blur", "rolling shutter",
                              "auto-exposure and white balance", "glasses"],
        },
    }


def recording_key(*, seed: int = 0, free_viewing_s: float = DEFAULT_FREE_VIEWING_S,
                  face_width_px: float = DEFAULT_FACE_WIDTH_PX, head_motion: str = DEFAULT_HEAD_MOTION) -> str:
    """A directory name for a cache of recordings: the parameters that change the video
    and the generator version, plus a hash of them (readable, and unique)."""
    params = {"generator_version": GENERATOR_VERSION, "seed": seed, "free_viewing_s": float(free_viewing_s),
              "face_width_px": float(face_width_px), "head_motion": head_motion,
              "motion": {k: list(v) if isinstance(v, tuple) else v for k, v in HEAD_MOTION[head_motion].items()}}
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:10]
    return f"synth-v{GENERATOR_VERSION}-{head_motion}-seed{seed}-face{face_width_px:g}-{digest}"


def cached_recording(cache_dir: str | os.PathLike, wheel_path: str | os.PathLike, **params) -> Path:
    """The recording directory for ``params`` (``generate_recording``'s keyword arguments
    but ``write_y4m``) under ``cache_dir``, generated first if it is not there yet."""
    directory = Path(cache_dir) / recording_key(**params)
    if not (directory / "recording.json").is_file():
        generate_recording(directory, wheel_path, **params)
    return directory


# --- CLI -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """CLI entry point. Returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", required=True, help="path to the scikit-image wheel (.whl)")
    parser.add_argument("--out", required=True, help="recording directory to write")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--free-viewing-s", type=float, default=DEFAULT_FREE_VIEWING_S,
                        help=f"free-viewing length in s (default {DEFAULT_FREE_VIEWING_S:g})")
    parser.add_argument("--face-width-px", type=float, default=DEFAULT_FACE_WIDTH_PX,
                        help=f"face width in the frame, px (default {DEFAULT_FACE_WIDTH_PX:g})")
    parser.add_argument("--head-motion", choices=list(HEAD_MOTION), default=DEFAULT_HEAD_MOTION,
                        help=f"head-motion level (default {DEFAULT_HEAD_MOTION})")
    parser.add_argument("--y4m", action="store_true", help="also write video.y4m (for a fake webcam)")
    args = parser.parse_args(argv)
    start = time.monotonic()
    try:
        path = generate_recording(args.out, args.wheel, seed=args.seed, free_viewing_s=args.free_viewing_s,
                                  write_y4m=args.y4m, face_width_px=args.face_width_px,
                                  head_motion=args.head_motion)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"synth_gaze: error: {exc}", file=sys.stderr)
        return 1
    print(f"{path}  ({time.monotonic() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
