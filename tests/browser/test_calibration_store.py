"""A kept calibration in headless Chromium: offered again on the same setup (then checked
with 5 dots), refused with a clear reason when the window changed or the record is
corrupt or from another format version."""
from __future__ import annotations

from chromium import poll
from conftest import calibrate_and_validate

STARTUP_S = 90
KEY = "gazeheat.calibration"


def saved_state(page):
    poll(page, "window.gazeheatDebug.savedCalibration !== undefined", STARTUP_S)
    return page.evaluate("gazeheatDebug.savedCalibration")


def test_a_kept_calibration_is_offered_checked_and_refused_when_the_setup_changed(open_page):
    page, _ = open_page("demo", "source=camera")
    first = saved_state(page)
    assert first == {"offered": False, "problem": None}
    assert page.is_hidden("#btn-saved-calibration")
    _, validation = calibrate_and_validate(page)
    kept = page.evaluate(f"JSON.parse(localStorage.getItem('{KEY}'))")
    assert kept["format"] == "gazeheat.saved-calibration" and kept["version"] == 1
    assert kept["calibration"]["model"]["coef_x"], "the fitted model is kept"
    assert kept["accuracy_deg"] == validation["accuracy_deg"]

    # Same camera, screen and window: offered; using it runs a 5-dot validation only.
    page.reload()
    assert saved_state(page) == {"offered": True, "problem": None}
    assert page.is_visible("#btn-saved-calibration")
    assert "fits this camera and screen" in page.inner_text("#message")
    page.click("#btn-saved-calibration")
    checked = poll(page, "window.gazeheatDebug.validation", STARTUP_S)
    assert "error" not in checked and len(checked["targets"]) == 5, checked
    assert page.evaluate("gazeheatDebug.calibration") == {"restored": True}, "no full calibration"
    poll(page, "document.getElementById('validation').open", 10)
    page.click("#validation-accept")
    poll(page, "(window.gazeheatDebug.states.tracking ?? 0) > 5", 30)

    # The model holds for one window size: a change is told, and so is the way back.
    page.set_viewport_size({"width": 1100, "height": 650})
    poll(page, "window.gazeheatDebug.viewport?.width_px === 1100", 10)
    assert "changed size since calibrating" in page.inner_text("#message")
    page.set_viewport_size({"width": 1280, "height": 720})
    poll(page, "window.gazeheatDebug.viewport?.width_px === 1280", 10)
    assert "Back at the size" in page.inner_text("#message")
    # The button's label follows the fullscreenchange event, which comes a little later.
    label = "document.getElementById('btn-fullscreen').textContent"
    page.click("#btn-fullscreen")
    poll(page, f"document.fullscreenElement !== null && {label} === 'Exit full screen'", 10)
    page.click("#btn-fullscreen")
    poll(page, f"document.fullscreenElement === null && {label} === 'Full screen'", 10)

    # Another window size (headless, the screen is the window): not offered, and why.
    page.set_viewport_size({"width": 1000, "height": 700})
    page.reload()
    state = saved_state(page)
    assert not state["offered"] and "now 1000×700" in state["problem"], state
    assert page.is_hidden("#btn-saved-calibration")
    assert "now 1000×700" in page.inner_text("#message")


def test_a_corrupt_or_old_kept_calibration_is_explained_not_used(open_page):
    page, _ = open_page("demo", "source=camera")
    saved_state(page)
    page.evaluate(f"localStorage.setItem('{KEY}', '{{not json')")
    page.reload()
    state = saved_state(page)
    assert not state["offered"] and "corrupt" in state["problem"], state

    page.evaluate(f"""localStorage.setItem('{KEY}', JSON.stringify({{
        format: 'gazeheat.saved-calibration', version: 0, saved_at: new Date().toISOString(),
        calibration: {{}}, setup: {{}} }}))""")
    page.reload()
    state = saved_state(page)
    assert not state["offered"] and "another version" in state["problem"], state
    assert page.errors == []
