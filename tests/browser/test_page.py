"""The whole pipeline in headless Chromium: fake webcam of a real face → MediaPipe →
Python in Pyodide → gaze dot → heatmap PNG. Loose bounds, no timing assertions."""
from __future__ import annotations

import time

from gazeheat.features import irises_inside_eyes
from gazeheat.png import decode_png_rgba
from chromium import VIEWPORT, poll

STARTUP_S = 90  # generous: CI machines are slow; benchmarks measure speed


def state(page) -> str:
    return page.evaluate("document.getElementById('status').dataset.state || ''")


def test_start_screen_explains_and_offers_both_sources(open_page):
    page, _ = open_page("demo")
    assert page.is_visible("#start-camera") and page.is_visible("#start-demo")
    assert "never leaves this device" in page.inner_text("#start")
    poll(page, "[...document.querySelectorAll('#loading-list li')].every(li => li.className === 'done')",
         STARTUP_S)


def test_landmarks_found_with_irises_inside_the_eyes(open_page):
    page, _ = open_page("demo", "source=camera&debug=1")
    poll(page, "window.gazeheatDebug.faceFrames > 0", STARTUP_S)
    start = page.evaluate("({f: gazeheatDebug.frames, ff: gazeheatDebug.faceFrames})")
    checked = inside = 0
    while checked < 40:
        landmarks = page.evaluate("gazeheatDebug.lastLandmarks")
        checked += 1
        inside += bool(landmarks) and irises_inside_eyes(landmarks, 640, 480)
        time.sleep(0.1)
    end = page.evaluate("({f: gazeheatDebug.frames, ff: gazeheatDebug.faceFrames})")
    frames, face_frames = end["f"] - start["f"], end["ff"] - start["ff"]
    assert frames >= 30, f"only {frames} frames processed in 4 s"
    assert face_frames / frames >= 0.95, f"face found on {face_frames}/{frames} frames"
    assert inside / checked >= 0.95, f"irises inside the eyes on {inside}/{checked} samples"
    assert page.evaluate("gazeheatDebug.answered") > 0, "the worker never answered a frame"
    assert page.evaluate("gazeheatDebug.engineErrors") == 0
    assert page.errors == []


