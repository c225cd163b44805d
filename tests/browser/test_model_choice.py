"""Gaze model variants in headless Chromium (issue #7): the page sends eye patches with
every frame, validation compares the landmark, appearance and combined models and the
dialog says which one was chosen; the session download records it; with "Learn from
clicks" on, clicks near the gaze are used and far ones refused."""
from __future__ import annotations

import json
import time
from pathlib import Path

from chromium import poll
from conftest import calibrate_and_validate, switch_setting

STARTUP_S = 90
STIMULUS = Path(__file__).resolve().parents[1] / "data" / "stimulus_160x90.png"
VARIANTS = ("landmark", "appearance", "combined")


def calibrate_and_validate_showing_models(page) -> tuple[dict, dict, str]:
    """Calibrate and validate; return (summary, validation, the dialog's model line),
    the dialog accepted."""
    shown = []
    summary, validation = calibrate_and_validate(
        page, STARTUP_S, lambda p: shown.append(p.inner_text("#validation-models")))
    return summary, validation, shown[0]


def test_validation_shows_the_chosen_model_and_the_session_records_it(open_page, tmp_path):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    summary, validation, line = calibrate_and_validate_showing_models(page)
    patches = page.evaluate("gazeheatDebug.eyePatches")
    assert patches["sent"] > 100 and patches["missing"] < 0.1 * patches["sent"], patches
    fitted = summary["appearance_models"]
    assert all("loto_px" in fitted[v] for v in ("appearance", "combined")), fitted
    models = validation["models"]
    assert set(models["variants"]) == set(VARIANTS), models
    chosen = models["chosen"]
    assert validation["accuracy_deg"] == models["variants"][chosen]["accuracy_deg"]
    # One line: the chosen variant with its error first, then the others.
    assert line.startswith(f"Model: {chosen} ("), line
    for name in VARIANTS:
        assert name in line
    assert line.count("°") == 3, line

    page.click("#btn-record")
    page.set_input_files("#record-file", str(STIMULUS))
    page.click("#record-start")
    poll(page, "!document.getElementById('rec-badge').hidden", 20)
    time.sleep(2)
    page.keyboard.press("Escape")
    poll(page, "document.getElementById('results').open", 30)
    with page.expect_download() as info:
        page.click('[data-download="session"]')
    path = tmp_path / "session.json"
    info.value.save_as(path)
    session = json.loads(path.read_text())
    assert session["models"] == models
    assert session["validation"]["accuracy_deg"] == models["variants"][chosen]["accuracy_deg"]
    assert page.errors == []


def click_at(page, x: float, y: float) -> dict:
    """A click at viewport (x, y) (dispatched: the gaze may lie under a control or off
    the page); returns the click counters once Python has answered."""
    before = page.evaluate("gazeheatDebug.clicks.accepted + gazeheatDebug.clicks.rejected")
    page.evaluate(f"document.body.dispatchEvent(new MouseEvent('click', "
                  f"{{bubbles: true, clientX: {x}, clientY: {y}}}))")
    poll(page, f"gazeheatDebug.clicks.accepted + gazeheatDebug.clicks.rejected > {before}", 10, 0.05)
    return page.evaluate("({...gazeheatDebug.clicks})")


def test_learn_from_clicks_accepts_clicks_near_the_gaze_only(open_page):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    calibrate_and_validate_showing_models(page)
    poll(page, "(window.gazeheatDebug.states.tracking ?? 0) > 5", 30)
    # Off by default: clicks are not even sent.
    page.evaluate("document.body.dispatchEvent(new MouseEvent('click', {bubbles: true}))")
    time.sleep(0.5)
    assert page.evaluate("gazeheatDebug.clicks") == {"accepted": 0, "rejected": 0, "lastReason": None}

    assert switch_setting(page, "learn_from_clicks", "on") == "on"
    ppd = page.evaluate("gazeheatDebug.calibration.px_per_deg")

    accepted = None
    for _ in range(20):  # a frame without a face or a skipped frame refuses a click: retry
        sample = poll(page, "gazeheatDebug.lastSample && gazeheatDebug.lastSample.state === 'tracking' "
                            "&& gazeheatDebug.lastSample", 10, 0.02)
        counts = click_at(page, sample["x"] + 0.5 * ppd, sample["y"])
        if counts["accepted"]:
            accepted = counts
            break
    assert accepted is not None, page.evaluate("gazeheatDebug.clicks")
    sample = page.evaluate("gazeheatDebug.lastSample")
    counts = click_at(page, sample["x"] + 20 * ppd, sample["y"] + 10 * ppd)
    assert counts["accepted"] == accepted["accepted"]
    assert counts["rejected"] == accepted["rejected"] + 1 and counts["lastReason"] == "far", counts
    assert page.evaluate("gazeheatDebug.engineErrors") == 0
    assert page.errors == []
