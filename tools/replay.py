"""`python3 build.py replay RECORDING_DIR -o SESSION.json`: re-run the in-browser
pipeline (the same JS, MediaPipe and Pyodide code as the live page) headless in
Chromium on a recording, every frame, and write the session.

Runs inside the project's .venv (Playwright). The recording directory is served read-only
under /recording/ next to dist/; only plain file names directly inside it are served.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chromium import launch, poll, serve_dist  # noqa: E402

from playwright.sync_api import sync_playwright  # noqa: E402

#: Generous time for start-up plus per second of video on a slow machine.
STARTUP_S = 120
SECONDS_PER_VIDEO_SECOND = 20
UNKNOWN_DURATION_S = 600


def video_frames(path: Path) -> int | None:
    """Frame count of the video by ffmpeg (imageio-ffmpeg), or None if it cannot tell."""
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.count_frames_and_secs(str(path))[0]
    except Exception:  # noqa: BLE001 - only a cross-check; the replay itself decides
        return None


def replay(recording_dir: Path, out: Path, landmarks_out: Path | None = None) -> int:
    """Replay; write the session to ``out`` (and, if given, every frame's measurement to
    ``landmarks_out`` for offline model work: ``{"recording", "frames": [{"t_ms",
    "landmarks", "matrix", "image_w_px", "image_h_px", "eye_patches"}]}``, with
    ``eye_patches`` the page's 2 x 12 x 20 eye-patch values (js/eye_crop.js; null when
    the crop failed), or ``{"t_ms", "reason"}`` for a frame without a usable face).
    Returns a process exit code."""
    manifest = recording_dir / "recording.json"
    if not manifest.is_file():
        print(f"replay: {manifest} not found: RECORDING_DIR must hold recording.json", file=sys.stderr)
        return 2
    with serve_dist({"/recording/": recording_dir}) as url, sync_playwright() as p:
        browser = launch(p, None)
        try:
            page = browser.new_page()
            page.goto(url + "replay.html?recording=/recording/" + ("&dump=1" if landmarks_out else ""))
            started = time.monotonic()
            poll(page, "window.gazeheatReplay && window.gazeheatReplay.phase !== 'loading'", STARTUP_S)
            # MediaRecorder's WebM files do not state their duration (Infinity).
            duration_s = page.evaluate("document.getElementById('video').duration")
            if not isinstance(duration_s, (int, float)) or not 0 < duration_s < 36000:
                duration_s = UNKNOWN_DURATION_S
            deadline_s = STARTUP_S + SECONDS_PER_VIDEO_SECOND * duration_s
            state = poll(page, "['done', 'failed'].includes(window.gazeheatReplay.phase) "
                               "&& window.gazeheatReplay", deadline_s)
        finally:
            browser.close()
    if state["phase"] == "failed":
        print(f"replay: {state['error']}", file=sys.stderr)
        return 1
    session = state["session"]
    out.write_text(json.dumps(session, allow_nan=False) + "\n")
    if landmarks_out:
        landmarks_out.write_text(json.dumps({"recording": str(recording_dir), "frames": state["dump"]}))
    validation = session.get("validation") or {}
    print(f"replayed {state['frames']} frames ({state['noFace']} without a usable face, "
          f"{state['eyePatches']['missing']} without eye patches) in "
          f"{time.monotonic() - started:.1f} s, decoded by {state['decoder']}; wrote {out}")
    if validation:
        print(f"validation: accuracy {validation['accuracy_deg']:.2f} deg "
              f"({validation['accuracy_px']:.0f} px), precision {validation['precision_deg']:.2f} deg, "
              f"grade {validation['grade']}")
    models = session.get("models")
    if models:
        print("models: " + ", ".join(
            f"{name} {'-' if v['accuracy_deg'] is None else format(v['accuracy_deg'], '.2f')} deg"
            for name, v in models["variants"].items()) + f"; chosen {models['chosen']}")
    counted = video_frames(recording_dir / session["source"]["video"])
    if counted is not None and counted != state["frames"]:
        print(f"replay: warning: the video has {counted} frames, {state['frames']} were processed",
              file=sys.stderr)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="build.py replay", description=__doc__.splitlines()[0])
    parser.add_argument("recording_dir", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True, help="session JSON to write")
    parser.add_argument("--landmarks", type=Path,
                        help="also write every frame's landmarks and eye patches (JSON)")
    args = parser.parse_args(argv)
    return replay(args.recording_dir.resolve(), args.out, args.landmarks)


if __name__ == "__main__":
    sys.exit(main())
