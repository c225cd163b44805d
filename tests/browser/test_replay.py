"""`build.py replay` end to end (tools/replay.py in a subprocess, the same page and
worker as the live app): every frame of a WebM (VP8 and VP9) becomes a sample; a
hostile recording.json is refused before any file is opened."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gazeheat.session import validate_session

ROOT = Path(__file__).resolve().parents[2]
MEDIA = Path(os.environ.get("GAZEHEAT_MEDIA", ROOT / ".cache" / "media"))
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")

# Five 1-second calibration targets over the 6-second demo video (its face does not
# follow them: this checks the pipeline, not accuracy — the benchmark measures that).
TARGETS = [{"phase": "calibration", "x": x, "y": y, "start_ms": 200 + 1000 * i, "end_ms": 1150 + 1000 * i}
           for i, (x, y) in enumerate([(128, 72), (1152, 72), (640, 360), (128, 648), (1152, 648)])]


def make_recording(directory: Path, source: Path, name: str, **changes) -> Path:
    directory.mkdir()
    (directory / name).write_bytes(source.read_bytes())
    recording = {"format": "gazeheat.recording", "version": 1, "video": name,
                 "viewport": {"width": 1280, "height": 720}, "targets": TARGETS, **changes}
    (directory / "recording.json").write_text(json.dumps(recording))
    return directory


def replay(directory: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "tools" / "replay.py"), str(directory), "-o", str(out)],
                          capture_output=True, text=True, timeout=600)


def vp9_copy(tmp_path: Path) -> Path:
    out = tmp_path / "demo_vp9.webm"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(MEDIA / "demo.webm"),
                    "-c:v", "libvpx-vp9", "-b:v", "600k", "-deadline", "realtime", "-cpu-used", "8",
                    str(out)], check=True)
    return out


@pytest.mark.parametrize("codec", ["vp8", "vp9"])
def test_replay_turns_every_frame_into_a_sample(tmp_path, codec):
    video = MEDIA / "demo.webm" if codec == "vp8" else vp9_copy(tmp_path)
    directory = make_recording(tmp_path / "rec", video, f"webcam-{codec}.webm")
    out = tmp_path / "session.json"
    result = replay(directory, out)
    assert result.returncode == 0, result.stderr
    session = validate_session(json.loads(out.read_text()))
    frames = imageio_ffmpeg.count_frames_and_secs(str(video))[0]
    assert len(session["samples"]) == frames, (len(session["samples"]), frames)
    assert session["samples"][0]["t_ms"] == 0
    assert sum(s["x"] is not None for s in session["samples"]) > 0.9 * frames
    assert session["source"]["video"] == f"webcam-{codec}.webm"
    assert session["calibration_summary"]["n_targets"] == 5
    assert "warning" not in result.stderr
    assert "decoded by webcodecs" in result.stdout, "every frame: WebCodecs, not a playing <video>"


def test_replay_refuses_a_hostile_video_name(tmp_path):
    directory = make_recording(tmp_path / "rec", MEDIA / "demo.webm", "demo.webm", video="../../etc/passwd")
    result = replay(directory, tmp_path / "session.json")
    assert result.returncode == 1
    assert "plain file name" in result.stderr
    assert not (tmp_path / "session.json").exists()


def test_a_webcam_recording_saved_by_the_page_replays(open_page, tmp_path):
    """Record the (fake) webcam while calibrating and validating, download the zip,
    replay it: the recording format round trip through MediaRecorder's WebM."""

    from chromium import poll
    from conftest import calibrate_and_validate, download_webcam_recording, switch_setting

    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", 90)
    switch_setting(page, "smooth_pursuit", "off")  # the dots alone (tests/browser/test_pursuit.py: with it)
    page.keyboard.press("w")
    poll(page, "document.getElementById('btn-webcam-rec').getAttribute('aria-pressed') === 'true'", 20)
    calibrate_and_validate(page)
    directory = download_webcam_recording(page, tmp_path)
    recording = json.loads((directory / "recording.json").read_text())
    phases = [t["phase"] for t in recording["targets"]]
    # Nine dots (and any dot shown again: a busy machine can starve one of frames), then five.
    n_dots = phases.count("calibration")
    assert n_dots >= 9 and phases == ["calibration"] * n_dots + ["validation"] * 5, phases
    out = tmp_path / "session.json"
    result = replay(directory, out)
    assert result.returncode == 0, result.stderr
    assert "decoded by webcodecs" in result.stdout  # MediaRecorder's unknown-size clusters
    session = validate_session(json.loads(out.read_text()))
    assert session["calibration_summary"]["n_targets"] == n_dots
    assert len(session["validation"]["targets"]) == 5
    assert len(session["samples"]) > 25 * (recording["targets"][-1]["end_ms"] / 1000)