def test_calibration_then_dot_then_heatmap_download(open_page, tmp_path):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    assert state(page) == "uncalibrated"
    page.click("#btn-calibrate")
    poll(page, "!document.getElementById('cal-target').hidden", 10)
    summary = poll(page, "window.gazeheatDebug.calibration", 60)
    assert "error" not in summary, summary
    assert summary["n_targets"] == 9
    # Then validation on 5 unseen targets: a grade, numbers in degrees, a picture.
    validation = poll(page, "window.gazeheatDebug.validation", 60)
    assert len(validation["targets"]) == 5 and validation["accuracy_deg"] > 0
    poll(page, "document.getElementById('validation').open", 10)
    assert page.inner_text("#validation-grade") in ("excellent", "good", "fair", "poor")
    assert "°" in page.inner_text("#validation-numbers")
    page.click("#validation-accept")
    poll(page, "window.gazeheatDebug.states.tracking > 20", 30)
    assert page.is_visible("#gaze-dot")
    poll(page, "Number(document.getElementById('toolbar').dataset.samples) >= 30", 30)

    page.click('#view-toggles button[data-view="heatmap"]')
    poll(page, "!document.getElementById('heatmap').hidden", 30)
    assert page.is_visible("#legend")

    with page.expect_download() as info:
        page.click("#btn-download")
    path = tmp_path / "heatmap.png"
    info.value.save_as(path)
    width, height, rgba = decode_png_rgba(path.read_bytes())
    assert (width, height) == (VIEWPORT["width"], VIEWPORT["height"])
    # Real content: the white page carries a coloured heatmap, not just the legend.
    coloured = sum(1 for i in range(0, len(rgba), 4 * 97)
                   if not (rgba[i] > 245 and rgba[i + 1] > 245 and rgba[i + 2] > 245))
    assert coloured / (len(rgba) // (4 * 97)) > 0.005, "the heatmap PNG is (almost) blank"
    assert page.errors == []


def test_camera_denied_shows_message_and_demo_works(open_page):
    page, _ = open_page(None, permissions=())
    poll(page, "[...document.querySelectorAll('#loading-list li')].every(li => li.className === 'done')",
         STARTUP_S)
    page.click("#start-camera")
    poll(page, "!document.getElementById('camera-error').hidden", 30)
    text = page.inner_text("#camera-error")
    assert "demo video" in text and ("denied" in text or "No camera" in text), text
    page.click("#start-demo")
    poll(page, "window.gazeheatDebug.answered > 10", STARTUP_S)
    assert page.evaluate("gazeheatDebug.faceFrames") > 10


def _state_seen(page, wanted: str, timeout_s: float = STARTUP_S) -> dict:
    poll(page, f"(window.gazeheatDebug.states['{wanted}'] || 0) > 10", timeout_s)
    return page.evaluate("gazeheatDebug")


def test_no_face_gives_a_clear_state_and_no_gaze(open_page):
    page, _ = open_page("noface", "source=camera")
    debug = _state_seen(page, "noface")
    assert debug["faceFrames"] == 0 and not page.is_visible("#gaze-dot")
    assert "No face" in page.inner_text("#status")


def test_several_faces_give_a_clear_state_and_no_gaze(open_page):
    page, _ = open_page("twofaces", "source=camera")
    debug = _state_seen(page, "multiple")
    assert debug["faceFrames"] == 0 and not page.is_visible("#gaze-dot")
    assert "Several faces" in page.inner_text("#status")


def test_dark_frame_gives_a_clear_state_and_no_gaze(open_page):
    page, _ = open_page("dark", "source=camera")
    debug = _state_seen(page, "dark")
    assert debug["faceFrames"] == 0 and not page.is_visible("#gaze-dot")
    assert "dark" in page.inner_text("#status")


def test_python_starts_without_the_snapshot(open_page, browsers, base_url):
    """The build's Pyodide snapshot is an optimisation: without it Python starts afresh."""
    page, _ = open_page("demo")
    page.context.route("**/gazeheat.snapshot.gz", lambda route: route.abort())
    page.goto(base_url + "?source=camera")
    poll(page, "window.gazeheatDebug.answered > 5", STARTUP_S)
    assert page.evaluate("gazeheatDebug.engineErrors") == 0


def test_a_failing_startup_phase_is_reported(open_page, base_url):
    page, _ = open_page("demo")
    page.context.route("**/gazeheat.zip", lambda route: route.abort())
    page.goto(base_url)
    poll(page, "!document.getElementById('startup-error').hidden", STARTUP_S)
    assert "gazeheat Python package" in page.inner_text("#startup-error")
    assert "failed" in page.evaluate(
        "[...document.querySelectorAll('#loading-list li')].map(li => li.className).join(' ')")


def test_frozen_camera_gives_a_clear_state_and_no_gaze(open_page):
    page, _ = open_page("frozen", "source=camera")
    _state_seen(page, "frozen")
    assert not page.is_visible("#gaze-dot")
    assert "stopped" in page.inner_text("#status")


def test_hidden_tab_pauses_and_tracking_resumes(open_page):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 5", STARTUP_S)
    # Headless Chromium never hides a tab by itself: emulate the browser's signal.
    page.evaluate("""() => {
        Object.defineProperty(document, 'hidden', {value: true, configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    poll(page, "document.getElementById('status').dataset.state === 'hidden'", 10)
    assert "hidden" in page.inner_text("#status") and not page.is_visible("#gaze-dot")
    frames = page.evaluate("gazeheatDebug.frames")
    time.sleep(1.0)
    assert page.evaluate("gazeheatDebug.frames") == frames, "frames were processed while hidden"
    page.evaluate("""() => {
        Object.defineProperty(document, 'hidden', {value: false, configurable: true});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    poll(page, "document.getElementById('status').dataset.state === 'uncalibrated'", 10)


def test_every_toolbar_control_is_on_screen(open_page):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    # Controls hidden on purpose (e.g. "Use saved calibration" when none is kept) are skipped.
    off = page.evaluate("""[...document.querySelectorAll('#toolbar button, #toolbar label, #toolbar a')]
        .filter(el => !el.hidden)
        .filter(el => { const r = el.getBoundingClientRect();
                        return r.left < 0 || r.right > innerWidth || r.width === 0; })
        .map(el => el.id || el.textContent.trim())""")
    assert off == [], f"toolbar controls off screen: {off}"
