"""The smooth-pursuit calibration pass in headless Chromium (issue #3, Deliver 2): with
the "Smooth-pursuit pass" setting on, a dot moves over the screen after the calibration
dots, the frames meanwhile are collected, the fit reports the pass (the fake camera's
face does not follow the dot, so it is left out), Escape cancels it, and a webcam
recording made meanwhile lists it as one ``pursuit`` entry that replays."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from chromium import VIEWPORT, poll
from conftest import download_webcam_recording, switch_setting

from gazeheat import constants as C
from gazeheat.recording import load_recording
from gazeheat.session import validate_session

ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 90
# The dots (9 x 2.5 s, a retry of bad dots, the pursuit's 13 s) on a busy 2-core machine.
CALIBRATION_S = 180


def wait_for_the_moving_dot(page) -> dict:
    """Start calibrating; return the hint and target state once the pursuit dot moves."""
    page.click("#btn-calibrate")
    poll(page, "window.gazeheatDebug.pursuit !== null && gazeheatDebug.pursuit.drawn > 0", CALIBRATION_S)
    poll(page, "document.getElementById('cal-target').classList.contains('moving')", 10, 0.05)
    return page.evaluate("""() => {
        const hint = document.getElementById('cal-hint');
        const visible = (sel) => getComputedStyle(hint.querySelector(sel)).display !== 'none';
        return {hintShown: !hint.hidden, mode: hint.dataset.mode, pursuitText: visible('.hint-pursuit'),
                dotsText: visible('.hint-dots'),
                index: Number(document.getElementById('cal-target').dataset.index),
                transition: getComputedStyle(document.getElementById('cal-target')).transitionDuration};
    }""")


def test_pursuit_run_timing_and_path(open_page):
    """PursuitRun (js/calibration.js) on a plan with the contract's numbers and a
    straight path: still phase, settle time, segment indices, interpolation, end, and
    the collected path the webcam recording gets."""
    page, _ = open_page("demo")
    result = page.evaluate("""async () => {
        const { PursuitRun } = await import('./js/calibration.js');
        // 0..12 s, x from 100 to 1300 px (0.1 px/ms), y constant; points every 50 ms.
        const points = [];
        for (let t = 0; t <= 12000; t += 50) points.push({t_ms: t, x_px: 100 + t / 10, y_px: 300});
        const plan = {first_index: 1000, still_ms: 1000, settle_ms: 500, segment_ms: 500,
                      duration_ms: 12000, lag_ms: 80, points};
        const run = new PursuitRun(plan, 10000);
        const at = (t) => run.stepAt(t);
        let refused = null;
        try { new PursuitRun({...plan, points: [points[0]]}, 0); } catch (e) { refused = e.message; }
        return {duration: run.duration_ms, still: at(10500), start: at(11000), settling: at(11499),
                first: at(11500), mid: at(11525), last: at(22999), done: at(23000),
                interval: run.interval(), path: run.collectedPath(), refused};
    }""")
    assert result["duration"] == 13000
    still = result["still"]
    assert still == {"index": 1000, "target": {"x_px": 100, "y_px": 300}, "lookedAt": {"x_px": 100, "y_px": 300},
                     "collecting": False, "fraction": 0, "moving": False, "pursuit": True}, still
    assert result["start"]["moving"] and not result["start"]["collecting"]
    assert result["settling"]["index"] == 1000 and not result["settling"]["collecting"]
    first = result["first"]
    assert first["index"] == 1000 and first["collecting"] and first["target"]["x_px"] == 150
    assert abs(first["lookedAt"]["x_px"] - 142) < 1e-9  # the dot 80 ms (8 px) earlier
    assert abs(result["mid"]["target"]["x_px"] - 152.5) < 1e-9  # between two points: linear
    assert result["last"]["index"] == 1022 and abs(result["last"]["target"]["x_px"] - 1299.9) < 1e-6
    assert result["done"] is None
    assert result["interval"] == {"start_ms": 11500, "end_ms": 23000}
    path = result["path"]
    assert path[0] == {"t_ms": 11500, "x_px": 150, "y_px": 300}
    assert path[-1] == {"t_ms": 23000, "x_px": 1300, "y_px": 300}
    assert len(path) == 231 and all(b["t_ms"] > a["t_ms"] for a, b in zip(path, path[1:]))
    assert "two points" in result["refused"]


def test_escape_cancels_the_pursuit_pass(open_page):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    assert switch_setting(page, "smooth_pursuit") == "on"  # the default
    shown = wait_for_the_moving_dot(page)
    assert shown["hintShown"] and shown["mode"] == "pursuit", shown
    assert shown["pursuitText"] and not shown["dotsText"], shown
    assert shown["index"] >= 1000, shown  # PURSUIT_FIRST_INDEX: segments, never dots
    assert shown["transition"] == "0s", shown  # drawn where it is, no glide
    page.keyboard.press("Escape")
    poll(page, "document.getElementById('cal-target').hidden", 5, 0.05)
    assert "cancelled" in page.inner_text("#message")
    assert page.evaluate("gazeheatDebug.calibration") is None
    assert not page.evaluate("gazeheatDebug.pursuit.finished")
    assert not page.is_disabled("#btn-calibrate")
    assert page.evaluate("gazeheatDebug.engineErrors") == 0
    assert page.errors == []


def test_pursuit_pass_calibrates_and_is_recorded_for_replay(open_page, tmp_path):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    assert switch_setting(page, "smooth_pursuit") == "on"  # the default
    page.keyboard.press("w")
    poll(page, "document.getElementById('btn-webcam-rec').getAttribute('aria-pressed') === 'true'", 20)
    wait_for_the_moving_dot(page)

    summary = poll(page, "window.gazeheatDebug.calibration", CALIBRATION_S)
    assert "error" not in summary, summary
    pursuit = page.evaluate("gazeheatDebug.pursuit")
    assert pursuit["finished"], pursuit
    # The dot went (nearly) everywhere: the path spans most of the window both ways.
    assert pursuit["distinct"] > 100, pursuit
    assert pursuit["max_x_px"] - pursuit["min_x_px"] > 0.6 * VIEWPORT["width"], pursuit
    assert pursuit["max_y_px"] - pursuit["min_y_px"] > 0.6 * VIEWPORT["height"], pursuit
    assert pursuit["collected"] > 60, pursuit  # ~30 frames/s for 11.5 s, some skipped
    # The demo face is a still photo moved by a camera drift (tools/demo_video.py): its
    # eyes never follow the dot, so the whole pass is left out (follow_r ~ 0; measured
    # -0.02), however loosely the dots fit.
    fitted = summary["pursuit"]
    assert fitted["segments"] == 0 and fitted["samples"] == 0, fitted
    assert 0 < fitted["dropped"] <= 23, fitted  # 11.5 s of 0.5 s segments
    assert fitted["follow_r"] is not None and fitted["follow_r"] < C.PURSUIT_MIN_FOLLOW_R, fitted
    assert all(i < 1000 for i in page.evaluate("gazeheatDebug.retried ?? []"))

    validation = poll(page, "window.gazeheatDebug.validation", CALIBRATION_S)
    assert "error" not in validation, validation
    poll(page, "document.getElementById('validation').open", 10)
    line = page.inner_text("#validation-pursuit")
    assert line == "Smooth-pursuit pass left out: the eyes did not follow the moving dot.", line
    page.click("#validation-accept")

    directory = download_webcam_recording(page, tmp_path)
    text = (directory / "recording.json").read_text()
    targets = json.loads(text)["targets"]
    phases = [t["phase"] for t in targets]
    n_dots = phases.index("pursuit")
    assert n_dots >= 9 and set(phases[:n_dots]) == {"calibration"}, phases
    assert phases.count("pursuit") == 1 and phases[-5:] == ["validation"] * 5, phases
    entry = targets[n_dots]
    path = entry["path"]
    times = [p["t_ms"] for p in path]
    assert all(b > a for a, b in zip(times, times[1:]))
    assert times[0] == entry["start_ms"] and times[-1] == entry["end_ms"], (times[0], times[-1], entry)
    assert (path[0]["x"], path[0]["y"]) == (entry["x"], entry["y"])
    assert abs(entry["end_ms"] - entry["start_ms"] - 11500) < 1, entry  # 12 s moving - 0.5 s settle
    assert entry["start_ms"] > targets[n_dots - 1]["end_ms"], (targets[n_dots - 1], entry)
    assert all(0 <= p["x"] <= VIEWPORT["width"] and 0 <= p["y"] <= VIEWPORT["height"] for p in path)
    recording = load_recording(text)  # the recording format accepts it
    assert len(recording.targets) == len(targets)

    out = tmp_path / "session.json"
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "replay.py"), str(directory), "-o", str(out)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    session = validate_session(json.loads(out.read_text()))
    replayed = session["calibration_summary"]["pursuit"]  # the same frames, judged the same way
    assert replayed["segments"] == 0 and replayed["dropped"] > 0, replayed
    assert replayed["follow_r"] < C.PURSUIT_MIN_FOLLOW_R, replayed
    assert len(session["validation"]["targets"]) == 5
    assert page.errors == []


def test_turned_off_the_dots_alone_calibrate(open_page):
    from conftest import calibrate_and_validate

    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    assert switch_setting(page, "smooth_pursuit", "off") == "off"
    summary, validation = calibrate_and_validate(page)
    assert "pursuit" not in summary, summary
    assert page.evaluate("gazeheatDebug.pursuit") is None  # the moving dot never ran
    assert summary["n_targets"] == 9 and "accuracy_deg" in validation
    assert page.errors == []
